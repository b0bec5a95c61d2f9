"""One model.Issue (plus, optionally, the rendered front page and fonts) in; a reproducible EPUB 3.3 with NCX out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from xml.etree import ElementTree

import jinja2

from ...errors import EpaperError
from ...model import Article, Issue, Page, Paper, Photo
from ...paths import LAYOUTS
from ...strings import Strings
from ..blocks import body_blocks, caption_paragraphs, caption_snippet
from ...derived_cache import DerivedCache
from .epub_fonts import SubsetFont, collect_chars, default_fonts, subset_fonts
from .epub_images import PackedImage, pack_image, pack_pdf_page
from .epub_meta import accessibility, book_identifier, contributors, epub_language, epub_title, modified_time
from .epub_zip import write_atomically, zip_bytes
from ..templates import BYTECODE

BASE_LAYOUT = LAYOUTS / "base"
ROOT = "EPUB"  # the package folder inside the ZIP
# What one model is written as: the EPUB for every reader; Kobo's kepub (koboSpans and book-columns wrappers,
# see kepub.py); a Kindle-safe EPUB for Send-to-Kindle (an <img> cover page instead of the SVG one, no embedded
# fonts: Kindle sets CJK text in its own fonts, and the book stays far under the 50 MB mail limit).
VARIANTS = ("epub", "kepub", "kindle")
XHTML = "application/xhtml+xml"

Render = Callable[..., bytes]


@dataclass(frozen=True)
class Item:
    """One manifest entry: id, href (relative to the package document), media type, bytes and properties."""

    id: str
    href: str
    media_type: str
    data: bytes
    properties: str = ""


# --- templates, strings and stylesheets -------------------------------------------------------------------------

def layout_chain(paper: Paper, layout_folders: Sequence[Path] | None) -> tuple[Path, ...]:
    """The paper's layout folder, then base: a paper may override any file under <layout>/epub/ one by one."""
    if layout_folders is None:
        layout_folders = (LAYOUTS / paper.layout, BASE_LAYOUT)
    chain = tuple(dict.fromkeys(Path(f) for f in layout_folders))
    return chain if BASE_LAYOUT in chain else (*chain, BASE_LAYOUT)


def _css_string(value: str) -> str:
    """A CSS string literal: quotes and backslashes escaped, control characters dropped."""
    text = "".join(ch for ch in value if ch >= " ")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def template_env(folders: Sequence[Path]) -> jinja2.Environment:
    """Autoescape on for every XML template, listed explicitly: select_autoescape()'s defaults know neither
    .xhtml/.opf/.ncx nor names ending in .jinja. CSS templates escape through the css_string filter."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f / "epub") for f in folders if (f / "epub").is_dir()]),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("xhtml.jinja", "opf.jinja", "ncx.jinja", "xml.jinja"),
            disabled_extensions=("css.jinja",), default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        bytecode_cache=BYTECODE)
    env.filters["css_string"] = _css_string
    return env


def epub_strings(paper: Paper, folders: Sequence[Path]) -> Strings:
    """The EPUB's own words (目录, 封面, the accessibility summary) from <layout>/epub/strings.toml.

    Traditional papers read the zh-hant table whatever their region, so 目錄 is never printed as 目录.
    """
    language = "zh-hant" if paper.is_chinese and paper.is_traditional else paper.language
    return Strings(tuple(f / "epub" for f in folders), language)


def stylesheet_text(folders: Sequence[Path], name: str) -> str:
    """<layout>/epub/<name> of base first and the paper's layout last: CSS accumulates in cascade order."""
    files = [f / "epub" / name for f in reversed(folders)]
    return "\n".join(f.read_text(encoding="utf-8") for f in files if f.is_file())


def _check_xml(name: str, data: bytes) -> bytes:
    """Every XML part must parse: a template slip raises here instead of shipping a broken book."""
    try:
        ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise EpaperError(f"EPUB part {name} is not well-formed XML: {exc}") from exc
    return data


# --- articles ---------------------------------------------------------------------------------------------------

def article_label(article: Article) -> str:
    """The article's name in the contents: its 主题, or for untitled photo news the start of its caption."""
    return article.title or caption_snippet(article)


def article_href(article: Article) -> str:
    return f"text/{article.id}.xhtml"


def section_label(page: Page, strings: Strings, estrings: Strings) -> str:
    """“第1版　要闻”."""
    return estrings.fmt("section_label", page_label=strings.fmt("page_label", number=page.number), name=page.name)


def _figure(article: Article, index: int, image_href: str, strings: Strings, estrings: Strings) -> dict:
    """<figure> data: image src (relative to text/), alt text, caption paragraphs with byline and credit."""
    credit = strings.photo_credit(article.photos[index].credit)
    paragraphs, alt = caption_paragraphs(article, index, strings.byline(article), credit)
    return {"src": "../" + image_href, "alt": alt, "paragraphs": paragraphs, "join": estrings["caption_credit_join"]}


def _blocks(article: Article, strings: Strings) -> list[dict]:
    """Body blocks; the byline runs in at the start of the first paragraph (本报讯（记者　X）连日来……)."""
    return body_blocks(article, strings.byline(article))


def pack_images(issue: Issue, cache: DerivedCache | None = None, pool: Executor | None = None
                ) -> tuple[list[Item], dict[tuple[str, int], str]]:
    """Each source image packed once (named after the first article showing it); (article id, n) → href.

    Decoding, resampling and encoding release the GIL, so the images are packed in threads (`pool`, or one
    thread per core).
    """
    sources: dict[Path, tuple[Photo, str]] = {}
    for _, article in issue.articles_in_order():
        for n, photo in enumerate(article.photos):
            sources.setdefault(photo.path, (photo, f"{article.id}-{n + 1}"))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) if pool is None else nullcontext(pool) as threads:
        packed = threads.map(lambda item: pack_image(item[0].path, flat=item[0].placeholder, cache=cache),
                             sources.values())
        items = [Item(f"img-{stem}", f"images/{stem}{p.ext}", p.media_type, p.data)
                 for (_, stem), p in zip(sources.values(), packed)]
    by_path = {path: item.href for path, item in zip(sources, items)}
    hrefs = {(article.id, n): by_path[photo.path]
             for _, article in issue.articles_in_order() for n, photo in enumerate(article.photos)}
    return items, hrefs


def article_documents(issue: Issue, strings: Strings, estrings: Strings, image_hrefs: dict[tuple[str, int], str],
                      render: Render) -> tuple[list[Item], list[dict]]:
    """One XHTML per article, in page order, and the contents: one section per 版 listing its articles.

    The first article of each 版 opens with the pagebreak marker (id page-N) and the folio 第N版　版名.
    """
    docs: list[Item] = []
    sections: list[dict] = []
    for page in issue.pages:
        label = section_label(page, strings, estrings)
        entries = []
        for i, art_id in enumerate(page.articles):
            article = issue.articles[art_id]
            figures = [_figure(article, n, image_hrefs[(article.id, n)], strings, estrings)
                       for n in range(len(article.photos))]
            # Untitled photo news: the contents show the start of its caption, the page a plain 图片新闻 heading.
            data = render("article.xhtml.jinja", article=article, label=article_label(article),
                          heading=article.title or estrings["photo_news"], figures=figures,
                          blocks=_blocks(article, strings),
                          page_mark={"number": page.number, "label": label} if i == 0 else None)
            href = article_href(article)
            docs.append(Item(f"x-{article.id}", href, XHTML, _check_xml(href, data)))
            entries.append({"label": article_label(article), "href": href})
        # The 版 entry opens its first story's document (which starts with the marker); the page-list points
        # at the marker itself. Either way the contents stay in document order (EPUBCheck NAV-011).
        sections.append({"number": page.number, "label": label, "href": entries[0]["href"],
                         "page_href": f"{entries[0]['href']}#page-{page.number}", "articles": entries})
    _number_play_order(sections)
    return docs, sections


def _number_play_order(sections: list[dict]) -> None:
    """NCX playOrder: one number per distinct target in reading order, no gaps; entries sharing a target share
    its number (EPUBCheck's NCX schematron checks both directions)."""
    play: dict[str, int] = {}
    for section in sections:
        for href in (section["href"], section["page_href"], *(e["href"] for e in section["articles"])):
            play.setdefault(href, len(play) + 1)
        section["play_order"], section["page_play_order"] = play[section["href"]], play[section["page_href"]]
        for entry in section["articles"]:
            entry["play_order"] = play[entry["href"]]


def stylesheet(folders: Sequence[Path], env: jinja2.Environment, faces: list[tuple[str, SubsetFont]],
               vertical: bool) -> bytes:
    """epub.css, then vertical.css if asked, then the @font-face rules and role families of embedded fonts."""
    css = stylesheet_text(folders, "epub.css")
    if vertical:
        css += "\n" + stylesheet_text(folders, "vertical.css")
    if faces:
        families = {role: list(dict.fromkeys(f.family for r, f in faces if r == role)) for role in ("text", "display")}
        css += "\n" + env.get_template("fonts.css.jinja").render(
            faces=[f for _, f in faces], text_families=families["text"], display_families=families["display"])
    return css.encode("utf-8")


# --- the writer -------------------------------------------------------------------------------------------------

@dataclass
class Draft:
    """The package without its cover (prepare_entries): what finish_entries needs to complete it."""

    issue: Issue
    strings: Strings
    estrings: Strings
    render: Render
    when: dt.datetime
    title: str
    identifier: str
    variant: str
    has_cover: bool
    docs: list[Item]
    images: list[Item]
    sections: list[dict]
    nav: bytes
    ncx: bytes
    css: bytes
    faces: list[tuple[str, SubsetFont]]


def build_entries(issue: Issue, strings: Strings, *, cover_png: bytes | None = None, embed_fonts: bool = False,
                  fonts: Sequence[tuple[str, Path, str]] | None = None, modified: dt.datetime | None = None,
                  vertical: bool = False, layout_folders: Sequence[Path] | None = None,
                  cover_pdf: Path | bytes | None = None, cover_key: str | None = None,
                  cache: Path | None = None, variant: str = "epub") -> tuple[dict[str, bytes], dt.datetime]:
    """Every file of the package (ZIP path → bytes) and the timestamp they carry; nothing is written."""
    if cover_png is not None and cover_pdf is not None:
        raise EpaperError("the EPUB cover comes from cover_png or from cover_pdf, not both")
    has_cover = cover_png is not None or cover_pdf is not None
    with ThreadPoolExecutor(max_workers=1) as lane:
        # the cover (a whole page: the longest to pack) beside the photos and documents
        cover_job = lane.submit(pack_cover, cover_png=cover_png, cover_pdf=cover_pdf, cover_key=cover_key,
                                cache=cache) if has_cover else None
        draft = prepare_entries(issue, strings, has_cover=has_cover, embed_fonts=embed_fonts, fonts=fonts,
                                modified=modified, vertical=vertical, layout_folders=layout_folders, cache=cache,
                                variant=variant)
        cover = cover_job.result() if cover_job is not None else None
    return finish_entries(draft, cover)


def pack_cover(*, cover_png: bytes | None = None, cover_pdf: Path | bytes | None = None,
               cover_key: str | None = None, cache: Path | None = None) -> PackedImage | None:
    """The cover image: cover_png packed, or the first page of the print PDF cover_pdf rasterised (see write_epub)."""
    store = DerivedCache(cache)
    if cover_png is not None:
        return pack_image(cover_png, flat=True, cache=store)
    if cover_pdf is not None:
        return pack_pdf_page(cover_pdf, page_key=cover_key, cache=store)
    return None


def prepare_entries(issue: Issue, strings: Strings, *, has_cover: bool, embed_fonts: bool = False,
                    fonts: Sequence[tuple[str, Path, str]] | None = None, modified: dt.datetime | None = None,
                    vertical: bool = False, layout_folders: Sequence[Path] | None = None,
                    cache: Path | None = None, variant: str = "epub") -> Draft:
    """Everything of the package but the cover, which needs the print PDF (has_cover: one will be given to
    finish_entries): the build does this while the pages are drawn."""
    if variant not in VARIANTS:
        raise EpaperError(f"unknown EPUB variant '{variant}'; expected one of: {', '.join(VARIANTS)}")
    if variant == "kindle":
        embed_fonts = False
    store = DerivedCache(cache)
    paper = issue.paper
    folders = layout_chain(paper, layout_folders)
    env = template_env(folders)
    estrings = epub_strings(paper, folders)
    when = modified_time(issue, modified)
    title, language, identifier = epub_title(issue), epub_language(paper), book_identifier(issue)
    common = {"language": language, "title": title, "strings": strings, "estrings": estrings, "vertical": vertical,
              "variant": variant}

    def render(template: str, **context: object) -> bytes:
        return env.get_template(template).render(**common, **context).encode("utf-8")

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        images, image_hrefs = pack_images(issue, store, pool)
    docs, sections = article_documents(issue, strings, estrings, image_hrefs, render)
    if variant == "kepub":
        from .kepub import kepubify
        docs = [dataclasses.replace(d, data=_check_xml(d.href, kepubify(d.data))) for d in docs]
    masthead = {"paper": paper.name, "date": strings.date_long(issue),
                "weekday": issue.weekday_zh if paper.is_chinese else issue.date.strftime("%A"),
                "number": strings.fmt("issue_number", number=issue.number)}
    nav = _check_xml("nav.xhtml", render("nav.xhtml.jinja", sections=sections, masthead=masthead,
                                         has_cover=has_cover, first_href=docs[0].href))
    ncx = _check_xml("toc.ncx", render("toc.ncx.jinja", identifier=identifier, sections=sections,
                                       publisher=paper.publisher or paper.name))

    # Fonts are subset to the characters each role draws in every document a reader shows (the nav is one).
    faces = subset_fonts(fonts if fonts is not None else default_fonts(paper),
                         collect_chars([d.data for d in docs] + [nav]), store) if embed_fonts else []
    return Draft(issue, strings, estrings, render, when, title, identifier, variant, has_cover, docs, images,
                 sections, nav, ncx, stylesheet(folders, env, faces, vertical), faces)


def finish_entries(draft: Draft, cover: PackedImage | None) -> tuple[dict[str, bytes], dt.datetime]:
    """The package's files (ZIP path → bytes) and their timestamp: the draft with its cover."""
    if (cover is not None) != draft.has_cover:
        raise EpaperError("the EPUB draft was prepared " + ("with" if draft.has_cover else "without") + " a cover")
    issue, strings, estrings, render, variant = draft.issue, draft.strings, draft.estrings, draft.render, draft.variant
    paper, title, faces, images = issue.paper, draft.title, draft.faces, draft.images
    items = [Item("nav", "nav.xhtml", XHTML, draft.nav, "nav"),
             Item("ncx", "toc.ncx", "application/x-dtbncx+xml", draft.ncx),
             Item("css", "css/epub.css", "text/css", draft.css)]
    spine = ["nav"] + [d.id for d in draft.docs]
    if cover is not None:
        href = f"images/cover{cover.ext}"
        cover_doc = render("cover.xhtml.jinja", image=cover, href=href, alt=estrings.fmt("cover_alt", title=title))
        items += [Item("cover-image", href, cover.media_type, cover.data, "cover-image"),
                  Item("cover", "cover.xhtml", XHTML, _check_xml("cover.xhtml", cover_doc),
                       "" if variant == "kindle" else "svg")]
        spine.insert(0, "cover")
    items += draft.docs + images
    items += [Item(f"font-{i + 1}", f"fonts/{f.file_name}", f.media_type, f.data) for i, (_, f) in enumerate(faces)]

    has_images = bool(images) or cover is not None
    when = draft.when
    opf = render("package.opf.jinja", identifier=draft.identifier, paper=paper, issue=issue,
                 creator=paper.publisher or paper.name, modified=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 description=estrings.fmt("description", title=title,
                                          issue_number=strings.fmt("issue_number", number=issue.number),
                                          sections=estrings["sections_join"].join(s["label"] for s in draft.sections)),
                 source=estrings.fmt("source_label", title=title), contributors=contributors(issue),
                 items=items, spine=spine, a11y=accessibility(has_images, True, estrings),
                 has_cover=cover is not None, fonts=bool(faces))

    entries = {"META-INF/container.xml": _check_xml("container.xml", render("container.xml.jinja", root=ROOT)),
               f"{ROOT}/package.opf": _check_xml("package.opf", opf)}
    if faces:
        # Older Apple iBooks use embedded fonts only with this file; newer ones read ibooks:specified-fonts.
        entries["META-INF/com.apple.ibooks.display-options.xml"] = _check_xml(
            "display-options", render("com.apple.ibooks.display-options.xml.jinja"))
    entries.update({f"{ROOT}/{item.href}": item.data for item in items})
    return entries, when


def write_epub(issue: Issue, strings: Strings, out_path: Path | str, *, cover_png: bytes | None = None,
               embed_fonts: bool = False, fonts: Sequence[tuple[str, Path, str]] | None = None,
               modified: dt.datetime | None = None, vertical: bool = False,
               layout_folders: Sequence[Path] | None = None, cover_pdf: Path | bytes | None = None,
               cover_key: str | None = None, cache: Path | None = None, variant: str = "epub") -> None:
    """Write the issue as EPUB 3.3 (with NCX) to out_path; byte-identical for the same input and timestamp.

    One XHTML document per article, not per page: every contents entry then lands at the start of a
    document (no fragment scrolling, which Kobo's and Adobe-based paginators get wrong), each story opens
    on a fresh screen whether or not the reader honours CSS page breaks, documents stay small, and the 版
    structure lives in the nav (版 → 文章), the page-list and a pagebreak marker before each 版's first story.

    cover_png: the rendered front page as image bytes (cover image + cover document); or cover_pdf: the print
    PDF (path or bytes), whose first page's trim box is rasterised with PDFium for the cover, and cover_key:
    that page's cache key from the print stage (else derived from the page's content). cache: a folder where
    packed images (photos by their bytes, the cover by its page key) are kept between builds; the book is the
    same bytes with or without it. fonts: (CSS family, font file, weight);
    weights ≥ 600 draw the display elements, lighter ones body text; with embed_fonts and no list, the
    palette's serif and sans. modified: the timestamp (default SOURCE_DATE_EPOCH, else the issue date 00:00 UTC).
    vertical: vertical-rl text and an rtl spine. layout_folders: where <folder>/epub/ templates are looked up
    (default: the paper's layout, then base). variant: "epub", "kepub" (Kobo's spans and wrappers; name the file
    SLUG.kepub.epub) or "kindle" (Kindle-safe: <img> cover page, no embedded fonts). Raises EpaperError if the
    file cannot be written; an existing out_path is then left as it was.
    """
    entries, when = build_entries(issue, strings, cover_png=cover_png, embed_fonts=embed_fonts, fonts=fonts,
                                  modified=modified, vertical=vertical, layout_folders=layout_folders,
                                  cover_pdf=cover_pdf, cover_key=cover_key, cache=cache, variant=variant)
    write_atomically(zip_bytes(entries, when), Path(out_path))
    DerivedCache(cache).prune()


def write_draft(draft: Draft, out_path: Path | str, *, cover_pdf: Path | bytes, cover_key: str | None = None,
                cache: Path | None = None, cover: PackedImage | None = None) -> None:
    """write_epub in two steps: a Draft from prepare_entries(has_cover=True), made before the print PDF existed,
    completed with the cover drawn from cover_pdf (or `cover`, packed already by pack_cover with the same
    arguments, as the build's page workers do). The same bytes as write_epub with the same arguments."""
    if cover is None:
        cover = pack_cover(cover_pdf=cover_pdf, cover_key=cover_key, cache=cache)
    entries, when = finish_entries(draft, cover)
    write_atomically(zip_bytes(entries, when), Path(out_path))
    DerivedCache(cache).prune()
