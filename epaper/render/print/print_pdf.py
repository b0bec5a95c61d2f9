"""Laid-out pages in, the print HTML and the PDF (WeasyPrint) out; the rendered boxes are read back and checked against the plan."""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from ...environment import source_date_epoch
from ...codes import finding
from ...errors import Finding
from ...fonts import Palette
from ...layout.grid import Layout, Rect
from ...layout.types import Module, PageLayout, SetLine, TextBox
from ...model import Issue, Photo
from ...strings import Strings
from .lines_html import line_to_html
from ..templates import BYTECODE

if TYPE_CHECKING:  # WeasyPrint is imported where pages are drawn: a build that only writes HTML never loads it
    from weasyprint.document import Document


def pt(value: float) -> str:
    return f"{value:.3f}pt"


def box_style(rect: Rect, origin: Rect | None = None) -> str:
    x, y = (rect.x - origin.x, rect.y - origin.y) if origin else (rect.x, rect.y)
    return f"left: {pt(x)}; top: {pt(y)}; width: {pt(rect.w)}; height: {pt(rect.h)};"


def template_env(layout: Layout) -> jinja2.Environment:
    """Templates are found along the layout's `extends` chain: a paper's layout overrides the base file by file."""
    return _env(layout.folders)


@lru_cache(maxsize=8)
def _env(folders: tuple[Path, ...]) -> jinja2.Environment:
    # one environment per chain of folders, so that each template is compiled once per process, not once per
    # page (0.5 s a build); Jinja reloads a template whose file changed (auto_reload), e.g. under `epaper serve`
    return jinja2.Environment(loader=jinja2.FileSystemLoader([str(f) for f in folders]),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, bytecode_cache=BYTECODE)


def stylesheets(layout: Layout) -> list[Path]:
    """print.css of the base first, the paper's layout last: CSS accumulates in cascade order."""
    return [f / "print.css" for f in reversed(layout.folders) if (f / "print.css").is_file()]


def issue_datetime(issue: Issue) -> dt.datetime:
    """The date every output carries: SOURCE_DATE_EPOCH when set, else the issue date at midnight UTC."""
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch
    return dt.datetime.combine(issue.date, dt.time(0, 0), dt.timezone.utc)


def photo_src(issue: Issue, photo: Photo) -> str:
    """A photo's URL in the print HTML: relative to the issue folder (ISSUE_URL), whatever its path on disk."""
    return quote(photo.path.relative_to(issue.root).as_posix())


@dataclass
class BodyPiece:
    """The lines of one body column that belong to one paragraph, subhead (小标题) or jump line.

    The composer fills a module's columns line by line, so a paragraph's lines may sit in several column
    boxes. Its first piece is a <p> (<h2> for a subhead); a piece that goes on with a paragraph begun in an
    earlier column is a <div>, which epaper.render.print.tagging joins to the paragraph before it: the reader PDF
    has one P per paragraph, while every line stays in the flow of its column box, where it always was."""

    tag: Literal["p", "h2", "div"]
    kind: Literal["para", "subhead", "jump"]
    lines: list[SetLine] = field(default_factory=list)


def body_pieces(m: Module) -> list[tuple[TextBox, list[BodyPiece]]]:
    """Each of the module's boxes (in order) with its body lines in pieces; none for headline and caption boxes."""
    out: list[tuple[TextBox, list[BodyPiece]]] = []
    key: tuple[int, str] | None = None  # the paragraph and kind of the previous body line, across columns
    for b in m.boxes:
        pieces: list[BodyPiece] = []
        for i, sl in enumerate(b.lines if b.kind == "body" else ()):
            kind = "jump" if sl.href else "subhead" if m.article.body[sl.para].kind == "h" else "para"
            if i == 0 or (sl.para, kind) != key:
                tag = "div" if (sl.para, kind) == key else "h2" if kind == "subhead" else "p"
                pieces.append(BodyPiece(tag, kind))
            pieces[-1].lines.append(sl)
            key = (sl.para, kind)
        out.append((b, pieces))
    return out


def render_html(issue: Issue, pages: list[PageLayout], layout: Layout, palette: Palette, strings: Strings,
                *, title: str, marks: bool = False) -> str:
    env = template_env(layout)

    def line_html(sl: SetLine) -> Markup:
        return line_to_html(sl.line, cls=palette[sl.role].css_class, lead=sl.lead_chars,
                            lead_class=palette[sl.lead_role].css_class if sl.lead_chars else "", href=sl.href,
                            size=sl.size)

    def rule_below(m: Module) -> str:
        y = m.rect.h - layout.pitch / 2  # the middle of the slot's empty last line
        return f"left: 0; top: {pt(y)}; width: {pt(m.rect.w)}; height: 0.5pt;"

    def rule_right(m: Module) -> str:
        return f"left: {pt(m.rect.w + layout.gutter / 2 - 0.25)}; top: 0; width: 0.5pt; height: {pt(m.rect.h - layout.pitch / 2)};"

    def head_box() -> str:
        return f"left: {pt(layout.left)}; top: {pt(layout.top - 34)}; width: {pt(layout.type_width)}; height: 22pt;"

    template = env.get_template("print.html.jinja")
    return template.render(issue=issue, pages=pages, layout=layout, palette=palette, strings=strings, title=title,
                           created=issue_datetime(issue).strftime("%Y-%m-%dT%H:%M:%SZ"), marks=marks,
                           stylesheets=[s.as_uri() for s in stylesheets(layout)], pt=pt, box=box_style,
                           photo_src=lambda photo: photo_src(issue, photo), line_html=line_html,
                           body_pieces=body_pieces, rule_below=rule_below, rule_right=rule_right, head_box=head_box)


@dataclass
class Rendered:
    """The WeasyPrint document and what it logged, with findings from comparing it to the plan."""

    document: Document
    findings: list[Finding] = field(default_factory=list)
    fetched: list[Path] = field(default_factory=list)  # the files the document read (stylesheets, photos)


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


ISSUE_URL = "file:///epaper-issue/"  # the issue folder as documents see it, wherever it lies


def render_document(html: str, base: Path, roots: list[Path]) -> Rendered:
    """HTML in, laid-out WeasyPrint document out; WeasyPrint's warnings become findings instead of log noise.
    Relative URLs resolve under ISSUE_URL, which the fetcher maps to `base`: the PDF does not depend on the path."""
    from weasyprint import HTML

    from ..fetch import RestrictedFetcher

    fetcher = RestrictedFetcher(roots, mounts={"/epaper-issue": base})
    capture = LogCapture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    try:
        document = HTML(string=html, base_url=ISSUE_URL, url_fetcher=fetcher).render()
    finally:
        logger.removeHandler(capture)
    rendered = Rendered(document, fetched=list(fetcher.fetched))
    for url in fetcher.refused:
        rendered.findings.append(finding("E501", f"refused to fetch {url}", hint="outside the issue, layouts/ and fonts/"))
    for rec in capture.records:
        rendered.findings.append(finding("W500", f"WeasyPrint: {rec.getMessage()}", hint=""))
    return rendered


PX_PER_PT = 96 / 72  # WeasyPrint's anchors are in CSS px


def anchors_pt(page) -> dict[str, tuple[float, float]]:
    """A rendered WeasyPrint page's anchors (element id -> top-left corner) in pt."""
    return {name: (a[0] / PX_PER_PT, a[1] / PX_PER_PT) for name, a in page.anchors.items()}


def check_anchors(planned: PageLayout, anchors: dict[str, tuple[float, float]],
                  tolerance: float = 0.05) -> list[Finding]:
    """Every module of the plan where WeasyPrint put it (its anchor, in pt), to within `tolerance`: else a bug."""
    findings = []
    for m in planned.modules:
        where = f"page {planned.page.number}, article '{m.article.id}'"
        anchor = anchors.get(m.dom_id)
        if anchor is None:
            findings.append(finding("E310", "module not found in the rendered page", where=where, hint=""))
        elif abs(anchor[0] - m.rect.x) > tolerance or abs(anchor[1] - m.rect.y) > tolerance:
            findings.append(finding("E311", f"rendered at ({anchor[0]:.2f}, {anchor[1]:.2f}) pt, planned at "
                                                     f"({m.rect.x:.2f}, {m.rect.y:.2f}) pt", where=where, hint=""))
    return findings


def check_geometry(rendered: Rendered, pages: list[PageLayout], tolerance: float = 0.05) -> list[Finding]:
    """Compare every module's planned rectangle with WeasyPrint's anchors: any difference is a bug."""
    findings = []
    for page_layout, page in zip(pages, rendered.document.pages):
        findings += check_anchors(page_layout, anchors_pt(page), tolerance)
    if len(rendered.document.pages) != len(pages):
        findings.append(finding("E312", f"{len(rendered.document.pages)} pages rendered, {len(pages)} planned",
                                hint="a page box overflowed: this is a layout bug"))
    return findings


READER_VARIANT = "pdf/ua-1"  # the reader PDF is tagged; press files (press.py) stay untagged PDF/X


def pdf_bytes(rendered: Rendered, *, tagged: bool = True) -> bytes:
    """The rendered document (one page of the issue) as PDF bytes for assemble.py: tagged with the reader
    PDF's structure (tagging.tag_stories), or WeasyPrint's plain output."""
    if not tagged:
        return rendered.document.write_pdf(uncompressed_pdf=False)
    data = rendered.document.write_pdf(pdf_variant=READER_VARIANT, uncompressed_pdf=False)
    import pikepdf  # here, not at the top: the process that only writes the HTML (build.py) does not load it

    from . import tagging

    with pikepdf.open(io.BytesIO(data)) as pdf:
        tagging.tag_stories(pdf)
        buf = io.BytesIO()
        pdf.save(buf, deterministic_id=True)  # a random /ID would make the cached page differ from a fresh one
        return buf.getvalue()
