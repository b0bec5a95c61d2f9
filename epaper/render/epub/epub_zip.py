"""Package entries (path → bytes) and a timestamp in; a reproducible EPUB ZIP written atomically at out_path."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from ...atomic import write_atomic
from ...errors import EpaperError

MIMETYPE = b"application/epub+zip"


def _zip_time(when: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """ZIP stores local-less DOS time from 1980 to 2107 in 2-second steps; we store the UTC fields, clamped."""
    utc = when.astimezone(dt.timezone.utc)
    year = min(max(utc.year, 1980), 2107)
    if year != utc.year:
        return (year, 1, 1, 0, 0, 0)
    return (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second - utc.second % 2)


def _info(name: str, when: tuple[int, int, int, int, int, int], stored: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, on every machine, so the central directory does not depend on the builder
    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    return info


def zip_bytes(entries: dict[str, bytes], when: dt.datetime) -> bytes:
    """`mimetype` first and STORED (no extra field, as OCF requires), then META-INF, the package document, and
    the rest in sorted order: a reader streaming the file meets container → OPF → content."""
    stamp = _zip_time(when)

    def rank(name: str) -> tuple[int, str]:
        return (0 if name.startswith("META-INF/") else 1 if name.endswith(".opf") else 2, name)

    ordered = sorted((n for n in entries if n != "mimetype"), key=rank)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(_info("mimetype", stamp, stored=True), MIMETYPE)
        for name in ordered:
            # Level 9 is deterministic for a given zlib, and the text parts are most of an issue without fonts.
            zf.writestr(_info(name, stamp, stored=False), entries[name], compresslevel=9)
    return buf.getvalue()


def write_atomically(data: bytes, out_path: Path) -> None:
    """Write beside the target and rename over it: readers never see half a file, a failure leaves none."""
    out_path = Path(out_path)
    try:
        write_atomic(out_path, data, mode=None, fsync=True, parents=False)
    except OSError as exc:
        raise EpaperError(f"cannot write the EPUB to {out_path}: {exc.strerror or exc}") from exc
