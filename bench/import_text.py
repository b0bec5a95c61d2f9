"""Benchmark of `epaper import-text` (project issue 17): wall time and peak RSS of a 1 MB page text, with the seed page
as the baseline measured in the same run, and the refusal of a 50 MB input.

    python bench/import_text.py            # median of 3 runs each
    python bench/import_text.py --runs 1

Every import is a fresh `epaper import-text` process, so its peak RSS (os.wait4) is its own and start-up is counted,
as a user meets it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED_PAGE = REPO / "issues" / "wujin-daily" / "2024-12-19" / "source" / "page.txt"
EPAPER = Path(sys.executable).with_name("epaper")


def one_megabyte_page() -> str:
    """Fifty long stories in OCR column lines of 15 characters, a little over 1 MB of UTF-8."""
    sentence = "今年以来，我区加快推进老旧小区改造，共完成改造项目12个，惠及居民3000余户。"
    story = sentence * 190
    lines: list[str] = []
    for k in range(50):
        lines += [f"第{k + 1}个重点项目建设全面提速", "本报讯（记者 林晨）"]
        lines += [story[i:i + 15] for i in range(0, len(story), 15)] + [""]
    return "\n".join(lines)


def timed(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit status) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.stderr.close()
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="epaper-bench-import-") as tmp:
        work = Path(tmp)
        big = work / "one-mb.txt"
        big.write_text(one_megabyte_page(), encoding="utf-8")
        huge = work / "fifty-mb.txt"
        with huge.open("wb") as f:
            f.truncate(50 * 1024 * 1024)
        cases = {"seed page (baseline)": SEED_PAGE, f"1 MB text ({big.stat().st_size / 1e6:.2f} MB)": big,
                 "50 MB text (refused)": huge}
        for name, source in cases.items():
            runs = []
            for k in range(args.runs):
                out = work / f"out-{len(rows)}-{k}" / "2024-12-19"
                runs.append(timed([str(EPAPER), "import-text", str(source), "--out", str(out)]))
            rows.append((name, runs))
    base = statistics.median(r[0] for r in rows[0][1])
    print(f"| input | wall (median of {args.runs}) | × seed page | peak RSS | exit |")
    print("| --- | --- | --- | --- | --- |")
    for name, runs in rows:
        wall = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        print(f"| {name} | {wall:.2f} s | {wall / base:.2f}× | {rss:.0f} MiB | {runs[0][2]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
