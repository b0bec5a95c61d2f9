"""bench/run.py --quick runs end to end and prints its tables (no timing is asserted: machines differ)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO


@pytest.mark.slow  # the quick bench builds and times issues end to end in a subprocess
def test_bench_quick_prints_its_tables(tmp_path):
    command = [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--json", str(tmp_path / "b.json")]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "| issue | stage | wall s | CPU s | peak RSS MiB |" in out
    for stage in ("import", "load", "layout", "pdf", "epub", "web", "page workers", "cold build, total"):
        assert f"| 2 pages | {stage}" in out or f"| 2 pages | **{stage}**" in out, stage
    for comparison in ("(a) cold build", "(a) layout and PDF stages", "(b) EPUB stage", "(c) cold build", "(d) rebuild",
                       "CJK composer"):
        assert comparison in out, comparison
    assert "Machine: " in out and "WeasyPrint" in out
    assert (tmp_path / "b.json").stat().st_size > 0
