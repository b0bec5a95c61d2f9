"""Property tests: whatever text the loaders and the OCR importer are given, they return a model or raise one of
epaper's errors (InputError/EpaperError) — never another exception. Bounded: ~100 examples per target, no
deadline, no example database (nothing written into the repo); the whole file runs in well under a minute.

Needs `hypothesis` (test extras).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from epaper.errors import EpaperError  # noqa: E402
from epaper.source.folder import ARTICLE_FIELDS, ISSUE_FIELDS, PAGE_FIELDS, PHOTO_FIELDS, load_article, load_issue  # noqa: E402
from epaper.source.markdown import parse_body  # noqa: E402

from .conftest import write_issue  # noqa: E402

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

SCALARS = st.one_of(
    TEXT, st.integers(min_value=-2**63, max_value=2**63 - 1), st.floats(), st.booleans(),
    st.dates(), st.datetimes(), st.just(dt.date(2024, 12, 19)))
ANY = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                   | st.dictionaries(st.one_of(st.sampled_from(KEYS), TEXT), inner, max_size=3), max_leaves=6)


def near(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a valid value, sometimes anything: deep checks run, and type checks too."""
    return st.one_of(valid, valid, valid, ANY)


def extra() -> st.SearchStrategy[dict]:
    """Now and then one unknown or misplaced key."""
    return st.one_of(st.just({}), st.just({}), st.just({}), st.dictionaries(st.sampled_from(KEYS), ANY, max_size=1))


def table(required: dict, optional: dict) -> st.SearchStrategy[dict]:
    return st.tuples(st.fixed_dictionaries(required, optional=optional), extra()).map(lambda t: {**t[1], **t[0]})


PHOTO = table({"file": near(st.sampled_from(["images/p.png", "images/missing.png", "../paper.toml", "/etc/passwd",
                                             "images", "", "images/../images/p.png", "issue.toml", "articles/lead.md"]))},
              {"caption": near(TEXT), "credit": near(TEXT), "alt": near(TEXT), "placeholder": near(st.booleans())})
ARTICLE = table({}, {"kind": near(st.sampled_from(["article", "photo-news"])), "kicker": near(TEXT),
                     "title": near(TEXT), "subtitle": near(TEXT), "dateline": near(TEXT),
                     "reporters": near(st.lists(TEXT, max_size=3)), "correspondents": near(st.lists(TEXT, max_size=2)),
                     "photos": near(st.lists(PHOTO, max_size=2))})
PAGE = table({"number": near(st.integers(0, 3)), "name": near(TEXT), "editor": near(TEXT),
              "template": near(st.sampled_from(["front", "inside", "frnt"])),
              "articles": near(st.lists(st.sampled_from(["lead", "photo", "sidebar", "Lead", "新闻", "", "../lead"]),
                                        max_size=3))},
             {"designer": near(TEXT),
              "pins": near(st.dictionaries(st.sampled_from(["lead", "photo", "sidebar"]),
                                           near(st.fixed_dictionaries({}, optional={
                                               "columns": near(st.integers(-1, 14)),
                                               "zone": near(st.sampled_from(["side", "below", "", "top"]))})),
                                           max_size=2))})
ISSUE = table({"date": near(st.dates()), "number": near(st.integers(-2, 10**7)), "pages": near(st.lists(PAGE, max_size=3))},
              {"edition": near(st.sampled_from(["", "morning", "a/b", "晚"])), "lunar": near(TEXT),
               "weather": near(TEXT), "volume_number": near(st.integers())})
PAPER = table({"name": near(TEXT), "language": near(st.sampled_from(["zh-CN", "zh-TW", "zh-Hant", "en", "x", ""])),
               "layout": near(st.sampled_from(["broadsheet", "base", "tabloid", "../layouts/broadsheet"]))},
              {"slug": near(st.sampled_from(["test-daily", "Test", "a/b", ""])), "cn": near(TEXT),
               "composition": near(st.fixed_dictionaries({}, optional={
                   "kinsoku": near(st.sampled_from(["strict", "basic", "loose", "none"])),
                   "han_latin_space": near(st.floats(-1, 2)), "compress_punctuation": near(st.booleans())}))})


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


def toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else toml_string(k)


def toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(v), repr(v))
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    assert isinstance(v, dict)
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_document(data: dict) -> str:
    """A top-level table as TOML text: scalars and lists first, then [table] and [[array of tables]] sections."""
    lines, sections = [], []
    for k, v in data.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for x in v:
                sections.append(f"[[{toml_key(k)}]]\n" + "".join(f"{toml_key(a)} = {toml_value(b)}\n" for a, b in x.items()))
        elif isinstance(v, dict):
            sections.append(f"[{toml_key(k)}]\n" + "".join(f"{toml_key(a)} = {toml_value(b)}\n" for a, b in v.items()))
        else:
            lines.append(f"{toml_key(k)} = {toml_value(v)}\n")
    return "".join(lines) + "\n".join(sections)


@st.composite
def mutated(draw, text: str) -> str:
    """One edit of a text: a span deleted, or a special string inserted, at a drawn position."""
    i = draw(st.integers(0, len(text)))
    if draw(st.booleans()):
        return text[:i] + text[i + draw(st.integers(0, 20)):]
    return text[:i] + draw(st.sampled_from(SPECIAL)) + text[i:]


def documents(tables: st.SearchStrategy[dict]) -> st.SearchStrategy[str]:
    """TOML text: mostly a serialised near-valid table, sometimes one edited, sometimes raw junk."""
    text = tables.map(toml_document)
    return st.one_of(text, text, text, text.flatmap(mutated), TEXT)


_QUOTED = re.compile(r"[0-9]+|'[^']*'|\"[^\"]*\"")


def _only_our_errors(call):
    """Run call(); epaper's own errors are fine outcomes (counted in --hypothesis-show-statistics)."""
    try:
        result = call()
    except EpaperError as exc:
        message = getattr(exc, "message", str(exc))
        event(f"{type(exc).__name__}: {_QUOTED.sub('…', message)[:60]}")
        return None
    event("loaded")
    return result


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


_counter = itertools.count()


# --- targets ----------------------------------------------------------------------------------------------------

@FUZZ
@given(front=documents(ARTICLE))
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
@given(text=documents(ISSUE))
def test_issue_toml(workdir: Path, text: str):
    issue = write_issue(workdir / f"issue-{next(_counter)}")
    (issue / "issue.toml").write_bytes(text.encode("utf-8", "surrogatepass"))
    _only_our_errors(lambda: load_issue(issue))


@FUZZ
@given(text=documents(PAPER))
def test_paper_toml(workdir: Path, text: str):
    root = workdir / f"paper-{next(_counter)}"
    issue = write_issue(root)
    (issue.parent / "paper.toml").write_bytes(text.encode("utf-8", "surrogatepass"))
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
    from epaper.ocr import ImportOptions, import_text

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
