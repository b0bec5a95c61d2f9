"""A PDF's glyphs and the planned text boxes in, typesetting faults counted out: ragged, kinsoku and overfull lines.

The project's own yardstick for justified CJK body text. Unlike a checker that has to guess columns from the ink, it
knows from the plan where every body column is, how many lines it holds and which lines end a paragraph, and it
measures what the PDF really draws there (pdfplumber's glyph boxes), so the plan cannot hide a fault:

- ragged:   a body-size line that does not end its paragraph but stops short of the column's end edge by more
            than `tol` (a subhead a size up in the same column wraps on a measure of body characters: not counted);
- overfull: a line whose ink runs past either edge of its column by more than `tol`;
- kinsoku:  a line that starts with a mark clreq forbids at a line start (closing brackets and quotes, 、。，等) or
            ends with one it forbids at a line end (opening brackets and quotes);
- missing:  planned lines with no glyphs in their row, or rows the plan does not have.

A line-end mark set half-width (clreq 3.1.4) keeps its full-width glyph box in the PDF: its box then ends half an
em past the column edge, which counts as flush.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# clreq 3.1.7 (line-start and line-end prohibition rules), written out here rather than imported from the
# composer, so that a mistake in the composer's own tables cannot pass unnoticed.
NO_LINE_START = set("、。，．：；？！‼⁇⁈⁉）］｝〕〉》」』】〙〗〟’”｠»・ー゠〜～…‥—·ゝゞ々〻,.:;?!)]}%‰")
NO_LINE_END = set("（［｛〔〈《「『【〘〖〝‘“｟«([{")
HALF_WIDTH_AT_END = set("、。，．：；？！）］｝〕〉》」』】〙〗〟’”")


@dataclass(frozen=True)
class PlannedBox:
    """One planned column of body text: its rectangle in PDF points (top-left origin), body size, line pitch, and
    per planned line whether it ends a paragraph."""

    x: float
    y: float
    w: float
    h: float
    size: float
    pitch: float
    last: tuple[bool, ...]


@dataclass
class Counts:
    lines: int = 0
    ragged: int = 0
    kinsoku: int = 0
    overfull: int = 0
    missing: int = 0
    examples: list[str] = field(default_factory=list)

    def faults(self) -> tuple[int, int, int, int]:
        return self.ragged, self.kinsoku, self.overfull, self.missing

    def note(self, text: str) -> None:
        if len(self.examples) < 12:
            self.examples.append(text)


def rows(chars: Sequence[dict], box: PlannedBox, tolerance: float = 0.5) -> list[list[dict]]:
    """The glyphs inside the box, as rows top to bottom, each sorted along the line."""
    inside = [c for c in chars if c["text"].strip() and box.x - box.size <= c["x0"] and c["x1"] <= box.x + box.w
              + box.size and box.y - 3 <= c["top"] and c["bottom"] <= box.y + box.h + 3]
    out: list[list[dict]] = []
    for c in sorted(inside, key=lambda c: c["top"]):
        if out and c["top"] - out[-1][0]["top"] <= tolerance:
            out[-1].append(c)
        else:
            out.append([c])
    return [sorted(r, key=lambda c: c["x0"]) for r in out]


def measure(chars: Sequence[dict], boxes: Iterable[PlannedBox], tol: float = 0.75, where: str = "") -> Counts:
    """Count the faults of every planned body box on one page (pdfplumber `page.chars`)."""
    counts = Counts()
    for box in boxes:
        found = rows(chars, box)
        if len(found) != len(box.last):
            counts.missing += abs(len(found) - len(box.last))
            counts.note(f"{where} {len(found)} rows drawn for {len(box.last)} planned at ({box.x:.1f}, {box.y:.1f})")
        right = box.x + box.w
        for row, last in zip(found, box.last):
            counts.lines += 1
            text = "".join(c["text"] for c in row)
            if text[0] in NO_LINE_START or text[-1] in NO_LINE_END:
                counts.kinsoku += 1
                counts.note(f"{where} kinsoku: {text[:6]}…{text[-6:]}")
            end = row[-1]["x1"]
            ends = [end]
            if text[-1] in HALF_WIDTH_AT_END:
                ends.append(end - 0.5 * row[-1]["size"])
            flush = any(abs(e - right) <= tol for e in ends)
            if row[0]["x0"] < box.x - tol or (not flush and min(ends) > right + tol):
                counts.overfull += 1
                counts.note(f"{where} overfull by {min(ends) - right:.2f} pt: …{text[-8:]}")
            elif not last and not flush and abs(row[-1]["size"] - box.size) < 0.1:
                # body text only: a subhead a size up wraps on a measure of body characters (README: subheads)
                counts.ragged += 1
                counts.note(f"{where} ragged, {right - max(ends):.2f} pt short: …{text[-8:]}")
    return counts


def add(total: Counts, part: Counts) -> Counts:
    total.lines += part.lines
    total.ragged += part.ragged
    total.kinsoku += part.kinsoku
    total.overfull += part.overfull
    total.missing += part.missing
    for e in part.examples:
        total.note(e)
    return total


def planned_boxes(layout_page) -> list[PlannedBox]:
    """The body columns of one laid-out page (epaper.layout's PageLayout), as the yardstick sees them."""
    out = []
    for module in layout_page.modules:
        for box in module.boxes:
            if box.kind != "body" or not box.lines:
                continue
            r = box.rect
            out.append(PlannedBox(r.x, r.y, r.w, r.h, box.size, box.line_height,
                                  tuple(s.line.last for s in box.lines)))
    return out


def measure_pdf(pdf_path, layout_pages, tol: float = 0.75) -> Counts:
    """Every page of a built PDF against its plan (BuildResult.pages)."""
    import pdfplumber

    total = Counts()
    with pdfplumber.open(pdf_path) as doc:
        assert len(doc.pages) == len(layout_pages), "the PDF and the plan have different page counts"
        for number, (page, plan) in enumerate(zip(doc.pages, layout_pages), 1):
            add(total, measure(page.chars, planned_boxes(plan), tol, where=f"p{number}"))
    return total
