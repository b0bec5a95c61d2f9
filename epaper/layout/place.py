"""An Issue and its Layout in, per-page geometry out: every module, headline, photo and pre-broken column line in points.

Placement here is template-driven: the page plan's articles fill the template's slots in order of importance.
Everything is computed on the character grid with the composer's exact line counts, so whether a story fits
is arithmetic; text that does not fit is a LayoutError naming page, article, slot and the lines over.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import TYPE_CHECKING, Callable

from ..codes import finding
from ..errors import LayoutError
from ..fonts import Palette
from ..model import Issue, Page
from ..strings import Strings
from .composer import Composer, _composer, _namespace, _store_lines, composition_settings
from .autoplace import auto_layout_page
from .grid import Layout
from .module import body_lines, layout_module
from .types import CONTINUED, Fragment, PageLayout
from .vertical import layout_vertical_module

if TYPE_CHECKING:
    from ..cache_layout import LayoutStore


# Pages laid out earlier in this process, by everything their layout depends on: `epaper serve` and other
# long-lived callers rebuild an issue after one article changed, and only that article's page is laid out again.
MEMO_PAGES = 64
_MEMO: OrderedDict[str, tuple[PageLayout, tuple[str, Fragment] | None]] = OrderedDict()


def forget() -> None:
    """Drop what this process remembers of earlier layouts: placed pages, searches and composed paragraphs. A
    process that builds issue after issue (an archive worker) calls it between issues: their copy differs, so the
    memos only grow (they made a worker of 200 issues reach 3 GB); the on-disk stores keep what a rebuild needs."""
    from . import composer, searchmemo

    _MEMO.clear()
    searchmemo._MEMO.clear()
    composer._COMPOSERS.clear()


def _page_key(issue: Issue, page: Page, later: Page | None, layout: Layout, palette: Palette, strings: Strings,
              extra: list[tuple[str, Fragment]]) -> str:
    """A digest of a page's inputs: the paper, grid, fonts, strings, the plan entry, its own articles and those
    it continues, whether it may jump and where to. Equal inputs lay out equally (the layout is deterministic)."""
    articles = [issue.articles[a] for a in page.articles]
    articles += [issue.articles[a.removesuffix(CONTINUED)] for a, _ in extra]
    # the next page matters only to a page that may jump to it (转版)
    state = (issue.paper, issue.jumps, later.number if later and issue.jumps else None, layout, palette,
             strings.table, page, articles, extra)
    # repr, not pickle: a pickle depends on which equal objects happen to be one object (interned strings)
    return hashlib.sha256(repr(state).encode("utf-8")).hexdigest()



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
    if not template.slots:  # a template without slots is placed automatically
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
        if slot.vertical:  # 竖排
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
