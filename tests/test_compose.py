"""Composer + line renderer in, checks on what WeasyPrint draws out: glyph positions, text layer, typocheck."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
import weasyprint

from epaper.layout import kinsoku
from epaper.layout.compose import CompositionSettings, Line, Piece, compose_paragraph, count_lines
from epaper.layout.fontmetrics import FontMetrics, load_metrics
from epaper.render.print.lines_html import LINE_CSS, lines_to_html

NOTO = Path("/usr/share/fonts/opentype/noto")
SERIF = NOTO / "NotoSerifCJK-Regular.ttc"
UKAI = Path("/usr/share/fonts/truetype/arphic/ukai.ttc")
# An outside checker that developers' machines and CI keep beside the repository; a plain clone has none.
TYPOCHECK = Path(__file__).resolve().parents[2] / "shared/tools/typocheck.py"
SIZE = 9.0
PITCH = 13.5
GUTTER = 9.0
MARGIN = 18.0
FORBIDDEN = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff\u200b-\u200d\u2060\ufeff]")

# Copy from the seed OCR page (issues/wujin-daily/2024-12-19/source/page.txt) with full-width punctuation and
# curly quotes.
SEED = (
    "本报讯（记者朱梦琪）昨天，区委书记沈东主持召开全区党建引领基层治理领导协调机制第二次全体会议，认真落实上级党建"
    "引领基层治理领导协调机制全体会议部署要求，学习推广“儒林实践”经验，持续推进基层治理重点任务落地落实，推动全区"
    "党建引领基层治理再上新台阶。",
    "基层治理是国家治理的基石，党的领导是加强基层治理体系和治理能力现代化建设的根本保证。自今年7月5日领导协调机制"
    "第一次全体会议召开以来，各级各部门牢固树立“基层+”理念，采取有力措施破解基层治理“小马拉大车”问题，协调机制"
    "建立健全，重点任务有力推进，减负增能持续深化，各项工作取得了较好成效。",
    "沈东指出，党建引领是基层治理的核心动力，全区上下要提高政治站位，切实增强党建引领基层治理使命担当。从坚定拥护"
    "“两个确立”、坚决做到“两个维护”的政治高度，深刻领会推进党建引领基层治理的重大意义，深刻领会党建引领基层治理"
    "是必须落实的“国之大者”，是必须推进的“改革要务”，是必须呼应的“民之所盼”，进一步增强做好这项工作的政治自觉、"
    "思想自觉、行动自觉。",
    "沈东强调，关于党建引领基层治理，省委明确提出了“党建引领、网格夯实、力量下沉、资源激活、数据赋能、‘三治’融合”"
    "的大方向。全区上下要攻坚重点任务，找准破解基层治理难题的有效路径，切实以重点突破带动各项任务全面落实。",
    "要加强组织体系建设。不断健全“镇（街道）党（工）委—村（社区）党组织—网格党支部—党员中心户”组织架构，纵深推进"
    "软弱涣散村党组织整顿提升，切实提升党组织凝聚力和战斗力。调整优化网格设置，深化“一网格一支部一阵地”建设，加强"
    "对“两企三新”党建有形有效覆盖，推动基层党组织全面进步、全面过硬。",
    "沈东强调，党建引领基层治理是一项系统工程，各级各部门必须压实责任链条，激发党建引领基层治理澎湃动能。要注重各司"
    "其职，切实履行“一把手”第一责任人职责，负总责、亲自抓；分管领导负主责、深入抓。要持续改进作风，用好“四下基层”"
    "工作方法，从严落实事务准入制度，让基层干部有更多时间和精力抓落实、优治理、惠民生。",
    "校地统战工作联盟实施方案主要内容围绕“12345”进行定位架构，即坚持一个核心——党建引领；实现两项目标——双高双赢；"
    "围绕三条主线——三联三合；实施四大行动——四“共”行动；建立五重保障——五制护航。联盟的成立既是延伸拓展“校+园"
    "知盟”品牌的有力举措、完善大统战工作格局的有益尝试，也是主动适应新形势新任务要求、画好最大同心圆的实践路径。",
    "位于武进国家高新区的龙城芯谷项目是我市“532”发展战略重点项目，总投资10亿元，建筑面积13.3万平方米，规划建设18栋"
    "标准厂房，打造全国知名芯片（半导体）产业园。目前项目主体建筑正加紧施工，预计年内首批厂房达到封顶条件。",
    "本报讯（记者黄雅婷）记者从昨天召开的2024年民生实事完成情况系列新闻发布会上获悉，今年，我市积极构建“15分钟养老"
    "生活服务圈”，不断健全社会大救助体系，织牢民生保障的“最后一道安全网”。",
    "“常有颐养”工程提升了“周边”养老的可及性、“身边”养老的普惠性、“桌边”养老的丰富性。全市已建有58家镇（街道）"
    "综合性养老服务中心，全市示范性乡村互助养老睦邻点建设已完成80个，成为“请出来”接受社区服务、“送上门”进入居家"
    "服务的重要枢纽。目前覆盖约15.4万名高龄老年人，已惠及1415人、2.3万人次。",
    "深入推进“常有众扶”工程，探索建立了“医院+社区+家庭+社会组织”四位一体的精神障碍社区康复模式，已累计建成精神"
    "障碍社区康复服务站点35家，覆盖全市74%的镇（街道），在全省位居前列。重点关注“6~16周岁事实无人抚养儿童”为主的"
    "困境青少年群体，全年建成“梦想小屋”124间。",
    "聚焦“优质建设、校站结合、队伍建设、育人功能”四个方面，区关工委不断提升办站水平。年初，由村（社区）辅导站自主"
    "申报，镇（街道）关工委汇总上报，区关工委组织培训指导；年中进行中期调研，查漏补缺；年底公示评选名单，统一挂牌。"
    "全区每年有800多名教师进站开展服务；整合社会教育资源，推进“村站融合”、实践“营站合作”、打造“宫站一体”。",
)

# Latin words, digits with units, long quotations and runs of punctuation in one paragraph.
MIXED = (
    "据新华社电（记者王晓明）国家统计局15日发布数据显示，今年前三季度GDP同比增长5.2%，其中第三季度增长4.9%。"
    "报告称：“消费的拉动作用持续增强，Q3社会消费品零售总额达到11.8万亿元……新能源汽车产量同比增长约33%。”"
    "分析人士认为，AI、5G和Internet of Things等新技术正在“赋能”传统产业——这是“十四五”规划的重要目标。"
    "《经济日报》评论说：“稳中向好、长期向好的基本趋势没有改变。”（完）"
)
TRADITIONAL = (
    "本報訊（記者陳美玲）臺北市政府昨天宣布，將於明年1月起推動「智慧交通」計畫，預計投入新臺幣12億元，在全市設置"
    "300處AI號誌。市長表示：「這項計畫不只是技術升級，更是城市治理思維的轉變。」交通局指出，試辦路口的平均等候時間"
    "已縮短18%，尖峰時段車流量則提升約一成……未來將逐步擴大到新北、桃園等地區，並與中央「交通部」合作推廣。"
)
ENGLISH = (
    "The city council voted 7-2 on Tuesday to approve a $1.2 billion transit plan that would extend the light-rail "
    "line to the airport by 2030. Supporters called it a long-overdue investment in the region's future; opponents "
    "warned that construction costs could rise sharply, citing the 45% overrun on the last expansion and the "
    "continuing shortage of skilled workers."
)


@pytest.fixture(scope="module")
def sc() -> FontMetrics:
    return load_metrics(SERIF, "Noto Serif CJK SC", "zh-CN")


@pytest.fixture(scope="module")
def tc() -> FontMetrics:
    return load_metrics(SERIF, "Noto Serif CJK TC", "zh-TW")


@pytest.fixture(scope="module")
def en() -> FontMetrics:
    return load_metrics(SERIF, "Noto Serif CJK SC", "en")


@dataclass
class Column:
    x: float
    width: float
    paragraphs: list[list[Line]]

    @property
    def lines(self) -> list[Line]:
        return [line for para in self.paragraphs for line in para]


def render(columns: list[Column], *, family: str = "Noto Serif CJK SC", lang: str = "zh-CN") -> bytes:
    height = max(len(c.lines) for c in columns) * PITCH + 2 * MARGIN
    width = max(c.x + c.width for c in columns) + MARGIN
    boxes = "".join(
        f'<div class="col" style="left:{c.x}pt;width:{c.width}pt">'
        + "".join(lines_to_html(p, size=SIZE) for p in c.paragraphs)
        + "</div>"
        for c in columns
    )
    html = (
        f'<html lang="{lang}"><head><style>@page{{size:{width}pt {height}pt;margin:0}} body{{margin:0}}'
        f".col{{position:absolute;top:{MARGIN}pt;font-family:'{family}';line-height:{PITCH}pt;"
        "font-kerning:none;font-variant-ligatures:none;text-align:left;text-indent:0}"
        f"{LINE_CSS}</style></head><body>{boxes}</body></html>"
    )
    return weasyprint.HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf()


def rows(pdf: bytes, columns: list[Column]) -> list[list[list[dict]]]:
    """Per column, the rendered lines top to bottom, each a list of pdfplumber chars."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = [c for page in doc.pages for c in page.chars]
    out = []
    starts = [c.x - 0.6 * SIZE for c in columns] + [float("inf")]
    for k in range(len(columns)):
        mine = [c for c in chars if starts[k] <= c["x0"] < starts[k + 1]]
        by_top: dict[float, list[dict]] = {}
        for c in mine:
            by_top.setdefault(round(c["top"], 1), []).append(c)
        out.append([sorted(by_top[t], key=lambda c: c["x0"]) for t in sorted(by_top)])
    return out


def stack(x: float, width: float, texts, metrics: FontMetrics, settings=CompositionSettings()) -> Column:
    return Column(x, width, [compose_paragraph(t, width, SIZE, metrics, settings) for t in texts])


def row_text(row: list[dict]) -> str:
    return "".join(c["text"] for c in row)


def right_edge(row: list[dict], line: Line) -> float:
    # a line-end mark set half-width keeps its full-width box in the PDF; the trimmed half is
    # the negative letter-spacing of its piece
    return row[-1]["x1"] + min(0.0, line.pieces[-1].letter_spacing)


def assert_flush(col: Column, col_rows: list[list[dict]]) -> None:
    assert len(col_rows) == len(col.lines)
    for line, row in zip(col.lines, col_rows):
        assert row_text(row) == line.text
        left = col.x + line.indent
        assert abs(row[0]["x0"] - left) <= 0.1, (line.text, row[0]["x0"], left)
        if not line.last:
            assert abs(right_edge(row, line) - (col.x + col.width)) <= 0.1, (line.text, right_edge(row, line))
        else:
            assert right_edge(row, line) <= col.x + col.width + 0.1


def pdfium_text(pdf: bytes) -> str:
    """The text layer as pdfium reads it, without the spaces and newlines it guesses from gaps."""
    doc = pdfium.PdfDocument(pdf)
    out = []
    for page in doc:
        textpage = page.get_textpage()
        for i in range(textpage.count_chars()):
            if not pdfium_raw.FPDFText_IsGenerated(textpage.raw, i):
                out.append(chr(pdfium_raw.FPDFText_GetUnicode(textpage.raw, i)))
    return "".join(out)


# ---------------------------------------------------------------- pure composition


def test_grid_truth_pure_han_needs_no_stretching(sc):
    text = "党建引领基层治理" * 40
    for n in (11, 13, 15):
        lines = compose_paragraph(text, n * SIZE, SIZE, sc, indent=0)
        for line in lines[:-1]:
            assert len(line.text) == n
            assert line.natural == pytest.approx(n * SIZE)
            assert all(p.letter_spacing == 0 and p.margin_left == 0 for p in line.pieces)


def test_kinsoku_holds_for_every_width(sc):
    ns, ne = kinsoku.no_start("basic"), kinsoku.no_end("basic")
    for n in range(9, 17):
        for text in SEED + (MIXED,):
            lines = compose_paragraph(text, n * SIZE, SIZE, sc)
            assert "".join(line.text + line.dropped for line in lines) == text
            assert count_lines(text, n * SIZE, SIZE, sc) == len(lines)
            for a, b in zip(lines, lines[1:]):
                assert b.text[0] not in ns, (n, a.text, b.text)
                assert a.text[-1] not in ne, (n, a.text, b.text)
                assert not (a.text[-1] == b.text[0] and a.text[-1] in "—…")


def test_strictness_levels_and_line_end_options(sc):
    # 13 em hold 一…丙 exactly; the next character may or may not start a line
    head = "一二三四五六七八九十甲乙丙"
    tilde = compose_paragraph(head + "～丁戊己庚", 13 * SIZE, SIZE, sc, CompositionSettings(kinsoku="strict", first_indent=0))
    assert tilde[1].text[0] != "～"
    dash = compose_paragraph(head + "——丁戊己庚", 13 * SIZE, SIZE, sc, CompositionSettings(kinsoku="loose", first_indent=0))
    assert dash[1].text.startswith("——")
    strict_dash = compose_paragraph(head + "——丁戊己庚", 13 * SIZE, SIZE, sc, CompositionSettings(first_indent=0))
    assert not strict_dash[1].text.startswith("—")
    # 12 Han + 、 fill 13 em; pulling the comma in needs 1 em: half the 、 and half the comma itself
    comma = "一二三四五六、七八九十甲乙，丁戊己庚"
    half = compose_paragraph(comma, 13 * SIZE, SIZE, sc, CompositionSettings(first_indent=0))
    assert half[0].text.endswith("，") and half[0].pieces[-1].letter_spacing == pytest.approx(-0.5 * SIZE, abs=0.01)
    full = compose_paragraph(comma, 13 * SIZE, SIZE, sc, CompositionSettings(first_indent=0, half_width_line_end=False))
    assert all(p.letter_spacing >= 0 for line in full for p in line.pieces)
    hung = compose_paragraph(comma, 13 * SIZE, SIZE, sc, CompositionSettings(first_indent=0, hanging_punctuation=True))
    assert hung[0].text == comma[:14] and all(p.letter_spacing == 0 for p in hung[0].pieces)


def test_overlong_word_and_stray_spaces_do_not_crash(sc):
    lines = compose_paragraph("这是Pneumonoultramicroscopicsilicovolcanoconiosis一词，中 文", 6 * SIZE, SIZE, sc)
    assert "".join(line.text + line.dropped for line in lines) == "这是Pneumonoultramicroscopicsilicovolcanoconiosis一词，中 文"
    assert compose_paragraph("  ", 117, SIZE, sc) == []


def test_font_without_halt_composes_on_the_grid():
    ukai = load_metrics(UKAI, "AR PL UKai CN", "zh-CN")
    lines = compose_paragraph(SEED[2], 13 * SIZE, SIZE, ukai)
    assert all(p.letter_spacing >= 0 and p.margin_left >= 0 for line in lines for p in line.pieces)


def test_sixty_thousand_characters_compose_whole(sc):
    # a very long paragraph (speed is measured in bench/, not here): every character set once, in order,
    # every line full to the column
    text = ("".join(SEED) * 30)[:60_000]
    lines = compose_paragraph(text, 13 * SIZE, SIZE, sc)
    assert "".join(p.text for line in lines for p in line.pieces) == text
    assert len(lines) > 60_000 // 13 // 2


# ---------------------------------------------------------------- rendered checks


def test_closing_quote_and_comma_never_start_a_line(sc):
    # 11 Han + “ + Han fill 13 em exactly: a character-count breaker starts the next line with ”，
    text = "一二三四五六七八九十甲“乙”，丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥。"
    assert text[13:15] == "”，"
    col = stack(MARGIN, 13 * SIZE, [text], sc, CompositionSettings(first_indent=0))
    (col_rows,) = rows(render([col]), [col])
    assert_flush(col, col_rows)
    starts = [row_text(r)[0] for r in col_rows]
    assert "”" not in starts and "，" not in starts


def test_dash_and_ellipsis_pairs_never_split(sc):
    texts = ["十二个汉字十二个汉字十二" + "——破折号后面的文字。", "十二个汉字十二个汉字十二" + "……省略号后面的文字。",
             "他说：“是的——我记得……”然后停了下来，又说：“不——不是这样的……”"]
    columns = [stack(MARGIN + k * 140, n * SIZE, texts, sc) for k, n in enumerate((11, 12, 13))]
    for col, col_rows in zip(columns, rows(render(columns), columns)):
        assert_flush(col, col_rows)
        for a, b in zip(col_rows, col_rows[1:]):
            end, start = row_text(a), row_text(b)
            assert not (end[-1] in "—…" and start[0] in "—…")
            assert start[0] not in "—…"


def test_punctuation_compression_is_visible(sc):
    text = "甲”，乙。”丙），丁，“（戊"
    col = stack(MARGIN, 30 * SIZE, [text], sc, CompositionSettings(first_indent=0))
    ((row,),) = rows(render([col]), [col])
    x = {c["text"] + str(i): c["x0"] for i, c in enumerate(row)}
    em = SIZE
    assert x["，2"] - x["”1"] == pytest.approx(0.5 * em, abs=0.05)  # ”， is 1.5 em, not 2
    assert x["乙3"] - x["，2"] == pytest.approx(em, abs=0.05)
    assert x["”5"] - x["。4"] == pytest.approx(0.5 * em, abs=0.05)  # 。”
    assert x["，8"] - x["）7"] == pytest.approx(0.5 * em, abs=0.05)  # ），
    assert x["“11"] - x["，10"] == pytest.approx(0.5 * em, abs=0.05)  # ，“
    assert x["（12"] - x["“11"] == pytest.approx(0.5 * em, abs=0.05)  # “（ : the second opening loses its blank
    assert x["戊13"] - x["（12"] == pytest.approx(em, abs=0.05)


def test_han_latin_gap_mid_line_not_at_line_ends(sc):
    mid = "我们使用GPS定位，精度达到3米。"
    col1 = stack(MARGIN, 30 * SIZE, [mid], sc, CompositionSettings(first_indent=0))
    # 13 Han fill the first line, so GPS starts the second; the third line ends with WiFi before Han
    edge = "一二三四五六七八九十甲乙丙GPS信号一二三四五六七八九十子丑寅卯辰巳午未WiFi定位系统正常运行。"
    col2 = stack(MARGIN + 300, 13 * SIZE, [edge], sc, CompositionSettings(first_indent=0))
    (row,), rows2 = rows(render([col1, col2]), [col1, col2])
    by = {c["text"]: c for c in row}
    quarter = 0.25 * SIZE
    assert by["G"]["x0"] - by["用"]["x1"] == pytest.approx(quarter, abs=0.05)
    assert by["定"]["x0"] - by["S"]["x1"] == pytest.approx(quarter, abs=0.05)
    assert by["3"]["x0"] - by["到"]["x1"] == pytest.approx(quarter, abs=0.05)
    assert by["米"]["x0"] - by["3"]["x1"] == pytest.approx(quarter, abs=0.05)
    assert_flush(col2, rows2)
    texts = [row_text(r) for r in rows2]
    assert texts[0] == "一二三四五六七八九十甲乙丙" and texts[1].startswith("GPS")
    assert texts[2].endswith("WiFi") and texts[3].startswith("定")  # both flush: no gap at either edge


def test_mixed_paragraph_is_flush_at_both_edges(sc):
    columns = [stack(MARGIN + k * 150, n * SIZE, [MIXED, SEED[6]], sc) for k, n in enumerate((11, 12, 13, 14, 15))]
    for col, col_rows in zip(columns, rows(render(columns), columns)):
        assert_flush(col, col_rows)


def test_predicted_line_count_equals_rendered(sc):
    widths = (11, 12, 13, 14, 15)
    columns = [stack(MARGIN + k * 150, n * SIZE, SEED, sc) for k, n in enumerate(widths)]
    pdf = render(columns)
    agree = 0
    for col, col_rows, n in zip(columns, rows(pdf, columns), widths):
        assert len(col_rows) == len(col.lines) == sum(count_lines(t, n * SIZE, SIZE, sc) for t in SEED)
        assert [row_text(r) for r in col_rows] == [line.text for line in col.lines]
        assert_flush(col, col_rows)
        agree += len(col_rows) == len(col.lines)
    assert agree == len(widths)


def test_text_layer_is_the_original_text(sc):
    col = stack(MARGIN, 13 * SIZE, [MIXED, SEED[6], SEED[10]], sc)
    pdf = render([col])
    original = MIXED + SEED[6] + SEED[10]
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        plumber = "".join(c["text"] for c in doc.pages[0].chars)
    assert plumber == original
    assert pdfium_text(pdf) == original
    assert not FORBIDDEN.search(plumber)
    assert not re.search(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", plumber)


def test_traditional_chinese_paragraph(tc):
    columns = [stack(MARGIN + k * 150, n * SIZE, [TRADITIONAL], tc) for k, n in enumerate((11, 13, 15))]
    pdf = render(columns, family="Noto Serif CJK TC", lang="zh-TW")
    for col, col_rows in zip(columns, rows(pdf, columns)):
        assert_flush(col, col_rows)
    assert pdfium_text(pdf) == TRADITIONAL * 3


def test_english_paragraph_breaks_at_spaces_and_justifies_by_word_space(en):
    settings = CompositionSettings(first_indent=1.0)
    columns = [stack(MARGIN + k * 230, w, [ENGLISH], en, settings) for k, w in enumerate((160.0, 200.0))]
    pdf = render(columns, lang="en")
    # pdfium reads no space glyphs (it guesses spaces from gaps), so compare without them
    assert pdfium_text(pdf).replace(" ", "") == "".join(line.text for col in columns for line in col.lines).replace(" ", "")
    for col, col_rows in zip(columns, rows(pdf, columns)):
        assert_flush(col, col_rows)
        lines = col.lines
        assert " ".join(line.text for line in lines) == ENGLISH
        for line in lines[:-1]:
            # words stay whole: the stretch sits in the word spaces only, one word-spacing per line
            assert all(p.letter_spacing == 0 for p in line.pieces)
            assert all(a.text.endswith(" ") for a, b in zip(line.pieces, line.pieces[1:]))
            assert set(ENGLISH.split()) >= set(line.text.split())


def seed_page_columns(sc) -> tuple[list[list[Line]], list[Column]]:
    """The seed's paragraphs and MIXED composed 13 字 wide, in columns of at most 40 lines that take whole
    paragraphs (typocheck estimates a column's right edge from the most common line end, which a two- or three-line
    run with half-width line-end marks would mislead); gutters of 1.5 em (it splits columns at gaps over 0.7 em, and a
    half-width line-end mark's PDF box still reaches half an em into the gutter)."""
    paragraphs = [compose_paragraph(text, 13 * SIZE, SIZE, sc) for text in SEED + (MIXED,)]
    columns: list[Column] = []
    for para in paragraphs:
        if not columns or len(columns[-1].lines) + len(para) > 40:
            columns.append(Column(MARGIN + len(columns) * 14.5 * SIZE, 13 * SIZE, []))
        columns[-1].paragraphs.append(para)
    return paragraphs, columns


if TYPOCHECK.is_file():  # defined only where the checker exists (as in test_typography): a plain clone has
    # no folder beside it, and a fresh machine must pass without it
    def test_typocheck_reports_a_clean_multicolumn_page(sc, tmp_path):
        paragraphs, columns = seed_page_columns(sc)
        pdf_path = tmp_path / "page.pdf"
        pdf_path.write_bytes(render(columns))
        out = subprocess.run([sys.executable, str(TYPOCHECK), str(pdf_path)], capture_output=True, text=True, check=True)
        summary = out.stdout.strip().splitlines()[-1]
        assert re.search(r"\bragged=0 kinsoku=0 overfull=0\b", summary), out.stdout
        assert int(re.search(r"lines=(\d+)", summary).group(1)) == sum(len(p) for p in paragraphs)

def _page_boxes(columns: list[Column]):
    from .typeset import PlannedBox

    return [PlannedBox(c.x, MARGIN, c.width, len(c.lines) * PITCH, SIZE, PITCH, tuple(l.last for l in c.lines))
            for c in columns]


def test_own_yardstick_reports_a_clean_multicolumn_page(sc):
    """The same page as above, measured by the project's own checker (tests/typeset.py), which runs everywhere."""
    from .typeset import measure

    paragraphs, columns = seed_page_columns(sc)
    with pdfplumber.open(io.BytesIO(render(columns))) as doc:
        counts = measure(doc.pages[0].chars, _page_boxes(columns))
    assert counts.faults() == (0, 0, 0, 0), counts.examples
    assert counts.lines == sum(len(p) for p in paragraphs)


def test_own_yardstick_catches_ragged_lines_in_a_real_render(sc):
    """Set flush-left instead of justified, the same copy must be counted ragged: the yardstick can fail."""
    from .typeset import measure

    ragged = CompositionSettings(align="start")
    column = Column(MARGIN, 13 * SIZE, [compose_paragraph(MIXED, 13 * SIZE, SIZE, sc, ragged)])
    with pdfplumber.open(io.BytesIO(render([column]))) as doc:
        counts = measure(doc.pages[0].chars, _page_boxes([column]))
    assert counts.ragged >= 3 and counts.kinsoku == 0 and counts.overfull == 0, counts.examples
