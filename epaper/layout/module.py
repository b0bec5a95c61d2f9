"""One article and its slot in, one Module out: headline, photo and caption, balanced body columns in points."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..marks import marks_of, shifted
from ..model import Article, Photo
from ..strings import Strings
from .compose import Line
from .composer import Composer
from .grid import Layout, Rect, Slot
from .headlines import headline_boxes
from .types import CONTINUED, LEAD_ROLE, Fragment, Module, PhotoBox, SetLine, TextBox


@dataclass(frozen=True)
class PhotoPlan:
    """Where a module's photo goes: its column offset and span in the module, its rows, its caption's lines."""

    photo: Photo
    col: int
    span: int
    rows: int
    caption: list[Line]


@dataclass(frozen=True)
class Setting:
    """One way to set a module: headline boxes and lines, height, column tops, body pitch, columns, overset."""

    boxes: list[TextBox]
    head_lines: int
    height: int
    tops: list[int]
    body_pitch: float
    columns: list[list[SetLine]]
    overset: int


def layout_module(article: Article, slot: Slot, line: int, layout: Layout, composer: Composer, strings: Strings,
                  *, target: int | None = None, max_leading: float = 1.0, max_air: int = 0,
                  fragment: Fragment | None = None) -> Module:
    """Headline on top, the photo at the module's right with its caption, body columns filled left to right.

    Height: the slot's `lines` if set; else `target` if given, the extra lines going first to air around the
    headline (up to `max_air`) and then to body leading (up to `max_leading` × pitch); else as tall as the text
    needs. Columns are balanced: all full but the last. The module's last line stays empty: the white space
    (and rule) between it and the next module.
    """
    module = Module(article, slot, slot.rank, slot.col, slot.span, line, fragment=fragment)
    size, pitch = layout.body_size, layout.pitch
    x0, y0 = layout.col_x(slot.col), layout.line_y(line)
    head_rect = Rect(x0, y0, layout.span_width(slot.span), 0)
    shown = article
    if fragment and fragment.part == 2:  # a continuation repeats the title alone; the photo stays with part 1
        shown = replace(article, kicker="", subtitle="", photos=())
    photo_plan: list[PhotoPlan] = []
    for photo in shown.photos[:1]:
        pspan = slot.span if article.kind == "photo-news" else min(slot.photo_span or slot.span, slot.span)
        width = layout.span_width(pspan)
        caption = photo.caption if article.kind == "article" else " ".join(article.paragraphs)
        credit = strings.photo_credit(photo.credit)
        text = f"{caption}{strings['byline_join']}{credit}" if caption and credit else caption or credit
        cap_lines = composer.lines(text, width, layout.caption_size, "kai", indent=0.0) if text else []
        photo_plan.append(PhotoPlan(photo, slot.span - pspan, pspan, max(1, round(width * photo.aspect / pitch)),
                                    cap_lines))

    def col_tops(head: int) -> list[int]:
        tops = [head] * slot.span
        for p in photo_plan:
            for c in range(p.col, p.col + p.span):
                tops[c] = head + p.rows + len(p.caption) + 1
        return tops

    def make_body(looser: frozenset[int]) -> list[SetLine]:
        body = body_lines(article, layout.column_width, composer, strings, looser) if article.kind == "article" else []
        return jump_lines(article, body, fragment, layout, composer, strings) if fragment else body

    def plan(body: list[SetLine]) -> Setting:
        """Headline, height, column tops, body pitch and the lines of every column for one setting of the body."""
        boxes, head_lines = headline_boxes(shown, head_rect, slot.rank, layout, composer)
        tops = col_tops(head_lines)
        height = max(tops) - (1 if article.kind == "photo-news" else 0) if photo_plan else head_lines
        while sum(max(0, height - t) for t in tops) < len(body):
            height += 1
        if slot.lines is not None:
            height = slot.lines - 1
        elif target is not None and target - 1 > height:
            air = min(max_air, target - 1 - height) if boxes else 0
            if air:
                boxes, head_lines = headline_boxes(shown, head_rect, slot.rank, layout, composer, air=air)
                tops = col_tops(head_lines)
            height = target - 1
        # Leading: the largest body pitch (within bounds) at which the balanced columns still hold every line.
        body_pitch = pitch
        if target is not None and slot.lines is None and body and max_leading > 1.0:
            lo, hi = pitch, pitch * max_leading
            for _ in range(30):
                mid = (lo + hi) / 2
                if sum(max(0, int((height - t) * pitch / mid + 1e-9)) for t in tops) >= len(body):
                    lo = mid
                else:
                    hi = mid
            body_pitch = lo
        columns, pos = [], 0
        for top in tops:
            room = max(0, int((height - top) * pitch / body_pitch + 1e-9))
            columns.append(body[pos:pos + room])
            pos += len(columns[-1])
        return Setting(boxes, head_lines, height, tops, body_pitch, columns, len(body) - pos)

    def tails(columns: list[list[SetLine]]) -> set[int]:
        """Paragraphs whose last line is the first full-width line of a column (a widow at the column head)."""
        out = set()
        for chunk in columns:
            first = next((sl for sl in chunk if sl.line.indent == 0 and sl.role == "serif"), None)
            if first is not None and first.line.last and first.para >= 0:
                out.add(first.para)
        return out

    looser: frozenset[int] = frozenset()
    setting = plan(make_body(looser))
    natural_height = target is None and slot.lines is None  # may grow a line; a set height may not
    # Widow control: setting a paragraph at or before a widow one line longer moves every later column break
    # down a line. Try the nearest paragraphs first; keep a change only when it fits and leaves fewer widows.
    for _ in range(6):
        widowed = tails(setting.columns)
        if not widowed:
            break
        widow = min(widowed)
        paragraphs = sorted({sl.para for sl in make_body(looser) if sl.role == "serif" and 0 <= sl.para <= widow
                             and sl.para not in looser}, reverse=True)[:4]
        for para in paragraphs:
            trial = plan(make_body(looser | {para}))
            if not trial.overset and (trial.height == setting.height or natural_height) \
                    and len(tails(trial.columns)) < len(widowed):
                looser, setting = looser | {para}, trial
                break
        else:
            break
    head_lines, height, tops, body_pitch = setting.head_lines, setting.height, setting.tops, setting.body_pitch
    module.boxes.extend(setting.boxes)
    for p in photo_plan:
        x, y = layout.col_x(slot.col + p.col), y0 + head_lines * pitch
        module.photos.append(PhotoBox(Rect(x, y, layout.span_width(p.span), p.rows * pitch), p.photo))
        if p.caption:
            cy = y + p.rows * pitch + (pitch - layout.caption_size) / 2
            module.boxes.append(TextBox("caption", Rect(x, cy, layout.span_width(p.span), len(p.caption) * pitch),
                                        layout.caption_size, pitch, tuple(SetLine(ln, "kai") for ln in p.caption)))
    module.lines = height + 1
    module.rect = layout.rect(slot.col, slot.span, line, module.lines)
    used_pt = 0.0
    for c, (top, chunk) in enumerate(zip(tops, setting.columns)):
        if chunk:
            module.boxes.append(TextBox("body", Rect(layout.col_x(slot.col + c), y0 + top * pitch, layout.column_width,
                                                     len(chunk) * body_pitch), size, body_pitch, tuple(chunk)))
            used_pt += len(chunk) * body_pitch
    module.overset = setting.overset
    photo_cells = sum(min(t, height) - head_lines for t in tops)
    module.lines_used = head_lines * slot.span + photo_cells + round(used_pt / pitch) + module.overset
    module.lines_available = height * slot.span
    return module



def jump_lines(article: Article, body: list[SetLine], fragment: Fragment, layout: Layout, composer: Composer,
               strings: Strings) -> list[SetLine]:
    """A part's share of the body with its jump line: （下转第X版） after part 1, （上接第X版） before part 2."""
    width, size = layout.column_width, layout.body_size
    part = body[fragment.start:fragment.end]
    if fragment.jump_to:
        text, href = strings.fmt("jump_to", page=fragment.jump_to), f"#{article.id}{CONTINUED}"
    else:
        text, href = strings.fmt("jump_from", page=fragment.jump_from), f"#{article.id}"
    lines = composer.lines(text, width, size, LEAD_ROLE, indent=0.0, align="start")
    # jump lines sit at the column's end edge, as Chinese papers set them
    jump = [SetLine(replace(ln, indent=max(0.0, width - ln.natural)), LEAD_ROLE, href=href) for ln in lines]
    return part + jump if fragment.jump_to else jump + part



def body_lines(article: Article, width: float, composer: Composer, strings: Strings,
               looser: frozenset[int] = frozenset()) -> list[SetLine]:
    """All body lines of an article at one column width, the byline run into the first paragraph; the blocks
    whose indices are in `looser` are set one line longer."""
    key = (article, round(width, 3), looser)  # the article itself: an edited story never reuses stale lines
    cached = composer.bodies.get(key)
    if cached is None:
        cached = composer.bodies[key] = _body_lines(article, width, composer, strings, looser)
    return cached



def _body_lines(article: Article, width: float, composer: Composer, strings: Strings,
                looser: frozenset[int]) -> list[SetLine]:
    size = composer.body_size
    out: list[SetLine] = []
    lead = strings.byline(article)
    first = True
    for index, block in enumerate(article.body):
        if block.kind == "h":
            # a subhead (小标题) one size up from the body, centred on its own body line
            for ln in composer.lines(block.text, width, composer.subhead_size, "sans", indent=0.0, align="center"):
                out.append(SetLine(ln, "sans", para=index, size=composer.subhead_size))
            continue
        text = block.text
        marks = marks_of(block)  # ruby and 着重号 (epaper.marks)
        lead_chars = 0
        if first and lead:
            text = lead + text
            marks = shifted(marks, len(lead))
            lead_chars = len(" ".join(lead.split())) + (1 if lead.endswith(" ") else 0)
        first = False
        lines = composer.lines(text, width, size, "serif", lead=(lead_chars, LEAD_ROLE) if lead_chars else None,
                               looser=index in looser, marks=marks)
        remaining = lead_chars
        for ln in lines:
            n = min(remaining, len(ln.text) + len(ln.dropped))
            out.append(SetLine(ln, "serif", n, LEAD_ROLE if n else "", para=index))
            remaining -= n
    return out
