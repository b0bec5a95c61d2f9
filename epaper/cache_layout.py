"""The layout stages on disk: a folder (OUT/.cache/layout) in; composed lines per paragraph and placed pages out.

A CLI build is a new process, so the composer's and the placement's in-process memos (epaper.layout.place) start
empty every time; this store lets a rebuild recompose only the paragraphs whose text changed and place again only
the pages whose inputs changed.

- lines/<digest>.pickle: every composition of one paragraph text (all measures, sizes, roles, settings tried by
  placement), the digest covering the text, the fonts (path, size, mtime), the composition settings, the body
  size and the code version;
- searches/<digest>.pickle: the last few arrangements a page's placement search found, each with the heights it
  read (epaper.layout.searchmemo): a page whose copy changed but whose heights did not is placed without a search;
- pages/<digest>.pickle: one placed page and the continuation it carries to the next page, the digest covering
  the page's every input (layout.place._page_key: paper, grid, strings, plan entry, its articles with their photos and
  sizes, the continuations it sets) and the code version.

The code version is a digest of the layout's Python sources (LAYOUT_SOURCES), so an entry made by other layout
code is never served. Each file
starts with the SHA-256 of its pickle: a truncated or damaged entry is recomputed, never loaded. The entries are
pickles of epaper's own dataclasses and are trusted like the rest of OUT (only epaper writes there). Entries not
used for KEEP_DAYS are removed after a build.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from .atomic import write_atomic

FORMAT = 1  # bump when an entry's meaning changes
KEEP_DAYS = 14
PACKAGE = Path(__file__).resolve().parent


# The sources a placed page or a composed paragraph depends on beyond the inputs in its key: the layout code and
# the classes and helpers it builds its results from. (Parsing, rendering and the checks are not here: what they
# change reaches the layout only through the inputs, which are in every key.)
LAYOUT_SOURCES = ("layout/*.py", "model.py", "marks.py", "strings.py", "fonts.py", "errors.py", "codes.py",
                  "cache_layout.py")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the layout's Python sources (LAYOUT_SOURCES) and the Python version (the pickles' format)."""
    h = hashlib.sha256(f"layout-cache {FORMAT} python {sys.version_info[:2]}".encode())
    for path in sorted({p for pattern in LAYOUT_SOURCES for p in PACKAGE.glob(pattern)}):
        h.update(str(path.relative_to(PACKAGE)).encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


class LayoutStore:
    """Composed lines and placed pages by content, under one folder; counts what it served and what it stored."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.stats = {"pages_hit": 0, "pages_stored": 0, "texts_loaded": 0, "texts_stored": 0, "searches_stored": 0}

    # --- the files --------------------------------------------------------------------------------------------

    def _read(self, path: Path) -> Any | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        digest, _, payload = data.partition(b"\n")
        if hashlib.sha256(payload).hexdigest().encode() != digest:
            return None  # truncated or edited: computed again
        try:
            value = pickle.loads(payload)
        except Exception:  # an entry of classes that changed shape (the code version should prevent it)
            return None
        try:
            now = time.time()
            os.utime(path, (now, now))  # used: kept past the next prune
        except OSError:
            pass
        return value

    def _write(self, path: Path, value: Any) -> None:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        write_atomic(path, hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)

    # --- composed lines ---------------------------------------------------------------------------------------

    def lines_path(self, namespace: str, text: str) -> Path:
        return self.folder / "lines" / f"{_digest(code_version(), namespace, text)}.pickle"

    def load_lines(self, namespace: str, text: str) -> dict[tuple, Any]:
        """Every composition of `text` stored under the composer's namespace (fonts, settings, body size)."""
        value = self._read(self.lines_path(namespace, text))
        if not isinstance(value, dict):
            return {}
        self.stats["texts_loaded"] += 1
        return value

    def store_lines(self, namespace: str, text: str, entries: dict[tuple, Any]) -> None:
        self._write(self.lines_path(namespace, text), entries)
        self.stats["texts_stored"] += 1

    # --- placed pages -----------------------------------------------------------------------------------------

    def page_path(self, key: str) -> Path:
        return self.folder / "pages" / f"{_digest(code_version(), key)}.pickle"

    def load_page(self, key: str) -> Any | None:
        value = self._read(self.page_path(key))
        if value is not None:
            self.stats["pages_hit"] += 1
        return value

    def store_page(self, key: str, value: Any) -> None:
        self._write(self.page_path(key), value)
        self.stats["pages_stored"] += 1

    # --- placement searches -----------------------------------------------------------------------------------

    def search_path(self, key: str) -> Path:
        return self.folder / "searches" / f"{_digest(code_version(), key)}.pickle"

    def load_search(self, key: str) -> list | None:
        value = self._read(self.search_path(key))
        return value if isinstance(value, list) else None

    def store_search(self, key: str, entries: list) -> None:
        self._write(self.search_path(key), entries)
        self.stats["searches_stored"] += 1

    def prune(self, days: float = KEEP_DAYS) -> None:
        cutoff = time.time() - days * 86400
        for sub in ("lines", "pages", "searches"):
            folder = self.folder / sub
            for entry in folder.iterdir() if folder.is_dir() else ():
                try:
                    if entry.stat().st_mtime < cutoff:
                        entry.unlink()
                except OSError:
                    pass
