"""An issue, its page layouts and its print PDF in; the issue folder of the web e-paper out.

    index.html             版面导航: thumbnails of every page, the day's key stories (报眼)
    page-01.html           the page as an image with a link over every article, 标题导航
    a/<article-id>.html    the article's full text and photos, with its place on the printed page
    img/, files/           page images (1×, 2×, zoom, thumbnail), photos; the PDF, page PDFs, EPUB
    issue.json             the manifest the site-wide files are regenerated from (web_manifest, web_archive)

Everything is written into a fresh staging folder, which web.write_site swaps in only when all of it was written.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from markupsafe import Markup

from ...errors import EpaperError
from ...layout.grid import MM, Layout
from ...layout.types import Module, PageLayout
from ...model import Article, Issue, Page, Photo
from ...strings import Strings
from ..blocks import body_blocks, caption_paragraphs
from ...derived_cache import DerivedCache
from . import web_site, web_versions
from ..print.pdf_pages import split_pages
from .web_images import (PageImages, Raster, available_cpus, logo as masthead_logo, logo_box, plan, rasterise,
                         zoom_width)
from .web_photos import write_photo
from .web_manifest import MANIFEST, MANIFEST_FORMAT, issue_path
from .web_theme import CSS, ZOOM_JS, Words, asset, stylesheet, template_env, web_strings

SUMMARY_CHARS = 120  # feed summaries and share descriptions: the start of the story


def page_stem(page: Page) -> str:
    return f"page-{page.number:02d}"


def summary(article: Article) -> str:
    """The start of the story (or the photo's caption) for feeds and share previews."""
    text = "".join(article.paragraphs) or next((p.caption for p in article.photos), "") or article.title
    return text[:SUMMARY_CHARS] + ("…" if len(text) > SUMMARY_CHARS else "")


def _json_script(data: dict[str, Any]) -> Markup:
    """JSON for a <script> element: "<", ">" and "&" escaped so no text of the copy can end the element."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def human_size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} KB"


def article_blocks(article: Article, words: Words) -> list[dict[str, str]]:
    """Body blocks as printed: the byline runs in at the start of the first paragraph (本报讯（记者 X）连日来……)."""
    return body_blocks(article, words.base.byline(article))


def figure(article: Article, index: int, rasters: list[Raster], words: Words) -> dict[str, Any]:
    """An article photo: its variants for srcset, alt text, and caption paragraphs with byline and credit."""
    credit = words.base.photo_credit(article.photos[index].credit)
    captions, alt = caption_paragraphs(article, index, words.base.byline(article), credit)
    largest = rasters[-1]
    return {"src": f"../{rasters[0].href}", "srcset": ", ".join(f"../{r.href} {r.width}w" for r in rasters),
            "width": largest.width, "height": largest.height,
            "alt": alt, "captions": captions}


def region(module: Module, images: PageImages, words: Words) -> dict[str, Any]:
    """A module's rectangle (pt from the trim's top-left) as a link area in the screen image's pixels."""
    r = module.rect
    return {"id": module.dom_id, "article": module.article.id, "href": f"a/{module.article.id}.html",
            "label": words.module_label(module),
            "x": round(r.x * images.sx, 2), "y": round(r.y * images.sy, 2),
            "w": round(r.w * images.sx, 2), "h": round(r.h * images.sy, 2)}


def _modified(issue: Issue, art_id: str) -> str:
    """JSON-LD dateModified: the article's last 更正 (epaper correct), else the issue date."""
    from ...source.corrections import last_correction

    when = last_correction(issue, art_id)
    return when.isoformat() if when else issue.date.isoformat()


def write_issue(out: Path, issue: Issue, pages: list[PageLayout], pdf: Path | bytes, epub_path: Path | None,
                strings: Strings, layout: Layout, *, cache: DerivedCache, page_keys: Sequence[str] | None,
                executor: ProcessPoolExecutor | None, kept: Sequence[web_versions.Kept] = (),
                pending: Sequence[Future[None]] = ()) -> None:
    """Write the issue's folder into `out` (an empty staging folder): see the module docstring for what is in it.

    `pdf` is the print PDF (or its bytes) the pages are rasterised from; `pages` the placed pages whose module
    rectangles become the link areas; `kept` the earlier versions of a corrected issue that the pages list;
    `pending` the page images being drawn meanwhile (web_prefetch.prefetch). The pages are written from the images'
    planned sizes while the images are drawn; their files come last.
    """
    words = Words(web_strings(layout.folders, issue.paper.language), strings)
    env = template_env(layout.folders)
    stems = [page_stem(p.page) for p in pages]
    zoom_css, zoom_px = zoom_width(layout.width, layout.body_size)
    images = plan(pdf, "img", stems, zoom=zoom_px, cache=cache.folder)
    for p, im in zip(pages, images):
        if abs(im.trim_w - layout.width) > 1 or abs(im.trim_h - layout.height) > 1:
            raise EpaperError(f"page {p.page.number} of the PDF is {im.trim_w / MM:.1f} × {im.trim_h / MM:.1f} mm, "
                              f"the layout's {layout.width / MM:.1f} × {layout.height / MM:.1f} mm")

    # Downloads: the whole issue, each page, the EPUB.
    files = out / "files"
    files.mkdir()
    issue_pdf = files / f"{issue.slug}.pdf"
    if isinstance(pdf, bytes):
        issue_pdf.write_bytes(pdf)
    else:
        shutil.copyfile(pdf, issue_pdf)
    page_pdfs = [files / f"{issue.slug}-{p.page.number:02d}.pdf" for p in pages]
    split_pages(pdf, page_pdfs)
    downloads = [{"href": f"files/{issue_pdf.name}", "label": words.web["download_issue_pdf"],
                  "size": human_size(issue_pdf.stat().st_size), "type": "application/pdf"}]
    if epub_path is not None and Path(epub_path).is_file():
        epub = files / f"{issue.slug}.epub"
        shutil.copyfile(epub_path, epub)
        downloads.append({"href": f"files/{epub.name}", "label": words.web["download_epub"],
                          "size": human_size(epub.stat().st_size), "type": "application/epub+zip"})

    # Photos, each source file once (named after the first article showing it); decoding, resampling and WebP
    # encoding release the GIL, so threads use every core.
    sources: dict[Path, tuple[Photo, str]] = {}
    for _, article in issue.articles_in_order():
        for n, photo in enumerate(article.photos):
            sources.setdefault(photo.path, (photo, f"{article.id}-{n + 1}"))
    with ThreadPoolExecutor(max_workers=available_cpus()) as pool:
        written = pool.map(lambda item: write_photo(item[0], out / "img", item[1], cache=cache), sources.values())
        photo_files: dict[Path, list[Raster]] = dict(zip(sources, written))
    figures: dict[str, list[dict[str, Any]]] = {}
    for _, article in issue.articles_in_order():
        figures[article.id] = [figure(article, n, photo_files[photo.path], words)
                               for n, photo in enumerate(article.photos)]

    (out / CSS).write_text(stylesheet(layout.folders), encoding="utf-8")
    (out / ZOOM_JS).write_text(asset(layout.folders, ZOOM_JS), encoding="utf-8")
    masthead = _masthead_box(pages[0] if pages else None, images[0] if images else None)
    logo = masthead[1] if masthead else None
    title = words.web.fmt("site_title", paper=issue.paper.name)
    date_full = words.date_full(issue)
    site_url = issue.paper.site_url
    ipath = issue_path(issue) + "/"  # the issue folder from the site root
    page_list = [{"number": p.page.number, "name": p.page.name, "label": words.page_label(p.page),
                  "heading": words.page_heading(p.page), "href": f"{stem}.html", "thumb": im.thumb,
                  "articles": [{"id": m.dom_id, "article": m.article.id, "title": words.module_label(m),
                                "href": f"a/{m.article.id}.html"} for m in p.modules]}
                 for p, stem, im in zip(pages, stems, images)]
    # 报眼: each page's lead story with its page, as the front page's ear indexes the day's key stories
    ear = [{"href": pl["articles"][0]["href"], "title": pl["articles"][0]["title"], "page": pl["heading"]}
           for pl in page_list if pl["articles"]]
    common = {"issue": issue, "paper": issue.paper, "lang": issue.paper.language, "s": words.web, "ps": words.base,
              "site_title": title, "date_full": date_full, "pages": page_list, "downloads": downloads,
              "issue_number": words.base.fmt("issue_number", number=issue.number),
              "page_count": words.web.fmt("page_of", count=len(pages)), "paper_name": issue.paper.name,
              "ear": []}
    locale = issue.paper.language.replace("-", "_")

    def social(kind: str, heading: str, description: str, path: str, image: Raster | None, alt: str) -> dict:
        # og:url and og:image must be absolute: without a site_url they are left out (see social.html.jinja)
        return {"type": kind, "site_name": title, "title": heading, "description": description,
                "locale": locale, "url": web_site.absolute(site_url, path),
                "image": web_site.absolute(site_url, ipath + image.href) if image and site_url else "",
                "image_width": image.width if image else 0, "image_height": image.height if image else 0,
                "image_alt": alt, "published": issue.date.isoformat() if kind == "article" else ""}

    def render(name: str, target: Path, up: str, **context: Any) -> None:
        # `up` leads from the document to the issue folder, `root` to the site root (two folders above it).
        html = env.get_template(name).render(**{**common, **context}, up=up, root=up + "../../",
                                             feed_href=up + "../../" + web_site.FEED)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8", newline="\n")

    issue_description = ("；" if issue.paper.is_chinese else "; ").join(e["title"] for e in ear)
    modified = _modified(issue, "") if issue.corrections else issue.date.isoformat()
    versions = web_versions.version_list(words.web, list(kept), issue.version, modified)
    corrected = {c.article for c in issue.corrections}
    render("issue.html.jinja", out / "index.html", "", ear=ear, versions=versions,
           canonical=web_site.absolute(site_url, ipath + "index.html") or "index.html",
           social=social("website", f"{issue.paper.name} {date_full}", issue_description, ipath + "index.html",
                         images[0].thumb if images else None, words.web.fmt("page_image_alt",
                         page_label=page_list[0]["label"], name=pages[0].page.name) if pages else ""))
    for i, (p, stem, im, pdf_file) in enumerate(zip(pages, stems, images, page_pdfs)):
        regions = [region(m, im, words) for m in p.modules]
        alt = words.web.fmt("page_image_alt", page_label=page_list[i]["label"], name=p.page.name)
        heads = "；".join(a["title"] for a in page_list[i]["articles"])
        render("page.html.jinja", out / f"{stem}.html", "", page=page_list[i], image=im, regions=regions,
               prev=page_list[i - 1] if i > 0 else None, next=page_list[i + 1] if i + 1 < len(pages) else None,
               page_pdf={"href": f"files/{pdf_file.name}", "label": words.web["download_page_pdf"],
                         "size": human_size(pdf_file.stat().st_size), "type": "application/pdf"},
               image_alt=alt, zoom_css=zoom_css, ear=ear if i == 0 else [],
               regions_label=words.web.fmt("regions_label", page_label=page_list[i]["label"]),
               canonical=web_site.absolute(site_url, ipath + f"{stem}.html") or f"{stem}.html",
               social=social("website", f"{page_list[i]['heading']} · {issue.paper.name} {date_full}", heads,
                             ipath + f"{stem}.html", im.thumb, alt))

    # One article page per article, however many parts (转版) it is printed in.
    parts: dict[str, list[tuple[int, Module]]] = {}
    for i, p in enumerate(pages):
        for m in p.modules:
            parts.setdefault(m.article.id, []).append((i, m))
    order = list(parts)

    def link(art_id: str) -> dict[str, str]:
        return {"href": f"{art_id}.html", "title": words.label(issue.articles[art_id])}

    publisher = {"@type": "NewsMediaOrganization", "name": issue.paper.publisher or issue.paper.name}
    if site_url:
        publisher["url"] = site_url
    if logo is not None:
        publisher["logo"] = {"@type": "ImageObject", "url": web_site.absolute(site_url, ipath + logo.href)
                             or f"../{logo.href}", "width": logo.width, "height": logo.height}
    periodical: dict[str, Any] = {"@type": "Periodical", "name": issue.paper.name}
    if issue.paper.issn:
        periodical["issn"] = issue.paper.issn
    feed_articles = []
    for j, art_id in enumerate(order):
        article = issue.articles[art_id]
        first = parts[art_id][0][0]
        locations = []
        for i, m in parts[art_id]:
            # Where the part sits on its page, drawn over the thumbnail (whose pixels scale like the screen image's).
            im = images[i]
            k = im.thumb.width / im.screen.width
            spot = region(m, im, words)
            locations.append({"page": page_list[i], "thumb": im.thumb, "back": f"../{stems[i]}.html#r-{m.dom_id}",
                              **{key: round(spot[key] * k, 2) for key in ("x", "y", "w", "h")}})
        continued = [words.base.fmt("jump_to", page=pages[i].page.number) for i, _ in parts[art_id][1:]]
        href = f"a/{art_id}.html"
        image = photo_files[article.photos[0].path][-1] if article.photos else images[first].hidpi
        image_alt = figures[art_id][0]["alt"] if article.photos else words.web.fmt(
            "location_alt", page_label=page_list[first]["label"])
        authors = list(article.reporters) + list(article.correspondents)
        text = summary(article)
        data: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "NewsArticle",
            "headline": words.label(article), "description": text,
            "datePublished": issue.date.isoformat(), "dateModified": _modified(issue, art_id),
            "inLanguage": issue.paper.language,
            "author": [{"@type": "Person", "name": n} for n in authors] or [dict(publisher)],
            "publisher": publisher,
            "image": [web_site.absolute(site_url, ipath + image.href) or f"../{image.href}"],
            "isPartOf": {"@type": "PublicationIssue", "issueNumber": str(issue.number),
                         "datePublished": issue.date.isoformat(), "isPartOf": periodical},
            "printSection": page_list[first]["name"], "printPage": str(page_list[first]["number"]),
            "url": web_site.absolute(site_url, ipath + href) or f"{art_id}.html",
            "mainEntityOfPage": web_site.absolute(site_url, ipath + href) or f"{art_id}.html",
        }
        if article.kicker or article.subtitle:
            data["alternativeHeadline"] = " ".join(t for t in (article.kicker, article.subtitle) if t)
        searchable = [article.kicker, article.subtitle, *article.paragraphs, *(p.caption for p in article.photos)]
        feed_articles.append({"href": href, "title": words.label(article), "summary": text, "authors": authors,
                              "page": page_list[first]["href"], "text": "\n".join(t for t in searchable if t)})
        render("article.html.jinja", out / "a" / f"{art_id}.html", "../", article=article,
               heading=words.heading(article), label=words.label(article), blocks=article_blocks(article, words),
               figures=figures[art_id], page=page_list[first], locations=locations, continued="".join(continued),
               back=locations[0]["back"], page_url_from_root=ipath + page_list[first]["href"],
               others=[a for a in page_list[first]["articles"] if a["article"] != art_id],
               prev=link(order[j - 1]) if j > 0 else None, next=link(order[j + 1]) if j + 1 < len(order) else None,
               canonical=web_site.absolute(site_url, ipath + href) or f"{art_id}.html",
               social=social("article", words.label(article), text, ipath + href, image, image_alt),
               jsonld=_json_script(data), earlier=web_versions.article_versions(words.web, list(kept), art_id)
               if art_id in corrected else [])

    manifest = {
        "format": MANIFEST_FORMAT,
        "paper": {"name": issue.paper.name, "slug": issue.paper.slug, "language": issue.paper.language,
                  "site_url": site_url},
        "date": issue.date.isoformat(), "edition": issue.edition, "number": issue.number,
        "version": issue.version, "modified": modified,  # the kept earlier versions are read by web_versions
        "versions": [{k: v for k, v in row.items() if k in ("version", "datetime", "href")} for row in versions],
        "path": ipath, "title": title, "date_full": date_full,
        "issue_number": common["issue_number"], "page_count": common["page_count"],
        "pages": [{"number": pl["number"], "name": pl["name"], "label": pl["label"], "href": pl["href"],
                   "thumb": {"href": pl["thumb"].href, "width": pl["thumb"].width, "height": pl["thumb"].height},
                   "articles": [{"id": m.dom_id, "article": m.article.id, "title": words.module_label(m),
                                 "rect_mm": m.rect.mm()} for m in p.modules]}
                  for pl, p in zip(page_list, pages)],
        "articles": feed_articles,  # one per article page, in page order: feed, sitemaps, search, redirects
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    drawn = rasterise(pdf, out / "img", stems, zoom=zoom_px, cache=cache.folder, page_keys=page_keys,
                      executor=executor, pending=pending)
    if drawn != images:  # the pages above show the planned sizes: a difference is a bug, never a page to publish
        raise EpaperError(f"the web page images came out other than planned: {drawn} != {images}")
    if masthead is not None:
        zone, raster = masthead
        front = images[0]
        (out / raster.href).write_bytes(masthead_logo(pdf, zone, front.hidpi.width, front.trim_w, cache=cache.folder,
                                                      page_key=page_keys[0] if page_keys is not None else None))


def _masthead_box(page: PageLayout | None, images: PageImages | None) -> tuple[tuple[float, ...], Raster] | None:
    """The 报头 of the front page as the publisher's logo of the structured data: its zone (x, y, w, h in pt) and
    the logo file it becomes (PNG, at most 600 px wide, see web_images.logo_box); None when the front page has no
    masthead zone."""
    if page is None or images is None or "masthead" not in page.zones:
        return None
    z = page.zones["masthead"]
    zone = (z.x, z.y, z.w, z.h)
    *_, w, h = logo_box(zone, images.hidpi.width, images.trim_w)
    return zone, Raster("img/masthead.png", w, h)
