"""Draft articles in, finished ones out: 引题/主题/副题 split, lines joined into paragraphs, every field normalised."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import normalise as norm
from .log import Log
from .options import ImportOptions
from .patterns import HEADLINE_VERBS, PARAGRAPH_OPENER
from .segment import Draft
from .text import SPACES, Traced, ends_sentence, han_only
from .units import Columns, Unit

PLACEHOLDER_TITLE = {"simplified": "【标题待补】", "traditional": "【標題待補】"}
SPACE_RE = re.compile(f"[{SPACES}]+")


@dataclass
class Photo:
    caption: Traced | None
    credit: list[Traced]  # printed names (and labels such as 本报记者) in order


@dataclass
class Article:
    """One finished article; every text field keeps the input position of each character."""

    file: int
    kind: str = "article"
    kicker: Traced | None = None
    title: Traced | None = None
    subtitle: Traced | None = None
    dateline: Traced | None = None
    reporters: list[Traced] = field(default_factory=list)
    correspondents: list[Traced] = field(default_factory=list)
    body: list[tuple[str, Traced]] = field(default_factory=list)  # ("p" or "h", text)
    photos: list[Photo] = field(default_factory=list)
    labels: list[Traced] = field(default_factory=list)  # input words no field keeps (记者, 通讯员, 摄, □, 文/图)
    first_line: int = 0
    last_line: int = 0

    def fields(self) -> list[tuple[str, Traced]]:
        """Every text field in reading order (headline, byline, body, then photo captions and credits)."""
        out: list[tuple[str, Traced]] = []
        for name in ("kicker", "title", "subtitle", "dateline"):
            value = getattr(self, name)
            if value is not None:
                out.append((name, value))
        out += [("reporters", n) for n in self.reporters] + [("correspondents", n) for n in self.correspondents]
        out += [("body", t) for _, t in self.body]
        for photo in self.photos:
            if photo.caption is not None:
                out.append(("caption", photo.caption))
            out += [("credit", n) for n in photo.credit]
        return out


@dataclass
class Context:
    """What normalisation needs across articles: the log, the options, the quote style and the spacing of
    quoted phrases as printed in headlines."""

    log: Log
    options: ImportOptions
    quote_style: str
    script: str
    protected: dict[str, str] = field(default_factory=dict)
    levels: dict[tuple[int, int], int] = field(default_factory=dict)  # (file, line) → heading level from markup
    breaks: set[tuple[int, int]] = field(default_factory=set)  # (file, line) starting a paragraph (list, table)
    classical: set[int] = field(default_factory=set)  # files without sentence punctuation

    def paragraph(self, t: Traced) -> Traced:
        o = self.options
        t = norm.dash_yi(t, self.log, o.fix_dash_yi)
        if o.pair_quotes:
            t = norm.pair_quotes(t, self.log, self.quote_style)
        if o.remove_han_spaces:
            t = norm.spaces(t, self.log, o.remove_han_latin_spaces, self.protected)
        t = t.strip()
        norm.check_brackets(t, self.log)
        return t


def early(t: Traced, log: Log, options: ImportOptions) -> Traced:
    """Rules applied to each input line before segmentation, so that recognising needs one form of each mark."""
    if options.halfwidth_alnum:
        t = norm.halfwidth(t, log)
    if options.fullwidth_punctuation:
        t = norm.punctuation(t, log)
    return t


# ---- headlines -------------------------------------------------------------------------------------------------

def _parts(t: Traced) -> list[Traced]:
    """A headline line split at spaces outside quotation marks; one-character pieces are OCR noise and rejoin."""
    inside = set()
    for a, b in norm.quote_spans(t.text):
        inside.update(range(a, b + 1))
    s = t.text
    latin = lambda ch: ch.isascii() and ch.isalnum()  # noqa: E731  ("Mini LED" is one term)
    cuts = [m for m in SPACE_RE.finditer(s) if m.start() not in inside and 0 < m.start() and m.end() < len(t)
            and not (latin(s[m.start() - 1]) and latin(s[m.end()]))]
    parts: list[Traced] = []
    last = 0
    for m in cuts:
        parts.append(t[last:m.start()])
        last = m.end()
    parts.append(t[last:])
    merged: list[Traced] = []
    for p in parts:
        if merged and (len(han_only(p.text)) < 2 or len(han_only(merged[-1].text)) < 2):
            merged[-1] = merged[-1] + p  # the space between them is dropped
        else:
            merged.append(p)
    return merged


def _fully_quoted(t: Traced) -> bool:
    spans = norm.quote_spans(t.text)
    return any(a == 0 and b == len(t) - 1 for a, b in spans)


def _starts_verb(t: Traced) -> bool:
    return t.text[:2] in HEADLINE_VERBS


def _line(parts: list[Traced]) -> Traced:
    """A headline line's parts as one string: a subject and its predicate are joined without a space, other parts
    (parallel phrases) keep one full-width space between them."""
    if len(parts) == 2 and _starts_verb(parts[1]) and not _starts_verb(parts[0]):
        return parts[0] + parts[1]
    return Traced.join(parts, "\u3000")


def headline(lines: list[Traced], ctx: Context) -> tuple[Traced | None, Traced | None, Traced | None]:
    """Stacked lines and two-part lines to (引题, 主题, 副题). Two lines are 主题 and 副题 unless the first is a
    quotation or a short label (引题); three are 引题, 主题, 副题. On one line, a quotation before the words is a
    引题, a part starting with a dash a 副题, a subject and its predicate one 主题, two parallel phrases 主题 and
    副题. Every decision is listed for review."""
    log = ctx.log
    per_line: list[list[Traced]] = []
    for t in lines:
        if ctx.options.pair_quotes:  # before splitting: a space inside a quotation does not split the line
            t = norm.pair_quotes(t, log, ctx.quote_style)
        for a, b in norm.quote_spans(t.text):  # headlines have no column breaks: their quoted spacing is meant
            inner = t.text[a + 1:b]
            if SPACE_RE.search(inner.strip()):
                ctx.protected[SPACE_RE.sub("", inner)] = SPACE_RE.sub(" ", inner.strip())
        parts = [ctx.paragraph(p) for p in _parts(t)]
        per_line.append([p for p in parts if p])
    levels = [ctx.levels.get((t.file, t.line), 99) for t, p in zip(lines, per_line) if p]  # 99: unmarked
    per_line = [p for p in per_line if p]
    kicker = title = subtitle = None
    where = lines[0]
    if len(per_line) > 1 and min(levels) < 99 and len(set(levels)) > 1:
        # The export's heading levels say which line is largest: that is the 主题, lines above it the 引题,
        # lines below it the 副题.
        texts = [_line(p) for p in per_line]
        top = min(levels)
        first = levels.index(top)
        last = first
        while last + 1 < len(levels) and levels[last + 1] == top:
            last += 1
        title = Traced.join(texts[first:last + 1])
        kicker = Traced.join(texts[:first], "\u3000") if first else None
        subtitle = Traced.join(texts[last + 1:], "\u3000") if last + 1 < len(texts) else None
    elif len(per_line) == 1:
        parts = per_line[0]
        if len(parts) == 1:
            title = parts[0]
        elif len(parts) == 2:
            a, b = parts
            if _fully_quoted(a):
                kicker, title = a, b
            elif b.text.startswith("—"):
                title, subtitle = a, b
            elif _starts_verb(b) and not _starts_verb(a):
                title = a + b
                log.change("headline parts joined into one sentence (space removed)")
            else:
                title, subtitle = a, b
        elif len(parts) == 3 and parts[2].text.startswith("—"):
            # 引题 主题 ——副题 run onto one line by the OCR: the dash marks the 副题, the first part leads in
            kicker, title, subtitle = parts
        else:
            title = Traced.join(parts, "\u3000")
            log.doubt("headline", where, f"{len(parts)} parts on one headline line kept as one 主题")
    else:
        texts = [_line(p) for p in per_line]
        if len(texts) == 2:
            x, y = texts
            # The 主题 is the largest and usually the longest line: a quotation, a line leading in with a comma, or
            # a clearly shorter line over it is its 引题. A line below is a 副题 when it opens with a dash, when it
            # is the shorter one, or when it starts with a verb (a predicate: 覆盖…, 实现…).
            nx, ny = len(_bare(x.text)), len(_bare(y.text))
            shorter = nx <= 6 and nx < ny or nx <= 12 and nx + 3 <= ny and not _starts_verb(y)
            leads_in = x.text.rstrip()[-1:] in "，：,:"  # 为了群众少跑腿， over the 主题
            if _fully_quoted(x) or leads_in or (shorter and not y.text.startswith("—")):
                kicker, title = x, y
            else:
                title, subtitle = x, y
        elif len(texts) == 3:
            kicker, title, subtitle = texts
        else:
            kicker, title, subtitle = texts[0], Traced.join(texts[1:-1]), texts[-1]
            log.doubt("headline", where, f"{len(texts)} headline lines: middle ones joined into the 主题")
    if len(per_line) > 1 or sum(len(p) for p in per_line) > 1:
        shown = " / ".join(f"{name} [{v.text}]" for name, v in (("引题", kicker), ("主题", title), ("副题", subtitle))
                           if v is not None)
        log.doubt("headline", where, f"headline read as {shown}", excerpt="")
    return kicker, title, subtitle


# ---- paragraphs ------------------------------------------------------------------------------------------------

def _bare(s: str) -> str:
    return SPACE_RE.sub("", s)


def suspect_truncation(before: str, after: str) -> bool:
    """A sentence broken at a blank line whose next line reads as a sentence of its own (朱小 | 朱慧峰参加会议。), or
    whose list of names runs on without its 、: text was probably lost at the column break."""
    b, a = _bare(before), _bare(after)
    first = re.match("[^。！？]*[。！？]", a)
    if first and not re.search("[，,；]", first.group()) and len(han_only(first.group())) >= 5:
        return True
    last_clause = re.split("[，。；：！？]", b)[-1]
    first_clause = re.split("[，。；：！？]", a)[0]
    return "、" in last_clause and "、" not in first_clause and len(han_only(first_clause)) >= 3


def _join_decision(text: str, prev: Unit, u: Unit, cols: Columns, options: ImportOptions,
                   breaks: set[tuple[int, int]] = frozenset()) -> str:  # type: ignore[assignment]
    """How a body line relates to the paragraph before it: "join", "break", "rejoin" (across a blank line) or
    "break-missing" (a paragraph that lost its final punctuation)."""
    if not options.rejoin_lines:
        return "break"
    if u.text.pos and u.text.pos[0] is not None and u.text.pos[0][:2] in breaks:
        return "break"
    if u.gap == 0:
        if not ends_sentence(text):
            return "join"
        # Indents mark paragraph starts when the OCR kept them; without them, a typical opener (据介绍，) does.
        if u.indented or cols.width is None or (not cols.indents and PARAGRAPH_OPENER.match(_bare(u.text.text))):
            return "break"
        # In column lines, a short line ending a sentence ends a paragraph; a full one usually does not.
        return "break" if len(prev.text) < 0.85 * cols.width else "join"
    if ends_sentence(text):
        return "break"
    tail, head = text.rstrip(SPACES)[-1:], u.text.text[:1]
    if tail in "，、；：,;:“‘「『（(《—" or head in "，。、；：？！）》”’」』…,.;:!?)":
        return "rejoin"
    if PARAGRAPH_OPENER.match(_bare(u.text.text)):
        return "break-missing"
    return "rejoin"


def _glue(a: Traced, b: Traced) -> Traced:
    """Join two lines: nothing between Chinese or inside a number, one space between Latin words."""
    left, right = a.text.rstrip(SPACES)[-1:], b.text[:1]
    if left.isascii() and left.isalpha() and right.isascii() and right.isalpha():
        return a.strip() + Traced.inserted(" ") + b
    return a.strip() + b


@dataclass
class _Block:
    kind: str  # "p" or "h"
    text: Traced
    last: Unit  # the line that ends it so far


def body(draft: Draft, cols: Columns, ctx: Context) -> tuple[list[tuple[str, Traced]], list[Photo]]:
    """Body lines joined into paragraphs (subheads stay apart), then normalised; captions inside become photos."""
    log = ctx.log
    blocks: list[_Block] = []
    photos: list[Photo] = []
    for u in draft.units:
        if u.kind == "caption":
            assert u.credit is not None
            photos.append(Photo(ctx.paragraph(u.text), [ctx.paragraph(n) for n in u.credit.names]))
            continue
        if u.role == "subhead" or not blocks or blocks[-1].kind != "p":
            blocks.append(_Block("h" if u.role == "subhead" else "p", u.text, u))
            continue
        block = blocks[-1]
        decision = _join_decision(block.text.text, block.last, u, cols, ctx.options, ctx.breaks)
        if decision not in ("join", "rejoin"):
            blocks.append(_Block("p", u.text, u))
            continue
        if decision == "rejoin" and draft.file in ctx.classical:
            log.change("unpunctuated text joined across a blank line or page break")
        elif decision == "rejoin":
            log.change("sentences rejoined across an OCR blank line")
            excerpt = f"{_bare(block.text.text)[-8:]} | {_bare(u.text.text)[:8]}"
            if suspect_truncation(block.text.text, u.text.text):
                log.doubt("truncation", u.text, "the line before ends mid-sentence and this one reads as a new "
                          "sentence: words were probably lost at the column break", excerpt=excerpt)
            else:
                log.doubt("rejoined", u.text, "joined to the line before (blank line inside a sentence)",
                          excerpt=excerpt)
        else:
            log.change("column lines joined into paragraphs")
        block.text, block.last = _glue(block.text, u.text), u
    out: list[tuple[str, Traced]] = []
    for block in blocks:
        text = ctx.paragraph(block.text)
        if not text:
            continue
        if block.kind == "p" and not ends_sentence(text.text) and text.text[-1:] not in "：:" and \
                draft.file not in ctx.classical and block.last.text.pos[:1] != (None,) and \
                (block.last.text.file, block.last.text.line) not in ctx.breaks:
            log.doubt("no-final-punct", text, "paragraph ends without final punctuation", len(text) - 1)
        out.append((block.kind, text))
    return out, photos


Headline = tuple[Traced | None, Traced | None, Traced | None]


def assemble(draft: Draft, cols: Columns, ctx: Context, head: Headline) -> Article:
    """The article from its draft; the headline comes ready (all headlines are read first, for their spacing)."""
    art = Article(draft.file)
    art.kicker, art.title, art.subtitle = head
    by = draft.byline
    if by.dateline is not None:
        art.dateline = by.dateline.sub(SPACE_RE, "")
    art.reporters = [n.strip() for n in by.reporters]
    art.correspondents = [n.strip() for n in by.correspondents]
    art.labels = list(by.labels)
    if draft.photo_news is not None:
        cap = draft.photo_news
        assert cap.credit is not None
        art.kind = "photo-news"
        art.body = [("p", ctx.paragraph(cap.text))]
        art.photos = [Photo(None, [ctx.paragraph(n) for n in cap.credit.names])]
        art.labels += cap.credit.labels
    else:
        art.body, art.photos = body(draft, cols, ctx)
        for u in draft.units:
            if u.kind == "caption" and u.credit is not None:
                art.labels += u.credit.labels
        if art.title is None and art.body:
            art.title = Traced.inserted(PLACEHOLDER_TITLE.get(ctx.script, PLACEHOLDER_TITLE["simplified"]))
            log_at = art.body[0][1]
            ctx.log.doubt("headline", log_at, "no headline found for this article: the title is a placeholder")
    lines_seen = [p[1] for _, t in art.fields() for p in t.pos if p] + [p[1] for t in art.labels for p in t.pos if p]
    art.first_line, art.last_line = (min(lines_seen), max(lines_seen)) if lines_seen else (0, 0)
    return art
