"""Bad issue folders through the CLI: every case stops with one documented line naming file, line and key.

Each case breaks the tiny issue of conftest in one way. The CLI must exit non-zero (2 for bad input, 3 for a plan
that does not fit) with `error: …` as the last line of stderr, no traceback, no output written, and no request
to the network (a loopback sentinel server is listening the whole time).

Line numbers refer to the conftest texts: ISSUE_TOML (1 date, 2 number, 4 [[pages]], 5 number, 6 name, 7 editor,
8 template, 9 articles), LEAD_MD (2 kicker, 3 title, 4 dateline, 5 reporters, 8 first paragraph), PHOTO_MD
(5 file), PAPER_TOML (3 layout; a key appended is line 6).

The second half holds the cases of issue 18 that are not a broken issue folder (1, 2, 3, 4, 5, 8, 10, 15, 16,
17): options and environment variables, a full disk, `epaper serve` and `epaper check --output`. Each test's
docstring names its case; each was seen failing (a traceback or a silent wrong result) before its fix.
"""

from __future__ import annotations

import errno
import http.client
import io
import json
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
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
    env: dict[str, str] = field(default_factory=dict)  # environment of the build
    validate: bool = False  # `epaper validate` must refuse it with the same line


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
         {"../paper.toml": PAPER_TOML.replace('"broadsheet"', '"broadshet"')},
         expect=("layout 'broadshet' does not exist (did you mean 'broadsheet'?)",), where="paper.toml:3"),
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
    # issue 18, case 1: epub_title is a str.format pattern; anything but {paper} and {date:…} is refused up front
    Case("epub-title-attribute", "an attribute in the epub_title pattern ({paper.__class__}) is refused",
         {"../paper.toml": PAPER_TOML + 'epub_title = "{paper.__class__}"\n'},
         expect=("epub_title: {paper.__class__} is not allowed in the pattern; expected only {paper}, {date}",),
         where="paper.toml:6", validate=True),
    Case("epub-title-index", "a positional field ({0}) in the epub_title pattern is refused",
         {"../paper.toml": PAPER_TOML + 'epub_title = "{0} {paper}"\n'},
         expect=("epub_title: {0} is not allowed in the pattern",), where="paper.toml:6", validate=True),
    Case("epub-title-unknown", "an unknown field ({x}) in the epub_title pattern is refused",
         {"../paper.toml": PAPER_TOML + 'epub_title = "{paper} {x}"\n'},
         expect=("epub_title: {x} is not allowed in the pattern",), where="paper.toml:6", validate=True),
    Case("epub-title-date-item", "indexing the date ({date[0]}) is refused too",
         {"../paper.toml": PAPER_TOML + 'epub_title = "{date[0]}"\n'},
         expect=("epub_title: {date[0]} is not allowed in the pattern",), where="paper.toml:6", validate=True),
    Case("epub-title-format-code", "a date format code outside the documented ones is refused",
         {"../paper.toml": PAPER_TOML + 'epub_title = "{paper} {date:%Y %Q}"\n'},
         expect=("epub_title: date format '%Y %Q' is not allowed",), where="paper.toml:6", validate=True),
    Case("epub-title-brace", "a lone brace in the epub_title pattern is refused",
         {"../paper.toml": PAPER_TOML + 'epub_title = "{paper"\n'},
         expect=("epub_title: not a valid pattern",), where="paper.toml:6", validate=True),
    # case 2: SOURCE_DATE_EPOCH
    Case("sde-text", "SOURCE_DATE_EPOCH=abc names the variable and what it takes",
         env={"SOURCE_DATE_EPOCH": "abc"},
         expect=("error: SOURCE_DATE_EPOCH: expected whole seconds since 1970-01-01 00:00 UTC", "got 'abc'"),
         validate=True),
    Case("sde-negative", "a negative SOURCE_DATE_EPOCH is refused", env={"SOURCE_DATE_EPOCH": "-5"},
         expect=("SOURCE_DATE_EPOCH: expected whole seconds", "got '-5'"), validate=True),
    Case("sde-huge", "a SOURCE_DATE_EPOCH past the year 9999 is refused", env={"SOURCE_DATE_EPOCH": "9" * 30},
         expect=("SOURCE_DATE_EPOCH: expected whole seconds", "(0 to 253402300799"), validate=True),
    Case("sde-float", "a fractional SOURCE_DATE_EPOCH is refused", env={"SOURCE_DATE_EPOCH": "1734566400.5"},
         expect=("SOURCE_DATE_EPOCH: expected whole seconds", "got '1734566400.5'"), validate=True),
    # case 8: a year of 0001 would give the web path site/1-01 (strftime does not pad): dates are bounded
    Case("year-0001", "a date outside 1800–2999 is refused, not turned into odd paths",
         {"issue.toml": ISSUE_TOML.replace("date = 2024-12-19", "date = 0001-01-01")},
         expect=("date: expected a date from 1800-01-01 to 2999-12-31, got 0001-01-01",), where="issue.toml:1",
         validate=True),
    # case 17: an unbounded issue number, a datetime's Python repr in a message
    Case("number-huge", "an issue number of 10^20 is refused (TOML integers are unbounded in Python)",
         {"issue.toml": ISSUE_TOML.replace("number = 100", "number = 100000000000000000000")},
         expect=("number: expected a whole number of at most 9 digits, got 100000000000000000000",),
         where="issue.toml:2", validate=True),
    Case("datetime-not-date", "a date with a time is quoted as written, not as datetime.datetime(…)",
         {"issue.toml": ISSUE_TOML.replace("date = 2024-12-19", "date = 2024-12-19T08:00:00")},
         expect=("date: expected a date such as 2024-12-19 (no quotes) (the issue date), got 2024-12-19T08:00:00",),
         where="issue.toml:1", validate=True),
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

    result = runner.invoke(app, ["build", str(issue), "--out", str(out)], env=case.env)

    # a clean failure: our exit code, no exception escaping the CLI, no traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{case.id}: {type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == case.exit_code, f"{case.id}: exit {result.exit_code}, stderr:\n{result.stderr}"
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), last
    assert "error: error" not in result.stderr and "datetime." not in result.stderr  # case 17
    for text in case.expect:
        assert text in last, f"{case.id}: expected {text!r} in\n{last}"
    if case.where:
        name, _, line = case.where.partition(":")
        assert f"/{name}:{line + ':' if line else ''}" in last, f"{case.id}: expected {case.where} in\n{last}"
    # nothing written, anywhere, and nothing fetched
    # (the lock file, and the marker by which a build claims the site folder before it starts, are no output)
    # No output: the lock, the site's marker and the build cache (compositions a fixed rerun reuses) are not outputs.
    written = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".lock-")
               and p != out / "site" / ".epaper-site" and out / ".cache" not in p.parents] if out.exists() else []
    assert written == [], written
    new = [p for p in tmp_path.rglob("*") if p not in before and out not in (p, *p.parents)]
    assert new == [], f"{case.id}: files appeared outside --out: {new}"
    assert net.requests[requests_before:] == []
    if case.validate:  # `epaper validate` says the same before anything is built
        checked = runner.invoke(app, ["validate", str(issue)], env=case.env)
        assert checked.exit_code == case.exit_code and checked.stderr.strip().splitlines()[-1] == last


def test_every_case_is_documented():
    for case in CASES:
        assert case.why and "\n" not in case.why and case.expect, case.id


# --- issue 18: options, the machine, serve and check ----------------------------------------------------------

def last_line(result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output + result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("pattern", ["{paper} {date:%Y年%-m月%-d日}", "{paper}（{date:%Y-%m-%d %A}）", "{{paper}}",
                                     "{date}", "{date:%B %-d, %Y}"])
def test_documented_epub_title_patterns_are_accepted(make_issue, pattern: str):
    """Case 1, the other side: the documented fields and date formats still pass, and the title is what the
    pattern says."""
    from epaper.render.epub.epub_meta import epub_title
    from epaper.source.folder import load_issue

    toml_pattern = pattern.replace("\\", "\\\\").replace('"', '\\"')
    issue = make_issue({"../paper.toml": PAPER_TOML + f'epub_title = "{toml_pattern}"\n'})
    result = runner.invoke(app, ["validate", str(issue)])
    assert result.exit_code == 0, result.stderr
    loaded = load_issue(issue)
    assert epub_title(loaded) == pattern.format(paper="测试日报", date=loaded.date)


@pytest.mark.parametrize("encoding", ["rot13", "hex", "base64", "zlib", "no-such-codec"])
def test_import_text_encoding_that_is_not_a_text_encoding(tmp_path: Path, encoding: str):
    """Case 3: `--encoding rot13` is a codec, but not of bytes to text (it raised LookupError)."""
    raw = tmp_path / "page.txt"
    raw.write_text("本报讯 第一段正文。\n", encoding="utf-8")
    result = runner.invoke(app, ["import-text", str(raw), "--out", str(tmp_path / "2024-12-19"),
                                 "--encoding", encoding])
    last = last_line(result)
    assert result.exit_code == 2, result.stderr
    problem = "unknown encoding" if encoding == "no-such-codec" else "is not a text encoding"
    assert last.startswith(f"error: --encoding: '{encoding}' {problem}" if encoding != "no-such-codec"
                           else f"error: --encoding: unknown encoding '{encoding}'"), last
    assert "expected one of: utf-8, gb18030, gbk, big5, cp950" in last
    assert not (tmp_path / "2024-12-19").exists()


def test_library_decode_refuses_a_codec_that_is_not_text(tmp_path: Path):
    """Case 3 through the library: the importer's decoder names the file and the accepted encodings."""
    from epaper.errors import InputError
    from epaper.source.decode import decode

    with pytest.raises(InputError, match=r"page\.txt: 'rot13' is not a text encoding \(expected one of: utf-8"):
        decode("abc".encode(), tmp_path / "page.txt", "rot13")


def test_import_text_date_out_of_range(tmp_path: Path):
    """Case 8 at the importer: --date 0001-01-01 is refused as the issue.toml date would be."""
    raw = tmp_path / "page.txt"
    raw.write_text("本报讯 第一段正文。\n", encoding="utf-8")
    result = runner.invoke(app, ["import-text", str(raw), "--out", str(tmp_path / "x"), "--date", "0001-01-01"])
    assert result.exit_code == 2
    assert last_line(result) == "error: --date: expected a date from 1800-01-01 to 2999-12-31, got 0001-01-01"
    assert not (tmp_path / "x").exists()


# --- builds that fail for want of room, and partial builds ------------------------------------------------------

SLUG = "test-daily-2024-12-19"
PDF_EPUB = ["--format", "pdf", "--format", "epub", "--workers", "1"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny issue built once (PDF and EPUB) into an OUT that tests copy: (issue folder, OUT)."""
    root = tmp_path_factory.mktemp("built")
    issue = write_issue(root / "in")
    out = root / "out"
    result = runner.invoke(app, ["build", str(issue), "--out", str(out), *PDF_EPUB])
    assert result.exit_code == 0, result.stderr
    return issue, out


def published(out: Path) -> dict[str, bytes]:
    """What a reader sees: OUT's top-level names and their bytes (links followed)."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name.startswith(SLUG + ".") and p.exists()}


def partials(out: Path) -> list[str]:
    return sorted(p.name for p in (out / ".builds").iterdir() if p.name.endswith(".partial"))


def copy_out(built: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    issue, base = built
    out = tmp_path / "out"
    shutil.copytree(base, out, symlinks=True)
    before = published(out)
    assert sorted(before) == [f"{SLUG}.epub", f"{SLUG}.layout.json", f"{SLUG}.pdf"]
    return issue, out, before


def test_file_size_limit_during_a_build(built, tmp_path: Path):
    """Case 4, EFBIG: `ulimit -f` (RLIMIT_FSIZE; Python ignores SIGXFSZ, so writes fail with EFBIG) stops the
    build with one line naming the file and the limit, exit 4; the previous outputs stay, no .partial is left."""
    issue, out, before = copy_out(built, tmp_path)
    limit = 64 * 1024  # the page PDF alone is larger

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    # this checkout's epaper, and UTF-8 output whatever the machine's locale
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "epaper", "build", str(issue), "--out", str(out), "--no-cache",
                           *PDF_EPUB], capture_output=True, encoding="utf-8", preexec_fn=limited, timeout=300,
                          cwd=tmp_path, env=env)
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot write {out / '.builds'}/{SLUG}-2.partial/{SLUG}.pdf: the file-size limit "
                           "is reached (ulimit -f); nothing was published, the previous outputs are kept"), last
    assert published(out) == before
    assert partials(out) == []


def test_disk_full_during_a_build(built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Case 4, ENOSPC (a full disk cannot be made without mount rights: the EPUB's write fails as a full disk
    fails it): one line naming the file, exit 4, the previous outputs kept, the staging folder removed."""
    from epaper.render.epub import epub

    issue, out, before = copy_out(built, tmp_path)

    def full(draft, target: Path, **kw) -> None:
        target.write_bytes(b"PK\x03\x04 half a book")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(epub, "write_draft", full)  # the build's EPUB writer (its draft is made before the PDF)
    result = runner.invoke(app, ["build", str(issue), "--out", str(out), *PDF_EPUB])
    assert result.exit_code == 4
    last = last_line(result)
    assert last.startswith(f"error: cannot write {out / '.builds'}/{SLUG}-2.partial/{SLUG}.epub: no space left on "
                           "the device; nothing was published, the previous outputs are kept"), last
    assert published(out) == before
    assert partials(out) == []


def test_a_format_not_built_this_time_is_not_left_looking_current(built, tmp_path: Path):
    """Case 15: `--format epub` after a full build publishes the new EPUB alone: no PDF or layout.json of the
    previous build stays beside it (they stay in the previous build folder, which is kept)."""
    issue, out, before = copy_out(built, tmp_path)
    result = runner.invoke(app, ["build", str(issue), "--out", str(out), "--format", "epub", "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    assert sorted(published(out)) == [f"{SLUG}.epub"]
    assert not os.path.lexists(out / f"{SLUG}.pdf") and not os.path.lexists(out / f"{SLUG}.layout.json")
    assert [line for line in result.stdout.splitlines() if line.startswith("wrote ")] == [f"wrote {out / SLUG}.epub"]
    previous = out / ".builds" / f"{SLUG}-1"
    assert (previous / f"{SLUG}.pdf").read_bytes() == before[f"{SLUG}.pdf"]


def test_stale_partial_folders_are_cleaned_unless_their_build_runs(tmp_path: Path):
    """Case 16: staging folders of killed builds, of this issue and of others, go on the next build into OUT;
    one whose build still holds its lock stays."""
    import fcntl

    from epaper.publish import publishing

    out = tmp_path / "out"
    (out / ".builds").mkdir(parents=True)
    stale = [out / ".builds" / name for name in (f"{SLUG}-3.partial", "other-daily-2024-12-18-7.partial",
                                                 "third-2024-01-01-1.partial")]
    running = out / ".builds" / "busy-2024-12-19-2.partial"
    for folder in (*stale, running):
        folder.mkdir()
        (folder / "half.pdf").write_bytes(b"%PDF-1.7 half")
    fd = os.open(out / ".lock-busy-2024-12-19", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a build of busy-2024-12-19 is running in another process
        with pytest.raises(RuntimeError):  # the next build fails: the leftovers go all the same
            with publishing(out, SLUG, durable=False):
                raise RuntimeError("the build failed")
        assert [p for p in stale if p.exists()] == []
        assert running.is_dir()
    finally:
        os.close(fd)
    assert partials(out) == ["busy-2024-12-19-2.partial"]


# --- epaper serve ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site_server(tmp_path_factory: pytest.TempPathFactory):
    from epaper.serve import SiteServer

    root = tmp_path_factory.mktemp("serve")
    site = root / "site"
    (site / "2024-12" / "19").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>往期</title>", encoding="utf-8")
    (site / "2024-12" / "19" / "page-01.html").write_text("<!doctype html><title>1</title>", encoding="utf-8")
    (root / "issue").mkdir()
    with SiteServer(root / "issue", site, lambda: None, host="127.0.0.1", port=0).start(build_first=False) as server:
        yield server


def get(server, path: str) -> tuple[int, bytes]:
    host, port = server.httpd.server_address[:2]
    assert host == "127.0.0.1"
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path, status", [
    ("/%00", 400), ("/index.html%00", 400), ("/a%00b/index.html", 400),  # a NUL closed the connection unanswered
    ("/%ff", 400), ("/%c0%af", 400),  # not UTF-8
    ("/2024-12/", 404), ("/2024-12/19/", 404),  # folders without index.html: no listing
    ("/%2e%2e/%2e%2e/etc/passwd", 404), ("/..%2f..%2fetc%2fpasswd", 404), ("/nothing.html", 404),
    ("/", 200), ("/2024-12/19/page-01.html", 200),
])
def test_serve_answers_invalid_paths(site_server, path: str, status: int):
    """Case 5: every request gets an answer; invalid paths 400, folders without a page 404, never a listing."""
    got, body = get(site_server, path)
    assert got == status, (path, got, body[:200])
    assert b"Directory listing" not in body and b"root:" not in body


# --- epaper check --output --------------------------------------------------------------------------------------

def test_check_output_refuses_files_epaper_did_not_build(built, tmp_path: Path):
    """Case 10: `epaper check --output` of a text file (say /etc/passwd; here a copy of its form) and of a PDF
    another program made are errors E620 and E621; the PDF and EPUB epaper built are neither."""
    import pikepdf

    issue, out = built
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    foreign = tmp_path / "letter.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.docinfo["/Creator"] = "Writer"
        pdf.save(foreign)
    renamed = tmp_path / "book.bin"  # an epaper PDF under another name is still recognised by its content
    renamed.write_bytes((out / f"{SLUG}.pdf").read_bytes())
    files = [passwd, foreign, renamed, out / f"{SLUG}.pdf"]
    result = runner.invoke(app, ["check", str(issue), "--json", *[a for f in files for a in ("--output", str(f))]])
    assert result.exit_code == 1
    findings = [f for f in json.loads(result.stdout) if f["code"] in ("E620", "E621", "E601", "E611")]
    assert findings == [
        {"code": "E620", "severity": "error", "message": "not a PDF or EPUB: its content is neither",
         "where": str(passwd), "hint": "name the .pdf, .press.pdf or .epub files epaper built"},
        {"code": "E621", "severity": "error", "message": "the PDF was made by 'Writer', not by epaper",
         "where": str(foreign), "hint": "check the PDF epaper built; its checks do not vouch for other programs' files"},
    ], findings
    plain = runner.invoke(app, ["check", str(issue), "--output", str(passwd)])
    assert f"error E620: {passwd}: not a PDF or EPUB" in plain.stderr and plain.exit_code == 1


# ---- issue 18: where each case is tested -------------------------------------------------------------------------
# Cases that are not a broken issue folder live beside the code they exercise; this table lists them all, with the
# message a user sees, and the test below makes sure every named test exists, so the list cannot go stale.
ISSUE_18_CASES: dict[int, tuple[str, list[str]]] = {
    1: ("paper.toml:6: epub_title: {paper.__class__} is not allowed in the pattern; expected only {paper}, {date}",
        ["tests/test_bad_input.py::test_bad_input", "tests/test_bad_input.py::test_documented_epub_title_patterns_are_accepted"]),
    2: ("SOURCE_DATE_EPOCH: expected whole seconds since 1970-01-01 00:00 UTC (0 to 253402300799, …), got 'abc'",
        ["tests/test_bad_input.py::test_bad_input"]),
    3: ("--encoding: 'rot13' is not a text encoding; expected one of: utf-8, gb18030, gbk, big5, cp950 …",
        ["tests/test_bad_input.py::test_import_text_encoding_that_is_not_a_text_encoding",
         "tests/test_bad_input.py::test_library_decode_refuses_a_codec_that_is_not_text"]),
    4: ("cannot write OUT/.builds/SLUG-N.partial/…: the file-size limit is reached (ulimit -f); nothing was published",
        ["tests/test_bad_input.py::test_file_size_limit_during_a_build",
         "tests/test_bad_input.py::test_disk_full_during_a_build"]),
    5: ("HTTP 400 for /%00, 404 for a folder without index.html (no listing)",
        ["tests/test_bad_input.py::test_serve_answers_invalid_paths"]),
    6: ("photos[0].file: image 'images/p.png' cannot be read: it is a BMP file: expected JPEG, PNG, TIFF, WebP or GIF",
        ["tests/test_bad_input_content.py::test_cmyk_tiff_named_png_builds_with_its_photo",
         "tests/test_bad_input_content.py::test_an_image_of_another_format_is_refused_with_its_format"]),
    7: ("a literal * survives; [text](url) keeps its URL (print: text（url）); other markup is refused with file:line",
        ["tests/test_markup.py::test_refused_markup_names_file_and_line",
         "tests/test_markup.py::test_literal_text_stays_literal",
         "tests/test_markup.py::test_print_keeps_stars_and_prints_the_url"]),
    8: ("issue.toml:1: date: expected a date from 1800-01-01 to 2999-12-31, got 0001-01-01",
        ["tests/test_bad_input.py::test_bad_input", "tests/test_bad_input.py::test_import_text_date_out_of_range"]),
    9: ("issue date 2024-12-19: read from the text (x.txt:1: “…”) — also said in REVIEW.md",
        ["tests/test_import_conventions.py::test_date_read_from_the_text_and_said",
         "tests/test_import_conventions.py::test_date_from_the_folder_name_or_today_is_said"]),
    10: ("E620: not a PDF or EPUB; E621: a PDF made by another program",
         ["tests/test_bad_input.py::test_check_output_refuses_files_epaper_did_not_build"]),
    11: ("lead.md:8: column 4: invisible character U+202E (RIGHT-TO-LEFT OVERRIDE): a bidi control, …",
         ["tests/test_bad_input_content.py::test_invisible_characters_are_refused"]),
    12: ("lead.md:8: NUL byte (0x00) at byte offset 133 (line 8, byte 10 of the line): expected UTF-8 text",
         ["tests/test_bad_input_content.py::test_nul_byte_names_file_line_and_byte_offset"]),
    13: ("an image over 80 megapixels is refused from its header, before decoding (E410 in preflight)",
         ["tests/test_bad_input_content.py::test_giant_image_is_refused_before_decoding",
          "tests/test_bad_input_content.py::test_pixel_limit_holds_in_every_output"]),
    14: ("--site: not a web e-paper folder made by epaper (no .epaper-site) and not empty (index.html); … --force-site",
         ["tests/test_web_phone.py::test_site_folder_of_other_files_is_refused_unless_forced"]),
    15: ("a build publishes only what it made: an older PDF link is removed by an EPUB-only build",
         ["tests/test_bad_input.py::test_a_format_not_built_this_time_is_not_left_looking_current"]),
    16: ("stale .partial folders whose build holds no lock are removed by the next build",
         ["tests/test_bad_input.py::test_stale_partial_folders_are_cleaned_unless_their_build_runs"]),
    17: ("error: E302: … (no 'error: error'); numbers over 9 digits refused; no datetime repr in messages",
         ["tests/test_bad_input.py::test_bad_input"]),
    18: ("E615: a font program the declared PDF/X version does not allow",
         ["tests/test_bad_input_content.py::test_check_output_catches_opentype_in_pdfx_1a",
          "tests/test_bad_input_content.py::test_press_embeds_bare_cff_as_pdfx_1a_allows"]),
    19: ("DAISY Ace: no violation (dc:source refined as source-of pagination)",
         ["tests/test_kepub.py::test_periodical_metadata_and_pagination_source",
          "tests/test_kepub.py::test_daisy_ace_finds_no_violation"]),
    20: ("the two navigation landmarks are named 网站导航 and 当前位置",
         ["tests/test_web_phone.py::test_navigation_landmarks_have_distinct_names"]),
}


def test_every_case_of_issue_18_has_its_test():
    import ast

    assert sorted(ISSUE_18_CASES) == list(range(1, 21))
    for case, (message, tests) in ISSUE_18_CASES.items():
        assert message and tests, case
        for node_id in tests:
            path, _, name = node_id.partition("::")
            tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
            names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
            assert name in names, f"case {case}: {node_id} does not exist"
