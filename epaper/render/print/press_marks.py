"""A PDF page with TrimBox and BleedBox in, the same page widened by a slug with crop marks (and a plate version) out.

`@page { bleed }` makes WeasyPrint write TrimBox and BleedBox; the MediaBox is then widened by a slug in which crop
marks are drawn in registration colour (Separation /All), outside the BleedBox. WeasyPrint's own `marks: crop`
would draw them in RGB black inside the bleed. A corrected issue's plate version is drawn there too, as `V2`.
"""

from __future__ import annotations

import pydyf

from ...layout.grid import MM

MARK_LENGTH = 6 * MM  # crop mark length, starting at the bleed edge
SLUG = 10 * MM  # MediaBox beyond the TrimBox: bleed, then the marks
MARK_WIDTH = 0.25  # pt
MARKS_SPACE = "EpaperRegistration"  # colour-space resource name of the /All separation

# A version mark drawn in the slug with strokes (a font there would have to be embedded): V and seven-segment
# digits, segments named a–g clockwise from the top with g across the middle, in a unit box (y up).
SEGMENTS = {"0": "abcdef", "1": "bc", "2": "abged", "3": "abgcd", "4": "fgbc", "5": "afgcd", "6": "afgedc",
            "7": "abc", "8": "abcdefg", "9": "abcdfg"}
STROKES = {"a": ((0, 1), (1, 1)), "b": ((1, 1), (1, 0.5)), "c": ((1, 0.5), (1, 0)), "d": ((0, 0), (1, 0)),
           "e": ((0, 0), (0, 0.5)), "f": ((0, 0.5), (0, 1)), "g": ((0, 0.5), (1, 0.5))}
VERSION_MARK = (3 * MM, 1.8 * MM, 0.5)  # height, digit width (pt), line width


def registration_space(pdf: pydyf.PDF) -> pydyf.Array:
    """The registration colour for the marks, a Separation /All over CMYK, added to `pdf`; pages name it
    MARKS_SPACE in their ColorSpace resources."""
    tint = pydyf.Dictionary({"FunctionType": 2, "Domain": pydyf.Array([0, 1]), "C0": pydyf.Array([0, 0, 0, 0]),
                             "C1": pydyf.Array([1, 1, 1, 1]), "N": 1})
    pdf.add_object(tint)
    registration = pydyf.Array(["/Separation", "/All", "/DeviceCMYK", tint.reference])
    pdf.add_object(registration)
    return registration


def mark_page(pdf: pydyf.PDF, page: pydyf.Dictionary, version: int | None = None) -> None:
    """Widen the page's MediaBox by the slug and draw its crop marks there, after the page's own content (kept
    in its graphics state by q … Q); `version`: the plate's version, below the trim."""
    x0, y0, x1, y1 = (float(v) for v in page["TrimBox"])
    b0, b1, b2, b3 = (float(v) for v in page["BleedBox"])
    bleed = max(x0 - b0, y0 - b1, b2 - x1, b3 - y1, 0.0)
    slug = max(SLUG, bleed + MARK_LENGTH + 2)
    page["MediaBox"] = pydyf.Array([x0 - slug, y0 - slug, x1 + slug, y1 + slug])
    page["BleedBox"] = pydyf.Array([x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed])
    marks = pydyf.Stream(compress=True)
    marks.push_state()
    marks.set_color_space(MARKS_SPACE, stroke=True)
    marks.set_color_special(None, True, 1)
    marks.set_line_width(MARK_WIDTH)
    near, far = bleed, bleed + MARK_LENGTH
    for x, y, dx, dy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
        marks.move_to(x + dx * near, y)  # horizontal mark on the line of the horizontal trim edge
        marks.line_to(x + dx * far, y)
        marks.move_to(x, y + dy * near)  # vertical mark on the line of the vertical trim edge
        marks.line_to(x, y + dy * far)
    marks.stroke()
    if version is not None:  # below the trim, right of the lower-left crop mark: out of the printed area
        version_mark(marks, version, x0 + MARK_LENGTH, y0 - bleed - 1 * MM)
    marks.pop_state()
    save, restore = pydyf.Stream([b"q"]), pydyf.Stream([b"Q"])
    for s in (save, restore, marks):
        pdf.add_object(s)
    contents = page["Contents"]
    contents = list(contents) if isinstance(contents, pydyf.Array) else [contents]
    page["Contents"] = pydyf.Array([save.reference, *contents, restore.reference, marks.reference])


def version_mark(stream: pydyf.Stream, version: int, x: float, top: float) -> None:
    """`V<version>` with its top-left at (x, top), stroked in the current (registration) colour."""
    h, w, line = VERSION_MARK
    stream.set_line_width(line)
    y = top - h
    stream.move_to(x, top)  # V
    stream.line_to(x + w / 2, y)
    stream.line_to(x + w, top)
    for n, digit in enumerate(str(version), 1):
        left = x + n * w * 1.6
        for seg in SEGMENTS[digit]:
            (ax, ay), (bx, by) = STROKES[seg]
            stream.move_to(left + ax * w, y + ay * h)
            stream.line_to(left + bx * w, y + by * h)
    stream.stroke()
