"""Inline markup in copy (issue 18 case 7, issue 24): literal `*`, links, ruby and 着重号 in one tiny issue, checked
in the print PDF (text layer, glyph and dot positions, tags), the EPUB's XHTML and the web article in Chromium; and
the markup the parser refuses, with file and line. (EPUBCheck runs on the same features in test_vertical.py, on the
sample Traditional issue, to keep the suite's time down.)"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest
from typer.testing import CliRunner

from epaper.build import BuildOptions, build
from epaper.cli import app
from epaper.errors import InputError
from epaper.source.markdown import parse_body

from .conftest import write_issue

LEAD = """\
+++
title = "注音与着重号"
dateline = "本报讯"
reporters = ["朱梦琪"]
+++

记者{张薇|zhāng wēi}报道，{{全面贯彻落实}}，会议由{覃|qín}先生主持，
算式5*3=15成立，2*4=8也成立*。

注：*为估算数。详见[官网](https://example.org/a?b=1&c=2)，或<https://example.com/x>。

{{“两个确立”}}，{龘|dá}字罕见。
"""

BODY = 9.0  # the broadsheet's body size, pt


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("markup")
    issue = write_issue(root, {"articles/lead.md": LEAD})
    result = build(issue, BuildOptions(out=root / "out", formats=("pdf", "epub", "web"), site=root / "site"))
    return result, root


def _pdf(result) -> Path:
    return next(p for p in result.outputs if p.suffix == ".pdf" and not p.name.endswith(".press.pdf"))


def _lines(page, module) -> list[tuple[float, str, list[dict]]]:
    """The body lines of a module as (top, text, chars), box by box in plan order (body-size glyphs only)."""
    out = []
    for box in module.boxes:
        if box.kind != "body":
            continue
        r = box.rect
        chars = [c for c in page.chars if abs(c["size"] - BODY) < 0.1 and r.x - 1 <= c["x0"] < r.x + r.w
                 and r.y - 1 <= c["top"] < r.y + r.h]
        tops: dict[float, list[dict]] = {}
        for c in chars:
            tops.setdefault(round(c["top"], 1), []).append(c)
        for top in sorted(tops):
            cs = sorted(tops[top], key=lambda c: c["x0"])
            out.append((top, "".join(c["text"] for c in cs), cs))
    return out


def test_print_keeps_stars_and_prints_the_url(built):
    result, _ = built
    module = next(m for m in result.pages[0].modules if m.article.id == "lead")
    with pdfplumber.open(_pdf(result)) as pdf:
        text = "".join(t for _, t, _ in _lines(pdf.pages[0], module))
    assert "算式5*3=15成立，2*4=8也成立*。" in text
    assert "注：*为估算数。" in text
    assert "详见官网（https://example.org/a?b=1&c=2），或https://example.com/x。" in text
    # the base text copies out whole: no ruby between the characters of a name
    assert "记者张薇报道" in text and "覃先生" in text and "龘字罕见" in text


def test_print_ruby_sits_over_its_base_and_is_an_artifact(built):
    result, _ = built
    module = next(m for m in result.pages[0].modules if m.article.id == "lead")
    with pdfplumber.open(_pdf(result)) as pdf:
        page = pdf.pages[0]
        lines = _lines(page, module)
        small = [c for c in page.chars if c["size"] < BODY * 0.6]
        checked = 0
        for base, ruby in (("张薇", "zhāng wēi"), ("覃", "qín"), ("龘", "dá")):
            top, text, chars = next(ln for ln in lines if base in ln[1])
            i = text.index(base)
            left, right = chars[i]["x0"], chars[i + len(base) - 1]["x1"]
            rt = [c for c in small if top - 8 < c["top"] < top and left - 1 <= c["x0"] and c["x1"] <= right + 1]
            assert "".join(c["text"] for c in sorted(rt, key=lambda c: c["x0"])) == ruby
            mid = (min(c["x0"] for c in rt) + max(c["x1"] for c in rt)) / 2
            assert abs(mid - (left + right) / 2) < 0.6, f"ruby {ruby} not centred over {base}"
            assert max(c["bottom"] for c in rt) <= top + 0.5  # above the base, never over it
            # the reader PDF's structure leaves the ruby out of the story: its text is the base text alone
            assert all(c.get("tag") == "Artifact" for c in rt)
            assert all(c.get("tag") != "Artifact" for c in chars)
            checked += 1
        assert checked == 3
    # PDFium copies the page out in drawing order: the story's text whole, the readings after everything else
    text = pdfium.PdfDocument(str(_pdf(result)))[0].get_textpage().get_text_range()
    flat = text.replace("\r\n", "").replace("\n", "")
    assert "记者张薇报道，全面贯彻落实" in flat and "龘字罕见" in flat
    assert flat.index("zhāng wēi") > flat.index("龘字罕见")


def test_print_dots_under_han_only(built):
    result, _ = built
    module = next(m for m in result.pages[0].modules if m.article.id == "lead")
    with pdfplumber.open(_pdf(result)) as pdf:
        page = pdf.pages[0]
        lines = _lines(page, module)
        dots = [r for r in page.rects if r["width"] < 2 and abs(r["width"] - r["height"]) < 0.05]
        dotted = []
        for top, text, chars in lines:
            for c in chars:
                cx = (c["x0"] + c["x1"]) / 2
                under = [d for d in dots if abs((d["x0"] + d["x1"]) / 2 - cx) < 0.3 and 0 <= d["top"] - c["bottom"] + 1.6 < 3]
                if under:
                    dotted.append(c["text"])
        assert "".join(dotted) == "全面贯彻落实两个确立"  # not the quotes around 两个确立
        assert len(dots) == len(dotted)


def test_epub_has_links_ruby_and_emphasis(built):
    result, _ = built
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    with zipfile.ZipFile(epub) as z:
        xhtml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
        css = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".css"))
    assert '<a href="https://example.org/a?b=1&amp;c=2">官网</a>' in xhtml
    assert "（https://example.org" not in xhtml  # the URL is the link's, not printed after it
    assert "<ruby>张薇<rp>（</rp><rt>zhāng wēi</rt><rp>）</rp></ruby>" in xhtml
    assert '<em class="dots">全面贯彻落实</em>' in xhtml
    assert "算式5*3=15成立，2*4=8也成立*。" in xhtml
    assert "text-emphasis" in css


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is installed by scripts/setup_browser.sh")
def test_web_article_in_chromium(built):
    from playwright.sync_api import sync_playwright

    result, root = built
    article = next((root / "site").rglob("a/lead.html"))
    html = article.read_text(encoding="utf-8")
    assert "5*3=15" in html and '<a href="https://example.org/a?b=1&amp;c=2">官网</a>' in html
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            for width in (390, 1280):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(article.as_uri())
                rt = page.locator("ruby rt").first.bounding_box()
                base = page.locator("ruby").first.bounding_box()
                assert rt and base and rt["height"] > 0 and rt["y"] + rt["height"] <= base["y"] + base["height"] / 2
                style = page.evaluate("getComputedStyle(document.querySelector('em.dots')).textEmphasisStyle")
                assert "dot" in style
                assert page.evaluate("getComputedStyle(document.querySelector('em.dots')).fontStyle") == "normal"
                assert page.locator('a[href="https://example.com/x"]').count() == 1
                page.screenshot(path=str(root / f"markup-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()


@pytest.mark.parametrize("copy, message", [
    ("详见[官网](images/a.png)。", "link target 'images/a.png' is not a web address"),
    ("详见[](https://example.org)。", "link to 'https://example.org' has no text"),
    ("名叫{|zhāng}。", "needs a base text and its reading"),
    ("名叫{张 薇|zhāng wēi}。", "must be at most 12 characters without spaces"),
    ("{{}}空的。", "着重号 {{}} holds no text"),
    ("一个{[链接](https://a.org)|lián jiē}。", "cannot hold a link"),
    ("## 小标题{注|zhù}", "a subhead cannot hold links, ruby or 着重号"),
])
def test_refused_markup_names_file_and_line(copy: str, message: str):
    with pytest.raises(InputError) as err:
        parse_body(Path("articles/a.md"), "第一段。\n\n" + copy + "\n", 7)
    assert str(err.value).startswith("articles/a.md:9: ") and message in str(err.value)


def test_literal_text_stays_literal():
    (block,) = parse_body(Path("a.md"), r"5*3 *注* _x_ **粗** \{a|b\} {注} {{半 `{c|d}` a|b", 1)
    assert block.text == "5*3 *注* _x_ **粗** {a|b} {注} {{半 {c|d} a|b"
    assert not getattr(block, "marks", ())


def test_bad_link_exits_2_with_one_line(tmp_path: Path):
    issue = write_issue(tmp_path, {"articles/lead.md": LEAD.replace("https://example.com/x", "ftp://example.com/x")})
    result = CliRunner().invoke(app, ["validate", str(issue)])
    assert result.exit_code == 2
    assert re.search(r"lead\.md:\d+: link target 'ftp://example.com/x' is not a web address", result.output)
    assert "Traceback" not in result.output


def test_a_ruby_glyph_the_font_lacks_is_found(tmp_path: Path):
    issue = write_issue(tmp_path, {"articles/lead.md": LEAD.replace("{覃|qín}", "{覃|q\U0001F600n}")})
    result = CliRunner().invoke(app, ["check", str(issue)])
    assert result.exit_code != 0
    assert re.search(r"E202.*U\+1F600|U\+1F600.*E202", result.output), result.output
    assert "lead.md:" in result.output
