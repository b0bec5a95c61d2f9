"""A line or paragraph as Traced text in, the same with widths, punctuation, quotes and spaces normalised out."""

from __future__ import annotations

import re

from .log import Log
from .patterns import DASH_YI_WORDS
from .text import HAN, SPACES, ZH, Traced, is_han, is_zh

FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff05]")
FULLWIDTH_POINT = re.compile("(?<=[0-9])\uff0e(?=[0-9])")
ASCII_FULL = {",": "，", ";": "；", "!": "！", "?": "？", ":": "：", ".": "。", "(": "（", ")": "）"}
ELLIPSIS = re.compile(f"(?<=[{ZH}])(?<!…)(?:\\.{{3,6}}|。。。|…(?!…))")
RANGE_TILDE = re.compile("([0-9.]+)[ ]*[~〜][ ]*([0-9.]+)")
DOUBLE_HYPHEN = re.compile(f"(?<=[{ZH}])[{SPACES}]*(?:-{{2,}}|－{{2,}})[{SPACES}]*(?=[{ZH}])")
LONE_DASH = re.compile("(?<![-‐‑−－0-9A-Za-z])[-‐‑−－](?![-‐‑−－])")
SPACE_RUN = re.compile(f"[{SPACES}]+")
DOUBLE_QUOTES = "\"＂“”"
SINGLE_QUOTES = "'＇‘’"
STRAIGHT = "\"＂'＇"
CLAUSE = re.compile("[^，。；：！？,;]+")
BRACKETS = {"（": "）", "《": "》", "【": "】", "〔": "〕", "〈": "〉", "「": "」", "『": "』", "“": "”", "‘": "’"}
CLOSING = {v: k for k, v in BRACKETS.items()}
QUOTE_STYLES = {"curly": (("“", "”"), ("‘", "’")), "corner": (("「", "」"), ("『", "』"))}


def _neighbour(s: str, i: int, step: int) -> str:
    """The nearest character that is not a space or a straight quote, looking left (step -1) or right (step 1):
    in "故事会","老师 the comma stands between Chinese words."""
    j = i + step
    while 0 <= j < len(s) and s[j] in SPACES + STRAIGHT:
        j += step
    return s[j] if 0 <= j < len(s) else ""


def halfwidth(t: Traced, log: Log) -> Traced:
    """Full-width digits, Latin letters and ％ become ASCII (１５．４ → 15.4): news style sets numbers half-width."""
    t = t.sub(FULLWIDTH_ALNUM, lambda m: chr(ord(m.group()) - 0xFEE0), log.changes,
              "full-width digits and Latin letters made half-width")
    return t.sub(FULLWIDTH_POINT, ".", log.changes, "full-width digits and Latin letters made half-width")


def _range(m: re.Match[str]) -> str:
    s = m.string
    chinese = is_zh(_neighbour(s, m.start(), -1)) or is_zh(_neighbour(s, m.end() - 1, 1))
    return f"{m.group(1)}～{m.group(2)}" if chinese else m.group()


def punctuation(t: Traced, log: Log) -> Traced:
    """ASCII , . ; : ! ? ( ) next to Chinese become full-width. Numbers keep theirs: 15.4万, 1,415, 10:30."""
    t = t.sub(ELLIPSIS, "……", log.changes, "ellipsis made …… (two full-width)")
    t = t.sub(RANGE_TILDE, _range, log.changes, "range mark ~ between numbers in Chinese made ～ (6～16)")
    t = t.sub(DOUBLE_HYPHEN, "——", log.changes, "double hyphen -- made a dash ——")
    s = t.text
    repl: dict[int, str] = {}
    stack: list[int] = []
    for i, ch in enumerate(s):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            a = stack.pop()
            # A pair is Chinese when it holds Han or stands beside it: 芯片(半导体), 人工智能(AI)技术.
            if re.search(f"[{HAN}]", s[a + 1:i]) or is_zh(_neighbour(s, a, -1)) or is_zh(_neighbour(s, i, 1)):
                repl[a], repl[i] = "（", "）"
    for i, ch in enumerate(s):
        if ch not in ASCII_FULL or i in repl:
            continue
        prev, nxt = _neighbour(s, i, -1), _neighbour(s, i, 1)
        tight_prev = s[i - 1] if i else ""
        tight_next = s[i + 1] if i + 1 < len(s) else ""
        zh = is_zh(prev) or is_zh(nxt)
        if ch in "()":
            ok = zh  # left unpaired (a column break inside the brackets): decided by its neighbours
        elif ch == ",":
            ok = zh and not (tight_prev.isdigit() and tight_next.isdigit())
        elif ch == ":":
            ok = zh and not (tight_prev.isdigit() and tight_next.isdigit())
        elif ch == ".":
            # A full stop right after Chinese or a quote closing it (a decimal point needs a digit before it):
            # 香气.75岁 → 香气。75岁, 讲得好". → 讲得好"。; never 15.4, No.1 or www.x.cn.
            ok = tight_prev not in SPACES and is_zh(prev) and not (tight_next.isascii() and tight_next.isalpha())
        else:
            ok = zh
        if ok:
            repl[i] = ASCII_FULL[ch]
    if repl:
        log.change("ASCII punctuation made full-width (，。；：！？（）)", len(repl))
    return t.replace_at(repl)


def dash_yi(t: Traced, log: Log, fix: bool) -> Traced:
    """A lone '-' among Han is an OCR slip for 一 or for the dash —. Fixed to 一 only before a word in
    DASH_YI_WORDS (-把手 → 一把手); always reported. Reported only: an 一 in a clause that links items with —
    (委一村…党组织—网格), and a — before such a word (—把手)."""
    s = t.text
    repl: dict[int, str] = {}
    for m in LONE_DASH.finditer(s):
        i = m.start()
        prev, nxt = _neighbour(s, i, -1), s[i + 1] if i + 1 < len(s) else ""
        if not is_han(nxt) or (prev and not (is_zh(prev) or prev in "\"'")):
            continue
        word = next((w for w in DASH_YI_WORDS if s.startswith(w[1:], i + 1)), None)
        if word and fix:
            repl[i] = "一"
            log.change("lone '-' read as 一 (-把手 → 一把手)")
            log.doubt("ocr-slip", t, f"'-' taken as 一 in {word}: check the print", i)
        else:
            log.doubt("ocr-slip", t, "lone '-' between Han characters: 一, the dash — or a hyphen?", i)
    for m in re.finditer(f"(?<![—])—(?![—])(?=[{HAN}])", s):
        if any(s.startswith(w[1:], m.end()) for w in DASH_YI_WORDS):
            log.doubt("ocr-slip", t, f"— before {s[m.end():m.end() + 2]}: 一 misread as a dash?", m.start())
    for m in CLAUSE.finditer(s):
        clause = m.group()
        links = [k for k in range(1, len(clause) - 1) if clause[k] == "—" and clause[k - 1] != "—"
                 and clause[k + 1] != "—"]
        if not links:
            continue
        for k in range(1, len(clause) - 1):
            if clause[k] == "一" and (is_han(clause[k - 1]) or clause[k - 1] in "）)") and is_han(clause[k + 1]):
                if any(clause.startswith(w, k) for w in DASH_YI_WORDS):
                    continue
                log.doubt("ocr-slip", t, "一 in a clause that links items with —: a misread dash?", m.start() + k)
    return t.replace_at(repl)


def _apostrophe(s: str, i: int) -> bool:
    """An apostrophe inside a Latin word (Xi'an, don't), not a quote."""
    latin = lambda ch: ch.isascii() and ch.isalpha()  # noqa: E731
    return 0 < i < len(s) - 1 and latin(s[i - 1]) and latin(s[i + 1])


def _span_cost(s: str, a: int, b: int) -> int:
    """How unlikely s[a..b] is as one quotation: quoted names and terms are short and hold no sentence stops."""
    inner = s[a + 1:b]
    return len(inner) + 40 * len(re.findall("[。！？；]", inner)) + 8 * len(re.findall("[，,]", inner))


def _pair(s: str, idx: list[int]) -> tuple[list[tuple[int, int]], int | None]:
    """Pair quote positions in order; with an odd count, leave out the one whose absence gives the likeliest spans."""
    if len(idx) % 2 == 0:
        return [(idx[k], idx[k + 1]) for k in range(0, len(idx), 2)], None
    best: tuple[int, list[tuple[int, int]], int] | None = None
    for drop in range(len(idx)):
        rest = idx[:drop] + idx[drop + 1:]
        pairs = [(rest[k], rest[k + 1]) for k in range(0, len(rest), 2)]
        cost = sum(_span_cost(s, a, b) for a, b in pairs)
        if best is None or cost < best[0]:
            best = (cost, pairs, idx[drop])
    assert best is not None
    return best[1], best[2]


def _lone_closes(s: str, i: int) -> bool:
    """A quote left over after pairing closes when only a short word precedes it in its clause (its opening
    quote was lost: 履行 -把手"第一责任人), and opens otherwise."""
    j = i - 1
    while j >= 0 and s[j] not in SPACES + "，。；：！？、,;:“‘「『（(":
        j -= 1
    return 0 < i - j - 1 <= 6


def pair_quotes(t: Traced, log: Log, style: str) -> Traced:
    """Straight quotes paired into “” (‘’ inside), or 「」 (『』 inside) for style "corner". A paragraph with no
    straight quote is left alone; unmatched ones are reported by check_brackets."""
    s = t.text
    if not any(ch in STRAIGHT and not (ch in "'＇" and _apostrophe(s, i)) for i, ch in enumerate(s)):
        return t
    roles: dict[int, tuple[str, str]] = {}  # index -> ("open"/"close", "double"/"single")
    for kind, chars in (("double", DOUBLE_QUOTES), ("single", SINGLE_QUOTES)):
        idx = [i for i, ch in enumerate(s) if ch in chars and not (kind == "single" and _apostrophe(s, i))]
        if not any(s[i] in STRAIGHT for i in idx):
            for i in idx:  # curly ones of this kind are already right
                roles[i] = ("open" if s[i] in "“‘" else "close", kind)
            continue
        pairs, lone = _pair(s, idx)
        for a, b in pairs:
            roles[a], roles[b] = ("open", kind), ("close", kind)
        if lone is not None:
            roles[lone] = ("close" if _lone_closes(s, lone) else "open", kind)
    depth = 0
    repl: dict[int, str] = {}
    for i in sorted(roles):
        role, kind = roles[i]
        if style == "corner":
            level = depth if role == "open" else depth - 1
            marks = QUOTE_STYLES["corner"][min(max(level, 0), 1)]
        else:
            marks = QUOTE_STYLES["curly"][0 if kind == "double" else 1]
        new = marks[0] if role == "open" else marks[1]
        depth = depth + 1 if role == "open" else max(0, depth - 1)  # a lone closing quote must not go below 0
        if new != s[i]:
            repl[i] = new
    straight_fixed = sum(1 for i in repl if s[i] in STRAIGHT)
    log.change("straight quotes paired into “ ” / ‘ ’" if style != "corner" else "straight quotes paired into 「」/『』",
               straight_fixed)
    log.change("curly quotes turned the right way", len(repl) - straight_fixed)
    return t.replace_at(repl)


def quote_spans(s: str) -> list[tuple[int, int]]:
    """(open, close) index pairs of “” and 「」 quotations, outermost and nested."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(s):
        if ch in "“「『‘":
            stack.append((ch, i))
        elif ch in "”」』’" and stack and BRACKETS[stack[-1][0]] == ch:
            spans.append((stack.pop()[1], i))
    return spans


def spaces(t: Traced, log: Log, han_latin: bool, protected: dict[str, str]) -> Traced:
    """Spaces between Chinese characters are OCR column breaks: removed. Between Han and digits or Latin they go
    too (the composer sets the clreq ¼-em gap itself) unless han_latin is off. Latin text keeps its spaces.
    Inside a quotation, the spacing of the same words in a headline is kept (“红武共进　聚力同行”), and so is a
    single space between two equal halves of four or more Han characters (a two-part slogan). A kept space is
    one word space, not U+3000: the composer stretches a word space in justification and drops it at a line
    end, while a full-width space is a fixed 1-em hole."""
    s = t.text
    keep: set[int] = set()
    for a, b in quote_spans(s):
        inner = s[a + 1:b]
        if not SPACE_RUN.search(inner):
            continue
        bare = SPACE_RUN.sub("", inner)
        target = protected.get(bare)
        if target is None:
            halves = inner.split()
            if len(halves) == 2 and len(halves[0]) == len(halves[1]) >= 4 and \
                    all(is_han(c) for c in halves[0] + halves[1]):
                target = f"{halves[0]} {halves[1]}"
                log.doubt("space", t, "kept the space in a quoted two-part phrase", a + 1 + inner.index(halves[1]))
        if target is None:
            continue
        gaps = {len(SPACE_RUN.sub("", target[:m.start()])) for m in SPACE_RUN.finditer(target)}
        for m in SPACE_RUN.finditer(inner):
            if len(SPACE_RUN.sub("", inner[:m.start()])) in gaps:
                keep.add(a + 1 + m.start())
    drop: set[int] = set()
    wide: dict[int, str] = {}
    for m in SPACE_RUN.finditer(s):
        start, end = m.start(), m.end()
        if start in keep:
            drop.update(range(start + 1, end))
            if s[start] != " ":
                wide[start] = " "
                log.change("space between two Chinese phrases kept, as a word space")
            continue
        prev, nxt = (s[start - 1] if start else ""), (s[end] if end < len(s) else "")
        if not prev or not nxt:
            drop.update(range(start, end))
            continue
        if is_zh(prev) and is_zh(nxt):
            label = "spaces between Chinese characters removed" if is_han(prev) and is_han(nxt) else \
                "spaces beside full-width punctuation removed"
        elif (is_zh(prev) and nxt.isascii() and nxt.isalnum()) or (is_zh(nxt) and prev.isascii() and prev.isalnum()):
            if not han_latin:
                continue
            label = "spaces between Han and digits or Latin removed (10 亿元 → 10亿元)"
        elif is_zh(prev) or is_zh(nxt):
            label = "spaces beside full-width punctuation removed"
        elif prev.isdigit() and nxt.isdigit() and _number_in_chinese(s, start, end):
            label = "spaces inside a number in Chinese text removed (1234 5 → 12345)"
            log.doubt("space", t, "space inside a number removed: check the figure", start)
        else:
            continue
        log.change(label)
        drop.update(range(start, end))
    return t.replace_at(wide).delete_at(drop)


def _number_in_chinese(s: str, start: int, end: int) -> bool:
    """The digits around a space form one number set in Chinese text (通过1234 5政务): OCR split it."""
    left = s[:start].rstrip("0123456789.")
    right = s[end:].lstrip("0123456789.")
    return (not left or is_zh(left[-1])) and (not right or is_zh(right[0]))


def check_brackets(t: Traced, log: Log) -> None:
    """Report every bracket or quote without its partner in this paragraph."""
    s = t.text
    stack: list[int] = []
    for i, ch in enumerate(s):
        if ch in BRACKETS:
            stack.append(i)
        elif ch in CLOSING:
            if stack and s[stack[-1]] == CLOSING[ch]:
                stack.pop()
            elif any(s[j] == CLOSING[ch] for j in stack):
                while s[stack[-1]] != CLOSING[ch]:
                    log.doubt("unmatched", t, f"{s[stack[-1]]} is never closed", stack.pop())
                stack.pop()
            else:
                log.doubt("unmatched", t, f"{ch} closes nothing", i)
    for i in stack:
        log.doubt("unmatched", t, f"{s[i]} is never closed", i)
