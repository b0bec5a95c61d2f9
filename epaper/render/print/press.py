"""The print HTML in, the press files out: PDF/X for newsprint, the whole issue and one file per page.

What a newspaper's prepress wants and where it is made:

- **PDF/X** (press_options): PDF/X-1a:2003 naming the registered newsprint condition IFRA26 by default, PDF/X-4
  with the profile embedded when the paper supplies its printer's CMYK profile.
- **CMYK only** (press_audit): layouts/*/press.css restates every colour of print.css in device-cmyk(); the
  rendered boxes are audited before anything is written (E520 names an element left in RGB).
- **Photos** (press_photos) are separated to CMYK JPEGs for newsprint, at most 300 ppi at their placed size.
- **Trim, bleed and marks** (press_marks): crop marks in registration colour in a slug outside the BleedBox.
- **Fonts and keys** (press_finish): WeasyPrint's `finisher` hook turns its PDF into PDF/X: output intent,
  GTS_PDFX keys, bare CFF fonts, no annotations, a reproducible XMP DocumentID.

One render serves every file: the per-page PDFs are `document.copy([page])` of it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Sequence

from markupsafe import escape

from ...atomic import write_atomic_all
from ...errors import Finding
from ...layout.grid import Layout
from ...layout.types import PageLayout
from ...model import Issue
from . import print_pdf
from .press_audit import audit_colours
from .press_finish import finisher
from .press_options import PressOptions, resolve
from .press_photos import separate_photos

# the press format's API; PressOptions is the options of render_press, defined beside the PDF/X choice it drives
__all__ = ["PressOptions", "PressRender", "PressResult", "press_paths", "is_press_file", "press_html",
           "render_press", "plate_versions", "write_press"]


@dataclass
class PressRender:
    """The press document, laid out once; the files are written from it."""

    rendered: print_pdf.Rendered
    options: PressOptions
    variant: str
    condition: str
    profile: bytes | None
    findings: list[Finding]
    _workdir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)
    # the separated photos' XObject names → the originals' (press_photos.Separated.names): same bytes from any folder
    image_names: dict[str, str] = field(default_factory=dict)
    # a corrected issue (更正): its version, and each page's plate version (1 + the corrections on that page);
    # an issue never corrected has none, and its files carry no version mark
    issue_version: int = 1
    plate_versions: list[int] = field(default_factory=list)
    modified: str = ""  # the last correction's time, UTC (xmp:ModifyDate), when there is one

    def close(self) -> None:
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None


@dataclass
class PressResult:
    issue_pdf: Path
    page_pdfs: list[Path]
    variant: str
    condition: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def outputs(self) -> list[Path]:
        return [self.issue_pdf, *self.page_pdfs]


def press_paths(issue: Issue, out_dir: Path) -> tuple[Path, list[Path]]:
    """File names: SLUG-DATE.press.pdf for the issue, SLUG-DATE.pNN.press.pdf per page (NN = 版次)."""
    out_dir = Path(out_dir)
    return (out_dir / f"{issue.slug}.press.pdf",
            [out_dir / f"{issue.slug}.p{page.number:02d}.press.pdf" for page in issue.pages])


def is_press_file(path: Path) -> bool:
    return Path(path).name.endswith(".press.pdf")


# --- HTML and render -----------------------------------------------------------------------------------------

def press_stylesheets(layout: Layout) -> list[Path]:
    """press.css along the layout's chain, base first (like print.css)."""
    return [f / "press.css" for f in reversed(layout.folders) if (f / "press.css").is_file()]


def press_html(html: str, layout: Layout, photos: dict[str, str] | None = None) -> str:
    """The print HTML with the press overlay linked last, the layout's bleed, and photo URLs swapped."""
    for old, new in (photos or {}).items():
        html = html.replace(f'src="{escape(old)}"', f'src="{escape(new)}"')
    links = "".join(f'<link rel="stylesheet" href="{escape(s.as_uri())}">\n' for s in press_stylesheets(layout))
    bleed = f"<style>@page {{ bleed: {layout.bleed:.3f}pt; marks: none; }}</style>\n"
    head_end = html.find("</head>")
    if head_end < 0:
        raise ValueError("the print HTML has no </head>")
    return html[:head_end] + links + bleed + html[head_end:]


def render_press(html: str, issue: Issue, layout: Layout, *, pages: Sequence[PageLayout] | None = None,
                 options: PressOptions = PressOptions(), roots: Sequence[Path] = ()) -> PressRender:
    """Separate the photos, render the press document once, audit its colours; nothing is written to out/."""
    variant, condition, profile = resolve(options)
    workdir = tempfile.TemporaryDirectory(prefix="epaper-press-")
    tmp = Path(workdir.name)
    photos = separate_photos(issue, tmp, pages=pages, profile=profile, max_ppi=options.max_ppi,
                             total_ink=options.total_ink, quality=options.jpeg_quality)
    findings: list[Finding] = list(photos.findings)
    allowed = [issue.root, *layout.folders, *roots, tmp]
    rendered = print_pdf.render_document(press_html(html, layout, photos.swap), issue.root, allowed)
    findings.extend(rendered.findings)
    findings.extend(audit_colours(rendered.document))
    if pages is not None:
        findings.extend(print_pdf.check_geometry(rendered, list(pages)))
    when = max((c.when for c in issue.corrections), default=None)
    return PressRender(rendered, options, variant, condition, profile, findings, workdir, photos.names,
                       issue.version, plate_versions(issue, pages),
                       when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if when else "")


def plate_versions(issue: Issue, pages: Sequence[PageLayout] | None = None) -> list[int]:
    """Each page's plate version: 1, plus one for every correction of an article printed on it (any part of a
    转版 article when the laid-out `pages` are given, else the page plan's lists). Only touched plates are remade."""
    if pages is not None:
        on_page = [{m.article.id for m in p.modules} for p in pages]
    else:
        on_page = [set(p.articles) for p in issue.pages]
    return [1 + sum(c.article in ids for c in issue.corrections) for ids in on_page]


# --- writing -------------------------------------------------------------------------------------------------

def _write_one(job: PressRender, document, target: Path, doc_id: str, versions: Sequence[int] = (),
               page_file: bool = False) -> None:
    finish = finisher(doc_id, variant=job.variant, condition=job.condition, profile=job.profile,
                      image_names=job.image_names, versions=versions, page_file=page_file,
                      issue_version=job.issue_version, modified=job.modified)
    document.write_pdf(target, pdf_variant=job.variant, pdf_identifier=doc_id.encode("utf-8"),
                       uncompressed_pdf=False, finisher=finish)


def write_press(source: str | PressRender, out_dir: Path, issue: Issue, layout: Layout, *,
                pages: Sequence[PageLayout] | None = None, options: PressOptions | None = None,
                roots: Sequence[Path] = ()) -> PressResult:
    """Write SLUG-DATE.press.pdf and (per_page) SLUG-DATE.pNN.press.pdf into out_dir.

    `source` is the print HTML (print_pdf.render_html) or a PressRender from render_press: render first when
    the caller gates on findings before writing anything (the render's options then apply; `pages`, `options`
    and `roots` are for rendering here). Nothing checks the findings here. Files are written beside their
    targets and moved into place only when all of them were written.
    """
    if isinstance(source, PressRender):
        job = source
    else:
        job = render_press(source, issue, layout, pages=pages, options=options or PressOptions(), roots=roots)
    options = job.options
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    issue_pdf, page_pdfs = press_paths(issue, out_dir)
    document = job.rendered.document
    if len(document.pages) != len(page_pdfs):
        page_pdfs = page_pdfs[:len(document.pages)]
    # a corrected issue: every page's plate version (none for an issue never corrected: its bytes as before)
    plates = (job.plate_versions or [1] * len(document.pages)) if job.issue_version > 1 else []
    targets = [(issue_pdf, document, issue.slug, plates[:len(document.pages)], False)]
    if options.per_page:
        targets += [(path, document.copy([page]), f"{issue.slug}/p{n:02d}", plates[i:i + 1], True)
                    for i, (path, page, n) in enumerate(zip(page_pdfs, document.pages, [p.number for p in issue.pages]))]
    else:
        page_pdfs = []
    try:
        # each file is written by WeasyPrint into a temporary beside its target; the set is renamed in only
        # when every file was written
        write_atomic_all([(target, partial(_write_one, job, doc, doc_id=doc_id, versions=versions,
                                           page_file=page_file))
                          for target, doc, doc_id, versions, page_file in targets])
    finally:
        if not isinstance(source, PressRender):
            job.close()
    return PressResult(issue_pdf, page_pdfs, job.variant, job.condition, list(job.findings))
