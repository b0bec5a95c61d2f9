"""Paragraph text + column width + font metrics in, justified lines of spaced pieces out.

Why we compose lines ourselves instead of extending WeasyPrint
--------------------------------------------------------------
WeasyPrint 70 (Pango underneath) justifies only by widening spaces, so Chinese
columns come out ragged; it ignores text-justify, text-spacing,
hanging-punctuation and the line-break strictness levels; Pango's UAX #14
breaking leaves short lines around curly quotes. Fixing that inside WeasyPrint
would mean patching its line breaker and Pango's, in an engine we do not own,
and we would still only learn a paragraph's line count by rendering it. So the
layout stage owns the grid: this module chooses every break and every gap, and
WeasyPrint only draws each pre-broken line as a no-wrap block
(`epaper.render.print.lines_html`). The line count computed here is the line count in
the PDF, which is what copyfit counts.

Rules (W3C clreq, "Requirements for Chinese Text Layout"):
- breaks obey the line-start/line-end prohibitions of `kinsoku` at the chosen
  level; —— and …… never split; a Latin word (with its %, ‰, ℃ …) breaks only
  at spaces or after a hyphen, unless it is wider than the line;
- adjacent full-width punctuation is compressed (”， 。” ）、 ，“ ：“ ）（): the
  pair loses half an em, from the first mark's trailing blank first;
- a 1/4-em gap (a setting) separates Han from Latin letters and digits,
  never at a line edge and never as a character;
- a line that overflows is squeezed in clreq's order: line-end punctuation to
  1/2 em, word spaces, interpuncts, brackets, 、，；：, Han–Latin gaps (to 1/8 em),
  。？！; a short line is stretched: word spaces and Han–Latin gaps up to
  1/2 em, then evenly between characters, never inside unbreakable runs;
- at each line the composer either pushes the prohibited character to the next
  line (stretching this one) or pulls the next unit in (squeezing), whichever
  needs the smaller adjustment; ties go to squeezing ("先挤压、后拉伸");
- a paragraph's last line is set naturally (start-aligned, neither stretched
  nor squeezed unless it overflows);
- a Latin word wider than the line breaks anywhere; spaces typed between Han
  characters are kept and treated as word spaces.
Inline marks (epaper.marks): a ruby group is one unbreakable, unspaced run; a ruby wider than
its base is condensed to the base's width, down to RUBY_MIN_SCALE, and only beyond that widens the
group by equal blanks at its two ends (a blank between Han characters reads as a space to text
extraction), so the ruby never overhangs a neighbour or the column edge; each line records where
its ruby and its 着重号 dots go (Line.rubies, Line.dots), in pt from the line's start, for the
renderer to draw. The ruby is set at RUBY_SIZE of the text
in the line's leading (the grid's pitch minus the body size), so a line with ruby is still one line.

Blank sides of punctuation come from the font's `halt` feature, so fonts
without it (AR PL UKai) get no punctuation compression. The composer is pure
and O(n): per-character advances are cached per font.

How a line is drawn matters to its width: WeasyPrint shapes every span on its
own, and Pango picks the script (and so the `locl` glyphs) per span. So a
Latin run in Chinese text always starts its own span and is measured as Latin;
a mark whose width depends on Han context (—— in Noto CJK) shares a span with a
Han letter; word spaces stretch through one CSS word-spacing per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Literal

from ..marks import Mark
from . import kinsoku
from .fontmetrics import FontMetrics

HAN, PUNCT, LATIN, SPACE = 0, 1, 2, 3
EPS = 1e-6
PANGO_UNIT = 0.75 / 1024  # WeasyPrint hands spacing to Pango in 1/1024 CSS px, truncated
WORD_SPACE_SHRINK = 0.25  # a word space may lose a quarter of its width
HANGABLE = frozenset("、。，．,.")
SQUEEZE_COMMAS = frozenset("、，；：,;:")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
RUBY_SIZE = 0.5  # of the text size
RUBY_MIN_SCALE = 0.7  # a ruby wider than its base is drawn condensed, at least to this horizontal scale


@dataclass(frozen=True)
class CompositionSettings:
    kinsoku: kinsoku.Level = "basic"
    han_latin_space: float = 0.25  # em
    compress_punctuation: bool = True
    # a line-end mark may lose its trailing blank when the line is squeezed (clreq step a;
    # its PDF glyph box then reaches half an em past the column edge)
    half_width_line_end: bool = True
    hanging_punctuation: bool = False
    first_indent: float = 2.0  # em
    align: Literal["justify", "start", "center"] = "justify"


@dataclass(frozen=True)
class Piece:
    text: str
    letter_spacing: float = 0.0  # pt, added after every character of the piece
    margin_left: float = 0.0  # pt, before the piece


@dataclass(frozen=True)
class Line:
    pieces: tuple[Piece, ...]
    width: float  # pt, the measure the line is set to (column width minus indent)
    natural: float  # pt, width before squeezing or stretching
    indent: float  # pt, from the column's start edge
    last: bool  # ends the paragraph
    dropped: str = ""  # spaces swallowed by the break after this line
    word_spacing: float = 0.0  # pt, added to every space of the line
    # inline marks, in pt from the start of the line's text (after its indent): (left, width, ruby text, ruby size,
    # horizontal scale) of each ruby box, centred over its base (a box wider than the base is drawn condensed about
    # its centre by the scale, to the base's width), and the centre of each Han character that
    # takes a 着重号 dot
    rubies: tuple[tuple[float, float, str, float, float], ...] = ()
    dots: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)


def _kind(ch: str) -> tuple[int, bool]:
    """(kind, is a Han-like letter that takes a Han–Latin gap)."""
    o = ord(ch)
    if ch == " ":
        return SPACE, False
    if ch in kinsoku.POSTFIX and o < 0xFF00:
        return LATIN, False
    if o < 0x2000:
        return (PUNCT, False) if ch == "·" else (LATIN, False)
    if o <= 0x206F or ch in kinsoku.INSEPARABLE:
        return PUNCT, False
    if o < 0x2E80 or o == 0x3000:
        return HAN, False  # symbols: ① → ※ ○, and the ideographic space
    if o < 0x3040:
        if o < 0x3000 or 0x3005 <= o <= 0x3007 or 0x3021 <= o <= 0x3029 or 0x3038 <= o <= 0x303B:
            return HAN, True
        return PUNCT, False
    if o < 0x3100:
        return (PUNCT, False) if o in (0x30FB, 0x30A0) else (HAN, True)
    if o < 0xA000 or 0xAC00 <= o < 0xD800 or 0xF900 <= o < 0xFB00 or 0x20000 <= o < 0x40000:
        return HAN, True
    if 0xFE10 <= o < 0xFE70 or 0xFFE0 <= o <= 0xFFEE:
        return PUNCT, False
    if 0xFF01 <= o <= 0xFF60:
        if 0xFF10 <= o <= 0xFF19 or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A:
            return HAN, False
        return PUNCT, False
    return HAN, False


@lru_cache(maxsize=65536)
def _char(metrics: FontMetrics, ch: str,
          compress: bool) -> tuple[int, bool, bool, bool, float, float, float, float]:
    """(kind, han, latin alnum, contextual, advance, advance in a Latin run, left blank, right blank); em."""
    kind, han = _kind(ch)
    alnum = kind == LATIN and (ch.isalnum() or ch == "%")
    blanks = metrics.blanks(ch) if compress and kind == PUNCT else None
    bl, br = blanks if blanks else (0.0, 0.0)
    return kind, han, alnum, metrics.contextual(ch), metrics.advance(ch), metrics.latin_advance(ch), bl, br


def _anchors(text: str, ctx: list[bool], letter: list[bool],
             punct: list[bool]) -> tuple[list[tuple[int, int, int, int]], set[int]]:
    """Runs of contextual characters with the nearest letter before and after them.

    A span without a letter is shaped as script Common and misses `locl` (Noto CJK
    then draws —— 0.845 em wide instead of 2 em), so each such run is kept in one
    span with a letter: the punctuation between them gets no spacing and no
    compression. Returns (start, end, letter before or -1, letter after or -1)
    per run, and the characters that must not be compressed.
    """
    runs = []
    frozen: set[int] = set()
    n = len(text)
    i = 0
    while i < n:
        if not ctx[i]:
            i += 1
            continue
        a = i
        while i < n and ctx[i]:
            i += 1
        k = a - 1
        while k >= 0 and a - k <= 4 and punct[k] and not ctx[k]:
            k -= 1
        before = k if k >= 0 and letter[k] else -1
        k = i
        while k < n and k - i < 4 and punct[k] and not ctx[k]:
            k += 1
        after = k if k < n and letter[k] else -1
        if before >= 0:
            frozen.update(range(before + 1, a))
        if after >= 0:
            frozen.update(range(i, after))
        runs.append((a, i, before, after))
    return runs, frozen


class _Para:
    """Per-character arrays of one paragraph, in pt; boundary i sits between characters i and i+1."""

    def __init__(self, text: str, size: float, metrics: FontMetrics, st: CompositionSettings,
                 lead: tuple[int, FontMetrics] | None = None, marks: tuple[Mark, ...] = ()):
        self.text = text
        self.metrics = metrics
        n = self.n = len(text)
        compress = st.compress_punctuation
        # a lead-in (the dateline and byline run into the first paragraph) is drawn in another face:
        # measure it with that face's advances
        lead_n, lead_m = lead if lead else (0, metrics)
        info = [_char(lead_m if i < lead_n else metrics, ch, compress) for i, ch in enumerate(text)]
        kind = self.kind = [c[0] for c in info]
        han = [c[1] for c in info]
        alnum = [c[2] for c in info]
        adv = self.adv = [c[4] * size for c in info]
        bl = self.bl = [c[6] * size for c in info]
        br = self.br = [c[7] * size for c in info]
        # word-spacing reaches every space and no-break space
        self.wsp = [ch == " " or ch == "\u00a0" for ch in text]
        self.han = any(h for h in han)  # Chinese text: Latin words in it may be tracked to fill a line
        # a span break before a Latin run and after it, so Pango shapes it as Latin and nothing else
        split = self.split = [False] * (n + 1)
        if metrics.cjk:
            i = 0
            while i < n:
                if kind[i] != LATIN:
                    i += 1
                    continue
                a = i
                while i < n and kind[i] == LATIN:
                    i += 1
                if any(text[j].isalpha() for j in range(a, i)):
                    for j in range(a, i):
                        adv[j] = info[j][5] * size
                    split[a] = True
                    k = i
                    while k < n and kind[k] == SPACE:
                        k += 1
                    split[k] = True
            letter = [h and ch.isalpha() for h, ch in zip(han, text)]
        else:
            letter = [k == LATIN and ch.isalpha() for k, ch in zip(kind, text)]
        if 0 < lead_n < n:
            split[lead_n] = True  # the lead-in ends a span, so the renderer can give it its face
        self.runs, frozen = _anchors(text, [c[3] for c in info], letter, [k == PUNCT for k in kind])
        for i in frozen:
            bl[i] = br[i] = 0.0
        ns, ne = kinsoku.no_start(st.kinsoku), kinsoku.no_end(st.kinsoku)
        half = 0.5 * size
        hl = st.han_latin_space * size
        hl_min = min(hl, size / 8)

        inside = self.inside = [False] * n
        gap = self.gap = [0.0] * n
        # blanks that widen a ruby group whose ruby is wider than its base (fixed: never stretched or squeezed)
        padl = self.padl = [0.0] * n
        padr = self.padr = [0.0] * n
        self.rubies = [(m.start, m.end, m.value) for m in marks if m.kind == "ruby" and 0 <= m.start < m.end <= n]
        self.dotted = [False] * n
        for m in marks:
            if m.kind == "dots":
                for i in range(max(0, m.start), min(n, m.end)):
                    self.dotted[i] = han[i]  # Han characters only: never punctuation, digits or Latin
        for a, b, ruby in self.rubies:
            extra = ruby_width(ruby, size, metrics) * RUBY_MIN_SCALE - sum(adv[a:b])
            if extra > EPS:
                padl[a] = padr[b - 1] = extra / 2
        pl = self.pl = [0.0] * n
        pr = self.pr = [0.0] * n
        for i in range(n - 1):
            a, b = text[i], text[i + 1]
            inside[i] = (kind[i] == LATIN and kind[i + 1] == LATIN) or kinsoku.inseparable(a, b) or b in kinsoku.POSTFIX
            if (han[i] and alnum[i + 1]) or (alnum[i] and han[i + 1]):
                gap[i] = hl
            # adjacent full-width marks lose half an em between them, the first one's trailing blank first
            if (br[i] or bl[i + 1]) and (br[i] or bl[i]) and (br[i + 1] or bl[i + 1]):
                pr[i] = min(br[i], half)
                pl[i + 1] = min(bl[i + 1], half - pr[i])
        for a, b, _ in self.rubies:
            for i in range(a, b - 1):
                inside[i] = True  # a ruby group never breaks and takes no spacing inside

        # brk[e]: a line may end before character e; resume[e]: where the next line starts
        brk = self.brk = [False] * (n + 1)
        resume = self.resume = list(range(n + 1))
        brk[n] = True
        q = n
        for e in range(n - 1, 0, -1):
            a, b = text[e - 1], text[e]
            if b == " ":
                if a != " ":
                    brk[e] = a not in ne and (q == n or text[q] not in ns)
                    resume[e] = q
                continue
            q = e
            if a == " ":
                continue
            # inside a Latin word the only break is after a hyphen
            if inside[e - 1] and not (a in "-\u2010" and e >= 2 and text[e - 2].isalpha() and b.isalpha()):
                continue
            brk[e] = b not in ns and a not in ne and not kinsoku.inseparable(a, b)

        # prefix sums: natural width and the most a stretch of text can be squeezed
        cw = self.cw = [0.0] * (n + 1)
        sh = self.sh = [0.0] * (n + 1)
        shl = self.shl = [0.0] * n
        shr = self.shr = [0.0] * n
        gsh = self.gsh = [0.0] * n
        ssp = self.ssp = [0.0] * n
        acc_w = acc_s = 0.0
        for i in range(n):
            shl[i] = bl[i] - pl[i]
            shr[i] = br[i] - pr[i]
            gsh[i] = gap[i] - hl_min if gap[i] > hl_min else 0.0
            if self.wsp[i]:
                ssp[i] = adv[i] * WORD_SPACE_SHRINK
            acc_w += adv[i] - pl[i] - pr[i] + gap[i] + padl[i] + padr[i]
            acc_s += shl[i] + shr[i] + gsh[i] + ssp[i]
            cw[i + 1] = acc_w
            sh[i + 1] = acc_s
        self.hang = st.hanging_punctuation
        self.end_half = compress and st.half_width_line_end

    def natural(self, s: int, e: int) -> float:
        return self.cw[e] - self.cw[s] - self.gap[e - 1] + self.pl[s] + self.pr[e - 1]

    def shrink(self, s: int, e: int) -> float:
        """Most the line [s, e) can lose, line-end punctuation included."""
        end = self.br[e - 1] if self.end_half else 0.0
        return self.sh[e] - self.sh[s] - self.gsh[e - 1] - self.shl[s] - self.shr[e - 1] + end

    def hanging(self, s: int, e: int) -> bool:
        return self.hang and e - 1 > s and self.text[e - 1] in HANGABLE

    def hang_natural(self, s: int, e: int) -> float:
        return self.cw[e - 1] - self.cw[s] - self.gap[e - 2] + self.pl[s]

    def glue(self, s: int, e: int) -> list[bool]:
        """Boundaries of line [s, e) that take no spacing: inside runs, and between a contextual run and its letter."""
        glue = self.inside[s:e]
        for a, b, before, after in self.runs:
            if b <= s or a >= e:
                continue
            if before >= s:
                lo, hi = before, b - 1
            elif 0 <= after < e:
                lo, hi = a, after
            else:
                lo, hi = a, b - 1
            for i in range(max(lo, s), min(hi, e - 1)):
                glue[i - s] = True
        return glue


def _next_break(p: _Para, s: int, width: float) -> tuple[int, bool]:
    """End of the line starting at s, and whether its last character hangs."""
    e_nat = e_pull = None
    nat_slack = pull_excess = 0.0
    hang_nat = False
    n = p.n
    brk = p.brk
    for e in range(s + 1, n + 1):
        nat = p.natural(s, e)
        hang = False
        if nat > width + EPS and p.hanging(s, e):
            hn = p.hang_natural(s, e)
            if hn <= width + EPS:
                nat, hang = hn, True
        if nat - p.shrink(s, e) > width + EPS and not hang:
            break
        if not brk[e]:
            continue
        if nat <= width + EPS:
            e_nat, nat_slack, hang_nat, e_pull = e, width - nat, hang, None
        elif e_pull is None:
            e_pull, pull_excess = e, nat - width
    if e_nat == n:
        return n, hang_nat
    if e_pull is not None and (e_nat is None or pull_excess <= nat_slack + EPS):
        return e_pull, False
    if e_nat is not None and not _overlong(p, p.resume[e_nat], width):
        return e_nat, hang_nat
    # a word wider than the line breaks anywhere; it starts where the line has room
    e = s + 1
    while e < n and p.natural(s, e + 1) <= width + EPS:
        e += 1
    return e, False


def _overlong(p: _Para, s: int, width: float) -> bool:
    """True if the unbreakable stretch starting at s is wider than a whole line."""
    for e in range(s + 1, p.n + 1):
        if p.natural(s, e) - p.shrink(s, e) > width + EPS:
            return True
        if p.brk[e]:
            return False
    return False


def _breaks(text: str, width: float, size: float, metrics: FontMetrics, st: CompositionSettings,
            indent: float | None, lead: tuple[int, FontMetrics] | None = None, marks: tuple[Mark, ...] = ()
            ) -> tuple[_Para, list[tuple[int, int, int, bool]], float]:
    p = _Para(text, size, metrics, st, lead, marks)
    first = st.first_indent * size if indent is None else indent
    out = []
    s = 0
    while s < p.n:
        e, hang = _next_break(p, s, width - (first if not out else 0.0))
        r = p.resume[e]
        while r < p.n and text[r] == " ":
            r += 1
        while e - 1 > s and text[e - 1] == " ":  # a forced break may land in a space run
            e -= 1
        out.append((s, e, r, hang))
        s = r
    return p, out, first


def _normalize(text: str) -> str:
    return _SPACES.sub(" ", text).strip(" ")


def _normalize_marks(text: str, marks: Iterable[Mark]) -> tuple[Mark, ...]:
    """The marks of `text` moved to where their characters are in _normalize(text)."""
    marks = tuple(marks)
    if not marks:
        return ()
    where, out_len, prev_space = [], 0, True  # True: leading spaces are dropped
    for ch in text:
        space = ch in " \t\r\n\f\v"
        where.append(out_len)
        if space and prev_space:
            continue
        out_len += 1
        prev_space = space
    where.append(out_len)
    n = len(_normalize(text))
    return tuple(Mark(m.kind, min(where[m.start], n), min(where[m.end], n), m.value) for m in marks
                 if m.kind in ("ruby", "dots"))


def ruby_width(ruby: str, size: float, metrics: FontMetrics) -> float:
    """Natural width in pt of a ruby text over text of `size` (Latin letters proportional, the rest full width)."""
    rs = RUBY_SIZE * size
    total = 0.0
    for ch in ruby:
        info = _char(metrics, ch, False)
        total += (info[5] if info[0] in (LATIN, SPACE) else info[4]) * rs
    return total


def count_lines(text: str, width: float, size: float, metrics: FontMetrics,
                settings: CompositionSettings = CompositionSettings(), *, indent: float | None = None,
                marks: Iterable[Mark] = ()) -> int:
    """Number of lines `compose_paragraph` produces, without setting them."""
    marks = _normalize_marks(text, marks)
    text = _normalize(text)
    if not text:
        return 0
    return len(_breaks(text, width, size, metrics, settings, indent, None, marks)[1])


def compose_paragraph(text: str, width: float, size: float, metrics: FontMetrics,
                      settings: CompositionSettings = CompositionSettings(), *,
                      indent: float | None = None, lead: tuple[int, FontMetrics] | None = None,
                      break_width: float | None = None, marks: Iterable[Mark] = ()) -> list[Line]:
    """Break and justify one paragraph.

    width and size in pt; indent is the first line's indent in pt (None: settings.first_indent em).
    Runs of ASCII whitespace count as one space; leading and trailing ones are dropped.
    lead = (n, metrics): the first n characters (of the normalised text) are set in another face.
    break_width: choose the breaks as if the measure were this (narrower) one, then justify to `width` —
    how a paragraph is set one line longer ("loosened") to keep a widow off the head of a column.
    marks: ruby and 着重号 (epaper.marks.Mark; offsets into `text` as given), set into Line.rubies and Line.dots.
    """
    marks = _normalize_marks(text, marks)
    text = _normalize(text)
    if not text:
        return []
    p, breaks, first = _breaks(text, break_width or width, size, metrics, settings, indent, lead, marks)
    return [
        _set_line(p, s, e, width - (first if k == 0 else 0.0), first if k == 0 else 0.0,
                  k == len(breaks) - 1, hang, size, settings, text[e:r])
        for k, (s, e, r, hang) in enumerate(breaks)
    ]


def _share(amount: float, caps: list[float]) -> tuple[list[float], float]:
    """Equal shares of amount, each at most its cap (clreq: 同时、同等量); returns shares and the rest."""
    out = [0.0] * len(caps)
    left = len(caps)
    for idx in sorted(range(len(caps)), key=caps.__getitem__):
        take = min(caps[idx], amount / left)
        out[idx] = take
        amount -= take
        left -= 1
    return out, amount


def _squeeze_class(ch: str) -> int:
    if ch in kinsoku.INTERPUNCTS:
        return 0
    if ch in kinsoku.OPENING or ch in kinsoku.CLOSING:
        return 1
    if ch in SQUEEZE_COMMAS:
        return 2
    return 3


def _set_line(p: _Para, s: int, e: int, width: float, indent: float, last: bool, hang: bool,
              size: float, st: CompositionSettings, dropped: str) -> Line:
    text, adv, kind = p.text, p.adv, p.kind
    m = e - s
    end = m - 1 if hang else m  # characters [0, end) fill the measure; a hung one sits outside
    glue = p.glue(s, e)
    trim_l = [(p.pl[s + j] if j else 0.0) for j in range(m)]
    trim_r = [(p.pr[s + j] if j < m - 1 else 0.0) for j in range(m)]
    gap = [p.gap[s + j] for j in range(m - 1)] + [0.0]
    if hang:
        gap[end - 1] = 0.0
    spaces = [j for j in range(end) if p.wsp[s + j]]
    word = 0.0  # what every space gains (CSS word-spacing, one value per line)
    pad_l = [p.padl[s + j] for j in range(m)]
    pad_r = [p.padr[s + j] for j in range(m)]
    natural = sum(adv[s + j] - trim_l[j] - trim_r[j] + gap[j] + pad_l[j] + pad_r[j] for j in range(end))
    need = width - natural  # > 0: stretch, < 0: squeeze

    if need < -EPS:
        excess = -need
        # a: line-end punctuation to half width, always the whole blank (clreq: 调成固定的半个汉字宽)
        if not hang and p.end_half and p.br[e - 1] > 0:
            trim_r[m - 1] += p.br[e - 1]
            excess -= p.br[e - 1]
        if excess > EPS and spaces:  # b: word spaces
            word = -min(excess / len(spaces), min(p.ssp[s + j] for j in spaces))
            excess += word * len(spaces)
        for cls in (0, 1, 2, 3):  # c: interpuncts, d: brackets, e: 、，；：, f: Han–Latin gaps, g: 。？！
            if excess <= EPS:
                break
            if cls == 3:
                gaps = [j for j in range(end - 1) if p.gsh[s + j] > 0]
                shares, excess = _share(excess, [p.gsh[s + j] for j in gaps])
                for j, a in zip(gaps, shares):
                    gap[j] -= a
                if excess <= EPS:
                    break
            marks = []
            for j in range(end):
                i = s + j
                if (p.bl[i] == 0 and p.br[i] == 0) or _squeeze_class(text[i]) != cls:
                    continue
                left = p.bl[i] - trim_l[j] if j else 0.0
                right = p.br[i] - trim_r[j] if j < m - 1 else 0.0
                if left + right > EPS:
                    marks.append((j, left, right))
            shares, excess = _share(excess, [lc + rc for _, lc, rc in marks])
            for (j, lc, rc), a in zip(marks, shares):
                trim_l[j] += a * lc / (lc + rc)
                trim_r[j] += a * rc / (lc + rc)
        need = -excess  # step a may overshoot: give it back by stretching

    if need > EPS and st.align == "justify" and not last:
        em2 = 0.5 * size
        if spaces:  # word spaces up to 1/2 em in all: a wider hole reads as a column gap
            add = max(0.0, min(need / len(spaces), min(em2 - adv[s + j] for j in spaces) - word))
            word += add
            need -= add * len(spaces)
        gaps = [j for j in range(end - 1) if gap[j] > 0]  # Han–Latin gaps up to 1/2 em
        shares, need = _share(need, [max(0.0, em2 - gap[j]) for j in gaps])
        for j, a in zip(gaps, shares):
            gap[j] += a
        # the rest evenly between characters; a line with nothing but word spaces and
        # Han–Latin gaps widens those further
        slots = [j for j in range(end - 1) if not glue[j] and not p.wsp[s + j + 1]]
        inner = [j for j in slots if not gap[j] and not p.wsp[s + j]]
        if need > EPS and p.han and len(inner) + len(spaces) and need / (len(inner) + len(spaces)) > 0.25 * size:
            # A line of long Latin words in a narrow column has almost nowhere to put its slack: a hole after
            # an opening quote reads as a break. Track the letters of Latin words too, as CJK composers do.
            tracked = [j for j in range(end - 1) if p.kind[s + j] == LATIN and p.kind[s + j + 1] == LATIN
                       and text[s + j].isalpha() and text[s + j + 1].isalpha()]
            inner = inner + [j for j in tracked if not p.wsp[s + j + 1]]
        if need > EPS:
            if inner:
                for j in inner:
                    gap[j] += need / len(inner)
                need = 0.0
            elif spaces:
                word += need / len(spaces)
                need = 0.0
            elif slots:
                for j in slots:
                    gap[j] += need / len(slots)
                need = 0.0

    lead = indent
    if st.align == "center" and need > EPS:
        lead += need / 2
    before = [pl - t for t, pl in zip(trim_l, pad_l)]
    after = [pr - t for t, pr in zip(trim_r, pad_r)]
    for j in range(m - 1):
        if not gap[j]:
            continue
        # the gap after a multi-character run goes in front of the next piece: the run keeps one span
        if j and glue[j - 1]:
            before[j + 1] += gap[j]
        else:
            after[j] += gap[j]
    word = round(word / PANGO_UNIT) * PANGO_UNIT
    pieces = _pieces(p, s, m, end, before, after, width, need, word, st)
    if not p.rubies and not any(p.dotted[s:e]):
        return Line(pieces, width, natural, lead, last, dropped, word)
    rubies, dots = _marks(p, s, e, pieces, word, size, p.metrics)
    return Line(pieces, width, natural, lead, last, dropped, word, rubies, dots)


def _marks(p: _Para, s: int, e: int, pieces: tuple[Piece, ...], word: float,
           size: float, metrics: FontMetrics) -> tuple[tuple[tuple[float, float, str, float, float], ...],
                                                       tuple[float, ...]]:
    """Where line [s, e)'s ruby boxes and 着重号 dots go, from the pieces as they will be drawn."""
    x, at = 0.0, []  # the left edge of each character's glyph box
    for piece in pieces:
        x += piece.margin_left
        for ch in piece.text:
            i = s + len(at)
            at.append(x)
            x += p.adv[i] + piece.letter_spacing + (word if p.wsp[i] else 0.0)
    rubies = []
    for a, b, ruby in p.rubies:
        lo, hi = max(a, s), min(b, e)
        if lo >= hi or a < s:
            continue  # a group broken by force (wider than a line) keeps its ruby on its first line
        left = at[lo - s] - p.padl[lo]
        right = at[hi - 1 - s] + p.adv[hi - 1] + p.padr[hi - 1]
        natural = ruby_width(ruby, size, metrics)
        scale = 1.0
        if natural > right - left:
            # drawn at its natural width, centred, then condensed about its centre (text that overflows its box
            # would not be centred)
            scale = (right - left) / natural
            left, right = (left + right - natural) / 2, (left + right + natural) / 2
        rubies.append((round(left, 3), round(right - left, 3), ruby, RUBY_SIZE * size, round(scale, 4)))
    dots = tuple(round(at[i - s] + p.adv[i] / 2, 3) for i in range(s, e) if p.dotted[i])
    return tuple(rubies), dots


def _pieces(p: _Para, s: int, m: int, end: int, before: list[float], after: list[float], width: float,
            need: float, word: float, st: CompositionSettings) -> tuple[Piece, ...]:
    # WeasyPrint truncates letter-spacing to 1/1024 px: round to that grid so what we add up is what it draws
    after = [round(a / PANGO_UNIT) * PANGO_UNIT for a in after]
    before = [round(b, 4) for b in before]
    split = p.split
    cut = {j for j in range(m) if j == 0 or before[j] or after[j] != after[j - 1] or split[s + j]}
    # WeasyPrint positions glyphs inside a span with a small drift (it truncates TJ offsets to
    # 1/1000 em and scales Pango's x_offset by 1.024); a span starts exactly where the layout
    # puts it, so the line's last character or last word gets a span of its own
    if m >= 2 and after[m - 2]:
        cut.add(m - 1)
    if word:
        # after the last space that leaves a letter in the span (a span without one is shaped as Common)
        for j in range(m - 2, -1, -1):
            if p.kind[s + j] == SPACE and any(c.isalpha() for c in p.text[s + j + 1:s + m]):
                cut.add(j + 1)
                break
    starts = sorted(cut)
    if end == m and len(starts) > 1 and not need > EPS:
        # a rounding residue goes to the last piece's margin, so the line ends on the measure
        edge = sum(p.adv[s + j] + before[j] + after[j] + (word if p.wsp[s + j] else 0.0) for j in range(m))
        target = width if st.align == "justify" or need < -EPS else edge
        residue = round(target - edge, 4)
        if 0.005 <= abs(residue) < 0.05:
            before[starts[-1]] = round(before[starts[-1]] + residue, 4)
    text = p.text
    bounds = starts + [m]
    return tuple(Piece(text[s + a:s + b], after[a], before[a]) for a, b in zip(bounds, bounds[1:]))


def latin_run(ch: str) -> bool:
    """True if `ch` belongs to a Latin run (letters, digits, Latin punctuation and spaces) rather than to CJK text."""
    return _kind(ch)[0] in (LATIN, SPACE)


def glyph_offsets(line: Line, size: float, metrics: FontMetrics, lead: tuple[int, FontMetrics] | None = None,
                  compress: bool = True) -> list[float]:
    """Where each character of a composed line starts, in pt from the start of its text, as the pieces place it
    (the vertical setter draws every character itself). `lead` as in compose_paragraph, counted from this line."""
    text = line.text
    lead_n, lead_m = lead if lead else (0, metrics)
    # the composer measures a Latin run that holds a letter with Latin advances (a forced break inside a
    # word is the rare case this does not see)
    latin = [False] * len(text)
    i = 0
    while i < len(text):
        if _kind(text[i])[0] != LATIN:
            i += 1
            continue
        a = i
        while i < len(text) and _kind(text[i])[0] == LATIN:
            i += 1
        if any(text[j].isalpha() for j in range(a, i)):
            for j in range(a, i):
                latin[j] = metrics.cjk
    x, out = 0.0, []
    for piece in line.pieces:
        x += piece.margin_left
        for ch in piece.text:
            k = len(out)
            info = _char(lead_m if k < lead_n else metrics, ch, compress)
            out.append(x)
            x += (info[5] if latin[k] else info[4]) * size + piece.letter_spacing \
                + (line.word_spacing if ch in " \u00a0" else 0.0)
    return out
