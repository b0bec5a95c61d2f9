"""Stories and a band of the page in, the best arrangement of strips out: the shapes an article can take, their
exact heights (Measurer) and the depth-first search over lead widths, strip cuts and photo widths (autoplace.py
places the result)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from ..model import Article, Issue, Pin
from ..strings import Strings
from .composer import Composer
from .grid import Layout, Slot
from .module import layout_module
from .types import CONTINUED, Fragment, Module

MAX_LEADING = 1.10  # body pitch may grow by at most 10 % to close a strip
MAX_AIR = 2  # extra lines of air around a headline
STRIP_WIDTHS = (2, 3, 4, 5, 6, 7, 8)  # strips wider than 5 columns are scored down
MAX_NODES = 60_000  # search budget per page; the best arrangement found so far wins


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


class _Heights(dict):
    """(item id, shape) → lines, computed by `compute` at the first look-up."""

    def __init__(self, compute: Callable[[str, Shape], int]):
        super().__init__()
        self.compute = compute

    def __missing__(self, key: tuple[str, Shape]) -> int:
        value = self[key] = self.compute(*key)
        return value


class Measurer:
    """Natural heights (in lines, with the spacing line) and how many extra lines a module can absorb."""

    def __init__(self, issue: Issue, layout: Layout, composer: Composer, strings: Strings,
                 fragments: dict[str, Fragment] | None = None):
        self.issue, self.layout, self.composer, self.strings = issue, layout, composer, strings
        self.fragments = fragments or {}  # item id → the part of its article set here (转版)
        self.pins: dict[str, Pin] = {}  # item id → the editor's constraint on its width or place
        self.photo_max = 0  # columns a placeholder photo may span at most (0: any); see auto_layout_page
        self.house_ad = False  # a house-ad page with a capped placeholder: the lead may stand alone beside a strip
        # heights by (item id, shape), each computed once: the search reads them hundreds of thousands of times,
        # and epaper/layout/searchmemo.py keeps them as what a search depended on
        self.naturals = _Heights(self._natural)
        self.closables = _Heights(self._closable)

    def natural(self, art_id: str, shape: Shape) -> int:
        return self.naturals[art_id, shape]

    def closable(self, art_id: str, shape: Shape) -> int:
        return self.closables[art_id, shape]

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
    naturals, closables = measure.naturals, measure.closables

    def score() -> float:
        white = 0.0
        for strip, stack, u in zip(strips, stacks, used):
            extra = strip.height - u
            cap = sum(closables[a, s] for a, s, _ in stack)
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
                lines = naturals[art_id, shape]
                if used[j] + lines > strip.height:
                    continue
                used[j] += lines
                stacks[j].append((art_id, shape, lines))
                visit(i + 1)
                stacks[j].pop()
                used[j] -= lines

    visit(0)
    return best[0]
