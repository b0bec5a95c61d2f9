"""更正 on the web and in press: a corrected issue keeps its earlier versions at stable URLs (SITE/…/20/v1/), lists
them on the issue page and links the corrected article to them, while sitemaps, feed and search list only the current
version; the press file of the corrected page is a new plate version and the others stay version 1. Also the build's
繁简 edition switches (--edition NAME, --no-editions)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from typer.testing import CliRunner

from epaper.build import BuildOptions, build
from epaper.cli import app
from epaper.corrections import append_correction
from epaper.render.print import press, press_marks
from epaper.serve import _Handler
from epaper.source.folder import load_issue

from .test_newsroom import CHROMIUM, NOTE, two_page_issue

runner = CliRunner()
AXE = Path(__file__).parent / "reader" / "node_modules" / "axe-core" / "axe.min.js"  # scripts/setup_browser.sh
SITE_URL = "https://epaper.example.org/wujin/"
BEIJING = dt.timezone(dt.timedelta(hours=8))
FIRST = dt.datetime(2024, 12, 20, 9, 30, tzinfo=BEIJING)  # 2024-12-20 01:30 UTC
SECOND = dt.datetime(2024, 12, 21, 16, 5, tzinfo=BEIJING)
NOTE_2 = "本文第五段中“外公”应为“外婆”，特此更正。"
STORY = "dongri-caiyuan"  # on page 2 of the two-page issue


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """Version 1 built (PDF, web); a correction of a page-2 story, version 2 built with press files (kept aside
    here: the next build replaces them); a second correction of the same story, version 3 built (PDF, web), twice."""
    folder = two_page_issue(tmp_path_factory.mktemp("paper"))
    paper = folder.parent / "paper.toml"
    paper.write_text(f'site_url = "{SITE_URL}"\n' + paper.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    web = BuildOptions(out=out, formats=("pdf", "web"), workers=1)
    v1 = build(folder, web)
    append_correction(folder, STORY, NOTE, FIRST)
    v2 = build(folder, BuildOptions(out=out, formats=("pdf", "web"), workers=1, press=True))
    pressed = tmp_path_factory.mktemp("press-v2")
    for path in v2.outputs:
        if press.is_press_file(path):
            shutil.copy(path, pressed / path.name)
    append_correction(folder, STORY, NOTE_2, SECOND)
    v3 = build(folder, web)
    kept = {p: p.read_bytes() for p in sorted((out / "site" / "2024-12" / "20").glob("v*/**/*.html"))}
    build(folder, web)  # version 3 again: a rebuild must neither lose nor touch the kept versions
    again = {p: p.read_bytes() for p in sorted((out / "site" / "2024-12" / "20").glob("v*/**/*.html"))}
    return out / "site", (kept, again), pressed, (v1, v2, v3)


def test_the_site_keeps_every_earlier_version(day):
    site, _, _, (v1, v2, v3) = day
    issue = site / "2024-12" / "20"
    assert [r.issue.version for r in (v1, v2, v3)] == [1, 2, 3]
    for n in (1, 2):
        kept = issue / f"v{n}"
        manifest = json.loads((kept / "issue.json").read_text(encoding="utf-8"))
        assert manifest["version"] == n
        assert (kept / "a" / f"{STORY}.html").is_file() and (kept / "page-02.html").is_file()
        assert (kept / "img" / "page-02.webp").is_file() and (kept / "files" / f"{v1.issue.slug}.pdf").is_file()
    v1_page = (issue / "v1" / "a" / f"{STORY}.html").read_text(encoding="utf-8")
    v2_page = (issue / "v2" / "a" / f"{STORY}.html").read_text(encoding="utf-8")
    assert NOTE not in v1_page and "【更正】" not in v1_page  # version 1 as readers first saw it
    assert NOTE in v2_page and NOTE_2 not in v2_page
    assert not (issue / "v3").exists() and not (issue / "v2" / "v1").exists()


def test_a_rebuild_of_the_same_version_leaves_the_kept_ones(day):
    _, (kept, again), _, _ = day
    names = {"/".join(p.parts[-3:]) for p in kept}
    assert {f"20/v{n}/index.html" for n in (1, 2)} <= names and f"v1/a/{STORY}.html" in names
    assert again == kept  # the same files, byte for byte


def test_sitemaps_feed_and_search_list_only_the_current_version(day):
    site, _, _, _ = day
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert f"{SITE_URL}2024-12/20/a/{STORY}.html" in sitemap
    for name in ("sitemap.xml", "news-sitemap.xml", "feed.atom", "search/docs.json"):
        text = (site / name).read_text(encoding="utf-8")
        assert "/v1/" not in text and "/v2/" not in text, name
    archive = (site / "index.html").read_text(encoding="utf-8")
    assert "2024-12/20/" in archive and "v1/" not in archive and "v2/" not in archive


def test_the_web_shows_the_versions_and_links_the_first(day):
    """Served by `epaper serve`'s handler on 127.0.0.1, in Chromium at 390 px: the issue page lists three versions,
    the corrected story shows its notes and a working link to version 1, whose page names the current one."""
    from playwright.sync_api import sync_playwright

    site, _, _, _ = day
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    outside: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            try:
                tab = browser.new_page(viewport={"width": 390, "height": 844})
                tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                          else (outside.append(r.request.url), r.abort()))
                tab.goto(base + "2024-12/20/index.html")
                rows = tab.locator(".version-list li").all_inner_texts()
                assert [r.split()[0] for r in rows] == ["版本1（原版）", "版本2（更正）", "版本3（更正）"]
                assert "2024年12月21日 16:05" in rows[2] and "当前版本" in rows[2]
                assert tab.locator(".version-list a").first.is_visible()

                tab.goto(base + f"2024-12/20/a/{STORY}.html")
                for note in (NOTE, NOTE_2):
                    assert tab.get_by_text(f"【更正】{note}", exact=False).first.is_visible()
                links = tab.locator(".version-links a")
                assert links.all_inner_texts() == ["版本1（原版）", "版本2（更正）"]
                links.first.click()
                tab.wait_for_load_state()
                assert tab.url == base + f"2024-12/20/v1/a/{STORY}.html"
                assert tab.locator(".story-body").inner_text().count("【更正】") == 0
                notice = tab.locator(".version-notice")
                assert notice.is_visible() and notice.inner_text().startswith("这是本期的版本1（原版），2024年12月20日发布")
                assert tab.locator('link[rel="canonical"]').get_attribute("href") == \
                    f"{SITE_URL}2024-12/20/a/{STORY}.html"
                assert tab.locator('meta[name="robots"]').get_attribute("content").startswith("noindex")
                tab.locator(".crumbs a").first.click()  # 往期: the site root, one folder further up than before
                tab.wait_for_load_state()
                assert tab.url == base + "index.html" and tab.locator("h1").count() == 1

                tab.goto(base + f"2024-12/20/v1/a/{STORY}.html")
                tab.locator(".version-notice a").click()
                tab.wait_for_load_state()
                assert tab.url == base + f"2024-12/20/a/{STORY}.html"
                broken = tab.evaluate("""async () => {
                    const bad = [];
                    for (const path of ['v1/index.html', 'v2/page-02.html', 'v1/page-01.html']) {
                        const doc = new DOMParser().parseFromString(await (await fetch('../' + path)).text(), 'text/html');
                        for (const el of doc.querySelectorAll('[href], [src]')) {
                            const url = new URL(el.getAttribute('href') || el.getAttribute('src'), new URL('../' + path, location));
                            if (url.origin !== location.origin || url.pathname.endsWith('/')) continue;
                            if (!(await fetch(url, {method: 'HEAD'})).ok) bad.push(path + ' → ' + url.pathname);
                        }
                    }
                    return bad;
                }""")
                assert broken == []
                for path in ("index.html", f"a/{STORY}.html", f"v1/a/{STORY}.html"):  # the new parts, by axe-core
                    tab.goto(base + "2024-12/20/" + path)
                    tab.add_script_tag(path=str(AXE))
                    found = tab.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))"
                                         ".violations.map(v => v.id + ': ' + v.help)")
                    assert found == [], path
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert not outside


def test_only_the_corrected_page_is_a_new_plate(day):
    _, _, pressed, (_, v2, _) = day
    slug = v2.issue.slug
    assert press.plate_versions(v2.issue, v2.pages) == [1, 2]
    expected = {f"{slug}.press.pdf": ("2", "1,2", "2"), f"{slug}.p01.press.pdf": ("2", "1", "1"),
                f"{slug}.p02.press.pdf": ("2", "2", "2")}
    assert sorted(p.name for p in pressed.iterdir()) == sorted(expected)
    for name, (issue_version, plate, xmp) in expected.items():
        with pikepdf.open(pressed / name) as pdf:
            assert (str(pdf.docinfo["/IssueVersion"]), str(pdf.docinfo["/PlateVersion"])) == (issue_version, plate)
            meta = pdf.open_metadata()
            assert meta["xmpMM:VersionID"] == xmp
            assert meta["xmp:ModifyDate"] == "2024-12-20T01:30:00Z"
            assert str(pdf.docinfo["/ModDate"]) == "D:20241220013000Z"
            assert str(pdf.docinfo["/GTS_PDFXVersion"]) == "PDF/X-1:2003"


def _slug_mark(pdf_path: Path) -> list[int]:
    """The dark pixel columns of the strip below the trim where the version mark is drawn (40 px per inch)."""
    with pikepdf.open(pdf_path) as pdf:
        x0, y0 = (float(v) for v in pdf.pages[0].TrimBox[:2])
        m0, n0 = (float(v) for v in pdf.pages[0].MediaBox[:2])
    doc = pypdfium2.PdfDocument(str(pdf_path))
    scale = 40 / 72
    image = doc[0].render(scale=scale).to_pil().convert("L")
    doc.close()
    top = image.height - round((y0 - n0) * scale)  # the trim's lower edge, in pixels from the top
    left = round((x0 - m0 + press_marks.MARK_LENGTH) * scale)
    strip = image.crop((left, top + 2, left + 40, image.height))
    return [x for x in range(strip.width) if min(strip.getpixel((x, y)) for y in range(strip.height)) < 128]


def test_the_plate_version_is_marked_in_the_slug(day):
    _, _, pressed, (_, v2, _) = day
    slug = v2.issue.slug
    one, two = _slug_mark(pressed / f"{slug}.p01.press.pdf"), _slug_mark(pressed / f"{slug}.p02.press.pdf")
    assert one and two and one != two  # V1 and V2: strokes below the trim, outside the printed area


# ---- the build's 繁简 edition switches ----

EDITION = '\n[[editions]]\nlanguage = "zh-TW"\n'


@pytest.fixture(scope="module")
def with_edition(tmp_path_factory):
    folder = two_page_issue(tmp_path_factory.mktemp("ed"))
    paper = folder.parent / "paper.toml"
    paper.write_text(paper.read_text(encoding="utf-8") + EDITION, encoding="utf-8")
    return folder, tmp_path_factory.mktemp("ed-out")


def test_no_editions_builds_the_main_issue_only(with_edition):
    folder, out = with_edition
    slug = load_issue(folder).slug
    run = runner.invoke(app, ["build", str(folder), "--out", str(out / "a"), "-f", "pdf", "--no-editions",
                              "--workers", "1"])
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in (out / "a").glob("*.pdf")) == [f"{slug}.pdf"]
    run = runner.invoke(app, ["build", str(folder), "--out", str(out / "b"), "-f", "pdf", "--edition", "tw",
                              "--workers", "1"])
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in (out / "b").glob("*.pdf")) == [f"{slug}-tw.pdf"]
    with pikepdf.open(out / "b" / f"{slug}-tw.pdf") as pdf:
        assert len(pdf.pages) == 2


def test_an_unknown_edition_is_named(with_edition):
    folder, out = with_edition
    run = runner.invoke(app, ["build", str(folder), "--out", str(out / "c"), "--edition", "hk"])
    assert run.exit_code == 2 and run.output.count("\n") == 1 and "Traceback" not in run.output
    assert "--edition" in run.output and "no edition 'hk'" in run.output and "tw" in run.output
    assert not any((out / "c").glob("*.pdf"))
