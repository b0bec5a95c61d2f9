"""Vertical print (竖排, issue 24) on the sample Traditional issue: the lead story and the 報頭 set top to bottom,
right to left, read back from the PDF (reading order, exact line count, the project's typesetting yardstick turned a
quarter turn, vertical punctuation forms, turned Latin, 縱中橫, ruby and dots beside the line, tags); its EPUB
(vertical, ruby, 着重号) through EPUBCheck; and its web pages in Chromium."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest

from epaper.build import BuildOptions, build, prepare
from epaper.errors import EpaperError
from epaper.layout.place import layout_issue

from .conftest import REPO
from .test_epub import epubcheck_messages, needs_java

ISSUE = REPO / "issues" / "island-morning" / "2025-03-14"
LEAD = "gangqu-lvlang"
BODY = 9.0
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("vertical")
    result = build(ISSUE, BuildOptions(out=out, formats=("pdf", "epub", "web"), site=out / "site", press=True))
    pdf = next(p for p in result.outputs if p.suffix == ".pdf" and ".press" not in p.name)
    return result, pdf, out


def _lead(result):
    return next(m for m in result.pages[0].modules if m.article.id == LEAD)


def _size(c: dict) -> float:
    """A glyph's font size; pdfplumber gives a turned glyph's advance instead, its extent across is the size."""
    return c["size"] if c["upright"] else c["x1"] - c["x0"]


def _columns(chars: list[dict], pitch: float) -> list[list[dict]]:
    """Glyphs grouped into vertical lines by their centre across, right to left; each line top to bottom, and
    each glyph tagged with its line's centre ("cx": the middle of the line's upright full-width glyphs)."""
    groups: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: -(c["x0"] + c["x1"]) / 2):
        centre = (c["x0"] + c["x1"]) / 2
        if groups and abs((groups[-1][0]["x0"] + groups[-1][0]["x1"]) / 2 - centre) < pitch / 2:
            groups[-1].append(c)
        else:
            groups.append([c])
    cols = []
    for group in groups:
        squares = sorted((c["x0"] + c["x1"]) / 2 for c in group if c["upright"] and abs(c["x1"] - c["x0"] - BODY) < 0.1)
        cx = squares[len(squares) // 2]
        cols.append(sorted(({**c, "cx": cx} for c in group), key=lambda c: (round(c["top"], 1), c["x0"])))
    return cols


def _body_columns(result, pdf_path):
    module = _lead(result)
    r = module.rect
    with pdfplumber.open(pdf_path) as pdf:
        chars = [c for c in pdf.pages[0].chars if abs(_size(c) - BODY) < 0.05
                 and r.x - 1 <= c["x0"] and c["x1"] <= r.x + r.w + 1 and r.y - 1 <= c["top"] and c["bottom"] <= r.y + r.h]
    return module, _columns(chars, 13.0)


def test_vertical_lines_read_right_to_left_in_order(built):
    result, pdf, _ = built
    module, cols = _body_columns(result, pdf)
    issue, _, _, strings = prepare(ISSUE)
    article = issue.articles[LEAD]
    expected = (strings.byline(article) + "".join(article.paragraphs)).replace(" ", "")
    assert "".join(c["text"] for col in cols for c in col).replace(" ", "") == expected
    # copyfit: the lines the layout counted are the lines on the page, one pitch apart from the right
    assert len(cols) == module.lines_used
    xs = [col[0]["cx"] for col in cols]
    assert all(abs((a - b) - 13.0) < 0.3 for a, b in zip(xs, xs[1:]))
    assert max(c["bottom"] for col in cols for c in col) <= module.rect.y + module.rect.h - 13.0 + 0.5


def test_project_yardstick_on_the_vertical_lines(built):
    """tests/typeset.py measures horizontal columns; turned a quarter turn (along the line becomes across the row,
    each glyph snapped to its line's centre), the vertical lines are its rows: 0 ragged, 0 kinsoku, 0 overfull."""
    from .typeset import PlannedBox, measure

    result, pdf, _ = built
    module, cols = _body_columns(result, pdf)
    r = module.rect
    body = [b for b in module.vertical if b.tag != "h1" and b.lasts]
    first_x = max(g.x for b in body for g in b.glyphs)  # the centre of the first body line, from the plan
    head = min(g.y for b in body for g in b.glyphs if g.form == "upright")
    lasts = tuple(last for b in body for last in b.lasts)
    measure_len = int((r.h - 13.0) // BODY) * BODY
    box = PlannedBox(r.y + head, 0.0, measure_len, len(lasts) * 13.0, BODY, 13.0, lasts)
    right = r.x + first_x + 13.0 / 2
    with pdfplumber.open(pdf) as doc:
        height = doc.pages[0].height

    def along(c: dict) -> tuple[float, float]:
        """Where a glyph runs along its line: an upright one's ideographic square (0.88 em above its baseline, as
        CJK fonts draw it), a turned one's advance (pdfplumber's box)."""
        if not c["upright"]:
            return c["top"], c["bottom"]
        top = height - c["matrix"][5] - 0.88 * c["size"]
        return top, top + c["size"]

    turned = [{"text": c["text"], "x0": along(c)[0], "x1": along(c)[1], "size": _size(c),
               "top": right - c["cx"] - BODY / 2 + 2.0, "bottom": right - c["cx"] + BODY / 2 - 2.0}
              for col in cols for c in col]
    counts = measure(turned, [box])
    assert counts.lines == module.lines_used > 20
    assert counts.faults() == (0, 0, 0, 0), counts.examples


def test_vertical_forms_turned_latin_and_tate_chu_yoko(built):
    result, pdf, _ = built
    _, cols = _body_columns(result, pdf)
    flat = [c for col in cols for c in col]
    text = "".join(c["text"] for c in flat)
    # a Latin word and a four-digit year are turned; one and two digits stand across the line in one square
    for word in ("LED", "2019"):
        i = text.index(word)
        assert not any(c["upright"] for c in flat[i:i + len(word)]), word
    for number in ("12", "60"):
        i = text.index(number)
        a, b = flat[i], flat[i + 1]
        assert a["upright"] and b["upright"] and abs(a["top"] - b["top"]) < 0.1
        assert a["cx"] - BODY / 2 - 0.2 <= a["x0"] and b["x1"] <= a["cx"] + BODY / 2 + 0.2
    # the font's vertical forms: corner brackets turn, so their ink is wider than tall (「 upright is tall and narrow;
    # Taiwan's ，。 stay centred in their square in both directions, so they show nothing)
    page = pdfium.PdfDocument(str(pdf))[0]
    tp = page.get_textpage()
    height = page.get_height()
    r = _lead(result).rect
    checked = 0
    for i in range(tp.count_chars()):
        ch = tp.get_text_range(i, 1)
        if ch not in "「」":
            continue
        left, bottom, right, top = tp.get_charbox(i, loose=True)
        if not (r.x <= left and right <= r.x + r.w and r.y <= height - top and height - bottom <= r.y + r.h):
            continue
        tl, tb, tr, tt = tp.get_charbox(i, loose=False)
        assert tr - tl > 1.5 * (tt - tb), f"{ch} is not a vertical form"
        checked += 1
    assert checked >= 4


def test_vertical_masthead_and_title(built):
    result, pdf, _ = built
    with pdfplumber.open(pdf) as doc:
        chars = doc.pages[0].chars
    name = [next(c for c in chars if c["text"] == ch and c["size"] > 40) for ch in "島嶼晨報"]
    assert max(c["x0"] for c in name) - min(c["x0"] for c in name) < 0.5
    assert [c["top"] for c in name] == sorted(c["top"] for c in name)
    size = prepare(ISSUE)[1].headline(1).title
    title = [c for c in chars if abs(c["size"] - size) < 0.1]
    assert "".join(c["text"] for c in sorted(title, key=lambda c: c["top"])) == "港區綠廊串起百年老街"


def test_vertical_ruby_and_dots_beside_the_line(built):
    result, pdf, _ = built
    module, cols = _body_columns(result, pdf)
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        ruby = [c for c in page.chars if _size(c) < 5 and module.rect.x <= c["x0"] <= module.rect.x + module.rect.w]
        dots = [d for d in page.rects if d["width"] < 2 and abs(d["width"] - d["height"]) < 0.05
                and module.rect.x <= d["x0"] <= module.rect.x + module.rect.w
                and module.rect.y <= d["top"] <= module.rect.y + module.rect.h]
    flat = [c for col in cols for c in col]
    text = "".join(c["text"] for c in flat)
    for base, reading in (("覃聿安", "qínyùān"), ("單立德", "shànlìdé")):
        i = text.index(base)
        first, last = flat[i], flat[i + len(base) - 1]
        beside = [c for c in ruby if first["top"] - 1 <= c["top"] and c["bottom"] <= last["bottom"] + 1
                  and first["cx"] + BODY / 2 - 1 <= c["x0"] <= first["cx"] + BODY]
        assert "".join(c["text"] for c in sorted(beside, key=lambda c: c["top"])).replace(" ", "") == reading
        assert all(c["tag"] == "Artifact" for c in beside) and all(c["tag"] != "Artifact" for c in flat[i:i + 3])
    i = text.index("龔")
    assert len(dots) == 1 and dots[0]["x0"] > flat[i]["cx"] + BODY / 2 - 0.5
    assert flat[i]["top"] < (dots[0]["top"] + dots[0]["bottom"]) / 2 < flat[i]["bottom"]


def test_pull_quote_has_dots_under_every_han_character(built):
    result, pdf, _ = built
    module = next(m for m in result.pages[0].modules if m.article.id == "koushu-lishi")
    r = module.rect
    quote = "老街的價值，不在於它有多舊，而在於它還有人在生活。"
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        dots = [d for d in page.rects if d["width"] < 2 and abs(d["width"] - d["height"]) < 0.05
                and r.x <= d["x0"] <= r.x + r.w and r.y <= d["top"] <= r.y + r.h]
    assert len(dots) == len(re.findall(r"[\u4e00-\u9fff]", quote))


def test_press_file_draws_the_same_vertical_lines(built):
    result, pdf, _ = built
    press = next(p for p in result.outputs if p.name.endswith(".press.pdf") and ".p01." not in p.name)
    module, cols = _body_columns(result, press)
    assert len(cols) == module.lines_used
    with pdfplumber.open(press) as doc:  # the red of the vertical 報頭 reaches the plate as CMYK
        name = next(c for c in doc.pages[0].chars if c["text"] == "島" and c["size"] > 40)
    assert len(name["non_stroking_color"]) == 4


def test_overlong_vertical_story_is_overset_by_its_lines(tmp_path: Path):
    root = tmp_path / "island-morning"
    shutil.copytree(ISSUE.parent, root)
    lead = root / ISSUE.name / "articles" / f"{LEAD}.md"
    lead.write_text(lead.read_text(encoding="utf-8") + "\n" + "老街的石板路又長又窄。" * 120 + "\n", encoding="utf-8")
    issue, layout, palette, strings = prepare(root / ISSUE.name)
    with pytest.raises(EpaperError) as err:
        layout_issue(issue, layout, palette, strings)
    assert re.search(rf"E302.*{LEAD}.*overset by \d+ lines|{LEAD}.*overset by \d+ lines", str(err.value))


def test_photo_in_a_vertical_slot_is_refused(tmp_path: Path):
    root = tmp_path / "island-morning"
    shutil.copytree(ISSUE.parent, root)
    from PIL import Image

    (root / ISSUE.name / "images").mkdir()
    Image.new("RGB", (300, 200), (128, 128, 128)).save(root / ISSUE.name / "images" / "p.png")
    lead = root / ISSUE.name / "articles" / f"{LEAD}.md"
    lead.write_text(lead.read_text(encoding="utf-8").replace(
        'reporters = ["陳怡君"]\n', 'reporters = ["陳怡君"]\n\n[[photos]]\nfile = "images/p.png"\ncaption = "綠廊。"\n'),
        encoding="utf-8")
    issue, layout, palette, strings = prepare(root / ISSUE.name)
    assert issue.articles[LEAD].photos
    with pytest.raises(EpaperError) as err:
        layout_issue(issue, layout, palette, strings)
    assert "E160" in str(err.value) and LEAD in str(err.value)


@needs_java
def test_vertical_epub_passes_epubcheck(built):
    result, _, _ = built
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    assert epubcheck_messages(epub) == []
    with zipfile.ZipFile(epub) as z:
        opf = next(z.read(n).decode() for n in z.namelist() if n.endswith(".opf"))
        xhtml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
        css = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".css"))
    assert 'page-progression-direction="rtl"' in opf and "vertical-rl" in css and "text-emphasis" in css
    assert "<ruby>覃聿安<rp>（</rp><rt>qín yù ān</rt><rp>）</rp></ruby>" in xhtml
    assert '<em class="dots">老街的價值，不在於它有多舊，而在於它還有人在生活。</em>' in xhtml
    assert '<a href="https://example.org/laojie">本報網站</a>' in xhtml


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is installed by scripts/setup_browser.sh")
def test_web_shows_ruby_dots_and_the_vertical_page(built):
    from playwright.sync_api import sync_playwright

    result, _, out = built
    site = out / "site" / "2025-03" / "14"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto((site / "a" / "laojie-yinshi.html").as_uri())
            rts = page.locator("ruby rt")
            story = result.issue.articles["laojie-yinshi"]
            assert rts.count() == sum(m.kind == "ruby" for b in story.body for m in getattr(b, "marks", ())) >= 5
            for k in range(rts.count()):
                rt, base = rts.nth(k).bounding_box(), page.locator("ruby").nth(k).bounding_box()
                assert rt["y"] + rt["height"] <= base["y"] + base["height"] / 2 + 1  # over its base
            page.screenshot(path=str(out / "web-ruby-390.png"), full_page=True)
            page.goto((site / "a" / "koushu-lishi.html").as_uri())
            assert "dot" in page.evaluate("getComputedStyle(document.querySelector('em.dots')).textEmphasisStyle")
            page.screenshot(path=str(out / "web-dots-390.png"), full_page=True)
            wide = browser.new_page(viewport={"width": 1280, "height": 900})
            wide.goto((site / "page-01.html").as_uri())
            wide.wait_for_function("document.querySelector('.sheet-image').complete")
            # the page image is the printed page: as tall as 390/275 of its width, the vertical lead's region on it
            box = wide.locator(".sheet-image").bounding_box()
            assert box["width"] > 300 and abs(box["height"] / box["width"] - 390 / 275) < 0.02
            assert wide.locator(f'a.region[data-article="{LEAD}"]').count() == 1
            wide.screenshot(path=str(out / "web-page-1280.png"))
        finally:
            browser.close()
