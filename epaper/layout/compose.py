"""Paragraph text + column width + font metrics in, justified lines of spaced pieces out.

Why we compose lines ourselves instead of extending WeasyPrint
--------------------------------------------------------------
WeasyPrint 70 (Pango underneath) justifies only by widening spaces, so Chinese
columns come out ragged; it ignores text-justify, text-spacing,
hanging-punctuation and the line-break strictness levels; Pango's UAX #14
breaking leaves short lines around curly quotes. Fixing that inside WeasyPrint
would mean patching its line breaker and Pango's, in an engine we do not own,
and we would still only learn a paragraph's line count by rendering it. So the
layout stage owns the grid: this module chooses every break and every gap, and
WeasyPrint only draws each pre-broken line as a no-wrap block
(`epaper.render.print.lines_html`). The line count computed here is the line count in
the PDF, which is what copyfit counts.

Rules (W3C clreq, "Requirements for Chinese Text Layout"):
- breaks obey the line-start/line-end prohibitions of `kinsoku` at the chosen
  level; —— and …… never split; a Latin word (with its %, ‰, ℃ …) breaks only
  at spaces or after a hyphen, unless it is wider than the line;
- adjacent full-width punctuation is compressed (”， 。” ）、 ，“ ：“ ）（): the
  pair loses half an em, from the first mark's trailing blank first;
- a 1/4-em gap (a setting) separates Han from Latin letters and digits,
  never at a line edge and never as a character;
- a line that overflows is squeezed in clreq's order: line-end punctuation to
  1/2 em, word spaces, interpuncts, brackets, 、，；：, Han–Latin gaps (to 1/8 em),
  。？！; a short line is stretched: word spaces and Han–Latin gaps up to
  1/2 em, then evenly between characters, never inside unbreakable runs;
- at each line the composer either pushes the prohibited character to the next
  line (stretching this one) or pulls the next unit in (squeezing), whichever
  needs the smaller adjustment; ties go to squeezing ("先挤压、后拉伸");
- a paragraph's last line is set naturally (start-aligned, neither stretched
  nor squeezed unless it overflows);
- a Latin word wider than the line breaks anywhere; spaces typed between Han
  characters are kept and treated as word spaces.
Inline marks (epaper.marks): a ruby group is one unbreakable, unspaced run; a ruby wider than
its base is condensed to the base's width, down to RUBY_MIN_SCALE, and only beyond that widens the
group by equal blanks at its two ends (a blank between Han characters reads as a space to text
extraction), so the ruby never overhangs a neighbour or the column edge; each line records where
its ruby and its 着重号 dots go (Line.rubies, Line.dots), in pt from the line's start, for the
renderer to draw. The ruby is set at RUBY_SIZE of the text
in the line's leading (the grid's pitch minus the body size), so a line with ruby is still one line.

Blank sides of punctuation come from the font's `halt` feature, so fonts
without it (AR PL UKai) get no punctuation compression. The composer is pure
and O(n): per-character advances are cached per font.

How a line is drawn matters to its width: WeasyPrint shapes every span on its
own, and Pango picks the script (and so the `locl` glyphs) per span. So a
Latin run in Chinese text always starts its own span and is measured as Latin;
a mark whose width depends on Han context (—— in Noto CJK) shares a span with a
Han letter; word spaces stretch through one CSS word-spacing per line.

The work is split by job, one module each, in the order a paragraph goes through them: `chars` (what kind each
character is and its advances), `paragraph` (the per-paragraph state: widths, spacing, break opportunities),
`linebreak` (where each line ends), `justify` (squeezing or stretching a line into Pieces); `line` holds the
settings and the Line that comes out. This module is the entry point the rest of epaper calls.
"""

from __future__ import annotations

import re
from typing import Iterable

from ..marks import Mark
from .chars import LATIN, char_info, char_kind, latin_run, ruby_width
from .fontmetrics import FontMetrics
from .justify import set_line
from .line import CompositionSettings, Line, Piece
from .linebreak import choose_breaks

# callers import the composer's vocabulary from here, where it has always been
__all__ = ["CompositionSettings", "Line", "Piece", "compose_paragraph", "count_lines", "glyph_offsets", "latin_run",
           "ruby_width"]

_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def _normalize(text: str) -> str:
    return _SPACES.sub(" ", text).strip(" ")


def _normalize_marks(text: str, marks: Iterable[Mark]) -> tuple[Mark, ...]:
    """The marks of `text` moved to where their characters are in _normalize(text)."""
    marks = tuple(marks)
    if not marks:
        return ()
    where, out_len, prev_space = [], 0, True  # True: leading spaces are dropped
    for ch in text:
        space = ch in " \t\r\n\f\v"
        where.append(out_len)
        if space and prev_space:
            continue
        out_len += 1
        prev_space = space
    where.append(out_len)
    n = len(_normalize(text))
    return tuple(Mark(m.kind, min(where[m.start], n), min(where[m.end], n), m.value) for m in marks
                 if m.kind in ("ruby", "dots"))


def count_lines(text: str, width: float, size: float, metrics: FontMetrics,
                settings: CompositionSettings = CompositionSettings(), *, indent: float | None = None,
                marks: Iterable[Mark] = ()) -> int:
    """Number of lines `compose_paragraph` produces, without setting them."""
    marks = _normalize_marks(text, marks)
    text = _normalize(text)
    if not text:
        return 0
    return len(choose_breaks(text, width, size, metrics, settings, indent, None, marks)[1])


def compose_paragraph(text: str, width: float, size: float, metrics: FontMetrics,
                      settings: CompositionSettings = CompositionSettings(), *,
                      indent: float | None = None, lead: tuple[int, FontMetrics] | None = None,
                      break_width: float | None = None, marks: Iterable[Mark] = ()) -> list[Line]:
    """Break and justify one paragraph.

    width and size in pt; indent is the first line's indent in pt (None: settings.first_indent em).
    Runs of ASCII whitespace count as one space; leading and trailing ones are dropped.
    lead = (n, metrics): the first n characters (of the normalised text) are set in another face.
    break_width: choose the breaks as if the measure were this (narrower) one, then justify to `width` —
    how a paragraph is set one line longer ("loosened") to keep a widow off the head of a column.
    marks: ruby and 着重号 (epaper.marks.Mark; offsets into `text` as given), set into Line.rubies and Line.dots.
    """
    marks = _normalize_marks(text, marks)
    text = _normalize(text)
    if not text:
        return []
    p, breaks, first = choose_breaks(text, break_width or width, size, metrics, settings, indent, lead, marks)
    return [
        set_line(p, s, e, width - (first if k == 0 else 0.0), first if k == 0 else 0.0,
                 k == len(breaks) - 1, hang, size, settings, text[e:r])
        for k, (s, e, r, hang) in enumerate(breaks)
    ]


def glyph_offsets(line: Line, size: float, metrics: FontMetrics, lead: tuple[int, FontMetrics] | None = None,
                  compress: bool = True) -> list[float]:
    """Where each character of a composed line starts, in pt from the start of its text, as the pieces place it
    (the vertical setter draws every character itself). `lead` as in compose_paragraph, counted from this line."""
    text = line.text
    lead_n, lead_m = lead if lead else (0, metrics)
    # the composer measures a Latin run that holds a letter with Latin advances (a forced break inside a
    # word is the rare case this does not see)
    latin = [False] * len(text)
    i = 0
    while i < len(text):
        if char_kind(text[i])[0] != LATIN:
            i += 1
            continue
        a = i
        while i < len(text) and char_kind(text[i])[0] == LATIN:
            i += 1
        if any(text[j].isalpha() for j in range(a, i)):
            for j in range(a, i):
                latin[j] = metrics.cjk
    x, out = 0.0, []
    for piece in line.pieces:
        x += piece.margin_left
        for ch in piece.text:
            k = len(out)
            info = char_info(lead_m if k < lead_n else metrics, ch, compress)
            out.append(x)
            x += (info[5] if latin[k] else info[4]) * size + piece.letter_spacing \
                + (line.word_spacing if ch in " \u00a0" else 0.0)
    return out
