"""The lines of one input file in, units out: each line (or part of one) classified as text, dateline, byline,
caption, credit, source note or furniture; and how the OCR kept the columns."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from .patterns import CAPTION_MARK, DATELINE, DATELINE_INLINE, DATELINE_START, FURNITURE, SOURCE_NOTE
from .recognise import (Byline, Credit, headline_like, match_byline_lead, match_byline_line, match_credit,
                        match_dateline)
from .text import SPACES, Traced, ends_sentence


@dataclass(frozen=True)
class Marks:
    """What the cleaning step learned about one file: heading levels by input line (from # or <h1>), and
    whether the page is unpunctuated (classical), which changes how headlines are told from text."""

    levels: dict[int, int] = field(default_factory=dict)
    classical: bool = False


@dataclass
class Unit:
    """A line (or part of one) with its kind: text, dateline (text holds the rest of the line), byline, caption
    (text holds the caption), credit (a credit alone) or furniture (folio, date line, jump line)."""

    kind: str
    text: Traced
    gap: int = 0  # blank lines before it
    indented: bool = False
    byline: Byline | None = None
    credit: Credit | None = None
    role: str = "body"  # for text: "head", "subhead" or "body"
    raw: Traced | None = None  # the whole line piece, kept for the unplaced section


def _split_inline(t: Traced) -> list[Traced]:
    """A headline run into its dateline on one line, or a caption's credit followed by more text, is split."""
    m = DATELINE_INLINE.search(t.text)
    if m and m.start() > 0 and headline_like(t.text[:m.start()]):
        return [t[:m.start()].strip(), *_split_inline(t[m.start():].strip())]
    for m in re.finditer(f"[摄攝][{SPACES}]*[）)]?(?=[{SPACES}]+\\S)", t.text):
        head = t[:m.end()]
        found = match_credit(head)
        if found and ends_sentence(found[0].text):
            return [head.strip(), *_split_inline(t[m.end():].strip())]
    return [t]


def _rejoin_datelines(lines: list[Traced]) -> list[Traced]:
    """A dateline cut by a column break (新华社南京12月1 / 9日电) is put back on one line."""
    out: list[Traced] = []
    skip = False
    for k, line in enumerate(lines):
        if skip:  # already put on the line before
            skip = False
            continue
        s = line.strip()
        nxt = lines[k + 1].strip() if k + 1 < len(lines) else None
        joined = DATELINE.match(s.text + nxt.text) if nxt and DATELINE_START.match(s.text) and len(s) < 24 and \
            not DATELINE.match(s.text) else None
        if nxt and joined and joined.end() > len(s):
            out.append(s + nxt)
            skip = True
            continue
        out.append(line)
    return out


def units_of(lines: list[Traced], marks: Marks = Marks()) -> list[Unit]:
    """Lines (blank ones counted into the next unit's gap) split and classified into units."""
    units: list[Unit] = []
    gap = 0
    for line in _rejoin_datelines(lines):
        stripped = line.strip()
        if not stripped:
            gap += 1
            continue
        indent = line.text[:len(line.text) - len(line.text.lstrip(SPACES))]
        indented = "\u3000" in indent or len(indent) >= 2
        for piece in ([stripped] if stripped.line in marks.levels else _split_inline(stripped)):
            units.append(classify(piece, gap, indented))
            gap, indented = 0, False
    return units


def classify(t: Traced, gap: int, indented: bool) -> Unit:
    """What a line is; the recognisers are tried from the most specific form to the least."""
    if FURNITURE.match(t.text):
        return Unit("furniture", t, gap, indented, raw=t)
    if SOURCE_NOTE.fullmatch(t.text.strip(SPACES)) and len(t.text.strip(SPACES)) <= 24:
        return Unit("source", t, gap, indented, raw=t)  # 圖／X提供, （資料照片） under a caption
    if (dl := match_dateline(t)) is not None:
        return Unit("dateline", dl[1], gap, indented, byline=dl[0], raw=t)
    if (by := match_byline_line(t)) is not None:
        return Unit("byline", t, gap, indented, byline=by, raw=t)
    if (lead := match_byline_lead(t)) is not None:
        return Unit("dateline", lead[1], gap, indented, byline=lead[0], raw=t)
    if (cr := match_credit(t)) is not None:
        return Unit("caption" if cr[0] else "credit", cr[0], gap, indented, credit=cr[1], raw=t)
    if (m := CAPTION_MARK.match(t.text)) is not None and ends_sentence(t.text):
        # ▲ / ■ before a finished sentence: a photo caption without a credit
        return Unit("caption", t[m.end():].strip(), gap, indented, credit=Credit([], [t[:m.end()].strip()]), raw=t)
    return Unit("text", t, gap, indented, raw=t)


@dataclass(frozen=True)
class Columns:
    """How the OCR kept the text: the column width in characters when it kept column lines (None when each line is
    a paragraph), whether paragraph starts are indented anywhere (then only indents start paragraphs), and how
    many blank lines usually stand between paragraphs (more than that marks the end of an article)."""

    width: float | None
    indents: bool
    gap: int


def columns_of(units: list[Unit]) -> Columns:
    """The width is the median length of lines that run on into the next line without a blank."""
    lengths = [len(u.text) for u, nxt in zip(units, units[1:])
               if u.kind == nxt.kind == "text" and nxt.gap == 0 and not ends_sentence(u.text.text)]
    gaps = [u.gap for u in units if u.kind == "text" and u.gap]
    return Columns(statistics.median(lengths) if len(lengths) >= 3 else None, any(u.indented for u in units),
                   int(statistics.median(gaps)) if gaps else 1)
