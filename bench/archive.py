"""Benchmark of `epaper archive build` (project issue 23): N generated issues built on Dask with 1 and 2 workers,
then a run killed halfway and resumed; prints a Markdown table (and --json keeps every number).

    python bench/archive.py --issues 12 --pages 4          # what bench/README.md reports (a few minutes on 2 cores)
    python bench/archive.py --issues 200 --pages 8         # the issue's target size (about an hour on 2 cores)

Issues come from bench/generate.py with seeds SEED, SEED+1, … (a day apart, so each has its own date), into
WORK/root/bench-daily/; they are generated once and reused while WORK is kept. Each measured run is the command
itself (`python -m epaper archive build ROOT --out OUT --workers W`, a fresh process, a fresh OUT, so nothing is
cached) and its numbers come from the run's own report (OUT/archive-report.json):
  issues/minute   N ÷ the command's wall time (process start, the LocalCluster, the final site files included);
  CPU per issue   the worker process's CPU seconds while it built the issue (epaper/archive/task.py measures it);
  RSS per worker  the largest peak resident set a worker process reached (ru_maxrss, as its records say);
  resume          a run with the most workers is killed (SIGKILL to its process group, the LocalCluster with it)
                  once half the issues have records; the rerun's wall time and the issues it built are reported,
                  and the time of a third run that finds everything built (the cost of hashing and checking).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.run import machine  # noqa: E402


def generate(root: Path, n: int, pages: int, seed: int) -> list[Path]:
    """N issues under root/bench-daily (generated once: an issue folder with the generator's marker is kept)."""
    from bench.generate import MARKER, generate_issue

    paper = root / "bench-daily"
    issues = []
    for i in range(n):
        s = seed + i
        existing = [d for d in paper.glob("*/") if (d / MARKER).is_file()
                    and (d / MARKER).read_text(encoding="utf-8") == f"seed = {s}\n"
                    and (d / "issue.toml").read_text(encoding="utf-8").count("[[pages]]") == pages]
        if existing:
            issues.append(existing[0])
            continue
        started = time.monotonic()
        issues.append(generate_issue(paper, seed=s, pages=pages))
        print(f"generated {issues[-1].name} ({pages} pages) in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return issues


def archive_command(root: Path, out: Path, workers: int, formats: list[str]) -> list[str]:
    command = [sys.executable, "-m", "epaper", "archive", "build", str(root), "--out", str(out),
               "--workers", str(workers)]
    for f in formats:
        command += ["-f", f]
    return command


def run(root: Path, out: Path, workers: int, formats: list[str]) -> dict:
    """One run of the command; its wall time and the numbers of its report."""
    started = time.monotonic()
    proc = subprocess.run(archive_command(root, out, workers, formats), cwd=REPO, capture_output=True, text=True)
    wall = time.monotonic() - started
    if not (out / "archive-report.json").is_file():
        raise SystemExit(f"the command failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    report = json.loads((out / "archive-report.json").read_text(encoding="utf-8"))
    if report["failed"]:
        raise SystemExit(f"{report['failed']} issues failed:\n{proc.stdout[-3000:]}")
    built = [r for r in report["issues"] if r["status"] == "built"]
    rss: dict[str, float] = {}
    for r in built:
        rss[r["worker"]] = max(rss.get(r["worker"], 0.0), r["worker_rss_mib"])
    site = out / "site"
    iiif_bytes = sum(f.stat().st_size for f in site.glob("*/*/iiif/**/*") if f.is_file())
    pages = sum(r.get("pages", 0) for r in report["issues"] if r["status"] in ("built", "skipped"))
    return {"workers": workers, "wall": wall, "built": len(built), "skipped": report["skipped"],
            "iiif_mib_per_page": iiif_bytes / (1 << 20) / pages if pages else 0.0,
            "site_seconds": report.get("site_seconds", 0.0),
            "cpu_per_issue": statistics.mean(r["cpu_seconds"] for r in built) if built else 0.0,
            "wall_per_issue": statistics.mean(r["seconds"] for r in built) if built else 0.0,
            "rss_per_worker": max(rss.values()) if rss else 0.0, "worker_processes": len(rss)}


def killed_and_resumed(root: Path, out: Path, workers: int, formats: list[str], n: int) -> dict:
    """Kill a run once half the issues are recorded, then run again (and once more with nothing to do)."""
    records = out / ".archive" / "issues"
    started = time.monotonic()
    proc = subprocess.Popen(archive_command(root, out, workers, formats), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    while proc.poll() is None and len(list(records.glob("*.json"))) < n // 2:
        time.sleep(0.2)
    killed_after = time.monotonic() - started
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the group this benchmark started: the driver and its cluster
    proc.wait()
    done_before = len(list(records.glob("*.json")))
    resumed = run(root, out, workers, formats)
    nothing = run(root, out, workers, formats)
    return {"killed_after": killed_after, "recorded_before_kill": done_before, "resume": resumed,
            "rerun_nothing_to_do": nothing}


def table(n: int, pages: int, formats: list[str], runs: list[dict], resume: dict | None, info: dict) -> str:
    lines = [f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM; Python {info['python']}, "
             f"WeasyPrint {info['weasyprint']}; load average at start {info['load']}.",
             f"{n} generated issues of {pages} pages ({', '.join(formats)}), built from nothing by "
             "`epaper archive build` on a LocalCluster.", "",
             "| workers | wall s | issues/min | CPU s per issue | wall s per issue (in its worker) | "
             "peak RSS per worker MiB | site files at the end s | IIIF files MiB per page |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in runs:
        lines.append(f"| {r['workers']} | {r['wall']:.1f} | {60 * n / r['wall']:.1f} | {r['cpu_per_issue']:.2f} | "
                     f"{r['wall_per_issue']:.2f} | {r['rss_per_worker']:.0f} | {r['site_seconds']:.2f} | "
                     f"{r.get('iiif_mib_per_page', 0.0):.2f} |")
    if len(runs) >= 2:
        a, b = runs[0], runs[-1]
        lines.append("")
        lines.append(f"Speed-up {a['workers']} → {b['workers']} workers: {a['wall'] / b['wall']:.2f}× "
                     f"(parallel efficiency {a['wall'] / b['wall'] / (b['workers'] / a['workers']):.0%}).")
    if resume:
        r = resume["resume"]
        lines += ["", f"Resume: the {resume['resume']['workers']}-worker run was killed after "
                  f"{resume['killed_after']:.1f} s with {resume['recorded_before_kill']} of {n} issues recorded; "
                  f"the rerun built {r['built']} and skipped {r['skipped']} in {r['wall']:.1f} s; a third run "
                  f"with nothing to build took {resume['rerun_nothing_to_do']['wall']:.1f} s."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--issues", type=int, default=200, help="how many issues (the issue's target: 200)")
    ap.add_argument("--pages", type=int, default=8, help="pages per issue (default 8)")
    ap.add_argument("--seed", type=int, default=3000)
    ap.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated (default 1,2)")
    ap.add_argument("--format", action="append", dest="formats", help="pdf, epub, web (default: all three)")
    ap.add_argument("--no-resume", action="store_true", help="skip the killed-and-resumed run")
    ap.add_argument("--work", type=Path, help="keep the generated issues and outputs here (default: a temporary folder)")
    ap.add_argument("--json", type=Path, help="also write every number as JSON")
    args = ap.parse_args(argv)
    formats = args.formats or ["pdf", "epub", "web"]
    work = args.work or Path(tempfile.mkdtemp(prefix="epaper-bench-archive-"))
    info = machine()
    issues = generate(work / "root", args.issues, args.pages, args.seed)
    if len(issues) != args.issues:
        raise SystemExit("generation failed")
    runs = []
    counts = [int(w) for w in args.workers.split(",")]
    for w in counts:
        out = work / f"out-{w}"
        shutil.rmtree(out, ignore_errors=True)
        runs.append(run(work / "root", out, w, formats))
        print(f"{w} worker(s): {runs[-1]['wall']:.1f} s", file=sys.stderr)
    resume = None
    if not args.no_resume:
        out = work / "out-resume"
        shutil.rmtree(out, ignore_errors=True)
        resume = killed_and_resumed(work / "root", out, max(counts), formats, args.issues)
    print(table(args.issues, args.pages, formats, runs, resume, info))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "issues": args.issues, "pages": args.pages,
                                         "formats": formats, "runs": runs, "resume": resume}, indent=1) + "\n")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
