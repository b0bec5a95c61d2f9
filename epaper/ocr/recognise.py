"""One line in, what it is out: a dateline with its byline, a byline alone, a photo credit, a headline-like line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .patterns import (BYLINE_MARK, CAPTION_MARK, CORRESPONDENT_LABELS, CREDIT_LABELS, CREDIT_MARK, DATELINE, LABEL,
                       NAME, NAME_SEP, PAREN_DATELINE, PHOTO_BY, REPORT_TAIL, REPORTED_FROM, SOURCE_NOTE,
                       WRITER_PREFIX)
from .text import SPACES, Traced, han_only, is_han

HEADLINE_MAX = 40  # characters without spaces
SPACE_RE = re.compile(f"[{SPACES}]+")
PAREN_BYLINE = re.compile(f"^[{SPACES}]*[（(][{SPACES}]*(?P<by>[^（）()]{{1,60}}?)[{SPACES}]*[）)]")


@dataclass
class Byline:
    """Dateline and names from 本报讯（记者 X 通讯员 Y） and its kin; labels are the words no field keeps."""

    dateline: Traced | None = None
    reporters: list[Traced] = field(default_factory=list)
    correspondents: list[Traced] = field(default_factory=list)
    labels: list[Traced] = field(default_factory=list)

    def merge(self, other: Byline) -> None:
        self.dateline = self.dateline or other.dateline
        seen = {n.text for n in self.reporters + self.correspondents}
        self.reporters += [n for n in other.reporters if n.text not in seen]
        self.correspondents += [n for n in other.correspondents if n.text not in seen]
        self.labels += other.labels

    @property
    def empty(self) -> bool:
        return not (self.dateline or self.reporters or self.correspondents)


@dataclass
class Credit:
    """The names before 摄 (a label such as 本报记者 stays with them: it is printed) and the 摄 mark itself."""

    names: list[Traced]
    labels: list[Traced]


def _role(label: str) -> str:
    return "correspondent" if SPACE_RE.sub("", label) in CORRESPONDENT_LABELS else "reporter"


def parse_names(t: Traced) -> list[Traced] | None:
    """Names separated by spaces or 、; None if any piece is not a name."""
    names: list[Traced] = []
    last = 0
    for m in [*NAME_SEP.finditer(t.text), None]:
        end = m.start() if m else len(t.text)
        piece = t[last:end]
        if piece.text:
            if not NAME.fullmatch(piece.text):
                return None
            names.append(piece)
        last = m.end() if m else end
    return names


def parse_byline_content(t: Traced) -> Byline | None:
    """记者 X 通讯员 Y, 记者X, X Y (names alone count as reporters)."""
    by = Byline()
    role = "reporter"
    last = 0
    for m in [*LABEL.finditer(t.text), None]:
        end = m.start() if m else len(t.text)
        names = parse_names(t[last:end].strip())
        if names is None:
            return None
        (by.correspondents if role == "correspondent" else by.reporters).extend(names)
        if m:
            by.labels.append(t[m.start():m.end()])
            role = _role(m.group())
            last = m.end()
    return by if by.reporters or by.correspondents else None


def _unbracketed_byline(rest: Traced) -> tuple[Byline, Traced] | None:
    """本报讯 记者 X 通讯员 Y 正文… (or 记者张三通讯员李四 正文…): labels and names, each name followed by a space,
    a 、 or the next label; stops at the first word that is neither."""
    by = Byline()
    s = rest.text
    skip = lambda j, chars=SPACES: j + len(s[j:]) - len(s[j:].lstrip(chars))  # noqa: E731
    i = skip(0)
    role = ""
    while True:
        m = LABEL.match(s, i)
        if m:
            by.labels.append(rest[m.start():m.end()])
            role, i = _role(m.group()), skip(m.end())
            continue
        end = next((i + n for n in (2, 3, 4) if role and i + n < len(s) and all(is_han(c) for c in s[i:i + n])
                    and (s[i + n] in SPACES + "、" or LABEL.match(s, i + n))), None)
        if end is None:
            break
        (by.correspondents if role == "correspondent" else by.reporters).append(rest[i:end])
        i = skip(end, SPACES + "、")
    if not (by.reporters or by.correspondents):
        return None
    return by, rest[i:]


def match_dateline(t: Traced) -> tuple[Byline, Traced] | None:
    """A line that starts with 本报讯, 本报X月X日讯, 新华社X地X月X日电 or 【…电】, then maybe a byline; returns the
    byline and the rest of the line (the start of the body)."""
    lead = len(t.text) - len(t.text.lstrip(SPACES))
    for form in (PAREN_DATELINE, REPORTED_FROM):  # （中央社記者王小明台北18日電）, 〔記者X／新竹報導〕: kept as printed
        if (p := form.match(t.text[lead:])) is not None:
            return Byline(dateline=t[lead + p.start("dl"):lead + p.end("dl")]), t[lead + p.end():].strip()
    m = DATELINE.match(t.text)
    if not m:
        return None
    dl = t[m.start("dl"):m.end("dl")]
    rest = t[m.end():]
    by = Byline(dateline=dl)
    if (found := paren_byline(rest)) is not None or (found := _unbracketed_byline(rest)) is not None:
        by.merge(found[0])
        rest = found[1]
    return by, rest.strip()


def paren_byline(rest: Traced) -> tuple[Byline, Traced] | None:
    """（记者 X 通讯员 Y） at the start of the text after a dateline; returns the byline and the text after it."""
    p = PAREN_BYLINE.match(rest.text)
    if not p:
        return None
    inner = parse_byline_content(rest[p.start("by"):p.end("by")])
    return (inner, rest[p.end():].strip()) if inner else None


def opens_byline(rest: Traced) -> bool:
    """The text after a dateline opens a bracket it does not close: the byline runs on to the next line."""
    s = rest.text.lstrip(SPACES)
    return s[:1] in "（(" and not re.search("[）)]", s)


def match_byline_line(t: Traced) -> Byline | None:
    """A byline alone on its line: □本报记者 X, 文/图 X, 记者 X 通讯员 Y, 本报记者X报道, （本报记者 X）."""
    s = t.text
    start, end = 0, len(s)
    labels: list[Traced] = []
    marked = False
    if (m := BYLINE_MARK.match(s)) is not None:
        start, marked = m.end(), True
    if s[start:end].startswith(("（", "(")) and s.endswith(("）", ")")):
        start, end, marked = start + 1, end - 1, True
    if (m := WRITER_PREFIX.match(s, start)) is not None and m.end() > start:
        labels.append(t[start:m.end()])
        start, marked = m.end(), True
    if (m := REPORT_TAIL.search(s[:end])) is not None and m.start() > start:
        labels.append(t[m.start():end])
        end, marked = m.start(), True
    by = parse_byline_content(t[start:end].strip())
    if by is None or not (marked or by.labels):
        return None
    by.labels = labels + by.labels
    return by


def match_byline_lead(t: Traced) -> tuple[Byline, Traced] | None:
    """本报记者张三报道 正文… or （记者 张三）正文…: a byline without dateline that runs into the body."""
    if (found := paren_byline(t)) is not None and found[0].labels and found[1]:
        return found
    m = re.match(f"^(?:[□■◆●▲][{SPACES}]*)?(?P<by>.{{2,30}}?)(?P<tail>报道|報導|报导|報道)[{SPACES}：:]*", t.text)
    if not m or not LABEL.match(t.text, m.start("by")):
        return None
    by = parse_byline_content(t[m.start("by"):m.end("by")].strip())
    if by is None:
        return None
    by.labels.append(t[m.start("tail"):m.end("tail")])
    rest = t[m.end():].strip()
    return (by, rest) if rest else None


def _credit_token_ok(tok: str, after_label: bool, first: bool) -> bool:
    """A label (本报记者), a label glued to a name of two or three characters (本报记者陆新), or a name; a
    four-character name only right after a label or at the start of the credit (it may be caption text)."""
    if CREDIT_LABELS.fullmatch(tok):
        return True
    bare = CREDIT_LABELS.sub("", tok)
    if bare != tok:
        return bool(NAME.fullmatch(bare)) and len(bare) <= 3
    return bool(NAME.fullmatch(tok)) and (len(tok) <= 3 or after_label or first or not is_han(tok[0]))


def _marked(t: Traced, credit: Credit) -> tuple[Traced, Credit]:
    """A caption with its ▲ / ■ mark taken off (the mark kept as a label: the layout sets captions apart itself)."""
    m = CAPTION_MARK.match(t.text)
    if m is None:
        return t, credit
    return t[m.end():].strip(), Credit(credit.names, [t[:m.end()].strip(), *credit.labels])


def _after_sentence(s: str, start: int, marked: bool) -> bool:
    """What stands before a credit at the end of a line is a finished caption (or the line is a marked caption)."""
    lead = s[:start].rstrip(SPACES)
    return bool(lead) and (marked or lead[-1] in "。！？」”）)" or start > len(lead))


def _source_credit(t: Traced) -> tuple[Traced, Credit] | None:
    """Captions whose source is not a photographer (資料圖片, 取自網路, （X提供）) keep the note in the caption, as
    printed; 圖／X names X as the credit: '…。圖／記者張三攝', '（圖／中央社）'."""
    s = t.text.rstrip(SPACES)
    marked = CAPTION_MARK.match(s) is not None
    if (m := SOURCE_NOTE.search(s)) is not None and _after_sentence(s, m.start(), marked):
        return _marked(t[:len(s)].strip(), Credit([], []))
    if (m := PHOTO_BY.search(s)) is not None and _after_sentence(s, m.start(), marked):
        who = t[m.start("who"):m.end("who")]
        names: list[Traced] = []
        for tok in re.finditer(f"[^{SPACES}、]+", who.text):
            label = CREDIT_LABELS.match(tok.group())
            if label and label.end() < len(tok.group()):
                names += [who[tok.start():tok.start() + label.end()], who[tok.start() + label.end():tok.end()]]
            else:
                names.append(who[tok.start():tok.end()])
        labels = [t[m.start():m.start("who")].strip(), t[m.end("who"):m.end()].strip()]
        return _marked(t[:m.start()].strip(), Credit(names, [x for x in labels if x]))
    return None


def match_credit(t: Traced) -> tuple[Traced, Credit] | None:
    """Caption text and the credit at its end: '…条件。 陆新 钱垒 摄', '（本报记者 陆新 摄）', '陆新摄' after 。,
    '（記者王小明／攝）', '圖／記者張三', and source notes (資料圖片, （X提供）) kept in the caption. The names must
    follow a space, a sentence end or a bracket, so '…现场拍摄' is not a credit."""
    s = t.text.rstrip(SPACES)
    if (found := _source_credit(t)) is not None:
        return found
    m = CREDIT_MARK.search(s)
    if not m:
        return None
    before = s[:m.start()]
    tokens = list(re.finditer(f"[^{SPACES}、，,。！？；：”」）)(（“「]+", before))
    taken: list[re.Match[str]] = []
    for k in range(len(tokens) - 1, -1, -1):
        tok = tokens[k]
        prev_end = tokens[k - 1].end() if k else 0
        gap = before[prev_end:tok.start()]
        first = k == 0 or bool(re.search("[。！？）)（(」”]", gap))
        if not _credit_token_ok(tok.group(), bool(taken) and CREDIT_LABELS.match(taken[-1].group()) is not None,
                                first):
            break
        taken.append(tok)
        if first or re.search("[，,；：]", gap):
            break
    if not taken:
        return None
    taken.reverse()
    lead = before[:taken[0].start()]
    spaced = bool(re.search(f"[{SPACES}]$", before)) or bool(re.search(f"[{SPACES}]$", lead))
    boundary = not lead.strip(SPACES + "（(") or bool(re.search(f"[。！？）)」”][{SPACES}（(]*$", lead))
    if not (spaced or boundary):
        return None
    names: list[Traced] = []
    for tok in taken:
        label = CREDIT_LABELS.match(tok.group())
        if label and label.end() < len(tok.group()):  # 本报记者陆新: keep the label, split off the name
            names += [t[tok.start():tok.start() + label.end()], t[tok.start() + label.end():tok.end()]]
        else:
            names.append(t[tok.start():tok.end()])
    caption = t[:len(lead.rstrip(SPACES + "（("))]
    return _marked(caption.strip(), Credit(names, [t[m.start("mark"):m.end("mark")]]))


def headline_like(s: str, strict: bool = True) -> bool:
    """Short, holds Han, no sentence stop inside, does not end or start mid-clause. Strict: at most one comma,
    in a short line (a 副题 over a dateline may be longer and hold more)."""
    core = s.strip(SPACES)
    n = len(SPACE_RE.sub("", core))
    if not 2 <= n <= HEADLINE_MAX or not han_only(core):
        return False
    if re.search("[。；;]", core) or core[-1] in "，、：,:（(“‘「『《【—-" or core[0] in "，。、；：？！）》”’」』…,.":
        return False
    commas = len(re.findall("[，,]", core))
    return not strict or commas == 0 or (commas == 1 and n <= 24)
