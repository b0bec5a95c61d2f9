"""The project's typesetting yardstick (tests/typeset.py) finds each kind of fault it counts, and passes clean lines."""

from __future__ import annotations

from .typeset import PlannedBox, measure

SIZE = 9.0
BOX = PlannedBox(x=100.0, y=50.0, w=13 * SIZE, h=5 * 13.5, size=SIZE, pitch=13.5, last=(False, False, True))


def line(text: str, row: int, *, x: float = 100.0, advance: float = SIZE, size: float = SIZE) -> list[dict]:
    """Glyph boxes as pdfplumber reports them, one per character, on the box's row `row`."""
    top = BOX.y + row * BOX.pitch
    return [{"text": ch, "x0": x + i * advance, "x1": x + (i + 1) * advance, "top": top, "bottom": top + size,
             "size": size} for i, ch in enumerate(text)]


def clean() -> list[dict]:
    return line("一二三四五六七八九十一二三", 0) + line("一二三四五六七八九十一二。", 1) + line("一二三。", 2)


def test_clean_column_has_no_faults():
    counts = measure(clean(), [BOX])
    assert (counts.lines, *counts.faults()) == (3, 0, 0, 0, 0), counts.examples


def test_half_width_line_end_mark_counts_as_flush():
    # twelve characters spread to 12.5 em, then a mark set half-width: its glyph box is still a full em wide and
    # so reaches half an em past the column's end edge
    chars = line("一二三四五六七八九十一二，", 1, advance=112.5 / 12)
    chars[-1]["x0"], chars[-1]["x1"] = 212.5, 221.5
    column = line("一二三四五六七八九十一二三", 0) + chars + line("一二三。", 2)
    assert measure(column, [BOX]).faults() == (0, 0, 0, 0)
    chars[-1]["x0"], chars[-1]["x1"] = 214.0, 223.0  # 1.5 pt further: past the edge even at half width
    assert measure(column, [BOX]).overfull == 1


def test_short_line_inside_a_paragraph_is_ragged():
    chars = line("一二三四五六七八九十一二", 0) + line("一二三四五六七八九十一二。", 1) + line("一二三。", 2)
    counts = measure(chars, [BOX])
    assert counts.ragged == 1 and "9.00 pt short" in counts.examples[0]


def test_last_line_of_a_paragraph_may_be_short():
    assert measure(clean(), [BOX]).ragged == 0


def test_prohibited_marks_at_line_edges_are_kinsoku():
    chars = line("，二三四五六七八九十一二三", 0) + line("一二三四五六七八九十一二“", 1) + line("一二三。", 2)
    counts = measure(chars, [BOX])
    assert counts.kinsoku == 2


def test_ink_past_the_column_edge_is_overfull():
    chars = line("一二三四五六七八九十一二三四", 0) + line("一二三四五六七八九十一二。", 1) + line("一二三。", 2)
    assert measure(chars, [BOX]).overfull == 1


def test_rows_the_plan_does_not_have_are_missing():
    assert measure(clean()[:-4], [BOX]).missing == 1
    assert measure(clean() + line("多一行", 3), [BOX]).missing == 1
