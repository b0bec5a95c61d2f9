"""One paragraph's text, size, font metrics and settings in, its per-character widths, spacing and break
opportunities out (the state the line breaker and the justifier share)."""

from __future__ import annotations

from ..marks import Mark
from . import kinsoku
from .chars import LATIN, PUNCT, SPACE, char_info, ruby_width
from .fontmetrics import FontMetrics
from .line import CompositionSettings

EPS = 1e-6  # pt: widths summed from floats count as equal within this
WORD_SPACE_SHRINK = 0.25  # a word space may lose a quarter of its width
HANGABLE = frozenset("、。，．,.")
RUBY_MIN_SCALE = 0.7  # a ruby wider than its base is drawn condensed, at least to this horizontal scale


def _anchors(text: str, ctx: list[bool], letter: list[bool],
             punct: list[bool]) -> tuple[list[tuple[int, int, int, int]], set[int]]:
    """Runs of contextual characters with the nearest letter before and after them.

    A span without a letter is shaped as script Common and misses `locl` (Noto CJK
    then draws —— 0.845 em wide instead of 2 em), so each such run is kept in one
    span with a letter: the punctuation between them gets no spacing and no
    compression. Returns (start, end, letter before or -1, letter after or -1)
    per run, and the characters that must not be compressed.
    """
    runs = []
    frozen: set[int] = set()
    n = len(text)
    i = 0
    while i < n:
        if not ctx[i]:
            i += 1
            continue
        a = i
        while i < n and ctx[i]:
            i += 1
        k = a - 1
        while k >= 0 and a - k <= 4 and punct[k] and not ctx[k]:
            k -= 1
        before = k if k >= 0 and letter[k] else -1
        k = i
        while k < n and k - i < 4 and punct[k] and not ctx[k]:
            k += 1
        after = k if k < n and letter[k] else -1
        if before >= 0:
            frozen.update(range(before + 1, a))
        if after >= 0:
            frozen.update(range(i, after))
        runs.append((a, i, before, after))
    return runs, frozen


class Paragraph:
    """Per-character arrays of one paragraph, in pt; boundary i sits between characters i and i+1."""

    def __init__(self, text: str, size: float, metrics: FontMetrics, st: CompositionSettings,
                 lead: tuple[int, FontMetrics] | None = None, marks: tuple[Mark, ...] = ()):
        self.text = text
        self.metrics = metrics
        n = self.n = len(text)
        compress = st.compress_punctuation
        # a lead-in (the dateline and byline run into the first paragraph) is drawn in another face:
        # measure it with that face's advances
        lead_n, lead_m = lead if lead else (0, metrics)
        info = [char_info(lead_m if i < lead_n else metrics, ch, compress) for i, ch in enumerate(text)]
        kind = self.kind = [c[0] for c in info]
        han = [c[1] for c in info]
        alnum = [c[2] for c in info]
        adv = self.adv = [c[4] * size for c in info]
        bl = self.bl = [c[6] * size for c in info]
        br = self.br = [c[7] * size for c in info]
        # word-spacing reaches every space and no-break space
        self.wsp = [ch == " " or ch == "\u00a0" for ch in text]
        self.han = any(h for h in han)  # Chinese text: Latin words in it may be tracked to fill a line
        # a span break before a Latin run and after it, so Pango shapes it as Latin and nothing else
        split = self.split = [False] * (n + 1)
        if metrics.cjk:
            i = 0
            while i < n:
                if kind[i] != LATIN:
                    i += 1
                    continue
                a = i
                while i < n and kind[i] == LATIN:
                    i += 1
                if any(text[j].isalpha() for j in range(a, i)):
                    for j in range(a, i):
                        adv[j] = info[j][5] * size
                    split[a] = True
                    k = i
                    while k < n and kind[k] == SPACE:
                        k += 1
                    split[k] = True
            letter = [h and ch.isalpha() for h, ch in zip(han, text)]
        else:
            letter = [k == LATIN and ch.isalpha() for k, ch in zip(kind, text)]
        if 0 < lead_n < n:
            split[lead_n] = True  # the lead-in ends a span, so the renderer can give it its face
        self.runs, frozen = _anchors(text, [c[3] for c in info], letter, [k == PUNCT for k in kind])
        for i in frozen:
            bl[i] = br[i] = 0.0
        ns, ne = kinsoku.no_start(st.kinsoku), kinsoku.no_end(st.kinsoku)
        half = 0.5 * size
        hl = st.han_latin_space * size
        hl_min = min(hl, size / 8)

        inside = self.inside = [False] * n
        gap = self.gap = [0.0] * n
        # blanks that widen a ruby group whose ruby is wider than its base (fixed: never stretched or squeezed)
        padl = self.padl = [0.0] * n
        padr = self.padr = [0.0] * n
        self.rubies = [(m.start, m.end, m.value) for m in marks if m.kind == "ruby" and 0 <= m.start < m.end <= n]
        self.dotted = [False] * n
        for m in marks:
            if m.kind == "dots":
                for i in range(max(0, m.start), min(n, m.end)):
                    self.dotted[i] = han[i]  # Han characters only: never punctuation, digits or Latin
        for a, b, ruby in self.rubies:
            extra = ruby_width(ruby, size, metrics) * RUBY_MIN_SCALE - sum(adv[a:b])
            if extra > EPS:
                padl[a] = padr[b - 1] = extra / 2
        pl = self.pl = [0.0] * n
        pr = self.pr = [0.0] * n
        for i in range(n - 1):
            a, b = text[i], text[i + 1]
            inside[i] = (kind[i] == LATIN and kind[i + 1] == LATIN) or kinsoku.inseparable(a, b) or b in kinsoku.POSTFIX
            if (han[i] and alnum[i + 1]) or (alnum[i] and han[i + 1]):
                gap[i] = hl
            # adjacent full-width marks lose half an em between them, the first one's trailing blank first
            if (br[i] or bl[i + 1]) and (br[i] or bl[i]) and (br[i + 1] or bl[i + 1]):
                pr[i] = min(br[i], half)
                pl[i + 1] = min(bl[i + 1], half - pr[i])
        for a, b, _ in self.rubies:
            for i in range(a, b - 1):
                inside[i] = True  # a ruby group never breaks and takes no spacing inside

        # brk[e]: a line may end before character e; resume[e]: where the next line starts
        brk = self.brk = [False] * (n + 1)
        resume = self.resume = list(range(n + 1))
        brk[n] = True
        q = n
        for e in range(n - 1, 0, -1):
            a, b = text[e - 1], text[e]
            if b == " ":
                if a != " ":
                    brk[e] = a not in ne and (q == n or text[q] not in ns)
                    resume[e] = q
                continue
            q = e
            if a == " ":
                continue
            # inside a Latin word the only break is after a hyphen
            if inside[e - 1] and not (a in "-\u2010" and e >= 2 and text[e - 2].isalpha() and b.isalpha()):
                continue
            brk[e] = b not in ns and a not in ne and not kinsoku.inseparable(a, b)

        # prefix sums: natural width and the most a stretch of text can be squeezed
        cw = self.cw = [0.0] * (n + 1)
        sh = self.sh = [0.0] * (n + 1)
        shl = self.shl = [0.0] * n
        shr = self.shr = [0.0] * n
        gsh = self.gsh = [0.0] * n
        ssp = self.ssp = [0.0] * n
        acc_w = acc_s = 0.0
        for i in range(n):
            shl[i] = bl[i] - pl[i]
            shr[i] = br[i] - pr[i]
            gsh[i] = gap[i] - hl_min if gap[i] > hl_min else 0.0
            if self.wsp[i]:
                ssp[i] = adv[i] * WORD_SPACE_SHRINK
            acc_w += adv[i] - pl[i] - pr[i] + gap[i] + padl[i] + padr[i]
            acc_s += shl[i] + shr[i] + gsh[i] + ssp[i]
            cw[i + 1] = acc_w
            sh[i + 1] = acc_s
        self.hang = st.hanging_punctuation
        self.end_half = compress and st.half_width_line_end

    def natural(self, s: int, e: int) -> float:
        return self.cw[e] - self.cw[s] - self.gap[e - 1] + self.pl[s] + self.pr[e - 1]

    def shrink(self, s: int, e: int) -> float:
        """Most the line [s, e) can lose, line-end punctuation included."""
        end = self.br[e - 1] if self.end_half else 0.0
        return self.sh[e] - self.sh[s] - self.gsh[e - 1] - self.shl[s] - self.shr[e - 1] + end

    def hanging(self, s: int, e: int) -> bool:
        return self.hang and e - 1 > s and self.text[e - 1] in HANGABLE

    def hang_natural(self, s: int, e: int) -> float:
        return self.cw[e - 1] - self.cw[s] - self.gap[e - 2] + self.pl[s]

    def glue(self, s: int, e: int) -> list[bool]:
        """Boundaries of line [s, e) that take no spacing: inside runs, and between a contextual run and its letter."""
        glue = self.inside[s:e]
        for a, b, before, after in self.runs:
            if b <= s or a >= e:
                continue
            if before >= s:
                lo, hi = before, b - 1
            elif 0 <= after < e:
                lo, hi = a, after
            else:
                lo, hi = a, b - 1
            for i in range(max(lo, s), min(hi, e - 1)):
                glue[i - s] = True
        return glue
