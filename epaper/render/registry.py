"""The output formats in one table: a build's Context in, each format's files out (name → Writer.build(ctx)).

Adding a format is one Writer in WRITERS: the names it answers to on `--format`, whether the CLI builds it by
default, and a function that writes its files into the build's staging folder (or the web site) and returns them.
Writers run in the order of WRITERS, after every check passed; a later writer sees the files of the earlier ones.
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..atomic import write_atomic

if TYPE_CHECKING:
    from ..errors import Finding
    from ..fonts import Palette
    from ..layout.grid import Layout
    from ..layout.types import PageLayout
    from ..model import Issue
    from ..strings import Strings
    from .print.press import PressRender


@dataclass
class Context:
    """Everything a writer reads: the laid-out issue, the print PDF's bytes and where the files go."""

    issue: Issue
    layout: Layout
    palette: Palette
    strings: Strings
    pages: list[PageLayout]
    formats: tuple[str, ...]  # the formats asked for ("press" when the press files are)
    staging: Path  # this build's folder; its files are published together when the build ends
    pdf_data: bytes  # the assembled print PDF (the EPUB cover and the web pages are drawn from it)
    page_keys: list[str]  # what each page draws: the cache key of its images
    images_cache: Path | None
    site: Path  # root of the web e-paper
    force_site: bool = False
    embed_fonts: bool = False
    modified: dt.datetime | None = None  # when the issue was last corrected (the EPUB's dcterms:modified)
    findings: list[Finding] = field(default_factory=list)
    press_job: PressRender | None = None  # rendered before the checks (its findings can stop the build)
    written: list[Path] = field(default_factory=list)  # files the earlier writers put in staging
    # the web page images being drawn meanwhile into images_cache (web_prefetch.prefetch), and what to call once
    # they are all there (the build stops its page renderers)
    page_images: list[Future[None]] = field(default_factory=list)
    cover: Future | None = None  # the EPUB's cover (epub_images.PackedImage) being packed meanwhile
    early: dict[str, object] = field(default_factory=dict)  # what write_early made, by the writer's first format
    page_images_done: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class Writer:
    formats: tuple[str, ...]  # the names it answers to (one writer may build several related formats)
    build: Callable[[Context], list[Path]]
    step: str = ""  # the progress line shown before it runs
    default: bool = True  # in the CLI's default set (FORMATS); else built on request
    option: bool = False  # asked for by its own option (--press), not by --format
    # the part that needs no print PDF, run while the pages are drawn (write_early); build finds it in ctx.early
    early: Callable[[Context], object] | None = None


def _pdf(ctx: Context) -> list[Path]:
    from .print.layout_json import layout_record

    pdf, record = ctx.staging / f"{ctx.issue.slug}.pdf", ctx.staging / f"{ctx.issue.slug}.layout.json"
    write_atomic(pdf, ctx.pdf_data)
    write_atomic(record, json.dumps(layout_record(ctx.issue, ctx.layout, ctx.pages), ensure_ascii=False,
                                    indent=1).encode("utf-8") + b"\n")
    return [pdf, record]


def _epub_draft(ctx: Context) -> object:
    from .epub import epub

    palette = ctx.palette
    return epub.prepare_entries(
        ctx.issue, ctx.strings, has_cover=True, cache=ctx.images_cache, embed_fonts=ctx.embed_fonts,
        modified=ctx.modified,
        fonts=[(palette[r].family, palette[r].file, palette[r].weight) for r in ("serif", "sans")],
        vertical=ctx.issue.paper.epub_vertical, layout_folders=ctx.layout.folders)


def _epub(ctx: Context) -> list[Path]:
    from .epub import epub

    target = ctx.staging / f"{ctx.issue.slug}.epub"
    draft = ctx.early.get("epub") or _epub_draft(ctx)
    epub.write_draft(draft, target, cover_pdf=ctx.pdf_data, cover_key=ctx.page_keys[0], cache=ctx.images_cache,
                     cover=ctx.cover.result() if ctx.cover is not None else None)
    return [target]


def _ereader(ctx: Context) -> list[Path]:
    from .epub import epub_variants

    names = epub_variants.write_variants(
        [f for f in EREADER_FORMATS if f in ctx.formats], ctx.issue, ctx.strings, ctx.staging,
        cover_pdf=ctx.pdf_data, cover_key=ctx.page_keys[0], cache=ctx.images_cache,
        vertical=ctx.issue.paper.epub_vertical, layout_folders=ctx.layout.folders)
    return [ctx.staging / name for name in names]


def _press(ctx: Context) -> list[Path]:
    from .print import press

    assert ctx.press_job is not None, "the build renders the press files before its checks"
    try:
        written = press.write_press(ctx.press_job, ctx.staging, ctx.issue, ctx.layout).outputs
    finally:
        ctx.press_job.close()  # its separated images' folder goes before the web stage (the build closes it on errors)
    return [ctx.staging / p.name for p in written]


def _web(ctx: Context) -> list[Path]:
    # under the issue's lock (write_site clears other runs' staging folders); the site switches its own folder
    from .web import opds, web

    slug = ctx.issue.slug
    pdf_source = ctx.staging / f"{slug}.pdf" if "pdf" in ctx.formats else ctx.pdf_data
    epub_source = ctx.staging / f"{slug}.epub" if "epub" in ctx.formats else None
    files = web.write_site(ctx.site, ctx.issue, ctx.pages, pdf_source, epub_source, ctx.strings, layout=ctx.layout,
                           cache=ctx.images_cache, page_keys=ctx.page_keys, force_site=ctx.force_site,
                           findings=ctx.findings, pending=ctx.page_images)
    ctx.page_images_done()
    # the e-reader editions beside the issue's downloads, and SITE/opds.xml
    return files + opds.publish(ctx.site, ctx.issue, list(ctx.written))


EREADER_FORMATS = ("kepub", "kindle", "azw3")  # e-reader editions, built on request (render/epub/epub_variants.py)
WRITERS: tuple[Writer, ...] = (
    Writer(("pdf",), _pdf),
    Writer(("epub",), _epub, step="writing the EPUB", early=_epub_draft),
    Writer(EREADER_FORMATS, _ereader, step="writing the e-reader editions", default=False),
    Writer(("press",), _press, default=False, option=True),
    Writer(("web",), _web, step="writing the web e-paper"),
)
FORMATS = tuple(name for w in WRITERS if w.default for name in w.formats)  # the CLI's default: pdf, epub, web
# every name --format accepts: the defaults, then those built on request
KNOWN = FORMATS + tuple(name for w in WRITERS if not w.default and not w.option for name in w.formats)


def write_early(ctx: Context) -> None:
    """Run the early part of every writer asked for (Writer.early): before the print PDF exists (ctx.pdf_data is
    empty), while the page renderers draw it. Nothing is written to staging yet."""
    for writer in WRITERS:
        if writer.early is not None and any(name in ctx.formats for name in writer.formats):
            ctx.early[writer.formats[0]] = writer.early(ctx)


def write_all(ctx: Context, progress: Callable[[str], None] = lambda s: None) -> list[Path]:
    """Run every writer asked for by ctx.formats, in the order of WRITERS; returns the files written."""
    files: list[Path] = []
    for writer in WRITERS:
        if any(name in ctx.formats for name in writer.formats):
            if writer.step:
                progress(writer.step)
            out = writer.build(ctx)
            ctx.written += [f for f in out if f.parent == ctx.staging]
            files += out
    return files
