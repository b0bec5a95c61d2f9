"""The palette and the paper's composition settings in, a Composer out: composed paragraphs, cached by text.

One composer per process and fonts (_composer); layout_issue binds it to the build's on-disk store (epaper.cache_layout)
and writes the paragraphs composed in the build back (_store_lines).
"""

from __future__ import annotations

import os
from dataclasses import fields, replace
from typing import TYPE_CHECKING

from ..fonts import Palette
from ..marks import Mark
from ..model import Paper
from .compose import CompositionSettings, Line, compose_paragraph
from .fontmetrics import FontMetrics, load_metrics
from .types import SetLine

if TYPE_CHECKING:
    from ..cache_layout import LayoutStore


class Composer:
    """Binds the palette's metrics and the paper's composition settings for the placement code."""

    def __init__(self, palette: Palette, settings: CompositionSettings, body_size: float, subhead_size: float):
        self.palette = palette
        self.settings = settings
        self.body_size = body_size
        self.subhead_size = subhead_size  # the layout's grid.subhead_size: body lines cached here depend on it
        self._cache: dict[tuple, list[Line]] = {}
        self.bodies: dict[tuple, list[SetLine]] = {}  # an article's body lines at a width, per looser setting
        # the build's on-disk store (epaper.cache_layout), set by layout_issue for one build: a paragraph's
        # stored compositions are read at its first miss, and those of paragraphs composed here are written back
        self.store: LayoutStore | None = None
        self.namespace = ""  # this composer's part of the store's keys: fonts, settings, body size
        self._looked_up: set[str] = set()  # texts whose stored compositions were read (or found absent)
        self.composed: list[str] = []  # texts composed by compose_paragraph since the last reset (tests count them)

    def metrics(self, role: str) -> FontMetrics:
        r = self.palette[role]
        return load_metrics(r.file, r.family)

    def lines(self, text: str, width: float, size: float, role: str, *, indent: float | None = None,
              align: str = "justify", lead: tuple[int, str] | None = None, looser: bool = False,
              marks: tuple[Mark, ...] = ()) -> list[Line]:
        """Compose one paragraph; `lead` = (n, role): its first n characters are set in another role's face;
        `looser`: one line more than it needs (or the plain setting when that is not possible)."""
        # Placement tries many shapes per article: the same paragraph at the same width is composed once.
        key = (text, round(width, 3), size, role, indent, align, lead, looser, marks)
        cached = self._cache.get(key)
        if cached is None and self.store is not None and text not in self._looked_up:
            self._looked_up.add(text)
            for k, v in self.store.load_lines(self.namespace, text).items():
                self._cache.setdefault(k, v)
            cached = self._cache.get(key)
        if cached is None:
            self.composed.append(text)
            settings = self.settings if align == "justify" else replace(self.settings, align=align)
            lead_m = (lead[0], self.metrics(lead[1])) if lead else None
            metrics = self.metrics(role)
            cached = compose_paragraph(text, width, size, metrics, settings, indent=indent, lead=lead_m, marks=marks)
            if looser:
                # the widest break measure that gives one line more, no narrower than width less 1.5 em
                # (the stretch per line stays under about an eighth of an em per character)
                want, lo, hi = len(cached) + 1, width - 1.5 * size, width
                found = None
                for _ in range(8):
                    mid = (lo + hi) / 2
                    n = len(compose_paragraph(text, width, size, metrics, settings, indent=indent, lead=lead_m,
                                              break_width=mid, marks=marks))
                    if n >= want:
                        lo = mid
                        if n == want:
                            found = mid
                    else:
                        hi = mid
                if found is not None:
                    looser_lines = compose_paragraph(text, width, size, metrics, settings, indent=indent,
                                                     lead=lead_m, break_width=found, marks=marks)
                    # keep it only if it stretches no line by more than 2.5 em beyond what the plain setting
                    # already needs (a long Latin word pushed down can leave a few characters spread over a line)
                    def stretch(lines: list[Line]) -> float:
                        return max((width - ln.natural - ln.indent for ln in lines if not ln.last), default=0.0)

                    if stretch(looser_lines) <= max(stretch(cached), 2.5 * size) + 0.01:
                        cached = looser_lines
            self._cache[key] = cached
        return cached



def composition_settings(paper: Paper) -> CompositionSettings:
    """The composer's settings from the paper's [composition] table (the fields they share, by name)."""
    known = {f.name for f in fields(CompositionSettings)}
    return CompositionSettings(**{f.name: getattr(paper.composition, f.name)
                                  for f in fields(paper.composition) if f.name in known})


_COMPOSERS: dict[tuple, Composer] = {}
COMPOSER_LINES = 200_000  # cached compositions kept between builds in one process, about 100 MB at most



def _composer(palette: Palette, settings: CompositionSettings, body_size: float, subhead_size: float) -> Composer:
    """The process's composer for these fonts and settings: its caches are keyed by text (and article), so an
    edited story is composed again and every other story is not."""
    key = (repr(palette), repr(settings), body_size, subhead_size)
    composer = _COMPOSERS.get(key)
    if composer is None or len(composer._cache) > COMPOSER_LINES:
        _COMPOSERS.clear()
        composer = _COMPOSERS[key] = Composer(palette, settings, body_size, subhead_size)
    return composer



def _namespace(composer: Composer) -> str:
    """The composer's share of a stored composition's key: the font files (by size and time), settings, body size."""
    fonts = sorted({(str(r.file), r.family) for r in composer.palette.roles.values()})
    stats = []
    for file, family in fonts:
        try:
            st = os.stat(file)
            stats.append((file, family, st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append((file, family, -1, -1))
    return repr((repr(composer.palette), repr(composer.settings), composer.body_size, stats))



def _store_lines(composer: Composer, store: LayoutStore) -> None:
    """Write the compositions of every paragraph composed in this build, with those read for it."""
    texts = set(composer.composed)
    if not texts:
        return
    by_text: dict[str, dict[tuple, list[Line]]] = {t: {} for t in texts}
    for key, lines in composer._cache.items():
        entries = by_text.get(key[0])
        if entries is not None:
            entries[key] = lines
    for text, entries in by_text.items():
        store.store_lines(composer.namespace, text, entries)
