"""One issue of an archive in (a Job); its build out, run on a Dask worker: outputs in OUT, the web issue folder (and
its IIIF files) moved into the site root, and a record (a dict, also written to OUT/.archive/issues/) of the
outcome: built or failed with the reason, wall and CPU seconds, the worker's peak memory."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import shutil
import socket
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..build import BuildOptions, build
from ..paths import LAYOUTS
from ..errors import EpaperError, LayoutError
from ..layout.grid import MM, load_layout
from ..layout.place import forget as forget_layouts
from ..render.web.web_site import moved_articles

RECORD_FORMAT = "epaper-archive-issue/1"


@dataclass(frozen=True)
class Job:
    """What a worker needs to build one issue; every path is absolute and the same on every worker (shared FS)."""

    issue_dir: Path
    rel: str
    digest: str
    record: Path  # OUT/.archive/issues/<id>.json
    stage: Path  # a private folder under OUT/.archive/stage/ for the issue's web site while it is built
    site_root: Path  # where the issue's web folder goes
    options: BuildOptions
    iiif_url: str = ""  # the site root's absolute address: IIIF files are written when set (and "web" is built)
    code: str = ""  # the hash of the code version and options (part of digest), kept to say why a rebuild happens
    why: str = ""  # why it is built: new, inputs changed, code or options changed, outputs missing, retry, forced
    inputs: dict[str, Any] = dataclasses.field(default_factory=dict)  # the issue's hash and file stats (discover.py)


def reason(exc: BaseException) -> str:
    """The one-line reason the CLI would print for this error (without 'error: ')."""
    if isinstance(exc, LayoutError) and exc.findings:
        more = f" (and {len(exc.findings) - 1} more)" if len(exc.findings) > 1 else ""
        return exc.findings[0].brief + more
    return str(exc) or type(exc).__name__


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Atomically: a run killed at any moment leaves each record whole or absent."""
    write_atomic(path, json.dumps(record, ensure_ascii=False, indent=1) + "\n", mode=None)


def _swap_in(new: Path, target: Path) -> None:
    """Put the folder `new` at `target`, replacing what is there with two renames (readers see old or new)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def _manifest(folder: Path) -> dict[str, Any] | None:
    """The web issue folder's issue.json (with its `path` from the site root), or None."""
    try:
        data = json.loads((folder / "issue.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("path"), str) else None


def build_one(job: Job) -> dict[str, Any]:
    """Build the issue; never raises for a problem of the issue (the record says it), so one issue never stops
    the others."""
    started, cpu = time.monotonic(), time.process_time()
    record: dict[str, Any] = {"format": RECORD_FORMAT, "issue": job.rel, "path": str(job.issue_dir),
                              "digest": job.digest, "code": job.code, "inputs": job.inputs, "why": job.why, "worker": f"{socket.gethostname()}:{os.getpid()}"}
    shutil.rmtree(job.stage, ignore_errors=True)
    try:
        web = "web" in job.options.formats
        options = dataclasses.replace(job.options, site=job.stage / "site" if web else None, workers=1)
        result = build(job.issue_dir, options)
        record.update(status="built", slug=result.issue.slug, pages=len(result.pages),
                      rendered_pages=len(result.rendered_pages),
                      findings=[f.brief for f in result.findings if f.severity != "info"])
        if web:
            from ..render.web.web_manifest import issue_path

            paths = []
            for built in (result, *result.editions):  # the 繁简 editions of paper.toml have folders of their own
                path = issue_path(built.issue)
                folder = job.stage / "site" / path
                if job.iiif_url:
                    from .. import iiif

                    layout = load_layout(LAYOUTS, built.issue.paper.layout)
                    iiif.write_issue(folder, f"{job.iiif_url}{path}/", (layout.width / MM, layout.height / MM),
                                     layout.folders)
                paths.append(path)
            moves: dict[str, str] = {}
            for path in paths:
                # an article page the issue had and has no more: its old path gets a redirect (web_site.py),
                # written with the site-wide files at the end
                moves.update(moved_articles(_manifest(job.site_root / path), _manifest(job.stage / "site" / path) or {}))
                _swap_in(job.stage / "site" / path, job.site_root / path)
            record.update(web=paths, site=str(job.site_root), moves=moves)
    except EpaperError as exc:
        record.update(status="failed", reason=reason(exc), exit_code=exc.exit_code)
    except Exception as exc:  # a bug must not stop the other issues: it is reported with its traceback
        record.update(status="failed", reason=f"internal error: {type(exc).__name__}: {exc}", exit_code=1,
                      traceback=traceback.format_exc())
    finally:
        shutil.rmtree(job.stage, ignore_errors=True)
        forget_layouts()  # the next issue shares no copy with this one
    record.update(seconds=round(time.monotonic() - started, 3), cpu_seconds=round(time.process_time() - cpu, 3),
                  worker_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    write_record(job.record, record)
    return record
