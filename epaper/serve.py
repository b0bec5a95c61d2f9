"""An issue folder and a site root in; the web e-paper served on localhost, rebuilt whenever the issue changes.

A thread polls the modification times of the issue folder (and the paper.toml beside it) every second and calls
the rebuild callback when anything was added, removed or changed. A failed rebuild is printed and the old site
stays served: the web writer swaps an issue folder in only when it is complete.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, TextIO
from urllib.parse import unquote

from .errors import EpaperError, LayoutError

Snapshot = dict[str, tuple[int, int]]


def snapshot(issue_dir: Path, ignore: tuple[Path, ...] = ()) -> Snapshot:
    """(mtime_ns, size) of every file under the issue folder and of the paper's paper.toml; hidden files skipped
    (editors' swap and lock files), and anything under `ignore` (a site root or --out inside the issue folder)."""
    ignored = tuple(p.resolve() for p in ignore)
    files: Snapshot = {}
    paper = issue_dir / ".." / "paper.toml"
    candidates = [paper] if paper.is_file() else []
    for dirpath, dirnames, filenames in os.walk(issue_dir):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")
                       and not any((here / d).resolve() == i for i in ignored)]
        candidates.extend(here / f for f in filenames if not f.startswith(".") and not f.endswith("~"))
    for path in candidates:
        try:
            st = path.stat()
        except OSError:  # removed between listing and stat: the next poll sees it gone
            continue
        files[str(path)] = (st.st_mtime_ns, st.st_size)
    return files


class _Handler(SimpleHTTPRequestHandler):
    """Static files from the site root; never cached, so a reload after a rebuild shows the new pages."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                      ".json": "application/json", ".webp": "image/webp", ".jpg": "image/jpeg",
                      ".epub": "application/epub+zip", ".pdf": "application/pdf",
                      # the OPDS catalog (opds.xml) and the e-reader editions it links to
                      ".xml": "application/atom+xml;profile=opds-catalog;charset=utf-8",
                      ".azw3": "application/vnd.amazon.ebook"}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):  # type: ignore[override]
        # A NUL or an undecodable byte in the path makes the base class's open() raise, and the connection
        # closes without a reply: answer 400 instead.
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if "\0" in unquote(path) or "\ufffd" in unquote(path, errors="replace"):
            self.send_error(400, "invalid path")
            return None
        try:
            return super().send_head()
        except (ValueError, UnicodeError):
            self.send_error(400, "invalid path")
            return None

    def list_directory(self, path):  # type: ignore[override]
        # the site has an index.html wherever a reader should go; anything else is not a page of the site
        self.send_error(404, "no such page")
        return None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def describe(exc: BaseException) -> str:
    """A failed rebuild in a few lines: the findings of a layout error, the reason of an epaper error, else a traceback."""
    if isinstance(exc, LayoutError) and exc.findings:
        return "\n".join(f"  {f}" for f in exc.findings)
    if isinstance(exc, EpaperError):
        return f"  {exc}"
    return "".join(traceback.format_exception(exc)).rstrip()


class SiteServer:
    """The HTTP server and the watcher thread; `start()` returns at once, `stop()` ends both."""

    def __init__(self, issue_dir: Path, site_root: Path, rebuild: Callable[[], None], *, host: str = "127.0.0.1",
                 port: int = 0, interval: float = 1.0, out: TextIO | None = None):
        self.issue_dir = Path(issue_dir)
        self.site_root = Path(site_root)
        self.rebuild = rebuild
        self.interval = interval
        self.out = out
        self.site_root.mkdir(parents=True, exist_ok=True)
        self.httpd = ThreadingHTTPServer((host, port), partial(_Handler, directory=str(self.site_root)))
        self.httpd.daemon_threads = True
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._seen: Snapshot = {}
        self.builds = 0  # rebuilds finished, failed or not
        self.failures = 0  # rebuilds that raised

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def say(self, text: str) -> None:
        print(text, file=self.out or sys.stderr, flush=True)

    def build(self) -> bool:
        """Run the rebuild callback once; on failure print why and keep what is served."""
        try:
            self.rebuild()
        except Exception as exc:  # any failure: the old site stays up
            self.failures += 1
            self.say(f"rebuild failed; still serving the previous site:\n{describe(exc)}")
            return False
        finally:
            self.builds += 1
        self.say(f"rebuilt; serving {self.url}")
        return True

    def poll(self) -> bool:
        """Rebuild if the issue folder changed since the last look; True when a rebuild ran."""
        now = snapshot(self.issue_dir, ignore=(self.site_root,))
        if now == self._seen:
            return False
        self._seen = now
        self.say(f"change in {self.issue_dir}; rebuilding")
        self.build()
        # Edits made while the build ran are picked up by the next poll: the snapshot is the one taken before.
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception as exc:  # the watcher must not die: report and keep polling
                self.say(f"watcher error: {exc}")

    def start(self, *, build_first: bool = True) -> "SiteServer":
        self._seen = snapshot(self.issue_dir, ignore=(self.site_root,))
        if build_first:
            self.build()
        serving = threading.Thread(target=self.httpd.serve_forever, name="epaper-serve", daemon=True)
        watching = threading.Thread(target=self._watch, name="epaper-watch", daemon=True)
        self._threads = [serving, watching]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._threads:  # shutdown() waits for serve_forever, which only runs once started
            self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> "SiteServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(issue_dir: Path, site_root: Path, host: str = "127.0.0.1", port: int = 0,
          rebuild: Callable[[], None] = lambda: None, *, interval: float = 1.0, build_first: bool = True) -> None:
    """Build once, serve site_root on host:port (0: any free port) and rebuild on every change until Ctrl-C."""
    server = SiteServer(issue_dir, site_root, rebuild, host=host, port=port, interval=interval)
    server.start(build_first=build_first)
    server.say(f"serving {server.site_root} at {server.url} (Ctrl-C to stop); watching {server.issue_dir}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.say("stopping")
    finally:
        server.stop()
