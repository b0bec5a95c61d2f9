"""Bad issue folders through the CLI: every case stops with one documented line naming file, line and key.

Each case breaks the tiny issue of conftest in one way. The CLI must exit non-zero (2 for bad input, 3 for a plan
that does not fit) with `error: …` as the last line of stderr, no traceback, no output written, and no request
to the network (a loopback sentinel server is listening the whole time).

Line numbers refer to the conftest texts: ISSUE_TOML (1 date, 2 number, 4 [[pages]], 5 number, 6 name, 7 editor,
8 template, 9 articles), LEAD_MD (2 kicker, 3 title, 4 dateline, 5 reporters, 8 first paragraph), PHOTO_MD
(5 file), PAPER_TOML (3 layout).
"""

from __future__ import annotations

import io
import random
import shutil
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from PIL import Image
from typer.testing import CliRunner

from epaper.cli import app

from .conftest import ISSUE_TOML, LEAD_MD, PAPER_TOML, PHOTO_MD, REPO, write_issue
from .guard import LoopbackSentinel

runner = CliRunner()


# --- input makers ------------------------------------------------------------------------------------------------

def png_declaring(width: int, height: int) -> bytes:
    """A ~60-byte PNG whose header declares width × height 1-bit grey pixels: a decompression bomb's
    claim without its payload (nothing near width × height bytes is ever allocated here)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    """A noisy 300 × 200 JPEG cut at 60 %: the header is intact (Image.open succeeds), the scan data is not."""
    rnd = random.Random(5)
    im = Image.frombytes("RGB", (300, 200), bytes(rnd.getrandbits(8) for _ in range(300 * 200 * 3)))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    return data[: len(data) * 6 // 10]


def body(text: str) -> str:
    """LEAD_MD with `text` as its whole body (line 8 on)."""
    return LEAD_MD.split("+++\n\n")[0] + "+++\n\n" + text + "\n"


SECOND_PAGE = '\n[[pages]]\nnumber = 2\nname = "综合"\neditor = "李编辑"\ntemplate = "inside"\narticles = ["lead"]\n'


@dataclass
class Ctx:
    tmp: Path
    net: LoopbackSentinel


@dataclass(frozen=True)
class Case:
    id: str
    why: str  # the one-line documentation of the case
    files: dict[str, str | None] | Callable[[Ctx], dict[str, str | None]] = field(default_factory=dict)
    prep: Callable[[Path, Ctx], None] | None = None
    expect: tuple[str, ...] = ()  # substrings of the last stderr line
    where: str = ""  # "file:line" (or just the file) the message must name
    exit_code: int = 2


def _write(rel: str, data: bytes) -> Callable[[Path, Ctx], None]:
    def prep(issue: Path, ctx: Ctx) -> None:
        (issue / rel).write_bytes(data)
    return prep


def _symlink(rel: str, target: str | Callable[[Ctx], Path]) -> Callable[[Path, Ctx], None]:
    def prep(issue: Path, ctx: Ctx) -> None:
        path = issue / rel
        path.unlink(missing_ok=True)
        path.symlink_to(target(ctx) if callable(target) else target)
    return prep


def _outside_article(ctx: Ctx) -> Path:
    """A valid article in a folder beside the issue, not inside it (another desk's draft, say)."""
    other = ctx.tmp / "elsewhere"
    other.mkdir(exist_ok=True)
    (other / "secret.md").write_text(LEAD_MD.replace("主题写在这里", "未发表的内部稿件"), encoding="utf-8")
    return other / "secret.md"


def _rename_to_chinese(issue: Path, ctx: Ctx) -> None:
    (issue / "articles" / "lead.md").rename(issue / "articles" / "新闻.md")


def _layout_outside(ctx: Ctx) -> dict[str, str | None]:
    copy = ctx.tmp / "my-layouts" / "broadsheet"
    shutil.copytree(REPO / "layouts" / "broadsheet", copy)
    return {"../paper.toml": PAPER_TOML.replace('"broadsheet"', f'"{copy}"')}


def _no_issue_toml(issue: Path, ctx: Ctx) -> None:
    (issue / "issue.toml").unlink()


CASES = [
    # TOML and schema
    Case("toml-syntax", "an unquoted string in issue.toml is a TOML syntax error with its line",
         {"issue.toml": ISSUE_TOML.replace('name = "要闻"', "name = 要闻")},
         expect=("not valid TOML: Invalid value",), where="issue.toml:6"),
    Case("toml-bad-date", "an impossible date literal is a TOML syntax error with its line",
         {"issue.toml": ISSUE_TOML.replace("date = 2024-12-19", "date = 2024-13-45")},
         expect=("not valid TOML",), where="issue.toml:1"),
    Case("unknown-key", "a misspelt key names itself and the nearest valid key",
         {"issue.toml": ISSUE_TOML.replace("number = 100", "numbr = 100")},
         expect=("numbr: unknown key 'numbr' (did you mean 'number'?)",), where="issue.toml:2"),
    Case("unknown-front-matter-key", "a misspelt front-matter key is found on its line in the article",
         {"articles/lead.md": LEAD_MD.replace("title =", "titel =")},
         expect=("titel: unknown key 'titel' (did you mean 'title'?)",), where="lead.md:3"),
    Case("wrong-type", "a quoted number says a whole number was expected",
         {"issue.toml": ISSUE_TOML.replace("number = 100", 'number = "100"')},
         expect=("number: expected a whole number",), where="issue.toml:2"),
    Case("duplicate-key", "a key given twice in front matter is a TOML error on the second one",
         {"articles/lead.md": LEAD_MD.replace('dateline = "本报讯"', 'title = "又一个主题"')},
         expect=("not valid TOML: Cannot overwrite a value",), where="lead.md:4"),
    Case("non-date", "a quoted date says a TOML date without quotes was expected",
         {"issue.toml": ISSUE_TOML.replace("date = 2024-12-19", 'date = "2024-12-19"')},
         expect=("date: expected a date such as 2024-12-19 (no quotes)",), where="issue.toml:1"),
    Case("negative-number", "总第N期 must be positive",
         {"issue.toml": ISSUE_TOML.replace("number = 100", "number = -5")},
         expect=("number: expected a positive issue number, got -5",), where="issue.toml:2"),
    Case("edition-path", "the edition becomes part of output file names, so path characters are refused",
         {"issue.toml": ISSUE_TOML.replace("number = 100", 'number = 100\nedition = "/../../escaped"')},
         expect=("edition:", "expected lower-case ASCII letters, digits and '-'"), where="issue.toml:3"),
    Case("control-char-title", "a control character (invalid in XML) in a title is refused at its line",
         {"articles/lead.md": LEAD_MD.replace("主题写在这里", "主题\\u0007写在这里")},
         expect=("title:", "U+0007"), where="lead.md:3"),
    Case("control-char-body", "a control character in the body is refused at its line",
         {"articles/lead.md": LEAD_MD.replace("第一段正文", "第一段\x07正文")},
         expect=("U+0007",), where="lead.md:8"),
    # the paper and the layout
    Case("paper-toml-missing", "an issue folder needs a paper.toml beside or above it",
         {"../paper.toml": None}, expect=("no paper.toml found in this folder or above it",)),
    Case("layout-unknown", "an unknown layout is reported at paper.toml's layout line with the choices",
         {"../paper.toml": PAPER_TOML.replace('"broadsheet"', '"tabloid"')},
         expect=("layout 'tabloid' does not exist",), where="paper.toml:3"),
    Case("layout-path", "a layout is a name under layouts/, never a path (its templates are code)",
         _layout_outside, expect=("layout:", "expected the name of a folder under layouts/"), where="paper.toml:3"),
    Case("template-unknown", "an unknown page template is reported at its line with the nearest one",
         {"issue.toml": ISSUE_TOML.replace('"front"', '"frnt"')},
         expect=("has no template 'frnt' (did you mean 'front'?)",), where="issue.toml:8"),
    # the page plan
    Case("empty-issue", "an issue without pages is refused at the pages key",
         {"issue.toml": "date = 2024-12-19\nnumber = 100\npages = []\n"},
         expect=("pages: an issue needs at least one page",), where="issue.toml:3"),
    Case("pages-out-of-order", "pages are numbered 1, 2, 3… in order",
         {"issue.toml": ISSUE_TOML.replace("number = 1\n", "number = 2\n")},
         expect=("expected page number 1 (pages in order 1, 2, 3…), got 2",), where="issue.toml:5"),
    Case("duplicate-id", "one article id twice in a page's list",
         {"issue.toml": ISSUE_TOML.replace('["lead", "photo"]', '["lead", "photo", "lead"]')},
         expect=("article 'lead' is already on page 1",), where="issue.toml:9"),
    Case("article-twice", "one article on two pages",
         {"issue.toml": ISSUE_TOML + SECOND_PAGE},
         expect=("article 'lead' is already on page 1",), where="issue.toml:16"),
    Case("missing-article-file", "a listed article without its file suggests the nearest existing one",
         {"issue.toml": ISSUE_TOML.replace('["lead", "photo"]', '["lead", "photo", "sidebar"]')},
         expect=("article 'sidebar' has no file articles/sidebar.md",), where="issue.toml:9"),
    Case("non-ascii-file-name", "article ids (file names) are lower-case ASCII",
         {"issue.toml": ISSUE_TOML.replace('"lead"', '"新闻"')}, prep=_rename_to_chinese,
         expect=("article file name '新闻' must be lower-case ASCII letters, digits and '-'",), where="新闻.md"),
    Case("not-an-issue-folder", "a folder without issue.toml",
         prep=_no_issue_toml, expect=("not an issue folder: issue.toml is missing",)),
    Case("overset-100k", "a 100,000-character article on one page stops with the article and the lines over",
         {"articles/lead.md": body("\n\n".join(["这是一段很长的正文，用来测试超版。" * 25] * 250)),
          "issue.toml": ISSUE_TOML.replace('["lead", "photo"]', '["lead"]'), "articles/photo.md": None},
         expect=("page 1, article 'lead': overset by", "lines"), exit_code=3),
    # article text
    Case("front-matter-not-closed", "front matter without its closing '+++'",
         {"articles/lead.md": LEAD_MD.replace("+++\n\n第一段", "\n第一段")},
         expect=("front matter is not closed: no second '+++' line",), where="lead.md:1"),
    Case("yaml-front-matter", "YAML front matter is refused with the TOML hint",
         {"articles/lead.md": "---\ntitle: 主题\n---\n\n正文。\n"},
         expect=("expected TOML front matter between '+++' lines", "YAML front matter (---) is not supported"),
         where="lead.md:1"),
    Case("html-img-file-url", "raw HTML (an <img> of file:///etc/passwd) is refused at its line",
         {"articles/lead.md": body('<img src="file:///etc/passwd"> 第一段正文。')},
         expect=("raw HTML is not allowed in article text",), where="lead.md:8"),
    Case("html-script", "a <script> block is refused at its line",
         {"articles/lead.md": LEAD_MD + "\n<script>alert(1)</script>\n"},
         expect=("raw HTML is not allowed in article text",), where="lead.md:12"),
    Case("markdown-image", "a Markdown image in the body is refused, not silently dropped",
         {"articles/lead.md": body("![现场照片](images/p.png)第一段正文。")},
         expect=("images in the article body are not supported",), where="lead.md:8"),
    Case("gb18030-article", "an article saved as GB18030 is refused naming UTF-8, the line and the likely encoding",
         prep=_write("articles/lead.md", LEAD_MD.encode("gb18030")),
         expect=("not UTF-8 text", "GB18030"), where="lead.md:2"),
    Case("missing-glyph", "a character no palette font has (U+2A6D6) is an error naming it, never tofu",
         {"articles/lead.md": LEAD_MD.replace("朱梦琪", "王\U0002A6D6")},
         expect=("U+2A6D6",), where="lead.md:5"),
    # photos
    Case("image-dotdot", "a photo path climbing out of the issue with ../",
         {"articles/photo.md": PHOTO_MD.replace("images/p.png", "../../../../../../../../etc/passwd")},
         expect=("image '../../../../../../../../etc/passwd' lies outside the issue folder",), where="photo.md:5"),
    Case("image-absolute", "an absolute photo path",
         {"articles/photo.md": PHOTO_MD.replace("images/p.png", "/etc/passwd")},
         expect=("image '/etc/passwd' lies outside the issue folder",), where="photo.md:5"),
    Case("image-symlink-passwd", "a photo inside the issue that is a symlink to /etc/passwd",
         prep=_symlink("images/p.png", "/etc/passwd"),
         expect=("image 'images/p.png' lies outside the issue folder",), where="photo.md:5"),
    Case("article-symlink-outside", "an article file that is a symlink to a file outside the issue",
         prep=_symlink("articles/lead.md", _outside_article),
         expect=("outside the issue folder",), where="lead.md"),
    Case("image-url", "a photo given as an http://127.0.0.1 URL is a missing file, and nothing is fetched",
         lambda ctx: {"articles/photo.md": PHOTO_MD.replace("images/p.png", f"{ctx.net.url}/x.png")},
         expect=("/x.png' does not exist",), where="photo.md:5"),
    Case("zero-byte-image", "an empty image file",
         prep=_write("images/p.png", b""), expect=("image 'images/p.png' cannot be read",), where="photo.md:5"),
    Case("truncated-jpeg", "a JPEG cut short is refused (WeasyPrint turns on LOAD_TRUNCATED_IMAGES)",
         {"articles/photo.md": PHOTO_MD.replace("images/p.png", "images/p.jpg")},
         prep=_write("images/p.jpg", truncated_jpeg()),
         expect=("image 'images/p.jpg'", "truncated"), where="photo.md:5"),
    Case("png-bomb", "a PNG declaring 30,000 × 30,000 pixels is refused before any decoding",
         prep=_write("images/p.png", png_declaring(30_000, 30_000)),
         expect=("image 'images/p.png' cannot be read", "decompression bomb"), where="photo.md:5"),
]


@pytest.fixture(scope="module")
def net():
    with LoopbackSentinel() as sentinel:
        yield sentinel


def test_there_are_enough_cases():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, net: LoopbackSentinel):
    ctx = Ctx(tmp_path, net)
    files = case.files(ctx) if callable(case.files) else case.files
    issue = write_issue(tmp_path / "in", files)
    if case.prep:
        case.prep(issue, ctx)
    out = tmp_path / "out"
    before = {p for p in tmp_path.rglob("*")}
    requests_before = len(net.requests)

    result = runner.invoke(app, ["build", str(issue), "--out", str(out)])

    # a clean failure: our exit code, no exception escaping the CLI, no traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{case.id}: {type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == case.exit_code, f"{case.id}: exit {result.exit_code}, stderr:\n{result.stderr}"
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), last
    for text in case.expect:
        assert text in last, f"{case.id}: expected {text!r} in\n{last}"
    if case.where:
        name, _, line = case.where.partition(":")
        assert f"/{name}:{line + ':' if line else ''}" in last, f"{case.id}: expected {case.where} in\n{last}"
    # nothing written, anywhere, and nothing fetched
    written = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".lock-")] if out.exists() else []
    assert written == [], written
    new = [p for p in tmp_path.rglob("*") if p not in before and out not in (p, *p.parents)]
    assert new == [], f"{case.id}: files appeared outside --out: {new}"
    assert net.requests[requests_before:] == []


def test_every_case_is_documented():
    for case in CASES:
        assert case.why and "\n" not in case.why and case.expect, case.id
