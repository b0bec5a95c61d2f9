"""What the composer is given and gives back: CompositionSettings in, a Line of justified Pieces out (pure data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from . import kinsoku


@dataclass(frozen=True)
class CompositionSettings:
    kinsoku: kinsoku.Level = "basic"
    han_latin_space: float = 0.25  # em
    compress_punctuation: bool = True
    # a line-end mark may lose its trailing blank when the line is squeezed (clreq step a;
    # its PDF glyph box then reaches half an em past the column edge)
    half_width_line_end: bool = True
    hanging_punctuation: bool = False
    first_indent: float = 2.0  # em
    align: Literal["justify", "start", "center"] = "justify"


@dataclass(frozen=True)
class Piece:
    text: str
    letter_spacing: float = 0.0  # pt, added after every character of the piece
    margin_left: float = 0.0  # pt, before the piece


@dataclass(frozen=True)
class Line:
    pieces: tuple[Piece, ...]
    width: float  # pt, the measure the line is set to (column width minus indent)
    natural: float  # pt, width before squeezing or stretching
    indent: float  # pt, from the column's start edge
    last: bool  # ends the paragraph
    dropped: str = ""  # spaces swallowed by the break after this line
    word_spacing: float = 0.0  # pt, added to every space of the line
    # inline marks, in pt from the start of the line's text (after its indent): (left, width, ruby text, ruby size,
    # horizontal scale) of each ruby box, centred over its base (a box wider than the base is drawn condensed about
    # its centre by the scale, to the base's width), and the centre of each Han character that
    # takes a 着重号 dot
    rubies: tuple[tuple[float, float, str, float, float], ...] = ()
    dots: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)
