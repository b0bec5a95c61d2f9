"""`epaper build` a second time with nothing changed builds nothing and says so (epaper/uptodate.py); any change to
what a build reads, a missing output or other options builds again."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pdfplumber
import pytest
from typer.testing import CliRunner

from epaper import uptodate
from epaper.build import BuildOptions
from epaper.cli import app
from epaper.paths import FONTS, LAYOUTS
from epaper.render.registry import FORMATS

SLUG = "test-daily-2024-12-19"
runner = CliRunner()


def _build(issue: Path, out: Path, *flags: str):
    result = runner.invoke(app, ["build", str(issue), "--out", str(out), *flags])
    assert result.exit_code == 0, result.output
    return result


def _builds(out: Path) -> list[str]:
    return sorted(p.name for p in (out / ".builds").iterdir())


def _pdf_text(out: Path) -> str:
    with pdfplumber.open(out / f"{SLUG}.pdf") as pdf:
        return "".join(page.extract_text() or "" for page in pdf.pages)


@pytest.fixture
def built(tiny_issue: Path, tmp_path: Path) -> tuple[Path, Path, str]:
    """The tiny issue built once by the CLI (all formats) into OUT; returns (issue, OUT, what the build printed)."""
    out = tmp_path / "out"
    first = _build(tiny_issue, out)
    return tiny_issue, out, first.stderr


def test_nothing_changed_builds_nothing_and_says_so(built):
    issue, out, first_err = built
    builds, pdf_inode = _builds(out), (out / f"{SLUG}.pdf").stat().st_ino
    again = _build(issue, out)
    assert "up to date" in again.stderr
    assert "laying out" not in again.stderr  # nothing was loaded, laid out or drawn
    assert _builds(out) == builds and (out / f"{SLUG}.pdf").stat().st_ino == pdf_inode
    # what the first build reported is reported again: its findings and a line per page
    for line in first_err.splitlines():
        if line.startswith(("warning ", "info ", "page ")):
            assert line in again.stderr.splitlines(), line
    assert f"unchanged {out / f'{SLUG}.pdf'}" in again.stdout and "wrote " not in again.stdout


def test_a_touched_but_unchanged_file_is_still_up_to_date(built):
    issue, out, _ = built
    article = issue / "articles" / "lead.md"
    os.utime(article, ns=(article.stat().st_atime_ns, article.stat().st_mtime_ns + 10**9))
    assert "up to date" in _build(issue, out).stderr


def test_a_one_character_edit_builds_again_and_prints_it(built):
    issue, out, _ = built
    article = issue / "articles" / "lead.md"
    text = article.read_text(encoding="utf-8")
    body_start = text.index("+++", 3) + 3
    edited = text[:body_start] + text[body_start:].replace("。", "。鑫", 1)
    assert edited != text
    article.write_text(edited, encoding="utf-8")
    result = _build(issue, out)
    assert "up to date" not in result.stderr and f"wrote {out / f'{SLUG}.pdf'}" in result.stdout
    assert "鑫" in _pdf_text(out)
    assert "up to date" in _build(issue, out).stderr  # and now that build is the one on record


def _cli_options(out: Path, *flags: str) -> BuildOptions:
    """The options `epaper build ISSUE --out OUT` passes to the library (what the stamp records)."""
    formats = ("pdf",) if "--format" in flags else FORMATS
    return BuildOptions(out=out, formats=formats, cache="--no-cache" not in flags, skip_unchanged=True)


def test_what_makes_a_build_run_again(built, monkeypatch: pytest.MonkeyPatch):
    """Each change alone makes the stamp fail (and undoing it makes it hold again); one real rebuild at the end."""
    issue, out, _ = built
    check = lambda *flags: uptodate.check(issue, _cli_options(out, *flags), LAYOUTS, FONTS)  # noqa: E731
    assert check() is not None
    assert check("--format", "pdf") is None  # other options: other outputs
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1734566400")
    assert check() is None
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    paper = issue.parent / "paper.toml"
    text = paper.read_text(encoding="utf-8")
    paper.write_text(text + "\n# a comment is a change of the file\n", encoding="utf-8")
    assert check() is None
    paper.write_text(text, encoding="utf-8")
    assert check() is not None
    shutil.copy(issue / "images" / "p.png", issue / "images" / "q.png")  # a new file in the issue folder
    assert check() is None
    (issue / "images" / "q.png").unlink()
    assert check() is not None
    site_page = out / "site" / "index.html"
    moved = site_page.with_name("moved.html")
    site_page.rename(moved)  # a page of the web e-paper gone
    assert check() is None
    moved.rename(site_page)
    assert check() is not None
    (out / SLUG / f"{SLUG}.epub").unlink()  # a published output gone: the CLI builds it again
    assert check() is None
    result = _build(issue, out)
    assert "up to date" not in result.stderr and f"wrote {out / f'{SLUG}.epub'}" in result.stdout
    assert (out / f"{SLUG}.epub").is_file()
    assert "up to date" not in _build(issue, out, "--no-cache").stderr  # --no-cache always builds


def test_layouts_fonts_and_code_are_inputs(built, tmp_path: Path):
    """The stamp covers layouts/ and the palette (library call with copies of both, so they can be edited)."""
    issue, out, _ = built
    layouts, fonts = tmp_path / "layouts", tmp_path / "fonts"
    shutil.copytree(LAYOUTS, layouts, ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(FONTS, fonts, ignore=shutil.ignore_patterns(".*"))
    options = _cli_options(out)
    before = uptodate.snapshot(issue, options, layouts, fonts)
    assert before is not None
    stamp = uptodate.stamp_path(out, None, issue, "")
    recorded = stamp.read_text(encoding="utf-8")
    # the stamp on record was taken with the real folders: write one for the copies, from the same outputs
    data = {**json.loads(recorded), **before}
    stamp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert uptodate.check(issue, options, layouts, fonts) is not None
    css = next(layouts.rglob("*.css"))
    css.write_text(css.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    assert uptodate.check(issue, options, layouts, fonts) is None
    css.write_text(css.read_text(encoding="utf-8").replace("\n/* changed */\n", ""), encoding="utf-8")
    assert uptodate.check(issue, options, layouts, fonts) is not None  # changed back: the same content again
    palette = fonts / "palette.toml"
    palette.write_text(palette.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert uptodate.check(issue, options, layouts, fonts) is None


def test_an_edit_during_the_build_is_not_taken_as_built(built, monkeypatch: pytest.MonkeyPatch):
    """The stamp records what the build read when it started: an article saved while the build ran is built next
    time, not reported as up to date."""
    issue, out, _ = built
    article = issue / "articles" / "lead.md"
    article.write_text(article.read_text(encoding="utf-8").replace("。", "。一", 1), encoding="utf-8")
    import epaper.build as build_module
    real_prepare = build_module.prepare

    def prepare_then_edit(*args, **kwargs):
        loaded = real_prepare(*args, **kwargs)
        article.write_text(article.read_text(encoding="utf-8").replace("。一", "。二", 1), encoding="utf-8")
        return loaded

    monkeypatch.setattr(build_module, "prepare", prepare_then_edit)
    assert "up to date" not in _build(issue, out).stderr
    monkeypatch.setattr(build_module, "prepare", real_prepare)
    result = _build(issue, out)
    assert "up to date" not in result.stderr
    assert "二" in _pdf_text(out)
