"""An Issue in; the EPUB's package metadata out: language tag, identifier, timestamp, title, contributors, a11y."""

from __future__ import annotations

import datetime as dt
import uuid

from ...environment import source_date_epoch
from ...model import Issue, Paper
from ...strings import Strings

# Fixed for ever: the identifier of every EPUB epaper writes is uuid5(this, paper|date|edition).
# Changing it would make reading systems and libraries treat every back issue as a new book.
ID_NAMESPACE = uuid.UUID("5d0f6a2e-8c1b-5e43-9a57-2f1e4b7c9d30")


def epub_language(paper: Paper) -> str:
    """The BCP 47 tag for dc:language, the package's xml:lang and every content document's lang/xml:lang.

    Chinese gets an explicit script subtag and keeps the paper's region: zh-CN → zh-Hans-CN,
    zh-TW → zh-Hant-TW, zh-HK → zh-Hant-HK, zh → zh-Hans, zh-Hant stays. Why:
    - Apple Books requires the script for Chinese books, zh-Hans or zh-Hant, in the OPF
      (Apple Books Asset Guide, “Languages”); WebKit and Blink also pick Simplified or Traditional
      glyph forms (骨, 直, 令 differ) and fallback fonts from the script of `lang`.
    - Kindle picks its font set (简体 / 繁体 / Latin) from dc:language alone: zh and zh-CN give the
      Simplified fonts, zh-TW and zh-HK the Traditional ones (bookfere.com/post/433). “zh” stays the
      primary subtag and the region stays at the end, so that signal survives the inserted script.
    Other languages pass through unchanged.
    """
    parts = paper.language.split("-")
    if parts[0].lower() != "zh":
        return paper.language
    rest = parts[1:]
    scripts = [p.title() for p in rest if len(p) == 4 and p.isalpha()]
    regions = [p.upper() for p in rest if (len(p) == 2 and p.isalpha()) or (len(p) == 3 and p.isdigit())]
    others = [p for p in rest if p.title() not in scripts and p.upper() not in regions]
    script = scripts[0] if scripts else ("Hant" if paper.is_traditional else "Hans")
    return "-".join(["zh", script, *regions, *others])


def book_identifier(issue: Issue) -> str:
    """urn:uuid from paper + date + edition: the same issue rebuilt keeps its identity in every library."""
    key = "|".join((issue.paper.name, issue.date.isoformat(), issue.edition))
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, key)}"


def modified_time(issue: Issue, modified: dt.datetime | None = None) -> dt.datetime:
    """The package's one timestamp (UTC): `modified` if given, else SOURCE_DATE_EPOCH, else the issue date 00:00.

    Never the wall clock: the same input must give the same bytes. A naive `modified` is taken as UTC.
    """
    if modified is not None:
        return modified.replace(tzinfo=dt.timezone.utc) if modified.tzinfo is None \
            else modified.astimezone(dt.timezone.utc)
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch
    return dt.datetime.combine(issue.date, dt.time(0, 0), dt.timezone.utc)


def epub_title(issue: Issue) -> str:
    """The paper's epub_title pattern filled in, e.g. “武进日报 2024年12月19日”."""
    return issue.paper.epub_title.format(paper=issue.paper.name, date=issue.date)


def contributors(issue: Issue) -> list[dict]:
    """Everyone credited, once each in reading order, with MARC relator roles and unique ids contributor-N.

    Writers (reporters, correspondents) are 'aut', photographers 'pht', page editors (责任编辑) 'edt'.
    """
    roles: dict[str, list[str]] = {}

    def add(name: str, role: str) -> None:
        name = name.strip()
        if name and role not in roles.setdefault(name, []):
            roles[name].append(role)

    for page in issue.pages:
        for art_id in page.articles:
            article = issue.articles[art_id]
            for name in (*article.reporters, *article.correspondents):
                add(name, "aut")
            for photo in article.photos:
                for name in photo.credit.split():
                    add(name, "pht")
        for name in page.editor.split():
            add(name, "edt")
    return [{"id": f"contributor-{i + 1}", "name": name, "roles": r} for i, (name, r) in enumerate(roles.items())]


def accessibility(has_images: bool, has_page_list: bool, estrings: Strings) -> dict:
    """schema.org accessibility metadata that is true of what write_epub produces (EPUB Accessibility 1.1)."""
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if has_images:
        features.append("alternativeText")
    if has_page_list:
        # printPageNumbers is the older term that some stores and checkers still look for.
        features += ["pageNavigation", "pageBreakMarkers", "printPageNumbers"]
    summary = estrings["a11y_summary"] + (estrings["a11y_summary_images"] if has_images else "")
    return {"modes": ["textual", "visual"] if has_images else ["textual"],
            # Every image has alt text and a caption, so text alone suffices, as does text with images.
            "sufficient": ["textual", "textual,visual"] if has_images else ["textual"],
            "features": features, "summary": summary}
