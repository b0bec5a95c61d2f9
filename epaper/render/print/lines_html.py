"""Composed lines (epaper.layout.compose) + body size in, escaped HTML of pre-broken lines out.

CSS contract. The document must hold LINE_CSS (print.css does). The element that receives this HTML must set:
  lang                      the language the FontMetrics were loaded for (zh-CN, zh-TW, en …);
  font-family, font-weight  the face the lines were composed with;
  line-height               the line pitch, as a length;
  font-kerning: none; font-variant-ligatures: none; font-feature-settings: normal;
  letter-spacing: normal; word-spacing: normal; text-transform: none;
  text-align: left; text-indent: 0 (the first-line indent is emitted per line);
  width                     the column width; overflow visible (a half-width line-end
                            mark's empty half and a hanging mark lie past the edge).
Then the advances WeasyPrint draws are the hmtx sums the composer added up.

What this module guarantees: each paragraph is one block holding one block per
line with white-space: pre, so WeasyPrint never breaks or re-spaces a line even
if rounding makes it a hair wider than the column; every gap is a margin-left or
a letter-spacing on a span, or the line's word-spacing, so the PDF text layer
holds exactly the paragraph's characters (no inserted spaces, no zero-width
characters; a span is never a lone space, which WeasyPrint would drop or pad
with U+200B). Font size is set on the paragraph block from `size`.
"""

from __future__ import annotations

from typing import Iterable

from markupsafe import Markup, escape

from epaper.layout.compose import Line, Piece

LINE_CSS = ".ep-l { display: block; white-space: pre; }"  # the rule every document holding these lines needs


def _px(pt: float) -> str:
    # WeasyPrint hands letter- and word-spacing to Pango in 1/1024 CSS px and truncates: write
    # an exact multiple of 1/1024 px (a finite decimal) so nothing is lost
    units = round(pt * 4 / 3 * 1024)
    return f"{units / 1024:.10f}".rstrip("0").rstrip(".") + "px"


def _pt(pt: float) -> str:
    return f"{pt:.4f}".rstrip("0").rstrip(".") + "pt"


def _piece(piece: Piece, first: bool, cls: str = "") -> str:
    style = []
    if abs(piece.margin_left) >= 5e-5:
        style.append(f"margin-left:{_pt(piece.margin_left)}")
    if round(piece.letter_spacing * 4 / 3 * 1024):
        style.append(f"letter-spacing:{_px(piece.letter_spacing)}")
    text = escape(piece.text)
    attr = f' class="{cls}"' if cls else ""
    if not style:
        # a piece is its own inline box even without style: WeasyPrint shapes each box
        # separately, and the composer relies on where those boundaries fall
        return str(text) if first and not cls else f"<span{attr}>{text}</span>"
    return f'<span{attr} style="{";".join(style)}">{text}</span>'


def line_to_html(line: Line, *, cls: str = "", lead: int = 0, lead_class: str = "", href: str = "",
                 size: float = 0.0) -> Markup:
    """One line as a block; `cls` on the line, `lead_class` on the pieces of its first `lead` characters;
    with `href` the line's text is a link (a jump line to the other part of its story)."""
    # display:block and white-space:pre come from the class (LINE_CSS): WeasyPrint parses every inline style
    # anew, and a page has about 600 lines (12 % of its render time went into those two declarations)
    style = []
    if size:
        style.append(f"font-size:{_pt(size)}")
    if line.indent >= 5e-5:
        style.append(f"padding-left:{_pt(line.indent)}")
    if round(line.word_spacing * 4 / 3 * 1024):
        style.append(f"word-spacing:{_px(line.word_spacing)}")
    parts, seen = [], 0
    for k, piece in enumerate(line.pieces):
        # the composer splits pieces where the lead-in ends, so a piece is wholly in it or wholly out
        parts.append(_piece(piece, k == 0, lead_class if seen < lead else ""))
        seen += len(piece.text)
    classes = f"ep-l {cls}" if cls else "ep-l"
    inner = "".join(parts)
    if href:
        inner = f'<a href="{escape(href)}">{inner}</a>'
    attr = f' style="{";".join(style)}"' if style else ""
    return Markup(f'<span class="{classes}"{attr}>{inner}</span>')


def lines_to_html(lines: Iterable[Line], *, size: float) -> Markup:
    """One paragraph's lines as a block of line blocks."""
    body = "".join(line_to_html(line) for line in lines)
    return Markup(f'<span class="ep-p" style="display:block;font-size:{_pt(size)}">{body}</span>')
