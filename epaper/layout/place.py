"""An Issue and its Layout in, per-page geometry out: every module, headline, photo and pre-broken column line in points.

Placement here is template-driven: the page plan's articles fill the template's slots in order of importance.
Everything is computed on the character grid with the composer's exact line counts, so whether a story fits
is arithmetic; text that does not fit is a LayoutError naming page, article, slot and the lines over.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Callable, Literal

from ..checks.codes import finding
from ..errors import Finding, LayoutError
from ..fonts import Palette
from ..marks import Mark, marks_of, shifted
from ..model import Article, Issue, Page, Paper, Photo
from ..strings import Strings
from .compose import CompositionSettings, Line, compose_paragraph
from .fontmetrics import FontMetrics, load_metrics
from .grid import Layout, Rect, Slot, Template

if TYPE_CHECKING:
    from ..cache_layout import LayoutStore

LEAD_ROLE = "sans-regular"  # 黑体 for the dateline and byline run into the first paragraph


@dataclass(frozen=True)
class SetLine:
    """One composed line as drawn: its font role, and an optional lead-in (the byline) in another role."""

    line: Line
    role: str
    lead_chars: int = 0
    lead_role: str = ""
    href: str = ""  # a jump line (转版) links to the other part of its article
    para: int = -1  # index of the body block the line belongs to
    size: float = 0.0  # a size other than its box's (subheads), 0: the box's


@dataclass(frozen=True)
class TextBox:
    """A box of pre-broken lines: a headline part, a caption, or one body column of a module."""

    kind: Literal["kicker", "title", "subtitle", "body", "caption"]
    rect: Rect
    size: float
    line_height: float
    lines: tuple[SetLine, ...]
    align: Literal["justify", "center", "start"] = "justify"


@dataclass(frozen=True)
class PhotoBox:
    rect: Rect
    photo: Photo


@dataclass(frozen=True)
class Fragment:
    """One part of an article continued on another page (转版): body lines [start, end) and its jump line."""

    start: int = 0
    end: int | None = None
    jump_to: int = 0  # part 1: the page it continues on, for （下转第X版）
    jump_from: int = 0  # part 2: the page it comes from, for （上接第X版）

    @property
    def part(self) -> int:
        return 2 if self.jump_from else 1


CONTINUED = "~cont"  # suffix of a continuation's id (article ids are [a-z0-9-], so it cannot clash)


@dataclass
class Module:
    """One article's block on the page: its grid position (col, span, line, lines) and everything drawn in it."""

    article: Article
    slot: Slot
    rank: int
    col: int
    span: int
    line: int = 0
    lines: int = 0
    rect: Rect = Rect(0, 0, 0, 0)
    boxes: list[TextBox] = field(default_factory=list)
    photos: list[PhotoBox] = field(default_factory=list)
    lines_used: int = 0  # column-lines holding text, headline, photo or caption
    lines_available: int = 0  # column-lines of the module (less its spacing line)
    overset: int = 0  # body lines that did not fit (the caller reports them)
    fragment: Fragment | None = None
    vertical: tuple = ()  # a vertical (竖排) module's blocks of placed glyphs (epaper.layout.vertical.VBlock)

    @property
    def dom_id(self) -> str:
        """The module's id in the print HTML, layout.json and the web site: the article's, or the continuation's."""
        return self.article.id + (CONTINUED if self.fragment and self.fragment.part == 2 else "")

    @property
    def fill(self) -> float:
        return self.lines_used / self.lines_available if self.lines_available else 1.0


@dataclass
class PageLayout:
    page: Page
    template: Template
    modules: list[Module]
    zones: dict[str, Rect]
    findings: list[Finding] = field(default_factory=list)
    free_cells: int = 0  # column-lines of the type area outside fixed zones

    @property
    def area_fill(self) -> float:
        """Share of the free type area covered by modules."""
        return sum(m.lines * m.span for m in self.modules) / self.free_cells if self.free_cells else 0.0

    @property
    def text_fill(self) -> float:
        """Share of the modules' area holding text, headlines and photos (the rest is underset white)."""
        avail = sum(m.lines_available for m in self.modules)
        return sum(m.lines_used for m in self.modules) / avail if avail else 0.0


class Composer:
    """Binds the palette's metrics and the paper's composition settings for the placement code."""

    def __init__(self, palette: Palette, settings: CompositionSettings, body_size: float, subhead_size: float):
        self.palette = palette
        self.settings = settings
        self.body_size = body_size
        self.subhead_size = subhead_size  # the layout's grid.subhead_size: body lines cached here depend on it
        self._cache: dict[tuple, list[Line]] = {}
        self.bodies: dict[tuple, list[SetLine]] = {}  # an article's body lines at a width, per looser setting
        # the build's on-disk store (epaper.cache_layout), set by layout_issue for one build: a paragraph's
        # stored compositions are read at its first miss, and those of paragraphs composed here are written back
        self.store: LayoutStore | None = None
        self.namespace = ""  # this composer's part of the store's keys: fonts, settings, body size
        self._looked_up: set[str] = set()  # texts whose stored compositions were read (or found absent)
        self.composed: list[str] = []  # texts composed by compose_paragraph since the last reset (tests count them)

    def metrics(self, role: str) -> FontMetrics:
        r = self.palette[role]
        return load_metrics(r.file, r.family)

    def lines(self, text: str, width: float, size: float, role: str, *, indent: float | None = None,
              align: str = "justify", lead: tuple[int, str] | None = None, looser: bool = False,
              marks: tuple[Mark, ...] = ()) -> list[Line]:
        """Compose one paragraph; `lead` = (n, role): its first n characters are set in another role's face;
        `looser`: one line more than it needs (or the plain setting when that is not possible)."""
        # Placement tries many shapes per article: the same paragraph at the same width is composed once.
        key = (text, round(width, 3), size, role, indent, align, lead, looser, marks)
        cached = self._cache.get(key)
        if cached is None and self.store is not None and text not in self._looked_up:
            self._looked_up.add(text)
            for k, v in self.store.load_lines(self.namespace, text).items():
                self._cache.setdefault(k, v)
            cached = self._cache.get(key)
        if cached is None:
            self.composed.append(text)
            settings = self.settings if align == "justify" else replace(self.settings, align=align)
            lead_m = (lead[0], self.metrics(lead[1])) if lead else None
            metrics = self.metrics(role)
            cached = compose_paragraph(text, width, size, metrics, settings, indent=indent, lead=lead_m, marks=marks)
            if looser:
                # the widest break measure that gives one line more, no narrower than width less 1.5 em
                # (the stretch per line stays under about an eighth of an em per character)
                want, lo, hi = len(cached) + 1, width - 1.5 * size, width
                found = None
                for _ in range(8):
                    mid = (lo + hi) / 2
                    n = len(compose_paragraph(text, width, size, metrics, settings, indent=indent, lead=lead_m,
                                              break_width=mid, marks=marks))
                    if n >= want:
                        lo = mid
                        if n == want:
                            found = mid
                    else:
                        hi = mid
                if found is not None:
                    looser_lines = compose_paragraph(text, width, size, metrics, settings, indent=indent,
                                                     lead=lead_m, break_width=found, marks=marks)
                    # keep it only if it stretches no line by more than 2.5 em beyond what the plain setting
                    # already needs (a long Latin word pushed down can leave a few characters spread over a line)
                    def stretch(lines: list[Line]) -> float:
                        return max((width - ln.natural - ln.indent for ln in lines if not ln.last), default=0.0)

                    if stretch(looser_lines) <= max(stretch(cached), 2.5 * size) + 0.01:
                        cached = looser_lines
            self._cache[key] = cached
        return cached


def composition_settings(paper: Paper) -> CompositionSettings:
    """The composer's settings from the paper's [composition] table (the fields they share, by name)."""
    known = {f.name for f in fields(CompositionSettings)}
    return CompositionSettings(**{f.name: getattr(paper.composition, f.name)
                                  for f in fields(paper.composition) if f.name in known})


# Pages laid out earlier in this process, by everything their layout depends on: `epaper serve` and other
# long-lived callers rebuild an issue after one article changed, and only that article's page is laid out again.
MEMO_PAGES = 64
_MEMO: OrderedDict[str, tuple[PageLayout, tuple[str, Fragment] | None]] = OrderedDict()


def _page_key(issue: Issue, page: Page, later: Page | None, layout: Layout, palette: Palette, strings: Strings,
              extra: list[tuple[str, Fragment]]) -> str:
    """A digest of a page's inputs: the paper, grid, fonts, strings, the plan entry, its own articles and those
    it continues, whether it may jump and where to. Equal inputs lay out equally (the layout is deterministic)."""
    articles = [issue.articles[a] for a in page.articles]
    articles += [issue.articles[a.removesuffix(CONTINUED)] for a, _ in extra]
    state = (issue.paper, issue.jumps, later.number if later else None, layout, palette, strings.table, page,
             articles, extra)
    # repr, not pickle: a pickle depends on which equal objects happen to be one object (interned strings)
    return hashlib.sha256(repr(state).encode("utf-8")).hexdigest()


_COMPOSERS: dict[tuple, Composer] = {}
COMPOSER_LINES = 200_000  # cached compositions kept between builds in one process, about 100 MB at most


def _composer(palette: Palette, settings: CompositionSettings, body_size: float, subhead_size: float) -> Composer:
    """The process's composer for these fonts and settings: its caches are keyed by text (and article), so an
    edited story is composed again and every other story is not."""
    key = (repr(palette), repr(settings), body_size, subhead_size)
    composer = _COMPOSERS.get(key)
    if composer is None or len(composer._cache) > COMPOSER_LINES:
        _COMPOSERS.clear()
        composer = _COMPOSERS[key] = Composer(palette, settings, body_size, subhead_size)
    return composer


def layout_issue(issue: Issue, layout: Layout, palette: Palette, strings: Strings,
                 on_page: Callable[[PageLayout], None] | None = None,
                 store: LayoutStore | None = None) -> list[PageLayout]:
    """Lay out every page; collects overset findings of all pages before raising, so one run reports them all.

    `on_page` receives each page as soon as it is final (a jump changes only its own page and the next), so
    the caller can start rendering it while later pages are laid out. `store` (epaper.cache_layout) keeps placed
    pages and composed paragraphs on disk for later processes: equal inputs give the same pages."""
    composer = _composer(palette, composition_settings(issue.paper), layout.body_size, layout.subhead_size)
    composer.composed = []
    if store is not None:
        composer.store, composer.namespace = store, _namespace(composer)
        composer._looked_up = set()
    try:
        pages = _layout_pages(issue, layout, palette, strings, composer, on_page, store)
    finally:
        if store is not None:
            _store_lines(composer, store)
            composer.store = None
    errors = [f for p in pages for f in p.findings if f.severity == "error"]
    if errors:
        raise LayoutError(errors)
    return pages


def _namespace(composer: Composer) -> str:
    """The composer's share of a stored composition's key: the font files (by size and time), settings, body size."""
    fonts = sorted({(str(r.file), r.family) for r in composer.palette.roles.values()})
    stats = []
    for file, family in fonts:
        try:
            st = os.stat(file)
            stats.append((file, family, st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append((file, family, -1, -1))
    return repr((repr(composer.palette), repr(composer.settings), composer.body_size, stats))


def _store_lines(composer: Composer, store: LayoutStore) -> None:
    """Write the compositions of every paragraph composed in this build, with those read for it."""
    texts = set(composer.composed)
    if not texts:
        return
    by_text: dict[str, dict[tuple, list[Line]]] = {t: {} for t in texts}
    for key, lines in composer._cache.items():
        entries = by_text.get(key[0])
        if entries is not None:
            entries[key] = lines
    for text, entries in by_text.items():
        store.store_lines(composer.namespace, text, entries)


def _layout_pages(issue: Issue, layout: Layout, palette: Palette, strings: Strings, composer: Composer,
                  on_page: Callable[[PageLayout], None] | None, store: LayoutStore | None) -> list[PageLayout]:
    pages: list[PageLayout] = []
    carried: dict[int, list[tuple[str, Fragment]]] = {}  # page number → continuations set there
    for index, page in enumerate(issue.pages):
        extra = carried.get(page.number, [])
        later = issue.pages[index + 1] if index + 1 < len(issue.pages) else None
        key = _page_key(issue, page, later, layout, palette, strings, extra)
        stored = None
        if key not in _MEMO and store is not None:
            stored = store.load_page(key)
        if key in _MEMO:
            _MEMO.move_to_end(key)
            result, continuation = _MEMO[key]
        elif stored is not None:
            result, continuation = _MEMO[key] = stored
        else:
            result, continuation = layout_page(issue, page, layout, composer, strings, extra=extra), None
            if issue.jumps and later and any(f.code == "E302" for f in result.findings):
                jumped = jump(issue, page, later, layout, composer, strings, extra)
                if jumped is not None:
                    result, continuation = jumped
            _MEMO[key] = (result, continuation)
            if store is not None:
                store.store_page(key, (result, continuation))
        while _MEMO and len(_MEMO) > MEMO_PAGES:
            _MEMO.popitem(last=False)
        if continuation is not None and later is not None:
            carried.setdefault(later.number, []).append(continuation)
        pages.append(result)
        if on_page is not None and not any(f.severity == "error" for f in result.findings):
            on_page(result)
    return pages


def jump(issue: Issue, page: Page, later: Page, layout: Layout, composer: Composer, strings: Strings,
         extra: list[tuple[str, Fragment]]) -> tuple[PageLayout, tuple[str, Fragment]] | None:
    """Continue the page's longest story on the next page (转版): keep as many of its lines here as fit.

    Returns the page laid out with part 1 and the continuation to set on `later`, or None when even a
    short part 1 does not fit (the overset stands).
    """
    width = layout.column_width
    stories = [a for a in page.articles if issue.articles[a].kind == "article"]
    if not stories:
        return None
    lengths = {a: len(body_lines(issue.articles[a], width, composer, strings)) for a in stories}
    art_id = max(stories, key=lengths.__getitem__)
    total = lengths[art_id]

    def attempt(keep: int) -> PageLayout:
        part1 = {art_id: Fragment(0, keep, jump_to=later.number)}
        return layout_page(issue, page, layout, composer, strings, extra=extra, fragments=part1)

    lo, hi, best = 8, total - 1, None  # part 1 keeps at least eight lines: a story needs a start
    while lo <= hi:
        mid = (lo + hi) // 2
        result = attempt(mid)
        if any(f.code == "E302" for f in result.findings):
            hi = mid - 1
        else:
            best, lo = (mid, result), mid + 1
    if best is None:
        return None
    keep, result = best
    result.findings.append(finding("I307", f"continued on page {later.number} after {keep} of {total} lines",
                                   where=f"page {page.number}, article '{art_id}'", hint=""))
    return result, (art_id + CONTINUED, Fragment(keep, None, jump_from=page.number))


def layout_page(issue: Issue, page: Page, layout: Layout, composer: Composer, strings: Strings, *,
                extra: list[tuple[str, Fragment]] = (), fragments: dict[str, Fragment] | None = None) -> PageLayout:
    """One page: automatic when its template has no slots, else the page plan's articles fill the slots.

    `extra` are continuations from earlier pages, set after the page's own articles; `fragments` the part of
    an article this page keeps when it jumps.
    """
    template = layout.template(page.template, f"{issue.root / 'issue.toml'} page {page.number}")
    zones = {z.name: layout.rect(z.col, z.span, z.line or 0, z.lines or 1) for z in template.zones}
    zone_cells = sum((z.lines or 0) * z.span for z in template.zones)
    result = PageLayout(page, template, [], zones, free_cells=layout.columns * layout.lines - zone_cells)
    if not template.slots:
        from .autoplace import auto_layout_page  # a template without slots is placed automatically
        auto_layout_page(issue, page, template, layout, composer, strings, result,
                         items=[*page.articles, *(item for item, _ in extra)],
                         fragments={**(fragments or {}), **dict(extra)})
        return result
    if extra or fragments:
        result.findings.append(finding("E308", "a story cannot jump to or from a page with pinned slots",
                                       where=f"page {page.number}", hint="use a template without slots"))
        return result
    if len(page.articles) > len(template.slots):
        result.findings.append(finding(
            "E301", f"{len(page.articles)} articles but template '{template.name}' has "
                             f"{len(template.slots)} slots", where=f"page {page.number}",
            hint="choose a template with more slots or move articles to another page"))
        return result
    # The lowest line taken so far in every column (a slot without `line` starts there), counting zones
    # that start at the top; zones lower down (an ad at the foot) are floors that modules must stay above.
    bottom = [0] * layout.columns
    for z in sorted(template.zones, key=lambda z: z.line or 0):
        for c in range(z.col, z.col + z.span):
            if (z.line or 0) <= bottom[c]:
                bottom[c] = max(bottom[c], (z.line or 0) + (z.lines or 0))
    floor = [min([z.line or 0 for z in template.zones if z.col <= c < z.col + z.span and (z.line or 0) >= bottom[c]]
                 + [layout.lines]) for c in range(layout.columns)]
    for art_id, slot in zip(page.articles, template.slots):
        cols = range(slot.col, slot.col + slot.span)
        line = slot.line if slot.line is not None else max(bottom[c] for c in cols)
        if slot.vertical:
            from .vertical import layout_vertical_module  # 竖排: it builds on this module's Module and Composer
            module = layout_vertical_module(issue.articles[art_id], slot, line, layout, composer, strings)
        else:
            module = layout_module(issue.articles[art_id], slot, line, layout, composer, strings)
        result.modules.append(module)
        where = f"page {page.number}, article '{art_id}', slot '{slot.name}'"
        over_text = module.overset
        over_page = module.line + module.lines - min(floor[c] for c in cols)
        if over_text > 0:
            result.findings.append(finding("E302", f"overset by {over_text} lines "
                                                            f"({module.lines_available} column-lines available)",
                                           where=where, hint="shorten the copy or give it a larger slot"))
        elif over_page > 0:
            result.findings.append(finding("E302", f"overset by {over_page} lines: the module runs past "
                                                            f"the foot of the page", where=where,
                                           hint="shorten the copy, widen the slot or move the article"))
        elif module.lines_available - module.lines_used > slot.span:
            result.findings.append(finding("W303", f"underset: {module.lines_available - module.lines_used} "
                                                              f"empty column-lines", where=where, hint=""))
        for other in result.modules[:-1]:
            if other.col < module.col + module.span and module.col < other.col + other.span \
                    and other.line < module.line + module.lines and module.line < other.line + other.lines:
                result.findings.append(finding("E304", f"overlaps article '{other.article.id}'", where=where,
                                               hint="give the slots of this template distinct rows or columns"))
        for c in cols:
            bottom[c] = max(bottom[c], module.line + module.lines)
    return result


def headline_boxes(article: Article, rect: Rect, rank: int, layout: Layout, composer: Composer,
                   air: int = 0) -> tuple[list[TextBox], int]:
    """Kicker, title and subtitle stacked and centred (with `air` extra lines around them); boxes and lines taken."""
    sizes = layout.headline(rank)
    width = rect.w - 2 * layout.body_size
    parts = [("kicker", article.kicker, sizes.kicker, "serif-bold"), ("title", article.title, sizes.title, "sans"),
             ("subtitle", article.subtitle, sizes.subtitle, "sans-regular")]
    stacked: list[tuple[str, float, float, list[Line], str, float]] = []
    height = 0.0
    for kind, text, size, role in parts:
        if not text:
            continue
        lines, measure = balanced_lines(composer, text, width, size, role)
        lh = size * getattr(layout.headline_leading, kind)
        stacked.append((kind, size, lh, lines, role, measure))
        height += lh * len(lines)
    if not stacked:
        return [], 0
    # at least half a line of air around the block, on whole body lines so the text below stays on the grid
    n_lines = math.ceil((height + layout.pitch) / layout.pitch) + air
    y = rect.y + (n_lines * layout.pitch - height) / 2
    boxes = []
    for kind, size, lh, lines, role, measure in stacked:
        h = lh * len(lines)
        x = rect.x + layout.body_size + (width - measure) / 2
        boxes.append(TextBox(kind, Rect(x, y, measure, h), size, lh,
                             tuple(SetLine(ln, role) for ln in lines), align="center"))
        y += h
    return boxes, n_lines


def balanced_lines(composer: Composer, text: str, width: float, size: float, role: str) -> tuple[list[Line], float]:
    """A headline broken into lines of even length: the narrowest measure that needs no more lines than `width`.

    Greedy breaking leaves a lone character on the last line of a two-line headline; editors balance them.
    """
    lines = composer.lines(text, width, size, role, indent=0.0, align="center")
    if len(lines) < 2:
        return lines, width
    lo, hi = width / 2, width
    while hi - lo > size / 4:
        mid = (lo + hi) / 2
        if len(composer.lines(text, mid, size, role, indent=0.0, align="center")) <= len(lines):
            hi = mid
        else:
            lo = mid
    return composer.lines(text, hi, size, role, indent=0.0, align="center"), hi


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
    photo_plan = []
    for photo in shown.photos[:1]:
        pspan = slot.span if article.kind == "photo-news" else min(slot.photo_span or slot.span, slot.span)
        width = layout.span_width(pspan)
        caption = photo.caption if article.kind == "article" else " ".join(article.paragraphs)
        credit = strings.photo_credit(photo.credit)
        text = f"{caption}{strings['byline_join']}{credit}" if caption and credit else caption or credit
        cap_lines = composer.lines(text, width, layout.caption_size, "kai", indent=0.0) if text else []
        photo_plan.append((photo, slot.span - pspan, pspan, max(1, round(width * photo.aspect / pitch)), cap_lines))

    def col_tops(head: int) -> list[int]:
        tops = [head] * slot.span
        for _, pcol, pspan, rows, caps in photo_plan:
            for c in range(pcol, pcol + pspan):
                tops[c] = head + rows + len(caps) + 1
        return tops

    def make_body(looser: frozenset[int]) -> list[SetLine]:
        body = body_lines(article, layout.column_width, composer, strings, looser) if article.kind == "article" else []
        return jump_lines(article, body, fragment, layout, composer, strings) if fragment else body

    def plan(body: list[SetLine]) -> tuple[list[TextBox], int, int, list[int], float, list[list[SetLine]], int]:
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
        return boxes, head_lines, height, tops, body_pitch, columns, len(body) - pos

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
        widowed = tails(setting[5])
        if not widowed:
            break
        widow = min(widowed)
        paragraphs = sorted({sl.para for sl in make_body(looser) if sl.role == "serif" and 0 <= sl.para <= widow
                             and sl.para not in looser}, reverse=True)[:4]
        for para in paragraphs:
            trial = plan(make_body(looser | {para}))
            if not trial[6] and (trial[2] == setting[2] or natural_height) and len(tails(trial[5])) < len(widowed):
                looser, setting = looser | {para}, trial
                break
        else:
            break
    boxes, head_lines, height, tops, body_pitch, columns, overset = setting
    module.boxes.extend(boxes)
    for photo, pcol, pspan, rows, caps in photo_plan:
        x, y = layout.col_x(slot.col + pcol), y0 + head_lines * pitch
        module.photos.append(PhotoBox(Rect(x, y, layout.span_width(pspan), rows * pitch), photo))
        if caps:
            cy = y + rows * pitch + (pitch - layout.caption_size) / 2
            module.boxes.append(TextBox("caption", Rect(x, cy, layout.span_width(pspan), len(caps) * pitch),
                                        layout.caption_size, pitch, tuple(SetLine(ln, "kai") for ln in caps)))
    module.lines = height + 1
    module.rect = layout.rect(slot.col, slot.span, line, module.lines)
    used_pt = 0.0
    for c, (top, chunk) in enumerate(zip(tops, columns)):
        if chunk:
            module.boxes.append(TextBox("body", Rect(layout.col_x(slot.col + c), y0 + top * pitch, layout.column_width,
                                                     len(chunk) * body_pitch), size, body_pitch, tuple(chunk)))
            used_pt += len(chunk) * body_pitch
    module.overset = overset
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
