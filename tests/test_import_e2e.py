"""Import → build → PDF, end to end, on every fixture in tests/fixtures/import/ and the seed page: both exit 0, the
input's Han characters are in the PDF (≥ 98 %) or in removed.txt (≥ 99.5 % together), no Markdown is printed, and
every page is ≥ 85 % full. Also: a build stops (exit 2, E110) while articles/unplaced.md holds text.

To keep the cost down, fixtures are imported in groups, one issue (and one build) per group: every `*.txt` of the
folder (globbed, so new fixtures join automatically), sorted by name, grouped by script as the importer detects it
(a Traditional page sets the paper's language), in runs of GROUP. Each file is one page of its group's issue; its
text in the PDF is what lies inside the modules of its articles (layout.json's rectangles).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from typer.testing import CliRunner

from epaper.checks.unplaced import check_unplaced
from epaper.cli import app
from epaper.errors import InputError
from epaper.layout.grid import MM
from epaper.source.folder import load_issue
from epaper.ocr import import_text
from epaper.source.decode import decode

from .conftest import SEED_PAGE

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
GROUP = 4  # fixture pages per imported issue
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
REMOVED_HEAD = re.compile(r"^# .*\(([^()]+):(\d+)\)\s*$")  # removed.txt: `# reason (file:line)` above a passage
MARKUP = ("#", "**", "](")
runner = CliRunner()


def han(text: str) -> Counter[str]:
    return Counter(HAN.findall(text))


def inputs() -> list[Path]:
    files = sorted(FIXTURES.glob("*.txt"))
    assert len(files) >= 8 and SEED_PAGE.is_file()  # the fixture set and the seed page are part of the repo
    return [*files, SEED_PAGE]


def groups() -> list[list[Path]]:
    """The documented rule: by script, then name, GROUP files an issue; the seed page (a full page) alone."""
    by_script: dict[str, list[Path]] = {}
    for path in inputs()[:-1]:
        by_script.setdefault(decode(path.read_bytes(), path, None).script, []).append(path)
    out = [files[i:i + GROUP] for _, files in sorted(by_script.items()) for i in range(0, len(files), GROUP)]
    return [*out, [SEED_PAGE]]


@dataclass
class Built:
    files: list[Path]
    issue_dir: Path
    text: dict[Path, str]  # input file → the PDF text inside its articles' modules
    pdf_text: str  # the whole PDF
    removed: dict[str, str]  # input file name → its passages in removed.txt
    layout: dict
    build_output: str


def removed_by_file(issue_dir: Path) -> dict[str, str]:
    file = issue_dir / "removed.txt"
    out: dict[str, str] = {}
    if not file.is_file():
        return out
    name = ""
    for line in file.read_text(encoding="utf-8").splitlines():
        m = REMOVED_HEAD.match(line)
        if m:
            name = m.group(1)
        elif name and not line.startswith("#"):
            out[name] = out.get(name, "") + line
    return out


def import_and_build(files: list[Path], root: Path) -> Built:
    issue_dir = root / "paper" / "2024-12-19"
    report = import_text(files, issue_dir)  # raises InputError (the CLI's exit 2) if it refuses
    out = root / "out"
    built = runner.invoke(app, ["build", str(issue_dir), "--out", str(out), "--format", "pdf"])
    assert built.exit_code == 0, f"{[f.name for f in files]}: {built.output}"
    layout = json.loads(next(out.glob("*.layout.json")).read_text(encoding="utf-8"))
    source_of = {a.id: a.source.resolve() for a in report.articles}
    text = {f.resolve(): "" for f in files}
    doc = pdfium.PdfDocument(next(out.glob("*.pdf")))
    try:
        pdf_text = ""
        assert len(doc) == len(layout["pages"])
        for index, page in enumerate(layout["pages"]):
            textpage = doc[index].get_textpage()
            height = doc[index].get_height()
            pdf_text += textpage.get_text_range()
            for module in page["modules"]:
                r = module["rect_mm"]
                inside = textpage.get_text_bounded(left=r["x"] * MM - 1, right=(r["x"] + r["w"]) * MM + 1,
                                                   top=height - r["y"] * MM + 1,
                                                   bottom=height - (r["y"] + r["h"]) * MM - 1)
                text[source_of[module["article"]]] += inside
    finally:
        doc.close()
    return Built(files, issue_dir, text, pdf_text, removed_by_file(issue_dir), layout, built.output)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Built]:
    return [import_and_build(files, tmp_path_factory.mktemp(f"group{i}")) for i, files in enumerate(groups())]


def test_every_fixture_is_in_a_group():
    grouped = [f for g in groups() for f in g]
    assert sorted(grouped) == sorted(inputs()) and len(grouped) == len(set(grouped))


@pytest.mark.parametrize("name", [p.name for p in inputs()])
def test_han_characters_reach_the_pdf(built, name):
    """Every Han character of the input is in the PDF or removed.txt (≥ 99.5 %), and of those the import did not
    remove as furniture (navigation, folios, copyright…), ≥ 98 % are printed. Furniture is a few percent of a real
    page but most of some fixtures (a web scrape), so the printed share is taken of what was not removed; on the
    seed page, a real page, it is taken of the whole input as well."""
    b, file = next((b, f) for b in built for f in b.files if f.name == name)
    source = han(decode(file.read_bytes(), file, None).text)
    printed = han(b.text[file.resolve()])
    removed = han(b.removed.get(file.name, "")) & source
    total = sum(source.values())
    kept_copy = total - sum(removed.values())
    in_pdf = sum((source & printed).values())
    kept = sum((source & (printed + removed)).values())
    assert total > 0 and kept_copy > 0, f"{name}: {total} Han characters, {kept_copy} not removed"
    lost = dict(source - printed - removed)
    assert kept >= 0.995 * total, f"{name}: {kept} of {total} Han characters in the PDF or removed.txt; lost {lost}"
    assert in_pdf >= 0.98 * kept_copy, f"{name}: {in_pdf} of {kept_copy} kept Han characters in the PDF; lost {lost}"
    if file == SEED_PAGE:
        assert in_pdf >= 0.98 * total


def test_no_markup_printed(built):
    for b in built:
        text = re.sub(r"\s+", "", b.pdf_text)
        for mark in MARKUP:
            at = text.find(mark)
            assert at < 0, f"{[f.name for f in b.files]}: {mark!r} printed: …{text[max(0, at - 30):at + 30]}…"


def test_every_page_is_full(built):
    """≥ 85 % of each page's free type area is covered by modules, and ≥ 85 % holds copy, headlines or photos
    (the rest of a page with short copy is its house-ad slot, which is not free area)."""
    for b in built:
        for page in b.layout["pages"]:
            where = f"{[f.name for f in b.files]} page {page['number']}"
            assert page["area_fill"] >= 0.85, where
            assert page["area_fill"] * page["text_fill"] >= 0.85, f"{where}: {page}"


def test_short_copy_gets_a_house_ad_reported_in_review(built):
    """A page with less copy than its page holds gets a 公益广告 slot, printed as such and named in REVIEW.md; a
    placeholder photo stays at most half the page wide."""
    slots = 0
    for b in built:
        review = (b.issue_dir / "REVIEW.md").read_text(encoding="utf-8")
        reported = re.findall(r"page (\d+): a house-ad slot \(公益广告\) of (\d+) × (\d+) mm", review)
        printed = re.findall(r"公\s*益\s*[广廣]\s*告", b.pdf_text)
        assert len(printed) == len(reported), b.files
        in_build = re.findall(r"I320: page (\d+): a house-ad slot \(公益广告\) of (\d+) × (\d+) mm",
                              b.build_output)
        assert sorted(in_build) == sorted(reported), (b.build_output, reported)
        slots += len(reported)
    assert slots >= len(built) - 1  # the fixtures are short pages: nearly every page has one


def test_seed_page_keeps_one_page_with_its_photo_at_a_printed_size(built):
    seed = built[-1]
    assert seed.files == [SEED_PAGE] and len(seed.layout["pages"]) == 1
    page = seed.layout["pages"][0]
    width = page["size_mm"]["w"]
    photo_news = [m for m in page["modules"] if m["kind"] == "photo-news"]
    assert photo_news and all(m["rect_mm"]["w"] <= width / 2 for m in photo_news)


def test_unplaced_text_stops_the_build(built, tmp_path):
    issue_dir = tmp_path / "paper" / "2024-12-19"
    shutil.copytree(built[0].issue_dir.parent, issue_dir.parent, dirs_exist_ok=True)
    unplaced = issue_dir / "articles" / "unplaced.md"
    head = '+++\ntitle = "未归入稿件的文字"\n+++\n\n'
    unplaced.write_text(head + "## page.txt:9\n\n读者服务热线 12345\n", encoding="utf-8")
    result = runner.invoke(app, ["build", str(issue_dir), "--out", str(tmp_path / "out"), "--format", "pdf"])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert message.count("\n") == 0 and "Traceback" not in result.output
    assert f"{unplaced}: E110 11 characters of imported text are still unplaced" in message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.pdf"))
    # the editor deletes the passage and keeps its locator subhead: nothing stops the build any more
    unplaced.write_text(head + "## page.txt:9\n", encoding="utf-8")
    check_unplaced(load_issue(issue_dir))
    unplaced.write_text(head + "两个字\n", encoding="utf-8")
    with pytest.raises(InputError, match="E110 3 characters"):
        check_unplaced(load_issue(issue_dir))


def test_a_long_page_is_cut_into_pages_that_fit(tmp_path):
    """Three pages' worth of copy in one input file becomes several 对开 pages, each full and none overset (laid out
    as the build would, without rendering); REVIEW.md says so. A paper given by the editor keeps its layout."""
    from epaper.build import prepare
    from epaper.layout.place import layout_issue

    long_page = tmp_path / "long.txt"
    long_page.write_text("\n\n".join([SEED_PAGE.read_text(encoding="utf-8")] * 3), encoding="utf-8")
    paper = tmp_path / "paper" / "paper.toml"
    paper.parent.mkdir()
    paper.write_text('name = "测试日报"\nlanguage = "zh-CN"\nlayout = "broadsheet"\n', encoding="utf-8")
    issue_dir = paper.parent / "2024-12-19"
    report = import_text([long_page], issue_dir)
    issue, layout, palette, strings = prepare(issue_dir)
    assert layout.name == "broadsheet" and len(issue.pages) >= 2
    assert [p.template for p in issue.pages] == ["front-fill"] + ["inside-fill"] * (len(issue.pages) - 1)
    assert [a for p in issue.pages for a in p.articles] == [a.id for a in report.articles]  # input order kept
    pages = layout_issue(issue, layout, palette, strings)
    assert all(p.area_fill * p.text_fill >= 0.85 for p in pages), [(p.area_fill, p.text_fill) for p in pages]
    review = (issue_dir / "REVIEW.md").read_text(encoding="utf-8")
    assert f"1 input page(s) became {len(issue.pages)} pages" in review
    assert "chosen for the amount of copy" not in review  # the editor's paper keeps its layout
    assert not (issue_dir / "paper.toml").exists()


def test_layout_chosen_for_the_amount_of_copy(built):
    """A paper the import writes gets the 四开 `compact` layout when each page's copy fits one (the short fixture
    pages), else 对开 `broadsheet` (the seed page); REVIEW.md names the choice."""
    chosen = []
    for b in built:
        paper = (b.issue_dir / "paper.toml").read_text(encoding="utf-8")
        name = re.search(r'^layout = "(\w+)"', paper, re.M).group(1)
        assert {p["size_mm"]["w"] for p in b.layout["pages"]} == {{"compact": 275.0, "broadsheet": 390.0}[name]}
        assert f'paper.toml layout: "{name}"' in (b.issue_dir / "REVIEW.md").read_text(encoding="utf-8")
        chosen.append(name)
    assert chosen[-1] == "broadsheet" and "compact" in chosen[:-1]  # the seed page; the short fixture pages
