"""An article's Markdown body in, a tuple of model.Block (paragraphs and subheads) out; raw HTML is refused.

Inline markup copy may use (README, "An article"): a link `[text](https://…)` or `<https://…>`, ruby
`{漢字|hàn zì}` and 着重号 `{{文字}}`; everything else is literal text, so `5*3`, `*` footnote stars and `_` print
as typed (Markdown emphasis is off: a newspaper body has no italics or bold). A backslash keeps `{`, `|`, `}` literal.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from markdown_it import MarkdownIt

from ..errors import InputError
from ..marks import Mark, MarkedBlock
from ..model import Block
from ..schema import bad_character

# Raw HTML is parsed only to be refused with a line number: copy comes from many hands and the body is
# plain news text (with html off, markdown-it would pass tags through as literal text). text_join stays off so
# that an escaped brace or bar (`\{`) is still told apart from markup.
_MD = MarkdownIt("commonmark", {"html": True}).disable(["emphasis", "text_join"])

# Stand-ins while a paragraph's inline tokens are joined: control characters, which copy may not hold
# (bad_character refuses them in every token before they are added)
_LINK_OPEN, _LINK_CLOSE, _LIT_OPEN, _LIT_BAR, _LIT_CLOSE = "\x01\x02\x03\x04\x05"
_SENTINELS = frozenset("\x01\x02\x03\x04\x05")
_LITERAL = {"{": _LIT_OPEN, "|": _LIT_BAR, "}": _LIT_CLOSE}
_UNLITERAL = {_LIT_OPEN: "{", _LIT_BAR: "|", _LIT_CLOSE: "}"}
LINK_SCHEMES = ("http://", "https://", "mailto:")
RUBY_MAX = 12  # characters of a ruby base: longer is a typo (a stray `{`), not a name
# A run of characters `scan` copies as they are: no stand-in, no brace (and, inside 着重号, no closing brace)
_PLAIN = re.compile("[^\x01-\x05{]+")
_PLAIN_UNTIL = re.compile("[^\x01-\x05{}]+")
_MARKUP_HINT = "copy may use [text](https://…) links, {漢字|hàn zì} ruby and {{文字}} 着重号; write \\{ for a literal brace"


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _edge(text: str, last: bool) -> str:
    """The last (or first) character of text that is not a stand-in."""
    chars = reversed(text) if last else iter(text)
    return next((c for c in chars if c not in _SENTINELS), "")


def _join(left: str, right: str) -> str:
    """Join a soft-wrapped line: no space between CJK characters, one space in Latin text."""
    a, b = _edge(left, True), _edge(right, False)
    if not a or not b:
        return left + right
    if _is_wide(a) or _is_wide(b):
        return left + right
    return f"{left} {right}"


class _Inline:
    """Turns a paragraph's joined text (with stand-ins) into the printed text and its marks."""

    def __init__(self, file: Path, line: int | None, text: str, urls: list[str]):
        self.file, self.line, self.src, self.urls = file, line, text, urls
        self.out: list[str] = []
        self.marks: list[Mark] = []

    def fail(self, message: str) -> InputError:
        return InputError(self.file, message, line=self.line, hint=_MARKUP_HINT)

    def run(self) -> tuple[str, tuple[Mark, ...]]:
        i = self.scan(0, "")
        assert i == len(self.src)
        # leading and trailing spaces go, as they always did; marks move with the text
        text = "".join(self.out)
        lead = len(text) - len(text.lstrip())
        text = text.strip()
        marks = tuple(sorted((Mark(m.kind, m.start - lead, m.end - lead, m.value) for m in self.marks),
                             key=lambda m: (m.start, m.end, m.kind)))
        return text, marks

    def pos(self) -> int:
        return sum(len(s) for s in self.out)

    def scan(self, i: int, until: str) -> int:
        """Copy src from i into out until `until` ('' = the end, '}}' = the end of 着重号); returns where it stopped."""
        src = self.src
        plain = _PLAIN_UNTIL if until else _PLAIN
        while i < len(src):
            if until and src.startswith(until, i):
                return i
            ch = src[i]
            if run := plain.match(src, i):  # text without markup is copied as it is, in one piece
                self.out.append(run.group())
                i = run.end()
            elif ch == _LINK_OPEN:
                i = self.link(i + 1, until)
            elif ch == _LINK_CLOSE:
                raise self.fail("a link ends where it did not begin")  # markdown-it never makes one; be safe
            elif src.startswith("{{", i) and (end := src.find("}}", i + 2)) >= 0 and not until:
                start = self.pos()
                j = self.scan(i + 2, "}}")
                if j != end and not src.startswith("}}", j):
                    raise self.fail("着重号 {{…}} is not closed")
                if self.pos() == start:
                    raise self.fail("着重号 {{}} holds no text")
                self.marks.append(Mark("dots", start, self.pos()))
                i = j + 2
            elif ch == "{" and (ruby := self.ruby_at(i)) is not None:
                i = ruby
            else:
                self.out.append(_UNLITERAL.get(ch, ch))
                i += 1
        if until:
            raise self.fail("着重号 {{…}} is not closed")
        return i

    def link(self, i: int, until: str) -> int:
        url = self.urls.pop(0)
        if not url.startswith(LINK_SCHEMES):
            raise self.fail(f"link target '{url}' is not a web address: expected http://, https:// or mailto:")
        start = self.pos()
        end = self.src.find(_LINK_CLOSE, i)
        if _LINK_OPEN in self.src[i:end]:  # `[<https://a>](https://b)`: markdown-it nests the autolink
            raise self.fail(f"the text of the link to '{url}' holds another link")
        inner = _Inline(self.file, self.line, self.src[i:end], [])
        inner.scan(0, "")
        text = "".join(inner.out)
        if not text.strip():
            raise self.fail(f"link to '{url}' has no text")
        self.out.append(text)
        self.marks.extend(Mark(m.kind, m.start + start, m.end + start, m.value) for m in inner.marks)
        self.marks.append(Mark("link", start, self.pos(), url))
        shown = url.removeprefix("mailto:")
        if text.strip() != shown:
            # print cannot be clicked: the address follows the text, in full-width brackets after Chinese
            wide = _is_wide(text.rstrip()[-1])
            suffix = f"（{shown}）" if wide else f" ({shown})"
            at = self.pos()
            self.out.append(suffix)
            self.marks.append(Mark("print", at, self.pos()))
        return end + 1

    def ruby_at(self, i: int) -> int | None:
        """`{base|ruby}` at i: add it and return the index after it; None if it is not ruby (a literal brace)."""
        src = self.src
        close = src.find("}", i + 1)
        bar = src.find("|", i + 1)
        if close < 0 or bar < 0 or bar > close:
            return None
        base, ruby = src[i + 1:bar], src[bar + 1:close]
        if "{" in base or "|" in ruby:
            return None
        if any(c in _SENTINELS - {_LIT_OPEN, _LIT_BAR, _LIT_CLOSE} for c in base + ruby):
            raise self.fail("a ruby group {base|ruby} cannot hold a link")
        base = "".join(_UNLITERAL.get(c, c) for c in base)
        ruby = " ".join("".join(_UNLITERAL.get(c, c) for c in ruby).split())
        if not base.strip() or not ruby:
            raise self.fail(f"ruby '{{{base}|{ruby}}}' needs a base text and its reading, e.g. {{漢字|hàn zì}}")
        if base != base.strip() or " " in base or len(base) > RUBY_MAX:
            raise self.fail(f"ruby base '{base}' must be at most {RUBY_MAX} characters without spaces")
        start = self.pos()
        self.out.append(base)
        self.marks.append(Mark("ruby", start, self.pos(), ruby))
        return close + 1


def _inline_text(file: Path, line: int | None, children) -> tuple[str, list[str]]:
    """A paragraph's inline tokens as one string with stand-ins for links and escaped braces, and the link URLs."""
    parts = [""]
    urls: list[str] = []
    for child in children or ():
        if child.type in ("text", "code_inline", "text_special"):
            if problem := bad_character(child.content):
                raise InputError(file, problem, line=line, hint="delete it; it is invisible in most editors")
            content = child.content
            if child.type == "text_special" and child.info == "escape":
                content = _LITERAL.get(content, content)
            elif child.type == "code_inline":
                content = "".join(_LITERAL.get(c, c) for c in content)  # `code` is literal, braces and all
            parts[-1] += content
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("")
        elif child.type == "link_open":
            urls.append(child.attrs.get("href", ""))
            parts[-1] += _LINK_OPEN
        elif child.type == "link_close":
            parts[-1] += _LINK_CLOSE
        elif child.type == "html_inline":
            raise InputError(file, "raw HTML is not allowed in article text", line=line,
                             hint="write plain text; the layouts style every part of an article")
        elif child.type == "image":
            raise InputError(file, "images in the article body are not supported", line=line,
                             hint="add the photo as a [[photos]] table in the front matter")
    joined = parts[0]
    for part in parts[1:]:
        joined = _join(joined.rstrip(), part.lstrip())
    return joined, urls


def parse_body(file: Path, text: str, first_line: int) -> tuple[Block, ...]:
    blocks: list[Block] = []
    tokens = _MD.parse(text)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        line = tok.map[0] + first_line if tok.map else None
        if tok.type in ("paragraph_open", "heading_open"):
            joined, urls = _inline_text(file, line, tokens[i + 1].children)
            plain, marks = _Inline(file, line, joined, urls).run()
            if problem := bad_character(plain):
                raise InputError(file, problem, line=line, hint="delete it; it is invisible in most editors")
            kind = "h" if tok.type == "heading_open" else "p"
            if marks and kind == "h":
                raise InputError(file, "a subhead cannot hold links, ruby or 着重号", line=line,
                                 hint="put them in a paragraph")
            blocks.append(MarkedBlock(kind, plain, marks) if marks else Block(kind, plain))
            i += 3
            continue
        if tok.type in ("html_block",):
            raise InputError(file, "raw HTML is not allowed in article text", line=line,
                             hint="write plain text; the layouts style every part of an article")
        if tok.type.endswith("_open") or tok.type in ("fence", "code_block", "hr"):
            raise InputError(file, f"unsupported Markdown block '{tok.type.removesuffix('_open')}'", line=line,
                             hint="article bodies hold paragraphs and '## ' subheads only")
        i += 1
    return tuple(b for b in blocks if b.text)
