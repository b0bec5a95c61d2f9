"""An article's Markdown body in, a tuple of model.Block (paragraphs and subheads) out; raw HTML is refused."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from markdown_it import MarkdownIt

from ..errors import InputError
from ..model import Block
from .schema import bad_character

# Raw HTML is parsed only to be refused with a line number: copy comes from many hands and the body is
# plain news text (with html off, markdown-it would pass tags through as literal text).
_MD = MarkdownIt("commonmark", {"html": True})


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _join(left: str, right: str) -> str:
    """Join a soft-wrapped line: no space between CJK characters, one space in Latin text."""
    if not left or not right:
        return left + right
    if _is_wide(left[-1]) or _is_wide(right[0]):
        return left + right
    return f"{left} {right}"


def parse_body(file: Path, text: str, first_line: int) -> tuple[Block, ...]:
    blocks: list[Block] = []
    tokens = _MD.parse(text)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        line = tok.map[0] + first_line if tok.map else None
        if tok.type in ("paragraph_open", "heading_open"):
            inline = tokens[i + 1]
            parts = [""]
            for child in inline.children or ():
                if child.type in ("text", "code_inline"):
                    parts[-1] += child.content
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append("")
                elif child.type == "html_inline":
                    raise InputError(file, "raw HTML is not allowed in article text", line=line,
                                     hint="write plain text; the layouts style every part of an article")
                elif child.type == "image":
                    raise InputError(file, "images in the article body are not supported", line=line,
                                     hint="add the photo as a [[photos]] table in the front matter")
            joined = parts[0]
            for part in parts[1:]:
                joined = _join(joined.rstrip(), part.lstrip())
            if problem := bad_character(joined):
                raise InputError(file, problem, line=line, hint="delete it; it is invisible in most editors")
            blocks.append(Block("h" if tok.type == "heading_open" else "p", joined.strip()))
            i += 3
            continue
        if tok.type in ("html_block",):
            raise InputError(file, "raw HTML is not allowed in article text", line=line,
                             hint="write plain text; the layouts style every part of an article")
        if tok.type.endswith("_open") or tok.type in ("fence", "code_block", "hr"):
            raise InputError(file, f"unsupported Markdown block '{tok.type.removesuffix('_open')}'", line=line,
                             hint="article bodies hold paragraphs and '## ' subheads only")
        i += 1
    return tuple(b for b in blocks if b.text)
