"""Strictness level in, the characters that may not start or end a line (clreq 行首行尾禁则) out."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

Level = Literal["strict", "basic", "loose"]

OPENING = frozenset("（［｛〔【《〈「『“‘｟〘〖([{")
CLOSING = frozenset("）］｝〕】》〉」』”’｠〙〗)]}")
# 点号: pause and stop marks, full- and half-width
STOPS = frozenset("、。，．；：？！,.;:?!")
INTERPUNCTS = frozenset("·・‧")
# —— and …… are one mark each, typed as two characters
INSEPARABLE = frozenset("—…⸺⸻")
POSTFIX = frozenset("%‰‱％℃°′″")
SMALL_KANA = frozenset("ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ")
STRICT_EXTRA_START = SMALL_KANA | frozenset("～〜ー々〻‐゠–")
PREFIX = frozenset("￥＄£€$¥#＃№")


@lru_cache(maxsize=None)
def no_start(level: Level) -> frozenset[str]:
    """Characters that must not begin a line."""
    if level == "loose":
        return CLOSING | STOPS
    basic = CLOSING | STOPS | INTERPUNCTS | INSEPARABLE | POSTFIX
    return basic | STRICT_EXTRA_START if level == "strict" else basic


@lru_cache(maxsize=None)
def no_end(level: Level) -> frozenset[str]:
    """Characters that must not end a line."""
    return OPENING | PREFIX if level == "strict" else OPENING


def inseparable(a: str, b: str) -> bool:
    """True inside a two-character dash or ellipsis, which no level may split."""
    return a == b and a in INSEPARABLE
