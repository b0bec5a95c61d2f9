"""Shared fixtures: paths of the repo and its sample issues, and a tiny valid issue folder to break in tests."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
# Tests set the machine state they depend on: a SOURCE_DATE_EPOCH exported by a CI or packaging shell would change
# every timestamp the in-process builds write (tests that want one set it themselves).
os.environ.pop("SOURCE_DATE_EPOCH", None)
SAMPLES = REPO / "issues" / "wujin-daily"
SEED_ISSUE = SAMPLES / "2024-12-19"
MULTI_ISSUE = SAMPLES / "2024-12-20"
SEED_PAGE = SEED_ISSUE / "source" / "page.txt"  # the raw OCR page the first sample issue was edited from

PAPER_TOML = """\
name = "测试日报"
language = "zh-CN"
layout = "broadsheet"
slug = "test-daily"
cn = "CN 32-0001"
"""

ISSUE_TOML = """\
date = 2024-12-19
number = 100

[[pages]]
number = 1
name = "要闻"
editor = "王编辑"
template = "front"
articles = ["lead", "photo"]
"""

LEAD_MD = """\
+++
kicker = "引题在上"
title = "主题写在这里"
dateline = "本报讯"
reporters = ["朱梦琪", "钱志益"]
+++

第一段正文，讲述昨天发生的事情。

第二段正文，继续讲述。
"""

PHOTO_MD = """\
+++
kind = "photo-news"

[[photos]]
file = "images/p.png"
credit = "陆新 钱垒"
+++

这是一张图片新闻的说明文字。
"""


def line_tops(tops, tolerance: float = 0.5) -> list[float]:
    """Distinct text lines by glyph top (faces differ by a few hundredths of a point on one line)."""
    out: list[float] = []
    for top in sorted(tops):
        if not out or top - out[-1] > tolerance:
            out.append(top)
    return out


def box_line_problems(chars: list[dict], box) -> list[str]:
    """What differs between a planned body box and the glyphs pdfplumber finds in its rectangle: the number of
    lines, and body-size lines off the box's pitch (subheads are a size up, on the same grid)."""
    r = box.rect
    inside = [c for c in chars if r.x - 1 <= c["x0"] and c["x1"] <= r.x + r.w + 1
              and r.y - 3 <= c["top"] and c["bottom"] <= r.y + r.h + 3]
    problems = []
    tops = line_tops(c["top"] for c in inside)
    if len(tops) != len(box.lines):
        problems.append(f"{len(tops)} lines rendered in a box of {len(box.lines)} at ({r.x:.1f}, {r.y:.1f})")
    body = line_tops(c["top"] for c in inside if abs(c["size"] - box.size) < 0.1)
    for a, b in zip(body, body[1:]):
        steps = round((b - a) / box.line_height)
        if steps < 1 or abs((b - a) - steps * box.line_height) > 0.1:
            problems.append(f"lines {b - a:.2f} pt apart in a box of pitch {box.line_height:.2f}")
    return problems


def write_issue(root: Path, files: dict[str, str] | None = None) -> Path:
    """A small valid issue under root/paper/2024-12-19; `files` overrides or adds files (None value deletes)."""
    issue = root / "paper" / "2024-12-19"
    (issue / "articles").mkdir(parents=True)
    (issue / "images").mkdir()
    Image.new("RGB", (300, 200), (128, 128, 128)).save(issue / "images" / "p.png")
    defaults = {"../paper.toml": PAPER_TOML, "issue.toml": ISSUE_TOML, "articles/lead.md": LEAD_MD,
                "articles/photo.md": PHOTO_MD}
    for rel, text in {**defaults, **(files or {})}.items():
        path = (issue / rel)
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
    return issue


@pytest.fixture
def tiny_issue(tmp_path: Path) -> Path:
    return write_issue(tmp_path)


@pytest.fixture
def make_issue(tmp_path: Path):
    counter = iter(range(1000))
    return lambda files=None: write_issue(tmp_path / str(next(counter)), files)


@pytest.fixture(scope="session")
def sample_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample paper folder that tests may edit."""
    dst = tmp_path_factory.mktemp("samples") / "wujin-daily"
    shutil.copytree(SAMPLES, dst)
    return dst


# --- built samples shared by the whole run ----------------------------------------------------------------------

STRESS_ISSUE = REPO / "tests" / "fixtures" / "stress" / "2024-12-21"
BUILT_SAMPLES = {"seed": SEED_ISSUE, "multi": MULTI_ISSUE, "stress": STRESS_ISSUE}


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory):
    """name ("seed", "multi", "stress") -> (BuildResult, print PDF path), each sample built once per test run
    with the default options, print PDF and EPUB (test_web publishes both). Read-only: a test that changes the
    files or the result builds its own."""
    from epaper.build import BuildOptions, build

    built: dict[str, tuple] = {}

    def get(name: str):
        if name not in built:
            result = build(BUILT_SAMPLES[name], BuildOptions(out=tmp_path_factory.mktemp(f"sample-{name}"),
                                                             formats=("pdf", "epub")))
            built[name] = (result, next(p for p in result.outputs if p.suffix == ".pdf"))
        return built[name]

    return get


@pytest.fixture(scope="session")
def marked_seed_pdf(tmp_path_factory: pytest.TempPathFactory):
    """(BuildResult, print PDF path) of the seed sample built with bleed and crop marks (epaper build --marks),
    print PDF only, once per test run; read-only like sample_pdf."""
    from epaper.build import BuildOptions, build

    result = build(SEED_ISSUE, BuildOptions(out=tmp_path_factory.mktemp("sample-marks"), formats=("pdf",), marks=True))
    return result, next(p for p in result.outputs if p.suffix == ".pdf")


def jumping_issue(tmp_path: Path) -> Path:
    """The 4-page sample with one story moved from page 3 to page 2, so page 2 overflows."""
    root = tmp_path / "wujin-daily"
    shutil.copytree(SAMPLES, root)
    issue = root / "2024-12-20" / "issue.toml"
    text = issue.read_text("utf-8")
    text = text.replace('"huamu-dongguan", "chongdianzhuang"]', '"huamu-dongguan", "chongdianzhuang", "mengxiang-xiaowu"]')
    text = text.replace('"fudaozhan-hanjia", "mengxiang-xiaowu", "kangfu-zhandian"', '"fudaozhan-hanjia", "kangfu-zhandian"')
    issue.write_text(text, "utf-8")
    return issue.parent


@pytest.fixture(scope="session")
def jumped_sample(tmp_path_factory: pytest.TempPathFactory):
    """(BuildResult, issue folder) of jumping_issue with `jumps = true`: page 2's longest story continues on page 3.
    Print PDF and EPUB, built once per run; read-only like sample_pdf."""
    from epaper.build import BuildOptions, build

    tmp = tmp_path_factory.mktemp("jump")
    folder = jumping_issue(tmp / "src")
    toml = folder / "issue.toml"
    toml.write_text(toml.read_text("utf-8").replace("number = 14322", "number = 14322\njumps = true"), "utf-8")
    return build(folder, BuildOptions(out=tmp / "out", formats=("pdf", "epub"))), folder


# --- the generated issues (tests/test_generated.py), checked in the background -----------------------------------

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of the generated issues run last: their builds run at low priority from the start of the run
    (generated_in_background) and have until then to finish."""
    items.sort(key=lambda item: "generated" in getattr(item, "fixturenames", ()))  # stable: the rest keep order


@pytest.fixture(scope="session", autouse=True)
def generated_in_background(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """When the run includes the generated issues' tests, one worker process at the lowest priority starts checking
    them at the first test, on the CPU the other tests leave idle (None otherwise)."""
    if not any("generated" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    from .test_generated import Background

    background = Background(tmp_path_factory.mktemp("generated"))
    yield background
    background.stop()
