"""Derived bytes (page images, photo renditions) in, under a key hashed from their inputs; the same bytes out later."""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import time
from collections.abc import Sequence
from pathlib import Path

from .atomic import write_atomic

LOG = logging.getLogger("epaper.cache")
# File magic: an entry of another layout (or any other file) is never taken for one of ours.
MAGIC = b"epaper-derived\x00\x01"
# Least recently used entries go when a cache folder grows past this: a year of nightly rebuilds must not fill
# a small server's disk. An 8-page issue's page images take about 8 MB.
MAX_BYTES = 512 * 1024 * 1024
STALE_TMP_SECONDS = 3600  # a temporary file this old belongs to a writer that died


def make_key(*parts: object) -> str:
    """sha256 over the parts, each length-prefixed so that ("ab", "c") and ("a", "bc") differ.

    bytes are taken as they are; anything else by its repr (str, int, float, tuples of them: stable across runs).
    """
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes: a renamed or touched file keeps its entries, an edited one gets new ones."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _pack(parts: Sequence[bytes]) -> bytes:
    payload = struct.pack(f">I{len(parts)}Q", len(parts), *(len(p) for p in parts)) + b"".join(parts)
    return MAGIC + hashlib.sha256(payload).digest() + payload


def _unpack(data: bytes) -> list[bytes] | None:
    """The parts of an entry, or None when anything is off: wrong magic, cut short, or bytes changed on disk."""
    head = len(MAGIC) + 32
    if len(data) < head + 4 or not data.startswith(MAGIC):
        return None
    payload = data[head:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC):head]:
        return None
    (count,) = struct.unpack_from(">I", payload)
    offset = 4 + 8 * count
    if len(payload) < offset:
        return None
    lengths = struct.unpack_from(f">{count}Q", payload, 4)
    if offset + sum(lengths) != len(payload):
        return None
    parts = []
    for n in lengths:
        parts.append(payload[offset:offset + n])
        offset += n
    return parts


class DerivedCache:
    """Entries live at <folder>/<kind>/<key>.bin: a magic, the sha256 of the payload, then the payload (its parts).

    Writes go to a temporary name in the same folder and are renamed into place, so a reader (another build in
    another process) sees a whole entry or none; a read verifies the hash, so a truncated or altered entry is
    deleted and recomputed, never served. Failing to write only costs the next build the work: it is logged.
    `folder=None` is a cache that never hits and never writes. Every lookup is logged on the "epaper.cache"
    logger with `cache_event` ("hit", "miss", "corrupt") and `cache_kind` on the record, which tests count.
    """

    def __init__(self, folder: Path | str | None, *, max_bytes: int = MAX_BYTES) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.max_bytes = max_bytes

    def _path(self, kind: str, key: str) -> Path:
        assert self.folder is not None
        return self.folder / kind / f"{key}.bin"

    def _event(self, event: str, kind: str, key: str) -> None:
        LOG.debug("cache %s: %s %s", event, kind, key[:16], extra={"cache_event": event, "cache_kind": kind})

    def get(self, kind: str, key: str) -> list[bytes] | None:
        if self.folder is None:
            return None
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            self._event("miss", kind, key)
            return None
        parts = _unpack(data)
        if parts is None:
            self._event("corrupt", kind, key)
            path.unlink(missing_ok=True)
            return None
        try:
            os.utime(path)  # the modification time orders entries for pruning: this one was just used
        except OSError:
            pass
        self._event("hit", kind, key)
        return parts

    def has(self, kind: str, key: str) -> bool:
        """Whether an entry is stored (not checked: get() may still find it damaged and answer None)."""
        return self.folder is not None and self._path(kind, key).is_file()

    def put(self, kind: str, key: str, parts: Sequence[bytes]) -> None:
        if self.folder is None:
            return
        target = self._path(kind, key)
        try:
            write_atomic(target, _pack(parts), mode=None)
        except OSError as exc:
            LOG.warning("cannot write the cache entry %s: %s", target, exc)

    def prune(self) -> None:
        """Delete the least recently used entries until the folder holds at most max_bytes, and dead writers' files."""
        if self.folder is None or not self.folder.is_dir():
            return
        now = time.time()
        entries: list[tuple[float, int, Path]] = []
        for path in self.folder.glob("*/*"):
            try:
                st = path.stat()
            except OSError:
                continue  # removed by another build meanwhile
            if path.suffix == ".tmp":
                if now - st.st_mtime > STALE_TMP_SECONDS:
                    path.unlink(missing_ok=True)
            elif path.suffix == ".bin":
                entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size


def pillow_versions() -> str:
    """Pillow and the codec libraries it was built with: an upgrade may change encoded bytes, so it changes keys."""
    import PIL
    from PIL import features

    return " ".join([PIL.__version__] + [f"{m}={features.version(m)}" for m in ("webp", "jpg", "zlib")])
