"""Characters with their source position in; slicing, joining and regex substitution that keep those positions out."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable

from ..text import HAN, HAN_RE, is_han

Pos = tuple[int, int, int]  # (input file index, 1-based line, 0-based column)

# Character classes shared by every step (HAN, HAN_RE, is_han: epaper/text.py, which source/decode.py also reads).
# Full-width punctuation and brackets that count as "Chinese context" for spacing and punctuation rules.
CJK_PUNCT = "，。、；：？！…—～·（）《》〈〉「」『』【】〔〕“”‘’　"
ZH = HAN + re.escape(CJK_PUNCT) + "\uff01-\uff5e℃℉‰№"
ZH_RE = re.compile(f"[{ZH}]")
SENTENCE_END = "。！？…"
CLOSERS = "”’」』）》〉】〕"
SPACES = " \t\u3000\u00a0\u2002\u2003\u2009\u200b"


def is_zh(ch: str) -> bool:
    return bool(ch) and ZH_RE.match(ch) is not None


def han_only(text: str) -> str:
    return "".join(HAN_RE.findall(text))


def ends_sentence(text: str) -> bool:
    """True when the text ends a sentence: final punctuation, possibly followed by closing quotes or brackets."""
    core = text.rstrip(SPACES).rstrip(CLOSERS + "\"'＂＇")  # straight quotes are not paired yet when lines join
    return bool(core) and core[-1] in SENTENCE_END


@dataclass(frozen=True)
class Traced:
    """A string whose every character remembers where it came from; inserted characters have position None."""

    text: str
    pos: tuple[Pos | None, ...]

    @classmethod
    def of_line(cls, file: int, line: int, text: str) -> Traced:
        return cls(text, tuple((file, line, i) for i in range(len(text))))

    @classmethod
    def inserted(cls, text: str) -> Traced:
        return cls(text, (None,) * len(text))

    @classmethod
    def join(cls, parts: Iterable[Traced], sep: str = "") -> Traced:
        text: list[str] = []
        pos: list[Pos | None] = []
        for i, part in enumerate(parts):
            if i and sep:
                text.append(sep)
                pos.extend((None,) * len(sep))
            text.append(part.text)
            pos.extend(part.pos)
        return cls("".join(text), tuple(pos))

    def __len__(self) -> int:
        return len(self.text)

    def __bool__(self) -> bool:
        return bool(self.text)

    def __getitem__(self, index: slice) -> Traced:
        return Traced(self.text[index], self.pos[index])

    def __add__(self, other: Traced) -> Traced:
        return Traced(self.text + other.text, self.pos + other.pos)

    def __str__(self) -> str:
        return self.text

    @property
    def line(self) -> int:
        """Line of the first character that came from the input (0 when none did)."""
        return next((p[1] for p in self.pos if p), 0)

    @property
    def file(self) -> int:
        return next((p[0] for p in self.pos if p), 0)

    def line_at(self, index: int) -> int:
        """Line of the character at index, or of the nearest traced character before it."""
        for i in range(min(index, len(self.pos) - 1), -1, -1):
            if self.pos[i]:
                return self.pos[i][1]
        return self.line

    def strip(self, chars: str = SPACES) -> Traced:
        start = len(self.text) - len(self.text.lstrip(chars))
        end = len(self.text.rstrip(chars))
        return self[start:max(start, end)]

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str] | str,
            changes: Counter | None = None, label: str = "") -> Traced:
        """Like pattern.sub; counts each change under label. A replacement of the same length keeps positions
        character by character; otherwise the new characters take the position of the match's first one."""
        text: list[str] = []
        pos: list[Pos | None] = []
        last = 0
        for m in pattern.finditer(self.text):
            new = repl(m) if callable(repl) else m.expand(repl)
            if new == m.group(0):
                continue
            text.append(self.text[last:m.start()])
            pos.extend(self.pos[last:m.start()])
            old = self.pos[m.start():m.end()]
            if len(new) == len(old):
                pos.extend(old)
            else:
                pos.extend((old[0] if old else None,) * len(new))
            text.append(new)
            last = m.end()
            if changes is not None and label:
                changes[label] += 1
        if not last and not text:
            return self
        text.append(self.text[last:])
        pos.extend(self.pos[last:])
        return Traced("".join(text), tuple(pos))

    def replace_at(self, replacements: dict[int, str]) -> Traced:
        """Replace single characters at given indices (one character each, so positions stay)."""
        if not replacements:
            return self
        chars = list(self.text)
        for i, ch in replacements.items():
            chars[i] = ch
        return Traced("".join(chars), self.pos)

    def delete_at(self, indices: set[int]) -> Traced:
        keep = [i for i in range(len(self.text)) if i not in indices]
        return Traced("".join(self.text[i] for i in keep), tuple(self.pos[i] for i in keep))
