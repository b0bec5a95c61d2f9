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
# ～ joins a range (6～16周岁): splitting it from the number after it misreads as two items, so even the
# basic level keeps it off a line start
RANGE = frozenset("～〜")
STRICT_EXTRA_START = SMALL_KANA | frozenset("ー々〻‐゠–")
PREFIX = frozenset("￥＄£€$¥#＃№")
# The ideographic space separates the halves of a slogan (红武共进　聚力同行): at a line edge it would be a
# visible hole that justification cannot close, so no level lets a line start or end with it.
IDEOGRAPHIC_SPACE = frozenset("\u3000")


@lru_cache(maxsize=None)
def no_start(level: Level) -> frozenset[str]:
    """Characters that must not begin a line."""
    if level == "loose":
        return CLOSING | STOPS | IDEOGRAPHIC_SPACE
    basic = CLOSING | STOPS | INTERPUNCTS | INSEPARABLE | POSTFIX | IDEOGRAPHIC_SPACE | RANGE
    return basic | STRICT_EXTRA_START if level == "strict" else basic


@lru_cache(maxsize=None)
def no_end(level: Level) -> frozenset[str]:
    """Characters that must not end a line."""
    return OPENING | PREFIX | IDEOGRAPHIC_SPACE if level == "strict" else OPENING | IDEOGRAPHIC_SPACE


def inseparable(a: str, b: str) -> bool:
    """True inside a two-character dash or ellipsis, which no level may split."""
    return a == b and a in INSEPARABLE
