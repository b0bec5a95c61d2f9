"""The lines of one input file in, draft articles (headline lines, byline, body units, photos) and removed text out."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from .clean import Removed
from .log import Log
from .patterns import (CAPTION_MARK, DATELINE, DATELINE_INLINE, DATELINE_START, FURNITURE, FURNITURE_REASON,
                       SOURCE_NOTE)
from .recognise import (Byline, Credit, headline_like, match_byline_lead, match_byline_line, match_credit,
                        match_dateline, opens_byline, paren_byline)
from .clean import BOLD_LEVEL
from .text import CLOSERS, SPACES, Traced, ends_sentence, han_only

SUBHEAD_MAX = 16  # Han characters; a longer headline-like line inside an article starts a new article
KICKER_MAX = 20  # Han characters of a 引题 ending in a comma; also the most a body sentence can have to be a heading
CLASSICAL_HEAD_MAX = 14  # Han characters of an unbracketed headline line on an unpunctuated page
BRACKETED = re.compile(f"^[{SPACES}]*[\\[［【〔][^\\]］】〕]{{1,40}}[\\]］】〕][{SPACES}]*$")


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


def assign_roles(units: list[Unit], col: float | None, marks: Marks = Marks()) -> None:
    """Mark the text units that are headline or subhead lines. Candidates are headline-like and follow a finished
    sentence, a headline line, a caption, a byline or the start. A run of candidates over a dateline, byline or
    caption is a headline whatever its commas; a run over body text keeps only strictly headline-like lines up
    to the first one that is a full column line running on into the next (column text, not a headline)."""
    headings = any(level < BOLD_LEVEL for level in marks.levels.values())  # # or <h1>: the markup says it all
    if headings or marks.classical:
        lengths = sorted(len(han_only(x.text.text)) for x in units if x.kind == "text") or [0]
        full = lengths[int(0.9 * (len(lengths) - 1))]  # a full column line
        for i, u in enumerate(units):
            if u.kind == "text" and not _body_sentence(u.text.text) and \
                    (u.text.line in marks.levels or _classical_head(units, i, marks, full)):
                u.role = "head"
                if marks.classical and BRACKETED.match(u.text.text):  # [滬上冬賑]: the brackets mark a headline
                    inner = u.text.strip()
                    u.text = inner[1:len(inner) - 1].strip()
        for i, u in enumerate(units):  # an unmarked 引题 right above a marked 主题, an unmarked ——副题 right below
            if u.kind != "text" or u.role == "head" or not headline_like(u.text.text, strict=False):
                continue
            nxt, prev = (units[i + 1] if i + 1 < len(units) else None), (units[i - 1] if i else None)
            above = nxt is not None and nxt.role == "head" and nxt.gap == 0 and (prev is None or u.gap > 0)
            below = prev is not None and prev.role == "head" and u.gap == 0 and u.text.text.lstrip(SPACES)[:1] == "—"
            if above or below:
                u.role = "head"
        return  # the markup says which lines are headings; or no line can be told by its punctuation
    cand = [False] * len(units)
    for i, u in enumerate(units):
        if u.kind != "text" or not (headline_like(u.text.text, strict=False) or _kicker_like(units, i)):
            continue
        prev = units[i - 1] if i else None
        before = prev.text.text if prev is not None else ""
        if i >= 2 and before and not before.strip(SPACES + CLOSERS + "\"'"):  # a closing quote alone on its line
            before = units[i - 2].text.text + before
        if prev is not None and prev.kind in ("text", "dateline") and not (prev.kind == "text" and cand[i - 1]) \
                and before and not ends_sentence(before):
            continue
        cand[i] = True
    i = 0
    while i < len(units):
        if not cand[i]:
            i += 1
            continue
        j = i
        while j < len(units) and cand[j]:
            j += 1
        after = units[j] if j < len(units) else None
        if after is not None and after.kind in ("dateline", "byline"):
            for k in range(i, j):
                units[k].role = "head"
        elif after is not None and after.kind in ("caption", "credit"):
            for k in range(i, j):  # a photo's title has no comma; a line with one starts the wrapped caption
                if re.search("[，,]", units[k].text.text):
                    break
                units[k].role = "head"
        else:
            for k in range(i, j):
                u, nxt = units[k], (units[k + 1] if k + 1 < len(units) else None)
                # A full column line that runs on into the next is text: a paragraph's first line (indented,
                # maybe after a blank) or a line within it.
                column_line = bool(col) and (u.gap == 0 or u.indented) and k > 0 and \
                    len(u.text) >= 0.8 * (col or 0) and nxt is not None and nxt.kind == "text" and nxt.gap == 0 \
                    and not nxt.indented
                if not (headline_like(u.text.text) or _kicker_like(units, k)) or column_line:
                    break
                u.role = "head"
        i = j
    for u in units:  # bold lines (**一、…**) in an export without # headings: headings, found with the rest
        if u.kind == "text" and u.text.line in marks.levels and not _body_sentence(u.text.text):
            u.role = "head"


def _body_sentence(s: str) -> bool:
    """A long line ending a sentence reads as body text, whatever markup says: never a headline."""
    return ends_sentence(s) and len(han_only(s)) > KICKER_MAX


def _kicker_like(units: list[Unit], i: int) -> bool:
    """A 引题 that leads into the 主题 below it with a comma or colon (为了群众少跑腿， / 我区…): short, no sentence
    stop, directly over a headline-like line."""
    u = units[i]
    nxt = units[i + 1] if i + 1 < len(units) else None
    core = u.text.text.strip(SPACES)
    if not (u.kind == "text" and core[-1:] in "，：,:" and 4 <= len(han_only(core)) <= KICKER_MAX and
            not re.search("[。；！？]", core) and (i == 0 or u.gap > 0) and nxt is not None and nxt.kind == "text"
            and nxt.gap == 0 and headline_like(nxt.text.text)):
        return False
    # A column line ending in a comma looks the same: only a deck standing over a dateline or byline is one.
    j = i + 1
    while j < len(units) and j <= i + 3 and units[j].kind == "text" and headline_like(units[j].text.text, False):
        j += 1
    return j < len(units) and units[j].kind in ("dateline", "byline")


def _classical_head(units: list[Unit], i: int, marks: Marks, full: int) -> bool:
    """On an unpunctuated page every line looks like a headline: only a bracketed line ([…], 【…】), or a short
    line over a longer one after a line that ended short (a story's end, not text running on), is one."""
    u = units[i]
    if not marks.classical or u.kind != "text":
        return False
    if BRACKETED.match(u.text.text):
        return True
    n = len(han_only(u.text.text))
    nxt = units[i + 1] if i + 1 < len(units) else None
    if not 2 <= n <= CLASSICAL_HEAD_MAX or nxt is None:
        return False
    if nxt.kind == "text" and len(han_only(nxt.text.text)) <= n + 4:
        return False
    prev = units[i - 1] if i else None
    # text running on across a page break: the line before the break is a full one
    return prev is None or prev.kind != "text" or len(han_only(prev.text.text)) < 0.9 * full or \
        BRACKETED.match(prev.text.text) is not None


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
