"""The raw files of an issue folder, read without the loader: page plan, images, headlines, brackets.

These checks run even when the folder does not load (the loader stops at the first problem), and locate
each problem as `file:line` computed the way InputError does, so that the loader's error for the same
fault is recognised as already reported.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from .. import text as textcheck
from ..codes import finding
from ..errors import Finding, InputError
from ..schema import TomlSource
from ..source.folder import split_front_matter
from ..source.images import ImageProblem, identify, name_mismatch

PLACEHOLDER_PIXELS = 4_000_000  # a refused giant photo is stood in for by a grey image of its shape


def where_of(file: Path, line: int | None = None) -> str:
    return f"{file}:{line}" if line else str(file)


def error_where(exc: InputError) -> str:
    return where_of(exc.file, exc.line)


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
    check_invisible(raw, findings)
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
                                        where=where_of(src.file, src.line_of(("pages", index, "articles")))))
                continue
            first_page[art_id] = index
            if re.fullmatch(r"page-\d+", art_id):
                findings.append(finding("E103", f"article id '{art_id}' is the anchor of a page",
                                        where=where_of(src.file, src.line_of(("pages", index, "articles")))))
    for art_id, index in first_page.items():
        if art_id not in raw.articles:
            # the loader names the page of the first mention with the page number it expects, index + 1
            findings.append(finding("E102", f"article '{art_id}' has no file articles/{art_id}.md",
                                    where=where_of(src.file, src.line_of(("pages", index, "articles")))))
    for art_id, art in raw.articles.items():
        if art_id not in first_page:
            findings.append(finding("W101", f"article file '{art.file.name}' is not on any page of the plan",
                                    where=str(art.file)))


def check_images(raw: RawIssue, findings: list[Finding]) -> None:
    """E401 missing, E402 unreadable, E403 truncated, E410 over the pixel limit, E411 another format or colour
    mode, W410 a name that belies the content: every photo of every article file, identified and fully decoded."""
    for art_id, art in raw.articles.items():
        photos = art.meta.get("photos") if art.src else None
        if not isinstance(photos, list):
            continue
        for i, table in enumerate(photos):
            rel = table.get("file") if isinstance(table, dict) else None
            if not isinstance(rel, str):
                continue
            where = where_of(art.file, art.src.line_of(("photos", i, "file")))
            target = (raw.root / rel).resolve()
            if not target.is_relative_to(raw.root):
                continue  # the loader's E100 says it lies outside the folder
            if not target.is_file():
                findings.append(finding("E401", f"image {rel!r} does not exist", where=where))
                raw.broken_photos[(art_id, i)] = None
                continue
            try:
                info = identify(target)  # by content, as the loader and every output read it
            except ImageProblem as exc:
                code = {"truncated": "E403", "too-large": "E410", "format": "E411"}.get(exc.kind, "E402")
                what = "is truncated" if exc.kind == "truncated" else "cannot be read"
                findings.append(finding(code, f"image {rel!r} {what}: {exc}", where=where))
                size = exc.size
                if size and size[0] * size[1] > PLACEHOLDER_PIXELS:  # the repaired copy's grey stand-in
                    scale = (PLACEHOLDER_PIXELS / (size[0] * size[1])) ** 0.5
                    size = (max(1, int(size[0] * scale)), max(1, int(size[1] * scale)))
                raw.broken_photos[(art_id, i)] = size
                continue
            if mismatch := name_mismatch(target, info):
                findings.append(finding("W410", f"image {rel!r} {mismatch}", where=where))


def check_invisible(raw: RawIssue, findings: list[Finding]) -> None:
    """E130: every NUL byte and invisible format character (bidi controls, zero-width spaces…) in the text files,
    each at its line (the loader stops at the first with the same file:line)."""
    files = [raw.root / "issue.toml", *(art.file for art in raw.articles.values())]
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            continue
        for n, line in enumerate(data.split(b"\n"), 1):
            if (column := line.find(b"\0")) >= 0:
                findings.append(finding("E130", f"NUL byte (0x00) at byte {column + 1} of the line",
                                        where=where_of(file, n)))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue  # the loader's E100 names the encoding
        for offset in textcheck.invisible_characters(text):
            line, col = textcheck.position(text, offset)
            findings.append(finding("E130", f"column {col}: {textcheck.invisible_message(text[offset])}",
                                    where=where_of(file, line)))


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
            findings.append(finding("E104", what, where=where_of(art.file, src.line_of(("title",)))))
        for key in ("kicker", "subtitle", "dateline") + (("title",) if kind != "article" else ()):
            value = meta.get(key)
            if isinstance(value, str) and not value.strip():
                findings.append(finding("W105", f"{key} is blank", where=where_of(art.file, src.line_of((key,)))))
        for i, photo in enumerate(meta.get("photos") or []):
            if not isinstance(photo, dict):
                continue
            for key in ("caption", "credit"):
                value = photo.get(key)
                if isinstance(value, str) and not value.strip():
                    findings.append(finding("W105", f"photos[{i}].{key} is blank",
                                            where=where_of(art.file, src.line_of(("photos", i, key)))))


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
        fields: list[tuple[tuple, str]] = [((key,), art.meta[key]) for key in ("kicker", "title", "subtitle",
                                                                                "dateline")
                                           if isinstance(art.meta.get(key), str)]
        for i, photo in enumerate(art.meta.get("photos") or []):
            if isinstance(photo, dict):
                fields += [(("photos", i, key), photo[key]) for key in ("caption", "credit")
                           if isinstance(photo.get(key), str)]
        for path, value in fields:
            for u in textcheck.unbalanced(value):
                name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
                findings.append(finding("W106", f"{u.char} {u.problem} in {name}: …{_context(value, u.offset)}…",
                                        where=where_of(art.file, art.src.line_of(path))))
        paragraphs = body_paragraphs(art)
        for n, u in textcheck.paragraph_unbalanced([p for _, p in paragraphs]):
            first_line, text = paragraphs[n]
            line, col = textcheck.position(text, u.offset)
            findings.append(finding("W106", f"{u.char} {u.problem} in the paragraph: …{_context(text, u.offset)}…",
                                    where=f"{art.file}:{first_line + line - 1}:{col}"))


def _context(text: str, offset: int, width: int = 8) -> str:
    return text[max(0, offset - width):offset + width + 1].replace("\n", " ")
