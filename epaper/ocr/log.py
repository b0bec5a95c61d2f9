"""Findings of an import in: counted changes and doubtful spots with their input file and line, collected as it runs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .text import Traced

# Kinds of doubtful spot, in the order the review report lists them, with the heading it uses.
DOUBT_KINDS = {
    "truncation": "Suspected text lost at a column break",
    "no-final-punct": "Paragraph without final punctuation",
    "unmatched": "Unmatched quote or bracket",
    "ocr-slip": "Suspected OCR slip (- / 一 / —)",
    "byline": "Dateline or byline not fully recognised",
    "headline": "Headline decisions (引题 / 主题 / 副题)",
    "subhead": "Lines taken as subheads",
    "photo": "Photo captions",
    "rejoined": "Sentences rejoined across an OCR blank line",
    "space": "Spaces kept in Chinese text",
    "unplaced": "Text placed in no article (see removed.txt)",
    "check": "Import self-check",
}


@dataclass(frozen=True)
class Doubt:
    """One spot an editor should look at: where it is in the input, what kind of doubt, and the text around it."""

    file: Path
    line: int
    kind: str
    message: str
    excerpt: str = ""

    def __str__(self) -> str:
        excerpt = f" — “{self.excerpt}”" if self.excerpt else ""
        return f"{self.file.name}:{self.line}: {self.message}{excerpt}"


@dataclass
class Log:
    files: list[Path]
    changes: Counter[str] = field(default_factory=Counter)
    doubts: list[Doubt] = field(default_factory=list)

    def change(self, label: str, count: int = 1) -> None:
        if count:
            self.changes[label] += count

    def doubt(self, kind: str, where: Traced, message: str, index: int | None = None, excerpt: str | None = None,
              width: int = 12) -> None:
        """Note a doubt at where[index] (or at its start); the excerpt is the text around that spot."""
        assert kind in DOUBT_KINDS, kind
        i = 0 if index is None else index
        line = where.line_at(i) if index is not None else where.line
        if excerpt is None:
            excerpt = where.text[max(0, i - width):i + width] if index is not None else where.text[:2 * width]
        file = self.files[where.file] if self.files else Path("?")
        self.doubts.append(Doubt(file, line, kind, message, excerpt.strip()))
