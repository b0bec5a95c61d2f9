"""A paragraph's text, measure and settings in, its line breaks out: each line's start, end, next start and hang."""

from __future__ import annotations

from ..marks import Mark
from .fontmetrics import FontMetrics
from .line import CompositionSettings
from .paragraph import EPS, Paragraph


def _next_break(p: Paragraph, s: int, width: float) -> tuple[int, bool]:
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


def _overlong(p: Paragraph, s: int, width: float) -> bool:
    """True if the unbreakable stretch starting at s is wider than a whole line."""
    for e in range(s + 1, p.n + 1):
        if p.natural(s, e) - p.shrink(s, e) > width + EPS:
            return True
        if p.brk[e]:
            return False
    return False


def choose_breaks(text: str, width: float, size: float, metrics: FontMetrics, st: CompositionSettings,
                  indent: float | None, lead: tuple[int, FontMetrics] | None = None, marks: tuple[Mark, ...] = ()
                  ) -> tuple[Paragraph, list[tuple[int, int, int, bool]], float]:
    """The paragraph's state, its lines as (start, end, where the next starts, last character hangs) with one line
    chosen at a time, and the first line's indent in pt."""
    p = Paragraph(text, size, metrics, st, lead, marks)
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
