"""The import's traced articles and the written folder in, the nothing-lost check and build notes out."""

from __future__ import annotations

from pathlib import Path

from ..errors import EpaperError
from ..layout.grid import load_layout
from ..model import Issue
from ..paths import LAYOUTS
from ..source.folder import load_article, load_issue
from .assemble import Article
from .log import Doubt, Log
from .report import HanCheck
from .text import HAN_RE, Traced
from .write import UNPLACED_ID, PlacedArticle


def han_check(raw_lines: list[list[str]], articles: list[Article], unplaced: list[Traced], differences: list[str],
              log: Log, removed: list[Traced] = []) -> HanCheck:  # noqa: B006 (read only)
    """Find every Han character of the input again by its position in the finished articles, unplaced.md or
    removed.txt."""
    source = {(f, n, m.start()): m.group() for f, lines in enumerate(raw_lines) for n, s in enumerate(lines, 1)
              for m in HAN_RE.finditer(s)}
    seen: dict[str, set] = {"placed": set(), "labels": set(), "unplaced": set(), "removed": set()}
    added = 0
    order: list[tuple[int, int, int]] = []

    def take(t: Traced, bucket: str, ordered: bool) -> None:
        nonlocal added
        for m in HAN_RE.finditer(t.text):
            ch, p = m.group(), t.pos[m.start()]
            if p is None or source.get(p) != ch:
                added += 1
                continue
            seen[bucket].add(p)
            if ordered:
                order.append(p)

    for art in articles:
        for name, t in art.fields():
            # Names and captions inside an article may come from elsewhere in its text (a byline at the end, a
            # photo between paragraphs): found, but not part of the order check.
            take(t, "placed", name not in ("reporters", "correspondents", "caption", "credit") or
                 art.kind == "photo-news")
        for t in art.labels:
            take(t, "labels", False)
    for t in unplaced:
        take(t, "unplaced", False)
    for t in removed:
        take(t, "removed", False)
    found = set().union(*seen.values())
    by_line: dict[tuple[int, int], str] = {}
    for f, n, c in sorted(set(source) - found):
        by_line[(f, n)] = by_line.get((f, n), "") + source[(f, n, c)]
    lost = [Doubt(log.files[f], n, "check", f"Han characters in no output: {chars}", raw_lines[f][n - 1][:40])
            for (f, n), chars in by_line.items()]
    log.doubts.extend(lost)
    return HanCheck(input=len(source), placed=len(seen["placed"]), labels=len(seen["labels"] - seen["removed"]),
                    unplaced=len(seen["unplaced"]), added=added, missing=tuple(lost),
                    in_order=all(a < b for a, b in zip(order, order[1:])), round_trip=tuple(differences),
                    removed=len(seen["removed"]))


def round_trip(folder: Path, pages: list[list[PlacedArticle]]) -> tuple[Issue | None, list[str]]:
    """Load the written folder as a build would and compare every field with what was meant to be written."""
    try:
        issue = load_issue(folder)
        if (folder / "articles" / f"{UNPLACED_ID}.md").is_file():
            load_article(folder / "articles" / f"{UNPLACED_ID}.md", folder.resolve())
    except EpaperError as exc:
        return None, [str(exc).replace(str(folder.resolve()), "<issue>")]
    problems: list[str] = []
    for page in pages:
        for placed in page:
            a, got = placed.article, issue.articles[placed.id]
            want = {"kicker": a.kicker, "title": a.title, "subtitle": a.subtitle, "dateline": a.dateline}
            for key, value in want.items():
                if (value.text if value is not None else "") != getattr(got, key):
                    problems.append(f"{placed.id}: {key}")
            if tuple(n.text for n in a.reporters) != got.reporters or \
                    tuple(n.text for n in a.correspondents) != got.correspondents:
                problems.append(f"{placed.id}: byline names")
            if [(k, t.text) for k, t in a.body] != [(b.kind, b.text) for b in got.body]:
                problems.append(f"{placed.id}: body")
            if [" ".join(n.text for n in p.credit) for p in a.photos] != [p.credit for p in got.photos]:
                problems.append(f"{placed.id}: photo credits")
    return issue, problems


def fit_notes(issue: Issue | None) -> list[str]:
    """Pages whose template is missing, or pins fewer slots than the page has articles: the build would stop."""
    if issue is None:
        return []
    try:
        layout = load_layout(LAYOUTS, issue.paper.layout)
    except EpaperError as exc:
        return [f"paper.toml layout: {exc}"]
    notes = []
    for page in issue.pages:
        template = layout.templates.get(page.template)
        if template is None:
            notes.append(f"issue.toml page {page.number}: layout '{layout.name}' has no template '{page.template}'")
        elif template.slots and len(page.articles) > len(template.slots):  # no slots: placed automatically
            notes.append(f"issue.toml page {page.number}: {len(page.articles)} articles but template "
                         f"'{page.template}' has {len(template.slots)} slots; move some to another page")
    return notes
