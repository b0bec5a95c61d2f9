"""The lines of one input file in, draft articles (headline lines, byline, body units, photos) and removed text out:
the lines are classified (units), their headline lines marked (headings), then grouped in one walk (here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .clean import BOLD_LEVEL, Removed
from .headings import assign_roles
from .log import Log
from .patterns import CAPTION_MARK, FURNITURE_REASON
from .recognise import Byline, Credit, opens_byline, paren_byline
from .text import SPACES, Traced, ends_sentence, han_only
from .units import Columns, Marks, Unit, columns_of, units_of

SUBHEAD_MAX = 16  # Han characters; a longer headline-like line inside an article starts a new article


@dataclass
class Draft:
    """One article as found: headline lines, byline, and body units in input order (text and captions)."""

    file: int
    head: list[Unit] = field(default_factory=list)
    byline: Byline = field(default_factory=Byline)
    units: list[Unit] = field(default_factory=list)
    photo_news: Unit | None = None  # the caption unit of a photo news item

    @property
    def has_body(self) -> bool:
        return any(u.kind == "text" for u in self.units)


def segment(lines: list[Traced], file: int, log: Log, marks: Marks = Marks()) -> tuple[list[Draft], list[Removed],
                                                                                       Columns]:
    """Units grouped into drafts; returns the drafts, text taken out with its reason, and how the columns were
    kept. Text before any headline starts an article of its own (its title a marked placeholder)."""
    units = units_of(lines, marks)
    columns = columns_of(units)
    assign_roles(units, columns.width, marks)
    grouper = _Grouper(file, log, columns, marks)
    i = 0
    while i < len(units):
        i = grouper.take(units, i)
    grouper.finish()
    return grouper.drafts, grouper.removed, columns


class _Grouper:
    """Walks the units once, keeping the article being filled; each take() consumes one or more units."""

    def __init__(self, file: int, log: Log, columns: Columns, marks: Marks):
        self.file, self.log, self.columns, self.marks = file, log, columns, marks
        self.drafts: list[Draft] = []
        self.removed: list[Removed] = []
        self.cur: Draft | None = None
        self.pending: Unit | None = None  # a byline line met before the headline of its article

    def start(self, head: list[Unit], photo_news: Unit | None = None) -> Draft:
        self.cur = Draft(self.file, head=head, photo_news=photo_news)
        if self.pending is not None and self.pending.byline is not None:
            self.cur.byline.merge(self.pending.byline)
            self.pending = None
        self.drafts.append(self.cur)
        return self.cur

    def leave(self, t: Traced, why: str) -> None:
        """Text that is no article's: into removed.txt with the reason, and listed for review."""
        self.removed.append(Removed(why, t))
        self.log.doubt("unplaced", t, why)

    def take(self, units: list[Unit], i: int) -> int:
        """Consume the unit at i (and any it pulls along); returns the index of the next one to take."""
        u = units[i]
        nxt = units[i + 1] if i + 1 < len(units) else None
        if u.kind == "text" and u.role == "head":
            return self.head_run(units, i)
        if u.kind == "dateline":
            return self.dateline(u, nxt, i)
        if u.kind == "byline":
            self.byline(u, nxt)
        elif u.kind == "furniture":
            self.removed.append(Removed(FURNITURE_REASON, u.text))
        elif u.kind in ("caption", "credit"):
            self.caption(u, nxt)
        elif u.kind == "source" and (last := self._last_caption(u)) is not None:
            last.text = last.text + u.text.strip()  # the source stays with the caption, as printed
        else:
            u.kind = "text"  # text; or a source note with no caption above it, which is text like any other
            if self.cur is None or self.cur.photo_news is not None:
                self.start([])  # text with no headline of its own: an article whose title is to be written
            assert self.cur is not None
            self.cur.units.append(u)
        return i + 1

    def deck_goes_on(self, above: Unit, below: Unit) -> bool:
        """Markdown puts a blank line between any two headings: `## 主题` then `### 副题` is still one deck. A heading
        one level smaller continues the deck above it, unless that is the page's own title (a single heading
        larger than every other, such as `# 民生周刊`)."""
        levels = self.marks.levels
        upper, lower = levels.get(above.text.line), levels.get(below.text.line)
        if upper is None or lower != upper + 1:
            return False
        return not (list(levels.values()).count(upper) == 1 and upper == min(levels.values())
                    and above.text.line == min(levels))

    def head_run(self, units: list[Unit], i: int) -> int:
        """Consecutive headline lines: a new article's headline, or a subhead inside the current one."""
        j = i
        while j < len(units) and units[j].kind == "text" and units[j].role == "head" and \
                (j == i or not self.marks.levels or units[j].gap == 0 or self.deck_goes_on(units[j - 1], units[j])):
            j += 1  # marked headings: a blank line parts decks, unless the next heading is the deck's next level
        run, after, cur = units[i:j], (units[j] if j < len(units) else None), self.cur
        levels = [self.marks.levels.get(r.text.line, 99) for r in run]
        top = min((self.marks.levels.get(h.text.line, 99) for h in cur.head), default=99) if cur else 99
        if after is None:
            for r in run:
                self.leave(r.text, "headline-like line with no text after it (page furniture, or a story whose "
                           "text is elsewhere)")
        elif self.marks.classical:
            self.start(run)  # no subheads on an unpunctuated page: a headline line opens a story
        elif self.marks.levels and len(run) == 1 and cur is not None and cur.units and after.kind == "text" and \
                (levels[0] > top if top < 99 else levels[0] == BOLD_LEVEL and
                 len(han_only(run[0].text.text)) <= SUBHEAD_MAX):
            run[0].role = "subhead"  # a smaller heading than the article's own: a subhead inside it
            cur.units.append(run[0])
        elif after.kind in ("dateline", "byline", "caption", "credit") or cur is None or len(run) > 1 or \
                run[0].gap > self.columns.gap or (cur.units and cur.units[-1].kind == "caption") or \
                cur.photo_news is not None:
            self.start(run)
        elif len(han_only(run[0].text.text)) > SUBHEAD_MAX:
            self.start(run)
            self.log.doubt("headline", run[0].text, "taken as the headline of an article without dateline; if it "
                           "continues the article above, join them")
        else:
            run[0].role = "subhead"
            cur.units.append(run[0])
            self.log.doubt("subhead", run[0].text, "short line without end punctuation taken as a subhead (## )")
        return j

    def dateline(self, u: Unit, nxt: Unit | None, i: int) -> int:
        """本报讯（记者 X）…: the current article's if it has only a headline so far, else a new one's."""
        assert u.byline is not None
        cur = self.cur
        if cur is None or cur.units or cur.photo_news is not None or cur.byline.dateline is not None:
            cur = self.start([])
        cur.byline.merge(u.byline)
        rest, after = u.text, i + 1
        # （记者 X 通 / 讯员 Y）, or the byline on the line after the dateline: cut by a column break.
        if nxt is not None and nxt.gap == 0 and nxt.raw is not None and nxt.kind in ("text", "dateline") and \
                (opens_byline(rest) or (not rest and nxt.raw.text.lstrip(SPACES)[:1] in "（(")):
            found = paren_byline(rest + nxt.raw)
            if found is not None:
                cur.byline.merge(found[0])
                rest, after = found[1], i + 2
        if rest:
            cur.units.append(Unit("text", rest, 0, False))
        return after

    def byline(self, u: Unit, nxt: Unit | None) -> None:
        """A byline belongs to the article it follows (under its headline, or after its text), unless the next
        line opens another article with a dateline, or no article has begun yet."""
        assert u.byline is not None
        cur = self.cur
        if cur is not None and cur.photo_news is None and not (cur.has_body and nxt is not None and
                                                               nxt.kind == "dateline"):
            if cur.has_body:
                self.log.doubt("byline", u.text, "byline after the text: names added to the article's byline")
            cur.byline.merge(u.byline)
        elif nxt is not None and (nxt.kind == "dateline" or nxt.role == "head"):
            self.pending = u
        elif nxt is not None and nxt.kind == "text":
            self.start([])  # □本报记者 X over text with no headline: an article whose title is to be written
            self.cur.byline.merge(u.byline)  # type: ignore[union-attr]
        else:
            self.leave(u.text, "byline with no article to go with")

    def _last_caption(self, u: Unit) -> Unit | None:
        """The caption directly above u (no blank line between), if the current article ends with one."""
        cur = self.cur
        if cur is None or u.gap:
            return None
        if cur.photo_news is not None and not cur.units:
            return cur.photo_news
        return cur.units[-1] if cur.units and cur.units[-1].kind == "caption" else None

    def caption(self, u: Unit, nxt: Unit | None) -> None:
        cur = self.cur
        cap = _gather_caption(cur, u)
        uncredited = None  # a caption just before, whose credit stands on this line: ▲市民賞梅。 / （記者X／攝）
        last = self._last_caption(u)
        if last is not None and last.credit is not None and not last.credit.names:
            uncredited = last
        if not cap.text and uncredited is not None and u.credit is not None:
            assert uncredited.credit is not None
            uncredited.credit = Credit(u.credit.names, uncredited.credit.labels + u.credit.labels)
        elif not cap.text:
            assert u.raw is not None
            self.leave(u.raw, "photo credit with no caption")
        elif cur is not None and cur.units and cur.units[-1].role == "subhead":
            # A short line right over a caption is the title of a photo news item, not a subhead.
            title = cur.units.pop()
            self.log.doubts[:] = [d for d in self.log.doubts if not (d.kind == "subhead" and d.line == title.text.line)]
            self.start([title], photo_news=cap)
        elif cur is not None and cur.head and not cur.has_body and cur.photo_news is None and cur.byline.empty:
            cur.photo_news = cap  # a headline directly over a caption: titled photo news
        elif cur is not None and cur.has_body and cur.photo_news is None and nxt is not None and \
                nxt.kind == "text" and nxt.role == "body":
            cur.units.append(cap)  # the article's text goes on after it: the article's own photo
            self.log.doubt("photo", cap.text, "caption inside an article's text: placed as that article's photo")
        else:
            self.start([], photo_news=cap)

    def finish(self) -> None:
        if self.pending is not None:
            self.leave(self.pending.text, "byline with no article to go with")


def _gather_caption(cur: Draft | None, u: Unit) -> Unit:
    """The whole caption: lines of the same block just before the credit line belong to it (a caption wrapped
    over several lines, or a caption line followed by a credit line)."""
    parts = [u.text] if u.text else []
    gap = u.gap
    marked = u.raw is not None and CAPTION_MARK.match(u.raw.text) is not None  # ▲ opens the caption: nothing before
    while not marked and cur is not None and (gap == 0 or not parts) and cur.units and \
            cur.units[-1].kind == "text" and cur.units[-1].role == "body":
        prev = cur.units[-1]
        if parts and ends_sentence(prev.text.text):
            break
        cur.units.pop()
        parts.insert(0, prev.text)
        gap = prev.gap
    return Unit("caption", Traced.join(parts), gap, credit=u.credit)
