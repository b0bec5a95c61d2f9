"""The layout stages cached on disk (epaper/cache_layout.py): a new process reuses placed pages and composed
paragraphs, a one-character edit recomposes only that story's paragraph and places only its page again, and the
outputs are the same bytes cached or not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from epaper.build import BuildOptions, build, prepare
from epaper.cache_layout import LayoutStore
from epaper.layout import composer as composer_module
from epaper.layout import place, searchmemo
from epaper.layout.types import PageLayout

from .conftest import MULTI_ISSUE


def _copy(tmp: Path) -> Path:
    root = tmp / "wujin-daily"
    shutil.copytree(MULTI_ISSUE.parent, root, ignore=shutil.ignore_patterns("2024-12-19"))
    return root / MULTI_ISSUE.name


def _new_process() -> None:
    """Forget what this process laid out and composed, as a new CLI process would."""
    place._MEMO.clear()
    searchmemo._MEMO.clear()
    composer_module._COMPOSERS.clear()


SEARCHES: list[int] = []  # placement searches run by the last _layout (not answered by epaper/layout/searchmemo.py)


def _layout(folder: Path, store: LayoutStore | None) -> tuple[list[PageLayout], list[str], list[int]]:
    """The pages, the texts composed, and the numbers of the pages placed (not taken from a memo or the store)."""
    _new_process()
    issue, layout, palette, strings = prepare(folder)
    placed: list[int] = []
    real, real_search = place.layout_page, searchmemo.search
    SEARCHES.clear()

    def counting(issue, page, *args, **kwargs):
        placed.append(page.number)
        return real(issue, page, *args, **kwargs)

    def counting_search(*args, **kwargs):
        SEARCHES.append(1)
        return real_search(*args, **kwargs)

    place.layout_page, searchmemo.search = counting, counting_search
    try:
        pages = place.layout_issue(issue, layout, palette, strings, store=store)
    finally:
        place.layout_page, searchmemo.search = real, real_search
    composer = next(iter(composer_module._COMPOSERS.values()))
    return pages, list(composer.composed), sorted(set(placed))


def _edit_one_character(md: Path) -> str:
    """Change the first 的 (else ，) of the body to 之 (；); returns the paragraph's new text start."""
    text = md.read_text(encoding="utf-8")
    head, sep, body = text.partition("+++\n\n")
    for old, new in (("的", "之"), ("，", "；")):
        if old in body:
            md.write_text(head + sep + body.replace(old, new, 1), encoding="utf-8")
            return new
    raise AssertionError(f"nothing to edit in {md}")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return _copy(tmp_path_factory.mktemp("layout-cache"))


def test_a_new_process_reuses_pages_and_an_edit_recomposes_one_story(folder, tmp_path):
    store = LayoutStore(tmp_path / "layout")
    cold, composed, placed = _layout(folder, store)
    assert composed and placed == [p.page.number for p in cold]
    assert store.stats["pages_stored"] == len(cold)

    # nothing changed: every page comes from the store, nothing is composed or placed
    warm, composed, placed = _layout(folder, LayoutStore(tmp_path / "layout"))
    assert (composed, placed) == ([], [])
    assert repr(warm) == repr(cold)

    # one character of one story: only its page is placed again, only the edited paragraph is composed
    issue, *_ = prepare(folder)
    page = issue.pages[1]
    article = issue.articles[page.articles[0]]
    _edit_one_character(article.source)
    store = LayoutStore(tmp_path / "layout")
    edited, composed, placed = _layout(folder, store)
    assert placed == [page.number]
    # the page is placed again, but its stories' heights did not change: the last search's arrangement stands
    assert SEARCHES == [], "a placement search ran although no story's height changed"
    assert composed, "the edited paragraph is composed again"
    issue, *_ = prepare(folder)
    changed = [b.text for b in issue.articles[article.id].body if b.text not in {x.text for x in article.body}]
    assert len(changed) == 1
    assert all(text.endswith(changed[0]) for text in composed), composed
    assert store.stats["texts_loaded"] > 0  # the page's other paragraphs came from the store
    # and the pages laid out again from nothing are the same
    fresh, _, _ = _layout(folder, None)
    assert repr(fresh) == repr(edited)
    assert [p.page.number for p in edited] == [p.page.number for p in cold]


def test_a_longer_story_searches_again_and_places_as_from_nothing(tmp_path):
    """An edit that changes a story's height is searched again; the page is what a build from nothing places."""
    folder = _copy(tmp_path)
    store = LayoutStore(tmp_path / "layout")
    _layout(folder, store)
    issue, *_ = prepare(folder)
    page = issue.pages[1]
    md = issue.articles[page.articles[-1]].source
    text = md.read_text(encoding="utf-8")
    md.write_text(text.rstrip("\n") + "\n\n" + "补充的一段文字，使这篇稿件多出几行。" * 6 + "\n", encoding="utf-8")
    edited, _, placed = _layout(folder, LayoutStore(tmp_path / "layout"))
    assert page.number in placed and SEARCHES, "a changed height must be searched again"
    fresh, _, _ = _layout(folder, None)
    assert repr(fresh) == repr(edited)


def test_a_damaged_entry_is_computed_again(folder, tmp_path):
    store = LayoutStore(tmp_path / "layout")
    cold, _, _ = _layout(folder, store)
    entries = sorted((tmp_path / "layout" / "pages").iterdir())
    assert len(entries) == len(cold)
    entries[0].write_bytes(entries[0].read_bytes()[:-20])  # truncated
    lines = sorted((tmp_path / "layout" / "lines").iterdir())
    lines[0].write_bytes(b"0" * 64 + b"\nnot a pickle")
    warm, _, placed = _layout(folder, LayoutStore(tmp_path / "layout"))
    assert len(placed) == 1
    assert repr(warm) == repr(cold)


def test_outputs_are_the_same_bytes_cached_or_not(tmp_path):
    folder = _copy(tmp_path)
    options = dict(formats=("pdf", "epub"), workers=1)
    _new_process()
    build(folder, BuildOptions(out=tmp_path / "a", **options))
    assert any((tmp_path / "a" / ".cache" / "layout" / "pages").iterdir())
    _new_process()  # a second CLI run: placement and composition come from OUT/.cache/layout
    cached = build(folder, BuildOptions(out=tmp_path / "a", **options))
    assert cached.rendered_pages == []  # same layout, so the same page HTML: every page PDF from the page cache
    _new_process()
    fresh = build(folder, BuildOptions(out=tmp_path / "b", cache=False, **options))
    assert not (tmp_path / "b" / ".cache").exists()
    assert len(fresh.rendered_pages) == len(fresh.pages)
    for suffix in (".pdf", ".epub"):
        ours = next(p for p in cached.outputs if p.suffix == suffix)
        theirs = next(p for p in fresh.outputs if p.suffix == suffix)
        assert ours.read_bytes() == theirs.read_bytes(), suffix
