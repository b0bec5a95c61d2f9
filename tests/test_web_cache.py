"""The web e-paper's derived-image cache: a rebuild renders only changed pages and encodes only new photos, a
damaged entry is recomputed, never served, and the site is the same bytes with or without the cache."""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from epaper.build import BuildResult
from epaper.paths import LAYOUTS
from epaper.layout.grid import load_layout
from epaper import derived_cache
from epaper.render.web import web_images, web_photos
from epaper.derived_cache import DerivedCache
from epaper.render.print.pdf_pages import describe_pages
from epaper.render.web.web import write_site
from epaper.strings import Strings


@pytest.fixture(scope="module")
def multi(sample_pdf) -> tuple[BuildResult, Path]:
    """The 4-page sample's build result and print PDF (built once per run, conftest.py)."""
    return sample_pdf("multi")


def events(caplog: pytest.LogCaptureFixture, kind: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in caplog.records:
        if getattr(record, "cache_kind", None) == kind:
            counts[record.cache_event] = counts.get(record.cache_event, 0) + 1
    return counts


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def forbid(monkeypatch: pytest.MonkeyPatch, module, name: str) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError(f"{name} was called although everything was in the cache")

    monkeypatch.setattr(module, name, refuse)


STEMS = ["p1", "p2", "p3", "p4"]
# The cache is what these tests are about: a small zoom image keeps them quick (the zoom image is the costliest
# encode, 12 megapixels a page at the real size; tests/test_web_phone.py checks that one).
ZOOM = 400


def test_a_second_rasterise_renders_no_page_and_writes_the_same_files(multi, tmp_path, caplog, monkeypatch):
    _, pdf = multi
    caplog.set_level(logging.DEBUG, logger="epaper.cache")
    plain = web_images.rasterise(pdf, tmp_path / "plain" / "img", STEMS, zoom=ZOOM)
    cache = tmp_path / "cache"
    cold = web_images.rasterise(pdf, tmp_path / "cold" / "img", STEMS, zoom=ZOOM, cache=cache)
    assert events(caplog, "web-page") == {"miss": 4}
    caplog.clear()
    forbid(monkeypatch, web_images, "_page_images")  # PDFium must not draw a single page
    warm = web_images.rasterise(pdf, tmp_path / "warm" / "img", STEMS, zoom=ZOOM, cache=cache)
    assert events(caplog, "web-page") == {"hit": 4}
    assert plain == cold == warm
    assert files(tmp_path / "plain") == files(tmp_path / "cold") == files(tmp_path / "warm")


def test_a_damaged_entry_is_recomputed_not_served(multi, tmp_path, caplog):
    _, pdf = multi
    cache = tmp_path / "cache"
    web_images.rasterise(pdf, tmp_path / "a" / "img", STEMS, zoom=ZOOM, cache=cache)
    entries = sorted((cache / "web-page").glob("*.bin"))
    assert len(entries) == 4
    cut, flipped = entries[0], entries[1]
    cut.write_bytes(cut.read_bytes()[:-1000])  # a write cut short (a full disk, a copy interrupted)
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed on disk
    flipped.write_bytes(bytes(data))
    caplog.set_level(logging.DEBUG, logger="epaper.cache")
    web_images.rasterise(pdf, tmp_path / "b" / "img", STEMS, zoom=ZOOM, cache=cache)
    assert events(caplog, "web-page") == {"corrupt": 2, "hit": 2}
    assert files(tmp_path / "a") == files(tmp_path / "b")
    caplog.clear()
    web_images.rasterise(pdf, tmp_path / "c" / "img", STEMS, zoom=ZOOM, cache=cache)
    assert events(caplog, "web-page") == {"hit": 4}  # the recomputed entries were written back whole


def test_caller_page_keys_decide_which_pages_are_rendered(multi, tmp_path, monkeypatch):
    _, pdf = multi
    cache = tmp_path / "cache"
    drawn: list[int] = []
    original = web_images._page_images

    def counting(page, *args):
        drawn.append(1)
        return original(page, *args)

    monkeypatch.setattr(web_images, "_page_images", counting)
    web_images.rasterise(pdf, tmp_path / "a" / "img", STEMS, zoom=ZOOM, cache=cache,
                         page_keys=["k1", "k2", "k3", "k4"])
    assert len(drawn) == 4
    web_images.rasterise(pdf, tmp_path / "b" / "img", STEMS, zoom=ZOOM, cache=cache,
                         page_keys=["k1", "k2", "k3*", "k4"])
    assert len(drawn) == 5
    with pytest.raises(Exception, match="3 page keys for 4 pages"):
        web_images.rasterise(pdf, tmp_path / "c" / "img", STEMS, zoom=ZOOM, cache=cache,
                             page_keys=["k1", "k2", "k3"])


def _two_pages(tmp_path: Path, first: str, second: str, size: str = "A5") -> bytes:
    from weasyprint import HTML

    if not (tmp_path / "red.png").exists():
        _red_png(tmp_path / "red.png")
    html = (f"<style>@page {{ size: {size} }} section {{ break-after: page }}</style>"
            f"<section>{first}</section><section>{second}</section>")
    return HTML(string=html, base_url=str(tmp_path) + "/").write_pdf()


def _red_png(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 20, 20)).save(path)


def test_derived_keys_change_with_the_page_drawing_only(tmp_path):
    """Without caller keys, a page's key covers its content stream and the resources it names: editing or adding
    a photo to page 2 leaves page 1's key alone, although WeasyPrint shares one resource dictionary."""
    base = describe_pages(_two_pages(tmp_path, "<p>甲乙丙 first</p>", "<p>丁戊 second</p>"))
    same = describe_pages(_two_pages(tmp_path, "<p>甲乙丙 first</p>", "<p>丁戊 second</p>"))
    # the same glyphs in another order: the font subset, which every page uses, stays the same
    edited = describe_pages(_two_pages(tmp_path, "<p>甲乙丙 first</p>", "<p>丁戊 secnod</p>"))
    photo = describe_pages(_two_pages(tmp_path, "<p>甲乙丙 first</p>", '<p>丁戊 second</p><img src="red.png">'))
    bigger = describe_pages(_two_pages(tmp_path, "<p>甲乙丙 first</p>", "<p>丁戊 second</p>", size="A4"))
    assert [p.content_key for p in base] == [p.content_key for p in same]
    assert base[0] == edited[0] and base[1].content_key != edited[1].content_key
    assert base[0] == photo[0] and base[1].content_key != photo[1].content_key
    assert base[0].geometry != bigger[0].geometry
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(_two_pages(tmp_path, "<p>甲乙丙 first</p>", "<p>丁戊 second</p>"))) as pdf:
        pdf.pages[1].obj.Rotate = 90  # a number: pikepdf hands it out as an int
        rotated = io.BytesIO()
        pdf.save(rotated)
    turned = describe_pages(rotated.getvalue())
    assert turned[0] == base[0] and turned[1].geometry != base[1].geometry


def test_processes_and_threads_make_the_same_files(multi, tmp_path):
    _, pdf = multi
    threads = web_images.rasterise(pdf, tmp_path / "t" / "img", STEMS, zoom=ZOOM)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        processes = web_images.rasterise(pdf.read_bytes(), tmp_path / "p" / "img", STEMS, zoom=ZOOM, executor=pool)
    assert threads == processes
    assert files(tmp_path / "t") == files(tmp_path / "p")


def test_a_rebuilt_site_is_the_same_with_or_without_the_cache(multi, tmp_path, caplog, monkeypatch):
    result, pdf = multi
    layout = load_layout(LAYOUTS, result.issue.paper.layout)
    strings = Strings(layout.folders, result.issue.paper.language)

    def site(name: str, cache: Path | None) -> dict[str, bytes]:
        root = tmp_path / name
        write_site(root, result.issue, result.pages, pdf, None, strings, layout=layout, cache=cache)
        return files(root)

    plain = site("plain", None)
    caplog.set_level(logging.DEBUG, logger="epaper.cache")
    cold = site("cold", tmp_path / "cache")
    photos = len({p.path for a in result.issue.articles.values() for p in a.photos})
    assert photos and events(caplog, "web-photo") == {"miss": photos}
    caplog.clear()
    forbid(monkeypatch, web_images, "_page_images")
    forbid(monkeypatch, web_photos, "_open_photo")  # not one photo decoded, so none encoded
    warm = site("warm", tmp_path / "cache")
    assert events(caplog, "web-photo") == {"hit": photos} and events(caplog, "web-page") == {"hit": 4}
    assert plain == cold == warm


def test_cache_entries_are_verified_and_pruned_least_recently_used_first(tmp_path):
    import os

    cache = DerivedCache(tmp_path, max_bytes=3000)
    for n in range(4):
        cache.put("k", f"{n:064x}", [bytes([n]) * 1000, b"meta"])
        os.utime(tmp_path / "k" / f"{n:064x}.bin", (1000 + n, 1000 + n))
    assert cache.get("k", f"{0:064x}") == [b"\0" * 1000, b"meta"]  # used now: the most recent
    (tmp_path / "k" / ".dead.tmp").write_bytes(b"x")
    os.utime(tmp_path / "k" / ".dead.tmp", (1, 1))
    cache.prune()
    left = sorted(p.name for p in (tmp_path / "k").iterdir())
    assert left == [f"{0:064x}.bin", f"{3:064x}.bin"]
    assert derived_cache._unpack(b"not an entry") is None
    assert DerivedCache(None).get("k", f"{0:064x}") is None


def test_images_the_page_workers_draw_are_those_this_process_draws(tmp_path, monkeypatch):
    """A build hands the web page images, the logo and the EPUB cover to its page workers once the PDF is joined
    (web_prefetch); a build without cache or workers draws them itself. Both give the same site and EPUB bytes."""
    import shutil

    from epaper.build import BuildOptions, build
    from epaper.render.web import web_prefetch

    from .conftest import MULTI_ISSUE

    root = tmp_path / "wujin-daily"
    shutil.copytree(MULTI_ISSUE.parent, root, ignore=shutil.ignore_patterns("2024-12-19"))
    folder = root / MULTI_ISSUE.name
    handed: list[int] = []
    real = web_prefetch.prefetch

    def counted(*args, **kwargs):
        jobs = real(*args, **kwargs)
        handed.append(len(jobs))
        return jobs

    monkeypatch.setattr(web_prefetch, "prefetch", counted)
    formats = ("pdf", "epub", "web")
    workers = build(folder, BuildOptions(out=tmp_path / "workers", formats=formats, workers=2))
    assert handed == [len(workers.pages)], "every page's images were drawn by the page workers"
    here = build(folder, BuildOptions(out=tmp_path / "here", formats=formats, workers=1, cache=False))
    assert handed == [len(workers.pages)], "a build without workers draws its images itself"
    assert files(tmp_path / "workers" / "site") == files(tmp_path / "here" / "site")
    epubs = [next(p for p in r.outputs if p.suffix == ".epub").read_bytes() for r in (workers, here)]
    assert epubs[0] == epubs[1]
