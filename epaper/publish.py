"""One build's outputs in a staging folder in; published together by one atomic rename, or not at all.

Layout of an output folder after a few builds of the issue `wujin-daily-2024-12-20`:

    OUT/
      .lock-wujin-daily-2024-12-20              flock(2) lock: builds of one issue run one at a time
      .builds/wujin-daily-2024-12-20-6/         the previous build (kept for readers still inside it)
      .builds/wujin-daily-2024-12-20-7/         the current build: .pdf, .epub, .layout.json
      wujin-daily-2024-12-20 -> .builds/wujin-daily-2024-12-20-7
      wujin-daily-2024-12-20.pdf -> wujin-daily-2024-12-20/wujin-daily-2024-12-20.pdf
      wujin-daily-2024-12-20.epub -> wujin-daily-2024-12-20/wujin-daily-2024-12-20.epub
      wujin-daily-2024-12-20.layout.json -> wujin-daily-2024-12-20/wujin-daily-2024-12-20.layout.json

Consumers keep reading the stable names `OUT/<slug>.pdf`, `.epub` and `.layout.json` (or `OUT/<slug>/<file>`).
The top-level file links point *through* the directory link `OUT/<slug>`, never into a build folder, so they
never change once made: the one `rename(2)` that moves `OUT/<slug>` to the new build switches the whole set at
once, and a reader can never pair a new PDF with an old EPUB. (Links straight into `.builds/…` would need one
rename per file, and a reader between two renames would see a mixed set.)

While a build runs, its files go to `.builds/<slug>-<n>.partial/`; only a complete build is renamed to
`.builds/<slug>-<n>/` and switched in. An exception or Ctrl-C (KeyboardInterrupt) removes the staging folder; a
SIGKILL or a power cut leaves it behind and the next build into OUT removes it (of any issue whose lock is free).
Either way the previous outputs stay as they were. Build folders are numbered by a counter under the lock, not
by the clock. A full disk or the file-size limit (ulimit -f) stops the build with EnvironmentProblem, naming the
file, and the staging folder is removed.

A build publishes exactly the files it made: `--format epub` after a full build leaves no PDF beside the new
EPUB (the old one would look current); the previous build folder still holds it until it is collected.
"""

from __future__ import annotations

import errno
import fcntl
import glob
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import EnvironmentProblem, EpaperError

BUILDS = ".builds"
PARTIAL = ".partial"
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # no '.': OUT/<slug> must not look like OUT/<other>.pdf
_PARTIAL = re.compile(rf"^([A-Za-z0-9][A-Za-z0-9_-]*)-\d+{re.escape(PARTIAL)}$")
# Write errors that mean the machine, not the input: no room on the disk or quota, the file-size limit.
_NO_ROOM = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "the disk quota is used up",
            errno.EFBIG: "the file-size limit is reached (ulimit -f)"}


class PublishError(EpaperError):
    """The output folder cannot take the build (a name in the way, no permission, another build running)."""


def lock_path(out_dir: Path, slug: str) -> Path:
    return Path(out_dir) / f".lock-{slug}"


def build_folders(out_dir: Path, slug: str) -> tuple[dict[int, Path], dict[int, Path]]:
    """(complete, partial) build folders of `slug` under OUT/.builds, by number."""
    complete: dict[int, Path] = {}
    partial: dict[int, Path] = {}
    pattern = re.compile(rf"^{re.escape(slug)}-(\d+)({re.escape(PARTIAL)})?$")
    builds = Path(out_dir) / BUILDS
    if builds.is_dir():
        for entry in builds.iterdir():
            m = pattern.match(entry.name)
            if m:
                (partial if m.group(2) else complete)[int(m.group(1))] = entry
    return complete, partial


def current_build(out_dir: Path, slug: str) -> Path | None:
    """The build folder OUT/<slug> points at, or None before the first published build."""
    link = Path(out_dir) / slug
    if not link.is_symlink():
        return None
    target = Path(os.readlink(link))
    if len(target.parts) != 2 or target.parts[0] != BUILDS:
        return None
    return Path(out_dir) / target


@contextmanager
def _locked(out_dir: Path, slug: str, wait: bool, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    path = lock_path(out_dir, slug)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise PublishError(f"cannot create the lock {path}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise PublishError(f"another build of {slug} is running (it holds {path})") from None
            if on_wait is not None:
                on_wait(f"waiting for another build of {slug} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays (unlinking a lock file races with its next user)


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, (os.O_RDONLY | os.O_DIRECTORY) if directory else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for root, dirs, files in os.walk(folder):
        for name in files:
            _fsync_path(Path(root) / name)
        _fsync_path(Path(root), directory=True)


def _replace_with_link(path: Path, target: str) -> None:
    """Make `path` a symbolic link to `target` in one rename: readers see the old entry or the new link."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    if path.is_dir() and not path.is_symlink():
        raise PublishError(f"{path} is a folder; epaper publishes a link of that name, move the folder away")
    tmp = path.with_name(f".{path.name}.link-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _carry_forward(previous: Path | None, staging: Path) -> None:
    """Files of the previous build that this one did not make (e.g. --format epub keeps the old PDF)."""
    if previous is None or not previous.is_dir():
        return
    for old in previous.iterdir():
        new = staging / old.name
        if old.name.startswith(".") or not old.is_file() or new.exists():
            continue
        try:
            os.link(old, new)  # build folders are never written after publishing, so sharing the inode is safe
        except OSError:
            shutil.copy2(old, new)


def _drop_stale_links(out_dir: Path, slug: str, current: Path) -> None:
    """Remove OUT/<slug>.* links to files the current build did not make: they would dangle, or (carried over)
    pass an older PDF off as part of the new set."""
    for path in Path(out_dir).glob(f"{glob.escape(slug)}.*"):
        if path.is_symlink() and os.readlink(path) == f"{slug}/{path.name}" and not (current / path.name).is_file():
            path.unlink(missing_ok=True)


def _clean_stale_partials(out_dir: Path, slug: str, keep: Path) -> None:
    """Staging folders left by killed builds: this issue's (we hold its lock) and any other issue's whose lock is
    free; a folder of a build still running elsewhere (its lock held) is left alone."""
    builds = Path(out_dir) / BUILDS
    by_slug: dict[str, list[Path]] = {}
    for entry in builds.iterdir():
        m = _PARTIAL.match(entry.name)
        if m and entry != keep:
            by_slug.setdefault(m.group(1), []).append(entry)
    for other, folders in sorted(by_slug.items()):
        if other == slug:
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
            continue
        try:
            fd = os.open(lock_path(out_dir, other), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:  # no build of `other` runs: its staging folders are leftovers
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)


def _no_room(exc: BaseException, staging: Path, switched: bool) -> EnvironmentProblem | None:
    """The error to report for a write that failed for want of room, naming the file; None for any other error."""
    if not isinstance(exc, OSError) or exc.errno not in _NO_ROOM:
        return None
    where = exc.filename or staging
    kept = "the build was published, but not every link was made" if switched else \
        "nothing was published, the previous outputs are kept"
    return EnvironmentProblem(f"cannot write {where}: {_NO_ROOM[exc.errno]}; {kept} "
                              "(free some space, or raise the limit, and build again)")


def _collect(out_dir: Path, slug: str, keep: int, current: Path, previous: Path | None) -> None:
    """Remove this issue's partial folders and all but the `keep` newest published ones (current first)."""
    complete, partial = build_folders(out_dir, slug)
    kept = [current] + ([previous] if previous is not None else [])
    kept += [p for _, p in sorted(complete.items(), reverse=True) if p not in kept]
    for path in [*kept[max(keep, 1):], *partial.values()]:
        if path != current:
            shutil.rmtree(path, ignore_errors=True)
    # temporary links of a publish killed mid-switch, and temporary files of builds from before publishing()
    for stray in [*Path(out_dir).glob(f".{slug}.*.link-*"), *Path(out_dir).glob(f".{slug}.*.tmp")]:
        stray.unlink(missing_ok=True)


@contextmanager
def publishing(out_dir: Path | str, slug: str, *, keep: int = 2, wait: bool = True,
               on_wait: Callable[[str], None] | None = None, carry_forward: bool = False,
               durable: bool = True) -> Iterator[Path]:
    """`with publishing(OUT, slug) as staging:` write the build's files into `staging` under their final names.

    On normal exit the files are fsynced, the staging folder becomes OUT/.builds/<slug>-<n>, the link OUT/<slug> is
    switched to it by one rename, links OUT/<file> -> <slug>/<file> are made for every `<slug>.*` file, and build
    folders beyond the `keep` newest are removed. On an exception (KeyboardInterrupt included) the staging folder is
    removed and the exception propagates: the previous outputs are untouched.

    Builds of one slug are serialised by flock(2) on OUT/.lock-<slug> (wait=False raises PublishError instead of
    waiting; on_wait is told when a wait starts); builds of other slugs proceed in parallel. carry_forward: files
    of the previous build that this build did not write are kept (hard-linked into the new folder); off by
    default, since an old PDF beside a new EPUB would pass for part of the new set. durable:
    fsync files and folders before the switch, so that a power cut leaves the old or the new set, not a torn one.
    """
    out = Path(out_dir)
    if not _SLUG.match(slug):
        raise PublishError(f"refusing to publish under the name {slug!r}: expected ASCII letters, digits, '-', '_'")
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / BUILDS).mkdir(exist_ok=True)
    except OSError as exc:
        raise PublishError(f"cannot create the output folder {out}: {exc.strerror or exc}") from exc
    link = out / slug
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} is not epaper's link to the current build; move it away")
    with _locked(out, slug, wait, on_wait):
        complete, partial = build_folders(out, slug)
        number = max([0, *complete, *partial]) + 1
        while True:
            staging = out / BUILDS / f"{slug}-{number}{PARTIAL}"
            try:
                os.mkdir(staging, 0o777)
                break
            except FileExistsError:
                number += 1
        final = out / BUILDS / f"{slug}-{number}"
        _clean_stale_partials(out, slug, keep=staging)
        switched = False
        try:
            yield staging
            previous = current_build(out, slug)
            if carry_forward:
                _carry_forward(previous, staging)
            if durable:
                _fsync_tree(staging)
            os.rename(staging, final)
            if durable:
                _fsync_path(out / BUILDS, directory=True)
            _replace_with_link(link, f"{BUILDS}/{final.name}")
            switched = True
            for file in sorted(final.iterdir()):
                if file.name.startswith(f"{slug}.") and file.is_file():
                    _replace_with_link(out / file.name, f"{slug}/{file.name}")
            _drop_stale_links(out, slug, final)
            if durable:
                _fsync_path(out, directory=True)
        except BaseException as exc:
            if not switched:
                shutil.rmtree(staging, ignore_errors=True)
                shutil.rmtree(final, ignore_errors=True)
            if (problem := _no_room(exc, staging, switched)) is not None:
                raise problem from exc
            raise
        _collect(out, slug, keep, final, previous if previous != final else None)


def published_files(out_dir: Path | str, slug: str) -> list[Path]:
    """The stable top-level names of the current build's files (what BuildResult.outputs should list)."""
    out = Path(out_dir)
    current = current_build(out, slug)
    if current is None or not current.is_dir():
        return []
    return [out / f.name for f in sorted(current.iterdir()) if f.name.startswith(f"{slug}.") and f.is_file()]


__all__ = ["PublishError", "build_folders", "current_build", "lock_path", "published_files", "publishing"]
