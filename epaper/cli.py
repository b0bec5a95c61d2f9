"""Command-line arguments in, library calls out: a thin typer shell over epaper.build."""

from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

from . import __version__
from .errors import EpaperError, LayoutError

app = typer.Typer(help="epaper: one newspaper issue in, a print PDF, an EPUB 3 and a web e-paper out.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


_INTERRUPTED = threading.Event()


def _on_ctrl_c(signum: int, frame: object) -> None:
    # Python raises KeyboardInterrupt wherever the main thread is; one raised inside a finalizer (a __del__, a
    # weakref callback) is printed and dropped, and the build would go on to publish. So it is also remembered,
    # and every progress step (the last one comes just before the outputs are published) raises it again.
    _INTERRUPTED.set()
    raise KeyboardInterrupt


@contextmanager
def _ctrl_c_remembered() -> Iterator[None]:
    """Within the block, Ctrl-C is _on_ctrl_c (the handler before it comes back after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _INTERRUPTED.clear()
    previous = signal.signal(signal.SIGINT, _on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Progress:
    """Prints a step to stderr, with the time the previous step took when it was more than a moment; stops the
    build at the next step after a Ctrl-C."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last: str | None = None

    def __call__(self, step: str) -> None:
        if _INTERRUPTED.is_set():
            raise KeyboardInterrupt
        self.finish()
        self.last, self.started = step, time.monotonic()
        typer.echo(f"… {step}", err=True)

    def finish(self) -> None:
        if self.last is not None:
            took = time.monotonic() - self.started
            if took > 0.5:
                typer.echo(f"  {self.last}: {took:.1f} s", err=True)
        self.last = None


def _date_option(date: str | None) -> "dt.date | None":
    """--date as a date within the range issue.toml accepts, or a one-line error and exit 2."""
    import datetime as dt

    from .schema import DATE_RANGE

    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        typer.echo(f"error: --date: expected YYYY-MM-DD, got {date!r}", err=True)
        raise typer.Exit(2)
    if day is not None and not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        typer.echo(f"error: --date: expected a date from {DATE_RANGE[0]} to {DATE_RANGE[1]}, got {date}", err=True)
        raise typer.Exit(2)
    return day


def _fail(exc: EpaperError) -> None:
    lines = [f"  {f}" for f in exc.findings] if isinstance(exc, LayoutError) else []
    if lines and len(lines) > 1:
        typer.echo("\n".join(lines), err=True)
    # "error: E302: …", not "error: error E302: …": the line already says what it is
    first = exc.findings[0].brief if isinstance(exc, LayoutError) and exc.findings else str(exc)
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    typer.echo(f"error: {first}{more}", err=True)
    raise typer.Exit(exc.exit_code)


@app.command()
def build(
    issue_dirs: Annotated[list[Path], typer.Argument(help="Issue folders (each holds issue.toml).", metavar="ISSUE_DIR...")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    format: Annotated[Optional[list[str]], typer.Option("--format", "-f", help="pdf, epub or web; repeat for several. Default: all three. E-reader editions on request: kepub (Kobo), kindle (Send-to-Kindle EPUB), azw3 (needs calibre's ebook-convert).")] = None,
    site: Annotated[Optional[Path], typer.Option("--site", help="Root of the web e-paper (往期 of every issue built into it). Default: OUT/site.")] = None,
    force_site: Annotated[bool, typer.Option("--force-site", help="Write the web e-paper into a --site folder that epaper did not make (its files may be overwritten).")] = False,
    marks: Annotated[bool, typer.Option("--marks", help="Add 3 mm bleed and crop marks to the print PDF.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    embed_fonts: Annotated[bool, typer.Option("--embed-fonts", help="Subset the palette's fonts into the EPUB.")] = False,
    press: Annotated[bool, typer.Option("--press", help="Also write PDF/X press files: the issue and one per page.")] = False,
    press_profile: Annotated[Optional[Path], typer.Option("--press-profile", help="The printer's CMYK ICC profile (PDF/X-4); default: PDF/X-1a naming IFRA26.")] = None,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="Reuse pages rendered by earlier builds into --out when nothing they show changed.")] = True,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Processes rendering pages; 0: one per core (at most 2); 1: none.")] = 0,
    edition: Annotated[str, typer.Option("--edition", help="Build only this 繁简 edition of paper.toml's [[editions]] (its name), not the main issue.")] = "",
    editions: Annotated[bool, typer.Option("--editions/--no-editions", help="Also build the editions in the other script that paper.toml asks for.")] = True,
) -> None:
    """Build the print PDF, the EPUB, the web e-paper and layout.json of each ISSUE_DIR into --out."""
    from .build import BuildOptions, build_many
    from .render.registry import FORMATS

    options = BuildOptions(out=out, formats=tuple(format) if format else FORMATS, marks=marks, strict=strict,
                           embed_fonts=embed_fonts, site=site, force_site=force_site, press=press, press_profile=press_profile,
                           cache=cache, workers=workers, edition=edition, editions=editions, skip_unchanged=cache)
    progress = _Progress()
    with _ctrl_c_remembered():
        outcomes = build_many(issue_dirs, options, progress)
    progress.finish()
    failed = [o for o in outcomes if isinstance(o, EpaperError)]
    for result in (o for o in outcomes if not isinstance(o, EpaperError)):
        if result.unchanged:
            typer.echo("up to date: nothing the build reads changed since the last build into this folder "
                       "(--no-cache builds anyway)", err=True)
        for finding in result.findings:
            typer.echo(str(finding), err=True)
        for line in result.summary:
            typer.echo(line, err=True)
        for path in result.outputs:
            typer.echo(f"{'unchanged' if result.unchanged else 'wrote'} {path}")
    if failed:
        for exc in failed[:-1]:
            typer.echo(f"error: {exc}", err=True)
        _fail(failed[-1])


@app.command()
def serve(
    issue_dir: Annotated[Path, typer.Argument(help="An issue folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    site: Annotated[Optional[Path], typer.Option("--site", help="Root of the web e-paper. Default: OUT/site.")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port; 0 picks a free one.")] = 8000,
) -> None:
    """Build ISSUE_DIR's web e-paper, serve it on localhost and rebuild whenever the issue folder changes."""
    from .build import BuildOptions, build as run_build
    from .render.registry import FORMATS
    from .serve import serve as run_serve

    site_root = site or out / "site"
    # the Kobo edition too, so the OPDS catalog (SITE/opds.xml) served offers EPUB, kepub and PDF
    options = BuildOptions(out=out, formats=FORMATS + ("kepub",), site=site_root)
    progress = _Progress()

    def rebuild() -> None:
        try:
            result = run_build(issue_dir, options, progress)
        finally:
            progress.finish()
        for finding in result.findings:
            typer.echo(str(finding), err=True)

    run_serve(issue_dir, site_root, host=host, port=port, rebuild=rebuild)


@app.command()
def check(
    issue_dir: Annotated[Path, typer.Argument(help="An issue folder.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the findings as a JSON list.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the check too.")] = False,
    output: Annotated[Optional[list[Path]], typer.Option("--output", help="A built file to check too (.pdf, .press.pdf, .epub, .kepub.epub); repeat.")] = None,
) -> None:
    """Preflight ISSUE_DIR: every problem at once, with code, place and hint. Exit 1 on errors (--strict: warnings)."""
    import dataclasses
    import json

    from .checks.preflight import exit_code, preflight

    findings = preflight(issue_dir, built_outputs=output)
    if json_out:
        typer.echo(json.dumps([dataclasses.asdict(f) for f in findings], ensure_ascii=False, indent=1))
    else:
        for f in findings:
            typer.echo(str(f), err=f.severity != "info")
        n = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
        typer.echo(f"{issue_dir}: {n['error']} errors, {n['warning']} warnings, {n['info']} notes", err=True)
    raise typer.Exit(exit_code(findings, strict))


@app.command()
def preview(
    issue_dir: Annotated[Path, typer.Argument(help="An issue folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the PNG thumbnails.")] = Path("out/preview"),
    width: Annotated[int, typer.Option("--width", help="Thumbnail width in pixels.")] = 900,
) -> None:
    """Lay out and render ISSUE_DIR, then write a PNG of every page with the module outlines drawn over it."""
    import tempfile

    from .build import BuildOptions, build as run_build
    from .render.preview import write_previews

    progress = _Progress()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = run_build(issue_dir, BuildOptions(out=Path(tmp), formats=("pdf",), editions=False), progress)
        except EpaperError as exc:
            progress.finish()
            _fail(exc)
        progress.finish()
        pdf = next(p for p in result.outputs if p.suffix == ".pdf")
        for path in write_previews(pdf, result.pages, out, width_px=width):
            typer.echo(f"wrote {path}")


@app.command()
def validate(issue_dir: Annotated[Path, typer.Argument(help="An issue folder.")]) -> None:
    """Check an issue folder (paper.toml, issue.toml, articles) without building anything."""
    from .build import prepare

    try:
        issue, *_ = prepare(issue_dir)
    except EpaperError as exc:
        _fail(exc)
    typer.echo(f"{issue_dir}: {len(issue.pages)} pages, {len(issue.articles)} articles, OK")


@app.command("import-text")
def import_text(
    files: Annotated[list[Path], typer.Argument(help="Raw or OCR text files, one page each, in page order.", metavar="FILE...")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The issue folder to write (must not exist or be empty).")],
    date: Annotated[Optional[str], typer.Option("--date", help="Issue date YYYY-MM-DD; default: from --out's name.")] = None,
    paper: Annotated[Optional[Path], typer.Option("--paper", help="A paper.toml to use for the new issue.")] = None,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="Input encoding; default: detected (UTF-8, GB18030, Big5).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a non-empty --out folder.")] = False,
) -> None:
    """Turn raw/OCR page text into a draft issue folder, with REVIEW.md listing every change and doubtful spot."""
    from .ocr import ImportOptions, import_text as run_import
    from .source.decode import ACCEPTED, encoding_problem

    day = _date_option(date)
    if encoding and (problem := encoding_problem(encoding)):
        typer.echo(f"error: --encoding: {problem}; expected one of: {ACCEPTED}", err=True)
        raise typer.Exit(2)
    try:
        report = run_import(files, out, date=day, paper=paper, encoding=encoding,
                            options=ImportOptions(overwrite=overwrite))
    except EpaperError as exc:
        _fail(exc)
    typer.echo(report.summary())
    typer.echo(f"wrote {out} (review: {out / 'REVIEW.md'})")
    if not report.check.ok:
        typer.echo("error: the import lost or changed text; see REVIEW.md", err=True)
        raise typer.Exit(1)


@app.command("new")
def new(
    paper_dir: Annotated[Path, typer.Argument(help="The paper's folder: paper.toml and its issue folders.")],
    date: Annotated[Optional[str], typer.Option("--date", help="Date of the new issue, YYYY-MM-DD; default: the next publishing day by paper.toml's schedule.")] = None,
) -> None:
    """Start the next issue from the last one: date, 总第N期, 农历, the page plan with empty article lists."""
    from .newsroom import new_issue

    day = _date_option(date)
    try:
        made = new_issue(paper_dir, day)
    except EpaperError as exc:
        _fail(exc)
    typer.echo(made.checklist.rstrip("\n"))


@app.command("correct")
def correct(
    issue_dir: Annotated[Path, typer.Argument(help="A published issue folder.")],
    article: Annotated[str, typer.Argument(help="The id of the corrected article (its file name without .md).")],
    note: Annotated[str, typer.Option("--note", help="The correction as printed under the article: what was wrong, what is right.")],
) -> None:
    """Record a 更正 in ISSUE_DIR/issue.toml; the next build is the issue's next version, the note under the article."""
    import datetime as dt

    from .corrections import append_correction
    from .source.folder import load_issue

    when = dt.datetime.now(dt.timezone.utc).astimezone().replace(microsecond=0)
    try:
        file = append_correction(issue_dir, article, note, when)
        version = load_issue(issue_dir).version
    except EpaperError as exc:
        _fail(exc)
    typer.echo(f"recorded a correction of '{article}' in {file}; the next build is version {version}: "
               f"epaper build {issue_dir}")


from .archive.cli import archive_app  # noqa: E402  (`epaper archive build`; typer and nothing heavy at import)

app.add_typer(archive_app, name="archive")


@app.command()
def version() -> None:
    """Print epaper's version."""
    typer.echo(__version__)


def main() -> None:  # pragma: no cover - entry point for python -m epaper
    sys.exit(app())
