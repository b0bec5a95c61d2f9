"""The composer with ruby and 着重号 (issue 24): a ruby group never breaks and its ruby stays centred over its base
across justification at every width; dots go under Han characters only; copy without marks composes as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from epaper.layout.compose import CompositionSettings, Line, compose_paragraph, count_lines, ruby_width
from epaper.layout.fontmetrics import FontMetrics, load_metrics
from epaper.source.markdown import parse_body

SERIF = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
SIZE = 9.0

# synthetic copy: names with pinyin and bopomofo, 着重号 over a slogan with quotes, Latin and digits around them
COPY = (
    "記者{陳美玲|chén měi líng}報導，{覃|qín}姓與{單|shàn}姓讀音特殊。市長{郭台銘|ㄍㄨㄛ ㄊㄞˊ ㄇㄧㄥˊ}表示："
    "「{{這項計畫不只是技術升級}}，更是城市治理思維的轉變。」交通局指出，試辦路口的平均等候時間已縮短18%，"
    "{{AI號誌}}共300處，{龘|dá}字與{彧|yù}字見於{{古籍、碑帖}}……未來將與{鄞州|yín zhōu}合作。"
)


@pytest.fixture(scope="module")
def tc() -> FontMetrics:
    return load_metrics(SERIF, "Noto Serif CJK TC", "zh-TW")


@pytest.fixture(scope="module")
def block():
    (b,) = parse_body(Path("a.md"), COPY, 1)
    return b


def _glyph_lefts(line: Line, metrics: FontMetrics) -> list[float]:
    """Where each character of the line starts, from the pieces as lines_html draws them (pt from the text start)."""
    x, out = 0.0, []
    for piece in line.pieces:
        x += piece.margin_left
        for ch in piece.text:
            out.append(x)
            # the composer measures a Latin run that holds a letter with Latin advances (and gives it its own piece)
            latin = piece.text.isascii() and any(c.isalpha() for c in piece.text)
            adv = metrics.latin_advance(ch) if latin else metrics.advance(ch)
            x += adv * SIZE + piece.letter_spacing + (line.word_spacing if ch == " " else 0.0)
    return out


@pytest.mark.parametrize("chars", range(6, 22))
def test_ruby_groups_never_break_and_stay_centred(tc, block, chars: int):
    lines = compose_paragraph(block.text, chars * SIZE, SIZE, tc, marks=block.marks)
    assert len(lines) == count_lines(block.text, chars * SIZE, SIZE, tc, marks=block.marks)
    assert "".join(ln.text + ln.dropped for ln in lines) == block.text
    rubies = [m for m in block.marks if m.kind == "ruby"]
    ends, pos = [], 0
    for ln in lines:
        pos += len(ln.text) + len(ln.dropped)
        ends.append(pos)
    for m in rubies:
        assert not any(m.start < e < m.end for e in ends), f"line broken inside {block.text[m.start:m.end]}"
    found = []
    start = 0
    for ln in lines:
        lefts = _glyph_lefts(ln, tc)
        for left, width, ruby, rsize, scale in ln.rubies:
            m = next(m for m in rubies if m.value == ruby)
            a, b = m.start - start, m.end - start
            base_l = lefts[a]
            base_r = lefts[b - 1] + tc.advance(block.text[m.end - 1]) * SIZE
            assert abs((left + width / 2) - (base_l + base_r) / 2) < 0.01, f"{ruby} off centre at {chars} 字"
            # drawn (condensed about its centre) between its neighbours: it overhangs neither them nor the column
            drawn_l, drawn_r = left + width * (1 - scale) / 2, left + width * (1 + scale) / 2
            # (a compressed mark before it ends where the pen stands after it, not at its full advance)
            prev_r = min(lefts[a - 1] + tc.advance(ln.text[a - 1]) * SIZE, lefts[a]) if a > 0 else 0.0
            next_l = lefts[b] if b < len(ln.text) else ln.width
            assert prev_r - 0.01 <= drawn_l and drawn_r <= next_l + 0.01
            assert scale == 1.0 or drawn_r - drawn_l <= base_r - base_l + 0.01 or scale == pytest.approx(0.7)
            assert scale >= 0.699 and rsize == SIZE / 2
            assert width >= ruby_width(ruby, SIZE, tc) - 0.01 or scale == 1.0
            found.append(ruby)
        start += len(ln.text) + len(ln.dropped)
    assert sorted(found) == sorted(m.value for m in rubies)


def test_dots_under_han_only(tc, block):
    lines = compose_paragraph(block.text, 13 * SIZE, SIZE, tc, marks=block.marks)
    dotted = ""
    start = 0
    for ln in lines:
        lefts = _glyph_lefts(ln, tc)
        for x in ln.dots:
            j = min(range(len(lefts)), key=lambda k: abs(lefts[k] + tc.advance(ln.text[k]) * SIZE / 2 - x))
            assert abs(lefts[j] + tc.advance(ln.text[j]) * SIZE / 2 - x) < 0.01
            dotted += ln.text[j]
        start += len(ln.text)
    assert dotted == "這項計畫不只是技術升級號誌古籍碑帖"  # no dots under AI, 、 or punctuation


def test_without_marks_nothing_changes(tc, block):
    plain = compose_paragraph(block.text, 13 * SIZE, SIZE, tc)
    assert all(not ln.rubies and not ln.dots for ln in plain)
    # a ruby no wider than its base changes no break and no spacing: only the group is glued
    text = "今年，我市积极构建“15分钟养老生活服务圈”，{覃|qín}先生说，不断健全社会大救助体系。"
    (b,) = parse_body(Path("a.md"), text, 1)
    for chars in (8, 11, 13, 17):
        with_marks = compose_paragraph(b.text, chars * SIZE, SIZE, tc, marks=b.marks)
        without = compose_paragraph(b.text, chars * SIZE, SIZE, tc)
        assert [ln.pieces for ln in with_marks] == [ln.pieces for ln in without]


def test_wide_ruby_widens_its_group_only_past_the_condensing_limit(tc):
    (b,) = parse_body(Path("a.md"), "這是{一|ㄧ ㄧ ㄧ ㄧ ㄧ}字。", 1)
    (ln,) = compose_paragraph(b.text, 20 * SIZE, SIZE, tc, marks=b.marks, settings=CompositionSettings(align="start"))
    left, width, ruby, rsize, scale = ln.rubies[0]
    assert scale == pytest.approx(0.7, abs=0.001)
    assert ln.natural == pytest.approx(4 * SIZE + ruby_width(ruby, SIZE, tc) * 0.7, abs=0.01)
