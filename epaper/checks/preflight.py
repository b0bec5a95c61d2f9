"""An issue folder (and optionally its built files) in, every problem found out: `epaper check`'s library part.

A build stops at the first bad input; preflight goes on and lists them all. It reads the raw files first
(page plan, images, headlines, brackets), so those checks run even when the folder does not load. When it
does not, a repaired copy is made in a temporary folder — missing or broken images replaced by grey
placeholders, blank titles filled, the plan cut to the articles that load — and the layout, glyph and
resolution checks run on that copy, so one run reports every planted fault.

Findings carry the codes of `epaper.codes.CODES`. Locations are `file:line` where a line is known
(the same form InputError uses), else `page N, article 'id'` for layout findings.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Iterable, Iterator

from .. import text as textcheck
from ..codes import CODES, finding
from ..errors import EnvironmentProblem, Finding, InputError, LayoutError
from ..fonts import Palette, check_environment, load_palette
from ..layout import fontmetrics
from ..layout.grid import Layout, load_layout
from ..layout.place import layout_issue
from ..layout.types import LEAD_ROLE, PageLayout
from ..marks import marks_of
from ..model import Article, Issue
from ..paths import FONTS, LAYOUTS
from ..source.folder import find_paper_toml
from ..strings import Strings
from .folder import check_brackets, check_headlines, check_images, check_plan, error_where, read_raw, where_of
from .outputs import check_outputs
from .repair import Loaded, load

__all__ = ["CODES", "preflight", "exit_code"]

# The font role that draws each headline part (epaper/layout/headlines.py, headline_boxes); tests compare with a layout.
HEADLINE_ROLES = {"kicker": "serif-bold", "title": "sans", "subtitle": "sans-regular"}
BODY_ROLES = {"p": "serif", "h": "serif-bold"}
CAPTION_ROLE = "kai"
PPI_WARN, PPI_ERROR = 150.0, 100.0


def exit_code(findings: Iterable[Finding], strict: bool = False) -> int:
    """What `epaper check` exits with: 1 when an error (or, with --strict, a warning) was found, else 0."""
    bad = ("error", "warning") if strict else ("error",)
    return 1 if any(f.severity in bad for f in findings) else 0


# --- fonts and glyphs ----------------------------------------------------------------------------------------

def check_fonts(palette: Palette, palette_file: Path, findings: list[Finding]) -> bool:
    """E201 for every role whose file is missing, else for what check_environment finds; True if layout can run."""
    missing = [r for r in palette.roles.values() if not r.file.is_file()]
    lines = palette_file.read_text(encoding="utf-8").splitlines()
    for role in missing:
        install = f"apt-get install {role.package}" if role.package else "install the font"
        where = where_of(palette_file, _role_file_line(lines, role.role))
        findings.append(finding("E201", f"font role '{role.role}' needs {role.file} ('{role.family}'), which is not "
                                         "installed", where=where, hint=f"{install}, then fc-cache -f"))
    if missing:
        return False
    try:
        check_environment(palette)
    except EnvironmentProblem as exc:
        message = str(exc)
        hint = message[message.index("apt-get"):] if "apt-get" in message else None
        findings.append(finding("E201", message.split(": apt-get")[0], where="fontconfig", hint=hint))
    return True


def _role_file_line(lines: list[str], role: str) -> int | None:
    """Line of `file =` in the palette's [roles.<role>] table (headers there carry comments)."""
    header = re.compile(rf"^\s*\[roles\.(\"{re.escape(role)}\"|{re.escape(role)})\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return None
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("["):
            break
        if re.match(r"^\s*file\s*=", lines[i]):
            return i + 1
    return start + 1


def drawn_text(issue: Issue, strings: Strings) -> Iterator[tuple[Article | None, str, str, str]]:
    """(article or None for the page furniture, field, role, text) for everything the print page draws."""
    paper = issue.paper
    yield None, "name", "display", paper.name
    for key in ("name_latin", "cn", "issn", "publisher", "slogan"):
        yield None, key, "sans-regular", getattr(paper, key, "") or ""
    yield None, "lunar", "sans-regular", issue.lunar
    yield None, "weather", "sans-regular", issue.weather
    for page in issue.pages:
        yield None, f"pages[{page.number - 1}].name", "sans", page.name
        yield None, f"pages[{page.number - 1}].name", "sans-regular", page.name
        yield None, f"pages[{page.number - 1}].editor", "sans-regular", page.editor
        yield None, f"pages[{page.number - 1}].designer", "sans-regular", page.designer
    for _, article in issue.articles_in_order():
        for key, role in HEADLINE_ROLES.items():
            yield article, key, role, getattr(article, key)
        if article.kind == "article":
            yield article, "byline", LEAD_ROLE, strings.byline(article)
            for block in article.body:
                yield article, "body", BODY_ROLES[block.kind], block.text
                for mark in marks_of(block):  # a ruby reading is drawn in the body face too (epaper.marks)
                    if mark.kind == "ruby":
                        yield article, "body", BODY_ROLES[block.kind], mark.value
        for photo in article.photos[:1]:  # the print page places one photo per module
            caption = photo.caption if article.kind == "article" else " ".join(article.paragraphs)
            yield article, "caption", CAPTION_ROLE, caption
            yield article, "credit", CAPTION_ROLE, strings.photo_credit(photo.credit)


def check_glyphs(issue: Issue, palette: Palette, strings: Strings, loaded: Loaded, root: Path,
                 paper_file: Path, layout_folders: Iterable[Path], findings: list[Finding]) -> None:
    """E202: each character against the cmap of the face that draws it; located in the file it comes from."""
    reported: set[tuple[str, str, str]] = set()
    texts: dict[Path, str] = {}

    def text_of(file: Path) -> str:
        if file not in texts:
            try:
                texts[file] = file.read_text(encoding="utf-8-sig")
            except OSError:
                texts[file] = ""
        return texts[file]

    for article, field, role, value in drawn_text(issue, strings):
        if not value or role not in palette.roles:
            continue
        face = palette[role]
        if not face.file.is_file():
            continue
        metrics = fontmetrics.load_metrics(face.file, face.family, issue.paper.language)
        for ch in textcheck.missing_glyphs(value, metrics.has):
            if article is not None:
                candidates = [loaded.original(article.source, root)]
            else:
                candidates = [paper_file, root / "issue.toml"]
            candidates += [f / "strings.toml" for f in layout_folders]
            where = ""
            for file in candidates:
                offset = text_of(file).find(ch)
                if offset >= 0:
                    line, col = textcheck.position(text_of(file), offset)
                    where = f"{file}:{line}:{col}"
                    break
            key = (where or str(candidates[0]), ch, role)
            if key in reported:
                continue
            reported.add(key)
            subject = f"article '{article.id}' {field}" if article is not None else field
            findings.append(finding("E202", f"{textcheck.describe(ch)} in {subject} is not in '{face.family}' "
                                             f"({role}, {face.file.name})", where=where or str(candidates[0])))


# --- layout and photo resolution ------------------------------------------------------------------------------

def run_layout(issue: Issue, layout: Layout, palette: Palette, strings: Strings, loaded: Loaded,
               findings: list[Finding]) -> list[PageLayout]:
    """Layout findings (E30x, W30x); pages laid out for the resolution check (one by one after an error)."""
    def renumber(f: Finding) -> Finding:
        where = re.sub(r"\bpage (\d+)\b", lambda m: f"page {loaded.page_numbers.get(int(m.group(1)), m.group(1))}",
                       f.where)
        return dataclasses.replace(f, where=where)

    try:
        pages = layout_issue(issue, layout, palette, strings)
    except LayoutError as exc:
        findings.extend(renumber(f) for f in exc.findings)
        pages = []
        for page in issue.pages:  # the pages that do fit, for their warnings and the photo checks
            try:
                alone = layout_issue(dataclasses.replace(issue, pages=(page,)), layout, palette, strings)
            except LayoutError:
                continue
            pages += alone
            findings.extend(renumber(f) for p in alone for f in p.findings if f.severity != "error")
        return pages
    findings.extend(renumber(f) for p in pages for f in p.findings)
    return pages


def check_resolution(pages: list[PageLayout], loaded: Loaded, root: Path, findings: list[Finding]) -> None:
    """W404/E405 from each photo's placed rectangle (object-fit: cover); I406 for declared placeholders."""
    seen: set[tuple[Path, float]] = set()
    for page in pages:
        number = loaded.page_numbers.get(page.page.number, page.page.number)
        for module in page.modules:
            for ph in module.photos:
                photo = ph.photo
                if photo.path.resolve() in loaded.broken:
                    continue
                scale = max(ph.rect.w / photo.width_px, ph.rect.h / photo.height_px)  # pt per pixel
                ppi = 72 / scale
                key = (photo.path, round(ppi, 1))
                if key in seen:
                    continue
                seen.add(key)
                where = f"page {number}, article '{module.article.id}'"
                w_mm, h_mm = ph.rect.w / 72 * 25.4, ph.rect.h / 72 * 25.4
                size = f"{photo.width_px}×{photo.height_px} px over {w_mm:.0f}×{h_mm:.0f} mm"
                rel = os.path.relpath(loaded.original(photo.path, root), root)
                if ppi < PPI_ERROR:
                    findings.append(finding("E405", f"{rel}: {ppi:.0f} ppi ({size})", where=where))
                elif ppi < PPI_WARN:
                    findings.append(finding("W404", f"{rel}: {ppi:.0f} ppi ({size})", where=where))
                if photo.placeholder:
                    findings.append(finding("I406", f"{rel} is marked as a placeholder", where=where))


# --- the entry point -----------------------------------------------------------------------------------------

def preflight(issue_dir: Path | str, *, built_outputs: Iterable[Path | str] | None = None,
              fonts_dir: Path | None = None) -> list[Finding]:
    """Every problem of an issue folder (and of its built files when given), with code, severity, where, hint.

    `built_outputs`: paths of built files: .pdf (fonts embedded; *.press.pdf or PDF/X files get the press
    checks) and .epub (EPUBCheck). `fonts_dir`: the folder holding palette.toml (default: the repo's fonts/).
    Errors mean the issue must not go to press; see exit_code().
    """
    root = Path(issue_dir).resolve()
    findings: list[Finding] = []
    if not (root / "issue.toml").is_file():
        findings.append(finding("E100", "not an issue folder: issue.toml is missing", where=str(root)))
        return findings
    raw = read_raw(root, findings)
    check_plan(raw, findings)
    check_images(raw, findings)
    check_headlines(raw, findings)
    check_brackets(raw, findings)
    loaded = load(root, raw, findings)
    if loaded is not None:
        try:
            issue = loaded.issue
            try:
                layout = load_layout(LAYOUTS, issue.paper.layout)
            except InputError as exc:
                findings.append(finding("E100", exc.message, where=error_where(exc), hint=exc.hint or None))
                layout = None
            try:
                palette = load_palette(fonts_dir or FONTS, traditional=issue.paper.is_traditional)
            except InputError as exc:
                findings.append(finding("E100", exc.message, where=error_where(exc), hint=exc.hint or None))
                layout = None
            else:
                can_layout = check_fonts(palette, (fonts_dir or FONTS) / "palette.toml", findings)
            if layout is not None:
                strings = Strings(layout.folders, issue.paper.language)
                check_glyphs(issue, palette, strings, loaded, root, find_paper_toml(root), layout.folders, findings)
                if can_layout:
                    pages = run_layout(issue, layout, palette, strings, loaded, findings)
                    check_resolution(pages, loaded, root, findings)
        finally:
            if loaded.tmp is not None:
                loaded.tmp.cleanup()
    if built_outputs:
        findings.extend(check_outputs(built_outputs))
    return list(dict.fromkeys(findings))
