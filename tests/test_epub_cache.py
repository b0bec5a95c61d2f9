"""The EPUB's cover from the print PDF and its image cache: a rebuild packs no photo again, a damaged entry is
recomputed, and the book is the same bytes with or without the cache."""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from epaper.errors import EpaperError
from epaper.render.epub import epub_images
from epaper.render.epub.epub import write_epub
from epaper.source.folder import load_issue

from .conftest import SEED_ISSUE
from .test_epub import SAMPLE_4, cover_png, epubcheck_messages, needs_java, strings_for
from .test_web_cache import events, forbid


@pytest.fixture(scope="module")
def seed_pdf(sample_pdf) -> Path:
    return sample_pdf("seed")[1]  # built once per run (conftest.py)


def cover_of(book: Path) -> Image.Image:
    with zipfile.ZipFile(book) as zf:
        name = next(n for n in zf.namelist() if n.startswith("EPUB/images/cover."))
        im = Image.open(io.BytesIO(zf.read(name)))
        im.load()
        return im


@needs_java
def test_the_cover_from_the_print_pdf_is_valid(seed_pdf, tmp_path):
    issue = load_issue(SEED_ISSUE)
    book = tmp_path / "seed.epub"
    write_epub(issue, strings_for(issue), book, cover_pdf=seed_pdf)
    assert epubcheck_messages(book) == []
    cover = cover_of(book)
    # the trim box (broadsheet, 390 × 545 mm) fitted within 1,600 px
    assert cover.height == 1600 and abs(cover.width / cover.height - 390 / 545) < 0.01
    assert cover_of(book).getpixel((cover.width // 2, cover.height // 2)) != (0, 0, 0)


def test_a_rebuilt_book_packs_nothing_and_is_the_same_bytes(seed_pdf, tmp_path, caplog, monkeypatch):
    issue = load_issue(SAMPLE_4)
    strings = strings_for(issue)
    write_epub(issue, strings, tmp_path / "plain.epub", cover_pdf=seed_pdf)
    caplog.set_level(logging.DEBUG, logger="epaper.cache")
    write_epub(issue, strings, tmp_path / "cold.epub", cover_pdf=seed_pdf, cache=tmp_path / "cache")
    photos = len({p.path for a in issue.articles.values() for p in a.photos})
    assert events(caplog, "epub-image") == {"miss": photos} and events(caplog, "epub-page") == {"miss": 1}
    caplog.clear()
    forbid(monkeypatch, epub_images, "_pack_pixels")  # not one image resized or encoded
    write_epub(issue, strings, tmp_path / "warm.epub", cover_pdf=seed_pdf, cache=tmp_path / "cache")
    assert events(caplog, "epub-image") == {"hit": photos} and events(caplog, "epub-page") == {"hit": 1}
    books = [(tmp_path / f"{name}.epub").read_bytes() for name in ("plain", "cold", "warm")]
    assert books[0] == books[1] == books[2]


def test_a_damaged_entry_is_recomputed(tmp_path, caplog):
    issue = load_issue(SAMPLE_4)
    strings = strings_for(issue)
    cache = tmp_path / "cache"
    write_epub(issue, strings, tmp_path / "a.epub", cover_png=cover_png(), cache=cache)
    entry = max((cache / "epub-image").glob("*.bin"), key=lambda p: p.stat().st_size)  # the cover, packed
    entry.write_bytes(entry.read_bytes()[:100])
    caplog.set_level(logging.DEBUG, logger="epaper.cache")
    write_epub(issue, strings, tmp_path / "b.epub", cover_png=cover_png(), cache=cache)
    assert events(caplog, "epub-image").get("corrupt") == 1
    assert (tmp_path / "a.epub").read_bytes() == (tmp_path / "b.epub").read_bytes()


def test_one_cover_source_at_a_time(seed_pdf, tmp_path):
    issue = load_issue(SEED_ISSUE)
    with pytest.raises(EpaperError, match="not both"):
        write_epub(issue, strings_for(issue), tmp_path / "x.epub", cover_png=cover_png(), cover_pdf=seed_pdf)
    assert not (tmp_path / "x.epub").exists()


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Sans missing (apt-get install fonts-dejavu-core)")
def test_font_subsets_come_from_the_cache(tmp_path, caplog, monkeypatch):
    """A rebuild with the same characters reuses the subset (fontTools takes 10–20 s on a CJK face)."""
    from epaper.render.epub import epub_fonts

    issue = load_issue(SEED_ISSUE)
    fonts = [("DejaVu Sans", DEJAVU, "400")]
    epub_fonts.subset_font.cache_clear()
    write_epub(issue, strings_for(issue), tmp_path / "plain.epub", embed_fonts=True, fonts=fonts)
    caplog.set_level(logging.DEBUG, logger="epaper.cache")
    write_epub(issue, strings_for(issue), tmp_path / "cold.epub", embed_fonts=True, fonts=fonts, cache=tmp_path / "c")
    assert events(caplog, "epub-font") == {"miss": 1}
    caplog.clear()
    forbid(monkeypatch, epub_fonts, "subset_font")
    write_epub(issue, strings_for(issue), tmp_path / "warm.epub", embed_fonts=True, fonts=fonts, cache=tmp_path / "c")
    assert events(caplog, "epub-font") == {"hit": 1}
    books = [(tmp_path / f"{name}.epub").read_bytes() for name in ("plain", "cold", "warm")]
    assert books[0] == books[1] == books[2]
