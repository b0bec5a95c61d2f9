"""An audit hook that records every file a build opens outside an allow-list (tests import `Guard`).

    with Guard(allow=[issue_dir], write=[out_dir]) as guard:
        build(issue_dir, BuildOptions(out=out_dir))
    assert not guard.unexpected(), guard.report()

Python's audit hooks see every `open()`, `io.open_code()` and `os.open()` made by Python code (not the C
libraries: fontconfig and Pango read fonts on their own, and those reads are not seen). A hook can never be
removed, so one hook is installed for the whole process and does nothing unless a Guard is active.
Paths are recorded as given and resolved (symlinks followed), so a link inside the issue that points at
/etc/passwd is reported by its target.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
import threading
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Read-only places any Python program, WeasyPrint, Pango and fontconfig may look at.
SYSTEM_READ = [
    sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
    *site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else []),
    *{p for p in sysconfig.get_paths().values()},
    "/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib",
    "/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"),
    os.path.expanduser("~/.local/share/fonts"),
    "/etc/fonts", "/var/cache/fontconfig", os.path.expanduser("~/.cache/fontconfig"),
    "/usr/share/zoneinfo", "/usr/share/mime",
    "/proc/self", f"/proc/{os.getpid()}", "/dev/null", "/dev/urandom",
    # mimetypes (RestrictedFetcher guesses Content-Type) reads these once per process
    "/etc/mime.types", "/etc/httpd/mime.types", "/etc/httpd/conf/mime.types", "/etc/apache/mime.types",
    "/etc/apache2/mime.types", "/usr/local/etc/httpd/conf/mime.types", "/usr/local/lib/netscape/mime.types",
    "/usr/local/etc/mime.types",
]
# The repo's own read-only data; the source is allowed so that lazy imports during a build pass.
REPO_READ = [REPO / "layouts", REPO / "fonts", REPO / "epaper"]
# Caches a build may write besides its output: the font metrics (epaper.layout.fontmetrics.CACHE_DIR).
CACHES = [REPO / "fonts" / ".cache"]


def _is_write(mode: object, flags: object) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    if isinstance(flags, int):
        return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))
    return False


@dataclass(frozen=True)
class Access:
    path: str  # absolute, as given
    real: str  # symlinks resolved
    write: bool

    def __str__(self) -> str:
        via = f" (via {self.path})" if self.real != self.path else ""
        return f"{'write' if self.write else 'read '} {self.real}{via}"


_lock = threading.Lock()
_active: list["Guard"] = []
_inside = threading.local()
_installed = False


def _hook(event: str, args: tuple) -> None:
    if not _active or getattr(_inside, "busy", False):
        return
    if event in ("tempfile.mkdtemp", "tempfile.mkstemp"):  # made by the build: it may read it back
        for guard in list(_active):
            guard.created.append(os.path.realpath(os.fsdecode(args[0])))
        return
    if event != "open":
        return
    path, mode, flags = (tuple(args) + (None, None, None))[:3]
    if isinstance(path, int) or path is None:  # open(fd): the file was opened (and seen) before
        return
    _inside.busy = True
    try:
        try:
            given = os.path.abspath(os.fsdecode(path))
            real = os.path.realpath(given)
            if os.path.isdir(real):  # a folder opened to list or remove it (shutil.rmtree), not a file read
                return
        except (TypeError, ValueError, OSError):
            return
        access = Access(given, real, _is_write(mode, flags))
        for guard in list(_active):
            guard.accesses.append(access)
    finally:
        _inside.busy = False


def _install() -> None:
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


@dataclass
class Guard:
    """Records opens while active; `unexpected()` lists those outside `allow` (reads) and `write` (writes).

    Besides `allow`, reads may go to the repo's layouts/, fonts/ and epaper/, Python's installation and the
    system's font and library folders (SYSTEM_READ); writes to `write`, the font metrics cache, and what the build
    made with tempfile.mkstemp/mkdtemp (both may also be read back)."""

    allow: list[Path | str] = field(default_factory=list)
    write: list[Path | str] = field(default_factory=list)
    accesses: list[Access] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # temporary files and folders the build made

    def __post_init__(self) -> None:
        self._write_roots = sorted({os.path.realpath(p) for p in [*map(str, self.write), *map(str, CACHES), "/dev/null"]})
        reads = [*map(str, self.allow), *map(str, self.write), *map(str, REPO_READ), *SYSTEM_READ]
        self._read_roots = sorted({os.path.realpath(p) for p in reads})

    def __enter__(self) -> "Guard":
        _install()
        _active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _active.remove(self)

    def unexpected(self) -> list[Access]:
        """Opens outside the allow-list. A target counts, not the name: a link out of the issue is caught by where
        it points. Reading back what the build itself wrote or made with tempfile is fine."""
        written: set[str] = set()
        bad: list[Access] = []
        for a in self.accesses:
            if a.write:
                written.add(a.real)
                if not _under(a.real, self._write_roots + self.created):
                    bad.append(a)
            elif a.real not in written and not _under(a.real, self._read_roots + self.created):
                bad.append(a)
        return list(dict.fromkeys(bad))

    def report(self) -> str:
        bad = self.unexpected()
        if not bad:
            return "no unexpected file access"
        return f"{len(bad)} unexpected file accesses:\n" + "\n".join(f"  {a}" for a in bad)


# --- network -----------------------------------------------------------------------------------------------------

class LoopbackSentinel:
    """An HTTP server on 127.0.0.1 (loopback only, any free port) that records every request it gets and answers
    with a valid 1×1 PNG, so that a fetch that should never happen would succeed visibly.

        with LoopbackSentinel() as net:
            ... reference f"{net.url}/x.png" ...
        assert net.requests == []
    """

    PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4e80000000049454e44ae426082")

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        sentinel = self
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                sentinel.requests.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(sentinel.PNG)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(sentinel.PNG)

            do_GET = do_POST = do_HEAD = do_PUT = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LoopbackSentinel":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
