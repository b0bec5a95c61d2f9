"""The page workers of `epaper build` live only as long as the build: none remains after it exits, normally or
after Ctrl-C (SIGINT). Processes are found by scanning /proc for descendants of the build."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import MULTI_ISSUE
from .procs import multiprocessing_children

REPO = Path(__file__).resolve().parent.parent
EPAPER = [sys.executable, "-c", "import sys; from epaper.cli import app; sys.argv[0] = 'epaper'; sys.exit(app())"]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def _parents() -> dict[int, int]:
    """pid → parent pid of every process now running."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended while we looked
        # the command name in parentheses may hold spaces: the fields after its closing parenthesis are fixed
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(entry)] = int(fields[1])
    return out


def _descendants(pid: int) -> set[int]:
    parents = _parents()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _python_children(pids: set[int]) -> set[int]:
    """Those of `pids` that are Python processes of multiprocessing (not a short fc-match the build runs)."""
    return multiprocessing_children(pids)


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":  # a zombie has exited; only its parent's wait is missing
            alive.add(pid)
    return alive


def _start(folder: Path, out: Path) -> subprocess.Popen:
    # workers 2 even on a 1-core runner, so that there are workers to watch
    return subprocess.Popen([*EPAPER, "build", str(folder), "-o", str(out), "--format", "pdf", "--workers", "2"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _watch_children(proc: subprocess.Popen, until: float, want: int = 1) -> set[int]:
    """The build's Python child processes seen while it runs, until `want` are seen or the deadline."""
    seen: set[int] = set()
    while time.monotonic() < until and proc.poll() is None:
        seen |= _python_children(_descendants(proc.pid))
        if len(seen) >= want:
            break
        time.sleep(0.05)
    return seen


def _gone_within(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("workers") / "wujin-daily"
    shutil.copytree(MULTI_ISSUE.parent, root, ignore=shutil.ignore_patterns("2024-12-19"))
    return root / MULTI_ISSUE.name


@pytest.fixture(scope="module")
def cold(folder, tmp_path_factory):
    """A first build into an empty OUT, watched: (its output folder, every descendant seen while it ran)."""
    out = tmp_path_factory.mktemp("workers-out") / "out"
    proc = _start(folder, out)
    seen = _watch_children(proc, time.monotonic() + 60, want=2)
    while proc.poll() is None:  # keep looking: a worker started late is a worker too
        seen |= _python_children(_descendants(proc.pid))
        time.sleep(0.05)
    _, err = proc.communicate()
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out, seen


def test_no_worker_outlives_a_build(cold):
    _, seen = cold
    assert len(seen) >= 2, "the build rendered its pages in two worker processes"
    assert not _gone_within(seen, 1.0), f"still running after the build: {_alive(seen)}"


def test_a_rebuild_draws_only_the_changed_page_and_leaves_no_worker(folder, cold):
    """An edit of one article: its page is drawn again by a worker, which ends with the build; with nothing changed
    (the stamp answers) no worker starts at all."""
    out, _ = cold
    pdf = next(out.glob("*.pdf"))
    before = pdf.read_bytes()
    md = next((folder / "articles").glob("*.md"))
    text = md.read_text(encoding="utf-8")
    head, sep, body = text.partition("+++\n\n")
    old = next(c for c in "的，是" if c in body)
    md.write_text(head + sep + body.replace(old, "之" if old != "之" else "乃", 1), encoding="utf-8")
    entries = out / ".cache" / "pages"
    try:
        for case in ("edited", "nothing changed"):
            drawn_before = set(entries.glob("*.json"))
            proc = _start(folder, out)
            seen: set[int] = set()
            while proc.poll() is None:
                seen |= _python_children(_descendants(proc.pid))
                time.sleep(0.02)
            _, err = proc.communicate()
            assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
            if case == "edited":
                assert len(set(entries.glob("*.json")) - drawn_before) == 1, "only the edited page is drawn again"
                assert seen, "the page was drawn by a worker"
                assert not _gone_within(seen, 1.0), f"still running after the build: {_alive(seen)}"
            else:
                assert b"up to date" in err, err.decode(errors="replace")[-2000:]
                assert not seen, "a build with nothing to do starts no worker"
        assert next(out.glob("*.pdf")).read_bytes() != before
    finally:
        md.write_text(text, encoding="utf-8")


def test_no_worker_outlives_a_build_stopped_by_ctrl_c(folder, tmp_path):
    proc = _start(folder, tmp_path / "out")
    seen = _watch_children(proc, time.monotonic() + 60, want=2)
    assert proc.poll() is None and len(seen) >= 2, "the build started its workers"
    time.sleep(0.5)  # the workers are importing or rendering
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the build did not stop within 30 s of Ctrl-C")
    assert proc.returncode != 0
    assert not _gone_within(seen, 2.0), f"still running after Ctrl-C: {_alive(seen)}"
    assert not list((tmp_path / "out").glob("*.pdf")), "a stopped build publishes nothing"
    assert "Traceback" not in err.decode(errors="replace")
