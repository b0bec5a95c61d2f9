"""Earlier versions of a corrected issue on the web: the published issue folder in, its versions kept out.

When a build publishes version N+1 of an issue (`epaper correct`, then a build) over a site folder that holds
version N, version N is kept under the issue folder at a URL that never changes again:

    SITE/2024-12/20/index.html …        the current version (canonical; the only one in sitemaps, feed, search)
    SITE/2024-12/20/v1/index.html …     version 1 as readers saw it, its page images, PDFs and EPUB included

The kept pages are the published files, not a re-render (the inputs of version N are gone): files are hard
linked (copied where links fail), and each HTML page gets one more `../` on its links to the site root (it sits
one folder deeper), `<link rel="canonical">` to the same page of the current version, `noindex`, and a notice
saying which version it is with a link to the current one. The archive's manifests are read two folders deep
(web_manifest.read_manifests), so a kept version's issue.json is never listed as an issue of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ...strings import Strings
from . import web_site

VERSION_DIR = re.compile(r"v(\d+)$")
NOINDEX = '<meta name="robots" content="noindex, follow">'  # not REDIRECT_MARK: a kept page is a real page


@dataclass(frozen=True)
class Kept:
    """One earlier version to keep: its number, when it was published, the folder it is copied from."""

    version: int
    modified: str  # ISO date (the first version) or date-time with offset (a corrected one)
    source: Path
    articles: frozenset[str]  # the article ids it has a page for
    published_root: bool  # True: the issue folder as published (rewritten when kept); False: an already kept vN/


def _manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "issue.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _kept(folder: Path, data: dict[str, Any], version: int, published_root: bool) -> Kept:
    ids = frozenset(a["href"][2:-5] for a in data.get("articles", [])
                    if isinstance(a, dict) and str(a.get("href", "")).startswith("a/"))
    return Kept(version, str(data.get("modified") or data.get("date", "")), folder, ids, published_root)


def earlier_versions(target: Path, version: int) -> list[Kept]:
    """The versions before `version` that the published issue folder `target` holds: the vK/ folders it already
    kept, and the folder itself when it is an earlier version (issue.json without "version" is version 1)."""
    found: dict[int, Kept] = {}
    if not target.is_dir():
        return []
    for sub in target.iterdir():
        m = VERSION_DIR.match(sub.name)
        data = _manifest(sub) if m and sub.is_dir() else None
        if m and data is not None and int(m.group(1)) < version:
            found[int(m.group(1))] = _kept(sub, data, int(m.group(1)), False)
    data = _manifest(target)
    published = data.get("version", 1) if data else None
    if isinstance(published, int) and 1 <= published < version:
        found[published] = _kept(target, data, published, True)  # the folder readers see now wins over a stale vK/
    return [found[k] for k in sorted(found)]


def version_label(words: Strings, version: int) -> str:
    return words.fmt("version_original" if version == 1 else "version_corrected", n=version)


def version_time(words: Strings, iso: str) -> str:
    """A version's publication time in the paper's words: the date of the first, the date and time of a correction."""
    try:
        if "T" in iso:
            return words.fmt("version_time", t=dt.datetime.fromisoformat(iso))
        return words.fmt("version_date", t=dt.date.fromisoformat(iso))
    except ValueError:
        return iso


def version_list(words: Strings, kept: list[Kept], version: int, modified: str) -> list[dict[str, Any]]:
    """The issue page's 版本 list: every kept version (a link into vK/) and the current one (no link)."""
    rows = [{"version": k.version, "label": version_label(words, k.version), "when": version_time(words, k.modified),
             "datetime": k.modified, "href": f"v{k.version}/index.html", "current": False} for k in kept]
    if rows:
        rows.append({"version": version, "label": version_label(words, version),
                     "when": version_time(words, modified), "datetime": modified, "href": "", "current": True})
    return rows


def article_versions(words: Strings, kept: list[Kept], article_id: str) -> list[dict[str, str]]:
    """Links from a corrected article page (in a/) to the same article in each kept version that printed it."""
    return [{"label": version_label(words, k.version), "when": version_time(words, k.modified),
             "href": f"../v{k.version}/a/{article_id}.html"} for k in kept if article_id in k.articles]


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)  # the page images are the bulk: a link costs no space
    except OSError:
        shutil.copy2(src, dst)
    return dst


def keep(staging: Path, kept: list[Kept], env: jinja2.Environment, words: Strings, *,
         ipath: str, site_url: str, lang: str) -> list[Path]:
    """Copy each earlier version into staging/vK/ (the new issue folder before it is swapped in); the published
    folder's HTML is rewritten for its new place (see the module docstring). Returns the vK/ folders."""
    out = []
    for k in kept:
        dest = staging / f"v{k.version}"
        if not k.published_root:
            shutil.copytree(k.source, dest, copy_function=_link_or_copy)  # already rewritten when it was kept
            out.append(dest)
            continue
        skip = {p.name for p in k.source.iterdir() if VERSION_DIR.match(p.name)}
        shutil.copytree(k.source, dest, copy_function=_link_or_copy,
                        ignore=lambda d, names: skip & set(names) if Path(d) == k.source else set())
        # the notice never names the current version: a kept page is not rewritten when a later one comes
        notice_words = {"version": version_label(words, k.version), "when": version_time(words, k.modified)}
        for page in sorted(dest.rglob("*.html")):
            rel = page.relative_to(dest).as_posix()
            html = page.read_text(encoding="utf-8")
            page.unlink()  # a hard link: the published file must not change under its readers
            page.write_text(_rewrite(html, rel, env, words, notice_words, ipath=ipath, site_url=site_url, lang=lang),
                            encoding="utf-8", newline="\n")
        out.append(dest)
    return out


def _rewrite(html: str, rel: str, env: jinja2.Environment, words: Strings, notice: dict[str, str], *,
             ipath: str, site_url: str, lang: str) -> str:
    """One published page of the issue folder (at `rel` in it) made a page of its kept version one folder deeper."""
    depth = rel.count("/")
    to_root = "../" * (depth + 2)  # the issue folder is two folders below the site root
    # links to the site root (往期, 检索, the feed, other issues) climb one folder more; links within the issue
    # climb at most `depth` folders, so they are left as they are and stay inside the kept version
    html = re.sub(r'((?:href|src)=")' + re.escape(to_root) + r"(?!\.\./)", lambda m: m.group(1) + "../" + to_root,
                  html)
    now = "../" * (depth + 1) + rel  # the same page in the current version
    canonical = web_site.absolute(site_url, ipath + rel) or now
    html, n = re.subn(r'<link rel="canonical" href="[^"]*">', f'<link rel="canonical" href="{canonical}">', html)
    extra = NOINDEX if n else f'{NOINDEX}\n<link rel="canonical" href="{canonical}">'
    html = re.sub(r"<head>", lambda m: m.group(0) + "\n" + extra, html, count=1)
    banner = env.get_template("version-notice.html.jinja").render(s=words, lang=lang, href=now, **notice)
    html, n = re.subn(r"<main\b[^>]*>", lambda m: m.group(0) + "\n" + banner, html, count=1)
    if not n:
        html = re.sub(r"<body\b[^>]*>", lambda m: m.group(0) + "\n" + banner, html, count=1)
    return html
