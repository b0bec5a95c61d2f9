"""Atomic file writes: bytes, text or a writer callback in; each target whole or untouched out (one file or a set)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable

Data = bytes | str | Callable[[Path], None]


def write_atomic(target: Path | str, data: Data, *, mode: int | None = 0o644, fsync: bool = False,
                 parents: bool = True) -> None:
    """Write `data` to a temporary file beside `target` and rename it over the target.

    Readers see the old file or the new one, never half a file; a failure (a full disk, Ctrl-C) leaves the old
    file and no temporary. Text is written as UTF-8 with "\\n" line ends, a callable writes the temporary path
    itself (e.g. shutil.copyfile). `mode` None gives the file the umask's ordinary permissions; `fsync` flushes
    it to the disk before the rename, for files that must survive a power cut (the EPUB a reader downloads).
    `parents` False refuses a target whose folder is missing instead of making it (a mistyped --out path).
    Temporaries are named `.NAME.XXXX.tmp`, which the caches' pruning recognises as a dead writer's leftovers.
    """
    write_atomic_all([(target, data)], mode=mode, fsync=fsync, parents=parents)


def write_atomic_all(files: Iterable[tuple[Path | str, Data]], *, mode: int | None = 0o644, fsync: bool = False,
                     parents: bool = True) -> None:
    """Write several files as one change: every temporary first, then the renames (options as for write_atomic).

    A failure while any of them is written (a renderer's error, a full disk, Ctrl-C) leaves every target as it
    was and no temporary, so files that belong together (an issue's press PDF and its page PDFs) are not left
    half old, half new by a failed write. The renames come last because a rename allocates nothing.
    """
    temps: list[tuple[Path, Path]] = []
    current: Path | None = None
    try:
        for target, data in files:
            current = Path(target)
            temps.append((_temporary(current, data, mode=mode, fsync=fsync, parents=parents), current))
        for tmp, current in temps:
            os.replace(tmp, current)
    except BaseException as exc:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)  # the ones already renamed are gone: missing_ok
        if isinstance(exc, OSError) and exc.filename is None and current is not None:
            exc.filename = str(current)  # a full disk is reported naming the file (a write() error names none)
        raise


def _temporary(target: Path, data: Data, *, mode: int | None, fsync: bool, parents: bool) -> Path:
    """`data` in a new temporary file beside `target`, with its final permissions; nothing is left on failure."""
    if parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # mkstemp makes 0600: an output should get ordinary file permissions
        os.chmod(tmp, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp
