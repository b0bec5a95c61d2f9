"""The EPUB in a real reading system: epub.js (npm, tests/reader/) opens the built sample in Debian's headless
Chromium. Its contents (book.navigation.toc) must reach every 版 and every article of the page plan, each entry
must display its headline, the page-list must have one entry per print page, the cover must show, and with
--embed-fonts the embedded faces must be the ones that load. Screenshots are saved for a person to look at.

Needs /usr/bin/chromium and tests/reader/node_modules: `bash scripts/setup_browser.sh` installs both. Without
them these tests fail, they do not skip. Nothing may leave 127.0.0.1: every request is routed and checked.
Screenshots go to pytest's tmp dir; with EPAPER_KEEP_SCREENSHOTS set they are also copied to
out/reader-screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from epaper.fonts import load_palette
from epaper.model import Article, Issue
from epaper.render.epub.epub import article_label
from epaper.source.folder import load_issue

pytestmark = pytest.mark.slow  # two CLI builds and epub.js in Chromium

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "issues" / "wujin-daily" / "2024-12-20"  # 4 pages, 21 articles
READER = REPO / "tests" / "reader"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SETUP = "scripts/setup_browser.sh"
VARIANTS = {"plain": [], "embedded-fonts": ["--embed-fonts"]}
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 20_000


def toolchain_problems() -> list[str]:
    """What is missing for these tests, each with how to get it."""
    problems = []
    if not CHROMIUM.is_file():
        problems.append(f"{CHROMIUM} is missing (Debian's chromium package)")
    for script in ("epubjs/dist/epub.min.js", "jszip/dist/jszip.min.js"):
        if not (READER / "node_modules" / script).is_file():
            problems.append(f"tests/reader/node_modules/{script} is missing (npm ci --prefix tests/reader)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the Python package playwright is missing from the venv")
    return problems


# --- the local web server ---------------------------------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves /reader/… from tests/reader and /books/… from the folder of built EPUBs, nothing else."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".epub": "application/epub+zip", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".xhtml": "application/xhtml+xml", ".html": "text/html"}

    def __init__(self, *args, roots: dict[str, Path], log: list[tuple[str, int]], **kwargs):
        self.roots, self.log = roots, log
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        rel = urllib.parse.unquote(urllib.parse.urlsplit(path).path).lstrip("/")
        prefix, _, rest = rel.partition("/")
        root = self.roots.get(prefix)
        if root is None:
            return str(Path("/nonexistent") / rel)
        target = (root / rest).resolve()
        return str(target) if target.is_relative_to(root.resolve()) else "/nonexistent"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@dataclass
class Server:
    base: str
    port: int
    log: list[tuple[str, int]]


# --- what the reader shows --------------------------------------------------------------------------------------

@dataclass
class Reader:
    """One book open in the harness page, with everything that went wrong in the browser since it opened."""

    variant: str
    page: object  # playwright Page
    book: dict  # harness.open(): title, spine, toc, pageList, pages, cover
    shots: Path
    problems: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert not self.problems, "the browser reported problems:\n" + "\n".join(self.problems)

    def call(self, js: str, arg: object = None):
        result = self.page.evaluate(js, arg)
        self.check()
        return result

    def click_toc(self, index: int) -> dict:
        """Click the index-th entry of the side bar built from book.navigation.toc; what the iframe then shows."""
        self.page.click(f'#toc a[data-index="{index}"]')
        return self.call("() => harness.pending")

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        self.check()
        keep = os.environ.get("EPAPER_KEEP_SCREENSHOTS")
        if keep:
            copy = REPO / "out" / "reader-screenshots" / self.variant / path.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
            print(f"screenshot: {path} (kept as {copy})")
        else:
            print(f"screenshot: {path}")
        return path


def ink(path: Path, box: tuple[int, int, int, int] | None = None) -> float:
    """Share of pixels (in box) that are not near-white: 0.0 means nothing was drawn there."""
    im = Image.open(path).convert("L")
    if box:
        im = im.crop(box)
    hist = im.histogram()
    return sum(hist[:200]) / max(1, sum(hist))


def expected_toc(issue: Issue) -> list[tuple[int, str, Article | None]]:
    """(depth, label, article) in page-plan order: the 版 (label checked separately), then its articles."""
    out: list[tuple[int, str, Article | None]] = []
    for page in issue.pages:
        out.append((0, f"第{page.number}版", None))
        for art_id in page.articles:
            article = issue.articles[art_id]
            out.append((1, article.title or article_label(article), article))
    return out


# --- fixtures ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def issue() -> Issue:
    return load_issue(SAMPLE)


@pytest.fixture(scope="module")
def epubs(tmp_path_factory: pytest.TempPathFactory, sample_pdf) -> dict[str, Path]:
    """The sample's EPUB plain, from the run's shared library build of it (conftest.py: what `epaper build` runs),
    and with --embed-fonts, built by the CLI."""
    out = tmp_path_factory.mktemp("reader-books")
    jobs = {}
    for variant, flags in VARIANTS.items():
        (out / variant).mkdir()
        if not flags:
            continue
        jobs[variant] = subprocess.Popen(
            [sys.executable, "-m", "epaper", "build", str(SAMPLE), "--out", str(out / variant), "-f", "epub", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    shared = next(p for p in sample_pdf("multi")[0].outputs if p.suffix == ".epub")
    books = {"plain": Path(shutil.copy(shared, out / "plain" / shared.name))}
    for variant, job in jobs.items():
        output, _ = job.communicate(timeout=300)
        assert job.returncode == 0, f"epaper build {variant} failed:\n{output}"
        found = sorted((out / variant).glob("*.epub"))
        assert len(found) == 1, f"expected one EPUB in {out / variant}, found {found}\n{output}"
        books[variant] = found[0]
    return books


@pytest.fixture(scope="module")
def server(epubs: dict[str, Path]):
    """A web server on 127.0.0.1 at a free port, in a thread: the harness, its npm scripts and the EPUBs."""
    log: list[tuple[str, int]] = []
    roots = {"reader": READER, "books": next(iter(epubs.values())).parent.parent}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, roots=roots, log=log))
    thread = threading.Thread(target=httpd.serve_forever, name="epub-reader-http", daemon=True)
    thread.start()
    port = httpd.server_address[1]
    yield Server(f"http://127.0.0.1:{port}", port, log)
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright; None when the toolchain is missing (tests then fail)."""
    if toolchain_problems():
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module", params=list(VARIANTS))
def reader(request: pytest.FixtureRequest, browser, tmp_path_factory: pytest.TempPathFactory):
    """The harness page with one of the two EPUBs open in epub.js."""
    variant = request.param
    if browser is None:
        yield variant  # each test fails on this, naming what is missing
        return
    epubs, server = request.getfixturevalue("epubs"), request.getfixturevalue("server")
    shots = tmp_path_factory.mktemp(f"reader-screenshots-{variant}", numbered=True)
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="zh-CN",
                                  service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []

    def guard(route) -> None:
        url = urllib.parse.urlsplit(route.request.url)
        if url.scheme == "http" and url.hostname == "127.0.0.1" and url.port == server.port:
            route.continue_()
        else:
            problems.append(f"request to a foreign address blocked: {route.request.url}")
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text} ({m.location})"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.on("crash", lambda _: problems.append("the page crashed"))
    page.goto(f"{server.base}/reader/index.html")
    book_url = f"{server.base}/books/{variant}/{epubs[variant].name}"
    book = page.evaluate("url => harness.open(url)", book_url)
    r = Reader(variant, page, book, shots, problems)
    r.check()
    yield r
    context.close()
    assert not problems, "the browser reported problems:\n" + "\n".join(problems)


def ready(reader) -> Reader:
    """The open book, or a failure (not a skip) naming what scripts/setup_browser.sh would install."""
    if not isinstance(reader, Reader):
        pytest.fail(f"cannot run the EPUB in a reading system: {'; '.join(toolchain_problems())}. "
                    f"Run `bash {SETUP}` (as root) to install them.", pytrace=False)
    return reader


# --- tests ------------------------------------------------------------------------------------------------------

def test_requests_off_loopback_are_blocked_and_reported(reader) -> None:
    """The guard itself: a request to any other host never leaves the browser and is reported as a problem.
    (.invalid never resolves; the route aborts it before any lookup anyway.)"""
    r = ready(reader)
    outcome = r.page.evaluate("() => fetch('http://guard-check.invalid/x').then(() => 'fetched', e => 'blocked')")
    r.page.wait_for_timeout(100)  # let the requestfailed / console events arrive
    assert outcome == "blocked"
    caught, r.problems[:] = list(r.problems), []
    assert any("foreign address blocked: http://guard-check.invalid/x" in p for p in caught), caught


def test_epubjs_loads_the_book(reader, issue: Issue, request: pytest.FixtureRequest) -> None:
    r = ready(reader)
    served = request.getfixturevalue("server").log
    assert any(path.startswith(f"/books/{r.variant}/") and path.endswith(".epub") and code == 200
               for path, code in served), f"the EPUB was not fetched from the local server: {served}"
    assert r.book["title"].startswith(issue.paper.name), r.book["title"]
    assert r.book["language"].lower().startswith("zh"), r.book["language"]
    assert r.book["spine"][0] == "cover.xhtml" and "nav.xhtml" in r.book["spine"], r.book["spine"]
    assert len(r.book["spine"]) == 2 + len(issue.articles), r.book["spine"]
    assert r.book["cover"], "epub.js found no cover image in the package"


def test_toc_lists_every_page_and_article_in_plan_order(reader, issue: Issue) -> None:
    r = ready(reader)
    toc = r.book["toc"]
    want = expected_toc(issue)
    got = [(e["depth"], e["label"]) for e in toc]
    assert len(got) == len(want), f"TOC has {len(got)} entries, the page plan {len(want)}:\n{got}"
    for (depth, label), (want_depth, want_label, article) in zip(got, want):
        assert depth == want_depth, f"{label!r} at depth {depth}, expected {want_depth}"
        if article is None:
            assert label.startswith(want_label), f"section entry {label!r} should start with {want_label!r}"
        else:
            assert label == want_label, f"TOC entry {label!r}, expected {want_label!r} ({article.id})"
    sections = [label for depth, label in got if depth == 0]
    for page, label in zip(issue.pages, sections):
        assert page.name in label, f"section entry {label!r} lacks the page name {page.name!r}"
    # Untitled photo news is listed by the start of its caption, which must really be its text.
    for _, label, article in want:
        if article is not None and not article.title:
            text = "".join(article.paragraphs) or "".join(p.caption for p in article.photos)
            assert text.startswith(label.rstrip("…")), (article.id, label)


def test_every_toc_entry_displays_its_headline(reader, issue: Issue) -> None:
    """Click each entry of the TOC side bar: rendition.display(href) must show that article's headline."""
    r = ready(reader)
    want = expected_toc(issue)
    pages = iter(issue.pages)
    seen_hrefs = set()
    for entry, (_, _, article) in zip(r.book["toc"], want):
        shown = r.click_toc(entry["index"])
        where = f"TOC entry {entry['label']!r} → {entry['href']}"
        assert shown["href"] == entry["href"].split("#")[0], f"{where}: the reader went to {shown['href']!r}"
        if article is None:
            page = next(pages)
            assert shown["pageLabel"] == entry["label"], f"{where}: the page shows folio {shown['pageLabel']!r}"
            assert shown["pageLabelShown"], f"{where}: the folio {shown['pageLabel']!r} is not on screen"
            assert f"第{page.number}版" in shown["pageLabel"]
            continue
        seen_hrefs.add(entry["href"])
        if article.title:
            assert shown["h1"] == " ".join(article.title.split()), f"{where}: the headline reads {shown['h1']!r}"
        else:
            assert shown["h1"], f"{where}: untitled photo news shows no heading"
            assert entry["label"].rstrip("…") in shown["text"], f"{where}: its caption is not on the page"
        assert shown["h1Shown"], f"{where}: the headline {shown['h1']!r} is not on screen"
        first = next(iter(article.paragraphs), "")
        assert first[:20] in shown["text"], f"{where}: the first paragraph {first[:20]!r}… is not in the page"
    assert len(seen_hrefs) == len(issue.articles), "two TOC entries lead to the same document"


def test_page_list_has_one_entry_per_print_page(reader, issue: Issue) -> None:
    r = ready(reader)
    numbers = [p.number for p in issue.pages]
    assert r.book["pages"] == numbers, r.book["pageList"]
    toc_sections = [e["href"] for e in r.book["toc"] if e["depth"] == 0]
    for item, page, section_href in zip(r.book["pageList"], issue.pages, toc_sections):
        doc, _, anchor = item["href"].partition("#")
        assert doc == section_href, f"page {page.number} points at {doc}, its 版 entry at {section_href}"
        assert anchor == f"page-{page.number}", item
    # Following a page-list entry lands on that 版's folio.
    for item, page in zip(r.book["pageList"], issue.pages):
        shown = r.call("href => harness.show(href, -1)", item["href"])
        assert f"第{page.number}版" in shown["pageLabel"] and shown["pageLabelShown"], (item, shown["pageLabel"])


def test_cover_displays(reader) -> None:
    r = ready(reader)
    shown = r.call("() => harness.cover()")
    assert shown["href"] == "cover.xhtml" and shown["svgShown"], shown
    image = shown.get("image") or {}
    width, height = (int(v) for v in shown["viewBox"].split()[2:])
    assert (image.get("width"), image.get("height")) == (width, height), (shown["viewBox"], image)
    assert image.get("type", "").startswith("image/") and image.get("bytes", 0) > 10_000, image
    path = r.screenshot("cover")
    # The front page fills the reading area: a broadsheet page has ink everywhere, the empty page none.
    box = r.call("() => { const b = document.getElementById('viewer').getBoundingClientRect();"
                 " return [b.left, b.top, b.right, b.bottom].map(Math.round); }")
    assert ink(path, tuple(box)) > 0.03, f"the cover looks empty: {path}"


def test_screenshots_of_contents_and_articles(reader, issue: Issue) -> None:
    r = ready(reader)
    contents = r.call("() => harness.show('nav.xhtml', -1)")
    assert issue.paper.name in contents["text"], contents["text"][:200]
    r.screenshot("contents")
    toc = r.book["toc"]
    lead = next(e for e in toc if e["depth"] == 1)  # the lead story of page 1
    shown = r.click_toc(lead["index"])
    assert shown["h1Shown"]
    path = r.screenshot("article")
    assert ink(path) > 0.01, f"the article page looks empty: {path}"
    photo_id = next((a.id for _, a in issue.articles_in_order() if a.kind == "photo-news"), None)
    if photo_id:
        entry = next(e for e in toc if e["href"].split("#")[0].endswith(f"/{photo_id}.xhtml"))
        r.click_toc(entry["index"])
        r.screenshot("photo-news")


def test_embedded_fonts_load_in_the_reader(reader, issue: Issue) -> None:
    """With --embed-fonts the book's own faces are loaded and draw the body; without, the book declares none."""
    r = ready(reader)
    lead = next(e for e in r.book["toc"] if e["depth"] == 1)
    shown = r.click_toc(lead["index"])
    faces = shown["fonts"]
    if r.variant == "plain":
        assert faces == [], f"the plain EPUB declares font faces: {faces}"
        return
    palette = load_palette(REPO / "fonts", traditional=issue.paper.is_traditional)
    body, display = palette["serif"], palette["sans"]
    assert faces, "the EPUB built with --embed-fonts declares no @font-face"
    assert all(f["status"] == "loaded" for f in faces), f"embedded faces not loaded: {faces}"
    families = {(f["family"], f["weight"]) for f in faces}
    assert (body.family, str(body.weight)) in families, f"no loaded body face {body.family}: {faces}"
    assert (display.family, str(display.weight)) in families, f"no loaded headline face {display.family}: {faces}"
    assert shown["bodyFont"].strip('"\'').startswith(body.family), shown["bodyFont"]
    assert display.family in shown["headlineFont"], shown["headlineFont"]
    # document.fonts.check(): the body text's characters are covered by a loaded face, without fallback loads.
    sample = issue.articles[issue.pages[0].articles[0]].paragraphs[0][:40]
    covered = r.call("([family, text]) => { const c = document.querySelector('#viewer iframe').contentDocument;"
                     " return c.fonts.check(`1em \"${family}\"`, text); }", [body.family, sample])
    assert covered, f"{body.family} does not cover {sample!r}"
