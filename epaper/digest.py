"""Files and folders in, SHA-256 digests out: of a file (read in blocks, so a large file costs no memory), of a tree,
and of the code every build shares (epaper's sources, the libraries drawing the files, the layouts, the palette)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

from . import __version__

PACKAGE = Path(__file__).resolve().parent
# the libraries whose output lands in the files: a new WeasyPrint or Pillow is a new build
LIBRARIES = ("weasyprint", "pydyf", "fonttools", "pillow", "pypdfium2", "pikepdf", "ebooklib", "jinja2", "lxml")

# epaper's code that no build runs: the importer, the commands, the server and the archive's driver. A change
# there rebuilds nothing; a change anywhere else in epaper/ rebuilds every issue.
NOT_BUILD = ("ocr", "cli.py", "serve.py", "__main__.py", "archive/cli.py", "archive/run.py",
             "archive/discover.py")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def skip_part(part: str) -> bool:
    return part.startswith(".") or part in ("node_modules", "__pycache__")


def tree_files(folder: Path, suffixes: tuple[str, ...] = (), leave_out: tuple[str, ...] = ()) -> list[Path]:
    """Every file under folder in a stable order, hidden files, node_modules, __pycache__ and the relative paths
    `leave_out` (files or folders) left out; with `suffixes`, only files ending so."""
    folder = Path(folder)
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath).relative_to(folder)
        dirnames[:] = sorted(d for d in dirnames if not skip_part(d) and (here / d).as_posix() not in leave_out)
        files += [Path(dirpath) / name for name in sorted(filenames)
                  if not name.startswith(".") and (not suffixes or name.endswith(suffixes))
                  and (here / name).as_posix() not in leave_out]
    return files


def tree_digest(folder: Path, suffixes: tuple[str, ...] = (), leave_out: tuple[str, ...] = ()) -> str:
    """SHA-256 over every file's path (relative) and content under folder (the files of tree_files)."""
    h = hashlib.sha256()
    folder = Path(folder)
    for path in tree_files(folder, suffixes, leave_out):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + file_sha256(path).encode() + b"\n")
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """epaper's version and those of the libraries drawing the files ('' for one not installed)."""
    from importlib import metadata  # only when an input changed (uptodate) or an archive runs

    versions = {"epaper": __version__}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    return versions


def installed_versions() -> dict[str, str]:
    """epaper's version and, per library of LIBRARIES, the name of its metadata folder (`pillow-13.0.0.dist-info`,
    which names the version) where Python finds it first along sys.path; '' for one not installed. What
    library_versions tells, for a check that must be cheap: one listing per folder instead of importlib.metadata
    (~12 ms in a fresh process)."""
    wanted = {re.sub(r"[-_.]+", "_", name).lower(): name for name in LIBRARIES}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            entries = sorted(os.listdir(folder or "."))
        except OSError:  # a zip file, a folder gone: nothing installed there
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info")):
                name = wanted.get(re.sub(r"[-_.]+", "_", entry.rsplit(".", 1)[0].split("-", 1)[0]).lower())
                if name is not None and name not in found:
                    found[name] = entry
        if len(found) == len(wanted):
            break
    return {"epaper": __version__, **{name: found.get(name, "") for name in LIBRARIES}}


def code_version(layouts: Path, fonts: Path) -> str:
    """What every issue's build shares: epaper's version and source, the libraries drawing the files, the layouts
    and the font palette. System fonts are not hashed: after a font upgrade, rebuild with --force."""
    versions = library_versions()
    parts = {"epaper": versions.pop("epaper"), "libraries": versions,
             "code": tree_digest(PACKAGE, (".py", ".toml", ".jinja", ".css", ".js"), NOT_BUILD),
             "layouts": tree_digest(layouts), "palette": file_sha256(fonts / "palette.toml")}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
