"""Pages rendered one by one (in worker processes, cached by content) and joined: the PDF is the one WeasyPrint
would make of the whole issue, each font is embedded once, and a rebuild renders only the pages that changed."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from epaper.build import BuildOptions, build, prepare
from epaper.paths import FONTS, LAYOUTS
from epaper.layout import place
from epaper.render.print import print_pdf

from .conftest import MULTI_ISSUE

pytestmark = pytest.mark.slow  # the 4-page sample rendered again per case (cache, photos, parallel vs in-process)

def _copy(tmp: Path) -> Path:
    root = tmp / "wujin-daily"
    shutil.copytree(MULTI_ISSUE.parent, root, ignore=shutil.ignore_patterns("2024-12-19"))
    return root / MULTI_ISSUE.name


def _pdf(result) -> Path:
    return next(p for p in result.outputs if p.suffix == ".pdf")


def _pages(pdf: bytes | Path) -> list[tuple[Image.Image, str]]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [(page.render(scale=1).to_pil().convert("L"), page.get_textpage().get_text_range()) for page in doc]
    finally:
        doc.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pages")
    folder = _copy(tmp)
    first = build(folder, BuildOptions(out=tmp / "out", formats=("pdf",)))
    return folder, tmp / "out", first


def test_joined_pages_equal_one_weasyprint_document(built):
    folder, _, result = built
    issue, layout, palette, strings = prepare(folder)
    html = print_pdf.render_html(issue, result.pages, layout, palette, strings, title="same")
    whole = print_pdf.render_document(html, issue.root, [issue.root, LAYOUTS, FONTS]).document.write_pdf()
    ours, theirs = _pages(_pdf(result)), _pages(whole)
    assert len(ours) == len(theirs) == 4
    for n, ((image, text), (their_image, their_text)) in enumerate(zip(ours, theirs), 1):
        assert ImageChops.difference(image, their_image).getbbox() is None, f"page {n} differs in pixels"
        assert text == their_text, f"page {n} differs in text"


def test_each_font_is_embedded_once_and_subset(built):
    _, _, result = built
    with pikepdf.open(_pdf(result)) as pdf:
        fonts: dict[str, set] = {}
        programs: dict[str, set] = {}
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                name = str(font.BaseFont)
                fonts.setdefault(name, set()).add(font.objgen)
                descriptor = font.DescendantFonts[0].FontDescriptor
                program = descriptor.get("/FontFile3", descriptor.get("/FontFile2"))
                programs.setdefault(name, set()).add(program.objgen)
                assert len(program.read_bytes()) < 2_000_000, f"{name} looks embedded whole"
        assert fonts and all(len(v) == 1 for v in fonts.values()), fonts
        assert all(len(v) == 1 for v in programs.values()), programs
        assert all("+" in name for name in fonts), "subset fonts carry a tag"


def test_rebuild_renders_only_the_edited_page(built, tmp_path, monkeypatch):
    folder, out, first = built
    assert sorted(first.rendered_pages) == [1, 2, 3, 4]
    laid_out: list[int] = []
    real = place.layout_page
    monkeypatch.setattr(place, "layout_page", lambda issue, page, *a, **k: laid_out.append(page.number) or real(issue, page, *a, **k))
    again = build(folder, BuildOptions(out=out, formats=("pdf",)))
    assert again.rendered_pages == [] and laid_out == []
    assert _pdf(again).read_bytes() == _pdf(first).read_bytes()
    # one character of an article on page 3
    on_page_3 = first.pages[2].modules[0].article
    text = on_page_3.source.read_text("utf-8")
    target = on_page_3.paragraphs[0][:6]
    on_page_3.source.write_text(text.replace(target, target[:-1] + ("甲" if target[-1] != "甲" else "乙"), 1), "utf-8")
    try:
        edited = build(folder, BuildOptions(out=out, formats=("pdf",)))
        assert edited.rendered_pages == [3] and set(laid_out) == {3}
        # the same bytes as a build that renders everything afresh
        fresh = build(folder, BuildOptions(out=tmp_path / "fresh", formats=("pdf",), cache=False, workers=1))
        assert sorted(fresh.rendered_pages) == [1, 2, 3, 4]
        assert _pdf(edited).read_bytes() == _pdf(fresh).read_bytes()
    finally:
        on_page_3.source.write_text(text, "utf-8")


def test_a_damaged_cache_entry_is_rendered_again(built):
    folder, out, first = built
    entries = sorted((out / ".cache" / "pages").glob("*.pdf"))
    assert len(entries) >= 4
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:-100])  # truncated, as by a full disk
    again = build(folder, BuildOptions(out=out, formats=("pdf",)))
    assert sorted(again.rendered_pages) == [1, 2, 3, 4]
    assert _pdf(again).read_bytes() == _pdf(first).read_bytes()


def test_a_replaced_photo_renders_its_page_again(built):
    folder, out, first = built
    before = _pdf(build(folder, BuildOptions(out=out, formats=("pdf",)))).read_bytes()  # the cache is complete
    page, photo = next((p, ph) for p in first.pages for m in p.modules for ph in m.photos)
    original = photo.photo.path.read_bytes()
    with Image.open(io.BytesIO(original)) as image:
        changed = Image.eval(image.convert("RGB"), lambda v: 255 - v)  # same name, same size, other pixels
        buf = io.BytesIO()
        changed.save(buf, format=image.format or "JPEG")
    photo.photo.path.write_bytes(buf.getvalue())
    try:
        again = build(folder, BuildOptions(out=out, formats=("pdf",)))
        assert again.rendered_pages == [page.page.number]
        assert _pdf(again).read_bytes() != before
    finally:
        photo.photo.path.write_bytes(original)


def test_pages_render_in_parallel_or_in_process_alike(built, tmp_path):
    folder, out, _ = built
    parallel = build(folder, BuildOptions(out=out, formats=("pdf",), cache=False))
    alone = build(folder, BuildOptions(out=tmp_path / "one", formats=("pdf",), cache=False, workers=1))
    assert _pdf(alone).read_bytes() == _pdf(parallel).read_bytes()


def test_entries_unused_for_two_weeks_are_removed(built):
    import os
    import time

    folder, out, _ = built
    build(folder, BuildOptions(out=out, formats=("pdf",)))  # every page of the issue as it is now in the cache
    pages = out / ".cache" / "pages"
    stale = pages / ("0" * 64 + ".pdf")
    stale.write_bytes(b"%PDF-1.7 left by a build long ago")
    old = time.time() - 15 * 86400
    os.utime(stale, (old, old))
    for entry in pages.glob("*"):
        if entry != stale:
            os.utime(entry, (old, old))  # used again by the next build, so kept
    again = build(folder, BuildOptions(out=out, formats=("pdf",)))
    assert not stale.exists()
    assert again.rendered_pages == [] and len(list(pages.glob("*.pdf"))) >= 4
