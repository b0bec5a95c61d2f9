"""One line of a Paragraph (its start, end and measure) in, the Line squeezed or stretched to the measure out, in
clreq's order, with its ruby and 着重号 positions."""

from __future__ import annotations

from . import kinsoku
from .chars import LATIN, RUBY_SIZE, SPACE, ruby_width
from .fontmetrics import FontMetrics
from .line import CompositionSettings, Line, Piece
from .paragraph import EPS, Paragraph

PANGO_UNIT = 0.75 / 1024  # WeasyPrint hands spacing to Pango in 1/1024 CSS px, truncated
SQUEEZE_COMMAS = frozenset("、，；：,;:")


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


def set_line(p: Paragraph, s: int, e: int, width: float, indent: float, last: bool, hang: bool,
             size: float, st: CompositionSettings, dropped: str) -> Line:
    """Characters [s, e) of the paragraph set to `width`: squeezed in clreq's order when they overflow, stretched when
    short (a justified line that is not the last), and cut into the pieces the renderer draws."""
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


def _marks(p: Paragraph, s: int, e: int, pieces: tuple[Piece, ...], word: float,
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


def _pieces(p: Paragraph, s: int, m: int, end: int, before: list[float], after: list[float], width: float,
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
