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

from ...errors import InputError
from ..folder import ARTICLE_ID, load_paper
from .assemble import Context, assemble, early, headline
from .check import fit_notes, han_check, round_trip
from .decode import Decoded, decode
from .log import Log
from .options import ImportOptions
from .report import ArticleSummary, Fragment, ImportReport, SourceFile
from .segment import segment
from .text import Traced
from .write import IssueMeta, PlacedArticle, paper_toml, write_folder

REVIEW_FILE = "REVIEW.md"
DATE_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def import_text(files: Sequence[Path | str], out: Path | str, *, date: dt.date | None = None,
                paper: Path | str | None = None, encoding: str | None = None,
                options: ImportOptions = ImportOptions()) -> ImportReport:
    """Import OCR text files as one issue: each file is one page (page 1 uses template "front", the others
    "inside"), articles in input order. `date` defaults to the output folder's name (YYYY-MM-DD), else today.
    `paper` is copied into the issue folder unless it is already the paper.toml above `out`; without one, the
    paper.toml above `out` is used, or a minimal one is written. `encoding` names the input encoding (default:
    detected per file). Nothing in `out` is touched unless the whole import succeeds; an existing non-empty `out`
    needs options.overwrite. Raises InputError for bad arguments, undecodable input or a page with no article."""
    paths, out, paper_path = _arguments(files, out, paper, options)
    log = Log(paths)
    decoded = [decode(p.read_bytes(), p, encoding) for p in paths]
    script = _script(decoded)
    style = options.quote_style
    if style == "auto":
        style = "corner" if script == "traditional" and not any("“" in d.text for d in decoded) else "curly"
    ctx = Context(log, options, style, script)
    raw_lines = [d.text.split("\n") for d in decoded]
    pages, unplaced, page_of_file = _pages(raw_lines, ctx)
    if not pages:
        raise InputError(paths[0], "no article found: no headline, dateline (本报讯, 新华社…电) or photo caption",
                         hint="check the file is the OCR text of a news page")
    date, placeholders = _date(date, out)
    placeholders += _placeholders(pages, options)
    paper_text, paper_copy = _paper(out, paper_path, script, placeholders)

    out_parent = out.resolve().parent
    out_parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out_parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; the issue folder is an ordinary folder
        meta = IssueMeta([p.name for p in paths], script, date, options.number or 1, options.number is not None,
                         options.page_name, options.editor)
        write_folder(tmp, meta, pages, [(paths[t.file].name, t.line, t) for t in unplaced], paper_text, paper_copy)
        issue, differences = round_trip(tmp, pages)
        placeholders += fit_notes(issue)
        check = han_check(raw_lines, [p.article for page in pages for p in page], unplaced, differences, log)
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _arguments(files: Sequence[Path | str], out: Path | str, paper: Path | str | None,
               options: ImportOptions) -> tuple[list[Path], Path, Path | None]:
    """Every argument checked before anything is read or written."""
    paths = [Path(f) for f in files]
    out = Path(out)
    if not paths:
        raise InputError(out, "no input files given", hint="name one OCR text file per page")
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
        load_paper(paper_path)  # a bad paper.toml fails now, naming its line and key
    return paths, out, paper_path


def _start(t: Traced) -> tuple[int, int, int]:
    return next((p for p in t.pos if p), (0, 0, 0))


def _pages(raw_lines: list[list[str]], ctx: Context) -> tuple[list[list[PlacedArticle]], list[Traced], dict[int, int]]:
    """Every file segmented and its articles assembled: one page per file that has an article. An article with no
    text (a headline or byline alone) goes to the unplaced text, which comes back sorted by input position."""
    log, options = ctx.log, ctx.options
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
        page: list[PlacedArticle] = []
        for art in (assemble(d, cols, ctx, h) for d, h in zip(drafts, heads[idx])):
            if not any(kind == "p" for kind, _ in art.body):
                pieces = sorted((t for t in [*(t for _, t in art.fields()), *art.labels] if t.text), key=_start)
                if pieces:
                    unplaced.append(Traced.join(pieces, " "))
                    log.doubt("unplaced", pieces[0], "headline or byline without any text after it")
                continue
            number = len(pages) + 1
            suffix = "-photo" if art.kind == "photo-news" else ""
            page.append(PlacedArticle(f"p{number}-{len(page) + 1}{suffix}", number, art))
        if page:
            pages.append(page)
            page_of_file[idx] = len(pages)
    return pages, sorted(unplaced, key=_start), page_of_file


def _date(date: dt.date | None, out: Path) -> tuple[dt.date, list[str]]:
    """The given date, else the folder's name as YYYY-MM-DD, else today (said in the report)."""
    if date is not None:
        return date, []
    m = DATE_NAME.fullmatch(out.name)
    try:
        return dt.date(*map(int, m.groups())), []  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        today = dt.date.today()
        return today, [f"issue.toml date: today's date ({today}) was used; give --date or name the folder "
                       "YYYY-MM-DD"]


def _placeholders(pages: list[list[PlacedArticle]], options: ImportOptions) -> list[str]:
    notes = [] if options.number is not None else ["issue.toml number (总第N期): 1 is a placeholder"]
    notes.append(f"issue.toml, every page: name (版名) and editor (责任编辑) are “{options.page_name}” / "
                 f"“{options.editor}”")
    for page in pages:
        for placed in page:
            title = placed.article.title
            if title is not None and title.pos and title.pos[0] is None:
                notes.append(f"articles/{placed.id}.md: the title is a placeholder (no headline was found)")
            for k, _ in enumerate(placed.article.photos):
                notes.append(f"articles/{placed.id}.md: photo {k + 1} is a grey placeholder image "
                             "(placeholder = true); put the real photo in images/")
    return notes


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
