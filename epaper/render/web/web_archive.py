"""A site root with its issue manifests, the layout folders and a language in; the site-wide files out.

    SITE/index.html              往期: every issue in the site root, newest first, by month
    SITE/web.css                 the stylesheet the site-wide pages share
    SITE/search.html, feed.atom, sitemap.xml, redirects… written by web_site.py and web_search.py

Everything is regenerated from the manifests (web_manifest.read_manifests), never from a build's memory, so an
issue built by one run and another built by the next both appear.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Sequence

from ...atomic import write_atomic
from ...errors import Finding
from . import web_search, web_site
from .web_manifest import read_manifests
from .web_theme import CSS, stylesheet, template_env, web_strings


def write_archive(site_root: Path, folders: Sequence[Path], language: str, *, moves: dict[str, str] | None = None,
                  findings: list[Finding] | None = None) -> Path:
    """Regenerate the site-wide files from the manifests in the site root, so separate runs add up: SITE/index.html
    (往期), the search page and its index, the feed, the sitemaps and the redirect pages (with `moves` added:
    old path → new path from the site root). Returns SITE/index.html."""
    site_root = Path(site_root)
    issues = read_manifests(site_root)
    words = web_strings(folders, language)
    env = template_env(folders)
    papers = list(dict.fromkeys(d["paper"]["name"] for d in issues))
    months: list[dict[str, Any]] = []
    for d in issues:
        date = dt.date.fromisoformat(d["date"])
        label = words.fmt("archive_month", date=date)
        if not months or months[-1]["label"] != label:
            months.append({"label": label, "id": f"{date:%Y-%m}", "issues": []})
        front = d["pages"][0] if d["pages"] else None
        months[-1]["issues"].append({**d, "front": front, "lead": front["articles"][0]["title"]
                                     if front and front["articles"] else ""})
    paper = papers[0] if len(papers) == 1 else ""
    site_url = issues[0]["paper"].get("site_url", "") if issues else ""
    title = words.fmt("archive_title", paper=paper).strip() if paper else words["archive"]
    context = {"lang": language, "s": words, "paper_name": paper or words["archive"], "root": "",
               "site_title": words.fmt("site_title", paper=paper) if paper else words["archive"],
               "feed_href": web_site.FEED}
    html = env.get_template("archive.html.jinja").render(
        **context, title=title, paper=paper, months=months, many_papers=len(papers) > 1,
        canonical=web_site.absolute(site_url, "index.html") or "index.html")
    write_atomic(site_root / CSS, stylesheet(folders))
    web_site.write_search_page(site_root, env, folders, context)
    web_site.write_feed(site_root, env, issues, words, language)
    if not web_site.write_sitemaps(site_root, env, issues) and issues and findings is not None:
        findings.append(web_site.no_site_url_note(issues[0]["paper"]["name"]))
    target = site_root / "index.html"
    write_atomic(target, html)
    web_site.write_redirects(site_root, env, words, language, moves, site_url=site_url)
    web_search.write_search_index(site_root, issues)
    return target
