"""Process ids in, those that are multiprocessing workers out (from /proc): how the tests tell a build's page
workers from the short fc-match, gcc or ldconfig children it also runs."""

from __future__ import annotations

from pathlib import Path


def multiprocessing_children(pids: set[int] | list[int]) -> set[int]:
    """Those of `pids` that are Python processes of multiprocessing."""
    out = set()
    for pid in pids:
        try:
            if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.add(pid)
        except OSError:
            pass
    return out
