"""Font file + family + language in, per-character advances (em) and punctuation blank sides out."""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..atomic import write_atomic

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

# HarfBuzz picks the OpenType language system from the HTML lang; the glyph (and
# so the advance) of e.g. U+2014 depends on it: Noto CJK maps it to a 1-em dash only
# under ZHS/ZHT/ZHH/JAN. The metrics must be loaded for the lang the page declares.
_LANGSYS = {
    "zh": "ZHS", "zh-cn": "ZHS", "zh-hans": "ZHS", "zh-sg": "ZHS", "zh-hans-cn": "ZHS",
    "zh-tw": "ZHT", "zh-hant": "ZHT", "zh-hant-tw": "ZHT",
    "zh-hk": "ZHH", "zh-mo": "ZHH", "zh-hant-hk": "ZHH",
    "ja": "JAN", "ko": "KOR",
}


@dataclass(frozen=True, eq=False)
class FontMetrics:
    """Advances of one font face as HarfBuzz sets them for `lang` (no kerning, no ligatures).

    Equality is identity: instances come from `load_metrics`, which caches them.
    """

    path: str
    family: str
    lang: str
    units_per_em: int
    _advance: Mapping[int, int] = field(repr=False)
    # codepoint -> (left blank, right blank) in font units, read from the font's
    # `halt` GPOS feature: the part of a full-width punctuation box that is empty
    # and may be removed (clreq "调整空间").
    _blanks: Mapping[int, tuple[int, int]] = field(repr=False)
    # codepoints whose advance comes from `locl`: Pango shapes a span holding only
    # script-neutral characters (punctuation, digits) as script "Common", which
    # gets the font's DFLT glyphs, so these need a letter in the same span
    _contextual: frozenset[int] = field(repr=False, default=frozenset())
    # advances that differ inside a run of Latin letters: for a CJK lang Pango shapes
    # such runs as script Latin with a Latin-script language (digits and … change)
    _latin: Mapping[int, int] = field(repr=False, default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Called only for an attribute the instance lacks: `_advance` of metrics read from the disk cache, kept as
        # runs until first used (a rebuild's main process often asks one or two faces of six: ~5 ms each saved)
        runs = self.__dict__.get("_runs")
        if name != "_advance" or runs is None:
            raise AttributeError(name)
        advance = _from_runs(runs)
        object.__setattr__(self, "_advance", advance)  # from now on a plain attribute: the hot path is unchanged
        return advance

    @property
    def cjk(self) -> bool:
        """True when the lang is Chinese, Japanese or Korean (Han is the primary script)."""
        return _lang_tag(self.lang) is not None

    def has(self, ch: str) -> bool:
        return ord(ch) in self._advance

    def advance(self, ch: str) -> float:
        """Advance width of `ch` in em; a guess from its East Asian width if the face lacks it."""
        units = self._advance.get(ord(ch))
        if units is None:
            return 1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5
        return units / self.units_per_em

    def latin_advance(self, ch: str) -> float:
        """Advance of `ch` in em inside a run of Latin letters."""
        units = self._latin.get(ord(ch))
        return self.advance(ch) if units is None else units / self.units_per_em

    def contextual(self, ch: str) -> bool:
        """True if `ch` is drawn at this advance only next to a letter in the same text run."""
        return ord(ch) in self._contextual

    def blanks(self, ch: str) -> tuple[float, float] | None:
        """(left, right) removable blank of a full-width punctuation mark in em, None if not adjustable."""
        b = self._blanks.get(ord(ch))
        if b is None:
            return None
        return b[0] / self.units_per_em, b[1] / self.units_per_em


def _lang_tag(lang: str) -> str | None:
    key = lang.lower()
    return _LANGSYS.get(key) or _LANGSYS.get(key.split("-")[0])


def _face_families(font: TTFont) -> set[str]:
    name = font["name"]
    return {str(n.toUnicode()) for n in name.names if n.nameID in (1, 16)}


def _open_face(path: str, family: str) -> TTFont:
    from fontTools.ttLib import TTCollection, TTFont  # only when the metrics are not cached (fonts/.cache)

    if path.lower().endswith((".ttc", ".otc")):
        faces = TTCollection(path, lazy=True).fonts
    else:
        faces = [TTFont(path, lazy=True)]
    seen: list[str] = []
    for face in faces:
        fams = _face_families(face)
        if family in fams:
            return face
        seen.extend(sorted(fams))
    raise ValueError(f"{path}: no face with family {family!r}. Available families: {', '.join(seen)}")


def _single_subst(lookup: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for st in lookup.SubTable:
        if lookup.LookupType == 7:
            st = st.ExtSubTable
        mapping = getattr(st, "mapping", None)
        if mapping:
            out.update(mapping)
    return out


def _langsys(table: Any, script_tags: tuple[str, ...], lang_tag: str | None) -> Any:
    records = {sr.ScriptTag: sr.Script for sr in table.ScriptList.ScriptRecord}
    for tag in script_tags:
        script = records.get(tag)
        if script is None:
            continue
        for rec in script.LangSysRecord:
            if lang_tag and rec.LangSysTag.strip() == lang_tag:
                return rec.LangSys
        return script.DefaultLangSys
    return None


def _feature_lookups(table: Any, langsys: Any, feature: str) -> list[Any]:
    if langsys is None:
        return []
    lookups = []
    for index in langsys.FeatureIndex:
        rec = table.FeatureList.FeatureRecord[index]
        if rec.FeatureTag == feature:
            lookups.extend(table.LookupList.Lookup[i] for i in rec.Feature.LookupListIndex)
    return lookups


def _halt_values(lookup: Any) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for st in lookup.SubTable:
        if lookup.LookupType == 9:
            st = st.ExtSubTable
        if getattr(st, "LookupType", 1) != 1:
            continue
        glyphs = st.Coverage.glyphs
        values = [st.Value] * len(glyphs) if st.Format == 1 else st.Value
        for glyph, value in zip(glyphs, values):
            out[glyph] = (getattr(value, "XPlacement", 0) or 0, getattr(value, "XAdvance", 0) or 0)
    return out


def load_metrics(path: str | Path, family: str, lang: str = "zh-CN") -> FontMetrics:
    """Metrics of the face named `family` (name ID 1 or 16) in `path`, as set for HTML `lang`; cached.

    Reads cmap, hmtx, head, the `locl` single substitutions of the language
    system and the `halt` positioning values; nothing else (a CJK TTC is large).
    """
    return _load(str(path), family, lang)


# Where parsed metrics are kept between runs (set by the build to fonts/.cache); None: no disk cache.
CACHE_DIR: Path | None = None
_CACHE_VERSION = 2  # bump when what _parse reads, or the file's form, changes


@lru_cache(maxsize=32)
def _load(path: str, family: str, lang: str) -> FontMetrics:
    """Parsing a CJK TTC's cmap, hmtx, GSUB and GPOS takes most of a second per face: keep the result on disk,
    keyed by the file's size and mtime, as plain JSON (never pickle: the cache must not be able to run code)."""
    if CACHE_DIR is None:
        return _parse(path, family, lang)
    stat = os.stat(path)
    key = hashlib.sha256(f"{_CACHE_VERSION}|{path}|{stat.st_size}|{stat.st_mtime_ns}|{family}|{lang}".encode()).hexdigest()
    file = CACHE_DIR / f"metrics-{key[:24]}.json"
    try:
        data = json.loads(file.read_text("utf-8"))
        return _with_runs(path, family, lang, data["upem"], _checked_runs(data["advance"]),
                          {k: (left, right) for k, left, right in data["blanks"]}, frozenset(data["contextual"]),
                          dict(data["latin"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    metrics = _parse(path, family, lang)
    try:
        write_atomic(file, json.dumps({"upem": metrics.units_per_em, "advance": _to_runs(metrics._advance),
                                       "blanks": [[k, *v] for k, v in sorted(metrics._blanks.items())],
                                       "contextual": sorted(metrics._contextual),
                                       "latin": sorted(metrics._latin.items())}), mode=None)
    except OSError:
        pass  # a read-only checkout builds all the same, only slower
    return metrics


def _to_runs(advance: Mapping[int, int]) -> list[list[int]]:
    """Advances as [first codepoint, count, advance] runs of consecutive codepoints with the same advance: a CJK
    face's ~45,000 codepoints are ~2,400 runs, read back 3× faster than one JSON key per codepoint."""
    runs: list[list[int]] = []
    for cp in sorted(advance):
        units = advance[cp]
        if runs and runs[-1][0] + runs[-1][1] == cp and runs[-1][2] == units:
            runs[-1][1] += 1
        else:
            runs.append([cp, 1, units])
    return runs


def _checked_runs(runs: Any) -> list[list[int]]:
    """`runs` if it is a list of [first, count, advance] integers (a damaged cache file is parsed again)."""
    if not isinstance(runs, list) or not all(isinstance(run, list) and len(run) == 3
                                             and all(type(n) is int for n in run) for run in runs):
        raise TypeError("a list of runs of three integers")
    return runs


def _from_runs(runs: list[list[int]]) -> dict[int, int]:
    advance: dict[int, int] = {}
    for first, count, units in runs:
        advance.update(dict.fromkeys(range(first, first + count), units))
    return advance


def _with_runs(path: str, family: str, lang: str, upem: int, runs: list[list[int]],
               blanks: Mapping[int, tuple[int, int]], contextual: frozenset[int],
               latin: Mapping[int, int]) -> FontMetrics:
    """FontMetrics whose advances stay runs until first asked for (FontMetrics.__getattr__)."""
    metrics = object.__new__(FontMetrics)
    for name, value in (("path", path), ("family", family), ("lang", lang), ("units_per_em", upem),
                        ("_blanks", blanks), ("_contextual", contextual), ("_latin", latin), ("_runs", runs)):
        object.__setattr__(metrics, name, value)
    return metrics


def _parse(path: str, family: str, lang: str) -> FontMetrics:
    face = _open_face(path, family)
    lang_tag = _lang_tag(lang)
    cmap = face.getBestCmap()
    hmtx = face["hmtx"].metrics
    gsub = face["GSUB"].table if "GSUB" in face else None

    def localized(scripts: tuple[str, ...], tag: str | None) -> dict[int, str]:
        glyph_of = dict(cmap)
        if gsub is not None:
            for lookup in _feature_lookups(gsub, _langsys(gsub, scripts, tag), "locl"):
                subst = _single_subst(lookup)
                if subst:
                    glyph_of = {cp: subst.get(g, g) for cp, g in glyph_of.items()}
        return glyph_of

    glyph_of = localized(("hani", "DFLT") if lang_tag else ("latn", "DFLT"), lang_tag)
    advance = {cp: hmtx[g][0] for cp, g in glyph_of.items() if g in hmtx}
    contextual = frozenset(cp for cp, g in cmap.items() if cp in advance and hmtx[g][0] != advance[cp])
    latin: dict[int, int] = {}
    if lang_tag:
        # Pango gives a Latin run under a CJK lang a Latin-script language: the default langsys
        for cp, g in localized(("latn", "DFLT"), None).items():
            if g in hmtx and advance.get(cp) != hmtx[g][0]:
                latin[cp] = hmtx[g][0]

    blanks: dict[int, tuple[int, int]] = {}
    if "GPOS" in face:
        gpos = face["GPOS"].table
        halt: dict[str, tuple[int, int]] = {}
        for lookup in _feature_lookups(gpos, _langsys(gpos, ("hani", "DFLT"), lang_tag), "halt"):
            halt.update(_halt_values(lookup))
        if halt:
            for cp, g in glyph_of.items():
                value = halt.get(g)
                if value is None:
                    continue
                placement, adv = value
                if adv < 0:
                    # halt moves the ink left by the left blank and shortens the advance by both blanks
                    left = -placement
                    blanks[cp] = (left, -adv - left)
    upem = face["head"].unitsPerEm
    return FontMetrics(path, family, lang, upem, advance, blanks, contextual, latin)
