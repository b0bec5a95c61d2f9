"""The web e-paper on a phone and for search engines (issue 26), in Debian's Chromium through Playwright: both sample
issues built with a site_url into one site root, served below a sub-path of 127.0.0.1. On 390×844 the first screen
shows 标题导航; the page zooms until body text is 12 CSS px with 2 image px per CSS px there; every region opens its
article by tap at 1× and at that zoom; search finds a word of each issue; JSON-LD names the headline; the sitemaps
and the feed validate; axe-core reports nothing; no request leaves the server. Also: --site refuses a folder of
someone else's files (issue 18 case 14) and navigation landmarks have distinct names (case 20)."""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections import Counter
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pdfplumber
import pytest
from lxml import etree

from epaper.build import BuildOptions, BuildResult, build
from epaper.errors import InputError
from epaper.render.web import web_search, web_site
from epaper.render.web.web import write_archive
from epaper.render.web.web_manifest import issue_path

from .conftest import MULTI_ISSUE, REPO, SEED_ISSUE
from .test_web import CHROMIUM, CHROMIUM_ARGS, Tab

SITE_URL = "https://epaper.example.com/wujin/"
AXE = REPO / "tests" / "reader" / "node_modules" / "axe-core" / "axe.min.js"
SCHEMAS = Path(__file__).resolve().parent / "web_schemas"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
TEXT_PX = 12  # the body text size the zoom must reach, CSS px
ARGS = [*CHROMIUM_ARGS, "--headless"]


@dataclass
class Built:
    result: BuildResult
    pdf: Path
    path: str  # the issue folder from the site root, "2024-12/20/"


@dataclass
class Site:
    root: Path
    issues: dict[str, Built]
    base: str  # http://127.0.0.1:PORT/wujin/


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Both samples (a paper.toml with site_url) built by the library into one site root, print PDF and web only."""
    work = tmp_path_factory.mktemp("web-phone")
    paper = work / "papers" / "wujin-daily"
    paper.mkdir(parents=True)
    toml = (MULTI_ISSUE.parent / "paper.toml").read_text("utf-8")
    (paper / "paper.toml").write_text(toml.replace('name = "武进日报"\n', f'name = "武进日报"\nsite_url = "{SITE_URL}"\n'),
                                      "utf-8")
    root = work / "sites" / "wujin"
    issues = {}
    for sample in (SEED_ISSUE, MULTI_ISSUE):
        shutil.copytree(sample, paper / sample.name)
        result = build(paper / sample.name, BuildOptions(out=work / "out", formats=("pdf", "web"), site=root))
        pdf = next(p for p in result.outputs if p.suffix == ".pdf")
        issues[result.issue.date.isoformat()] = Built(result, pdf, issue_path(result.issue) + "/")
    assert "I700" not in {f.code for b in issues.values() for f in b.result.findings}  # it has a site_url
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(work / "sites")))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield Site(root, issues, f"http://127.0.0.1:{httpd.server_port}/wujin/")
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (never `playwright install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    t = Tab(browser, **PHONE)
    yield t
    t.check()  # no request left 127.0.0.1, no console or HTTP error
    t.close()


@pytest.fixture
def desktop(browser):
    t = Tab(browser, **DESKTOP)
    yield t
    t.check()
    t.close()


def body_text_pt(pdf: Path) -> tuple[float, float]:
    """(the commonest glyph size on page 1, the page width), in pt, read from the print PDF."""
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        sizes = Counter(round(c["size"], 1) for c in page.chars if c["text"].strip())
        return sizes.most_common(1)[0][0], float(page.width)


def sheet_state(page) -> dict:
    return page.evaluate("""() => {
        const sheet = document.querySelector('.sheet'), img = sheet.querySelector('.sheet-image');
        return {width: sheet.getBoundingClientRect().width, natural: img.naturalWidth, src: img.currentSrc,
                complete: img.complete, level: document.querySelector('.zoom-level').textContent,
                scrollWidth: document.documentElement.scrollWidth};
    }""")


def zoom_until_text(page, pdf: Path) -> dict:
    """Press 放大 until body text is TEXT_PX CSS px; then wait for the zoom image. Returns the sheet's state."""
    size_pt, width_pt = body_text_pt(pdf)
    for _ in range(12):
        if sheet_state(page)["width"] * size_pt / width_pt >= TEXT_PX:
            break
        page.click(".zoom-in")
    page.wait_for_function("""() => { const i = document.querySelector('.sheet-image');
                                      return i.complete && i.currentSrc.includes('@zoom'); }""")
    state = sheet_state(page)
    state["text_px"] = state["width"] * size_pt / width_pt
    return state


def tap_region(page, module_id: str) -> None:
    """Scroll the region into the zoom box's view and tap the middle of its visible part."""
    box = page.evaluate("""(id) => {
        const a = document.getElementById('r-' + id);
        a.scrollIntoView({block: 'center', inline: 'center'});
        const r = a.getBoundingClientRect(), v = document.querySelector('.sheet-scroll').getBoundingClientRect();
        const left = Math.max(r.left, v.left, 0), right = Math.min(r.right, v.right, innerWidth);
        const top = Math.max(r.top, v.top, 0), bottom = Math.min(r.bottom, v.bottom, innerHeight);
        return {x: (left + right) / 2, y: (top + bottom) / 2, w: right - left, h: bottom - top};
    }""", module_id)
    assert box["w"] > 10 and box["h"] > 10, f"region {module_id} is not on the screen: {box}"
    page.touchscreen.tap(box["x"], box["y"])


# --- the phone page view ----------------------------------------------------------------------------------------------

def test_phone_first_screen_shows_the_headline_list(site, phone):
    page = phone.page
    built = site.issues["2024-12-20"]
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(site.base + built.path + "page-01.html")
    page.wait_for_function("document.querySelector('.sheet-image').complete")
    assert not [u for u in requested if "@zoom" in u], "the zoom image is loaded before anyone zooms"
    heading = page.locator("#headlines").bounding_box()
    items = page.locator(".headlines li")
    assert items.count() == len(built.result.pages[0].modules)
    last = items.last.bounding_box()
    assert heading["y"] >= 0 and last["y"] + last["height"] <= 844, "标题导航 is not on the first screen"
    # the page image comes after it, and nothing is wider than the screen
    assert page.locator(".sheet").bounding_box()["y"] > last["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_phone_zoom_reaches_12px_text_sharp_and_every_region_opens_at_1x_and_zoomed(site, phone):
    page = phone.page
    built = site.issues["2024-12-20"]
    url = site.base + built.path + "page-01.html"
    modules = built.result.pages[0].modules
    for zoomed in (False, True):
        for m in modules:
            page.goto(url)
            if zoomed:
                state = zoom_until_text(page, built.pdf)
                assert state["text_px"] >= TEXT_PX, state
                assert state["natural"] / state["width"] >= 2, f"zoom image not sharp: {state}"
                assert state["scrollWidth"] <= 390  # the box pans, not the page
            tap_region(page, m.dom_id)
            page.wait_for_url(f"**/a/{m.article.id}.html")


def test_phone_double_tap_and_pinch_zoom(site, phone):
    page = phone.page
    built = site.issues["2024-12-20"]
    page.goto(site.base + built.path + "page-01.html")
    box = page.locator(".sheet-scroll").bounding_box()
    # double-tap on the page's head margin (no region there) zooms in; regions are checked above
    x, y = box["x"] + 6, box["y"] + 4
    page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)
    page.wait_for_function("document.querySelector('.zoom-level').textContent === '200%'")
    page.click(".zoom-fit")
    assert sheet_state(page)["level"] == "100%"
    # pinch: two fingers moving apart, as the browser reports them
    cdp = page.context.new_cdp_session(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + 200

    def touch(kind, spread):
        points = [] if kind == "touchEnd" else [{"x": cx - spread, "y": cy, "id": 1},
                                                {"x": cx + spread, "y": cy, "id": 2}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 40)
    for spread in range(50, 130, 10):
        touch("touchMove", spread)
    touch("touchEnd", 0)
    level = int(sheet_state(page)["level"].rstrip("%"))
    assert 250 <= level <= 350, f"a pinch from 80 to 240 px apart zoomed to {level}%"


def test_phone_page_works_without_scripts(site, browser):
    t = Tab(browser, java_script_enabled=False, **PHONE)
    try:
        built = site.issues["2024-12-20"]
        lead = built.result.pages[0].modules[0]
        t.page.goto(site.base + built.path + "page-01.html")
        assert not t.page.locator(".zoom-bar").is_visible()  # controls that need the script stay hidden
        assert t.page.get_attribute(".zoom a", "href").endswith("@zoom.jpg")
        tap_region(t.page, lead.dom_id)
        t.page.wait_for_url(f"**/a/{lead.article.id}.html")
        t.check()
    finally:
        t.close()


def test_the_front_page_ear_indexes_the_key_stories(site, desktop):
    page = desktop.page
    built = site.issues["2024-12-20"]
    page.goto(site.base + built.path + "page-01.html")
    ear = page.locator(".ear")
    text = ear.inner_text()
    issue = built.result.issue
    assert issue.lunar in text and issue.weather in text
    leads = [p.modules[0].article for p in built.result.pages]
    assert ear.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))") == \
        [f"a/{a.id}.html" for a in leads]
    assert page.locator(".sheet").bounding_box()["x"] < ear.bounding_box()["x"]  # beside the page on a desktop
    assert page.goto(site.base + built.path + "page-02.html") and page.locator(".ear").count() == 0


# --- keyboard and axe ------------------------------------------------------------------------------------------------

def test_every_region_reachable_by_keyboard_with_a_visible_ring(site, desktop):
    page = desktop.page
    built = site.issues["2024-12-20"]
    page.goto(site.base + built.path + "page-01.html")
    want = [m.dom_id for m in built.result.pages[0].modules]
    seen = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.matches('a.region') && document.activeElement.dataset.module")
        if focused:
            rect = page.evaluate("""() => { const s = getComputedStyle(document.activeElement.querySelector('rect'));
                                            return [s.stroke, parseFloat(s.strokeWidth)]; }""")
            assert rect[0] not in ("none", "") and rect[1] >= 3, f"{focused}: no visible focus ring {rect}"
            seen.append(focused)
        if len(seen) == len(want):
            break
    assert seen == want


AXE_PAGES = ["index.html", "2024-12/20/index.html", "2024-12/20/page-01.html", "2024-12/20/page-02.html",
             "2024-12/20/a/longcheng-xingu-fengding.html", "2024-12/19/a/longcheng-xingu.html",
             "search.html?q=" + quote("芯谷")]


@pytest.mark.parametrize("tab_fixture", ["phone", "desktop"])
def test_axe_reports_no_violation(site, tab_fixture, request):
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run bash scripts/setup_browser.sh (npm ci in tests/reader)")
    page = request.getfixturevalue(tab_fixture).page
    for path in AXE_PAGES:
        page.goto(site.base + path)
        if path.startswith("search"):
            page.wait_for_selector(".search-result")
        page.add_script_tag(path=str(AXE))
        found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        assert found == [], f"{path}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} "
                                                     f"{[n['target'] for n in v['nodes']]}" for v in found)


def test_navigation_landmarks_have_distinct_names(site):
    """Issue 18 case 20: the site navigation and the breadcrumbs were both named 网站导航."""
    for file in sorted(site.root.rglob("*.html")):
        html = file.read_text("utf-8")
        names = re.findall(r'<nav[^>]*aria-label="([^"]*)"', html)
        assert len(re.findall(r"<nav\b", html)) == len(names), f"{file}: a <nav> without a name"
        assert len(names) == len(set(names)), f"{file}: {names}"


# --- search -----------------------------------------------------------------------------------------------------------

def test_search_finds_a_word_of_each_issue_with_its_page(site, phone):
    page = phone.page
    for date, word, article, page_file in (("2024-12-20", "充电桩", "chongdianzhuang", "page-02.html"),
                                           ("2024-12-19", "龙城芯谷", "longcheng-xingu", "page-01.html")):
        built = site.issues[date]
        page.goto(site.base + "search.html?q=" + quote(word))
        page.wait_for_selector(".search-result")
        hrefs = page.locator(".search-title a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert built.path + f"a/{article}.html" in hrefs, hrefs
        i = hrefs.index(built.path + f"a/{article}.html")
        assert page.locator(".search-where a").nth(i).get_attribute("href") == built.path + page_file
        assert word in page.locator(".search-result").nth(i).inner_text()  # marked in the title or excerpt
        page.locator(".search-title a").nth(i).click()
        page.wait_for_url(f"**/{built.path}a/{article}.html")
    # the form runs a new query in place; a phrase no story holds finds nothing
    page.goto(site.base + "search.html")
    page.fill("#q", "芯谷首批充电")
    page.press("#q", "Enter")
    page.wait_for_function("document.getElementById('search-status').textContent.includes('没有找到')")
    assert page.locator(".search-result").count() == 0


def test_search_pieces_are_the_same_in_python_and_the_index():
    assert web_search.pieces("龙城芯谷：首批 AI产线5G") == ["龙城", "城芯", "芯谷", "首批", "ai", "产线", "5g"]
    assert web_search.pieces("谷") == ["谷"]


# --- for search engines -----------------------------------------------------------------------------------------------

def test_article_json_ld_open_graph_and_canonical(site, desktop):
    page = desktop.page
    built = site.issues["2024-12-20"]
    for m in built.result.pages[0].modules[:2]:
        article = m.article
        page.goto(site.base + built.path + f"a/{article.id}.html")
        data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
        assert data["@type"] == "NewsArticle" and data["headline"] == article.title == page.locator("h1").inner_text()
        assert data["datePublished"] == "2024-12-20" and data["isPartOf"]["issueNumber"] == "14322"
        assert data["publisher"]["logo"]["url"].startswith(SITE_URL) and data["author"]
        url = f"{SITE_URL}{built.path}a/{article.id}.html"
        assert data["url"] == url == page.get_attribute('link[rel="canonical"]', "href")
        assert page.get_attribute('meta[property="og:url"]', "content") == url
        assert page.get_attribute('meta[property="og:title"]', "content") == article.title
        assert page.get_attribute('meta[name="twitter:card"]', "content") == "summary_large_image"
        image = page.get_attribute('meta[property="og:image"]', "content")
        assert image.startswith(SITE_URL)
        assert (site.root / image[len(SITE_URL):]).is_file()  # the image it names is in the site


def _validate(xml: Path, schema: str) -> etree._ElementTree:
    doc = etree.parse(str(xml))
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / schema)))
    assert xsd.validate(doc), f"{xml.name}: {xsd.error_log}"
    return doc


def test_sitemaps_validate_and_list_the_right_urls(site):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "n": "http://www.google.com/schemas/sitemap-news/0.9"}
    doc = _validate(site.root / "sitemap.xml", "sitemap.xsd")
    locs = doc.xpath("//s:loc/text()", namespaces=ns)
    want = {SITE_URL + "index.html"}
    for b in site.issues.values():
        want.add(f"{SITE_URL}{b.path}index.html")
        want |= {f"{SITE_URL}{b.path}page-{p.page.number:02d}.html" for p in b.result.pages}
        want |= {f"{SITE_URL}{b.path}a/{a}.html" for a in b.result.issue.articles}
    assert set(locs) == want and len(locs) == len(want)
    news = _validate(site.root / "news-sitemap.xml", "news-sitemap-combined.xsd")
    # the last two days, counted back from the newest issue (2024-12-20): both samples
    assert len(news.xpath("//s:url", namespaces=ns)) == sum(len(b.result.issue.articles) for b in site.issues.values())
    assert set(news.xpath("//n:language/text()", namespaces=ns)) == {"zh-cn"}


def test_news_sitemap_keeps_only_the_last_two_days(site, tmp_path):
    root = tmp_path / "site"
    shutil.copytree(site.root, root)
    old = json.loads((root / "2024-12/19/issue.json").read_text("utf-8"))
    old["date"] = "2024-12-18"  # the older issue now lies three days back
    (root / "2024-12/19/issue.json").write_text(json.dumps(old, ensure_ascii=False), "utf-8")
    from epaper.paths import LAYOUTS
    from epaper.layout.grid import load_layout

    write_archive(root, load_layout(LAYOUTS, "broadsheet").folders, "zh-CN")
    news = etree.parse(str(root / "news-sitemap.xml"))
    locs = news.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    assert locs and all("/2024-12/20/" in u for u in locs)


def test_atom_feed_is_well_formed_atom(site):
    """RFC 4287's rules the feed relies on, checked structurally (no RELAX NG validator on PyPI reads the RNC)."""
    atom = "{http://www.w3.org/2005/Atom}"
    feed = etree.parse(str(site.root / "feed.atom")).getroot()
    assert feed.tag == f"{atom}feed"

    def one(el, name):
        found = el.findall(f"{atom}{name}")
        assert len(found) == 1, f"{name}: {len(found)}"
        return found[0]

    rfc3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
    assert re.match(r"^(tag|https?):", one(feed, "id").text) and one(feed, "title").text
    assert rfc3339.match(one(feed, "updated").text)
    assert feed.find(f"{atom}link[@rel='self']").get("href") == SITE_URL + "feed.atom"
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == sum(len(b.result.issue.articles) for b in site.issues.values())
    ids = set()
    for e in entries:
        ids.add(one(e, "id").text)
        assert one(e, "title").text and rfc3339.match(one(e, "updated").text)
        assert one(e, "author").find(f"{atom}name").text
        href = e.find(f"{atom}link[@rel='alternate']").get("href")
        assert href.startswith(SITE_URL) and (site.root / href[len(SITE_URL):]).is_file()
        assert one(e, "summary").text
    assert len(ids) == len(entries)
    # newest issue first
    assert [e.find(f"{atom}updated").text[:10] for e in entries] == sorted(
        (e.find(f"{atom}updated").text[:10] for e in entries), reverse=True)


# --- links that never rot ---------------------------------------------------------------------------------------

def test_a_renamed_article_leaves_a_redirect(site, tmp_path, desktop):
    """moved_articles maps a vanished article page to the article of the same title; write_archive writes
    redirects.json and a redirect page that the browser follows."""
    built = site.issues["2024-12-20"]
    manifest = json.loads((site.root / built.path / "issue.json").read_text("utf-8"))
    renamed = json.loads(json.dumps(manifest))
    first = renamed["articles"][0]
    old_href = first["href"]
    first["href"] = "a/renamed-story.html"
    moves = web_site.moved_articles(renamed, manifest)  # the old build had "renamed-story"; now it is old_href
    assert moves == {built.path + "a/renamed-story.html": built.path + old_href}
    gone = {**manifest, "articles": manifest["articles"][1:]}
    assert web_site.moved_articles(manifest, gone) == {built.path + old_href: built.path + "index.html"}

    from epaper.paths import LAYOUTS
    from epaper.layout.grid import load_layout

    root = site.root  # served: the redirect page is followed by the browser
    write_archive(root, load_layout(LAYOUTS, "broadsheet").folders, "zh-CN", moves=moves)
    stub = root / built.path / "a" / "renamed-story.html"
    assert json.loads((root / "redirects.json").read_text("utf-8")) == moves
    assert 'http-equiv="refresh"' in stub.read_text("utf-8")
    page = desktop.page
    page.goto(site.base + built.path + "a/renamed-story.html")
    page.wait_for_url(f"**/{built.path}{old_href}")
    # a real page at an old path wins: the entry is dropped, the page kept
    stub.write_text("<!DOCTYPE html><title>real</title>", "utf-8")
    write_archive(root, load_layout(LAYOUTS, "broadsheet").folders, "zh-CN")
    assert json.loads((root / "redirects.json").read_text("utf-8")) == {}
    assert stub.read_text("utf-8") == "<!DOCTYPE html><title>real</title>"
    stub.unlink()


# --- issue 18 case 14: a site root of someone else's files -------------------------------------------------------

def test_site_folder_of_other_files_is_refused_unless_forced(tmp_path):
    own = tmp_path / "homepage"
    own.mkdir()
    (own / "index.html").write_text("<h1>my homepage</h1>", "utf-8")
    (own / "web.css").write_text("body { color: red }", "utf-8")
    from typer.testing import CliRunner

    from epaper.cli import app

    run = CliRunner().invoke(app, ["build", str(SEED_ISSUE), "--out", str(tmp_path / "out"), "--format", "web",
                                   "--site", str(own)])
    assert run.exit_code == 2, run.output
    lines = [line for line in run.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and str(own) in lines[0] and "--site" in lines[0] and "--force-site" in lines[0], run.output
    assert "Traceback" not in run.output
    assert (own / "index.html").read_text("utf-8") == "<h1>my homepage</h1>"
    assert sorted(p.name for p in own.iterdir()) == ["index.html", "web.css"]
    # forced, the folder is claimed (marked), and a new or empty folder is claimed without asking
    web_site.claim_site_root(own, force=True)
    assert (own / web_site.MARKER).is_file()
    web_site.claim_site_root(own)
    web_site.claim_site_root(tmp_path / "new" / "site")
    assert (tmp_path / "new" / "site" / web_site.MARKER).is_file()
    with pytest.raises(InputError, match="not a web e-paper folder"):
        web_site.claim_site_root(tmp_path / "missing" / "..")  # holds homepage/ and new/: not ours


def test_no_site_url_gives_relative_links_and_a_note(tmp_path):
    """Without site_url: no sitemaps (the protocol wants absolute URLs), I700 says so, canonical links relative."""
    from epaper.paths import LAYOUTS
    from epaper.layout.grid import load_layout

    root = tmp_path / "site"
    web_site.claim_site_root(root)
    issue = root / "2024-12" / "20"
    issue.mkdir(parents=True)
    (issue / "issue.json").write_text(json.dumps({
        "format": "epaper-web-issue/1", "paper": {"name": "武进日报", "slug": "wujin-daily", "language": "zh-CN",
                                                  "site_url": ""},
        "date": "2024-12-20", "edition": "", "number": 1, "path": "2024-12/20/", "title": "t", "date_full": "d",
        "issue_number": "n", "page_count": "c", "pages": [],
        "articles": [{"href": "a/x.html", "title": "标题", "summary": "摘要", "authors": [], "page": "page-01.html",
                      "text": "正文"}]}, ensure_ascii=False), "utf-8")
    notes = []
    write_archive(root, load_layout(LAYOUTS, "broadsheet").folders, "zh-CN", findings=notes)
    assert [n.code for n in notes] == ["I700"]
    assert not (root / "sitemap.xml").exists() and not (root / "news-sitemap.xml").exists()
    feed = etree.parse(str(root / "feed.atom")).getroot()
    assert feed.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link").get("href") == \
        "2024-12/20/a/x.html"
    assert '<link rel="canonical" href="index.html">' in (root / "index.html").read_text("utf-8")


def test_site_url_in_paper_toml_is_checked(tmp_path):
    from epaper.source.folder import load_paper

    toml = (MULTI_ISSUE.parent / "paper.toml").read_text("utf-8")
    file = tmp_path / "wujin-daily" / "paper.toml"
    file.parent.mkdir()
    file.write_text(toml.replace('name = "武进日报"\n', 'name = "武进日报"\nsite_url = "epaper.example.com"\n'), "utf-8")
    with pytest.raises(InputError) as caught:
        load_paper(file)
    assert caught.value.key == "site_url" and caught.value.line == 4 and "https://" in str(caught.value)
    file.write_text(toml.replace('name = "武进日报"\n', 'name = "武进日报"\nsite_url = "https://e.example.com/x"\n'),
                    "utf-8")
    assert load_paper(file).site_url == "https://e.example.com/x/"  # the site root: URLs are joined onto it
