"""An article's kicker, title and subtitle in, centred headline boxes with balanced lines out."""

from __future__ import annotations

import math

from ..model import Article
from .compose import Line
from .composer import Composer
from .grid import Layout, Rect
from .types import SetLine, TextBox


def headline_boxes(article: Article, rect: Rect, rank: int, layout: Layout, composer: Composer,
                   air: int = 0) -> tuple[list[TextBox], int]:
    """Kicker, title and subtitle stacked and centred (with `air` extra lines around them); boxes and lines taken."""
    sizes = layout.headline(rank)
    width = rect.w - 2 * layout.body_size
    parts = [("kicker", article.kicker, sizes.kicker, "serif-bold"), ("title", article.title, sizes.title, "sans"),
             ("subtitle", article.subtitle, sizes.subtitle, "sans-regular")]
    stacked: list[tuple[str, float, float, list[Line], str, float]] = []
    height = 0.0
    for kind, text, size, role in parts:
        if not text:
            continue
        lines, measure = balanced_lines(composer, text, width, size, role)
        lh = size * getattr(layout.headline_leading, kind)
        stacked.append((kind, size, lh, lines, role, measure))
        height += lh * len(lines)
    if not stacked:
        return [], 0
    # at least half a line of air around the block, on whole body lines so the text below stays on the grid
    n_lines = math.ceil((height + layout.pitch) / layout.pitch) + air
    y = rect.y + (n_lines * layout.pitch - height) / 2
    boxes = []
    for kind, size, lh, lines, role, measure in stacked:
        h = lh * len(lines)
        x = rect.x + layout.body_size + (width - measure) / 2
        boxes.append(TextBox(kind, Rect(x, y, measure, h), size, lh,
                             tuple(SetLine(ln, role) for ln in lines), align="center"))
        y += h
    return boxes, n_lines



def balanced_lines(composer: Composer, text: str, width: float, size: float, role: str) -> tuple[list[Line], float]:
    """A headline broken into lines of even length: the narrowest measure that needs no more lines than `width`.

    Greedy breaking leaves a lone character on the last line of a two-line headline; editors balance them.
    """
    lines = composer.lines(text, width, size, role, indent=0.0, align="center")
    if len(lines) < 2:
        return lines, width
    lo, hi = width / 2, width
    while hi - lo > size / 4:
        mid = (lo + hi) / 2
        if len(composer.lines(text, mid, size, role, indent=0.0, align="center")) <= len(lines):
            hi = mid
        else:
            lo = mid
    return composer.lines(text, hi, size, role, indent=0.0, align="center"), hi
