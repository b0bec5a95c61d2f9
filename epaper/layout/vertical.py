"""An article and a vertical slot in, a vertical (竖排) module out: the composer's lines set top to bottom, right
to left, every character placed by us (WeasyPrint only draws them, and cannot set vertical text itself).

How a vertical line is set. The composer breaks each paragraph at the slot's height in whole characters, exactly as
it breaks a horizontal column, so the line count is exact and copyfit is arithmetic: the lines, one line pitch
apart, must fit the slot's width. Han characters and full-width punctuation stand upright and take the font's
vertical forms (OpenType `vert`: 「」 turned, ，。 in the upper right of their square); their blank sides are
compressed as in horizontal text (the `halt` blanks of a mark are the same sides along the line). A Latin word or
a number of three or more digits is turned 90° clockwise; one or two digits stand upright across the line
(縱中橫), counted as one character. Ruby and 着重号 go to the right of the line (RubyV, dots), drawn outside the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..codes import finding
from ..errors import LayoutError
from ..marks import marks_of, shifted
from ..model import Article
from ..strings import Strings
from .compose import glyph_offsets, latin_run
from .grid import Layout, Rect, Slot
from .composer import Composer
from .types import LEAD_ROLE, Module

# one or two digits between non-Latin characters: set across the line in one square (縱中橫)
TCY = re.compile(r"(?<![0-9A-Za-z.,%])[0-9]{1,2}(?![0-9A-Za-z.,%])")
TCY_STAND_IN = "〇"  # what the composer measures instead: one full-width square
TITLE_PITCH = 1.3  # a title line takes this many times its size across


@dataclass(frozen=True)
class VGlyph:
    """One upright character, one turned Latin run, or one 縱中橫 number, at its place in the module.

    x is the centre of its vertical line and y where it starts along the line, in pt from the module's top left;
    `length` is how far it runs down the line; `scale` condenses a 縱中橫 number into its square."""

    text: str
    x: float
    y: float
    form: Literal["upright", "rotated", "tcy", "dot"]
    size: float
    length: float
    role: str
    scale: float = 1.0


@dataclass(frozen=True)
class VBlock:
    """A headline or paragraph of a vertical module: its glyphs in reading order, and the ruby and dots beside them
    (drawn outside the story, so the reader PDF's text is the base text)."""

    tag: Literal["h1", "h2", "p"]
    glyphs: tuple[VGlyph, ...]
    marks: tuple[VGlyph, ...] = ()
    lasts: tuple[bool, ...] = ()  # per body line set (not overset): whether it ends its paragraph


def _prepare(text: str, marks: tuple, lead: int) -> tuple[str, dict[int, str], tuple, int]:
    """The text as the composer will see it (white space collapsed, each 縱中橫 number one stand-in square), the
    numbers by their index in it, the marks moved along, and the length of its first `lead` characters now."""
    tcy = {m.start(): m.end() for m in TCY.finditer(text)}
    out: list[str] = []
    where = [0] * (len(text) + 1)
    numbers: dict[int, str] = {}
    i = 0
    while i < len(text):
        where[i] = len(out)
        if text[i].isspace():
            if out and out[-1] != " ":
                out.append(" ")
            i += 1
        elif i in tcy:
            numbers[len(out)] = text[i:tcy[i]]
            out.append(TCY_STAND_IN)
            for k in range(i + 1, tcy[i]):
                where[k] = len(out) - 1
            i = tcy[i]
        else:
            out.append(text[i])
            i += 1
    while out and out[-1] == " ":
        out.pop()
    where[len(text)] = len(out)
    where = [min(w, len(out)) for w in where]
    moved = tuple(type(m)(m.kind, where[m.start], where[m.end], m.value) for m in marks)
    return "".join(out), numbers, moved, where[lead] if lead else 0


def _line_glyphs(line, x: float, y0: float, size: float, role: str, composer: Composer,
                 numbers: dict[int, str], start: int, lead: int, lead_role: str) -> list[VGlyph]:
    """The glyphs of one composed line (its characters start at paragraph index `start`)."""
    metrics = composer.metrics(role)
    lead_m = (lead, composer.metrics(lead_role)) if lead else None
    at = glyph_offsets(line, size, metrics, lead_m)
    text = line.text
    ends = at[1:] + [at[-1] + metrics.advance(text[-1]) * size] if text else []
    out: list[VGlyph] = []
    i = 0
    y0 += line.indent
    while i < len(text):
        r = lead_role if i < lead else role
        if start + i in numbers and text[i] == TCY_STAND_IN:
            digits = numbers[start + i]
            natural = sum(metrics.latin_advance(c) for c in digits) * size
            out.append(VGlyph(digits, x, y0 + at[i], "tcy", size, size, r, round(min(1.0, 0.95 * size / natural), 4)))
            i += 1
        elif latin_run(text[i]) and text[i] != " ":
            a = i
            while i < len(text) and latin_run(text[i]) and (i < lead) == (a < lead):
                i += 1
            while text[i - 1] == " ":
                i -= 1
            out.append(VGlyph(text[a:i], x, y0 + at[a], "rotated", size, ends[i - 1] - at[a], r))
        elif text[i] == " ":
            i += 1
        else:
            out.append(VGlyph(text[i], x, y0 + at[i], "upright", size, size, r))
            i += 1
    return out


def _line_marks(line, x: float, y0: float, size: float) -> list[VGlyph]:
    """Ruby and 着重号 to the right of a vertical line (the composer's Line.rubies and Line.dots, turned)."""
    out = []
    for left, width, ruby, rsize, scale in line.rubies:
        if any(c.isascii() for c in ruby):  # pinyin: one turned run beside the base
            out.append(VGlyph(ruby, x + size / 2 + rsize * 0.6, y0 + line.indent + left, "rotated", rsize, width, "serif",
                              scale))
        else:  # 注音 and other full-width readings stand upright, one under another, centred on the base
            step = min(rsize, width / len(ruby))
            top = y0 + line.indent + left + (width - step * len(ruby)) / 2
            for k, ch in enumerate(ruby):
                out.append(VGlyph(ch, x + size / 2 + rsize * 0.6, top + k * step, "upright", rsize, step, "serif"))
    for c in line.dots:
        out.append(VGlyph("", x + size * 0.62, y0 + line.indent + c, "dot", size, 0.0, "serif"))
    return out


def layout_vertical_module(article: Article, slot: Slot, line: int, layout: Layout, composer: Composer,
                           strings: Strings) -> Module:
    """The article set vertically in its slot: headline lines at the right, then the body lines, right to left.
    A story longer than the slot is reported as the body lines that do not fit (Module.overset); a story with a
    photo is refused (E160)."""
    module = Module(article, slot, slot.rank, slot.col, slot.span, line, lines=slot.lines or 0)
    size, pitch = layout.body_size, layout.pitch
    module.rect = Rect(layout.col_x(slot.col), layout.line_y(line), layout.span_width(slot.span),
                       module.lines * pitch)
    width = module.rect.w
    # the slot's last line stays empty, as under a horizontal module: the white (and rule) before the next one
    chars = int((module.rect.h - pitch) // size + 1e-9)
    measure = chars * size
    blocks: list[VBlock] = []
    x = width  # the right edge of the next line

    if article.photos or article.kind == "photo-news":
        raise LayoutError([finding("E160", "a vertical slot cannot hold a photo",
                                   where=f"article '{article.id}', slot '{slot.name}'",
                                   hint="put the story in a horizontal slot, or move its photo to another story")])
    sizes = layout.headline(slot.rank)
    # 引题, 主题, 副题 from the right: each a line (or more) of its own size, centred on the slot's height
    for text, hsize, role, tag in ((article.kicker, sizes.kicker, "serif-bold", "p"),
                                   (article.title, sizes.title, "sans", "h1"),
                                   (article.subtitle, sizes.subtitle, "sans-regular", "p")):
        if not text:
            continue
        hchars = max(1, int(measure // hsize))
        glyphs: list[VGlyph] = []
        for ln in composer.lines(text, hchars * hsize, hsize, role, indent=0.0, align="center"):
            x -= hsize * TITLE_PITCH
            glyphs += _line_glyphs(ln, x + hsize * TITLE_PITCH / 2, (measure - hchars * hsize) / 2, hsize, role,
                                   composer, {}, 0, 0, "")
        blocks.append(VBlock(tag, tuple(glyphs)))
    if blocks:
        x -= pitch / 2  # air between the headline and the body

    available = int((x + 1e-6) // pitch)
    used = over = 0
    lead = strings.byline(article)
    first = True
    for block in article.body:
        text, role, bsize = block.text, "serif", size
        marks = marks_of(block)
        lead_chars = 0
        if block.kind == "h":
            role, bsize = "sans", layout.subhead_size
        elif first and lead:
            text, marks, lead_chars = lead + text, shifted(marks, len(lead)), len(lead)
        if block.kind == "p":
            first = False
        text, numbers, marks, lead_chars = _prepare(text, marks, lead_chars)
        lines = composer.lines(text, measure, bsize, role, lead=(lead_chars, LEAD_ROLE) if lead_chars else None,
                               align="center" if block.kind == "h" else "justify",
                               indent=0.0 if block.kind == "h" else None, marks=marks)
        glyphs, extra, lasts, start, left = [], [], [], 0, lead_chars
        for ln in lines:
            if used >= available:
                over += 1
                continue
            cx = x - pitch * used - pitch / 2
            n = min(left, len(ln.text) + len(ln.dropped))
            glyphs += _line_glyphs(ln, cx, 0.0, bsize, role, composer, numbers, start, n, LEAD_ROLE)
            extra += _line_marks(ln, cx, 0.0, bsize)
            left -= n
            start += len(ln.text) + len(ln.dropped)
            used += 1
            lasts.append(ln.last)
        blocks.append(VBlock("h2" if block.kind == "h" else "p", tuple(glyphs), tuple(extra), tuple(lasts)))
    module.vertical = tuple(blocks)
    module.lines_available = available
    module.lines_used = used
    module.overset = over
    return module
