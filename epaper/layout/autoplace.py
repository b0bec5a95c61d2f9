"""A page's articles (most important first) and its template's free area in, a gap-free tiling of modules out.

The page below the fixed zones (报头, an ad at the foot) is cut the way Chinese pages usually are: the lead
story across the top (the whole width, or most of it with a side strip at the right), and below it vertical
strips of 2–5 columns, each holding a stack of stories in order of importance. Every article's height at
every width is exact (the composer's line counts), so the search is arithmetic: it tries the lead's widths,
the ways of cutting the rest into strips and the photos' widths, assigns the other stories to strips, and keeps
the arrangement with the least white space. What a strip has left over is closed inside its modules by air
around the headlines and by body leading within bounds — never by stretching characters.
"""

from __future__ import annotations

from dataclasses import replace

from ..codes import finding
from ..model import Issue, Page
from ..strings import Strings
from .autosearch import Measurer, Strip, fill_strip, overruns, widows
from .composer import Composer
from .grid import Layout, Template
from .searchmemo import memo_search as search
from .types import CONTINUED, Fragment, PageLayout

HOUSE_AD_MIN = 8  # lines: a shorter leftover is closed inside the modules, not given to a house ad
HOUSE_AD_ZONE = "house-ad"  # the zone's name: print draws layouts/*/zone-house-ad.html.jinja in it


def auto_layout_page(issue: Issue, page: Page, template: Template, layout: Layout, composer: Composer,
                     strings: Strings, result: PageLayout, *, items: list[str] | None = None,
                     fragments: dict[str, Fragment] | None = None) -> None:
    """Fill `result` with modules tiling the free area; overset and underset become findings.

    `items` are the page's articles in order of importance plus continuations from earlier pages (ids ending
    in CONTINUED); `fragments` says which part of an article each continued item sets.
    """
    arts = list(items if items is not None else page.articles)
    if not template.house_ad or not any(p.placeholder for a in arts
                                        for p in issue.articles[a.removesuffix(CONTINUED)].photos):
        place_page(issue, page, template, layout, composer, strings, result, arts, fragments)
        return
    # A page whose white goes to a house ad should not fill it with a placeholder photo blown up instead: a
    # placeholder keeps a real printed size, at most half the page's width, unless that leaves the modules
    # less full than the whole-width photo would (two short items on a 四开 page).
    tries = []
    for photo_max in (max(2, layout.columns // 2), 0):
        trial = replace(result, modules=[], zones=dict(result.zones), findings=list(result.findings))
        place_page(issue, page, template, layout, composer, strings, trial, arts, fragments, photo_max)
        errors = sum(f.severity == "error" for f in trial.findings)
        tries.append((errors, -min(trial.text_fill, 0.85), trial))
        if not errors and trial.text_fill >= 0.85:
            break
    chosen = min(tries, key=lambda t: t[:2])[2]
    result.modules[:], result.findings[:], result.free_cells = chosen.modules, chosen.findings, chosen.free_cells
    result.zones.clear()
    result.zones.update(chosen.zones)


def place_page(issue: Issue, page: Page, template: Template, layout: Layout, composer: Composer, strings: Strings,
               result: PageLayout, arts: list[str], fragments: dict[str, Fragment] | None, photo_max: int = 0) -> None:
    """auto_layout_page for one setting of the widest placeholder photo (`photo_max` columns, 0: any)."""
    top, floor = free_band(template, layout)
    measure = Measurer(issue, layout, composer, strings, fragments)
    measure.pins = dict(page.pins)
    if template.house_ad:
        measure.house_ad, measure.photo_max = photo_max > 0, photo_max  # the lead beside a narrow photo
        floor = house_ad(arts, measure, layout, top, floor, result, f"page {page.number}")
    best = search(arts, measure, layout.columns, top, floor)
    where = f"page {page.number}"
    if best is None and measure.pins:
        pins, measure.pins = measure.pins, {}
        if search(arts, measure, layout.columns, top, floor) is not None:
            result.findings.append(finding("E309", "the pins leave no arrangement that fits: "
                                           + ", ".join(f"{a} {p}" for a, p in pins.items()), where=where,
                                           hint="loosen or drop a pin; the page fits without them"))
            return
        measure.pins = pins
    if best is None:
        # Nothing fits: arrange on an unbounded page to say which stories run past the foot, and by how much.
        loose = search(arts, measure, layout.columns, top, top + 100 * layout.lines, tight=False)
        for art_id, over in overruns(loose, top, floor - top) if loose else [(arts[0], 0)]:
            by = f" by {over} lines" if over else ""
            result.findings.append(finding("E302", f"overset{by}: the page's articles do not fit",
                                           where=f"{where}, article '{art_id}'",
                                           hint="shorten the copy or move an article to another page"))
        return
    # The lead may take a few of the strips' spare lines when that keeps its columns free of widows.
    spare = min((st.height - sum(n for _, _, n in stack) for st, stack in zip(best.strips, best.stacks)
                 if st.top > top), default=0)
    lead_module = min((measure.module(arts[0], best.lead, line=top, col=0, target=best.lead_lines + x)
                       for x in range(0, max(0, min(6, spare)) + 1)), key=lambda m: (widows(m), m.lines))
    grown = lead_module.lines - best.lead_lines
    result.modules.append(lead_module)
    for strip, stack in zip(best.strips, best.stacks):
        if strip.top > top:
            strip = Strip(strip.col, strip.span, strip.top + grown, strip.bottom)
        result.modules.extend(fill_strip(strip, stack, measure))
    # Document order is the page plan's order of importance: bookmarks, reading order and tagged PDF follow it.
    order = {a: i for i, a in enumerate(arts)}
    result.modules.sort(key=lambda m: order[m.dom_id])
    report(result, layout, top, floor, where)


def house_ad(arts: list[str], measure: Measurer, layout: Layout, top: int, floor: int, result: PageLayout,
             where: str) -> int:
    """Reserve a full-width house-ad zone (公益广告) at the foot of the free band, as tall as the copy leaves free:
    the largest height at which the articles still fit above it. Returns the new floor of the articles' band.

    Short copy on a page meant for more would otherwise leave white space in its modules; a house ad is how a
    newsroom fills such a page. Fitting only gets easier as the band grows, so the height is found by bisection."""
    lo, hi = 0, floor - top - HOUSE_AD_MIN  # lo: a height known to fit (none); hi: the most the page can give
    if hi < HOUSE_AD_MIN or search(arts, measure, layout.columns, top, floor - HOUSE_AD_MIN) is None:
        return floor
    lo = HOUSE_AD_MIN
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if search(arts, measure, layout.columns, top, floor - mid) is not None:
            lo = mid
        else:
            hi = mid - 1
    rect = layout.rect(0, layout.columns, floor - lo, lo)
    result.zones[HOUSE_AD_ZONE] = rect
    result.free_cells -= layout.columns * lo
    size = rect.mm()
    result.findings.append(finding("I320", f"a house-ad slot (公益广告) of {size['w']:.0f} × "
                                                   f"{size['h']:.0f} mm ({lo} lines) fills what the copy leaves at "
                                                   "the foot", where=where,
                                   hint="place a 公益广告 or an ad there, or add copy: the slot shrinks to fit"))
    return floor - lo


def free_band(template: Template, layout: Layout) -> tuple[int, int]:
    """First and last+1 line left free by full-width zones at the head and foot of the page."""
    top, floor = 0, layout.lines
    for z in sorted(template.zones, key=lambda z: z.line or 0):
        line, lines = z.line or 0, z.lines or 0
        if line <= top:
            top = max(top, line + lines)
        else:
            floor = min(floor, line)
    return top, floor


def report(result: PageLayout, layout: Layout, top: int, floor: int, where: str) -> None:
    for m in result.modules:
        if m.overset:
            result.findings.append(finding("E302", f"overset by {m.overset} lines",
                                           where=f"{where}, article '{m.article.id}'",
                                           hint="shorten the copy or move an article to another page"))
    fill = result.text_fill * result.area_fill
    if fill < 0.97:
        result.findings.append(finding("W306", f"page filled {fill:.1%} (< 97%)", where=where,
                                       hint="add copy, a larger photo, or another article"))
