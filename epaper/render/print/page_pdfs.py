"""One print-HTML document per page in, one single-page PDF per page out: rendered in worker processes, cached by content.

Why per page: WeasyPrint is single-threaded, and our pages are independent documents (every box is placed
by the layout), so two processes render an issue in about half the time, and a page whose HTML and files
did not change is not rendered again. assemble.py joins the pages and embeds each font once; the page PDFs
therefore carry no font programs of their own (see page_fonts.py) and are not meant to be read alone.

The cache (OUT/.cache/pages) is content-addressed: the key hashes the page's HTML, the fonts it may draw
with and the versions of epaper and WeasyPrint; an entry also lists every file the page read (stylesheets,
photos) with its SHA-256 and is used only while all of them are unchanged. Entries are written atomically
and carry the hash of their PDF, so a truncated or edited entry is rendered again, never served.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import multiprocessing
import multiprocessing.util
import os
import resource
import signal
import sys
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ...digest import file_sha256
from ... import __version__
from ...atomic import write_atomic
from ...codes import finding
from ...errors import Finding
from .page_fonts import deferring_fonts

CACHE_FORMAT = 3  # bump when an entry's meaning changes (3: font programs left to the join)
KEEP_DAYS = 14  # entries not used for this long are removed after a build


@dataclass(frozen=True)
class PageJob:
    """What a worker needs to render one page: the page's whole HTML document and where its files are."""

    number: int
    html: str
    base: Path  # the issue folder (ISSUE_URL)
    roots: tuple[Path, ...]  # folders the page may read
    fonts: tuple[Path, ...]  # the palette's font files: a changed font invalidates the page

    def key(self) -> str:
        h = hashlib.sha256()
        for part in (f"epaper {__version__} cache {CACHE_FORMAT} weasyprint {_weasyprint_version()}", self.html,
                     str(self.base)):
            h.update(part.encode("utf-8") + b"\0")
        for font in self.fonts:
            stat = font.stat()
            h.update(f"{font}:{stat.st_size}:{stat.st_mtime_ns}\0".encode())
        return h.hexdigest()


@functools.lru_cache(maxsize=None)
def _weasyprint_version() -> str:
    # from the installed package's metadata (the same string as weasyprint.__version__): the process that only
    # keys and joins pages does not import WeasyPrint (0.45 s)
    from importlib.metadata import version

    return version("weasyprint")


@dataclass
class PageOut:
    """A rendered page: its PDF, where its modules landed, what WeasyPrint said, the fonts it drew with."""

    number: int
    pdf: bytes
    anchors: dict[str, tuple[float, float]]  # element id -> top-left corner in pt
    findings: list[Finding] = field(default_factory=list)
    faces: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # font resource name -> family, weight, index
    reads: dict[str, str] = field(default_factory=dict)  # file read -> its SHA-256
    cached: bool = False
    cpu: float = 0.0  # CPU seconds the worker spent on it (0 when it came from the cache)
    rss: float = 0.0  # the rendering process's peak resident set so far, MiB (bench/ reports it)
    key: str = ""  # PageJob.key() of the page

    @property
    def drawing_key(self) -> str:
        """Changes whenever what the page draws changes: the job's key and the files it read (for page images)."""
        return hashlib.sha256((self.key + json.dumps(self.reads, sort_keys=True)).encode("utf-8")).hexdigest()


def render_page(job: PageJob) -> PageOut:
    """Render one page's HTML to a one-page PDF (runs in a worker process)."""
    from . import print_pdf

    start = time.process_time()
    rendered = print_pdf.render_document(job.html, job.base, list(job.roots))
    document = rendered.document
    capture = print_pdf.LogCapture()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(capture)
    try:
        with deferring_fonts():
            pdf = print_pdf.pdf_bytes(rendered)
    finally:
        logger.removeHandler(capture)
    anchors = {name: a for page in document.pages for name, a in print_pdf.anchors_pt(page).items()}
    faces = {font.hash: (font.family, int(font.weight), int(font.index)) for font in document.fonts.values()}
    reads = {str(p): file_sha256(p) for p in dict.fromkeys(rendered.fetched)}
    findings = list(rendered.findings)
    # A jump line links to a story part on another page, which a page rendered alone lacks: the join adds
    # those links and fails on a destination no page has (assemble.add_links).
    findings += [finding("W500", f"WeasyPrint: {rec.getMessage()}", hint="") for rec in capture.records
                 if not rec.getMessage().startswith("No anchor #")]
    if len(document.pages) != 1:
        findings.append(finding("E312", f"page {job.number} rendered as {len(document.pages)} pages",
                                hint="a page box overflowed: this is a layout bug"))
    return PageOut(job.number, pdf, anchors, findings, faces, reads, cpu=time.process_time() - start,
                   rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


class PageCache:
    """Rendered pages on disk, by PageJob.key(); see the module docstring for when an entry is trusted."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.pdf", self.folder / f"{key}.json"

    def get(self, job: PageJob, key: str) -> PageOut | None:
        pdf_path, meta_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            pdf = pdf_path.read_bytes()
        except (OSError, ValueError):
            return None
        try:
            if meta.get("format") != CACHE_FORMAT or hashlib.sha256(pdf).hexdigest() != meta["pdf_sha256"]:
                return None
            for name, digest in meta["reads"].items():
                if not Path(name).is_file() or file_sha256(Path(name)) != digest:
                    return None
            out = PageOut(job.number, pdf, {k: tuple(v) for k, v in meta["anchors"].items()},
                          [Finding(**f) for f in meta["findings"]],
                          {k: tuple(v) for k, v in meta["faces"].items()}, meta["reads"], cached=True)
        except (KeyError, TypeError, AttributeError):
            return None  # an entry of another shape: render again
        now = time.time()
        for path in (pdf_path, meta_path):
            os.utime(path, (now, now))  # used: keep it past the next prune
        return out

    def put(self, key: str, out: PageOut) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        pdf_path, meta_path = self._paths(key)
        meta = {"format": CACHE_FORMAT, "pdf_sha256": hashlib.sha256(out.pdf).hexdigest(), "anchors": out.anchors,
                "findings": [f.__dict__ for f in out.findings], "faces": out.faces, "reads": out.reads}
        # the PDF first: an entry exists once its JSON does, and the JSON vouches for the PDF's hash
        for path, data in ((pdf_path, out.pdf), (meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))):
            write_atomic(path, data)  # Ctrl-C between the two leaves no stray file

    def has_entries(self) -> bool:
        """Whether any page is stored (an earlier build of some issue into this cache)."""
        try:
            return any(name.endswith(".json") for name in os.listdir(self.folder))
        except OSError:
            return False

    def prune(self, days: float = KEEP_DAYS) -> None:
        cutoff = time.time() - days * 86400
        for entry in self.folder.glob("*") if self.folder.is_dir() else ():
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
            except OSError:
                pass


_pool: ProcessPoolExecutor | None = None
_go = None  # set: every worker takes tasks; until then only the eager ones do (pool(eager=…), wake())


def _context() -> multiprocessing.context.BaseContext:
    """fork when it is safe, else spawn.

    A forked worker starts in milliseconds with epaper already imported (a spawned one starts Python and imports
    it again: about 0.35 s of CPU each) and imports WeasyPrint itself. Forking is unsafe in a process that runs
    threads (a lock held by one is copied held) or has loaded WeasyPrint's Pango and fontconfig: `epaper serve`
    and library callers may; a CLI build forks before either.
    """
    if ("fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
            and "weasyprint" not in sys.modules):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def pool(workers: int | None = None, eager: int | None = None) -> Executor:
    """The build's page renderers, started once and stopped by shutdown() when the build no longer needs them
    (build.py), or when this process exits. eager: how many import WeasyPrint as soon as they start (_warm; default
    all); the others do when their first page comes."""
    global _pool
    if _pool is None:
        count = workers or min(2, os.cpu_count() or 1)
        global _go
        context = _context()
        ready = context.Value("i", count if eager is None else eager)
        _go = context.Event()
        if eager is None:
            _go.set()
        _pool = ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_warm,
                                    initargs=(os.getpid(), ready, _go))
        # Stop the workers before this process exits. concurrent.futures does so from a threading hook, which
        # never runs when this process is itself a multiprocessing child: it would wait for the idle workers
        # forever. multiprocessing's finalizers run first in both cases; priority above the queues' own (10),
        # which would otherwise close the pool's call queue before the workers' stop signal is sent.
        multiprocessing.util.Finalize(_pool, shutdown, exitpriority=100)
    return _pool


def running() -> Executor | None:
    """The page renderers if they are running (pool() or start() made them), else None."""
    return _pool


def start(workers: int = 0, rebuild: bool = False) -> None:
    """Start the page renderers now, so that their import of WeasyPrint overlaps loading and laying out the issue
    (a forked pool's processes are made at its first task). workers: 0 = one per core (at most 2), 1 = none:
    pages are drawn in this process. rebuild: the page cache has pages of earlier builds, so most pages will come
    from it: one worker imports WeasyPrint at once, for the page an edit changed, and the others wait for a page
    (importing beside it would take CPU from loading and laying out the issue in this process)."""
    if workers != 1 and (os.cpu_count() or 1) > 1:
        if rebuild and _context().get_start_method() != "fork":
            # a process that cannot fork (`epaper serve`, threads) would spawn workers that import everything
            # again (about a second): PageRenderer draws a rebuild's first changed page here instead
            return
        # Ctrl-C held back while the workers are made: a forked one would otherwise run this process's SIGINT
        # handler (the CLI's) until _warm ignores the signal, and print a KeyboardInterrupt traceback
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if hasattr(signal, "pthread_sigmask") else None
        try:
            pool(workers or None, eager=1 if rebuild else None).submit(_ready)
        finally:
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)


def wake() -> None:
    """Let every page renderer take tasks: a second page to draw, or the web page images (web_prefetch.prefetch)."""
    if _go is not None:
        _go.set()


def _ready() -> None:
    """The first task: it only makes the pool start its processes."""


def _warm(parent: int, ready, go) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the parent handles it and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held back while start() made this worker
    # a worker must not outlive its parent (a killed build would leave it holding the terminal's pipes)
    threading.Thread(target=_orphan_watch, args=(parent,), daemon=True).start()
    with ready.get_lock():
        now = ready.value > 0
        ready.value -= 1
    if now:
        # import WeasyPrint while the parent is still laying out pages: the first page then starts at once
        import weasyprint  # noqa: F401

        from .. import fetch  # noqa: F401
        from . import print_pdf  # noqa: F401
    else:
        # a worker kept back takes no task (the eager one takes the first page) until wake(); it imports
        # WeasyPrint with its first page
        go.wait()


def _orphan_watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(1)


def shutdown(kill: bool = False) -> None:
    """Stop the page renderers. kill: a build that failed or was stopped does not wait for a worker still importing
    WeasyPrint or drawing a page it no longer needs."""
    global _pool
    if _pool is not None:
        wake()  # a worker kept back must take the pool's stop signal
        if kill:
            # concurrent.futures keeps its processes in _processes (CPython 3.8–3.13); without it, shut down as usual
            for process in list((getattr(_pool, "_processes", None) or {}).values()):
                process.terminate()
        _pool.shutdown(cancel_futures=True)
        _pool = None


class PageRenderer:
    """Pages are submitted as soon as they are laid out and collected in page order: a page found in the cache is
    read from it, any other goes to the page renderers (build.py started them before loading the issue, see
    start()), or is drawn in this process when workers is 1. In a rebuild that started no renderers (start():
    this process cannot fork) the first changed page is kept back: if it stays the only one (a late correction),
    this process draws it, with the WeasyPrint it has loaded already; a second changed page starts the renderers
    and sends both."""

    def __init__(self, cache: PageCache | None, workers: int = 0):
        self.cache = cache
        self.parallel = workers != 1 and (os.cpu_count() or 1) > 1
        self.pending: list[tuple[PageJob, str, Future | PageOut | None]] = []
        self.workers = workers
        self.held: int | None = None  # index in pending of the page kept back

    def submit(self, job: PageJob) -> None:
        key = job.key()
        hit = self.cache.get(job, key) if self.cache else None
        if hit is not None:
            self.pending.append((job, key, hit))
        elif not self.parallel:
            self.pending.append((job, key, render_page(job)))
        elif running() is None and self.held is None:
            self.held = len(self.pending)
            self.pending.append((job, key, None))
        else:
            if self.held is not None:
                held_job, held_key, _ = self.pending[self.held]
                self.pending[self.held] = (held_job, held_key, self._send(held_job))
                self.held = None
            self.pending.append((job, key, self._send(job)))
            if sum(isinstance(w, Future) for _, _, w in self.pending) > 1:
                wake()  # a second page to draw: the workers kept back start too

    def _send(self, job: PageJob) -> Future:
        return pool(self.workers or None).submit(render_page, job)

    def results(self) -> list[PageOut]:
        outs = []
        for job, key, work in self.pending:
            out = work if isinstance(work, PageOut) else render_page(job) if work is None else work.result()
            out.key = key
            if self.cache and not out.cached and not any(f.severity == "error" for f in out.findings):
                self.cache.put(key, out)
            outs.append(out)
        self.held = None
        return outs

    def cancel(self) -> None:
        for _, _, work in self.pending:
            if isinstance(work, Future):
                work.cancel()
