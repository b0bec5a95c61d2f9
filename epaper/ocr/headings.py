"""Classified units in, the text units that are headline lines marked (role "head") out: by the markup's heading
levels, on an unpunctuated page by length and brackets, else by punctuation and what stands below them."""

from __future__ import annotations

import re

from .clean import BOLD_LEVEL
from .recognise import headline_like
from .text import CLOSERS, SPACES, ends_sentence, han_only
from .units import Marks, Unit

KICKER_MAX = 20  # Han characters of a 引题 ending in a comma; also the most a body sentence can have to be a heading
CLASSICAL_HEAD_MAX = 14  # Han characters of an unbracketed headline line on an unpunctuated page
BRACKETED = re.compile(f"^[{SPACES}]*[\\[［【〔][^\\]］】〕]{{1,40}}[\\]］】〕][{SPACES}]*$")


def assign_roles(units: list[Unit], col: float | None, marks: Marks = Marks()) -> None:
    """Mark the text units that are headline or subhead lines. Candidates are headline-like and follow a finished
    sentence, a headline line, a caption, a byline or the start. A run of candidates over a dateline, byline or
    caption is a headline whatever its commas; a run over body text keeps only strictly headline-like lines up
    to the first one that is a full column line running on into the next (column text, not a headline)."""
    headings = any(level < BOLD_LEVEL for level in marks.levels.values())  # # or <h1>: the markup says it all
    if headings or marks.classical:
        lengths = sorted(len(han_only(x.text.text)) for x in units if x.kind == "text") or [0]
        full = lengths[int(0.9 * (len(lengths) - 1))]  # a full column line
        for i, u in enumerate(units):
            if u.kind == "text" and not _body_sentence(u.text.text) and \
                    (u.text.line in marks.levels or _classical_head(units, i, marks, full)):
                u.role = "head"
                if marks.classical and BRACKETED.match(u.text.text):  # [滬上冬賑]: the brackets mark a headline
                    inner = u.text.strip()
                    u.text = inner[1:len(inner) - 1].strip()
        for i, u in enumerate(units):  # an unmarked 引题 right above a marked 主题, an unmarked ——副题 right below
            if u.kind != "text" or u.role == "head" or not headline_like(u.text.text, strict=False):
                continue
            nxt, prev = (units[i + 1] if i + 1 < len(units) else None), (units[i - 1] if i else None)
            above = nxt is not None and nxt.role == "head" and nxt.gap == 0 and (prev is None or u.gap > 0)
            below = prev is not None and prev.role == "head" and u.gap == 0 and u.text.text.lstrip(SPACES)[:1] == "—"
            if above or below:
                u.role = "head"
        return  # the markup says which lines are headings; or no line can be told by its punctuation
    cand = [False] * len(units)
    for i, u in enumerate(units):
        if u.kind != "text" or not (headline_like(u.text.text, strict=False) or _kicker_like(units, i)):
            continue
        prev = units[i - 1] if i else None
        before = prev.text.text if prev is not None else ""
        if i >= 2 and before and not before.strip(SPACES + CLOSERS + "\"'"):  # a closing quote alone on its line
            before = units[i - 2].text.text + before
        if prev is not None and prev.kind in ("text", "dateline") and not (prev.kind == "text" and cand[i - 1]) \
                and before and not ends_sentence(before):
            continue
        cand[i] = True
    i = 0
    while i < len(units):
        if not cand[i]:
            i += 1
            continue
        j = i
        while j < len(units) and cand[j]:
            j += 1
        after = units[j] if j < len(units) else None
        if after is not None and after.kind in ("dateline", "byline"):
            for k in range(i, j):
                units[k].role = "head"
        elif after is not None and after.kind in ("caption", "credit"):
            for k in range(i, j):  # a photo's title has no comma; a line with one starts the wrapped caption
                if re.search("[，,]", units[k].text.text):
                    break
                units[k].role = "head"
        else:
            for k in range(i, j):
                u, nxt = units[k], (units[k + 1] if k + 1 < len(units) else None)
                # A full column line that runs on into the next is text: a paragraph's first line (indented,
                # maybe after a blank) or a line within it.
                column_line = bool(col) and (u.gap == 0 or u.indented) and k > 0 and \
                    len(u.text) >= 0.8 * (col or 0) and nxt is not None and nxt.kind == "text" and nxt.gap == 0 \
                    and not nxt.indented
                if not (headline_like(u.text.text) or _kicker_like(units, k)) or column_line:
                    break
                u.role = "head"
        i = j
    for u in units:  # bold lines (**一、…**) in an export without # headings: headings, found with the rest
        if u.kind == "text" and u.text.line in marks.levels and not _body_sentence(u.text.text):
            u.role = "head"


def _body_sentence(s: str) -> bool:
    """A long line ending a sentence reads as body text, whatever markup says: never a headline."""
    return ends_sentence(s) and len(han_only(s)) > KICKER_MAX


def _kicker_like(units: list[Unit], i: int) -> bool:
    """A 引题 that leads into the 主题 below it with a comma or colon (为了群众少跑腿， / 我区…): short, no sentence
    stop, directly over a headline-like line."""
    u = units[i]
    nxt = units[i + 1] if i + 1 < len(units) else None
    core = u.text.text.strip(SPACES)
    if not (u.kind == "text" and core[-1:] in "，：,:" and 4 <= len(han_only(core)) <= KICKER_MAX and
            not re.search("[。；！？]", core) and (i == 0 or u.gap > 0) and nxt is not None and nxt.kind == "text"
            and nxt.gap == 0 and headline_like(nxt.text.text)):
        return False
    # A column line ending in a comma looks the same: only a deck standing over a dateline or byline is one.
    j = i + 1
    while j < len(units) and j <= i + 3 and units[j].kind == "text" and headline_like(units[j].text.text, False):
        j += 1
    return j < len(units) and units[j].kind in ("dateline", "byline")


def _classical_head(units: list[Unit], i: int, marks: Marks, full: int) -> bool:
    """On an unpunctuated page every line looks like a headline: only a bracketed line ([…], 【…】), or a short
    line over a longer one after a line that ended short (a story's end, not text running on), is one."""
    u = units[i]
    if not marks.classical or u.kind != "text":
        return False
    if BRACKETED.match(u.text.text):
        return True
    n = len(han_only(u.text.text))
    nxt = units[i + 1] if i + 1 < len(units) else None
    if not 2 <= n <= CLASSICAL_HEAD_MAX or nxt is None:
        return False
    if nxt.kind == "text" and len(han_only(nxt.text.text)) <= n + 4:
        return False
    prev = units[i - 1] if i else None
    # text running on across a page break: the line before the break is a full one
    return prev is None or prev.kind != "text" or len(han_only(prev.text.text)) < 0.9 * full or \
        BRACKETED.match(prev.text.text) is not None
