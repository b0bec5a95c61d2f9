"""An issue folder (and optionally its built files) in, every problem found out: `epaper check`'s library part.

A build stops at the first bad input; preflight goes on and lists them all. It reads the raw files first
(page plan, images, headlines, brackets), so those checks run even when the folder does not load. When it
does not, a repaired copy is made in a temporary folder — missing or broken images replaced by grey
placeholders, blank titles filled, the plan cut to the articles that load — and the layout, glyph and
resolution checks run on that copy, so one run reports every planted fault.

Findings carry the codes of `epaper.checks.codes.CODES`. Locations are `file:line` where a line is known
(the same form InputError uses), else `page N, article 'id'` for layout findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import re
import shutil
import tempfile
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from PIL import Image, ImageFile

from ..errors import EnvironmentProblem, Finding, InputError, LayoutError
from ..fonts import Palette, check_environment, load_palette
from ..layout.grid import Layout, load_layout
from ..layout.place import LEAD_ROLE, PageLayout, layout_issue
from ..model import Article, Issue
from ..source.folder import find_paper_toml, load_article, load_issue, split_front_matter
from ..source.schema import TomlSource
from ..strings import Strings
from . import text as textcheck
from .codes import CODES, finding
from .outputs import check_outputs

__all__ = ["CODES", "preflight", "exit_code"]

HOME = Path(__file__).resolve().parent.parent.parent
LAYOUTS = HOME / "layouts"
FONTS = HOME / "fonts"
# The font role that draws each headline part (epaper/layout/place.py, headline_boxes); tests compare with a layout.
HEADLINE_ROLES = {"kicker": "serif-bold", "title": "sans", "subtitle": "sans-regular"}
BODY_ROLES = {"p": "serif", "h": "serif-bold"}
CAPTION_ROLE = "kai"
PPI_WARN, PPI_ERROR = 150.0, 100.0
PLACEHOLDER_TITLE = "无题"


def exit_code(findings: Iterable[Finding], strict: bool = False) -> int:
    """What `epaper check` exits with: 1 when an error (or, with --strict, a warning) was found, else 0."""
    bad = ("error", "warning") if strict else ("error",)
    return 1 if any(f.severity in bad for f in findings) else 0


def _where(file: Path, line: int | None = None) -> str:
    return f"{file}:{line}" if line else str(file)


def _error_where(exc: InputError) -> str:
    return _where(exc.file, exc.line)


# --- the raw folder ------------------------------------------------------------------------------------------

@dataclasses.dataclass
class RawArticle:
    file: Path
    text: str
    src: TomlSource | None = None  # front matter, None when it does not parse
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)
    body: str = ""
    body_line: int = 1


@dataclasses.dataclass
class RawIssue:
    root: Path
    plan: list[tuple[int, list[str]]]  # (page index, article ids) as written
    plan_src: TomlSource | None
    articles: dict[str, RawArticle]  # by file stem, every articles/*.md
    broken_photos: dict[tuple[str, int], tuple[int, int] | None]  # (article id, photo index) → size if known


def read_raw(root: Path, findings: list[Finding]) -> RawIssue:
    raw = RawIssue(root, [], None, {}, {})
    issue_file = root / "issue.toml"
    if issue_file.is_file():
        src = TomlSource(issue_file, issue_file.read_text(encoding="utf-8"))
        try:
            data = src.parse()
        except InputError:
            data = None  # reported by the loader as E100
        if isinstance(data, dict) and isinstance(data.get("pages"), list):
            raw.plan_src = src
            for i, page in enumerate(data["pages"]):
                arts = page.get("articles") if isinstance(page, dict) else None
                raw.plan.append((i, [a for a in arts if isinstance(a, str)] if isinstance(arts, list) else []))
    for file in sorted((root / "articles").glob("*.md")) if (root / "articles").is_dir() else []:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            raw.articles[file.stem] = RawArticle(file, "")
            continue
        art = RawArticle(file, text)
        try:
            art.src, art.body, art.body_line = split_front_matter(file, text)
            meta = art.src.parse()
            art.meta = meta if isinstance(meta, dict) else {}
        except InputError:
            art.src = None
        raw.articles[file.stem] = art
    return raw


def check_plan(raw: RawIssue, findings: list[Finding]) -> None:
    """W101 files off the plan, E102 plan entries without a file, E103 duplicate ids."""
    if raw.plan_src is None:
        return
    src = raw.plan_src
    first_page: dict[str, int] = {}
    for index, ids in raw.plan:
        for art_id in ids:
            if art_id in first_page:
                findings.append(finding("E103", f"article '{art_id}' is listed twice in the page plan (already "
                                                f"listed on page {first_page[art_id] + 1})",
                                        where=_where(src.file, src.line_of(("pages", index, "articles")))))
                continue
            first_page[art_id] = index
            if re.fullmatch(r"page-\d+", art_id):
                findings.append(finding("E103", f"article id '{art_id}' is the anchor of a page",
                                        where=_where(src.file, src.line_of(("pages", index, "articles")))))
    for art_id, index in first_page.items():
        if art_id not in raw.articles:
            # the loader names the page of the first mention with the page number it expects, index + 1
            findings.append(finding("E102", f"article '{art_id}' has no file articles/{art_id}.md",
                                    where=_where(src.file, src.line_of(("pages", index, "articles")))))
    for art_id, art in raw.articles.items():
        if art_id not in first_page:
            findings.append(finding("W101", f"article file '{art.file.name}' is not on any page of the plan",
                                    where=str(art.file)))


@contextmanager
def strict_images() -> Iterator[None]:
    """Importing WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process; undo it for a check."""
    old = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = old


def check_images(raw: RawIssue, findings: list[Finding]) -> None:
    """E401 missing, E402 unreadable, E403 truncated: every photo of every article file, fully decoded."""
    for art_id, art in raw.articles.items():
        photos = art.meta.get("photos") if art.src else None
        if not isinstance(photos, list):
            continue
        for i, table in enumerate(photos):
            rel = table.get("file") if isinstance(table, dict) else None
            if not isinstance(rel, str):
                continue
            where = _where(art.file, art.src.line_of(("photos", i, "file")))
            target = (raw.root / rel).resolve()
            if not target.is_relative_to(raw.root):
                continue  # the loader's E100 says it lies outside the folder
            if not target.is_file():
                findings.append(finding("E401", f"image {rel!r} does not exist", where=where))
                raw.broken_photos[(art_id, i)] = None
                continue
            size = None
            try:
                with strict_images(), Image.open(target) as im:
                    size = im.size
                    im.load()
            except Exception as exc:  # Pillow raises many types for bad data
                message = str(exc)
                if size is not None and ("truncated" in message or "broken data stream" in message
                                         or isinstance(exc, (EOFError, SyntaxError))):
                    findings.append(finding("E403", f"image {rel!r} is truncated: {message}", where=where))
                else:
                    findings.append(finding("E402", f"image {rel!r} cannot be read: {message}", where=where))
                raw.broken_photos[(art_id, i)] = size


def check_headlines(raw: RawIssue, findings: list[Finding]) -> None:
    """E104 an article without a title; W105 a blank kicker, subtitle, dateline, caption or credit."""
    for art in raw.articles.values():
        if art.src is None:
            continue
        meta, src = art.meta, art.src
        kind = meta.get("kind", "article")
        title = meta.get("title", "")
        if kind == "article" and isinstance(title, str) and not title.strip():
            what = "the title is blank" if "title" in meta else "the article has no title"
            findings.append(finding("E104", what, where=_where(art.file, src.line_of(("title",)))))
        for key in ("kicker", "subtitle", "dateline") + (("title",) if kind != "article" else ()):
            value = meta.get(key)
            if isinstance(value, str) and not value.strip():
                findings.append(finding("W105", f"{key} is blank", where=_where(art.file, src.line_of((key,)))))
        for i, photo in enumerate(meta.get("photos") or []):
            if not isinstance(photo, dict):
                continue
            for key in ("caption", "credit"):
                value = photo.get(key)
                if isinstance(value, str) and not value.strip():
                    findings.append(finding("W105", f"photos[{i}].{key} is blank",
                                            where=_where(art.file, src.line_of(("photos", i, key)))))


def body_paragraphs(art: RawArticle) -> list[tuple[int, str]]:
    """(first line, text) of each Markdown paragraph or heading, soft-wrapped lines joined with newlines."""
    out: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    for n, line in enumerate(art.body.splitlines()):
        lineno = art.body_line + n
        if not line.strip():
            current = None
        elif line.lstrip().startswith("#"):
            out.append((lineno, [line]))
            current = None
        elif current is None:
            current = [line]
            out.append((lineno, current))
        else:
            current.append(line)
    return [(lineno, "\n".join(lines)) for lineno, lines in out]


def check_brackets(raw: RawIssue, findings: list[Finding]) -> None:
    """W106 over headline fields, captions and credits, and the body paragraph by paragraph."""
    for art in raw.articles.values():
        if art.src is None:
            continue
        fields: list[tuple[tuple, str]] = [((key,), art.meta[key]) for key in ("kicker", "title", "subtitle", "dateline")
                                           if isinstance(art.meta.get(key), str)]
        for i, photo in enumerate(art.meta.get("photos") or []):
            if isinstance(photo, dict):
                fields += [(("photos", i, key), photo[key]) for key in ("caption", "credit")
                           if isinstance(photo.get(key), str)]
        for path, value in fields:
            for u in textcheck.unbalanced(value):
                name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
                findings.append(finding("W106", f"{u.char} {u.problem} in {name}: …{_context(value, u.offset)}…",
                                        where=_where(art.file, art.src.line_of(path))))
        paragraphs = body_paragraphs(art)
        for n, u in textcheck.paragraph_unbalanced([p for _, p in paragraphs]):
            first_line, text = paragraphs[n]
            line, col = textcheck.position(text, u.offset)
            findings.append(finding("W106", f"{u.char} {u.problem} in the paragraph: …{_context(text, u.offset)}…",
                                    where=f"{art.file}:{first_line + line - 1}:{col}"))


def _context(text: str, offset: int, width: int = 8) -> str:
    return text[max(0, offset - width):offset + width + 1].replace("\n", " ")


# --- loading, with a repaired copy when the folder does not load ----------------------------------------------

def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int,)):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def dump_toml(data: dict[str, Any]) -> str:
    """A parsed TOML document back to text (nested tables inline): enough to rewrite a repaired copy."""
    return "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in data.items())


def _link_or_copy(src: str, dst: str) -> None:
    """Images are hard-linked when the file system allows; text files, which the repair rewrites, are copied."""
    if not src.endswith((".md", ".toml")):
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)


def _rewrite(path: Path, data: str) -> None:
    """Replace a file of the copy by a new one: never write through a hard link into the original."""
    path.unlink(missing_ok=True)
    path.write_text(data, encoding="utf-8")


@dataclasses.dataclass
class Loaded:
    issue: Issue
    root: Path  # the folder the issue was loaded from (a repaired copy, or the original)
    page_numbers: dict[int, int]  # page number in `issue` → page number in the original plan
    broken: set[Path]  # photo paths (in `root`) that are placeholders made by preflight
    tmp: tempfile.TemporaryDirectory | None = None

    def original(self, path: Path, original_root: Path) -> Path:
        try:
            return original_root / Path(path).relative_to(self.root)
        except ValueError:
            return Path(path)


def load(root: Path, raw: RawIssue, findings: list[Finding]) -> Loaded | None:
    """The issue as the build loads it, else a repaired copy of it; None when even that fails (E100 said why)."""
    try:
        issue = load_issue(root)
        broken = {(root / raw.articles[a].meta["photos"][i]["file"]).resolve() for a, i in raw.broken_photos}
        return Loaded(issue, issue.root, {p.number: p.number for p in issue.pages}, broken)
    except InputError as exc:
        first = exc
    covered = {f.where for f in findings if f.severity == "error"}
    tmp = tempfile.TemporaryDirectory(prefix="epaper-preflight-")
    try:
        loaded = _load_repaired(root, raw, findings, covered, Path(tmp.name))
    except BaseException:
        tmp.cleanup()
        raise
    if _error_where(first) not in covered and not any(f.where == _error_where(first) for f in findings):
        findings.append(finding("E100", first.message, where=_error_where(first), hint=first.hint or None))
    if loaded is None:
        tmp.cleanup()
        return None
    loaded.tmp = tmp
    return loaded


def _load_repaired(root: Path, raw: RawIssue, findings: list[Finding], covered: set[str], tmp: Path) -> Loaded | None:
    try:
        paper_file = find_paper_toml(root)
    except InputError:
        return None
    copy_paper = tmp / paper_file.parent.name
    copy = copy_paper / root.name if paper_file.parent != root else copy_paper
    shutil.copytree(root, copy, copy_function=_link_or_copy, ignore=shutil.ignore_patterns(".*"))
    if paper_file.parent != root:
        shutil.copy2(paper_file, copy_paper / "paper.toml")
    copy = copy.resolve()
    broken: set[Path] = set()
    for (art_id, index), size in raw.broken_photos.items():
        rel = raw.articles[art_id].meta["photos"][index]["file"]
        target = copy / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        width, height = size or (1200, 900)
        Image.new("L", (max(1, width), max(1, height)), 160).save(target, format="PNG")
        broken.add(target.resolve())
    loadable: set[str] = set()
    planned = {a for _, ids in raw.plan for a in ids}
    for art_id, art in raw.articles.items():
        if art_id not in planned:
            continue
        target = copy / "articles" / art.file.name
        if art.src is not None and art.meta.get("kind", "article") == "article" \
                and isinstance(art.meta.get("title", ""), str) and not art.meta.get("title", "").strip():
            meta = dict(art.meta, title=PLACEHOLDER_TITLE)
            _rewrite(target, f"+++\n{dump_toml(meta)}+++\n{art.body}\n")
        try:
            load_article(target, copy)
            loadable.add(art_id)
        except InputError as exc:
            where = _where(art.file, exc.line)
            if where not in covered:
                findings.append(finding("E100", exc.message + (f" ({exc.key})" if exc.key else ""), where=where,
                                        hint=exc.hint or None))
    # the plan: each article once, only those that load; pages left empty are dropped and renumbered
    issue_file = copy / "issue.toml"
    try:
        data = tomllib.loads(issue_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    pages = data.get("pages") if isinstance(data.get("pages"), list) else []
    placed: set[str] = set()
    kept, numbers = [], {}
    for i, page in enumerate(pages):
        if not isinstance(page, dict) or not isinstance(page.get("articles"), list):
            kept.append(page)
            numbers[len(kept)] = i + 1
            continue
        ids = []
        for art_id in page["articles"]:
            if art_id in loadable and art_id not in placed:
                ids.append(art_id)
                placed.add(art_id)
        if not ids:
            continue
        kept.append(dict(page, articles=ids, number=len(kept) + 1))
        numbers[len(kept)] = page.get("number", i + 1) if isinstance(page.get("number"), int) else i + 1
        if isinstance(page.get("pins"), dict):
            kept[-1]["pins"] = {k: v for k, v in page["pins"].items() if k in ids}
    data["pages"] = kept
    _rewrite(issue_file, dump_toml(data))
    try:
        issue = load_issue(copy)
    except InputError as exc:
        # paper.toml and issue.toml are read before any article: their errors are the original loader's (E100
        # from the caller); an article's error here was not seen above, so it is reported with its file
        file = Path(exc.file)
        if file.is_relative_to(copy) and file.parent.name == "articles":
            where = _where(root / file.relative_to(copy), exc.line)
            if where not in covered and not any(f.where == where for f in findings):
                findings.append(finding("E100", exc.message, where=where, hint=exc.hint or None))
        return None
    return Loaded(issue, issue.root, numbers, broken)


# --- fonts and glyphs ----------------------------------------------------------------------------------------

def check_fonts(palette: Palette, findings: list[Finding]) -> bool:
    """E201 for every role whose file is missing, else for what check_environment finds; True if layout can run."""
    missing = [r for r in palette.roles.values() if not r.file.is_file()]
    for role in missing:
        install = f"apt-get install {role.package}" if role.package else "install the font"
        findings.append(finding("E201", f"font role '{role.role}' needs {role.file} ('{role.family}'), which is not "
                                         "installed", where=f"palette role {role.role}",
                                hint=f"{install}, then fc-cache -f"))
    if missing:
        return False
    try:
        check_environment(palette)
    except EnvironmentProblem as exc:
        message = str(exc)
        hint = message[message.index("apt-get"):] if "apt-get" in message else None
        findings.append(finding("E201", message.split(": apt-get")[0], where="fontconfig", hint=hint))
    return True


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
        cmap = textcheck.font_cmap(str(face.file), face.family)
        for ch in textcheck.missing_glyphs(value, cmap):
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
        for page in issue.pages:  # the pages that do fit, for the photo checks
            try:
                pages += layout_issue(dataclasses.replace(issue, pages=(page,)), layout, palette, strings)
            except LayoutError:
                continue
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
                size = f"{photo.width_px}×{photo.height_px} px over {ph.rect.w / 72 * 25.4:.0f}×{ph.rect.h / 72 * 25.4:.0f} mm"
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
                findings.append(finding("E100", exc.message, where=_error_where(exc), hint=exc.hint or None))
                layout = None
            palette = load_palette(fonts_dir or FONTS, traditional=issue.paper.is_traditional)
            can_layout = check_fonts(palette, findings)
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
