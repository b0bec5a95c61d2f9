"""A repaired copy of an issue folder that does not load, so the layout and glyph checks can still run.

The copy lives in a temporary folder: missing or broken images are replaced by grey placeholders of the
same size, blank titles are filled, and the plan keeps each article once and only those that load. Images
are hard-linked where the file system allows; every file the repair changes is replaced, never written
through a link into the original folder.
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
from pathlib import Path
from typing import Any

from PIL import Image

from ..codes import finding
from ..errors import Finding, InputError
from ..model import Issue
from ..source.folder import find_paper_toml, load_article, load_issue
from .folder import RawIssue, error_where, where_of

PLACEHOLDER_TITLE = "无题"


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
    if error_where(first) not in covered and not any(f.where == error_where(first) for f in findings):
        findings.append(finding("E100", first.message, where=error_where(first), hint=first.hint or None))
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
            where = where_of(art.file, exc.line)
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
            where = where_of(root / file.relative_to(copy), exc.line)
            if where not in covered and not any(f.where == where for f in findings):
                findings.append(finding("E100", exc.message, where=where, hint=exc.hint or None))
        return None
    return Loaded(issue, issue.root, numbers, broken)
