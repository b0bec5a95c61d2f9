"""The web e-paper in a real browser: the two sample issues built into one site, served from 127.0.0.1 and driven
with Debian's Chromium through Playwright. Every link area is checked against the PDF's glyphs and followed; no
request may leave 127.0.0.1 and no console error may occur. Screenshots go to pytest's tmp dir (paths printed)."""

from __future__ import annotations

import io
import json
import re
import shutil
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pdfplumber
import pytest

from epaper.build import BuildOptions, BuildResult, build
from epaper.paths import LAYOUTS
from epaper.errors import EpaperError
from epaper.layout.grid import MM, Layout, load_layout
from epaper.render.web.web import write_archive, write_site
from epaper.render.web.web_manifest import issue_path, read_manifests
from epaper.render.web.web_theme import web_strings
from epaper.serve import SiteServer
from epaper.strings import Strings

from .conftest import MULTI_ISSUE, SEED_ISSUE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PX_TOLERANCE = 1.5  # image px: rounding of the region's coordinates and of the bitmap's size


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- building and serving ------------------------------------------------------------------------------------------

@dataclass
class BuiltIssue:
    result: BuildResult
    pdf: Path
    layout_json: dict
    layout: Layout
    url_path: str  # the issue folder in its site root, e.g. "2024-12/20/"
    url: str = ""  # the issue folder's URL on the test server


@dataclass
class Site:
    root: Path
    issues: dict[str, BuiltIssue]  # by ISO date
    jump: BuiltIssue  # an issue whose story continues on the next page (转版), in a site root of its own
    base: str = ""  # http://127.0.0.1:PORT/main/, the site root of the two samples
    screens: Path = Path()
    shots: list[Path] = field(default_factory=list)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def build_into(site_root: Path, issue_dir: Path, out: Path, formats=("pdf", "epub"), result=None) -> BuiltIssue:
    """Build an issue with the library API (or take `result`, a build of it) and write its web e-paper, as
    `epaper build --format web` will, offering the `formats` asked for."""
    result = result or build(issue_dir, BuildOptions(out=out, formats=formats))
    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    epub = next((p for p in result.outputs if p.suffix == ".epub"), None) if "epub" in formats else None
    record = json.loads(next(p for p in result.outputs if p.name.endswith(".layout.json")).read_text("utf-8"))
    layout = load_layout(LAYOUTS, result.issue.paper.layout)
    strings = Strings(layout.folders, result.issue.paper.language)
    written = write_site(site_root, result.issue, result.pages, pdf, epub, strings, layout=layout)
    assert written == [site_root / issue_path(result.issue) / "index.html", site_root / "index.html"]
    return BuiltIssue(result, pdf, record, layout, issue_path(result.issue) + "/")


@pytest.fixture(scope="module")
def site(tmp_path_factory, jumped_sample, sample_pdf):
    """Both sample issues written into one site root by separate write_site calls, the older one last (the archive
    must sort), and a jumping variant of the 4-page sample into another; served by http.server on 127.0.0.1."""
    work = tmp_path_factory.mktemp("web")
    sites = work / "sites"
    root = sites / "main"
    issues: dict[str, BuiltIssue] = {}
    for name, issue_dir in (("multi", MULTI_ISSUE), ("seed", SEED_ISSUE)):
        built = build_into(root, issue_dir, work / "out", result=sample_pdf(name)[0])  # built once per run
        issues[built.result.issue.date.isoformat()] = built
    jump_result, jump_dir = jumped_sample  # built once per run (conftest.py); its site offers the PDF only
    jump = build_into(sites / "jump", jump_dir, work / "jump-out", formats=("pdf",), result=jump_result)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(sites)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    server = f"http://127.0.0.1:{httpd.server_port}/"
    for built in issues.values():
        built.url = f"{server}main/{built.url_path}"
    jump.url = f"{server}jump/{jump.url_path}"
    screens = work / "screenshots"
    screens.mkdir()
    s = Site(root, issues, jump, server + "main/", screens)
    yield s
    httpd.shutdown()
    httpd.server_close()
    for shot in s.shots:
        print(f"screenshot: {shot}")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (never `playwright install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """A browser context whose every request is routed: anything not to 127.0.0.1 is recorded and aborted, and
    console errors, page errors and HTTP errors are recorded; `check()` fails on any of them."""

    def __init__(self, browser, **context_options):
        self.context = browser.new_context(**context_options)
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.requests = 0
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    def _route(self, route):
        url = route.request.url
        self.requests += 1
        parsed = urlparse(url)
        if parsed.scheme == "data":
            route.continue_()
        elif parsed.scheme != "http" or parsed.hostname != "127.0.0.1":
            self.foreign.append(url)
            route.abort()
        else:
            route.continue_()

    def check(self) -> None:
        assert not self.foreign, f"requests left 127.0.0.1: {self.foreign}"
        assert not self.errors, self.errors

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser):
    t = Tab(browser, viewport={"width": 1400, "height": 1000})
    yield t
    t.check()
    t.close()


def shot(site: Site, page, name: str, *, full_page: bool = False) -> Path:
    path = site.screens / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    site.shots.append(path)
    print(f"screenshot: {path}")
    return path


# --- the archive, the issue, page 1 and its lead article --------------------------------------------------------------

def test_archive_lists_both_issues_newest_first(site, tab):
    page = tab.page
    page.goto(site.base + "index.html")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    dates = page.locator(".issue-card a").evaluate_all("els => els.map(e => e.dataset.date)")
    assert dates == ["2024-12-20", "2024-12-19"]
    hrefs = page.locator(".issue-card a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert hrefs == ["2024-12/20/index.html", "2024-12/19/index.html"]
    cards = page.locator(".issue-card").all_inner_texts()
    assert "总第14322期" in cards[0] and "总第14321期" in cards[1]
    shot(site, page, "archive-index", full_page=True)
    tab.check()


def test_mouse_from_archive_to_the_lead_article(site, tab):
    page = tab.page
    issue = site.issues["2024-12-20"]
    lead = issue.result.pages[0].modules[0].article
    page.goto(site.base + "index.html")
    page.click('.issue-card a[data-date="2024-12-20"]')
    page.wait_for_url("**/2024-12/20/index.html")
    assert page.locator(".page-card").count() == len(issue.result.pages)
    page.locator(".thumb-link").first.click()
    page.wait_for_url("**/2024-12/20/page-01.html")
    assert page.locator("h1").inner_text() == "第1版 要闻"
    page.wait_for_function("document.querySelector('.sheet-image').complete")
    shot(site, page, "page-01")
    page.click(f'a.region[data-article="{lead.id}"]')
    page.wait_for_url(f"**/2024-12/20/a/{lead.id}.html")
    assert page.locator("h1").inner_text() == lead.title
    body = squeeze(page.locator(".story-body").inner_text())
    for para in lead.paragraphs:
        assert squeeze(para) in body
    assert page.locator(".story-body .byline").inner_text().startswith("本报讯")
    shot(site, page, "article-lead", full_page=True)
    # and back to the page, where the article's area is the target
    page.click(".location")
    page.wait_for_url(f"**/2024-12/20/page-01.html#r-{lead.id}")
    tab.check()


def test_keyboard_tab_to_a_region_and_enter(site, tab):
    page = tab.page
    issue = site.issues["2024-12-20"]
    page.goto(site.base + "2024-12/20/page-01.html")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('a.region')"):
            break
    else:
        pytest.fail("Tab never reached a link area of the page")
    focused = page.evaluate("document.activeElement.dataset.article")
    assert focused == issue.result.pages[0].modules[0].article.id  # areas follow the plan: the lead first
    # the focused area is visibly marked
    stroke = page.evaluate("getComputedStyle(document.activeElement.querySelector('rect')).stroke")
    width = page.evaluate("getComputedStyle(document.activeElement.querySelector('rect')).strokeWidth")
    assert stroke not in ("none", "") and float(width.rstrip("px")) >= 3
    shot(site, page, "page-01-keyboard-focus")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/a/{focused}.html")
    assert page.locator("h1").inner_text() == issue.result.issue.articles[focused].title
    tab.check()


# --- every page, every article ------------------------------------------------------------------------------------------

def _chars(pdf: Path, indices: set[int]) -> dict[int, tuple[float, float, list[dict]]]:
    """Page size (pt) and visible glyphs (pdfplumber: pt from the top-left) of the pages at `indices`."""
    with pdfplumber.open(pdf) as doc:
        return {i: (p.width, p.height, [c for c in p.chars if c["text"].strip()])
                for i, p in enumerate(doc.pages) if i in indices}


def _occurrences(chars: list[dict], text: str) -> list[list[dict]]:
    """Runs of glyphs spelling `text` (whitespace ignored) in content-stream order."""
    owner: list[int] = []  # stream position → glyph (a glyph may stand for more than one character)
    for i, c in enumerate(chars):
        owner.extend([i] * len(c["text"]))
    stream = "".join(c["text"] for c in chars)
    needle = squeeze(text)
    found, start = [], stream.find(needle)
    while needle and start >= 0:
        found.append(chars[owner[start]:owner[start + len(needle) - 1] + 1])
        start = stream.find(needle, start + 1)
    return found


def _inside(glyph: dict, box: tuple[float, float, float, float], sx: float, sy: float, tol: float) -> bool:
    x, y, w, h = box
    return (glyph["x0"] * sx >= x - tol and glyph["x1"] * sx <= x + w + tol
            and glyph["top"] * sy >= y - tol and glyph["bottom"] * sy <= y + h + tol)


def check_regions(page, issue: BuiltIssue, numbers: set[int] | None = None) -> int:
    """For every page (or those numbered in `numbers`) and every module on it: the link area is the module's
    rectangle from the build, drawn over the image; it covers the PDF glyphs of its article; its link leads to
    the article. Returns the number of areas checked."""
    words = web_strings(issue.layout.folders, issue.result.issue.paper.language)
    base = Strings(issue.layout.folders, issue.result.issue.paper.language)
    wanted = {i for i, pl in enumerate(issue.result.pages) if numbers is None or pl.page.number in numbers}
    pdf_pages = _chars(issue.pdf, wanted)
    checked = 0
    for index in sorted(wanted):
        pl, (pw, ph, chars) = issue.result.pages[index], pdf_pages[index]
        url = f"{issue.url}page-{pl.page.number:02d}.html"
        page.goto(url)
        page.wait_for_function("document.querySelector('.sheet-image').complete")
        natural = page.evaluate("(() => { const i = document.querySelector('.sheet-image');"
                                " return [i.naturalWidth, i.naturalHeight]; })()")
        sx, sy = natural[0] / pw, natural[1] / ph  # image px per pt, from the PDF's own page size
        areas = page.evaluate("""(() => {
            const img = document.querySelector('.sheet-image').getBoundingClientRect();
            const k = document.querySelector('.sheet-image').naturalWidth / img.width;
            return [...document.querySelectorAll('a.region')].map(a => {
                const r = a.querySelector('rect'), b = a.getBoundingClientRect();
                return {article: a.dataset.article, module: a.dataset.module, href: a.getAttribute('href'),
                        label: a.getAttribute('aria-label'),
                        attr: ['x', 'y', 'width', 'height'].map(n => parseFloat(r.getAttribute(n))),
                        shown: [(b.left - img.left) * k, (b.top - img.top) * k, b.width * k, b.height * k]};
            });
        })()""")
        assert [a["module"] for a in areas] == [m.dom_id for m in pl.modules]
        assert [a["href"] for a in areas] == [f"a/{m.article.id}.html" for m in pl.modules]
        headlines = page.locator("#headlines ~ ol a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert headlines == [f"a/{m.article.id}.html" for m in pl.modules]
        record = issue.layout_json["pages"][index]["modules"]
        for m, area, rec in zip(pl.modules, areas, record):
            art, part = m.article, m.fragment.part if m.fragment else 0
            where = f"{issue.url_path} page {pl.page.number} {m.dom_id}"
            x, y, w, h = area["attr"]
            # the area is the module's rectangle from the build (layout.json's record) scaled to image px
            assert rec["id"] == m.dom_id
            expect = [rec["rect_mm"][k] * MM * s for k, s in (("x", sx), ("y", sy), ("w", sx), ("h", sy))]
            assert all(abs(a - e) <= PX_TOLERANCE for a, e in zip(area["attr"], expect)), (where, area, expect)
            # the overlay sits where the image is drawn
            assert all(abs(a - e) <= PX_TOLERANCE for a, e in zip(area["shown"], area["attr"])), (where, area)
            # every glyph inside the module's rectangle lies inside the area…
            r = m.rect
            own = [c for c in chars if r.x <= (c["x0"] + c["x1"]) / 2 <= r.x + r.w
                   and r.y <= (c["top"] + c["bottom"]) / 2 <= r.y + r.h]
            assert own, where
            assert all(_inside(c, (x, y, w, h), sx, sy, PX_TOLERANCE) for c in own), where
            # …and the article's own text, found in the page's glyph stream, is in it: its headline, the start
            # of its first paragraph and the end of its last, or of the part printed here (转版)
            paras = list(art.paragraphs) or [p.caption for p in art.photos]
            texts = [art.title] if part == 2 else [t for t in (art.kicker, art.title, art.subtitle) if t]
            if part != 2:
                texts.append(squeeze(paras[0])[:16])
            if part != 1:
                texts.append(squeeze(paras[-1])[-16:])
            if part:
                page_no = m.fragment.jump_to or m.fragment.jump_from
                texts.append(base.fmt("jump_to" if part == 1 else "jump_from", page=page_no))
            for text in texts:
                runs = _occurrences(chars, text)
                assert runs, f"{where}: {text!r} not found in the PDF"
                assert all(_inside(c, (x, y, w, h), sx, sy, PX_TOLERANCE) for run in runs for c in run), \
                    f"{where}: {text!r} outside its area"
            # untitled photo news: the first 24 characters of its caption, as the EPUB's contents show them
            snippet = paras[0] if len(paras[0]) <= 24 else paras[0][:24].rstrip() + "…"
            label = art.title or words["photo_news"] + words["label_join"] + snippet
            if part == 2:
                label += base.fmt("jump_from", page=m.fragment.jump_from)
            assert area["label"] == label
            # the area's link leads to the article
            page.click(f'a.region[data-module="{m.dom_id}"]')
            page.wait_for_url(f"**/{issue.url_path}a/{art.id}.html")
            assert page.locator("h1").inner_text() == (art.title or words["photo_news"])
            page.go_back()
            page.wait_for_url(url)
            checked += 1
    return checked


def test_every_region_covers_its_article_and_leads_to_it(site, tab):
    checked = sum(check_regions(tab.page, issue) for issue in site.issues.values())
    assert checked == sum(len(pl.modules) for i in site.issues.values() for pl in i.result.pages)
    tab.check()


def test_a_story_continued_on_another_page(site, tab):
    """转版: both parts are link areas to one article page, which holds the whole story and shows both parts."""
    issue = site.jump
    parts = [(pl.page.number, m) for pl in issue.result.pages for m in pl.modules if m.fragment]
    assert len(parts) == 2, "the jumping sample no longer jumps"
    (first, part1), (second, part2) = parts
    art = part1.article
    assert part2.article is art and part2.dom_id != part1.dom_id
    assert check_regions(tab.page, issue, {first, second}) == sum(
        len(pl.modules) for pl in issue.result.pages if pl.page.number in (first, second))
    page = tab.page
    page.goto(f"{issue.url}a/{art.id}.html")
    body = squeeze(page.locator(".story-body").inner_text())
    assert all(squeeze(p) in body for p in art.paragraphs)
    assert "下转" not in body and "上接" not in body
    backs = page.locator(".location").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert backs == [f"../page-{first:02d}.html#r-{part1.dom_id}", f"../page-{second:02d}.html#r-{part2.dom_id}"]
    assert f"（下转第{second}版）" in page.locator(".on-page").inner_text()
    shot(site, page, "article-continued", full_page=True)
    page.locator(".location").nth(1).click()
    page.wait_for_url(f"**/page-{second:02d}.html#r-*")
    assert page.evaluate("document.querySelector(':target').dataset.module") == part2.dom_id
    tab.check()


def test_phone_viewport(site, browser):
    t = Tab(browser, viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True)
    try:
        page = t.page
        issue = site.issues["2024-12-20"]
        lead = issue.result.pages[0].modules[0].article
        page.goto(site.base + "2024-12/20/page-01.html")
        page.wait_for_function("document.querySelector('.sheet-image').complete")
        viewport = page.get_attribute('meta[name="viewport"]', "content")
        assert "width=device-width" in viewport and "user-scalable" not in viewport and "maximum-scale" not in viewport
        box = page.locator(".sheet-image").bounding_box()
        assert 350 <= box["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
        assert "@2x" in page.evaluate("document.querySelector('.sheet-image').currentSrc")  # sharp at 3 dppx
        shot(site, page, "phone-page-01")
        page.locator(f'a.region[data-article="{lead.id}"]').tap()
        page.wait_for_url(f"**/a/{lead.id}.html")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.story-body p')).fontSize)")
        assert size >= 16
        shot(site, page, "phone-article")
        t.check()
    finally:
        t.close()


# --- without a browser --------------------------------------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.lang = ""
        self.no_alt = 0
        self.viewport = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        elif tag == "img" and "alt" not in a:
            self.no_alt += 1
        elif tag == "meta" and a.get("name") == "viewport":
            self.viewport = True
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids.add(value)
            elif name in ("href", "src"):
                self.urls.append(value)
            elif name == "srcset":
                self.urls.extend(part.split()[0] for part in value.split(","))


def test_site_is_self_contained_and_every_link_resolves(site):
    pages = sorted(site.root.rglob("*.html"))
    # the archive and the search page, then per issue its 版面导航, pages and articles
    assert len(pages) == 2 + sum(1 + len(i.result.pages) + len(i.result.issue.articles) for i in site.issues.values())
    ids = {}
    links: list[tuple[Path, str]] = []
    for file in pages:
        parser = _Links()
        parser.feed(file.read_text("utf-8"))
        ids[file] = parser.ids
        assert parser.lang == "zh-CN" and parser.viewport and not parser.no_alt, file
        links.extend((file, u) for u in parser.urls)
    for css in site.root.rglob("*.css"):
        text = css.read_text("utf-8")
        assert "url(" not in text and "@import" not in text and "@font-face" not in text, css
    for file, url in links:
        if url.startswith("data:"):
            continue
        parsed = urlparse(url)
        assert not parsed.scheme and not parsed.netloc, f"{file}: {url} is not relative"
        path, fragment = urldefrag(url)
        target = (file.parent / unquote(path)).resolve() if path else file
        assert target.is_file() and target.is_relative_to(site.root.resolve()), f"{file}: {url} is broken"
        if fragment:
            assert fragment in ids[target], f"{file}: {url}: no #{fragment}"


def test_bleed_and_crop_marks_are_cut_off(site, tmp_path, marked_seed_pdf):
    """A PDF built with --marks is rasterised at its trim box, so the areas stay on the articles."""
    from epaper.render.web.web_images import rasterise

    seed = site.issues["2024-12-19"]
    pdf = marked_seed_pdf[1]  # built once per run (conftest.py)
    marked, = rasterise(pdf, tmp_path / "img", ["marked"])
    plain, = rasterise(seed.pdf, tmp_path / "img", ["plain"])
    assert abs(marked.trim_w - seed.layout.width) < 0.5 and abs(marked.trim_h - seed.layout.height) < 0.5
    sizes = lambda im: [(r.width, r.height) for r in (im.screen, im.hidpi, im.thumb)]  # noqa: E731
    assert sizes(marked) == sizes(plain)
    from PIL import Image, ImageChops

    with Image.open(tmp_path / "img" / "marked.webp") as a, Image.open(tmp_path / "img" / "plain.webp") as b:
        diff = ImageChops.difference(a.convert("L"), b.convert("L"))
        assert sum(diff.histogram()[32:]) < 0.001 * a.width * a.height  # the same picture, not shifted


def test_archive_is_regenerated_from_the_manifests(site, tmp_path):
    """A site root assembled from issue folders of earlier runs gets an index of all of them, newest first."""
    root = tmp_path / "site"
    for date in ("2024-12-19", "2024-12-20"):
        shutil.copytree(site.root / site.issues[date].url_path, root / site.issues[date].url_path)
        folders = site.issues[date].layout.folders
        index = write_archive(root, folders, "zh-CN")
        listed = re.findall(r'data-date="([\d-]+)"', index.read_text("utf-8"))
        assert listed == sorted(listed, reverse=True) and date in listed
    assert [m["date"] for m in read_manifests(root)] == ["2024-12-20", "2024-12-19"]


def test_a_failed_write_keeps_the_served_issue(site, tmp_path):
    root = tmp_path / "site"
    seed, multi = site.issues["2024-12-19"], site.issues["2024-12-20"]
    shutil.copytree(site.root, root)
    before = (root / multi.url_path / "page-01.html").read_bytes()
    strings = Strings(multi.layout.folders, "zh-CN")
    with pytest.raises(EpaperError, match="PDF has 1 pages but the issue has 4"):
        write_site(root, multi.result.issue, multi.result.pages, seed.pdf, None, strings, layout=multi.layout)
    assert (root / multi.url_path / "page-01.html").read_bytes() == before
    assert not [p for p in (root / "2024-12").iterdir() if p.name.startswith(".")]  # no staging left behind


def test_serve_rebuilds_on_change_and_survives_a_failed_rebuild(tmp_path):
    issue_dir = tmp_path / "paper" / "2024-12-19"
    issue_dir.mkdir(parents=True)
    (issue_dir / "issue.toml").write_text("date = 2024-12-19\n")
    site_root = tmp_path / "site"
    state = {"version": 0, "fail": False}

    def rebuild():
        if state["fail"]:
            raise EpaperError("issue.toml:1: something is wrong")
        state["version"] += 1
        (site_root / "index.html").write_text(f"v{state['version']}")

    def get() -> str:
        with urllib.request.urlopen(server.url + "index.html", timeout=5) as response:
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert response.headers["Cache-Control"] == "no-cache"
            return response.read().decode()

    def wait(condition) -> None:
        deadline = time.monotonic() + 5
        while not condition():
            assert time.monotonic() < deadline, "the watcher did not react"
            time.sleep(0.02)

    def touch(text: str) -> None:
        (issue_dir / "issue.toml").write_text(text)

    log = io.StringIO()
    server = SiteServer(issue_dir, site_root, rebuild, interval=0.05, out=log)
    with server.start():
        assert server.url.startswith("http://127.0.0.1:")
        assert get() == "v1"
        touch("date = 2024-12-19\nnumber = 1\n")
        wait(lambda: server.builds == 2)
        assert get() == "v2"
        state["fail"] = True
        touch("date = 2024-12-19\nnumber = 2\n")
        wait(lambda: server.failures == 1)
        assert get() == "v2"
        assert "rebuild failed" in log.getvalue() and "something is wrong" in log.getvalue()
        state["fail"] = False
        (issue_dir / "articles").mkdir()
        (issue_dir / "articles" / "new.md").write_text("+++\ntitle = 'x'\n+++\n")
        wait(lambda: server.builds == 4)
        assert get() == "v3"
