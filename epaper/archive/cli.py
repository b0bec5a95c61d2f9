"""`epaper archive build` arguments in, run_archive's report out: the progress line, a summary table and the exit
code (0: every issue built or unchanged, 1: some failed, 2: bad options)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

archive_app = typer.Typer(help="Build many issues at once on Dask, resumably, with IIIF.", no_args_is_help=True,
                          add_completion=False, pretty_exceptions_enable=False)


class _Line:
    """The progress line: rewritten in place on a terminal, one line per change otherwise (logs, CI)."""

    def __init__(self) -> None:
        import sys

        self.tty = sys.stderr.isatty()
        self.width = 0

    def __call__(self, text: str) -> None:
        if self.tty:
            typer.echo("\r" + text.ljust(self.width), err=True, nl=False)
            self.width = len(text)
        else:
            typer.echo(text, err=True)

    def end(self) -> None:
        if self.tty and self.width:
            typer.echo("", err=True)


def summary_table(issues: list[dict]) -> str:
    """One row per issue: status, seconds, and for a failure its reason."""
    width = max((len(r["issue"]) for r in issues), default=5)
    rows = [f"{'issue'.ljust(width)}  status   seconds  reason (failed) or why it was built"]
    for r in issues:
        seconds = f"{r['seconds']:7.1f}" if r["status"] != "skipped" and "seconds" in r else "      -"
        status = "failed" if r["status"] == "failed" else r["status"]
        note = r.get("reason", "") + (" (unchanged: not retried)" if r.get("unchanged") else "")
        if r["status"] == "built" and r.get("why"):
            note = r["why"]
        rows.append(f"{r['issue'].ljust(width)}  {status:<7}  {seconds}  {note}".rstrip())
    return "\n".join(rows)


@archive_app.command("build")
def build_archive(
    root: Annotated[Path, typer.Argument(help="A folder of papers and issues (issue.toml beside or below a paper.toml).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs, the site and the run's records.")] = Path("out"),
    format: Annotated[Optional[list[str]], typer.Option("--format", "-f", help="pdf, epub or web; repeat for several. Default: all three.")] = None,
    site: Annotated[Optional[Path], typer.Option("--site", help="Root of the web e-paper. Default: OUT/site (OUT/site/<paper> for several papers).")] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Address of a running Dask scheduler (tcp://host:8786); default: a LocalCluster here.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes of the LocalCluster; 0: one per core.")] = 0,
    cache: Annotated[Optional[str], typer.Option("--cache", help="The page and image cache, on a path every worker sees. Default: OUT/.cache.")] = None,
    iiif: Annotated[bool, typer.Option("--iiif/--no-iiif", help="IIIF tiles, manifests and a collection in the site.")] = True,
    base_url: Annotated[str, typer.Option("--base-url", help="The site's public address, for IIIF ids. Default: site_url of paper.toml.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Build every issue, changed or not.")] = False,
) -> None:
    """Build every issue under ROOT on Dask; a rerun builds only what changed or failed for want of resources."""
    from ..render.registry import FORMATS
    from ..errors import EpaperError
    from .run import REPORT, ArchiveOptions, run_archive

    options = ArchiveOptions(out=out, formats=tuple(format) if format else FORMATS, site=site, scheduler=scheduler,
                             workers=workers, cache=cache, iiif=iiif, base_url=base_url, force=force)
    line = _Line()
    try:
        report = run_archive(root, options, line)
    except EpaperError as exc:
        line.end()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code)
    line.end()
    for f in report.findings:
        if f.code != "I900" and f.code not in ("E900", "E901"):
            typer.echo(str(f), err=True)
    typer.echo(summary_table(report.issues))
    typer.echo(f"{report.count('built')} built, {report.count('skipped')} unchanged, {report.count('failed')} failed "
               f"in {report.seconds:.1f} s; report: {report.out / REPORT}")
    for path in report.sites:
        typer.echo(f"wrote {path}")
    if report.count("failed"):
        raise typer.Exit(1)
