"""Property tests: whatever text the loaders and the OCR importer are given, they return a model or raise one of
epaper's errors (InputError/EpaperError) — never another exception. Bounded: ~100 examples per target, no
deadline, no example database (nothing written into the repo); the whole file runs in well under a minute.

Needs `hypothesis` (test extras).
"""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from epaper.errors import EpaperError  # noqa: E402
from epaper.source.folder import ARTICLE_FIELDS, ISSUE_FIELDS, PAGE_FIELDS, PHOTO_FIELDS, load_article, load_issue  # noqa: E402
from epaper.source.markdown import parse_body  # noqa: E402

from .conftest import PAPER_TOML, write_issue  # noqa: E402

FUZZ = settings(max_examples=100, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


# --- strategies -----------------------------------------------------------------------------------------------

# Text that matters to these parsers: TOML and Markdown punctuation, CJK, full-width forms, controls, BOM,
# combining marks, astral characters, line and paragraph separators.
SPECIAL = list("+-=[]{}\"'#\\.,:*_`<>!()&;|~^$%@/ \t\n\r") + ["+++", "---", "## ", "> ", "1. ", "```", "<b>", "<!--",
                                                           "&lt;", "\\u00", "\x00", "\x07", "\x0b", "\x0c",
                                                           "\ufeff", "\u2028", "\u2029", "\u0301", "\U0002A6D6",
                                                           "\ud7ff", "\uffff", "本报讯", "新华社北京12月18日电"]
TEXT = st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=6),
                          st.text(alphabet=st.characters(min_codepoint=0x3000, max_codepoint=0x9FFF), max_size=8)),
                max_size=40).map("".join)

KEYS = sorted({*ARTICLE_FIELDS, *ISSUE_FIELDS, *PAGE_FIELDS, *PHOTO_FIELDS, "numbr", "titel", "photo"})


def toml_string(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("?")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(depth: int = 0) -> st.SearchStrategy[str]:
    """A TOML value as text: strings, numbers, booleans, dates, lists and inline tables (mostly valid TOML)."""
    scalars = st.one_of(
        TEXT.map(toml_string),
        st.integers(min_value=-2**63, max_value=2**63 - 1).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(lambda f: {"nan": "nan", "inf": "inf", "-inf": "-inf"}
                                                           .get(str(f), repr(f))),
        st.booleans().map(lambda b: "true" if b else "false"),
        st.dates(min_value=dt.date(1, 1, 1)).map(lambda d: d.strftime("%Y-%m-%d") if d.year >= 1000 else f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
        st.datetimes().map(lambda d: d.isoformat()),
        st.just("2024-12-19"),
    )
    if depth >= 2:
        return scalars
    inner = toml_value(depth + 1)
    return st.one_of(
        scalars,
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3).map(
            lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}"),
    )


def toml_document(tables: tuple[str, ...]) -> st.SearchStrategy[str]:
    """key = value lines, then [[table]] sections, with now and then a raw junk line."""
    line = st.one_of(st.tuples(st.sampled_from(KEYS), toml_value()).map(lambda kv: f"{kv[0]} = {kv[1]}"),
                     TEXT.filter(lambda t: "\n" not in t and "\r" not in t))
    body = st.lists(line, max_size=8).map("\n".join)
    section = st.tuples(st.sampled_from(tables), body).map(lambda t: f"[[{t[0]}]]\n{t[1]}")
    return st.tuples(body, st.lists(section, max_size=3)).map(lambda t: "\n".join([t[0], *t[1]]) + "\n")


def _only_our_errors(call):
    try:
        return call()
    except EpaperError:
        return None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


_counter = itertools.count()


# --- targets ----------------------------------------------------------------------------------------------------

@FUZZ
@given(front=st.one_of(toml_document(("photos",)), TEXT))
def test_front_matter(workdir: Path, front: str):
    issue = workdir / "front" / "paper" / "2024-12-19"
    if not issue.exists():
        write_issue(workdir / "front")
    file = issue / "articles" / "fuzz.md"
    file.write_text(f"+++\n{front}\n+++\n\n正文一段。\n", encoding="utf-8", errors="surrogatepass")
    _only_our_errors(lambda: load_article(file, issue.resolve()))


@FUZZ
@given(body=TEXT, first_line=st.integers(min_value=1, max_value=10_000))
def test_markdown_body(body: str, first_line: int):
    blocks = _only_our_errors(lambda: parse_body(Path("articles/x.md"), body, first_line))
    for block in blocks or ():
        assert block.kind in ("p", "h") and block.text == block.text.strip() and block.text


@FUZZ
@given(text=st.one_of(toml_document(("pages",)), TEXT), raw=st.booleans())
def test_issue_toml(workdir: Path, text: str, raw: bool):
    root = workdir / f"issue-{next(_counter)}"
    issue = write_issue(root)
    if not raw:  # keep a valid page plan after the fuzzed head, so that deeper checks run too
        text += textwrap.dedent("""
            [[pages]]
            number = 1
            name = "要闻"
            editor = "王编辑"
            template = "front"
            articles = ["lead", "photo"]
            """)
    (issue / "issue.toml").write_bytes(text.encode("utf-8", "surrogatepass"))
    _only_our_errors(lambda: load_issue(issue))


@FUZZ
@given(text=st.one_of(toml_document(("composition",)), TEXT))
def test_paper_toml(workdir: Path, text: str):
    root = workdir / f"paper-{next(_counter)}"
    issue = write_issue(root)
    (issue.parent / "paper.toml").write_bytes((PAPER_TOML + text).encode("utf-8", "surrogatepass"))
    _only_our_errors(lambda: load_issue(issue))


OCR_LINE = st.one_of(
    TEXT,
    st.sampled_from(["本报讯（记者 王某）", "新华社北京12月18日电", "■ 图片新闻", "（上接第1版）", "责任编辑：张三",
                     "2024年12月19日 星期四", "第 1 版", "武进日报", "  ", "——", "“", "”", "。", "……"]),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=40)
    .map(lambda s: s + "。"),
)


@FUZZ
@given(lines=st.lists(OCR_LINE, max_size=30), encoding=st.sampled_from(["utf-8", "gb18030", "utf-16", "bytes"]),
       junk=st.binary(max_size=64))
def test_ocr_import(workdir: Path, lines: list[str], encoding: str, junk: bytes):
    from epaper.source.ocr import ImportOptions, import_text

    n = next(_counter)
    src = workdir / f"ocr-{n}.txt"
    text = "\n".join(lines)
    if encoding == "bytes":
        data = junk + text.encode("utf-8", "surrogatepass")
    else:
        data = text.encode(encoding, "replace")
    src.write_bytes(data)
    out = workdir / f"ocr-out-{n}" / "2024-12-19"
    _only_our_errors(lambda: import_text([src], out, options=ImportOptions(overwrite=True)))


def test_fuzz_examples_reach_the_deep_checks(workdir: Path):
    """A sanity check of the harness: a valid article and issue written the way the targets write them load."""
    issue = write_issue(workdir / "sanity")
    file = issue / "articles" / "lead.md"
    assert load_article(file, issue.resolve()).title == "主题写在这里"
    assert load_issue(issue).pages
