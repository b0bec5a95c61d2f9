"""An issue folder, the build's options and OUT in; the stamp of the last build out when nothing it read has changed
and its outputs are still in place (so the CLI can say "up to date" instead of building), and the stamp written
after a build.

What a build reads: the issue folder, its paper.toml (and the press profile beside it), layouts/, fonts/palette.toml
and the font files it names, epaper's own code and the versions of the libraries that draw the files
(epaper.digest.installed_versions), SOURCE_DATE_EPOCH and the options. The stamp keeps each file's size, time and
SHA-256 and a digest of them all: equal sizes and times are taken as unchanged without reading anything (as make
does); a file of another size or time is read and compared by content, so a file touched but not changed still
counts as unchanged, and an edit reads only the edited file. System fonts found through fontconfig are not followed: after a font upgrade, build with --no-cache.

The outputs must be those the stamp names: the published links point at the same build folder, and every file
is there with its size and time (the web e-paper's site-wide pages only need to exist: other issues' builds
rewrite them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Protocol

from .atomic import write_atomic
from .digest import NOT_BUILD, PACKAGE, file_sha256, installed_versions, tree_files
from .errors import EpaperError
from .fonts import load_palette
from .source.folder import find_paper_toml, load_paper


class BuildOptions(Protocol):
    """What this module reads of epaper.build.BuildOptions (a dataclass: every field is part of the stamp)."""

    out: Path
    cache_dir: Path | None
    edition: str
    press_profile: Path | None


class BuildResult(Protocol):
    """What this module reads of epaper.build.BuildResult."""

    issue: Any
    outputs: list[Path]
    findings: list[Any]
    editions: list[Any]

FORMAT = 2  # bump when the stamp's meaning changes
CODE_SUFFIXES = (".py", ".toml", ".jinja", ".css", ".js")


def stamp_path(out: Path, cache_dir: Path | None, issue_dir: Path, edition: str) -> Path:
    """OUT/.cache/stamps/<digest of the issue folder, edition and OUT>.json (the cache may be shared: --cache-dir)."""
    where = json.dumps([str(Path(issue_dir).resolve()), edition, str(Path(out).resolve())])
    name = hashlib.sha256(where.encode("utf-8")).hexdigest()[:24]
    return (Path(cache_dir) if cache_dir else Path(out) / ".cache") / "stamps" / f"{name}.json"


def _inputs(issue_dir: Path, options: BuildOptions, layouts: Path, fonts: Path) -> tuple[list[Path], list[Path]]:
    """(files compared by content when their size or time changed, files compared by size and time only)."""
    content = tree_files(issue_dir)
    try:
        paper = find_paper_toml(issue_dir)
        content.append(paper)
        profile = load_paper(paper).press_profile
        if profile:
            content.append(paper.parent / profile)
    except EpaperError:
        pass  # the build itself reports it, naming the file and line
    if options.press_profile:
        content.append(Path(options.press_profile))
    content += tree_files(layouts) + [fonts / "palette.toml"] + tree_files(PACKAGE, CODE_SUFFIXES, NOT_BUILD)
    try:
        font_files = sorted({role.file for role in load_palette(fonts).roles.values()})
    except (EpaperError, OSError):
        font_files = []
    return content, font_files


def _stats(files: list[Path]) -> dict[str, list[int]] | None:
    out = {}
    for path in files:
        try:
            st = path.stat()
        except OSError:
            return None  # a file gone since it was listed: not up to date
        out[str(path)] = [st.st_size, st.st_mtime_ns]
    return out


def _content_digest(files: list[Path], stats: dict[str, list[int]],
                    stamp: dict[str, Any] | None) -> tuple[str, dict[str, str]]:
    """(digest of the libraries' versions and every file's path and content, each file's SHA-256). A file whose
    size and time are the stamp's keeps the stamp's SHA-256 (as the whole check does): an edit reads one file."""
    known = stamp.get("hashes") if stamp is not None else None
    known_stats = stamp.get("stats") if stamp is not None else None
    if not isinstance(known, dict) or not isinstance(known_stats, dict):
        known, known_stats = {}, {}
    h = hashlib.sha256(json.dumps(installed_versions(), sort_keys=True).encode())
    hashes = {}
    for path in files:
        name = str(path)
        digest = known.get(name) if known_stats.get(name) == stats[name] else None
        if not isinstance(digest, str):
            digest = file_sha256(path)
        hashes[name] = digest
        h.update(name.encode("utf-8") + b"\0" + digest.encode() + b"\n")
    return h.hexdigest(), hashes


def _settings(options: BuildOptions) -> dict[str, Any]:
    """The options that change what a build writes (the number of workers does not), and the environment's."""
    fields = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    fields.pop("workers", None)
    return {"format": FORMAT, "python": list(sys.version_info[:2]),
            "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
            "options": {k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
                        for k, v in sorted(fields.items())}}


def _output_state(result: BuildResult, out: Path) -> dict[str, Any]:
    files, exists, links = {}, [], {}
    for path in result.outputs:
        if Path(path).parent == out:
            st = Path(path).stat()
            files[str(path)] = [st.st_size, st.st_mtime_ns]
        else:
            exists.append(str(path))  # a page of the web e-paper's site: may be rewritten by other issues' builds
    for slug in _slugs(result):
        link = out / slug
        if link.is_symlink():
            links[str(link)] = os.readlink(link)
    return {"files": files, "exists": exists, "links": links}


def _slugs(result: BuildResult) -> list[str]:
    return [r.issue.slug for r in (result, *result.editions) if r.issue is not None]


def _outputs_in_place(state: dict[str, Any]) -> bool:
    for link, target in state.get("links", {}).items():
        try:
            if os.readlink(link) != target:
                return False
        except OSError:
            return False
    for path, (size, mtime) in state.get("files", {}).items():
        try:
            st = Path(path).stat()
        except OSError:
            return False
        if [st.st_size, st.st_mtime_ns] != [size, mtime]:
            return False
    return all(Path(p).exists() for p in state.get("exists", []))


def look(issue_dir: Path, options: BuildOptions, layouts: Path,
         fonts: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the stamp of the last build when it still holds, else None; what a build would read now, for write()),
    reading the inputs once for both: the files are hashed only when a size or time differs from the stamp's."""
    path = stamp_path(options.out, options.cache_dir, issue_dir, options.edition)
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        stamp = None
    if not isinstance(stamp, dict):
        stamp = None
    content, fonts_stat = _inputs(Path(issue_dir), options, layouts, fonts)
    stats = _stats(content)
    if stats is None:
        return None, None
    try:
        same = stamp is not None and stats == stamp.get("stats") and isinstance(stamp.get("hashes"), dict)
        digest, hashes = (stamp["digest"], stamp["hashes"]) if same else _content_digest(content, stats, stamp)
    except (OSError, KeyError):
        return None, None
    now = {"settings": _settings(options), "stats": stats, "fonts": _stats(fonts_stat), "digest": digest,
           "hashes": hashes}
    if stamp is None or any(stamp.get(k) != now[k] for k in ("settings", "fonts", "digest")) \
            or not _outputs_in_place(stamp.get("outputs", {})):
        return None, now
    if not same:
        stamp["stats"], stamp["hashes"] = stats, hashes  # touched, not changed: the next check reads nothing
        write_atomic(path, json.dumps(stamp, ensure_ascii=False).encode("utf-8"))
    return stamp, now


def check(issue_dir: Path, options: BuildOptions, layouts: Path, fonts: Path) -> dict[str, Any] | None:
    """The stamp of the last build when it still holds (see the module's docstring), else None."""
    return look(issue_dir, options, layouts, fonts)[0]


def snapshot(issue_dir: Path, options: BuildOptions, layouts: Path, fonts: Path) -> dict[str, Any] | None:
    """What a build is about to read, taken before it reads it (an edit made during the build is not in its
    outputs, so it must not be in its stamp either)."""
    return look(issue_dir, options, layouts, fonts)[1]


def write(before: dict[str, Any] | None, issue_dir: Path, options: BuildOptions, result: BuildResult,
          summary: list[str]) -> None:
    """Record what this build read (`before`, from snapshot()) and wrote, for the next build's check()."""
    if before is None:
        return
    stamp = {**before, "outputs": _output_state(result, Path(options.out)),
             "findings": [dataclasses.asdict(f) for f in result.findings], "summary": summary,
             "written": [str(p) for p in result.outputs]}
    write_atomic(stamp_path(options.out, options.cache_dir, issue_dir, options.edition),
                 json.dumps(stamp, ensure_ascii=False).encode("utf-8"))
