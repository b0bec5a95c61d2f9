"""An archive root and ArchiveOptions in; every issue built on Dask out, with a report (ArchiveReport, also
OUT/archive-report.json): built, skipped (inputs and code unchanged since the recorded build) or failed with the
reason. The site-wide files (往期 index, search, feed, sitemaps, OPDS, the IIIF collection) are written once, at
the end, from the issue folders in the site root."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..build import BuildOptions
from ..codes import finding
from ..errors import Finding, OptionError
from ..paths import FONTS, LAYOUTS
from ..render.registry import FORMATS
from .discover import Found, code_version, find_issues, issue_digest
from .task import RECORD_FORMAT, Job, build_one, write_record

STATE = ".archive"  # under OUT: issues/<id>.json (one record per issue) and stage/ (sites being written)
REPORT = "archive-report.json"
REPORT_FORMAT = "epaper-archive-report/1"
DEFAULT_IIIF_URL = "http://localhost:8000/"  # epaper serve's address: IIIF ids must be absolute (W900)
RETRIED = (1, 4)  # exit codes of failures a rerun tries again: internal errors and the machine (disk, fonts)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ArchiveOptions:
    """What `epaper archive build` was asked; the CLI fills it, library callers directly."""

    out: Path = Path("out")
    formats: tuple[str, ...] = FORMATS
    site: Path | None = None  # default OUT/site (OUT/site/<paper> when the archive holds several papers)
    scheduler: str | None = None  # address of a running Dask scheduler; None: a LocalCluster here
    workers: int = 0  # LocalCluster processes; 0: one per core
    cache: Path | str | None = None  # the page and image cache, shared by every worker; default OUT/.cache
    iiif: bool = True  # IIIF tiles and manifests (with "web")
    base_url: str = ""  # the site's public address for IIIF ids; default the paper's site_url
    force: bool = False  # rebuild issues whose inputs did not change


@dataclass
class ArchiveReport:
    root: Path
    out: Path
    issues: list[dict[str, Any]] = field(default_factory=list)  # one record per issue, in path order
    findings: list[Finding] = field(default_factory=list)
    sites: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    site_seconds: float = 0.0  # the site-wide files written at the end
    workers: int = 0

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.issues)

    def to_json(self) -> dict[str, Any]:
        return {"format": REPORT_FORMAT, "root": str(self.root), "out": str(self.out),
                "built": self.count("built"), "skipped": self.count("skipped"), "failed": self.count("failed"),
                "seconds": round(self.seconds, 3), "site_seconds": round(self.site_seconds, 3),
                "workers": self.workers,
                "findings": [dataclasses.asdict(f) for f in self.findings],
                "sites": [str(s) for s in self.sites],
                # without the file listings the records keep for the next run (OUT/.archive/issues/)
                "issues": [{k: v for k, v in r.items() if k != "inputs"} for r in self.issues]}


def check_options(options: ArchiveOptions) -> None:
    """Bad options stop before anything is read or started (exit 2)."""
    unknown = [f for f in options.formats if f not in FORMATS]
    if unknown:
        raise OptionError("--format", f"unknown output format '{unknown[0]}'; expected one of: {', '.join(FORMATS)}")
    if options.cache is not None and re.match(r"[A-Za-z][A-Za-z0-9+.-]+://", str(options.cache)):
        raise OptionError("--cache", f"'{options.cache}' is an object-store URL; the page cache needs a POSIX "
                          "folder (atomic renames): mount the bucket (s3fs, gcsfuse, rclone mount) and give the "
                          "mount's path")
    if options.base_url and not options.base_url.startswith(("http://", "https://")):
        raise OptionError("--base-url", f"expected an http:// or https:// address, got '{options.base_url}'")
    if options.workers < 0:
        raise OptionError("--workers", f"expected 0 (one per core) or more, got {options.workers}")


def _record_path(out: Path, rel: str) -> Path:
    return out / STATE / "issues" / f"{hashlib.sha256(rel.encode()).hexdigest()[:20]}.json"


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == RECORD_FORMAT else None


def _outputs_present(out: Path, record: dict[str, Any], site_root: Path) -> bool:
    """A recorded build still counts only while its outputs are there (someone may have deleted OUT/site)."""
    if not (out / record.get("slug", "")).exists():
        return False
    paths = record.get("web", [])
    return all((site_root / path / "index.html").is_file() for path in ([paths] if isinstance(paths, str) else paths))


def _sites(found: list[Found], options: ArchiveOptions) -> dict[str, Path]:
    """The site root of each paper: one paper, OUT/site (or --site); several, a root per paper beneath it."""
    base = Path(options.site or Path(options.out) / "site").resolve()
    slugs = sorted({f.paper_slug for f in found if f.paper_file is not None})
    return {s: base for s in slugs} if len(slugs) <= 1 else {s: base / s for s in slugs}


def _iiif_url(options: ArchiveOptions, paper: Found, many: bool, findings: list[Finding]) -> str:
    """The absolute address of the paper's site root, for IIIF ids; '' when no IIIF is written."""
    if not ("web" in options.formats and options.iiif):
        return ""
    if paper.site_url and not options.base_url:
        return paper.site_url if paper.site_url.endswith("/") else paper.site_url + "/"
    url = options.base_url or DEFAULT_IIIF_URL
    if not options.base_url and not any(f.code == "W900" for f in findings):
        findings.append(finding("W900", f"no --base-url and no site_url in paper.toml: IIIF ids use {url}",
                                where=str(paper.paper_file)))
    url = url if url.endswith("/") else url + "/"
    return f"{url}{paper.paper_slug}/" if many else url  # several papers: a site root each, under the address


class _Ticker:
    """The progress line: done, failed, skipped, remaining and the ETA from the pace so far."""

    def __init__(self, total: int, skipped: int, progress: Progress):
        self.total, self.skipped, self.progress = total, skipped, progress
        self.built = self.failed = 0
        self.started = time.monotonic()

    def tick(self, record: dict[str, Any] | None = None) -> None:
        if record is not None:
            if record["status"] == "built":
                self.built += 1
            else:
                self.failed += 1
        finished = self.built + self.failed
        remaining = self.total - self.skipped - finished
        eta = ""
        if finished and remaining:
            seconds = (time.monotonic() - self.started) / finished * remaining
            eta = f", ETA {int(seconds // 60)} min {int(seconds % 60):02d} s"
        self.progress(f"archive: {self.built + self.skipped + self.failed}/{self.total} done — built {self.built}, "
                      f"failed {self.failed}, skipped {self.skipped}, remaining {remaining}{eta}")


def _client(options: ArchiveOptions, n_jobs: int):
    """A Dask client: to the given scheduler, or to a LocalCluster of worker processes (one thread each: a
    build is single-threaded where it counts and holds the GIL)."""
    from distributed import Client, LocalCluster

    if options.scheduler:
        return Client(options.scheduler, timeout="30s"), None
    workers = options.workers or min(os.cpu_count() or 1, max(n_jobs, 1))
    # on this machine only; the scheduler's HTTP endpoints on a free port (None would still take 8787)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_archive(root: Path, options: ArchiveOptions = ArchiveOptions(),
                progress: Progress = lambda s: None) -> ArchiveReport:
    """Build every issue under root into options.out; see the module docstring."""
    check_options(options)
    root, out = Path(root).resolve(), Path(options.out).resolve()
    if not root.is_dir():
        raise OptionError("ROOT", f"'{root}' is not a folder")
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    report = ArchiveReport(root, out)
    found = find_issues(root, exclude=(out,))
    sites = _sites(found, options)
    many = len(sites) > 1
    cache = Path(options.cache).resolve() if options.cache else None
    build_options = BuildOptions(out=out, formats=tuple(options.formats), workers=1, cache_dir=cache)
    shared = hashlib.sha256(json.dumps({
        "code": code_version(LAYOUTS, FONTS), "formats": sorted(options.formats), "iiif": options.iiif,
        "base_url": options.base_url, "sites": {k: str(v) for k, v in sites.items()}}, sort_keys=True).encode()
    ).hexdigest()

    if "web" in options.formats:
        from ..render.web.web_site import claim_site_root
        for site_root in sites.values():
            claim_site_root(site_root)  # a folder of someone else's files is refused before any build
    jobs: list[Job] = []
    records: dict[str, dict[str, Any]] = {}
    owners: dict[str, str] = {}
    for f in found:
        record_path = _record_path(out, f.rel)
        if f.paper_file is None:
            records[f.rel] = {"format": RECORD_FORMAT, "issue": f.rel, "path": str(f.path), "status": "failed",
                              "exit_code": 2, "reason": f"{f.path}: no paper.toml found in this folder or above it"}
            continue
        if f.slug and f.slug in owners:
            records[f.rel] = {"format": RECORD_FORMAT, "issue": f.rel, "path": str(f.path), "status": "failed",
                              "exit_code": 2, "finding": "E901", "reason": f"{f.path / 'issue.toml'}: the same paper, "
                              f"date and edition as {owners[f.slug]} (output name {f.slug})"}
            continue
        if f.slug:
            owners[f.slug] = f.rel
        old = _read_record(record_path)
        inputs = issue_digest(f, None if options.force or old is None else old.get("inputs"))
        digest = hashlib.sha256(f"{shared}:{inputs['digest']}".encode()).hexdigest()
        site_root = sites[f.paper_slug]
        why = "new" if old is None else "forced" if options.force else ""
        if not why and old.get("digest") == digest:
            if old["status"] == "built" and _outputs_present(out, old, site_root):
                records[f.rel] = {**old, "status": "skipped"}
                continue
            if old["status"] == "failed" and old.get("exit_code") not in RETRIED:
                records[f.rel] = {**old, "unchanged": True}  # the same input fails the same way: not retried
                continue
            why = "outputs missing" if old["status"] == "built" else "retry"
        why = why or ("code or options changed" if old.get("code") != shared else "inputs changed")
        jobs.append(Job(f.path, f.rel, digest, record_path, out / STATE / "stage" / record_path.stem, site_root,
                        build_options, _iiif_url(options, f, many, report.findings), shared, why, inputs))

    ticker = _Ticker(len(found), sum(r["status"] == "skipped" for r in records.values()), progress)
    ticker.failed = sum(r["status"] == "failed" for r in records.values())
    ticker.tick()
    if jobs:
        records.update(_run_jobs(jobs, options, ticker, report))

    report.issues = [records[f.rel] for f in found]
    for r in report.issues:
        if r["status"] == "failed":
            report.findings.append(finding(r.get("finding", "E900"), r["reason"], where=r["issue"]))
        elif r["status"] == "skipped":
            report.findings.append(finding("I900", "inputs and code unchanged since the recorded build",
                                           where=r["issue"]))
    site_started = time.monotonic()
    report.sites = _write_sites(found, sites, options, report) if "web" in options.formats else []
    report.site_seconds = time.monotonic() - site_started
    report.seconds = time.monotonic() - started
    write_record(out / REPORT, report.to_json())
    return report


def _run_jobs(jobs: list[Job], options: ArchiveOptions, ticker: _Ticker, report: ArchiveReport) -> dict[str, dict]:
    from distributed import as_completed

    client, cluster = _client(options, len(jobs))
    results: dict[str, dict[str, Any]] = {}
    try:
        report.workers = len(client.scheduler_info().get("workers", {}))
        futures = {client.submit(build_one, job, pure=False, key=f"epaper-{job.record.stem}-{job.digest[:8]}"): job
                   for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # the worker died (killed, out of memory) more often than Dask retries
                record = {"format": RECORD_FORMAT, "issue": job.rel, "path": str(job.issue_dir), "digest": job.digest,
                          "status": "failed", "exit_code": 1,
                          "reason": f"the Dask worker building it was lost: {type(exc).__name__}: {exc}"}
                write_record(job.record, record)
            results[job.rel] = record
            ticker.tick(record)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def _write_sites(found: list[Found], sites: dict[str, Path], options: ArchiveOptions,
                 report: ArchiveReport) -> list[Path]:
    """Once, after every issue: each site root's 往期 index, search, feed, sitemaps, OPDS and IIIF collection."""
    from ..layout.grid import load_layout
    from ..render.web import opds
    from ..render.web import web_archive, web_manifest

    written = []
    for slug, site_root in sites.items():
        paper = next(f for f in found if f.paper_slug == slug and f.paper_file is not None)
        if not paper.layout or not any(site_root.glob(f"*/*/{web_manifest.MANIFEST}")):
            continue  # the paper.toml does not load, or nothing was built: its issues' records say why
        folders = load_layout(LAYOUTS, paper.layout).folders
        moves = {old: new for r in report.issues if r.get("site") == str(site_root)
                 for old, new in (r.get("moves") or {}).items()}
        written.append(web_archive.write_archive(site_root, folders, paper.language, moves=moves,
                                                 findings=report.findings))
        written += opds.write_catalog(site_root, paper.language)
        if options.iiif:
            from .. import iiif

            url = _iiif_url(options, paper, len(sites) > 1, report.findings)
            written.append(iiif.write_collection(site_root, url, web_manifest.read_manifests(site_root), folders,
                                                 paper.language))
    return written
