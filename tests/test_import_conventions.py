"""import-text on the conventions of real copy: one synthetic fixture per kind of page (mainland today and 1950s,
Taiwan/Hong Kong, unpunctuated 申報-style, Markdown and HTML OCR exports, 数字报 web scrapes, character-spaced OCR,
plain prose), the nothing-lost rule as a property, the issue date read from the text, and the refusals."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from epaper.cli import app
from epaper.errors import InputError
from epaper.model import Issue
from epaper.source.folder import load_issue, unplaced_articles
from epaper.ocr import ImportOptions, ImportReport, import_text

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
HAN = re.compile("[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CONVENTIONS = ("mainland_today", "mainland_1950s", "taiwan_hk_traditional", "classical_shenbao", "markdown_ocr_export",
               "html_ocr_export", "cloud_ocr_json", "webscrape_szb", "tesseract_spaced", "plain_prose")
# Byline and credit words the layout prints itself (记者, 通讯员, 摄) or drops (本报, 文/图, 报道, ▲): the only Han
# characters an article's files may lack.
LABEL_CHARS = set("本报報记記者通讯訊员員摄攝影文图圖特约約见見习習实實生首席融媒新华華社道导導派")


def han(text: str) -> str:
    return "".join(HAN.findall(text))


def articles(issue: Issue) -> list:
    return [a for _, a in issue.articles_in_order()]


def written_text(folder: Path) -> str:
    """Everything the import wrote that a person reads: the article files and removed.txt."""
    parts = [p.read_text(encoding="utf-8") for p in sorted((folder / "articles").glob("*.md"))]
    removed = folder / "removed.txt"
    return "".join(parts) + (removed.read_text(encoding="utf-8") if removed.is_file() else "")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ImportReport, Issue]]:
    """Every convention's fixture imported once, into a folder named by date so the folder gives no date."""
    done = {}
    for name in CONVENTIONS:
        path = FIXTURES / f"{name}.txt"
        assert path.is_file(), path  # a missing fixture fails, never skips
        out = tmp_path_factory.mktemp(name) / "paper" / "draft"
        report = import_text([path], out, options=ImportOptions())
        done[name] = (report, load_issue(out))
    return done


@pytest.mark.parametrize("name", CONVENTIONS)
def test_every_convention_keeps_every_han_character(imported, name):
    report, issue = imported[name]
    c = report.check
    assert c.ok, report.markdown()
    assert c.placed + c.labels + c.removed + c.unplaced == c.input
    assert not report.unplaced and not unplaced_articles(issue)  # the build refuses unplaced text
    source = Counter(han((FIXTURES / f"{name}.txt").read_text(encoding="utf-8")))
    missing = source - Counter(han(written_text(issue.root)))
    assert set(missing) <= LABEL_CHARS, missing
    assert c.removed <= 0.15 * c.input or name == "webscrape_szb"  # furniture: a few percent of a real page
    for a in articles(issue):  # no markup is ever copy
        for text in (a.kicker, a.title, a.subtitle, a.dateline, *a.paragraphs, *(p.caption for p in a.photos)):
            assert not re.search(r"#|\*\*|\]\(|</?[a-z]|\|", text), text


def test_mainland_today(imported):
    report, issue = imported["mainland_today"]
    arts = articles(issue)
    heads = [(a.kicker, a.title, a.subtitle, a.dateline, a.reporters, a.correspondents) for a in arts]
    assert heads[:5] == [
        ("聚焦新质生产力", "我市Mini LED产业链加速成型", "——今年产值有望突破百亿元", "本报讯", ("刘晓东",), ("张伟",)),
        ("", "老街新韵", "", "", ("陈静",), ()),
        ("", "全国冬小麦播种面积保持稳定", "", "新华社北京12月18日电", ("王立新",), ()),
        ("", "沪苏同城化交通项目开工", "", "中新社上海12月18日电", ("李明",), ()),
        ("", "冬日暖阳", "", "", ("周洁",), ()),
    ]
    assert [(b.kind, b.text) for b in arts[1].body if b.kind == "h"] == [("h", "【变化】"), ("h", "【期盼】")]
    photos = arts[5:]  # three “X 摄” captions on one page: all three found
    assert [(a.kind, a.paragraphs[0], a.photos[0].credit) for a in photos] == [
        ("photo-news", "市民在西太湖畔晨练。", "本报记者 陆新"), ("photo-news", "工人在龙城芯谷项目工地施工。", "钱垒"),
        ("photo-news", "孩子们在区图书馆阅读绘本。", "通讯员 孙一")]
    assert all(a.photos[0].placeholder for a in photos)
    assert [(f.line, f.reason.split(" (")[0], f.text) for f in report.removed] == [
        (1, "page furniture the layout prints itself", "第2版 要闻 2024年12月19日 星期四"),
        (2, "editor credit line", "责任编辑：王小二  美编：李四"),
        (16, "byline or credit words the layout sets its own way", "本报"),  # ■本报记者 陈静: 记者 is printed
        (38, "byline or credit words the layout sets its own way", "文/图"),
        (38, "byline or credit words the layout sets its own way", "本报")]


def test_mainland_1950s_chinese_numeral_datelines(imported):
    report, issue = imported["mainland_1950s"]
    assert report.date == dt.date(1950, 12, 18) and "一九五〇年十二月十八日" in report.date_note
    assert [f.text for f in report.removed] == ["江南日报 一九五〇年十二月十八日 星期一"]
    assert [(a.title, a.dateline, a.reporters, a.correspondents) for a in articles(issue)] == [
        ("各地农业生产合作社积极准备春耕", "新华社北京十八日电", (), ()),
        ("本市工人业余学校开学", "本报讯", (), ()),
        ("农民踊跃交售余粮", "本报十二月十八日讯", (), ("李光明",)),
    ]


def test_taiwan_and_hong_kong_datelines_and_captions(imported):
    report, issue = imported["taiwan_hk_traditional"]
    arts = articles(issue)
    stories = [(a.title, a.dateline) for a in arts if a.kind == "article"]
    assert stories == [("竹科三期擴建案通過環評", "〔記者王小明／新竹報導〕"), ("北市擴大長照服務據點", "【記者陳美玲／台北報導】"),
                       ("行政院通過住宅補貼方案", "〔中央社記者林志明台北18日電〕"), ("港鐵新線年底通車", "本報訊")]
    photos = [(a.paragraphs[0], a.photos[0].credit) for a in arts if a.kind == "photo-news"]
    assert photos == [
        ("新竹科學園區第三期擴建預定地。", "記者 王小明"),  # （記者王小明／攝）, the ▲ taken off
        ("市長視察社區據點，與長者互動。", "記者 張志強"),  # 圖／記者張志強攝
        ("長者在據點參加健康促進活動。（台北市社會局提供）", ""),  # a source, not a photographer: kept as printed
        ("行政院會議現場。（資料照片）", ""),
        ("工程人員進行最後測試。圖／取自網路", ""),
    ]
    assert issue.paper.language == "zh-TW" and report.check.ok


def test_taiwan_column_lines_with_a_caption_between_them(tmp_path):
    src = tmp_path / "tw.txt"
    src.write_text("中華民國113年12月19日 星期四\nA4 生活新聞\n竹科三期擴建案\n通過環評 明年動工\n"
                   "〔記者王小明／新竹報導〕新竹科學園區第三期\n擴建案昨天通過環評審查，預計明年動工，可望\n"
                   "創造一萬個就業機會。園區管理局表示，將同步\n▲新竹科學園區第三期擴建預定地。（記者王小明／攝）\n"
                   "規劃交通改善措施，減少對周邊居民的影響。\n", encoding="utf-8")
    report = import_text([src], tmp_path / "p" / "draft")
    (a,) = articles(load_issue(tmp_path / "p" / "draft"))
    assert (a.title, a.subtitle, a.dateline) == ("竹科三期擴建案", "通過環評\u3000明年動工", "〔記者王小明／新竹報導〕")
    assert a.paragraphs == ("新竹科學園區第三期擴建案昨天通過環評審查，預計明年動工，可望創造一萬個就業機會。園區管理局表示，將同步"
                            "規劃交通改善措施，減少對周邊居民的影響。",)  # read on across the caption
    assert [(p.caption, p.credit) for p in a.photos] == [("新竹科學園區第三期擴建預定地。", "記者 王小明")]
    assert report.date == dt.date(2024, 12, 19)
    assert [f.text for f in report.removed] == ["中華民國113年12月19日 星期四", "A4 生活新聞"]


def test_unpunctuated_page_keeps_its_order_and_invents_no_punctuation(imported):
    report, issue = imported["classical_shenbao"]
    arts = articles(issue)
    assert [a.title for a in arts] == ["滬上冬賑募捐踴躍", "電報彙錄", "縣署告示"]  # [bracketed] and short headlines
    source = (FIXTURES / "classical_shenbao.txt").read_text(encoding="utf-8")
    body = "".join(p for a in arts for p in a.paragraphs)
    assert han(body) == body  # nothing but the characters of the page
    assert "妥為籌辦以期早日興工" in body  # a sentence running across the page break, joined in order
    assert han(source).replace("第頁", "").replace("滬上冬賑募捐踴躍", "").replace("電報彙錄", "").replace(
        "縣署告示", "") == body
    assert [f.text for f in report.removed] == ["=== 第2頁 ==="] and "unpunctuated" in report.kinds[0]
    assert not [d for d in report.doubts if d.kind in ("no-final-punct", "truncation")]


def test_unpunctuated_column_lines_without_blank_lines(tmp_path):
    line = "本埠各善堂自入冬以來籌辦冬賑不遺餘力"  # a full column line of 18 characters
    src = tmp_path / "cols.txt"
    src.write_text("\n".join(["商務要聞", *[line] * 5, "均已分發各處", "電報彙錄", *[line] * 4, "貧民領取", "縣署告示",
                                *[line] * 3, "決不寬貸"]) + "\n", encoding="utf-8")
    import_text([src], tmp_path / "p" / "2024-12-19")
    arts = articles(load_issue(tmp_path / "p" / "2024-12-19"))
    assert [(a.title, a.paragraphs) for a in arts] == [("商務要聞", (line * 5 + "均已分發各處",)),
                                                       ("電報彙錄", (line * 4 + "貧民領取",)),
                                                       ("縣署告示", (line * 3 + "決不寬貸",))]


def test_markdown_export_structure_read_and_markup_dropped(imported):
    report, issue = imported["markdown_ocr_export"]
    lead, photo, second = articles(issue)
    assert (lead.kicker, lead.title, lead.subtitle) == ("民生实事清单交出新答卷", "全市新增养老床位2000张",
                                                        "——年内实现街道全覆盖")
    assert (lead.dateline, lead.reporters) == ("本报讯", ("张三",))
    assert lead.paragraphs[2:] == ("新建街道综合养老服务中心8家；", "改造适老化住宅500户；", "培训养老护理员1200人次。",
                                   "项目／完成数量", "养老床位／2000张", "社区食堂／30家")  # a list, a table
    assert photo.kind == "photo-news" and photo.photos[0].credit == "本报记者 李四"
    assert (second.title, second.reporters) == ("区政府召开常务会议", ("王五",))  # after the 2024-12-19要闻： prefix
    assert {f.text: f.reason.split(" (")[0] for f in report.removed} == {
        "武进日报": "headline or byline without any text after it", "2024年12月19日 星期四": "date line of the page",
        "2024-12-19要闻：": "date and section prefix of an exported item"}
    assert report.date == dt.date(2024, 12, 19)


@pytest.mark.parametrize("deck, expected", [
    ("民生实事清单交出新答卷\n# 全市新增养老床位2000张\n", ("民生实事清单交出新答卷", "全市新增养老床位2000张", "")),
    ("民生实事清单交出新答卷\n# 全市新增养老床位2000张\n——年内实现街道全覆盖\n",
     ("民生实事清单交出新答卷", "全市新增养老床位2000张", "——年内实现街道全覆盖")),
    ("## 全市新增养老床位2000张\n### 年内实现街道全覆盖\n", ("", "全市新增养老床位2000张", "年内实现街道全覆盖")),
    # Markdown as exporters write it: a blank line between every two headings, the deck still one
    ("## 全市新增养老床位2000张\n\n### 年内实现街道全覆盖\n", ("", "全市新增养老床位2000张", "年内实现街道全覆盖")),
    ("**全市新增养老床位2000张**\n", ("", "全市新增养老床位2000张", "")),
])
def test_markdown_deck_with_unmarked_lines_around_the_heading(tmp_path, deck, expected):
    src = tmp_path / "deck.md"
    src.write_text(f"# 区政府召开常务会议\n\n本报讯（记者 王五）昨天，区政府召开常务会议。\n\n{deck}\n"
                   "本报讯（记者 张三）今年以来，我市把养老服务列入民生实事。\n\n**一、床位**\n\n全年新增床位2000张。\n",
                   encoding="utf-8")
    import_text([src], tmp_path / "p" / "2024-12-19")
    first, second = articles(load_issue(tmp_path / "p" / "2024-12-19"))
    assert first.paragraphs == ("昨天，区政府召开常务会议。",)
    assert (second.kicker, second.title, second.subtitle) == expected
    assert [(b.kind, b.text) for b in second.body] == [("p", "今年以来，我市把养老服务列入民生实事。"), ("h", "一、床位"),
                                                       ("p", "全年新增床位2000张。")]


def test_html_export(imported):
    report, issue = imported["html_ocr_export"]
    first, second = articles(issue)
    assert (first.kicker, first.title, first.reporters) == ("城乡公交一体化再提速", "新开通镇村公交线路12条", ("赵六",))
    assert first.paragraphs == ("昨天，我区新开通镇村公交线路12条，实现“村村通公交”。", "新线路采用新能源车辆，票价统一为2元。",
                                "线路／站点", "湖塘线／12个", "区交通运输局相关负责人表示，明年将继续优化线路，提高发车频次。")
    assert second.reporters == ("钱七",)
    assert [(f.line, f.text) for f in report.removed] == [(6, '<img src="bus.jpg" alt="新能源公交车">')]


def test_cloud_ocr_json_result(imported):
    report, issue = imported["cloud_ocr_json"]
    story, photo = articles(issue)
    assert (story.title, story.dateline, story.reporters) == ("全市新增公共充电桩1200个", "本报讯", ("张三",))
    assert story.paragraphs == ("今年以来，全市新增公共充电桩1200个，累计建成“充电站”85座。", "据介绍，新建充电桩平均服务半径缩短到2.5公里。",
                                "下一步，全市将加快推进乡镇充电设施建设。")  # a \n inside a string ends a line
    assert photo.paragraphs == ("市民在充电站为新能源汽车充电。",) and photo.photos[0].credit == "陆新"  # \u escapes
    assert [f.text for f in report.removed] == ["2024年12月19日 星期四", "责任编辑：王五"]
    assert report.kinds[0] == ["JSON"] and report.date == dt.date(2024, 12, 19)


def test_web_scrape_chrome_goes_to_removed_txt_with_reasons(imported):
    report, issue = imported["webscrape_szb"]
    (a,) = articles(issue)
    assert (a.title, a.subtitle, a.dateline, a.reporters) == ("我市Mini LED产业链加速成型", "——今年产值有望突破百亿元",
                                                              "本报讯", ("刘晓东",))
    assert len(a.paragraphs) == 2
    reasons = [f.reason for f in report.removed]
    for word in ("site navigation", "breadcrumb", "date line", "editor credit", "share links", "上一篇/下一篇",
                 "copyright", "ICP 备案"):
        assert any(word in r for r in reasons), word
    removed = (issue.root / "removed.txt").read_text(encoding="utf-8")
    assert "# links to other articles of the site (上一篇/下一篇) (webscrape_szb.txt:15)\n上一篇：区政协召开主席会议\n" \
           "下一篇：西太湖畔迎来越冬候鸟\n" in removed
    review = (issue.root / "REVIEW.md").read_text(encoding="utf-8")
    assert f"{report.check.removed} in removed.txt" in review and "## Removed text" in review


def test_character_spaced_ocr_closed_up(imported):
    report, issue = imported["tesseract_spaced"]
    (a,) = articles(issue)
    assert (a.title, a.dateline, a.reporters) == ("全市新增公共充电桩1200个", "本报讯", ("张三",))
    assert a.paragraphs == ("今年以来，全市新增公共充电桩1200个，其中支持Mini LED显示屏的智能桩300个。",
                            "据介绍，新建充电桩平均服务半径缩短到2.5公里。")
    assert "spaced OCR" in report.kinds[0]


def test_text_without_newspaper_structure_is_kept_as_a_plain_article(imported):
    report, issue = imported["plain_prose"]
    (a,) = articles(issue)
    assert a.title == "【标题待补】" and len(a.paragraphs) == 3
    assert report.check.placed == report.check.input
    assert any("placeholder" in p for p in report.placeholders)


def test_the_new_rules_can_be_switched_off(tmp_path):
    off = ImportOptions(read_markup=False, remove_chrome=False, close_up_spacing=False)
    report = import_text([FIXTURES / "webscrape_szb.txt"], tmp_path / "a" / "x", options=off)
    assert not any("site" in f.reason for f in report.removed) and report.kinds[0] == []
    report = import_text([FIXTURES / "markdown_ocr_export.txt"], tmp_path / "b" / "x", options=off)
    text = "".join(p for a in articles(load_issue(tmp_path / "b" / "x")) for p in a.paragraphs)
    assert "**" in text and report.check.ok
    report = import_text([FIXTURES / "tesseract_spaced.txt"], tmp_path / "c" / "x", options=off)
    assert "spaced OCR" not in report.kinds[0] and report.check.ok


# ---- headline decks --------------------------------------------------------------------------------------------

def test_kicker_ending_in_a_comma_and_a_long_sentence_is_never_a_headline(tmp_path):
    src = tmp_path / "deck.txt"
    src.write_text("为让群众少跑腿，\n我区政务服务实现“一网通办”\n——全年办件量突破百万件\n\n"
                   "本报讯（记者 张三）今年以来，我区推进政务服务改革，全年办件量突破100万件。\n\n"
                   "区图书馆新增自助借还设备二十台，市民借书还书更方便了。\n"
                   "本报讯（记者 李四）昨天，区图书馆新增的自助借还设备投入使用。\n", encoding="utf-8")
    import_text([src], tmp_path / "p" / "2024-12-19")
    first, second = articles(load_issue(tmp_path / "p" / "2024-12-19"))
    assert (first.kicker, first.title, first.subtitle) == ("为让群众少跑腿，", "我区政务服务实现“一网通办”",
                                                           "——全年办件量突破百万件")
    assert first.paragraphs[-1] == "区图书馆新增自助借还设备二十台，市民借书还书更方便了。"
    assert second.title == "【标题待补】" and second.reporters == ("李四",)


def test_page_opening_with_a_byline_line_and_credits_on_their_own_lines(tmp_path):
    src = tmp_path / "page.txt"
    src.write_text("□本报记者 王强\n走进湖塘镇的智能制造产业园，机器轰鸣。\n“订单已经排到明年3月。”一家企业负责人说。\n"
                   "区领导调研重点项目建设\n本报讯（记者 李华）12月18日，区领导带队调研重点项目建设情况。\n\n"
                   "▲市民在公園賞梅。\n（記者王小明／攝）\n\n▲長者在據點參加健康促進活動。\n圖／台北市社會局提供\n\n"
                   "市民在公园赏梅。\n陆新 摄\n", encoding="utf-8")
    report = import_text([src], tmp_path / "p" / "2024-12-19")
    arts = articles(load_issue(tmp_path / "p" / "2024-12-19"))
    assert [(a.kind, a.title, a.reporters) for a in arts[:2]] == [("article", "【标题待补】", ("王强",)),
                                                                  ("article", "区领导调研重点项目建设", ("李华",))]
    assert arts[0].paragraphs == ("走进湖塘镇的智能制造产业园，机器轰鸣。", "“订单已经排到明年3月。”一家企业负责人说。")
    assert [(a.kind, a.paragraphs[0], a.photos[0].credit) for a in arts[2:]] == [
        ("photo-news", "市民在公園賞梅。", "記者 王小明"), ("photo-news", "長者在據點參加健康促進活動。圖／台北市社會局提供", ""),
        ("photo-news", "市民在公园赏梅。", "陆新")]
    assert report.check.ok and [f.text for f in report.removed] == ["本报"]  # of □本报记者: the layout prints 记者


def test_deck_run_onto_one_line_and_rules_between_stories(tmp_path):
    src = tmp_path / "oneline.txt"
    src.write_text("聚焦新质生产力 我市Mini LED产业链加速成型 ——今年产值有望突破百亿元\n"
                   "本报讯（记者 刘晓东）今年以来，我市引进上下游项目12个。\n\n------\n\n※※※\n\n"
                   "区图书馆延长开放时间\n本报讯（记者 沈阅）即日起，区图书馆延长开放至晚上9点。\n", encoding="utf-8")
    report = import_text([src], tmp_path / "p" / "2024-12-19")
    first, second = articles(load_issue(tmp_path / "p" / "2024-12-19"))
    assert (first.kicker, first.title, first.subtitle) == ("聚焦新质生产力", "我市Mini LED产业链加速成型",
                                                           "——今年产值有望突破百亿元")
    assert first.paragraphs == ("今年以来，我市引进上下游项目12个。",) and second.title == "区图书馆延长开放时间"
    assert report.check.ok and not report.removed


# ---- the issue date (issue 18, case 9) ------------------------------------------------------------------------

runner = CliRunner()


def test_date_read_from_the_text_and_said(tmp_path):
    out = tmp_path / "p" / "draft"
    result = runner.invoke(app, ["import-text", str(FIXTURES / "mainland_today.txt"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "issue date 2024-12-19: read from the text (mainland_today.txt:1: “2024年12月19日 星期四”)" in result.output
    assert load_issue(out).date == dt.date(2024, 12, 19)
    assert "read from the text" in (out / "REVIEW.md").read_text(encoding="utf-8")


def test_date_from_the_folder_name_or_today_is_said(tmp_path):
    result = runner.invoke(app, ["import-text", str(FIXTURES / "plain_prose.txt"), "--out",
                                 str(tmp_path / "p" / "2025-01-02")])
    assert result.exit_code == 0 and "issue date 2025-01-02: from the folder's name" in result.output
    out = tmp_path / "q" / "draft"
    result = runner.invoke(app, ["import-text", str(FIXTURES / "plain_prose.txt"), "--out", str(out)])
    today = dt.date.today()
    assert result.exit_code == 0 and f"issue date {today}: today's date" in result.output
    review = (out / "REVIEW.md").read_text(encoding="utf-8")
    assert f"today's date ({today}) was used" in review and load_issue(out).date == today


@pytest.mark.parametrize("furniture, day", [
    ("中華民國113年12月19日 星期四", dt.date(2024, 12, 19)),
    ("发布时间：2024-12-20 08:30", dt.date(2024, 12, 20)),
    ("2024-12-21专栏：港鐵新線年底通車", dt.date(2024, 12, 21)),
])
def test_date_forms(tmp_path, furniture, day):
    src = tmp_path / "page.txt"
    src.write_text(f"{furniture}\n\n港鐵新線年底通車\n本報訊 港鐵屯馬綫延綫工程進入最後階段。\n", encoding="utf-8")
    report = import_text([src], tmp_path / "p" / "draft")
    assert report.date == day and "read from the text" in report.date_note and report.check.ok


@pytest.mark.parametrize("line, wrong", [("2024年12月19日 星期五", True), ("2024年12月19日 星期四", False),
                                         ("2024年12月22日 星期天", False), ("2024年12月22日 星期一", True)])
def test_a_weekday_that_does_not_match_the_date_is_noted(tmp_path, line, wrong):
    src = tmp_path / "page.txt"
    src.write_text(f"{line}\n\n港鐵新線年底通車\n本報訊 港鐵屯馬綫延綫工程進入最後階段。\n", encoding="utf-8")
    report = import_text([src], tmp_path / "p" / "draft")
    assert any("check the date" in p for p in report.placeholders) == wrong


def test_given_date_wins_and_a_disagreeing_folder_name_is_noted(tmp_path):
    report = import_text([FIXTURES / "mainland_today.txt"], tmp_path / "a" / "x", date=dt.date(2024, 1, 2))
    assert report.date == dt.date(2024, 1, 2) and "given with --date" in report.date_note
    report = import_text([FIXTURES / "mainland_today.txt"], tmp_path / "b" / "2024-12-20")
    assert report.date == dt.date(2024, 12, 19)
    assert any("the folder's name says 2024-12-20" in p for p in report.placeholders)


# ---- refusals and limits ---------------------------------------------------------------------------------------

def test_mostly_non_chinese_input_is_refused_with_one_line(tmp_path):
    src = tmp_path / "english.txt"
    src.write_text("Council approves new budget\n\nThe city council approved the budget on Tuesday. 市政府\n" * 3,
                   encoding="utf-8")
    result = runner.invoke(app, ["import-text", str(src), "--out", str(tmp_path / "o" / "x")])
    assert result.exit_code == 2 and "not Chinese copy" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2 and not (tmp_path / "o" / "x").exists()


def test_binary_input_is_refused(tmp_path):
    src = tmp_path / "blob.txt"
    src.write_bytes(("新闻" * 20).encode("utf-8") + bytes(range(1, 9)) * 20)
    with pytest.raises(InputError, match="not text: .* control characters"):
        import_text([src], tmp_path / "o" / "x")


def test_a_50_mb_input_is_refused_before_it_is_read(tmp_path, monkeypatch):
    src = tmp_path / "archive.txt"
    with src.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    real_open = open

    def refuse_to_read(file, *args, **kwargs):  # the size alone decides: the 50 MB are never read
        assert Path(file) != src, "the oversized file was opened"
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refuse_to_read)
    monkeypatch.setattr(Path, "read_bytes", lambda self: refuse_to_read(self, "rb").read())
    with pytest.raises(InputError, match=r"archive.txt: 50.0 MB is too large for one page's text .*split it"):
        import_text([src], tmp_path / "o" / "x")
    assert not (tmp_path / "o").exists()


def test_a_1_mb_text_imports_whole(tmp_path):
    """Fifty long stories in column lines of 15 characters import whole (how long it takes and how much memory:
    bench/import_text.py, which measures it against the seed page in the same run)."""
    sentence = "今年以来，我区加快推进老旧小区改造，共完成改造项目12个，惠及居民3000余户。"
    story = sentence * 190
    lines = []
    for k in range(50):
        lines += [f"第{k + 1}个重点项目建设全面提速", "本报讯（记者 林晨）"]
        lines += [story[i:i + 15] for i in range(0, len(story), 15)] + [""]
    src = tmp_path / "long.txt"
    src.write_text("\n".join(lines), encoding="utf-8")
    assert src.stat().st_size >= 1024 * 1024
    report = import_text([src], tmp_path / "p" / "2024-12-19")  # its time and memory: bench/import_text.py
    assert report.check.ok and report.check.input == len(han(src.read_text(encoding="utf-8")))
    assert len(report.articles) == 50 and not report.removed


# ---- the property: nothing lost, whatever the input ------------------------------------------------------------

TOKENS = ["本报讯", "（记者 张三）", "新华社北京12月18日电", "□本报记者 李四", "▲", "■", "【", "】", "[", "]", "# ",
          "## ", "**", "- ", "| ", " |", "---", "<p>", "</p>", "上一篇：", "版权所有", "ICP备", "第2版", "责任编辑：",
          "2024年12月19日 星期四", "2024-12-19专栏：", " 陆新 摄", "圖／", "資料圖片", "（社会局提供）", "——", "，", "。",
          "“", "”", " ", "  ", "\n", "\n\n", "Mini LED", "12", "全市", "新增", "充电桩", "老街", "新韵", "居民", "表示",
          "文/图 ", "通讯员 王五", "報導", "〔記者陳美玲／台北報導〕"]


HAN_WORDS = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.one_of(st.sampled_from(TOKENS), HAN_WORDS, HAN_WORDS.map(lambda w: w + "。")),
                      min_size=3, max_size=40))
def test_every_han_character_reaches_the_articles_or_removed_txt(tmp_path_factory, parts):
    folder = tmp_path_factory.mktemp("prop")
    src = folder / "page.txt"
    text = "".join(parts)
    src.write_text(text, encoding="utf-8")
    out = folder / "paper" / "2024-12-19"
    try:
        report = import_text([src], out)
    except InputError as exc:  # refused with its reason, and nothing written
        assert re.search("no article found|not Chinese copy", str(exc)), exc
        assert not out.exists()
        return
    c = report.check
    assert c.ok, report.markdown()
    assert c.placed + c.labels + c.removed + c.unplaced == c.input == len(han(text))
    missing = Counter(han(text)) - Counter(han(written_text(out)))
    assert set(missing) <= LABEL_CHARS, missing


def test_markdown_deck_parted_by_blank_lines_under_a_page_title(tmp_path):
    """`# 版名`, then `## 主题` and `### 副题` with blank lines between, as every Markdown exporter writes them: the
    page title stays furniture, the 主题 is not lost as a headline without text, the deck is one."""
    src = tmp_path / "page.md"
    src.write_text("# 民生周刊\n\n## 城西菜市场完成改造\n\n### 摊位重新规划 早市延长一小时\n\n"
                   "本报讯（记者 孙立）经过三个月的改造，城西菜市场昨日重新开门迎客。\n\n"
                   "## 老城区启动雨污分流工程\n\n本报讯 老城区雨污分流工程本月开工，涉及街巷二十六条。\n", encoding="utf-8")
    report = import_text([src], tmp_path / "p" / "2024-12-19")
    first, second = articles(load_issue(tmp_path / "p" / "2024-12-19"))
    assert (first.title, first.subtitle) == ("城西菜市场完成改造", "摊位重新规划　早市延长一小时")
    assert second.title == "老城区启动雨污分流工程"
    assert [f.text for f in report.removed] == ["民生周刊"]
