"""Inline marks of article copy (links, ruby, 着重号) as plain data: offsets into a block's text, no markup.

A block's `text` is what print shows, in reading order and without ruby (so anything that reads the text as plain
text gets the base text). Marks say where the rest goes:
  link   text[start:end] links to `value` (an http, https or mailto URL);
  print  text[start:end] is printed only: the URL set after a link's text, dropped by EPUB and web, which link;
  ruby   `value` is set over text[start:end] (注音, pinyin or bopomofo), one group that never breaks;
  dots   着重号 under each Han character of text[start:end].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import Block


@dataclass(frozen=True)
class Mark:
    kind: Literal["link", "print", "ruby", "dots"]
    start: int
    end: int
    value: str = ""


@dataclass(frozen=True)
class MarkedBlock(Block):
    """A body block with inline marks; blocks without any stay plain `Block`s (and so do their outputs)."""

    marks: tuple[Mark, ...] = ()


def marks_of(block: Block) -> tuple[Mark, ...]:
    return getattr(block, "marks", ())


def shifted(marks: tuple[Mark, ...], by: int) -> tuple[Mark, ...]:
    """The marks of a text that has `by` characters put in front of it (a run-in byline)."""
    return tuple(Mark(m.kind, m.start + by, m.end + by, m.value) for m in marks)
