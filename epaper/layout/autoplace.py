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

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterator

from ..checks.codes import finding
from ..model import Article, Issue, Page, Pin
from ..strings import Strings
from .grid import Layout, Slot, Template
from .place import CONTINUED, Composer, Fragment, Module, PageLayout, layout_module

MAX_LEADING = 1.10  # body pitch may grow by at most 10 % to close a strip
MAX_AIR = 2  # extra lines of air around a headline
STRIP_WIDTHS = (2, 3, 4, 5, 6, 7, 8)  # strips wider than 5 columns are scored down
MAX_NODES = 60_000  # search budget per page; the best arrangement found so far wins
HOUSE_AD_MIN = 8  # lines: a shorter leftover is closed inside the modules, not given to a house ad
HOUSE_AD_ZONE = "house-ad"  # the zone's name: print draws layouts/*/zone-house-ad.html.jinja in it


@dataclass(frozen=True)
class Shape:
    """How one article is set: columns, headline rank and photo width."""

    span: int
    rank: int
    photo_span: int


@dataclass(frozen=True)
class Strip:
    col: int
    span: int
    top: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass
class Arrangement:
    lead_id: str
    lead: Shape
    lead_lines: int
    strips: list[Strip]
    stacks: list[list[tuple[str, Shape, int]]]  # per strip: (article id, shape, natural lines)
    score: float


def compositions(total: int, parts: tuple[int, ...] = STRIP_WIDTHS, max_parts: int = 4) -> Iterator[tuple[int, ...]]:
    """Ordered ways to cut `total` columns into strips of the allowed widths."""
    if total == 0:
        yield ()
        return
    if max_parts == 0:
        return
    for p in parts:
        if p <= total:
            for rest in compositions(total - p, parts, max_parts - 1):
                yield (p, *rest)


def photo_spans(article: Article, span: int, widest: int = 0) -> list[int]:
    """Whole-column photo widths worth trying: the module's width down to half of it (a portrait: one column);
    none wider than `widest` columns when that is set (a photo news item is as wide as its module: none)."""
    if not article.photos or article.kind == "photo-news":
        return [span] if not widest or span <= widest or article.kind != "photo-news" else []
    narrowest = 1 if article.photos[0].aspect > 1.2 else 2
    return sorted({o for o in (span, span - 1, (span + 1) // 2, narrowest)
                   if narrowest <= o <= span and (not widest or o <= max(widest, narrowest))})


def rank_for(index: int, span: int) -> int:
    """Headline size follows importance: the lead 1, the second story 2, then 3; narrow modules one size down."""
    rank = 1 if index == 0 else 2 if index == 1 else 3
    return min(4, rank + (1 if span <= 2 and rank > 1 else 0))


class Measurer:
    """Natural heights (in lines, with the spacing line) and how many extra lines a module can absorb."""

    def __init__(self, issue: Issue, layout: Layout, composer: Composer, strings: Strings,
                 fragments: dict[str, Fragment] | None = None):
        self.issue, self.layout, self.composer, self.strings = issue, layout, composer, strings
        self.fragments = fragments or {}  # item id → the part of its article set here (转版)
        self.pins: dict[str, Pin] = {}  # item id → the editor's constraint on its width or place
        self.photo_max = 0  # columns a placeholder photo may span at most (0: any); see auto_layout_page
        self.house_ad = False  # a house-ad page with a capped placeholder: the lead may stand alone beside a strip
        self.natural = lru_cache(maxsize=None)(self._natural)
        self.closable = lru_cache(maxsize=None)(self._closable)

    def article(self, item: str) -> Article:
        return self.issue.articles[item.removesuffix(CONTINUED)]

    def module(self, item: str, shape: Shape, line: int = 0, col: int = 0, target: int | None = None) -> Module:
        slot = Slot(name=item, col=col, span=shape.span, rank=shape.rank, photo_span=shape.photo_span)
        return layout_module(self.article(item), slot, line, self.layout, self.composer, self.strings,
                             target=target, max_leading=MAX_LEADING, max_air=MAX_AIR,
                             fragment=self.fragments.get(item))

    def _natural(self, art_id: str, shape: Shape) -> int:
        return self.module(art_id, shape).lines

    def _closable(self, art_id: str, shape: Shape) -> int:
        """Extra lines this module can take: air around the headline, then leading over its body rows."""
        article = self.article(art_id)
        air = MAX_AIR if (article.title or article.kicker or article.subtitle) else 0
        if article.kind != "article":
            return air
        rows = self.natural(art_id, shape) - 1
        return air + int(rows * (MAX_LEADING - 1) * 0.8)  # 0.8: balanced columns lose a little to rounding


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


def overruns(arrangement: Arrangement, top: int, height: int) -> list[tuple[str, int]]:
    """The stories that end below the foot of the page, with the lines they run over."""
    if arrangement.lead_lines > height or not arrangement.stacks:
        return [(arrangement.lead_id, max(0, arrangement.lead_lines - height))]
    out = []
    for strip, stack in zip(arrangement.strips, arrangement.stacks):
        end = strip.top - top + sum(n for _, _, n in stack)
        if end > height:
            out.append((stack[-1][0], end - height))
    return out


def widows(module: Module) -> int:
    """Columns whose first full-width line ends a paragraph: a widow at the column head (and a line a reader
    takes for a ragged one). Indented paragraph starts and subheads do not count as full-width."""
    count = 0
    for box in module.boxes:
        if box.kind != "body":
            continue
        first = next((sl for sl in box.lines if sl.line.indent == 0 and sl.role == "serif"), None)
        if first is not None and first.line.last:
            count += 1
    return count


def fill_strip(strip: Strip, stack: list[tuple[str, Shape, int]], measure: Measurer) -> list[Module]:
    """Stack the strip's modules, handing its spare lines out so that the fewest columns start with a widow."""
    extra = strip.height - sum(n for _, _, n in stack)
    caps = [measure.closable(a, s) for a, s, _ in stack]
    base = share_extra(extra, caps) if extra > 0 else [0] * len(stack)
    candidates = [base]
    if extra > 0 and len(stack) > 1:
        # nearby distributions: move up to 3 lines between neighbouring modules, within their caps
        for i in range(len(stack)):
            for j in range(len(stack)):
                for d in range(1, 7):
                    if i == j:
                        continue
                    alt = list(base)
                    alt[i] += d
                    alt[j] -= d
                    if all(0 <= a <= max(c, b) for a, c, b in zip(alt, caps, base)):
                        candidates.append(alt)
    best: tuple[int, list[Module]] | None = None
    for shares in candidates:
        modules, line = [], strip.top
        for (art_id, shape, natural), add in zip(stack, shares):
            module = measure.module(art_id, shape, line=line, col=strip.col, target=natural + add)
            modules.append(module)
            line += module.lines
        score = sum(widows(m) for m in modules) + sum(m.overset for m in modules) * 100
        if best is None or score < best[0]:
            best = (score, modules)
    assert best is not None
    return best[1]


def share_extra(extra: int, caps: list[int]) -> list[int]:
    """Hand out `extra` lines one at a time to the modules with the most room left (never above their cap)."""
    out = [0] * len(caps)
    for _ in range(extra):
        room = [c - o for c, o in zip(caps, out)]
        i = max(range(len(caps)), key=lambda k: room[k])
        if room[i] <= 0:
            out[-1] += 1  # nothing can absorb it: the last module keeps it as white space (reported as underset)
        else:
            out[i] += 1
    return out


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


def search(arts: list[str], measure: Measurer, columns: int, top: int, floor: int,
           tight: bool = True) -> Arrangement | None:
    """Try lead widths × strip cuts × photo widths × assignments; the least white space wins."""
    best: Arrangement | None = None
    height = floor - top
    lead_id, rest = arts[0], arts[1:]
    lead_article = measure.article(lead_id)
    lead_spans = [s for s in (columns, columns - 2, columns - 3) if s >= columns // 2]
    if not rest:
        lead_spans = [columns]
    elif measure.photo_max and lead_article.kind == "photo-news" and measure.photo_max not in lead_spans:
        lead_spans.append(measure.photo_max)  # a photo news lead at a placeholder's printed width
    pin = measure.pins.get(lead_id)
    if pin and pin.columns:
        lead_spans = [pin.columns] if pin.columns in lead_spans or not rest else []
    for lead_span in lead_spans:
        for pspan in photo_spans(lead_article, lead_span, measure.photo_max):
            lead = Shape(lead_span, 1, pspan)
            lead_lines = measure.natural(lead_id, lead)
            if not rest:
                cand = Arrangement(lead_id, lead, height, [], [], score=max(0, height - lead_lines) * columns)
                if lead_lines <= height and (best is None or cand.score < best.score):
                    best = cand
                continue
            side = columns - lead_span
            if measure.house_ad and side in STRIP_WIDTHS and lead_lines <= height:
                # the lead alone down its columns and the rest beside it: how two short items share a page
                # whose white goes to a house ad (a photo news item beside its lead, not blown up under it)
                found = assign(lead_id, rest, [Strip(lead_span, side, top, floor)], measure, lead, lead_lines, tight)
                if found:
                    white = height - lead_lines
                    found.score += (max(0, white - measure.closable(lead_id, lead)) * 10 + white * 0.1) * lead_span
                    found.lead_lines = height
                    if best is None or found.score < best.score:
                        best = found
            if lead_lines >= height - 4:
                continue  # no room for anything under the lead
            cuts = []
            for parts in compositions(lead_span, max_parts=min(4, len(rest))):
                strips, col = [], 0
                for p in parts:
                    strips.append(Strip(col, p, top + lead_lines, floor))
                    col += p
                if side:
                    if side not in STRIP_WIDTHS:
                        continue
                    strips.append(Strip(lead_span, side, top, floor))
                if len(strips) <= len(rest):
                    cuts.append(strips)
            for strips in cuts:
                found = assign(lead_id, rest, strips, measure, lead, lead_lines, tight)
                if found and (best is None or found.score < best.score):
                    best = found
    return best


def assign(lead_id: str, rest: list[str], strips: list[Strip], measure: Measurer, lead: Shape, lead_lines: int,
           tight: bool = True) -> Arrangement | None:
    """Depth-first: each story in importance order goes to the foot of some strip; prune on overflow."""
    n = len(strips)
    used = [0] * n
    stacks: list[list[tuple[str, Shape, int]]] = [[] for _ in strips]
    best: list[Arrangement | None] = [None]
    nodes = [0]
    seen: set[tuple] = set()

    def score() -> float:
        white = 0.0
        for strip, stack, u in zip(strips, stacks, used):
            extra = strip.height - u
            cap = sum(measure.closable(a, s) for a, s, _ in stack)
            white += max(0, extra - cap) * strip.span * 10 + extra * strip.span * 0.1 if tight else u * strip.span
            white += max(0, strip.span - 5) * 20  # very wide modules of body text read badly
        # the second story should head the widest strip, not be buried
        second = next(i for i, st in enumerate(stacks) if st and st[0][0] == rest[0]) if stacks else 0
        white += (max(s.span for s in strips) - strips[second].span) * 5
        return white

    side_top = min(s.top for s in strips)  # the side strip starts beside the lead; the others below it
    if len({s.top for s in strips}) == 1:
        side_top = -1  # no side strip: every strip is below the lead

    def visit(i: int) -> None:
        nodes[0] += 1
        if nodes[0] > MAX_NODES:
            return
        if i == len(rest):
            if all(stacks):
                sc = score()
                if best[0] is None or sc < best[0].score:
                    best[0] = Arrangement(lead_id, lead, lead_lines, strips, [list(s) for s in stacks], sc)
            return
        # the stories still to come must be able to give every empty strip something
        if sum(1 for s in stacks if not s) > len(rest) - i:
            return
        key = (i, tuple(used))
        if key in seen:
            return
        seen.add(key)
        art_id = rest[i]
        article = measure.article(art_id)
        pin = measure.pins.get(art_id)
        for j, strip in enumerate(strips):
            if pin and ((pin.columns and strip.span != pin.columns)
                        or (pin.zone == "side" and strip.top != side_top)
                        or (pin.zone == "below" and strip.top == side_top)):
                continue
            if i == 0 and strip.top != strips[0].top and len(strips) > 1 and strip.span < max(s.span for s in strips):
                pass  # allowed, scored down in score()
            rank = rank_for(i + 1, strip.span)
            for pspan in photo_spans(article, strip.span, measure.photo_max):
                shape = Shape(strip.span, rank, pspan)
                lines = measure.natural(art_id, shape)
                if used[j] + lines > strip.height:
                    continue
                used[j] += lines
                stacks[j].append((art_id, shape, lines))
                visit(i + 1)
                stacks[j].pop()
                used[j] -= lines

    visit(0)
    return best[0]


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
