"""The library API: an issue folder and BuildOptions in, the print PDF, the EPUB and layout.json out (BuildResult)."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import corrections
from . import text as textcheck
from . import uptodate
from .cache_layout import LayoutStore
from .checks.unplaced import check_unplaced
from .codes import finding
from .environment import source_date_epoch
from .errors import EpaperError, Finding, InputError, LayoutError, OptionError, did_you_mean
from .fonts import Palette, check_environment, load_palette
from .layout import fontmetrics
from .layout.grid import Layout, available_layouts, load_layout
from .layout.place import layout_issue
from .layout.types import PageLayout
from .model import Issue
from .paths import FONTS, LAYOUTS
from .publish import publishing
from .render import registry, templates
from .render.epub import epub_meta
from .schema import TomlSource
from .source.corrections import last_correction
from .source.folder import find_paper_toml, load_issue, read_source, unplaced_articles
from .strings import Strings

CACHE = ".cache"  # under OUT: rendered pages by content (page_pdfs.PageCache), reused by later builds


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how; the CLI fills this from its flags, library callers directly."""

    out: Path = Path("out")
    # The library builds print and EPUB unless asked; the CLI's default is all three (render.registry.FORMATS).
    formats: tuple[str, ...] = ("pdf", "epub")
    site: Path | None = None  # root of the web e-paper (往期 of every issue built into it); default: <out>/site
    force_site: bool = False  # write the web e-paper into a folder epaper did not make (see web_site.claim_site_root)
    press: bool = False  # PDF/X press files: the whole issue and one per page
    press_profile: Path | None = None  # the printer's CMYK ICC profile → PDF/X-4 (default: PDF/X-1a naming IFRA26)
    marks: bool = False  # bleed and crop marks on the print PDF
    strict: bool = False  # warnings fail the build
    embed_fonts: bool = False  # subset the palette's fonts into the EPUB
    cache: bool = True  # reuse pages rendered by earlier builds when nothing they show changed (OUT/.cache)
    workers: int = 0  # processes rendering pages: 0 = one per core (at most 2), 1 = in this process
    cache_dir: Path | None = None  # the page and image cache (default OUT/.cache); archives share one (epaper/archive)
    editions: bool = True  # also build the editions in the other script that paper.toml asks for ([[editions]])
    edition: str = ""  # build only this edition of paper.toml (its name), not the main issue
    # nothing it read changed since the last build into OUT and its outputs are in place: build nothing
    # (epaper/uptodate.py; the CLI asks for it, unless --no-cache)
    skip_unchanged: bool = False


@dataclass
class BuildResult:
    issue: Issue
    outputs: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    pages: list[PageLayout] = field(default_factory=list)
    rendered_pages: list[int] = field(default_factory=list)  # pages WeasyPrint drew in this build (others: cache)
    render_cpu: float = 0.0  # CPU seconds spent drawing those pages, wherever that ran (bench/ reports it)
    render_rss: float = 0.0  # the largest peak resident set of a process that drew them, MiB
    editions: list[BuildResult] = field(default_factory=list)  # the 繁简 editions built beside this issue
    unchanged: bool = False  # nothing changed since the last build: nothing was built (BuildOptions.skip_unchanged)
    summary: list[str] = field(default_factory=list)  # a line per page: articles and fill (summary_lines)


Progress = Callable[[str], None]


def prepare(issue_dir: Path, edition: str = "") -> tuple[Issue, Layout, Palette, Strings]:
    """Load and check everything a build reads before any output is touched."""
    fontmetrics.CACHE_DIR = FONTS / ".cache"
    source_date_epoch()  # a malformed SOURCE_DATE_EPOCH stops here, before anything is laid out
    issue = load_issue(issue_dir)
    if edition:  # the issue in the edition's script (its language picks the fonts and the strings below)
        from .source.editions import convert_issue, edition_of
        issue = convert_issue(issue, edition_of(issue.paper, edition))
    if not (LAYOUTS / issue.paper.layout / "layout.toml").is_file():
        paper_file = find_paper_toml(issue.root)
        raise TomlSource(paper_file, read_source(paper_file)).error(
            ("layout",), f"layout '{issue.paper.layout}' does not exist",
            hint=did_you_mean(issue.paper.layout, available_layouts(LAYOUTS)))
    layout = load_layout(LAYOUTS, issue.paper.layout)
    for i, page in enumerate(issue.pages):
        if page.template not in layout.templates:
            issue_file = issue.root / "issue.toml"
            raise TomlSource(issue_file, read_source(issue_file)).error(
                ("pages", i, "template"), f"layout '{layout.name}' has no template '{page.template}'",
                hint=did_you_mean(page.template, layout.templates))
    palette = load_palette(FONTS, traditional=issue.paper.is_traditional)
    check_environment(palette)
    check_glyphs(issue, palette)
    strings = Strings(layout.folders, issue.paper.language)
    return issue, layout, palette, strings


def check_glyphs(issue: Issue, palette: Palette) -> None:
    """Every character the outputs print must be in a face of the palette, else WeasyPrint draws tofu (or a
    system font the composer never measured). Raises InputError naming the file, line, key and character."""
    faces = [fontmetrics.load_metrics(role.file, role.family, issue.paper.language) for role in palette.roles.values()]
    covered: dict[str, bool] = {}  # each distinct character is looked up in the faces once, not once per use

    def has(ch: str) -> bool:
        found = covered.get(ch)
        if found is None:
            found = covered[ch] = any(f.has(ch) for f in faces)
        return found

    def check(file: Path, key: str, text: str) -> None:
        for ch in textcheck.missing_glyphs(text, has)[:1]:
            source = read_source(file)
            line = source[:source.index(ch)].count("\n") + 1 if ch in source else None
            raise InputError(file, f"no font of the palette has U+{ord(ch):04X} {ch!r}", line=line, key=key,
                             hint="replace the character, or add a font that has it to fonts/palette.toml")

    for article in issue.articles.values():
        for key in ("kicker", "title", "subtitle", "dateline"):
            check(article.source, key, getattr(article, key))
        check(article.source, "reporters", "".join(article.reporters))
        check(article.source, "correspondents", "".join(article.correspondents))
        for n, photo in enumerate(article.photos):
            for key in ("caption", "credit", "alt"):
                check(article.source, f"photos[{n}].{key}", getattr(photo, key))
        check(article.source, "", "".join(b.text for b in article.body))
    paper_file = find_paper_toml(issue.root)
    for key in ("name", "publisher", "slogan", "address"):
        check(paper_file, key, getattr(issue.paper, key))
    issue_file = issue.root / "issue.toml"
    for n, page in enumerate(issue.pages):
        for key in ("name", "editor", "designer"):
            check(issue_file, f"pages[{n}].{key}", getattr(page, key))
    check(issue_file, "", issue.lunar + issue.weather)


def build(issue_dir: Path | str, options: BuildOptions = BuildOptions(), progress: Progress = lambda s: None) -> BuildResult:
    """Build one issue. Every check runs before the first output is replaced, so a failed build changes nothing."""
    unknown = [f for f in options.formats if f not in registry.KNOWN]
    if unknown:
        raise OptionError("--format", f"unknown output format '{unknown[0]}'; expected one of: "
                          f"{', '.join(registry.KNOWN)}")
    before = None
    if options.skip_unchanged and options.cache:
        stamp, before = uptodate.look(Path(issue_dir), options, LAYOUTS, FONTS)
        if stamp is not None:
            return _unchanged(stamp)  # no page renderer is started
    # the PDF tools are loaded only for a build that does something; WeasyPrint only where pages are drawn
    from .render.print import page_pdfs
    # The page renderers start first: forked from this process before it runs a thread or takes the issue's lock,
    # they import WeasyPrint while the issue is loaded and laid out here.
    cache_root = Path(options.cache_dir) if options.cache_dir else Path(options.out) / CACHE
    page_pdfs.start(options.workers, rebuild=options.cache and page_pdfs.PageCache(cache_root / "pages").has_entries())
    try:
        return _build(Path(issue_dir), options, progress, before, cache_root)
    finally:
        page_pdfs.shutdown(kill=True)  # normally stopped already (after the PDF stage); on an error, at once


def _build(issue_dir: Path, options: BuildOptions, progress: Progress, before: dict | None,
           cache_root: Path) -> BuildResult:
    """build() once the page renderers are starting: everything from loading the issue to publishing."""
    from .render.print import page_pdfs, print_pdf
    from .source import images as source_images

    # photos checked by earlier builds (by their bytes) are not decoded again to be checked
    source_images.CACHE_DIR = cache_root / "images" if options.cache else None
    issue, layout, palette, strings = prepare(Path(issue_dir), options.edition)
    check_unplaced(issue)  # E110: text the importer could not place stops the build until it is moved or deleted
    result = BuildResult(issue)
    for file in unplaced_articles(issue):
        result.findings.append(finding("W101", "article file is not on any page of the plan",
                                       where=str(file), hint="add it to a page's articles in issue.toml"))
    out = Path(options.out)
    site = options.site or out / "site"
    if "web" in options.formats:  # before any work: a site root of someone else's files is refused (exit 2)
        from .render.web.web_site import claim_site_root
        claim_site_root(site, force=options.force_site)
    # One build of an issue at a time (flock on OUT/.lock-<slug>); its files go to a staging folder and are
    # published together when the block ends, or not at all: an exception, Ctrl-C or a kill leaves the previous
    # outputs as they were. See epaper/publish.py for the layout of OUT.
    site_files: list[Path] = []
    names: list[str] = []
    with publishing(out, issue.slug, on_wait=progress) as staging:
        # a corrected issue: the version readers have now keeps stable names of its own (OUT/<slug>.v1.pdf …)
        result.outputs = corrections.keep_previous(out, issue)
        progress(f"laying out {len(issue.pages)} pages")
        title = epub_meta.epub_title(issue)
        cache = page_pdfs.PageCache(cache_root / "pages") if options.cache else None
        # page images (web), the cover (EPUB) and the joined PDF's fonts are cached by content
        images_cache = cache_root / "images" if options.cache else None
        templates.use(cache_root / "templates" if options.cache else None)  # compiled Jinja templates
        renderer = page_pdfs.PageRenderer(cache, workers=options.workers)
        # placed pages and composed paragraphs of earlier builds (epaper/cache_layout.py)
        layout_store = LayoutStore(cache_root / "layout") if options.cache else None
        fonts = tuple(sorted({role.file for role in palette.roles.values()}))

        def render(page: PageLayout) -> None:
            # each page is its own document, rendered by a worker while the next page is laid out
            html = print_pdf.render_html(issue, [page], layout, palette, strings, title=title, marks=options.marks)
            renderer.submit(page_pdfs.PageJob(page.page.number, html, issue.root, (issue.root, LAYOUTS, FONTS), fonts))

        try:
            pages = layout_issue(issue, layout, palette, strings, on_page=render, store=layout_store)
        except BaseException:
            renderer.cancel()
            raise
        result.pages = pages
        result.findings.extend(f for p in pages for f in p.findings)
        progress("rendering the print PDF")
        formats = tuple(options.formats) + (("press",) if options.press else ())
        context = registry.Context(
            issue, layout, palette, strings, pages, formats, staging, b"", [], images_cache,
            site=site, force_site=options.force_site, embed_fonts=options.embed_fonts,
            modified=last_correction(issue), findings=result.findings)
        # while the page renderers draw: what the writers can do without the print PDF (the EPUB but its cover);
        # not for a layout that already failed (its errors are reported below, once the pages are in)
        if not _errors(result.findings, options.strict):
            registry.write_early(context)
        from .render.print import assemble  # pikepdf: loaded while the last pages are drawn, not before the layout
        rendered_pages = renderer.results()
        result.rendered_pages = [o.number for o in rendered_pages if not o.cached]
        result.render_cpu = sum(o.cpu for o in rendered_pages)
        result.render_rss = max((o.rss for o in rendered_pages), default=0.0)
        for planned, page_out in zip(pages, rendered_pages):
            result.findings.extend(page_out.findings)
            result.findings.extend(print_pdf.check_anchors(planned, page_out.anchors))
        pdf_data = assemble.assemble([o.pdf for o in rendered_pages], assemble.faces_of(rendered_pages),
                                     assemble.jump_links(pages), cache=images_cache)
        pdf_data = corrections.mark_version(pdf_data, issue)  # a corrected issue: version N+1 in its metadata
        page_keys = [o.drawing_key for o in rendered_pages]  # what each page draws: the key of its images
        cover, page_images = _prefetch(options, layout, pages, pdf_data, page_keys, images_cache)
        if cover is None and not page_images:
            page_pdfs.shutdown()  # no page worker outlives its work: the web stage's images need the memory
        press_job = None
        if options.press:
            from .render.print import press
            progress("rendering the press PDFs")
            profile = options.press_profile or (issue.paper.press_profile and
                                                find_paper_toml(issue.root).parent / issue.paper.press_profile)
            press_job = press.render_press(
                print_pdf.render_html(issue, pages, layout, palette, strings, title=title, marks=True),
                issue, layout, pages=pages, roots=[issue.root, LAYOUTS, FONTS],
                options=press.PressOptions(profile=Path(profile) if profile else None))
            result.findings.extend(press_job.findings)
        context.pdf_data, context.page_keys, context.press_job = pdf_data, page_keys, press_job
        context.cover, context.page_images, context.page_images_done = cover, page_images, page_pdfs.shutdown
        try:
            errors = _errors(result.findings, options.strict)
            if errors:
                raise LayoutError(errors)
            # every format's writer (epaper/render/registry.py); the web writer runs inside this block: under the
            # issue's lock, and a failure there publishes nothing. The files switch when the block ends.
            for file in registry.write_all(context, progress):
                if file.parent == staging:
                    names.append(file.name)
                else:
                    site_files.append(file)
            page_pdfs.shutdown()  # the EPUB's cover was their last task when no web e-paper is built
        finally:
            if press_job is not None:
                press_job.close()
        # the last step before the files switch: a caller's progress may still stop the build here (the CLI does
        # after a Ctrl-C that Python dropped, see cli._on_ctrl_c)
        progress("publishing")
    # the stable names: links through OUT/<slug>, which now points at this build's folder
    result.outputs += [out / name for name in names] + site_files
    if cache is not None:
        cache.prune()
        layout_store.prune()
    for edition in issue.paper.editions if options.editions and not options.edition else ():
        progress(f"building the {edition.language} edition ({edition.name})")  # re-composed: line counts change
        done = build(issue_dir, dataclasses.replace(options, edition=edition.name), progress)
        result.editions.append(done)
        result.outputs += done.outputs
        result.findings += done.findings
    if result.editions and "web" in options.formats:
        # the edition wrote the archive page (往期) last, in its script: the site speaks the paper's language
        from .render.web import web
        web.write_archive(site, layout.folders, issue.paper.language)
    result.summary = summary_lines(result)
    if before is not None:
        uptodate.write(before, Path(issue_dir), options, result, result.summary)
    return result


def _errors(findings: list[Finding], strict: bool) -> list[Finding]:
    """The findings that stop a build: errors, and warnings under --strict."""
    return [f for f in findings if f.severity == "error" or (strict and f.severity == "warning")]


def summary_lines(result: BuildResult) -> list[str]:
    """A line per page of the issue and of its editions: articles, fill and jumps (what the CLI prints)."""
    lines = []
    for page in result.pages:
        jumps = sum(1 for m in page.modules if m.fragment)
        lines.append(f"page {page.page.number} {page.page.name}: {len(page.modules)} articles, "
                     f"area {100 * page.area_fill:.1f}% filled, text fill {100 * page.text_fill:.1f}%"
                     + (f", {jumps} jump part(s)" if jumps else ""))
    for edition in result.editions:  # 繁简 editions are composed again: their fills differ
        for page in edition.pages:
            lines.append(f"edition {edition.issue.edition}: page {page.page.number} {page.page.name}: "
                         f"{len(page.modules)} articles, text fill {100 * page.text_fill:.1f}%")
    return lines


def _unchanged(stamp: dict) -> BuildResult:
    """The result of a build that found nothing changed: the last build's findings, summary and outputs."""
    result = BuildResult(None, unchanged=True)  # type: ignore[arg-type]  # no issue was loaded
    result.findings = [Finding(**f) for f in stamp.get("findings", [])]
    result.summary = list(stamp.get("summary", []))
    result.outputs = [Path(p) for p in stamp.get("written", [])]
    return result


def _prefetch(options: BuildOptions, layout: Layout, pages: list[PageLayout], pdf: bytes, page_keys: list[str],
              cache: Path | None) -> tuple[Future | None, list[Future]]:
    """The EPUB's cover and the web page images, started in the page renderers (warm, idle once the PDF is
    joined) while this process writes the PDF, the rest of the EPUB and the web pages: (the cover's packed image,
    the page images' jobs, which hand their files over through the images cache). None and [] without the
    format, without running renderers, or (page images) without a cache."""
    from .render.epub import epub
    from .render.print import page_pdfs
    from .render.web import web_images, web_prefetch

    workers = page_pdfs.running()
    if workers is None:
        return None, []
    cover = None
    if "epub" in options.formats:  # first: the EPUB, written next, waits for it
        page_pdfs.wake()
        cover = workers.submit(epub.pack_cover, cover_pdf=pdf, cover_key=page_keys[0], cache=cache)
    images = []
    if "web" in options.formats and cache is not None:
        _, zoom = web_images.zoom_width(layout.width, layout.body_size)
        masthead = pages[0].zones.get("masthead") if pages else None
        images = web_prefetch.prefetch(pdf, page_keys, cache, workers, zoom=zoom,
                                       logo_zone=(masthead.x, masthead.y, masthead.w, masthead.h) if masthead else None)
    return cover, images


def _build_quiet(issue_dir: Path, options: BuildOptions) -> BuildResult | EpaperError:
    """A worker process's build; errors come back as values so the parent can report every issue's outcome."""
    try:
        return build(issue_dir, options, lambda step: print(f"… {Path(issue_dir).name}: {step}", file=sys.stderr))
    except EpaperError as exc:
        return exc


def build_many(issue_dirs: list[Path], options: BuildOptions, progress: Progress,
               workers: int | None = None) -> list[BuildResult | EpaperError]:
    """Several issues: one process each, as many at once as there are cores (WeasyPrint is single-threaded)."""
    if len(issue_dirs) < 2:
        try:
            return [build(d, options, progress) for d in issue_dirs]
        except EpaperError as exc:
            return [exc]
    workers = workers or min(len(issue_dirs), os.cpu_count() or 1)
    # the issues already keep the cores busy: each renders its pages in its own process
    per_issue = dataclasses.replace(options, workers=1)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_build_quiet, issue_dirs, [per_issue] * len(issue_dirs)))
    if "web" in options.formats:
        # each worker rewrote the archive page from the manifests it saw: write it once more, with all of them
        from .render.web import web
        done = [r for r in results if isinstance(r, BuildResult) and not r.unchanged]
        if done:
            layout = load_layout(LAYOUTS, done[0].issue.paper.layout)
            web.write_archive(options.site or Path(options.out) / "site", layout.folders, done[0].issue.paper.language)
    return results
