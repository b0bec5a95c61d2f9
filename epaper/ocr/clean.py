"""The decoded lines of one input file in; markup read and taken out, web-page chrome removed with its reason,
character-spaced OCR closed up, and what the text says about itself (its kind, heading levels, dates) out."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from .options import ImportOptions
from .patterns import (CHROME_LINES, CHROME_STRONG, DATE_PREFIX, FURNITURE, FURNITURE_REASON, HTML_ENTITIES, NAV_SPLIT, NAV_WORDS, PAGE_BREAK,
                       WEB_META, date_in)
from .text import HAN, HAN_RE, SPACES, Traced, han_only

HEADING_MD = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]*(?=\S)")
HEADING_MD_TAIL = re.compile(r"[ \t]+#+[ \t]*$")
BOLD_LINE = re.compile(r"^[ \t]*(\*\*|__)(?P<inner>[^*_].*?)(\*\*|__)[ \t]*$")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
BULLET = re.compile(r"^[ \t]*[-*+•][ \t]+(?=\S)")
ORDERED = re.compile(r"^[ \t]*\d{1,3}[.)、][ \t]*(?=\S)")
RULE = re.compile(r"^[ \t]*(?:-{3,}|\*{3,}|_{3,}|={3,}|—{3,})[ \t]*$")
DECORATION = re.compile(r"^[ \t\u3000]*(?:[-*_=—─━※◆◇●○★☆·~]{3,}[ \t\u3000]*)$")
TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t:|-]*-{3,}[ \t:|-]*\|?[ \t]*$")
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\([^)]*\)")
LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?:https?:|/|\.|#|www)[^)]*\)")
QUOTE_MARK = re.compile(r"^[ \t]*>[ \t]?")
TAG = re.compile(r"</?(?P<name>[a-zA-Z][a-zA-Z0-9]*)\b[^<>]*?/?>")
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
JSON_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\.")
CELL_END = re.compile(r"</t[dh]>\s*(?=<t[dh]\b)", re.I)
HEADING_TAG = re.compile(r"^[ \t]*<h(?P<level>[1-6])\b[^>]*>")
BREAK_TAGS = ("p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table")
BOLD_LEVEL = 7  # a line that is bold all through: a heading, smaller than any # heading
SPACED_HAN = re.compile(f"[{HAN}] (?=[^ \n])")
SPACED_SHARE = 0.6  # Han characters followed by a single space, of all Han followed by anything: OCR spacing
CLASSICAL_PUNCT = 1 / 25  # sentence marks per Han character below which a page is unpunctuated (申報-style)
CLASSICAL_LINE = 12  # Han characters a line needs to count as text when judging the punctuation
CLASSICAL_MIN = 80  # Han characters a page needs before it can be called unpunctuated


@dataclass(frozen=True)
class Removed:
    """A passage taken out of the copy, with the reason written above it in removed.txt."""

    reason: str
    text: Traced


@dataclass
class Cleaned:
    """One file's lines ready for segmenting, what was removed, and what the markup said about the lines."""

    lines: list[Traced]
    removed: list[Removed] = field(default_factory=list)
    levels: dict[int, int] = field(default_factory=dict)  # input line → heading level (1 = largest)
    breaks: set[int] = field(default_factory=set)  # input lines that start a paragraph (list items, table rows)
    dates: list[tuple[dt.date, int, str]] = field(default_factory=list)  # (date, input line, the text saying it)
    kinds: list[str] = field(default_factory=list)  # "markdown", "html", "web page", "spaced OCR", "unpunctuated"

    @property
    def classical(self) -> bool:
        return "unpunctuated" in self.kinds


def _delete(t: Traced, pattern: re.Pattern[str], keep: str | None = None) -> Traced:
    """Every match of pattern taken out of t, except its group `keep`."""
    drop: set[int] = set()
    for m in pattern.finditer(t.text):
        kept = range(m.start(keep), m.end(keep)) if keep and m.group(keep) is not None else range(0)
        drop.update(i for i in range(m.start(), m.end()) if i not in kept)
    return t.delete_at(drop) if drop else t


def _markdown(lines: list[Traced], out: Cleaned) -> list[Traced]:
    """Headings, bold, lists, tables, rules, links and images read and their marks removed."""
    res: list[Traced] = []
    in_block = False  # inside a list or table: the first line after it starts a paragraph too
    for t in lines:
        n = t.line
        if RULE.match(t.text) or TABLE_RULE.match(t.text) and "|" in t.text:
            res.append(t[:0])  # a rule separates stories: kept as a blank line
            continue
        if in_block and t.text.strip():
            out.breaks.add(n)
            in_block = False
        if (m := HEADING_MD.match(t.text)) is not None:
            out.levels[n] = len(m.group(1))
            t = _delete(_delete(t, HEADING_MD), HEADING_MD_TAIL)
        elif (m := BOLD_LINE.match(t.text)) is not None and not re.search("[。！？]$", m.group("inner").strip()):
            out.levels[n] = BOLD_LEVEL
        if TABLE_ROW.match(t.text):
            t = t.strip()
            t = t[1:len(t) - 1].sub(re.compile(r"[ \t]*\|[ \t]*"), "／")  # cells kept apart by a solidus
            out.breaks.add(n)
            in_block = True
        elif (m := BULLET.match(t.text)) is not None:
            t = t[m.end():]
            out.breaks.add(n)
            in_block = True
        elif ORDERED.match(t.text):
            out.breaks.add(n)  # the number is the paper's own copy (1. 2. 一、): kept
            in_block = True
        t = _delete(t, QUOTE_MARK)
        for m in IMAGE.finditer(t.text):
            alt = t[m.start("alt"):m.end("alt")]
            if han_only(alt.text):
                out.removed.append(Removed("image reference from the OCR export (the picture itself is not "
                                           "imported; its description is kept here)", alt))
        t = _delete(t, IMAGE)
        t = _delete(t, LINK, keep="text")
        t = _unbold(t)
        res.append(t)
    return res


def _unbold(t: Traced) -> Traced:
    drop: set[int] = set()
    for m in BOLD.finditer(t.text):
        drop.update((m.start(), m.start() + 1, m.end() - 2, m.end() - 1))
    return t.delete_at(drop) if drop else t


def _html(lines: list[Traced], out: Cleaned) -> list[Traced]:
    """Tags removed; block tags end a line (a paragraph: the text ends its sentences), h1–h6 give heading levels;
    entities decoded."""
    res: list[Traced] = []
    for t in lines:
        pieces: list[Traced] = []
        last = 0
        for m in TAG.finditer(t.text):
            if m.group("name").lower() in BREAK_TAGS:
                pieces.append(t[last:m.start()])
                last = m.start()
        pieces.append(t[last:])
        kept = 0
        for piece in pieces:
            if (h := HEADING_TAG.match(piece.text)) is not None and piece.line:
                out.levels[piece.line] = int(h.group("level"))
            if re.match(r"\s*<(?:p|tr|li|div|br)\b", piece.text, re.I) and piece.line:
                out.breaks.add(piece.line)  # a paragraph, table row or list item of the export: a paragraph
            piece = piece.sub(CELL_END, "／")  # cells of a row kept apart by a solidus, as in Markdown tables
            for m in TAG.finditer(piece.text):
                if HAN_RE.search(m.group()):  # <img alt="…">: words in a tag are not copy, but are kept
                    out.removed.append(Removed("text inside an HTML tag of the export (alt or title)",
                                               piece[m.start():m.end()]))
            piece = _delete(piece, TAG)
            piece = piece.sub(HTML_ENTITIES, lambda m: _entity(m.group()))
            if piece.strip():  # each block on a line of its own; marked headings need no blank line around them
                res.append(piece)
                kept += 1
        if not kept:
            res.append(t[:0])
    return res


def is_json(text: str) -> bool:
    """A cloud OCR result saved as JSON ({"words_result": [{"words": "…"}]} and its kin)."""
    if text.lstrip()[:1] not in "{[":
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _json_strings(lines: list[Traced]) -> list[Traced]:
    """Every string of the JSON that holds Han, in file order, one line each (a \\n inside one breaks the line);
    keys, numbers and brackets have no copy in them."""
    res: list[Traced] = []
    for t in lines:
        for m in JSON_STRING.finditer(t.text):
            inner = t[m.start() + 1:m.end() - 1].sub(JSON_ESCAPE, lambda e: _unescape(e.group()))
            if not HAN_RE.search(inner.text):
                continue
            last = 0
            for brk in re.finditer("\n", inner.text):
                res.append(inner[last:brk.start()])
                last = brk.end()
            res.append(inner[last:])
    return res


def json_copy(text: str) -> list[str]:
    """The strings of a JSON text (is_json is true for it), in order."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(text))
    return found


def _unescape(s: str) -> str:
    if s.startswith("\\u"):
        return chr(int(s[2:], 16))
    return {"\\n": "\n", "\\t": " ", "\\r": "", "\\b": "", "\\f": ""}.get(s, s[1:])


def _entity(s: str) -> str:
    named = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&#39;": "'",
             "&ldquo;": "“", "&rdquo;": "”", "&lsquo;": "‘", "&rsquo;": "’", "&mdash;": "—", "&hellip;": "…",
             "&middot;": "·", "&emsp;": "\u3000", "&ensp;": " "}
    if s in named:
        return named[s]
    m = re.fullmatch(r"&#(x?)([0-9a-fA-F]+);", s)
    if m:
        code = int(m.group(2), 16 if m.group(1) else 10)
        if 0x20 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
    return s


def _spaced(lines: list[Traced]) -> bool:
    """Tesseract-style OCR: nearly every Han character is followed by one space."""
    text = "\n".join(t.text for t in lines)
    total = len(HAN_RE.findall(text))
    spaced = len(SPACED_HAN.findall(text))
    return total >= 20 and spaced >= SPACED_SHARE * total


def _close_up(t: Traced) -> Traced:
    """Single spaces between characters go (also inside Latin words and numbers); a run of two or more was a real
    word space and becomes one."""
    s = t.text
    drop: set[int] = set()
    for m in re.finditer("[ ]+", s):
        if m.start() == 0 or m.end() == len(s):
            continue
        drop.update(range(m.start(), m.end()) if m.end() - m.start() == 1 else range(m.start() + 1, m.end()))
    return t.delete_at(drop) if drop else t


def _classical(lines: list[Traced]) -> bool:
    """Unpunctuated copy: judged on the lines long enough to be text (headlines, folios and navigation are short
    and unpunctuated on any page)."""
    body = [t.text for t in lines if len(han_only(t.text)) > CLASSICAL_LINE]
    han = sum(len(han_only(s)) for s in body)
    marks = sum(len(re.findall("[。！？；，、.,!?;]", s)) for s in body)
    return han >= CLASSICAL_MIN and marks < CLASSICAL_PUNCT * han


def _chrome(t: Traced, web: bool) -> str | None:
    """Why this line is web-page chrome (or page furniture the text itself gives away), or None."""
    s = t.text.strip(SPACES)
    if not s:
        return None
    for pattern, reason, strong in CHROME_LINES:
        if (strong or web) and pattern.search(s):
            return reason
    if web and WEB_META.match(s):
        return "web page metadata line (source, author, time, views): not printed copy"
    if web:
        tokens = [x for x in NAV_SPLIT.split(s) if x]
        if tokens and all(x in NAV_WORDS or re.fullmatch(r"第?\d{1,3}版?[：:]?", x) for x in tokens):
            return "site navigation"
    if PAGE_BREAK.match(s):
        return "page break marker of the scan (the text runs on across it)"
    if FURNITURE.match(s):
        return FURNITURE_REASON
    found = date_in(s)
    if found and len(s) <= 40 and not re.search("[，。,；]", s) and len(han_only(s.replace(found[1], ""))) <= 10:
        return "date line of the page (the layout prints the issue date itself)"
    return None


def clean(lines: list[Traced], options: ImportOptions = ImportOptions()) -> Cleaned:
    """The file's lines with markup, chrome and character spacing dealt with (each step can be switched off in
    options); removed lines become blank lines (so that the gaps between stories stay)."""
    out = Cleaned(lines=[])
    text = "\n".join(t.text for t in lines)
    if options.read_markup and is_json(text):
        out.kinds.append("JSON")
        lines = _json_strings(lines)
        text = "\n".join(t.text for t in lines)
    if options.read_markup and sum(1 for t in lines if TAG.search(t.text)) >= 2:
        out.kinds.append("html")
        lines = _html(lines, out)
    marked = any(HEADING_MD.match(t.text) or BOLD_LINE.match(t.text) or TABLE_ROW.match(t.text) or
                 (RULE.match(t.text) and "-" in t.text) for t in lines)
    if options.read_markup and (marked or LINK.search(text) or IMAGE.search(text) or BOLD.search(text)):
        out.kinds.append("markdown")
        lines = _markdown(lines, out)
    web = options.remove_chrome and sum(1 for t in lines if any(p.search(t.text) for p in CHROME_STRONG)) >= 2
    if web:
        out.kinds.append("web page")
    if options.close_up_spacing and _spaced(lines):
        out.kinds.append("spaced OCR")
        lines = [_close_up(t) for t in lines]
    last_removed = -2
    for t in lines:
        if (found := date_in(t.text)) is not None:
            out.dates.append((found[0], t.line, found[1]))
        if DECORATION.match(t.text):  # ------, ※※※: a rule between stories, no copy
            out.lines.append(t[:0])
            continue
        reason = _chrome(t, web) if options.remove_chrome else None
        if reason is not None:
            if out.removed and out.removed[-1].reason == reason and last_removed == len(out.lines) - 1:
                prev = out.removed[-1]  # a run of lines removed for one reason is one passage
                out.removed[-1] = Removed(reason, prev.text + Traced.inserted("\n") + t.strip())
            else:
                out.removed.append(Removed(reason, t.strip()))
            last_removed = len(out.lines)
            out.lines.append(t[:0])
            continue
        if options.read_markup and (m := DATE_PREFIX.match(t.text)) is not None:  # 2024-12-19专栏：… — a date and section, not copy
            prefix = t[:m.end()]
            if han_only(prefix.text):
                out.removed.append(Removed("date and section prefix of an exported item (the date is used as the "
                                           "issue date)", prefix.strip()))
            t = t[m.end():]
            if out.levels and not re.search("[。！？]", t.text):
                out.levels[t.line] = 1  # in an export with headings, what follows the prefix is an item's title
        out.lines.append(t)
    if _classical(out.lines):  # judged on the copy, without the chrome (navigation has no punctuation either)
        out.kinds.append("unpunctuated")
    return out
