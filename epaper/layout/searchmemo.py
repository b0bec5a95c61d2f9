"""A page's placement search in, the arrangement out: from memory or the build's store (epaper.cache_layout) when
every height the search read last time is still the same, else from autosearch.search (and remembered).

autosearch.search is a function of the stories' heights at the shapes it tries (Measurer.natural, .closable), of
what it reads of the stories directly (kind, photos' aspect, pins) and of its arguments. A one-character edit
changes a page's text, so the placed page (layout.place) must be made again, but it rarely changes a height: the
heights the last search read are measured again (a few compositions of the edited story; the rest come from the
composer's stores) and, when all are equal, the search would visit the same nodes and return the same
arrangement, so it is not run. Outputs are the same byte for byte either way.
"""

from __future__ import annotations

import copy
import hashlib
from collections import OrderedDict
from typing import Any

from .autosearch import Arrangement, Measurer, search

ENTRIES = 4  # arrangements kept per search key (the last few versions of the page's copy)
_MEMO: OrderedDict[str, list[tuple[dict, Arrangement | None]]] = OrderedDict()
MEMO_KEYS = 256


def search_key(arts: list[str], measure: Measurer, columns: int, top: int, floor: int, tight: bool) -> str:
    """What the search reads besides heights: the stories' kinds and photos, the pins and its arguments."""
    stories = []
    for item in arts:
        article = measure.article(item)
        stories.append((item, article.kind, [p.aspect for p in article.photos]))
    state = (stories, sorted(measure.pins.items()), measure.photo_max, measure.house_ad, columns, top, floor, tight)
    return hashlib.sha256(repr(state).encode("utf-8")).hexdigest()


def _still_true(reads: dict, measure: Measurer) -> bool:
    for (what, art_id, shape), value in reads.items():
        measured = measure.natural(art_id, shape) if what == "natural" else measure.closable(art_id, shape)
        if measured != value:
            return False
    return True


def memo_search(arts: list[str], measure: Measurer, columns: int, top: int, floor: int,
                tight: bool = True) -> Arrangement | None:
    """search(), skipped when an earlier search with the same key read the same heights."""
    store = measure.composer.store
    key = search_key(arts, measure, columns, top, floor, tight)
    entries = _MEMO.get(key)
    if entries is None and store is not None:
        entries = store.load_search(key)
    entries = list(entries or [])
    for reads, found in entries:
        if _still_true(reads, measure):
            _remember(key, entries)
            return copy.deepcopy(found)
    found = search(arts, measure, columns, top, floor, tight)
    # every height this page's measurer holds: those this search read and those earlier searches of the page read
    # (more than needed is still exact: when they are all equal, so are the ones the search read)
    reads = {("natural", *key): lines for key, lines in measure.naturals.items()}
    reads.update({("closable", *key): lines for key, lines in measure.closables.items()})
    entries = [(reads, copy.deepcopy(found))] + entries[:ENTRIES - 1]
    _remember(key, entries)
    if store is not None:
        store.store_search(key, entries)
    return found


def _remember(key: str, entries: list[Any]) -> None:
    _MEMO[key] = entries
    _MEMO.move_to_end(key)
    while len(_MEMO) > MEMO_KEYS:
        _MEMO.popitem(last=False)
