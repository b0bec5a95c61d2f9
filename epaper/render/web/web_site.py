"""A site root and the issue manifests in it; the site-wide files out: the marker, the search page, sitemaps, feed,
redirects.

    SITE/.epaper-site           marks a folder epaper made, so a build never writes over someone else's files
    SITE/search.html, search.js 检索 over every issue, with the index in SITE/search/ (web_search.py)
    SITE/feed.atom              the newest articles (Atom)
    SITE/sitemap.xml            every page and article; SITE/news-sitemap.xml: the articles of the last two days
                                (both need absolute URLs: written only when paper.toml sets site_url)
    SITE/redirects.json         old path → new path; a static redirect page stands at every old path

A site's URLs do not change (see web_manifest.issue_path); when a rebuilt issue no longer has an article page it
had (its file was renamed), the old path is added to redirects.json, pointing to the article of the same title or to the
issue, and a site owner may add entries by hand. Entries are never dropped unless a real page takes the path.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, Sequence

import jinja2

from ...atomic import write_atomic
from ...errors import Finding, InputError

MARKER = ".epaper-site"
MARKER_TEXT = "This folder is a web e-paper written by epaper; builds may replace any file in it.\n"
REDIRECTS = "redirects.json"
FEED = "feed.atom"
SITEMAP = "sitemap.xml"
NEWS_SITEMAP = "news-sitemap.xml"
FEED_ENTRIES = 50  # the newest articles in the feed
NEWS_DAYS = 2  # Google News sitemaps list articles of the last two days
REDIRECT_MARK = '<meta name="robots" content="noindex">'  # how a redirect page we wrote is recognised


# --- the marker ---------------------------------------------------------------------------------------------------

def _made_by_epaper(index: Path) -> bool:
    """A site root written before the marker existed: its index.html says so in its generator tag."""
    try:
        return '<meta name="generator" content="epaper">' in index.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return False


def claim_site_root(site_root: Path, *, force: bool = False) -> None:
    """Refuse a site root that holds files epaper did not write (no marker), unless forced; then mark it ours.

    An empty or missing folder, or one whose index.html epaper generated, is taken. Raises InputError (exit 2).
    """
    site_root = Path(os.path.abspath(site_root))  # "x/missing/.." is x: judge the folder it names
    marker = site_root / MARKER
    if marker.is_file():
        return
    if site_root.exists() and not site_root.is_dir():
        raise InputError(site_root, "the site root is a file, not a folder", key="--site",
                         hint="give --site a new or empty folder")
    # the marker's own temporary (write_atomic) is a build beside this one claiming the folder right now
    others = sorted(p.name for p in site_root.iterdir() if not p.name.startswith(f".{MARKER}.")) \
        if site_root.is_dir() else []
    if marker.is_file():
        return  # claimed meanwhile by a build running beside this one
    if others and not force and not _made_by_epaper(site_root / "index.html"):
        shown = ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
        raise InputError(site_root, f"not a web e-paper folder made by epaper (no {MARKER}) and not empty "
                                    f"({shown}); its files would be overwritten", key="--site",
                         hint="choose a new or empty folder, or pass --force-site to write into this one")
    site_root.mkdir(parents=True, exist_ok=True)
    write_atomic(marker, MARKER_TEXT)


# --- URLs ---------------------------------------------------------------------------------------------------------

def absolute(site_url: str, path: str) -> str:
    """A path from the site root as a URL under site_url ("" without one)."""
    return site_url + path if site_url else ""


def _iso_day(date: str, language: str = "zh") -> str:
    """An issue date as an RFC 3339 date-time (Atom wants one): midnight, in China Standard Time for Chinese
    papers (issues carry a day, not a time; the zone keeps the day the paper printed), else UTC."""
    return f"{date}T00:00:00+08:00" if language.lower().startswith("zh") else f"{date}T00:00:00Z"


# --- feed, sitemaps, redirects ------------------------------------------------------------------------------------

def articles_of(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every article of the manifests (newest issue first, then in page order), with its path from the root."""
    out = []
    for d in issues:
        for a in d.get("articles", []):
            out.append({**a, "issue": d, "path": d["path"] + a["href"]})
    return out


def write_feed(site_root: Path, env: jinja2.Environment, issues: list[dict[str, Any]], words: Any,
               language: str) -> Path:
    """SITE/feed.atom: the newest FEED_ENTRIES articles; ids are tag: URIs, links absolute under site_url or
    relative to the feed."""
    site_url = issues[0]["paper"].get("site_url", "") if issues else ""
    paper = issues[0]["paper"] if issues else {"name": "", "slug": "epaper"}
    entries = []
    for a in articles_of(issues)[:FEED_ENTRIES]:
        d = a["issue"]
        entries.append({"id": f"tag:epaper,{d['date']}:{d['paper']['slug']}/{d['path']}{a['href']}",
                        "title": a["title"], "updated": _iso_day(d["date"], d["paper"]["language"]),
                        "author": ", ".join(a.get("authors") or []) or d["paper"]["name"],
                        "href": absolute(site_url, a["path"]) or a["path"], "summary": a.get("summary", "")})
    updated = _iso_day(issues[0]["date"], language) if issues else "1970-01-01T00:00:00Z"
    text = env.get_template("feed.atom.jinja").render(
        lang=language, id=f"tag:epaper,2024:{paper['slug']}/feed", title=words.fmt("feed_title", paper=paper["name"]),
        updated=updated, self_href=absolute(site_url, FEED) or FEED, home_href=absolute(site_url, "index.html")
        or "index.html", entries=entries)
    target = site_root / FEED
    write_atomic(target, text)
    return target


def write_sitemaps(site_root: Path, env: jinja2.Environment, issues: list[dict[str, Any]]) -> list[Path]:
    """SITE/sitemap.xml (the archive, every issue's pages and articles) and SITE/news-sitemap.xml (the articles
    of the last NEWS_DAYS days, counted back from the newest issue so that a rebuild gives the same file).
    Written only with a site_url (the protocol wants absolute URLs); otherwise old ones are removed."""
    site_url = issues[0]["paper"].get("site_url", "") if issues else ""
    targets = [site_root / SITEMAP, site_root / NEWS_SITEMAP]
    if not site_url:
        for t in targets:
            t.unlink(missing_ok=True)
        return []
    urls = [{"loc": absolute(site_url, "index.html"), "lastmod": issues[0]["date"]}]
    for d in issues:
        urls.append({"loc": absolute(site_url, d["path"] + "index.html"), "lastmod": d["date"]})
        urls += [{"loc": absolute(site_url, d["path"] + p["href"]), "lastmod": d["date"]} for p in d["pages"]]
        urls += [{"loc": absolute(site_url, d["path"] + a["href"]), "lastmod": d["date"]}
                 for a in d.get("articles", [])]
    newest = dt.date.fromisoformat(issues[0]["date"])
    recent = [a for a in articles_of(issues)
              if (newest - dt.date.fromisoformat(a["issue"]["date"])).days < NEWS_DAYS]
    news = [{"loc": absolute(site_url, a["path"]), "publication": a["issue"]["paper"]["name"],
             "language": news_language(a["issue"]["paper"]["language"]), "date": a["issue"]["date"],
             "title": a["title"]} for a in recent]
    write_atomic(targets[0], env.get_template("sitemap.xml.jinja").render(urls=urls))
    write_atomic(targets[1], env.get_template("news-sitemap.xml.jinja").render(articles=news))
    return targets


def news_language(tag: str) -> str:
    """Google News wants ISO 639 codes, with zh-cn or zh-tw for Chinese."""
    lang = tag.lower()
    if lang.startswith("zh"):
        return "zh-tw" if any(t in lang for t in ("tw", "hk", "mo", "hant")) else "zh-cn"
    return lang.split("-")[0]


def read_redirects(site_root: Path) -> dict[str, str]:
    """SITE/redirects.json: {old path: new path}, both from the site root; a damaged file is an error."""
    file = site_root / REDIRECTS
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(file, f"expected a JSON object of old path → new path: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise InputError(file, "expected a JSON object of old path → new path (strings)")
    return data


def moved_articles(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, str]:
    """Article pages the old manifest of an issue had and the new one has not: old path → the new article of the
    same title, else the issue's 版面导航. Paths from the site root."""
    if not old:
        return {}
    base = new["path"]
    now = {a["href"]: a["title"] for a in new.get("articles", [])}
    by_title = {title: href for href, title in now.items()}
    moves = {}
    for a in old.get("articles", []):
        if a["href"] not in now:
            moves[old["path"] + a["href"]] = base + by_title.get(a["title"], "index.html")
    return moves


def _relative(from_path: str, to_path: str) -> str:
    return os.path.relpath(to_path, os.path.dirname(from_path) or ".").replace(os.sep, "/")


def write_redirects(site_root: Path, env: jinja2.Environment, words: Any, language: str,
                    moves: dict[str, str] | None = None, *, site_url: str = "") -> list[Path]:
    """Add `moves` to SITE/redirects.json and write a redirect page at every old path that has no real page.

    An entry whose old path holds a real page again (not one of ours) is dropped; chains a → b → c are followed,
    so every redirect page points at a live page. Returns the redirect pages."""
    table = read_redirects(site_root)
    table.update(moves or {})
    written = []
    for old in sorted(table):
        target_file = site_root / old
        if ".." in Path(old).parts or Path(old).is_absolute():
            raise InputError(site_root / REDIRECTS, f"{old!r}: expected a path inside the site root")
        if target_file.is_file() and REDIRECT_MARK not in target_file.read_text(encoding="utf-8", errors="replace"):
            del table[old]  # a real page is there again
            continue
        new, seen = table[old], {old}
        while new in table and new not in seen:  # follow a chain to its live end
            seen.add(new)
            new = table[new]
        if new in seen:  # a loop (a → b → a): no page would ever be reached, so none is written
            continue
        rel = _relative(old, new)
        html = env.get_template("redirect.html.jinja").render(
            lang=language, s=words, target=rel, canonical=absolute(site_url, new) or rel)
        write_atomic(target_file, html)
        written.append(target_file)
    if table or (site_root / REDIRECTS).exists():
        write_atomic(site_root / REDIRECTS, json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return written


def write_search_page(site_root: Path, env: jinja2.Environment, folders: Sequence[Path],
                      context: dict[str, Any]) -> Path:
    """SITE/search.html and its script, copied from the layout's web/ folder."""
    write_atomic(site_root / "search.html", env.get_template("search.html.jinja").render(**context))
    for folder in folders:  # the paper's layout first
        script = folder / "web" / "search.js"
        if script.is_file():
            write_atomic(site_root / "search.js", script.read_text(encoding="utf-8"))
            break
    return site_root / "search.html"


def no_site_url_note(paper: str) -> Finding:
    from ...codes import finding

    return finding("I700", f"no site_url for {paper}: no sitemap.xml or news-sitemap.xml written, canonical links "
                           "relative", where="paper.toml")
