"""Raw bytes of one input file in, its text with LF line ends out, with how the encoding and script were decided."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from ..text import is_han

# Tried in this order when no encoding is named; a strict decode that fails rules the codec out.
CANDIDATES = ("utf-8", "gb18030", "big5", "cp950")
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Characters that are neither Han nor wrong in Chinese text: CJK and general punctuation, full-width forms.
NEUTRAL_RANGES = ((0x2000, 0x206F), (0x2100, 0x214F), (0x2460, 0x24FF), (0x25A0, 0x25FF), (0x3000, 0x303F),
                  (0xFF00, 0xFFEF), (0x00B7, 0x00B7), (0x00D7, 0x00D7), (0xFEFF, 0xFEFF))


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    how: str  # one line for the review report
    bom: bool
    newlines: dict[str, int]  # counts of "CRLF", "CR", "LF" line ends in the file
    script: str  # "simplified", "traditional" or "none" (no Han characters)


@lru_cache(maxsize=None)
def is_common_han(ch: str) -> bool:
    """In GB2312 level 1 (the 3,755 most used Simplified characters) or Big5 level 1 (5,401 常用字).
    A wrong decode turns bytes into rare characters, so the share of common ones tells codecs apart."""
    try:
        b = ch.encode("gb2312")
        if len(b) == 2 and 0xB0 <= b[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        b = ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and (0xA4 <= b[0] <= 0xC5 or (b[0] == 0xC6 and b[1] <= 0x7E))


@lru_cache(maxsize=None)
def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


def score(text: str) -> float:
    """Share of the non-ASCII characters that look like real Chinese text (common Han or punctuation)."""
    good = total = 0
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            continue
        total += 1
        if is_han(ch):
            good += is_common_han(ch)
        elif any(lo <= o <= hi for lo, hi in NEUTRAL_RANGES):
            good += 1
    return good / total if total else 1.0


def script_of(text: str) -> str:
    """Simplified or Traditional, by the characters only one of GB2312 and Big5 can encode (这 vs 這)."""
    simp = trad = 0
    for ch in text:
        if not is_han(ch):
            continue
        gb, big5 = _encodable(ch, "gb2312"), _encodable(ch, "big5")
        simp += gb and not big5
        trad += big5 and not gb
    if not simp and not trad:
        return "simplified" if any(is_han(c) for c in text) else "none"
    return "traditional" if trad > simp else "simplified"


def _newlines(text: str) -> tuple[str, dict[str, int]]:
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    # Form feeds separate pages in some OCR exports and Unicode line separators end lines: both become breaks.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x0b", "\n")
    return text, {k: v for k, v in (("CRLF", crlf), ("CR", cr), ("LF", lf)) if v}


ACCEPTED = "utf-8, gb18030, gbk, big5, cp950 (or another text encoding Python knows)"


def encoding_problem(name: str) -> str:
    """'' if `name` is a text encoding, else why not (rot13, hex and base64 are codecs, but not of bytes to text)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return f"unknown encoding '{name}'"
    if not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        return f"'{name}' is not a text encoding"
    return ""


def _bad_byte_line(data: bytes, exc: UnicodeDecodeError) -> int:
    return data[:exc.start].count(b"\n") + 1


def decode(data: bytes, file: Path, encoding: str | None = None) -> Decoded:
    """Named encoding: decoded strictly (an error names the line). Otherwise BOM, then strict UTF-8, then the
    best-scoring strict decode of GB18030, Big5 and CP950; ties go to the earlier candidate."""
    bom = next(((mark, codec) for mark, codec in BOMS if data.startswith(mark)), None)
    if encoding:
        if problem := encoding_problem(encoding):
            raise InputError(file, problem, hint=f"expected one of: {ACCEPTED}")
        codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise InputError(file, f"not valid {encoding}: byte {exc.start} cannot be decoded",
                             line=_bad_byte_line(data, exc),
                             hint="leave out --encoding to let epaper detect it") from None
        how = f"{encoding} (named)"
        used = encoding
    elif bom:
        try:
            text = data.decode(bom[1])
        except UnicodeDecodeError as exc:
            raise InputError(file, f"starts with a {bom[1]} byte-order mark but is not valid {bom[1]}",
                             line=_bad_byte_line(data, exc)) from None
        how = f"{'UTF-8' if bom[1] == 'utf-8-sig' else 'UTF-16'} (byte-order mark)"
        used = "utf-8" if bom[1] == "utf-8-sig" else "utf-16"
    else:
        tried: list[tuple[float, int, str, str]] = []
        for i, codec in enumerate(CANDIDATES):
            try:
                decoded = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if codec == "utf-8":  # valid UTF-8 with non-ASCII bytes is practically never another encoding
                tried = [(1.0, i, codec, decoded)]
                break
            tried.append((score(decoded), i, codec, decoded))
        if not tried:
            raise InputError(file, "cannot tell the text encoding: not UTF-8, GB18030 or Big5",
                             hint="name it with --encoding")
        tried.sort(key=lambda t: (-t[0], t[1]))
        best = tried[0]
        used, text = best[2], best[3]
        if used == "utf-8":
            how = "UTF-8 (valid UTF-8, no byte-order mark)"
        else:
            others = ", ".join(f"{c} {s:.2f}" for s, _, c, _ in tried[1:])
            how = f"{used} (share of common Chinese characters {best[0]:.2f}" + (f"; {others}" if others else "") + ")"
    had_bom = text.startswith("\ufeff") or bool(bom)
    text = text.lstrip("\ufeff")
    text, newlines = _newlines(text)
    return Decoded(text=text, encoding=used, how=how, bom=had_bom, newlines=newlines, script=script_of(text))
