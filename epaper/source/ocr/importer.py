"""Raw OCR text files in, an issue folder that load_issue accepts out (one page per file), with ImportReport."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Sequence

from ...errors import EpaperError, InputError
from ...layout.grid import load_layout
from ...model import Issue
from ..folder import ARTICLE_ID, load_article, load_issue, load_paper
from .assemble import Article, Context, assemble, early, headline
from .decode import Decoded, decode
from .log import Doubt, Log
from .options import ImportOptions
from .report import ArticleSummary, Fragment, HanCheck, ImportReport, SourceFile
from .segment import segment
from .text import Traced, is_han
from .write import UNPLACED_ID, PlacedArticle, paper_toml, write_folder

REVIEW_FILE = "REVIEW.md"
LAYOUTS = Path(__file__).resolve().parents[3] / "layouts"  # the same folder epaper.build reads
DATE_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def import_text(files: Sequence[Path | str], out: Path | str, *, date: dt.date | None = None,
                paper: Path | str | None = None, encoding: str | None = None,
                options: ImportOptions = ImportOptions()) -> ImportReport:
    """Import OCR text files as one issue: each file is one page (page 1 uses template "front", the others
    "inside"), articles in input order. `date` defaults to the output folder's name (YYYY-MM-DD), else today.
    `paper` is copied into the issue folder unless it is already the paper.toml above `out`; without one, the
    paper.toml above `out` is used, or a minimal one is written. Nothing in `out` is touched unless the whole
    import succeeds; an existing non-empty `out` needs options.overwrite."""
    paths = [Path(f) for f in files]
    if not paths:
        raise InputError(Path(out), "no input files given", hint="name one OCR text file per page")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not options.overwrite:
        raise InputError(out, "the output folder already exists and is not empty",
                         hint="choose a new folder, or overwrite it (--overwrite)")
    for p in paths:
        if not p.is_file():
            raise InputError(p, "no such input file")
    paper_path = Path(paper) if paper is not None else None
    if paper_path is not None:
        if not paper_path.is_file():
            raise InputError(paper_path, "no such paper.toml")
        load_paper(paper_path)  # a bad paper.toml fails now, before anything is written
    log = Log(paths)
    decoded = [decode(p.read_bytes(), p, encoding) for p in paths]
    script = _script(decoded)
    style = options.quote_style
    if style == "auto":
        style = "corner" if script == "traditional" and not any("“" in d.text for d in decoded) else "curly"
    ctx = Context(log, options, style, script)

    raw_lines = [d.text.split("\n") for d in decoded]
    found = []
    unplaced: list[Traced] = []
    for idx, lines in enumerate(raw_lines):
        traced = [early(Traced.of_line(idx, n, s), log, options) for n, s in enumerate(lines, 1)]
        drafts, loose, cols = segment(traced, idx, log)
        found.append((drafts, cols))
        unplaced += loose
    heads = [[headline([u.text for u in d.head], ctx) if d.head else (None, None, None) for d in drafts]
             for drafts, _ in found]  # all headlines first: their quoted spacing guides the bodies
    pages: list[list[PlacedArticle]] = []
    page_of_file: dict[int, int] = {}
    for idx, (drafts, cols) in enumerate(found):
        articles = [assemble(d, cols, ctx, h) for d, h in zip(drafts, heads[idx])]
        page: list[PlacedArticle] = []
        for art in articles:
            if not any(kind == "p" for kind, _ in art.body):
                pieces = sorted((t for t in [*(t for _, t in art.fields()), *art.labels] if t.text),
                                key=lambda t: next((p for p in t.pos if p), (0, 0, 0)))
                unplaced.append(Traced.join(pieces, " "))
                log.doubt("unplaced", pieces[0] if pieces else Traced.inserted(""), "headline or byline without "
                          "any text after it")
                continue
            n = len(page) + 1
            number = len(pages) + 1
            page.append(PlacedArticle(f"p{number}-{n}" + ("-photo" if art.kind == "photo-news" else ""), number, art))
        if page:
            pages.append(page)
            page_of_file[idx] = len(pages)
    if not pages:
        raise InputError(paths[0], "no article found: no headline, dateline (本报讯, 新华社…电) or photo caption",
                         hint="check the file is the OCR text of a news page; see the import rules in README")
    unplaced.sort(key=lambda t: next((p for p in t.pos if p), (0, 0, 0)))
    fragments = [(paths[t.file].name, t.line, t) for t in unplaced]

    placeholders: list[str] = []
    if date is None:
        m = DATE_NAME.fullmatch(out.name)
        try:
            date = dt.date(*map(int, m.groups())) if m else None
        except ValueError:
            date = None
        if date is None:
            date = dt.date.today()
            placeholders.append(f"issue.toml date: today's date ({date}) was used; give --date or name the "
                                "folder YYYY-MM-DD")
    if options.number is None:
        placeholders.append("issue.toml number (总第N期): 1 is a placeholder")
    placeholders.append(f"issue.toml, every page: name (版名) and editor (责任编辑) are “{options.page_name}” / "
                        f"“{options.editor}”")
    paper_text, paper_copy = _paper(out, paper_path, script, placeholders)
    for page in pages:
        for placed in page:
            if placed.article.title is not None and placed.article.title.pos and placed.article.title.pos[0] is None:
                placeholders.append(f"articles/{placed.id}.md: the title is a placeholder (no headline was found)")
            for k, _ in enumerate(placed.article.photos):
                placeholders.append(f"articles/{placed.id}.md: photo {k + 1} is a grey placeholder image "
                                    "(placeholder = true); put the real photo in images/")

    out_parent = out.resolve().parent
    out_parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out_parent))
    try:
        write_folder(tmp, pages, paths, script, date, options.number or 1, options.number is not None,
                     options.page_name, options.editor, fragments, paper_text, paper_copy)
        issue, round_trip = _round_trip(tmp, pages)
        placeholders += _fit(issue)
        check = han_check(raw_lines, [p.article for page in pages for p in page], unplaced, round_trip, log)
        sources = [SourceFile(p, d.encoding, d.how, d.bom, d.newlines, d.script, len(raw_lines[i]),
                              page_of_file.get(i)) for i, (p, d) in enumerate(zip(paths, decoded))]
        report = ImportReport(
            issue_dir=out, sources=sources, articles=[_summary(p, paths) for page in pages for p in page],
            changes=log.changes, doubts=log.doubts,
            unplaced=[Fragment(paths[t.file], t.line, t.text) for t in unplaced], placeholders=placeholders,
            check=check, review_file=out / REVIEW_FILE)
        (tmp / REVIEW_FILE).write_text(report.markdown(), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def _script(decoded: list[Decoded]) -> str:
    scripts = Counter(d.script for d in decoded if d.script != "none")
    return "traditional" if scripts["traditional"] > scripts["simplified"] else "simplified"


def _paper(out: Path, given: Path | None, script: str, placeholders: list[str]) -> tuple[str | None, Path | None]:
    """(text of a paper.toml to write, file to copy): nothing when load_issue will find the right one above."""
    above = next((d / "paper.toml" for d in out.resolve().parents if (d / "paper.toml").is_file()), None)
    if given is not None:
        if above is not None and above.resolve() == given.resolve():
            return None, None
        return None, given
    if above is not None:
        paper = load_paper(above)
        if (script == "traditional") != paper.is_traditional:
            placeholders.append(f"{above}: language is {paper.language} but the input is {script} Chinese")
        return None, None
    slug = out.resolve().parent.name.lower()
    placeholders.append("paper.toml: a minimal paper was written; its name is a placeholder")
    return paper_toml(script, slug if ARTICLE_ID.match(slug) else "imported"), None


def _summary(placed: PlacedArticle, paths: list[Path]) -> ArticleSummary:
    a = placed.article
    text = lambda t: t.text if t is not None else ""  # noqa: E731
    return ArticleSummary(
        id=placed.id, page=placed.page, kind=a.kind, kicker=text(a.kicker), title=text(a.title),
        subtitle=text(a.subtitle), dateline=text(a.dateline), reporters=tuple(n.text for n in a.reporters),
        correspondents=tuple(n.text for n in a.correspondents),
        credits=tuple(" ".join(n.text for n in p.credit) for p in a.photos),
        paragraphs=sum(k == "p" for k, _ in a.body), subheads=sum(k == "h" for k, _ in a.body),
        source=paths[a.file], lines=(a.first_line, a.last_line))


def han_check(raw_lines: list[list[str]], articles: list[Article], unplaced: list[Traced], round_trip: list[str],
              log: Log) -> HanCheck:
    """Find every Han character of the input again by its position in the finished articles."""
    source = {(f, n, c): ch for f, lines in enumerate(raw_lines) for n, s in enumerate(lines, 1)
              for c, ch in enumerate(s) if is_han(ch)}
    seen: dict[str, set] = {"placed": set(), "labels": set(), "unplaced": set()}
    added = 0
    order: list[tuple[int, int, int]] = []

    def take(t: Traced, bucket: str, ordered: bool) -> None:
        nonlocal added
        for ch, p in zip(t.text, t.pos):
            if not is_han(ch):
                continue
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
    found = set().union(*seen.values())
    missing = sorted(set(source) - found)
    lost: list[Doubt] = []
    for f, n, c in missing:
        lost.append(Doubt(log.files[f], n, "check", f"Han character {source[(f, n, c)]} (column {c + 1}) is in no "
                          "output", raw_lines[f][n - 1][max(0, c - 8):c + 8]))
    for d in lost:
        log.doubts.append(d)
    return HanCheck(input=len(source), placed=len(seen["placed"]), labels=len(seen["labels"]),
                    unplaced=len(seen["unplaced"]), added=added, missing=tuple(lost),
                    in_order=all(a < b for a, b in zip(order, order[1:])), round_trip=tuple(round_trip))


def _round_trip(folder: Path, pages: list[list[PlacedArticle]]) -> tuple[Issue | None, list[str]]:
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


def _fit(issue: Issue | None) -> list[str]:
    """Pages with more articles than their template has slots: the build would stop there (E301)."""
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
        elif len(page.articles) > len(template.slots):
            notes.append(f"issue.toml page {page.number}: {len(page.articles)} articles but template "
                         f"'{page.template}' has {len(template.slots)} slots; move some to another page")
    return notes
