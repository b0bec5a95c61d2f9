"""Automatic placement and copyfit on the samples, and jumps (转版): geometry read back from the PDF."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from epaper.build import BuildOptions, build
from epaper.errors import LayoutError

from .conftest import SAMPLES, jumping_issue


@pytest.fixture(scope="module")
def multi(sample_pdf):
    return sample_pdf("multi")[0]  # built once per run (conftest.py)


def overlaps(a, b) -> bool:
    return a.col < b.col + b.span and b.col < a.col + a.span and a.line < b.line + b.lines and b.line < a.line + a.lines


def test_modules_tile_the_free_area_without_gaps_or_overlaps(multi):
    for page in multi.pages:
        cells = sum(m.span * m.lines for m in page.modules)
        assert cells == page.free_cells, (page.page.number, cells, page.free_cells)
        for i, a in enumerate(page.modules):
            assert 0 <= a.col and a.col + a.span <= 8 and a.line + a.lines <= 106
            for b in page.modules[i + 1:]:
                assert not overlaps(a, b), (a.article.id, b.article.id)


def test_every_page_is_filled_and_no_story_overset(multi):
    fills = [p.area_fill * p.text_fill for p in multi.pages]
    assert min(fills) >= 0.97, fills
    assert all(m.overset == 0 for p in multi.pages for m in p.modules)


def test_lead_on_top_with_the_largest_headline(multi):
    for page in multi.pages:
        lead = page.modules[0]
        assert lead.article.id == page.page.articles[0]
        top = min(m.line for m in page.modules)
        assert lead.line == top and lead.rank == 1
        title_size = {m.article.id: max((b.size for b in m.boxes if b.kind == "title"), default=0) for m in page.modules}
        assert title_size[lead.article.id] == max(title_size.values())


def test_photos_keep_their_aspect_and_span_whole_columns(multi):
    for page in multi.pages:
        for m in page.modules:
            for ph in m.photos:
                assert any(abs(ph.rect.w - (n * 117 + (n - 1) * 13.5)) < 0.01 for n in range(1, 9))
                # height is snapped to the line grid: the aspect differs by less than half a line
                assert abs(ph.rect.h - ph.rect.w * ph.photo.aspect) <= 13 / 2 + 0.01
                caption = [b for b in m.boxes if b.kind == "caption"]
                assert caption and caption[0].rect.y >= ph.rect.y + ph.rect.h


def test_layout_json_records_every_module(multi, tmp_path):
    record = json.loads(next(p for p in multi.outputs if p.name.endswith(".layout.json")).read_text("utf-8"))
    assert [len(p["modules"]) for p in record["pages"]] == [len(p.articles) for p in multi.issue.pages]
    for page in record["pages"]:
        assert page["area_fill"] == 1.0 and page["text_fill"] >= 0.97
        for m in page["modules"]:
            assert set(m["rect_mm"]) == {"x", "y", "w", "h"} and m["lines_used"] <= m["lines_available"]


def test_overflow_without_jumps_names_page_article_and_lines(tmp_path):
    with pytest.raises(LayoutError) as info:
        build(jumping_issue(tmp_path), BuildOptions(out=tmp_path / "out", formats=("pdf",)))
    assert re.search(r"page 2, article '[a-z-]+': overset by \d+ lines", str(info.value))


@pytest.fixture(scope="module")
def jumped(jumped_sample):
    return jumped_sample[0]  # print PDF and EPUB, built once per run (conftest.py)


def test_jump_lines_and_continuation(jumped):
    notes = [f for f in jumped.findings if f.code == "I307"]
    assert len(notes) == 1 and notes[0].where.startswith("page 2, article ")
    art_id = re.search(r"article '([a-z-]+)'", notes[0].where).group(1)
    article = jumped.issue.articles[art_id]
    parts = {(p.page.number, m.fragment.part) for p in jumped.pages for m in p.modules
             if m.article.id == art_id and m.fragment}
    assert parts == {(2, 1), (3, 2)}
    pdf = next(p for p in jumped.outputs if p.suffix == ".pdf")
    doc = pdfium.PdfDocument(pdf)
    try:
        text = [re.sub(r"\s+", "", doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
    finally:
        doc.close()
    assert "（下转第3版）" in text[1] and "（上接第2版）" in text[2]
    assert re.sub(r"\s+", "", article.title) in text[2]
    # every paragraph is whole once the two parts are read one after the other
    whole = text[1] + text[2]
    for paragraph in article.paragraphs:
        squeezed = re.sub(r"\s+", "", paragraph)
        assert squeezed in whole or _split_across(squeezed, text[1], text[2]), paragraph[:20]


def _split_across(paragraph: str, page_a: str, page_b: str) -> bool:
    for cut in range(1, len(paragraph)):
        if paragraph[:cut] in page_a and paragraph[cut:] in page_b:
            return True
    return False


def test_jump_lines_link_the_two_parts(jumped):
    pdf = next(p for p in jumped.outputs if p.suffix == ".pdf")
    with pikepdf.open(pdf) as doc:
        page_of = {page.objgen: n for n, page in enumerate(doc.pages, 1)}
        named = pikepdf.NameTree(doc.Root.Names.Dests)
        targets: dict[int, set[int]] = {}
        for n, page in enumerate(doc.pages, 1):
            for annot in page.get("/Annots", []):
                dest = annot.get("/Dest")
                if isinstance(dest, pikepdf.String):  # WeasyPrint writes named destinations
                    dest = named[str(dest)]
                if isinstance(dest, pikepdf.Array):
                    targets.setdefault(n, set()).add(page_of[dest[0].objgen])
        assert 3 in targets.get(2, set()) and 2 in targets.get(3, set()), targets


def test_epub_keeps_the_jumped_article_whole(jumped):
    epub = next(p for p in jumped.outputs if p.suffix == ".epub")
    art_id = re.search(r"article '([a-z-]+)'", next(f for f in jumped.findings if f.code == "I307").where).group(1)
    article = jumped.issue.articles[art_id]
    with zipfile.ZipFile(epub) as z:
        docs = [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xhtml")]
    holder = [d for d in docs if article.paragraphs[0][:20] in d]
    assert len(holder) == 1
    assert all(p[:20] in holder[0] and p[-10:] in holder[0] for p in article.paragraphs)
    assert "下转" not in holder[0] and "上接" not in holder[0]


def test_seed_page_with_ad_zone(sample_pdf):
    result = sample_pdf("seed")[0]
    page = result.pages[0]
    assert "ad" in page.zones and page.area_fill == 1.0 and page.text_fill >= 0.97


def pinned_issue(tmp_path: Path, pins: str) -> Path:
    root = tmp_path / "wujin-daily"
    shutil.copytree(SAMPLES, root)
    issue = root / "2024-12-20" / "issue.toml"
    text = issue.read_text("utf-8")
    anchor = text.index('articles = ["yiwang-tongguan"')
    end = text.index("\n", anchor) + 1
    issue.write_text(text[:end] + f"pins = {pins}\n" + text[end:], "utf-8")
    return issue.parent


def test_pins_are_honoured(tmp_path):
    folder = pinned_issue(tmp_path, '{ zhengxie-minsheng-shicha = { zone = "side" }, chongdianzhuang = { columns = 2 } }')
    result = build(folder, BuildOptions(out=tmp_path / "out", formats=("pdf",)))
    page = result.pages[1]
    by_id = {m.article.id: m for m in page.modules}
    lead = page.modules[0]
    side = by_id["zhengxie-minsheng-shicha"]
    assert side.col >= lead.col + lead.span  # beside the lead, not under it
    assert by_id["chongdianzhuang"].span == 2


def test_impossible_pins_are_reported(tmp_path):
    folder = pinned_issue(tmp_path, '{ yiwang-tongguan = { columns = 8 }, chongdianzhuang = { zone = "side" } }')
    with pytest.raises(LayoutError, match=r"E309: page 2: the pins leave no arrangement that fits"):
        build(folder, BuildOptions(out=tmp_path / "out", formats=("pdf",)))


def test_pin_for_an_article_not_on_the_page(tmp_path):
    from epaper.errors import InputError
    folder = pinned_issue(tmp_path, '{ dongzhi-xisu = { columns = 3 } }')
    with pytest.raises(InputError, match=r"issue.toml:\d+: pages\[1\].pins.dongzhi-xisu: pin for 'dongzhi-xisu', "
                                         r"which is not on this page"):
        build(folder, BuildOptions(out=tmp_path / "out", formats=("pdf",)))


def test_house_ad_takes_what_short_copy_leaves(tmp_path):
    """A template with house_ad = true: short copy is set at its natural height and a full-width 公益广告 zone at
    the foot takes the rest (I320 says its size), so the page is full; a placeholder photo stays a real size."""
    from epaper.build import prepare
    from epaper.layout.autoplace import HOUSE_AD_ZONE
    from epaper.layout.grid import MM
    from epaper.layout.place import layout_issue

    root = tmp_path / "wujin-daily"
    shutil.copytree(SAMPLES, root)
    issue_file = root / "2024-12-19" / "issue.toml"
    text = issue_file.read_text("utf-8").replace('template = "front-ad"', 'template = "front-fill"')
    issue_file.write_text(re.sub(r'articles = \[.*\]', 'articles = ["xiaodi-tongzhan-lianmeng", "longcheng-xingu"]',
                                 text), "utf-8")
    for name in ("jiceng-zhili-huiyi", "yanglao-jiuzhu", "xiaowai-fudaozhan"):
        (root / "2024-12-19" / "articles" / f"{name}.md").unlink()
    issue, layout, palette, strings = prepare(root / "2024-12-19")
    (page,) = layout_issue(issue, layout, palette, strings)
    zone = page.zones[HOUSE_AD_ZONE]
    assert zone.w == layout.type_width and abs(zone.y + zone.h - layout.line_y(layout.lines)) < 0.01
    assert zone.h >= 20 * layout.pitch  # two stories leave most of a 对开 page
    assert all(m.rect.y + m.rect.h <= zone.y + 0.01 for m in page.modules)
    assert page.area_fill >= 0.99 and page.area_fill * page.text_fill >= 0.85
    (note,) = [f for f in page.findings if f.code == "I320"]
    assert f"{zone.w / MM:.0f} × {zone.h / MM:.0f} mm" in note.message
    photo = next(p for m in page.modules for p in m.photos)
    assert photo.rect.w <= layout.span_width(layout.columns // 2) + 0.01


def test_house_ad_needs_automatic_placement(tmp_path):
    from epaper.errors import InputError
    from epaper.layout.grid import load_layout

    layouts = tmp_path / "layouts"
    shutil.copytree(SAMPLES.parent.parent / "layouts", layouts)
    toml = layouts / "broadsheet" / "layout.toml"
    toml.write_text(toml.read_text("utf-8").replace('  { name = "fourth", col = 5, span = 3, rank = 3 },\n]',
                                                    '  { name = "fourth", col = 5, span = 3, rank = 3 },\n]\n'
                                                    'house_ad = true'), "utf-8")
    with pytest.raises(InputError, match=r"layout.toml:\d+: templates.front-pinned.house_ad: a house-ad slot needs "
                                         r"automatic placement"):
        load_layout(layouts, "broadsheet")


def test_a_layout_that_extends_overrides_only_what_it_changes(tmp_path, monkeypatch):
    """A paper's layout.toml of three keys over broadsheet: its body and subhead sizes, everything else inherited;
    the seed issue builds with it and the PDF's body text is set at the new size."""
    import collections

    import pdfplumber

    import epaper.build
    from epaper.layout.grid import load_layout
    from epaper.layout.composer import _composer, composition_settings
    from epaper.layout.module import body_lines
    from epaper.build import prepare
    from epaper.source.folder import load_issue

    layouts = tmp_path / "layouts"
    shutil.copytree(SAMPLES.parent.parent / "layouts", layouts)
    (layouts / "wujin").mkdir()
    (layouts / "wujin" / "layout.toml").write_text('extends = "broadsheet"\n\n[grid]\nbody_size = 8.5\n'
                                                   'subhead_size = 12.0\n', "utf-8")
    parent, child = load_layout(layouts, "broadsheet"), load_layout(layouts, "wujin")
    assert (child.body_size, child.subhead_size) == (8.5, 12.0)
    same = ("width", "height", "bleed", "top", "columns", "chars", "gutter_chars", "caption_size", "pitch", "lines",
            "headlines", "headline_leading", "templates")
    assert [getattr(child, k) for k in same] == [getattr(parent, k) for k in same]
    assert child.folders == (layouts / "wujin", layouts / "broadsheet", layouts / "base")

    # a template of the child replaces the parent's of that name; a key of the wrong type names the child's file
    (layouts / "wujin" / "layout.toml").write_text(
        'extends = "broadsheet"\n\n[templates.inside]\nzones = []\nslots = [{ name = "only", col = 0, span = 8 }]\n',
        "utf-8")
    assert [s.name for s in load_layout(layouts, "wujin").templates["inside"].slots] == ["only"]
    assert load_layout(layouts, "wujin").templates["front"] == parent.templates["front"]
    (layouts / "wujin" / "layout.toml").write_text('extends = "broadsheet"\n\n[grid]\nbody_size = "big"\n', "utf-8")
    with pytest.raises(Exception, match=r"wujin/layout.toml:4: grid.body_size: expected"):
        load_layout(layouts, "wujin")
    (layouts / "wujin" / "layout.toml").write_text('extends = "broadsheet"\n\n[grid]\nbody_size = 8.5\n'
                                                   'subhead_size = 12.0\n', "utf-8")

    papers = tmp_path / "papers" / "wujin-daily"
    shutil.copytree(SAMPLES, papers)
    paper = papers / "paper.toml"
    paper.write_text(paper.read_text("utf-8").replace('layout = "broadsheet"', 'layout = "wujin"'), "utf-8")
    monkeypatch.setattr(epaper.build, "LAYOUTS", layouts)
    result = build(papers / "2024-12-19", BuildOptions(out=tmp_path / "out", formats=("pdf",)))
    assert result.pages[0].modules
    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    with pdfplumber.open(pdf) as doc:
        sizes = collections.Counter(round(c["size"], 2) for c in doc.pages[0].chars if c["text"].strip())
    assert sizes.most_common(1)[0][0] == 8.5, sizes.most_common(5)
    assert not sizes.get(9.0), "text at the parent's body size"

    # subheads take the child's size (the seed issue has none: one article of the 4-page sample)
    issue = load_issue(papers / "2024-12-20")
    _, layout, palette, strings = prepare(papers / "2024-12-20")
    assert layout.name == "wujin"
    article = next(a for a in issue.articles.values() if any(b.kind == "h" for b in a.body))
    composer = _composer(palette, composition_settings(issue.paper), layout.body_size, layout.subhead_size)
    lines = body_lines(article, layout.column_width, composer, strings)
    heads = [ln for ln in lines if article.body[ln.para].kind == "h"]
    assert heads and all(ln.size == 12.0 for ln in heads)
    assert all(ln.size in (0.0, 8.5) or article.body[ln.para].kind == "h" for ln in lines)
