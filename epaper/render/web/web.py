"""An issue, its page layouts and its print PDF in; the web e-paper (数字报) out: static HTML under stable URLs.

    SITE/index.html                          往期: every issue in the site root, newest first (web_archive.py)
    SITE/2024-12/19/index.html               版面导航: thumbnails of every page (this and the next four: web_issue.py)
    SITE/2024-12/19/page-01.html             the page as an image with a link over every article, 标题导航
    SITE/2024-12/19/a/<article-id>.html      the article's full text and photos
    SITE/2024-12/19/img/, files/             page images (1×, 2×, zoom, thumbnail), photos; PDF, page PDFs, EPUB
    SITE/2024-12/19/issue.json               the manifest the archive index is regenerated from (web_manifest.py)
    SITE/2024-12/19/v1/…                     a corrected issue's earlier versions, kept as published (web_versions.py)
    SITE/search.html, feed.atom, sitemap.xml…  site-wide files from every manifest (web_site.py, web_search.py)

Every link is relative, nothing is fetched from elsewhere (system fonts, the site's own two small scripts: page
zoom and search), and navigation is plain links that work without scripts. With `site_url` in paper.toml,
canonical links, Open Graph URLs and the sitemaps are absolute. Templates, stylesheet and words come from the
layouts' web/ folders (web_theme.py). This module writes an issue folder beside its final place and swaps it in,
so a failed build leaves the old one served, then regenerates the site-wide files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Sequence

from ...errors import Finding
from ...layout.grid import Layout
from ...layout.types import PageLayout
from ...model import Issue
from ...strings import Strings
from ...derived_cache import DerivedCache
from . import web_site, web_versions
from .web_archive import write_archive
from .web_issue import write_issue
from .web_manifest import MANIFEST, issue_path, read_manifest
from .web_theme import template_env, web_strings

# the web format's two entry points: an issue into the site (write_site) and the site-wide files (write_archive,
# which write_site calls and which a run that built several issues calls once more)
__all__ = ["write_archive", "write_site"]


def write_site(site_root: Path, issue: Issue, pages: list[PageLayout], pdf: Path | bytes, epub_path: Path | None,
               strings: Strings, *, layout: Layout, cache: Path | None = None,
               page_keys: Sequence[str] | None = None, executor: ProcessPoolExecutor | None = None,
               force_site: bool = False, findings: list[Finding] | None = None,
               pending: Sequence[Future[None]] = ()) -> list[Path]:
    """Write the issue's web e-paper under site_root/<YYYY-MM>/<DD>/ and regenerate the site-wide files.

    `pdf` is the print PDF the build wrote (or its bytes): pages are rasterised from it and its module rectangles
    (`pages`, the record layout.json holds) become the link areas. `epub_path`, when given, is offered for
    download. Returns the issue's index.html and the site's index.html.

    cache: a folder where page images and photo renditions are kept between builds (content-addressed; the
    output is the same bytes with or without it). page_keys: per page, a string that changes whenever the
    page's drawing does (e.g. the print stage's per-page cache key); without them keys are derived from the
    PDF (see web_images.rasterise). executor: a process pool to draw the pages in (default: drawn here, encoded
    in threads). force_site: write into a site root that epaper did not make (see web_site.claim_site_root).
    findings: notes of the site (I700) are appended here. pending: the page images being drawn into `cache`
    meanwhile (web_prefetch.prefetch); the pages are written before they are waited for.
    """
    site_root = Path(site_root)
    web_site.claim_site_root(site_root, force=force_site)
    target = site_root / issue_path(issue)
    old_manifest = read_manifest(target / MANIFEST)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*"):  # leftovers of an interrupted run
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    kept = web_versions.earlier_versions(target, issue.version)  # a corrected issue keeps what readers saw
    try:
        write_issue(staging, issue, pages, pdf, epub_path, strings, layout,
                    cache=DerivedCache(cache), page_keys=page_keys, executor=executor, kept=kept, pending=pending)
        web_versions.keep(staging, kept, template_env(layout.folders),
                          web_strings(layout.folders, issue.paper.language),
                          ipath=issue_path(issue) + "/", site_url=issue.paper.site_url, lang=issue.paper.language)
        os.chmod(staging, 0o755)
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    moves = web_site.moved_articles(old_manifest, read_manifest(target / MANIFEST) or {})
    archive = write_archive(site_root, layout.folders, issue.paper.language, moves=moves, findings=findings)
    DerivedCache(cache).prune()
    return [target / "index.html", archive]
