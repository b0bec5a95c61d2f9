"""A web e-paper site root in; its OPDS 1.2 acquisition catalog out: SITE/opds.xml (+ opds-2.xml … when paged).

Every issue the site root holds (the web writer's SITE/<YYYY-MM>/<DD>/issue.json manifests) is one entry, newest
first, PAGE_SIZE entries a page, linked first/previous/next/last. Each entry offers what lies in the issue's
files/ folder — EPUB, Kobo kepub, Kindle EPUB, AZW3, the whole-issue PDF — with a JPEG cover and thumbnail of the
front page, so KOReader, Thorium, Calibre and other OPDS readers can subscribe to the paper. Links are relative to
the feed, so the site works under any address, including `epaper serve`. The feed carries no wall-clock time:
<updated> is the newest issue's date, and the same site gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any, Sequence

import jinja2
from PIL import Image

from ...atomic import write_atomic
from ...model import Issue
from ...paths import LAYOUTS
from ...strings import Strings
from ..epub.epub_meta import ID_NAMESPACE, epub_language
from .web_manifest import issue_path, read_manifests
from ..templates import BYTECODE

TEMPLATES = LAYOUTS / "base" / "opds"
FEED = "opds.xml"
PAGE_SIZE = 25
COVER = "cover.jpg"  # in each issue's files/: the front page, 1200 px high
THUMBNAIL = "cover-thumb.jpg"  # 240 px high: OPDS readers show it in their lists
COVER_HEIGHT, THUMB_HEIGHT = 1200, 240
# What an issue's files/ folder may offer, by file-name ending: (media type, strings key), in the order listed.
ACQUISITIONS = ((".kepub.epub", "application/kepub+zip", "format_kepub"),
                (".kindle.epub", "application/epub+zip", "format_kindle"),
                (".epub", "application/epub+zip", "format_epub"),
                (".azw3", "application/vnd.amazon.ebook", "format_azw3"),
                (".pdf", "application/pdf", "format_pdf"))
EDITIONS = (".kepub.epub", ".kindle.epub", ".azw3")  # copied from the build into the site beside the EPUB


def publish(site_root: Path, issue: Issue, built: Sequence[Path]) -> list[Path]:
    """Put the issue's e-reader editions and cover images into its files/ folder, then rewrite the catalog.

    built: the files this build wrote (EPUB, kepub, …); the web writer has already copied the EPUB and PDF.
    Returns the catalog pages written.
    """
    files = Path(site_root) / issue_path(issue) / "files"
    files.mkdir(parents=True, exist_ok=True)
    for path in built:
        if path.name.endswith(EDITIONS) and path.is_file():
            _copy(path, files / path.name)
    epub = files / f"{issue.slug}.epub"
    if epub.is_file():
        write_covers(epub, files)
    return write_catalog(Path(site_root), issue.paper.language)


def _copy(source: Path, target: Path) -> None:
    write_atomic(target, lambda tmp: shutil.copyfile(source, tmp))


def write_covers(epub: Path, folder: Path) -> None:
    """cover.jpg and cover-thumb.jpg from the EPUB's cover image (JPEG: every OPDS reader decodes it)."""
    with zipfile.ZipFile(epub) as zf:
        name = next((n for n in sorted(zf.namelist()) if n.startswith("EPUB/images/cover.")), None)
        if name is None:
            return
        data = zf.read(name)
    with Image.open(io.BytesIO(data)) as im:
        im = im.convert("RGB")
        for target, height in ((folder / COVER, COVER_HEIGHT), (folder / THUMBNAIL, THUMB_HEIGHT)):
            scaled = im.resize((max(1, round(im.width * height / im.height)), height), Image.Resampling.LANCZOS) \
                if im.height > height else im
            buf = io.BytesIO()
            scaled.save(buf, "JPEG", quality=85, optimize=True)
            write_atomic(target, buf.getvalue())


def _entry(d: dict[str, Any], site_root: Path, words: Strings) -> dict[str, Any]:
    """One issue's entry: links to what its files/ folder holds, relative to the site root."""
    paper, date = d["paper"], dt.date.fromisoformat(d["date"])
    edition = d.get("edition", "")
    slug = f"{paper['slug']}-{d['date']}" + (f"-{edition}" if edition else "")  # Issue.slug, from the manifest
    path = d["path"]
    files = site_root / path / "files"
    links = []
    taken: set[str] = set()
    for ending, media_type, key in ACQUISITIONS:
        name = slug + ending
        if name in taken or not (files / name).is_file():
            continue
        taken.add(name)
        links.append({"href": f"{path}files/{name}", "type": media_type, "title": words[key],
                      "length": (files / name).stat().st_size})
    key = "|".join((paper["name"], d["date"], d.get("edition", "")))
    language = epub_language(_PaperTag(paper.get("language", "zh-CN")))
    return {"id": f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, key)}",  # the EPUB's own identifier (epub_meta)
            "title": words.fmt("entry_title", paper=paper["name"], date=date),
            "updated": f"{date.isoformat()}T00:00:00Z", "date": date.isoformat(), "author": paper["name"],
            "language": language,
            "summary": words.fmt("summary", issue_number=d.get("issue_number", ""), page_count=d.get("page_count", "")),
            "series": paper["name"], "series_label": words.fmt("series_label", paper=paper["name"],
                                                               number=d.get("number", "")),
            "cover": f"{path}files/{COVER}" if (files / COVER).is_file() else "",
            "thumbnail": f"{path}files/{THUMBNAIL}" if (files / THUMBNAIL).is_file() else "",
            "acquisitions": links, "html": f"{path}index.html", "html_title": words["web"]}


class _PaperTag:
    """The two attributes epub_language reads, from a manifest's language tag."""

    def __init__(self, language: str) -> None:
        self.language = language
        lang = language.lower()
        self.is_traditional = "hant" in lang or lang in ("zh-tw", "zh-hk", "zh-mo")


def page_name(n: int) -> str:
    return FEED if n == 1 else f"opds-{n}.xml"


def write_catalog(site_root: Path, language: str = "zh-CN") -> list[Path]:
    """Rewrite SITE/opds.xml and its further pages from the manifests; stale pages beyond the last are removed."""
    site_root = Path(site_root)
    issues = read_manifests(site_root)  # newest first
    words = Strings((TEMPLATES,), language)
    papers = list(dict.fromkeys(d["paper"]["name"] for d in issues))
    title = words.fmt("title", paper=papers[0]) if len(papers) == 1 else words["title_many"]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, bytecode_cache=BYTECODE)
    template = env.get_template("feed.xml.jinja")
    entries = [_entry(d, site_root, words) for d in issues]
    chunks = [entries[i:i + PAGE_SIZE] for i in range(0, len(entries), PAGE_SIZE)] or [[]]
    updated = entries[0]["updated"] if entries else "1970-01-01T00:00:00Z"
    feed_id = f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, 'opds|' + '|'.join(sorted(papers)))}"
    written = []
    for n, chunk in enumerate(chunks, 1):
        xml = template.render(language=language, feed_id=feed_id, title=title, updated=updated,
                              author=papers[0] if len(papers) == 1 else title, self_href=page_name(n),
                              last_href=page_name(len(chunks)),
                              previous_href=page_name(n - 1) if n > 1 else "",
                              next_href=page_name(n + 1) if n < len(chunks) else "", entries=chunk)
        target = site_root / page_name(n)
        write_atomic(target, xml)
        written.append(target)
    for stale in site_root.glob("opds-*.xml"):
        if stale not in written:
            stale.unlink()
    return written
