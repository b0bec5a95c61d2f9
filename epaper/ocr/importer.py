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

from ..errors import InputError
from ..source.decode import Decoded, decode
from ..source.folder import ARTICLE_ID, load_paper
from .assemble import Context, assemble, early, headline
from .check import fit_notes, han_check, round_trip
from .clean import Removed, clean, is_json, json_copy
from .log import Log
from .options import ImportOptions
from .plan import issue_toml, review_notes
from .report import ArticleSummary, Fragment, ImportReport, SourceFile
from .segment import segment
from .text import HAN_RE, Traced
from .units import Marks
from .write import IssueMeta, PlacedArticle, paper_toml, write_folder, write_removed

REVIEW_FILE = "REVIEW.md"
DATE_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MAX_BYTES = 8 * 1024 * 1024  # per input file: a page is some 20 KB; more is a whole archive, to be split first
MIN_HAN_SHARE = 0.3  # Han characters among letters below which the input is not Chinese copy
CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
LATIN = re.compile("[A-Za-z]")
WEEKDAY = re.compile("(?:星期|周|週|禮拜|礼拜)([一二三四五六日天])")
PRINTED_LABEL = re.compile("记者|記者|通讯员|通訊員|[摄攝]")  # what strings.toml prints around bylines and credits


def import_text(files: Sequence[Path | str], out: Path | str, *, date: dt.date | None = None,
                paper: Path | str | None = None, encoding: str | None = None,
                options: ImportOptions = ImportOptions()) -> ImportReport:
    """Import OCR text files as one issue: each file gives its page's articles in input order (plan.py chooses
    pages and templates). Text that is no article's goes to removed.txt with its reason. `date` defaults to the
    date the text states, else the output folder's name (YYYY-MM-DD), else today (the report says which).
    `paper` is copied into the issue folder unless it is already the paper.toml above `out`; without one, the
    paper.toml above `out` is used, or a minimal one is written. `encoding` names the input encoding (default:
    detected per file). Nothing in `out` is touched unless the whole import succeeds; an existing non-empty `out`
    needs options.overwrite. Raises InputError for bad arguments, undecodable, binary, non-Chinese or oversized
    input, or input with no article."""
    paths, out, paper_path = _arguments(files, out, paper, options)
    log = Log(paths)
    decoded = [decode(_read(p), p, encoding) for p in paths]
    for p, d in zip(paths, decoded):
        _refuse_non_text(p, d.text)
    script = _script(decoded)
    style = options.quote_style
    if style == "auto":
        style = "corner" if script == "traditional" and not any("“" in d.text for d in decoded) else "curly"
    ctx = Context(log, options, style, script)
    raw_lines = [d.text.split("\n") for d in decoded]
    pages, unplaced, removed, page_of_file, kinds, found_dates = _pages(raw_lines, ctx)
    if not pages:
        raise InputError(paths[0], "no article found: no headline, dateline (本报讯, 新华社…电) or photo caption",
                         hint="check the file is the OCR text of a news page")
    date, date_note, placeholders = _date(date, out, found_dates, paths)
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
        (tmp / "issue.toml").write_text(issue_toml(meta, pages, tmp), encoding="utf-8")
        write_removed(tmp, [(paths[r.text.file].name, r.text.line, r) for r in removed])
        issue, differences = round_trip(tmp, pages)
        placeholders += fit_notes(issue) + review_notes(tmp)  # review_notes: the page plan's (plan.py)
        check = han_check(raw_lines, [p.article for page in pages for p in page], unplaced, differences, log,
                          [r.text for r in removed])
        sources = [SourceFile(p, d.encoding, d.how, d.bom, d.newlines, d.script, len(raw_lines[i]),
                              page_of_file.get(i)) for i, (p, d) in enumerate(zip(paths, decoded))]
        report = ImportReport(
            issue_dir=out, sources=sources, articles=[_summary(p, paths) for page in pages for p in page],
            changes=log.changes, doubts=log.doubts,
            unplaced=[Fragment(paths[t.file], t.line, t.text) for t in unplaced], placeholders=placeholders,
            check=check, review_file=out / REVIEW_FILE,
            removed=[Fragment(paths[r.text.file], r.text.line, r.text.text, r.reason) for r in removed],
            date=date, date_note=date_note, kinds=kinds)
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


Found = tuple[list[list[PlacedArticle]], list[Traced], list[Removed], dict[int, int], dict[int, list[str]],
              list[tuple[dt.date, int, int, str]]]


def _pages(raw_lines: list[list[str]], ctx: Context) -> Found:
    """Every file cleaned, segmented and its articles assembled: one page per file that has an article. Text that
    is no article's (page furniture, site chrome, a headline or byline alone) is removed with its reason, and
    comes back sorted by input position; so does the (always empty) unplaced text."""
    log, options = ctx.log, ctx.options
    found = []
    unplaced: list[Traced] = []
    removed: list[Removed] = []
    kinds: dict[int, list[str]] = {}
    dates: list[tuple[dt.date, int, int, str]] = []
    for idx, lines in enumerate(raw_lines):
        cleaned = clean([Traced.of_line(idx, n, s) for n, s in enumerate(lines, 1)], options)
        kinds[idx] = cleaned.kinds
        dates += [(d, idx, n, how) for d, n, how in cleaned.dates]
        ctx.levels.update({(idx, n): level for n, level in cleaned.levels.items()})
        ctx.breaks.update((idx, n) for n in cleaned.breaks)
        if cleaned.classical:
            ctx.classical.add(idx)
        traced = [early(t, log, options) for t in cleaned.lines]
        drafts, dropped, cols = segment(traced, idx, log, Marks(cleaned.levels, cleaned.classical))
        found.append((drafts, cols))
        removed += cleaned.removed + dropped
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
                    why = "headline or byline without any text after it (its story is elsewhere, or it is page " \
                          "furniture)"
                    removed.append(Removed(why, Traced.join(pieces, " ")))
                    log.doubt("unplaced", pieces[0], why)
                continue
            removed += _unprinted_labels(art.labels)
            number = len(pages) + 1
            suffix = "-photo" if art.kind == "photo-news" else ""
            page.append(PlacedArticle(f"p{number}-{len(page) + 1}{suffix}", number, art))
        if page:
            pages.append(page)
            page_of_file[idx] = len(pages)
    return (pages, sorted(unplaced, key=_start), sorted(removed, key=lambda r: _start(r.text)), page_of_file, kinds,
            dates)


def _unprinted_labels(labels: list[Traced]) -> list[Removed]:
    """The words of a byline or credit the layout does not print: it sets 记者, 通讯员 and 摄 itself, so 本报 of
    本报记者, 文/图, 报道 and 新华社 of 新华社记者 are kept in removed.txt rather than lost."""
    out = []
    for label in labels:
        printed = {i for m in PRINTED_LABEL.finditer(label.text) for i in range(m.start(), m.end())}
        rest = label.delete_at(printed).strip()
        if HAN_RE.search(rest.text):
            out.append(Removed("byline or credit words the layout sets its own way (it prints 记者, 通讯员 and 摄 "
                               "itself)", rest))
    return out


def _date(date: dt.date | None, out: Path, found: list[tuple[dt.date, int, int, str]],
          paths: list[Path]) -> tuple[dt.date, str, list[str]]:
    """The given date; else the date the text states (its furniture's 2024年12月19日 星期四, a YYYY-MM-DD prefix,
    发布时间), the commonest if several; else the folder's name as YYYY-MM-DD; else today. Returns the date, one
    line saying where it came from, and notes for the report."""
    if date is not None:
        return date, f"issue date {date}: given with --date", []
    named = None
    m = DATE_NAME.fullmatch(out.name)
    if m:
        try:
            named = dt.date(*map(int, m.groups()))
        except ValueError:
            named = None
    if found:
        counts = Counter(d for d, *_ in found)
        best = max(counts, key=lambda d: (counts[d], -min(k for k, (x, *_) in enumerate(found) if x == d)))
        _, f, line, how = next(x for x in found if x[0] == best)
        note = f"issue date {best}: read from the text ({paths[f].name}:{line}: “{how}”)"
        notes = [] if named in (None, best) else [f"issue.toml date: the text says {best}, the folder's name says "
                                                  f"{named}; {best} was used"]
        if (w := WEEKDAY.search(how)) is not None and min("一二三四五六日".index(w.group(1).replace("天", "日")), 6) != best.weekday():
            notes.append(f"issue.toml date: the text says “{how}”, but {best} is not a {w.group()}; check the date")
        others = sorted(set(counts) - {best})
        if others:
            notes.append(f"issue.toml date: the text also names {', '.join(map(str, others))}; {best} was used")
        return best, note, notes
    if named is not None:
        return named, f"issue date {named}: from the folder's name (the text states no date)", []
    today = dt.date.today()
    return today, f"issue date {today}: today's date — the text states none; give --date", \
        [f"issue.toml date: today's date ({today}) was used; give --date or name the folder YYYY-MM-DD"]


def _read(path: Path) -> bytes:
    """The file's bytes, refusing one too large to be a page's text before reading it."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(path, f"{size / 1024 / 1024:.1f} MB is too large for one page's text (at most "
                               f"{MAX_BYTES // 1024 // 1024} MB)", hint="split it into one file per page")
    return path.read_bytes()


def _refuse_non_text(path: Path, text: str) -> None:
    """Binary data, or text that is mostly not Chinese, is not a newspaper page this importer can read."""
    controls = len(CONTROLS.findall(text))
    if controls > max(3, len(text) // 100):
        raise InputError(path, f"not text: {controls} control characters", hint="give the OCR text, not a binary file")
    if is_json(text):  # a cloud OCR result: its keys are Latin, its values the copy
        text = "".join(json_copy(text))
    han = len(HAN_RE.findall(text))
    letters = han + len(LATIN.findall(text))
    if letters and han < MIN_HAN_SHARE * letters:
        raise InputError(path, f"not Chinese copy: {han} of {letters} letters ({100 * han // letters}%) are Chinese "
                               f"characters", hint="epaper import-text reads the text of Chinese newspaper pages")


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
