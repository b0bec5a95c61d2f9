"""Parsing and validation of issue folders: good ones load into the model, bad ones fail with exact messages."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from epaper.errors import InputError
from epaper.source.folder import load_issue

from .conftest import ISSUE_TOML, LEAD_MD, MULTI_ISSUE, PAPER_TOML, SEED_ISSUE


def test_tiny_issue_loads(tiny_issue):
    issue = load_issue(tiny_issue)
    assert issue.date == dt.date(2024, 12, 19)
    assert issue.number == 100
    assert issue.paper.name == "测试日报"
    assert issue.paper.slug == "test-daily"
    assert [p.articles for p in issue.pages] == [("lead", "photo")]
    lead = issue.articles["lead"]
    assert (lead.kicker, lead.title, lead.dateline) == ("引题在上", "主题写在这里", "本报讯")
    assert lead.reporters == ("朱梦琪", "钱志益")
    assert lead.paragraphs == ("第一段正文，讲述昨天发生的事情。", "第二段正文，继续讲述。")
    photo = issue.articles["photo"]
    assert photo.kind == "photo-news"
    assert photo.photos[0].credit == "陆新 钱垒"
    assert (photo.photos[0].width_px, photo.photos[0].height_px) == (300, 200)


@pytest.mark.parametrize("issue_dir", [SEED_ISSUE, MULTI_ISSUE], ids=["seed", "multi"])
def test_sample_issues_load(issue_dir):
    issue = load_issue(issue_dir)
    assert issue.pages and all(p.articles for p in issue.pages)
    for page in issue.pages:
        for art in page.articles:
            assert issue.articles[art].body


def test_seed_issue_matches_the_ocr_page():
    issue = load_issue(SEED_ISSUE)
    arts = list(issue.articles.values())
    assert sum(a.kind == "article" for a in arts) == 4
    assert sum(a.kind == "photo-news" for a in arts) == 1
    reporters = {r for a in arts for r in a.reporters}
    assert {"朱梦琪", "钱志益", "黄雅婷", "何晓丹"} <= reporters
    photo_news = next(a for a in arts if a.kind == "photo-news")
    assert photo_news.photos[0].credit.split() == ["陆新", "钱垒"]
    for a in arts:
        for text in (a.title, *a.paragraphs):
            # a quoted slogan keeps the space between its halves (“红武共进 聚力同行”); nothing else may
            unquoted = re.sub(r"“[^”]*”", "“”", text)
            assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", unquoted), text
            assert not re.search(r"[\u4e00-\u9fff][,()\"][\u4e00-\u9fff]", text), text
            assert '"' not in text


def test_multi_page_issue_has_front_and_inside_pages():
    issue = load_issue(MULTI_ISSUE)
    assert len(issue.pages) >= 4
    assert issue.pages[0].template == "front"
    assert all(p.template != "front" for p in issue.pages[1:])


def _error(make_issue, files) -> InputError:
    with pytest.raises(InputError) as info:
        load_issue(make_issue(files))
    return info.value


def test_unknown_key_names_the_nearest(make_issue):
    err = _error(make_issue, {"issue.toml": ISSUE_TOML.replace("number = 100", "numbr = 100")})
    assert err.file.name == "issue.toml"
    assert err.line == 2
    assert str(err).endswith("issue.toml:2: numbr: unknown key 'numbr' (did you mean 'number'?)")


def test_unknown_front_matter_key_with_line(make_issue):
    err = _error(make_issue, {"articles/lead.md": LEAD_MD.replace("kicker =", "kiker =")})
    assert err.file.name == "lead.md"
    assert err.line == 2
    assert "unknown key 'kiker' (did you mean 'kicker'?)" in str(err)


def test_wrong_type_says_what_was_expected(make_issue):
    err = _error(make_issue, {"issue.toml": ISSUE_TOML.replace("date = 2024-12-19", 'date = "19.12.2024"')})
    assert str(err).endswith("issue.toml:1: date: expected a date such as 2024-12-19 (no quotes) (the issue date), "
                             "got '19.12.2024'")


def test_page_key_error_points_into_the_page_table(make_issue):
    err = _error(make_issue, {"issue.toml": ISSUE_TOML.replace('template = "front"', 'templte = "front"')})
    assert err.line == 8
    assert err.key == "pages[0].templte"
    assert "did you mean 'template'?" in str(err)


def test_missing_required_key(make_issue):
    err = _error(make_issue, {"issue.toml": ISSUE_TOML.replace('editor = "王编辑"\n', "")})
    assert "missing required key 'editor' (责任编辑) in pages.0" in str(err)
    assert err.line == 4


def test_missing_article_file_suggests_nearest(make_issue):
    err = _error(make_issue, {"issue.toml": ISSUE_TOML.replace('"lead"', '"laed"')})
    assert "article 'laed' has no file articles/laed.md (did you mean 'lead'?)" in str(err)


def test_article_twice_in_plan(make_issue):
    err = _error(make_issue, {"issue.toml": ISSUE_TOML.replace('["lead", "photo"]', '["lead", "lead"]')})
    assert "article 'lead' is already on page 1" in str(err)


def test_toml_syntax_error_has_line(make_issue):
    err = _error(make_issue, {"issue.toml": ISSUE_TOML.replace('name = "要闻"', "name = 要闻")})
    assert err.line == 6
    assert "not valid TOML" in str(err)


def test_yaml_front_matter_is_refused_clearly(make_issue):
    err = _error(make_issue, {"articles/lead.md": "---\ntitle: x\n---\n正文。\n"})
    assert err.line == 1
    assert "YAML front matter (---) is not supported; use TOML" in str(err)


def test_raw_html_is_refused(make_issue):
    err = _error(make_issue, {"articles/lead.md": LEAD_MD + "\n<script>alert(1)</script>\n"})
    assert "raw HTML is not allowed" in str(err)
    assert err.line == 12


def test_missing_image(make_issue):
    err = _error(make_issue, {"articles/photo.md": open_photo().replace("images/p.png", "images/nope.png")})
    assert "image 'images/nope.png' does not exist" in str(err)
    assert err.key == "photos[0].file"
    assert err.line == 5


def test_image_outside_issue_is_refused(make_issue):
    err = _error(make_issue, {"articles/photo.md": open_photo().replace("images/p.png", "../../../etc/passwd")})
    assert "lies outside the issue folder" in str(err)


def test_bad_language_and_serial(make_issue):
    err = _error(make_issue, {"../paper.toml": PAPER_TOML.replace('"zh-CN"', '"Chinese simplified"')})
    assert "paper.toml:2: language: expected a BCP 47 language tag" in str(err)
    err2 = _error(make_issue, {"../paper.toml": PAPER_TOML.replace("CN 32-0001", "32-0001")})
    assert "expected a serial number such as 'CN 32-0099'" in str(err2)


def test_photo_news_needs_one_photo(make_issue):
    err = _error(make_issue, {"articles/photo.md": "+++\nkind = \"photo-news\"\n+++\n\n说明。\n"})
    assert "photo news needs exactly one [[photos]] table, got 0" in str(err)


def test_not_an_issue_folder(tmp_path):
    with pytest.raises(InputError, match="not an issue folder: issue.toml is missing"):
        load_issue(tmp_path)


def open_photo() -> str:
    from .conftest import PHOTO_MD
    return PHOTO_MD
