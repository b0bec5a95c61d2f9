"""An archive root in; its issues out (every folder holding issue.toml under a paper.toml), each with the content hash
of everything its build reads (issue files, paper.toml, layouts, the font palette, epaper's code and options)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..digest import code_version, file_sha256, skip_part as _skip, tree_digest  # noqa: F401 (archive.run)
from ..errors import EpaperError
from ..source.folder import find_paper_toml, load_paper

@dataclass(frozen=True)
class Found:
    """One issue folder of the archive, with what the driver needs before building it."""

    path: Path  # absolute issue folder
    rel: str  # its path from the archive root, POSIX: the issue's name in reports
    paper_file: Path | None  # None: no paper.toml in the folder or above (the build reports it)
    paper_slug: str = ""
    language: str = "zh-CN"
    layout: str = ""
    site_url: str = ""
    date: str = ""  # from issue.toml when it parses; "" otherwise (the build reports why)
    edition: str = ""

    @property
    def slug(self) -> str:
        """The build's output stem (Issue.slug), or '' when issue.toml does not parse."""
        if not self.date:
            return ""
        return f"{self.paper_slug}-{self.date}" + (f"-{self.edition}" if self.edition else "")


def find_issues(root: Path, exclude: tuple[Path, ...] = ()) -> list[Found]:
    """Every folder under root holding issue.toml, sorted by path; hidden folders and `exclude` (the output
    folder, when it lies inside root) are not searched."""
    root = Path(root).resolve()
    excluded = [Path(e).resolve() for e in exclude]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _skip(d) and (here / d).resolve() not in excluded)
        if "issue.toml" in filenames:
            found.append(_describe(root, here))
            dirnames[:] = []  # an issue folder holds articles/ and images/, never another issue
    return sorted(found, key=lambda f: f.rel)


@lru_cache(maxsize=None)
def _paper(paper_file: Path) -> tuple[str, str, str, str]:
    try:
        paper = load_paper(paper_file)
    except EpaperError:
        # the build of each of its issues stops with the message: the folder name stands in meanwhile
        return paper_file.parent.name, "zh-CN", "", ""
    return paper.slug, paper.language, paper.layout, paper.site_url


def _describe(root: Path, folder: Path) -> Found:
    rel = folder.relative_to(root).as_posix() or "."
    try:
        paper_file = find_paper_toml(folder)
    except EpaperError:
        return Found(folder, rel, None)
    slug, language, layout, site_url = _paper(paper_file)
    date, edition = "", ""
    try:
        data = tomllib.loads((folder / "issue.toml").read_text(encoding="utf-8"))
        if isinstance(data.get("date"), dt.date):
            date = data["date"].isoformat()
        edition = str(data.get("edition", ""))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass
    return Found(folder, rel, paper_file, slug, language, layout, site_url, date, edition)


def _stats(found: Found) -> dict[str, list[int]]:
    """Size and modification time (ns) of every file the issue's hash covers, by path."""
    files = [found.paper_file] if found.paper_file is not None else []
    for dirpath, dirnames, filenames in os.walk(found.path):
        dirnames[:] = [d for d in dirnames if not _skip(d)]
        files += [Path(dirpath) / n for n in filenames if not n.startswith(".")]
    out = {}
    for path in files:
        st = path.stat()
        out[str(path)] = [st.st_size, st.st_mtime_ns]
    return out


def issue_digest(found: Found, known: dict | None = None) -> dict:
    """The issue's content hash (its files and its paper.toml) with the files' sizes and times: {"digest", "stat"}.

    `known` is the same record from the last run: when no file was added, removed, resized or touched since, its
    digest is reused without reading the files again (as make and rsync decide; --force reads everything)."""
    stat = _stats(found)
    if known and known.get("stat") == stat and known.get("digest"):
        return known
    h = hashlib.sha256()
    if found.paper_file is not None:
        h.update(b"paper\0" + file_sha256(found.paper_file).encode())
    h.update(b"issue\0" + tree_digest(found.path).encode())
    return {"digest": h.hexdigest(), "stat": stat}
