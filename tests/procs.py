"""Process ids in, those that are multiprocessing workers out (from /proc): how the tests tell a build's page
workers from the short fc-match, gcc or ldconfig children it also runs."""

from __future__ import annotations

from pathlib import Path


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])  # the fields after the command name's parenthesis


def multiprocessing_children(pids: set[int] | list[int]) -> set[int]:
    """Those of `pids` that are Python processes of multiprocessing: spawned ones name multiprocessing on their
    command line; forked ones (page_pdfs forks its workers when it can) have their parent's command line."""
    out = set()
    for pid in pids:
        try:
            cmdline = _cmdline(pid)
            if b"multiprocessing" in cmdline or cmdline == _cmdline(_parent(pid)):
                out.add(pid)
        except (OSError, ValueError, IndexError):
            pass  # ended while we looked
    return out
