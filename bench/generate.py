"""A deterministic generator of realistic newspaper issues, for the layout property tests and the benchmark.

    python bench/generate.py OUT_DIR --seed N --pages 8

writes OUT_DIR/paper.toml (language zh-CN, layout broadsheet) and one issue folder OUT_DIR/<date>/ in the format
of README.md: issue.toml with a page plan (template "front" for page 1, "inside" for the others), articles/*.md
(引题/主题/副题, 本报讯 with reporters, photos with captions and credits, sometimes a photo-news item) and
images/*.png (flat placeholder pictures made with Pillow, 3:2, 4:3, 2:3 or 1:1). The same arguments always give
the same files, byte for byte.

Text. Sentences are assembled from the built-in phrase vocabulary in bench/vocab.py (a theme per article:
industry, livelihood, agriculture …; openers, body sentences with quotations in “”, closers, subheads), with
Latin words and digits mixed in (5G, AI, GDP, 2024年, 15.4万, 74%) unless latin=False, which writes numbers
in Chinese numerals and uses no Latin letters. No sentence is used twice in an issue, so every paragraph is
unique (the property test counts each paragraph in the PDF).

Sizing the copy to the page. An automatic layout can only fill a page whose copy fits it, so the generator does
not write text first and hope: for every page it
  1. draws the page's story count (articles_per_page), photos (photos_per_page; sometimes one is a photo-news
     item) and a desired length per story (length_range, scaled so the page carries about chars_per_page of
     copy on a full inside page, pro rata on the front page below the masthead);
  2. plans a tiling of the kind epaper.layout.autoplace searches: the lead across the top (8 columns, or 5–6
     with a side strip), strips of 2–5 columns below, the second story heading the widest strip, the others
     stacked in order of importance; each photo's width (its aspect ratio is drawn at random) is chosen so
     that the photos take the area the copy leaves (so that the page holds about chars_per_page characters);
  3. gives every module a height in lines so that each strip is exactly full (within the stories' minimum and
     maximum lengths), and writes each story sentence by sentence, measuring it with the real composer
     (epaper.layout.place.layout_module) until its natural height is the planned one and its last column is
     full (short sentences top up the last lines);
  4. lays the page out exactly as the build will (epaper.layout.place.layout_issue on a one-page issue, with a
     Composer of its own) and accepts it when nothing is overset and the fill (area_fill × text_fill) is at
     least ACCEPT_FILL; otherwise it plans again from the next sub-seed (up to ATTEMPTS times, keeping the best
     page; from the third attempt the draw is nudged by a story and a photo, for draws that cannot fill the
     page within length_range).
The generator therefore guarantees fittable copy, not a particular arrangement: the engine is free to find a
different (equally full) tiling. Pass `report=[]` to get each page's fill, attempts and size (GeneratedPage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import re
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

try:
    from bench import vocab
except ImportError:  # run as `python bench/generate.py`: the repository root is not on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench import vocab

from PIL import Image, ImageDraw

from epaper.paths import FONTS, LAYOUTS
from epaper.fonts import load_palette
from epaper.layout.autoplace import free_band
from epaper.layout.autosearch import STRIP_WIDTHS, Shape, compositions, photo_spans, rank_for
from epaper.layout.grid import Layout, Rect, Slot, load_layout
from epaper.errors import LayoutError
from epaper.layout.composer import Composer, composition_settings
from epaper.layout.headlines import headline_boxes
from epaper.layout.module import layout_module
from epaper.layout.place import layout_issue
from epaper.layout.types import Module, PageLayout
from epaper.model import Article, Block, Issue, Page, Paper, Photo
from epaper.source.folder import load_issue, load_paper
from epaper.strings import Strings

ACCEPT_FILL = 0.99  # a page below this is planned again (the property test asks ≥ 97 %, median ≥ 99 %)
ATTEMPTS = 6  # plans per page before the best one is kept
MARKER = ".generated-by-bench"  # an issue folder holding this file may be replaced by a new run
ASPECTS = {"3:2": (3, 2), "4:3": (4, 3), "2:3": (2, 3), "1:1": (1, 1)}
PHOTO_PX = 360  # long side of a placeholder image
CHARS_PER_LINE = 12.3  # body characters per column-line on average (13 字 less indents and paragraph ends)

PAPER_TOML = """\
# A generated paper (bench/generate.py): the name, places and people in its issues are invented.
name = "模拟日报"
name_latin = "SIMULATED DAILY"
slug = "sim-daily"
publisher = "模拟日报社"
language = "zh-CN"
layout = "broadsheet"
cn = "CN 99-0001"
slogan = "生成的版面 · 测试排版"
address = "社址：虚构市模拟区（测试用）"

[composition]
kinsoku = "basic"
han_latin_space = 0.25
"""


# ---------------------------------------------------------------------------------------------------------------
# Text


def cn_int(n: int) -> str:
    """An integer below 10^8 in Chinese numerals (3260 → 三千二百六十, 15 → 十五, 105 → 一百零五)."""
    digits = "零一二三四五六七八九"
    if n == 0:
        return "零"
    if n >= 10000:
        high, low = divmod(n, 10000)
        rest = "" if low == 0 else ("零" if low < 1000 else "") + cn_int(low)
        return cn_int(high) + "万" + rest
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero and out:
                out += "零"
            out += digits[d] + unit
            zero = False
        elif out:
            zero = True
    return out[1:] if out.startswith("一十") else out


def cn_decimal(text: str) -> str:
    whole, _, frac = text.partition(".")
    digits = "零一二三四五六七八九"
    return cn_int(int(whole)) + ("点" + "".join(digits[int(c)] for c in frac) if frac else "")


class Writer:
    """Fills templates from the vocabulary with one random stream; remembers the sentences used in an issue."""

    STICKY = ("quote", "scene", "site")  # phrases a story should not repeat

    def __init__(self, rng: random.Random, latin: bool, year: int, used: set[str]):
        self.rng, self.latin, self.year, self.used = rng, latin, year, used
        self.in_story: set[str] = set()

    def new_story(self) -> None:
        self.in_story = set()

    # numbers -----------------------------------------------------------------------------------------------
    def num(self, kind: str) -> str:
        r = self.rng
        if kind == "pct":
            v = f"{r.randint(3, 98)}" if r.random() < 0.5 else f"{r.uniform(1, 60):.1f}"
            return f"{v}%" if self.latin else "百分之" + cn_decimal(v)
        if kind == "smallpct":
            v = f"{r.uniform(0.1, 2):.1f}"
            return f"{v}%" if self.latin else "百分之" + cn_decimal(v)
        if kind == "times":
            v = r.choice(("1.5", "2", "3", "4"))
            return v if self.latin else cn_decimal(v)
        if kind == "money":
            v = r.randint(5, 980) * 10
            return f"{v}万元" if self.latin else cn_int(v) + "万元"
        if kind == "bigmoney":
            v = f"{r.uniform(1.2, 98):.1f}"
            return f"{v}亿元" if self.latin else cn_decimal(v) + "亿元"
        if kind == "count":
            if r.random() < 0.5:
                v = f"{r.uniform(1.1, 30):.1f}"
                return f"{v}万" if self.latin else cn_decimal(v) + "万"
            v2 = r.randint(120, 9800)
            return str(v2) if self.latin else cn_int(v2)
        if kind == "small":
            v2 = r.randint(2, 60)
            return str(v2) if self.latin else cn_int(v2)
        if kind == "income":
            v2 = r.randint(8, 60) * 100
            return str(v2) if self.latin else cn_int(v2)
        if kind == "month":
            v2 = r.randint(1, 12)
            return str(v2) if self.latin else cn_int(v2)
        if kind in ("year", "lastyear", "nextyear"):
            y = self.year + {"year": 0, "lastyear": -1, "nextyear": 1}[kind]
            return f"{y}年" if self.latin else "".join("〇一二三四五六七八九"[int(c)] for c in str(y)) + "年"
        raise KeyError(kind)

    def name(self) -> str:
        r = self.rng
        return r.choice(vocab.SURNAMES) + "".join(r.choice(vocab.GIVEN) for _ in range(r.choice((1, 2, 2))))

    # templates ---------------------------------------------------------------------------------------------
    def fill(self, template: str, theme: str, seen: set[str] | None = None) -> str:
        """Expand the slots of a template; one slot used twice in a sentence gets two different phrases."""
        table = vocab.THEMES[theme]
        seen = set() if seen is None else seen

        def slot(m: re.Match) -> str:
            key = m.group(1)
            if key.startswith("num:"):
                return self.num(key[4:])
            if key.startswith("lat:"):
                latin, chinese = vocab.LATIN[key[4:]]
                return latin if self.latin else chinese
            if key == "name":
                return self.name()
            if key == "town":
                return self.rng.choice(vocab.TOWNS)
            if key == "village":
                return self.rng.choice(vocab.VILLAGES)
            if key == "zone":
                return self.rng.choice(vocab.ZONES)
            if key == "time2":
                return self.rng.choice(("三年前", "五年前", "去年年初", self.num("lastyear")))
            if key == "topic_short":
                key = "topic"
            choices = table.get(key) or vocab.GENERAL[key]
            fresh = [c for c in choices if c not in seen] or list(choices)
            if key in self.STICKY:
                fresh = [c for c in fresh if c not in self.in_story] or fresh
            choice = self.rng.choice(fresh)
            seen.add(choice)
            if key in self.STICKY:
                self.in_story.add(choice)
            return self.fill(choice, theme, seen)

        return re.sub(r"\{([a-z0-9_:]+)\}", slot, template)

    def unique(self, templates: tuple[str, ...], theme: str, *, max_len: int = 10_000, tries: int = 25) -> str:
        """A sentence not yet used in this issue (and at most max_len characters, when one can be found)."""
        best = ""
        for _ in range(tries):
            s = self.fill(self.rng.choice(templates), theme)
            if s in self.used:
                continue
            if len(s) <= max_len:
                self.used.add(s)
                return s
            if not best or len(s) < len(best):
                best = s
        if best:
            self.used.add(best)
        return best

    def body_sentence(self, theme: str, *, first: bool = False, closing: bool = False, max_len: int = 10_000) -> str:
        if first:
            return self.unique(vocab.OPENERS, theme, max_len=max_len)
        if closing:
            return self.unique(vocab.CLOSERS, theme, max_len=max_len)
        if self.latin and self.rng.random() < 0.05:
            s = self.fill(self.rng.choice(vocab.LATIN_ASIDES), theme)
            if s not in self.used and len(s) <= max_len:
                self.used.add(s)
                return s
        return self.unique(vocab.BODY, theme, max_len=max_len)

    def short_sentence(self, theme: str, max_len: int) -> str:
        return self.unique(vocab.SHORT + vocab.BODY, theme, max_len=max_len, tries=40)

    def headline(self, kind: str, theme: str, max_len: int) -> str:
        templates = {"kicker": vocab.KICKERS, "title": vocab.TITLES, "subtitle": vocab.SUBTITLES}[kind]
        for _ in range(30):
            s = self.fill(self.rng.choice(templates), theme)
            if len(s) <= max_len and s not in self.used:
                self.used.add(s)
                return s
        return s[:max_len]

    def subhead(self, theme: str) -> str:
        return self.unique(("{phrase4} {phrase4}", "{phrase4}，{phrase4}"), theme, tries=40)


# ---------------------------------------------------------------------------------------------------------------
# Stories


@dataclass
class PhotoSpec:
    file: str
    aspect: str  # a key of ASPECTS
    caption: str
    credit: str

    @property
    def px(self) -> tuple[int, int]:
        w, h = ASPECTS[self.aspect]
        scale = PHOTO_PX / max(w, h)
        return round(w * scale), round(h * scale)


@dataclass
class Story:
    """One article being written: front matter, the photo, and the body as paragraphs of sentences."""

    id: str
    kind: str  # article | photo-news
    theme: str
    title: str = ""
    kicker: str = ""
    subtitle: str = ""
    reporters: tuple[str, ...] = ()
    correspondents: tuple[str, ...] = ()
    photo: PhotoSpec | None = None
    blocks: list[tuple[str, list[str]]] = field(default_factory=list)  # ("p", sentences) | ("h", [text])

    @property
    def chars(self) -> int:
        return sum(len(s) for _, ss in self.blocks for s in ss)

    def body(self) -> tuple[Block, ...]:
        return tuple(Block(kind, "".join(ss)) for kind, ss in self.blocks if ss)

    def article(self, root: Path) -> Article:
        photos = ()
        if self.photo:
            w, h = self.photo.px
            # photo news carries its caption as the body; its photo table has only the alt text
            caption = self.photo.caption if self.kind == "article" else ""
            photos = (Photo(path=root / self.photo.file, caption=caption, credit=self.photo.credit,
                            alt=self.photo.caption, width_px=w, height_px=h, placeholder=True),)
        return Article(id=self.id, kind=self.kind, title=self.title, kicker=self.kicker, subtitle=self.subtitle,
                       dateline="本报讯" if self.kind == "article" else "", reporters=self.reporters,
                       correspondents=self.correspondents, photos=photos, body=self.body(),
                       source=root / "articles" / f"{self.id}.md")


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def story_markdown(story: Story) -> str:
    fm = []
    if story.kind != "article":
        fm.append(f"kind = {toml_str(story.kind)}")
    for key in ("kicker", "title", "subtitle"):
        if getattr(story, key):
            fm.append(f"{key} = {toml_str(getattr(story, key))}")
    if story.kind == "article":
        fm.append('dateline = "本报讯"')
        if story.reporters:
            fm.append("reporters = [" + ", ".join(toml_str(n) for n in story.reporters) + "]")
        if story.correspondents:
            fm.append("correspondents = [" + ", ".join(toml_str(n) for n in story.correspondents) + "]")
    if story.photo:
        fm += ["", "[[photos]]", f"file = {toml_str(story.photo.file)}"]
        if story.kind == "article":
            fm.append(f"caption = {toml_str(story.photo.caption)}")
        else:
            fm.append(f"alt = {toml_str(story.photo.caption)}")
        fm += [f"credit = {toml_str(story.photo.credit)}", "placeholder = true"]
    body = []
    for kind, ss in story.blocks:
        if ss:
            body.append(("## " if kind == "h" else "") + "".join(ss))
    return "+++\n" + "\n".join(fm) + "\n+++\n\n" + "\n\n".join(body) + "\n"


def placeholder_png(path: Path, spec: PhotoSpec, rng: random.Random) -> None:
    """A flat picture (sky, sun, hills, buildings) in a few colours: recognisably a stand-in, cheap to store."""
    w, h = spec.px
    hue = rng.random()

    def tone(l: float, s: float = 0.35, shift: float = 0.0) -> tuple[int, int, int]:
        import colorsys
        r, g, b = colorsys.hls_to_rgb((hue + shift) % 1.0, l, s)
        return round(r * 255), round(g * 255), round(b * 255)

    im = Image.new("RGB", (w, h), tone(0.82))
    d = ImageDraw.Draw(im)
    horizon = round(h * rng.uniform(0.45, 0.7))
    sx, sy, sr = rng.uniform(0.15, 0.85) * w, rng.uniform(0.1, 0.3) * h, rng.uniform(0.05, 0.1) * min(w, h)
    d.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=tone(0.9, 0.6, 0.1))
    pts = [(0, horizon)] + [(x, horizon - rng.uniform(0.05, 0.25) * h) for x in range(0, w + 60, 60)] + [(w, h), (0, h)]
    d.polygon(pts, fill=tone(0.55, 0.3, 0.3))
    for _ in range(rng.randint(3, 7)):
        bw, bh = rng.uniform(0.06, 0.16) * w, rng.uniform(0.15, 0.4) * h
        bx = rng.uniform(0, w - bw)
        d.rectangle((bx, horizon - bh * 0.4, bx + bw, horizon + bh * 0.6), fill=tone(rng.uniform(0.3, 0.5), 0.15, 0.5))
    d.rectangle((0, h - h * 0.12, w, h), fill=tone(0.35, 0.25, 0.35))
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, format="PNG", optimize=True)


# ---------------------------------------------------------------------------------------------------------------
# Measuring


class Engine:
    """The layout, palette, strings and one Composer, shared by every measurement of a generator run."""

    def __init__(self, paper: Paper):
        self.paper = paper
        self.layout: Layout = load_layout(LAYOUTS, paper.layout)
        self.palette = load_palette(FONTS, traditional=paper.is_traditional)
        self.strings = Strings(self.layout.folders, paper.language)
        self.composer = Composer(self.palette, composition_settings(paper), self.layout.body_size,
                                 self.layout.subhead_size)
        self.measured = 0

    def module(self, story: Story, shape: Shape, root: Path) -> Module:
        """The story's module at its natural height. The story changes between calls while the Composer keeps
        caches keyed by article id, so every measurement gets an id of its own."""
        self.measured += 1
        article = replace(story.article(root), id=f"{story.id}-m{self.measured}")
        slot = Slot(name=article.id, col=0, span=shape.span, rank=shape.rank, photo_span=shape.photo_span)
        return layout_module(article, slot, 0, self.layout, self.composer, self.strings)

    def room(self, story: Story, shape: Shape, target: int, root: Path) -> int:
        """Empty body lines when the module is `target` lines tall (negative: lines over)."""
        m = self.module(story, shape, root)
        if m.lines > target:
            return -(m.overset + (m.lines - target) * shape.span)
        return (m.lines_available - m.lines_used) + (target - m.lines) * shape.span

    def head_lines(self, story: Story, shape: Shape) -> int:
        rect = Rect(0, 0, self.layout.span_width(shape.span), 0)
        return headline_boxes(story.article(Path("/")), rect, shape.rank, self.layout, self.composer)[1]

    def photo_block(self, story: Story, shape: Shape) -> int:
        """Lines the photo and its caption take in their columns, with the empty line below the caption."""
        if not story.photo:
            return 0
        m = self.module(story, shape, Path("/"))
        rows = round(m.photos[0].rect.h / self.layout.pitch)
        caps = sum(len(b.lines) for b in m.boxes if b.kind == "caption")
        return rows + caps + 1

    def photo_spans(self, story: Story, span: int) -> list[int]:
        """The photo widths the automatic placement tries for this story in a module `span` columns wide."""
        return photo_spans(story.article(Path("/")), span)


# ---------------------------------------------------------------------------------------------------------------
# Planning a page


@dataclass
class Item:
    """One story in the plan: its shape, the lines it must take, and the bounds of what its copy can take."""

    story: Story
    shape: Shape
    head: int = 0
    block: int = 0  # photo block lines (in the photo's columns)
    lo: int = 0  # natural lines at the shortest copy
    hi: int = 0  # natural lines at the longest copy
    want: float = 0.0  # desired characters
    target: int = 0


@dataclass
class Plan:
    lead: Item
    strips: list[tuple[int, int, bool, list[Item]]]  # (col, span, side, items)


@dataclass
class GeneratedPage:
    """What generate_issue made of one page: the fill the engine reached, the plans it took, the copy."""

    number: int
    template: str
    fill: float
    attempts: int
    chars: int
    photos: int
    articles: int


class PageGenerator:
    def __init__(self, engine: Engine, root: Path, seed: int, number: int, template: str, *, chars_per_page: int,
                 photos_per_page: tuple[int, int], articles_per_page: tuple[int, int],
                 length_range: tuple[int, int], latin: bool, year: int, used: set[str]):
        self.engine, self.root, self.seed, self.number, self.template = engine, root, seed, number, template
        self.chars_per_page, self.photos_range, self.articles_range = chars_per_page, photos_per_page, articles_per_page
        self.length_range, self.latin, self.year, self.used = length_range, latin, year, used
        lay = engine.layout
        tpl = lay.templates[template]
        self.top, self.floor = free_band(tpl, lay)
        self.tpl = tpl

    # estimates ---------------------------------------------------------------------------------------------
    def tops(self, item: Item) -> list[int]:
        span, pspan = item.shape.span, item.shape.photo_span
        tops = [item.head] * span
        if item.story.photo:
            for c in range(span - pspan, span):
                tops[c] = item.head + item.block
        return tops

    def natural_for(self, item: Item, chars: float) -> int:
        """Estimated natural module height (with the spacing line) for `chars` of body copy."""
        lines = math.ceil(chars / CHARS_PER_LINE)
        tops = self.tops(item)
        h = max(tops) if item.story.photo else item.head
        while sum(max(0, h - t) for t in tops) < lines:
            h += 1
        return h + 1

    def chars_for(self, item: Item, target: int) -> float:
        tops = self.tops(item)
        return sum(max(0, target - 1 - t) for t in tops) * CHARS_PER_LINE

    # the plan ----------------------------------------------------------------------------------------------
    def draw(self, rng: random.Random, writer: Writer, attempt: int) -> list[Story]:
        lo_n, hi_n = self.articles_range
        n = rng.randint(lo_n, hi_n)
        n_photos = min(n, rng.randint(*self.photos_range))
        if attempt >= 2:  # a draw that did not fit: nudge it towards the middle of the ranges
            n = min(hi_n, max(lo_n, n + rng.choice((-1, 1, 1))))
            n_photos = min(n, max(self.photos_range[0], min(self.photos_range[1], n_photos + rng.choice((0, 1)))))
        themes = list(vocab.THEMES)
        stories = []
        photo_news = n_photos >= 1 and n >= 4 and rng.random() < 0.35
        carriers = set()
        if n_photos:
            pool = list(range(1, n))
            rng.shuffle(pool)
            if photo_news:
                carriers.add(("pn", pool.pop()))
                n_photos -= 1
            if n_photos and rng.random() < 0.8:
                carriers.add(("a", 0))
                n_photos -= 1
            for i in pool[:n_photos]:
                carriers.add(("a", i))
        pn_index = next((i for k, i in carriers if k == "pn"), None)
        photo_indices = {i for _, i in carriers}
        for i in range(n):
            theme = rng.choice(themes)
            sid = f"p{self.number}-{i + 1:02d}-{theme[:4]}"
            kind = "photo-news" if i == pn_index else "article"
            story = Story(sid, kind, theme)
            if kind == "article":
                story.title = writer.headline("title", theme, 18 if i else 24)
                if rng.random() < (0.7 if i == 0 else 0.35):
                    story.kicker = writer.headline("kicker", theme, 16)
                if rng.random() < (0.6 if i == 0 else 0.3):
                    story.subtitle = writer.headline("subtitle", theme, 24)
                story.reporters = tuple(writer.name() for _ in range(rng.choice((1, 1, 2, 2, 3))))
                if rng.random() < 0.4:
                    story.correspondents = tuple(writer.name() for _ in range(rng.choice((1, 2))))
            elif rng.random() < 0.7:
                story.title = writer.unique(vocab.PHOTO_TITLES, theme)
            if i in photo_indices:
                aspect = rng.choice(list(ASPECTS))
                caption = writer.unique(vocab.CAPTIONS, theme, max_len=60)
                credit = " ".join(writer.name() for _ in range(rng.choice((1, 1, 2))))
                story.photo = PhotoSpec(f"images/{sid}.png", aspect, caption, credit)
                if kind == "photo-news":  # the caption is the body of photo news
                    story.blocks = [("p", [caption] + ([writer.body_sentence(theme, max_len=50)]
                                                       if rng.random() < 0.6 else []))]
            stories.append(story)
        return stories

    def plan(self, rng: random.Random, stories: list[Story]) -> Plan | None:
        """A tiling of the free band that the stories can fill exactly, or None."""
        lay, eng = self.engine.layout, self.engine
        cols, height = lay.columns, self.floor - self.top
        n = len(stories)
        lo_c, hi_c = self.length_range
        target_chars = self.chars_per_page * height / lay.lines
        # desired lengths: the lead longest, then by importance with noise, scaled to the page's copy
        weights = [rng.uniform(1.4, 2.2)] + [rng.uniform(0.4, 1.4) * (1.0 - 0.04 * i) for i in range(1, n)]
        flex = [i for i, s in enumerate(stories) if s.kind == "article"]
        total_w = sum(weights[i] for i in flex) or 1.0
        want = {i: min(hi_c, max(lo_c, target_chars * weights[i] / total_w)) for i in flex}
        for _ in range(40):
            lead_span = rng.choices((8, 6, 5), weights=(5, 2, 3))[0]
            side = cols - lead_span
            n_rest = n - 1
            max_under = min(4, n_rest - (1 if side else 0))
            if max_under < 1:
                continue
            cuts = [c for c in compositions(lead_span, (2, 3, 4, 5)) if len(c) <= max_under]
            if not cuts:
                continue
            cut = rng.choice(cuts)
            strips: list[tuple[int, int, bool, list[Item]]] = []
            col = 0
            for p in cut:
                strips.append((col, p, False, []))
                col += p
            if side:
                strips.append((lead_span, side, True, []))
            if any(s[1] not in STRIP_WIDTHS for s in strips):
                continue
            # the second story heads the widest strip; each strip gets one story; the rest by area
            order = sorted(range(len(strips)), key=lambda j: (-strips[j][1], j))
            assignment = {1: order[0]}
            empty = [j for j in range(len(strips)) if j != order[0]]
            rng.shuffle(empty)
            for i in range(2, n):
                if empty:
                    assignment[i] = empty.pop()
                else:
                    counts = [sum(1 for a in assignment.values() if a == j) for j in range(len(strips))]
                    area = [(height if s[2] else height * 0.7) * s[1] / (counts[j] + 1) for j, s in enumerate(strips)]
                    assignment[i] = rng.choices(range(len(strips)), weights=area)[0]
            if empty:
                continue
            # shapes: photo widths chosen so that the photos take what the copy leaves
            items: dict[int, Item] = {}
            for i, story in enumerate(stories):
                span = lead_span if i == 0 else strips[assignment[i]][1]
                rank = 1 if i == 0 else rank_for(i, span)
                items[i] = Item(story, Shape(span, rank, span), want=want.get(i, 0.0))
                items[i].head = eng.head_lines(story, items[i].shape)
            if not self.choose_photos(rng, items, target_chars, height):
                continue
            for item in items.values():
                self.bounds(item)
            plan = self.heights(rng, items, strips, assignment, height)
            if plan:
                return plan
        return None

    def choose_photos(self, rng: random.Random, items: dict[int, Item], target_chars: float, height: int) -> bool:
        eng, lay = self.engine, self.engine.layout
        carriers = [i for i, it in items.items() if it.story.photo]
        if not carriers:
            return True
        options: dict[int, list[tuple[int, int]]] = {}
        for i in carriers:
            it = items[i]
            spans = eng.photo_spans(it.story, it.shape.span)
            if i == 0 and len(spans) > 1:
                spans = [s for s in spans if s < it.shape.span] or spans  # a lead photo across 8 columns is huge
            options[i] = [(ps, eng.photo_block(it.story, Shape(it.shape.span, it.shape.rank, ps))) for ps in spans]
        fixed = sum((it.head + 1) * it.shape.span for it in items.values())
        budget = lay.columns * height - fixed - target_chars / CHARS_PER_LINE
        best, best_cost = None, math.inf
        for _ in range(60):
            pick = {i: rng.choice(options[i]) for i in carriers}
            cells = sum(ps * blk for ps, blk in pick.values())
            # a photo taller than half the band leaves no room for copy beside it
            if any(blk > height * 0.55 for _, blk in pick.values()):
                continue
            cost = abs(cells - budget) + rng.uniform(0, 15)
            if cost < best_cost:
                best, best_cost = pick, cost
        if best is None:
            return False
        for i, (ps, blk) in best.items():
            items[i].shape = Shape(items[i].shape.span, items[i].shape.rank, ps)
            items[i].block = blk
        return True

    def bounds(self, item: Item) -> None:
        if item.story.kind == "photo-news":  # its height is the photo's and the caption's
            item.lo = item.hi = self.engine.module(item.story, item.shape, self.root).lines
            return
        lo_c, hi_c = self.length_range
        item.lo = self.natural_for(item, lo_c + 30)
        item.hi = self.natural_for(item, hi_c - 60)

    def heights(self, rng: random.Random, items: dict[int, Item], strips, assignment, height: int) -> Plan | None:
        lead = items[0]
        stacks = {j: [items[i] for i in sorted(assignment) if assignment[i] == j] for j in range(len(strips))}
        # the lead's height: near its desired length, leaving every strip under it fillable
        lo_l, hi_l = lead.lo, min(lead.hi, height - 5)
        for j, (col, span, side, _) in enumerate(strips):
            if side:
                continue
            lo_l = max(lo_l, height - sum(it.hi for it in stacks[j]))
            hi_l = min(hi_l, height - sum(it.lo for it in stacks[j]))
        if lo_l > hi_l:
            return None
        lead.target = min(hi_l, max(lo_l, self.natural_for(lead, lead.want)))
        out = []
        for j, (col, span, side, _) in enumerate(strips):
            h = height if side else height - lead.target
            stack = stacks[j]
            if sum(it.lo for it in stack) > h or sum(it.hi for it in stack) < h:
                return None
            desired = [it.lo if it.story.kind != "article" else min(it.hi, max(it.lo, self.natural_for(it, it.want)))
                       for it in stack]
            targets = _share(h, [it.lo for it in stack], [it.hi for it in stack], desired)
            for it, t in zip(stack, targets):
                it.target = t
            out.append((col, span, side, stack))
        return Plan(lead, out)

    # writing -----------------------------------------------------------------------------------------------
    def write(self, rng: random.Random, writer: Writer, item: Item) -> int:
        """Write the story until its module is item.target lines tall and full; returns the empty lines left."""
        story, shape, target, eng = item.story, item.shape, item.target, self.engine
        if story.kind != "article":
            return 0
        writer.new_story()
        hi_c = self.length_range[1]
        story.blocks = []
        per_para = rng.randint(2, 4)
        since_sub = 0
        long_story = self.chars_for(item, target) > 1400

        def add(sentence: str, new_para: bool) -> None:
            if new_para or not story.blocks or story.blocks[-1][0] != "p":
                story.blocks.append(("p", [sentence]))
            else:
                story.blocks[-1][1].append(sentence)

        def undo() -> None:
            kind, ss = story.blocks[-1]
            ss.pop()
            if not ss:
                story.blocks.pop()
                if story.blocks and story.blocks[-1][0] == "h":
                    story.blocks.pop()

        def new_para_due() -> bool:
            return bool(story.blocks) and story.blocks[-1][0] == "p" and len(story.blocks[-1][1]) >= per_para

        room = eng.room(story, shape, target, self.root)
        first = True
        while room > 0 and story.chars < hi_c:
            if room > 10:
                # bulk: whole sentences up to ~80 % of the room, measured once
                budget = (room - 5) * CHARS_PER_LINE * 0.85
                added = 0
                while added == 0 or added < budget:
                    if new_para_due():
                        per_para = rng.randint(2, 4)
                        since_sub += 1
                        if long_story and since_sub >= rng.randint(3, 5) and room > 25 and story.chars > 300:
                            story.blocks.append(("h", [writer.subhead(story.theme)]))
                            since_sub = 0
                        s = writer.body_sentence(story.theme)
                        add(s, True)
                    else:
                        s = writer.body_sentence(story.theme, first=first)
                        add(s, False)
                    first = False
                    added += len(s)
                    if story.chars + 40 > hi_c:
                        break
                new_room = eng.room(story, shape, target, self.root)
                if new_room < 0:  # the estimate was off: fall back to one sentence at a time
                    for _ in range(20):
                        undo()
                        new_room = eng.room(story, shape, target, self.root)
                        if new_room >= 0:
                            break
                room = new_room
                if room > 10:
                    continue
            # top up the last lines: the longest sentence that still fits, closing sentences preferred
            closing = rng.random() < 0.6
            best = None
            for k in range(8):
                limit = max(8, int(room * 13 + 10))
                s = writer.body_sentence(story.theme, closing=closing and k < 3, max_len=limit) if k < 5 \
                    else writer.short_sentence(story.theme, limit)
                if not s:
                    continue
                for new_para in ((True, False) if new_para_due() else (False, True)):
                    add(s, new_para)
                    r = eng.room(story, shape, target, self.root)
                    undo()
                    if 0 <= r < room and (best is None or r < best[0]):
                        best = (r, s, new_para)
                    if r == 0:
                        break
                if best and best[0] == 0:
                    break
                if not best or best[1] != s:
                    writer.used.discard(s)
            if best is None:
                break
            add(best[1], best[2])
            room = best[0]
        return room

    def generate(self) -> tuple[list[Story], PageLayout, int]:
        """Plan and write the page, lay it out with the engine, retry below ACCEPT_FILL; the best attempt wins."""
        best = None
        for attempt in range(ATTEMPTS):
            rng = random.Random(f"{self.seed}/{self.number}/{attempt}")
            used = set(self.used)
            writer = Writer(rng, self.latin, self.year, used)
            stories = self.draw(rng, writer, attempt)
            plan = self.plan(rng, stories)
            if plan is None:
                continue
            for it in [plan.lead] + [it for *_, stack in plan.strips for it in stack]:
                self.write(rng, writer, it)
            page_layout = self.layout(stories)
            if page_layout is None:
                continue
            fill = page_layout.area_fill * page_layout.text_fill
            if best is None or fill > best[0]:
                best = (fill, stories, page_layout, attempt + 1, used)
            if fill >= ACCEPT_FILL:
                break
        if best is None:
            raise RuntimeError(f"seed {self.seed}, page {self.number}: no plan fits the page in {ATTEMPTS} attempts")
        fill, stories, page_layout, attempts, used = best
        self.used |= used
        return stories, page_layout, attempts

    def layout(self, stories: list[Story]) -> PageLayout | None:
        """The page as the build lays it out: epaper.layout.place.layout_issue on a one-page issue (with a
        Composer of its own, so nothing measured while writing is reused)."""
        eng = self.engine
        articles = {s.id: s.article(self.root) for s in stories}
        page = Page(self.number, "", "", self.template, tuple(s.id for s in stories))
        issue = Issue(paper=eng.paper, date=dt.date(self.year, 1, 1), number=1, pages=(page,), articles=articles,
                      root=self.root)
        try:
            return layout_issue(issue, eng.layout, eng.palette, eng.strings)[0]
        except LayoutError:
            return None


def _share(total: int, lo: list[int], hi: list[int], desired: list[int]) -> list[int]:
    """Integers within [lo, hi], near `desired`, adding up to `total` (which lies within sum(lo)..sum(hi))."""
    out = [min(h, max(l, d)) for l, h, d in zip(lo, hi, desired)]
    diff = total - sum(out)
    step = 1 if diff > 0 else -1
    i = 0
    guard = 0
    while diff and guard < 100_000:
        k = i % len(out)
        if lo[k] <= out[k] + step <= hi[k]:
            out[k] += step
            diff -= step
        i += 1
        guard += 1
    return out


# ---------------------------------------------------------------------------------------------------------------
# The issue


def generate_issue(out_dir: Path, *, seed: int, pages: int, chars_per_page: int = 7500,
                   photos_per_page: tuple[int, int] = (2, 4), articles_per_page: tuple[int, int] = (3, 12),
                   length_range: tuple[int, int] = (200, 3000), latin: bool = True,
                   report: list[GeneratedPage] | None = None) -> Path:
    """Write paper.toml into out_dir and a generated issue folder beside it; returns the issue folder.

    `report`, when given, receives one GeneratedPage per page (fill, attempts, characters, photos, articles).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"issue/{seed}")
    date = dt.date(2024, 1, 1) + dt.timedelta(days=seed % 3650)
    root = (out_dir / date.isoformat()).resolve()
    if root.exists():
        if not (root / MARKER).is_file():
            raise FileExistsError(f"{root} exists and was not written by bench/generate.py")
        shutil.rmtree(root)
    paper_toml = out_dir / "paper.toml"
    if not paper_toml.is_file() or paper_toml.read_text(encoding="utf-8") != PAPER_TOML:
        paper_toml.write_text(PAPER_TOML, encoding="utf-8")
    paper = load_paper(paper_toml)
    engine = Engine(paper)
    used: set[str] = set()
    page_names = list(vocab.PAGE_NAMES[1:])
    rng.shuffle(page_names)
    plan_pages = []
    all_stories: list[Story] = []
    stats = []
    for number in range(1, pages + 1):
        template = "front" if number == 1 else "inside"
        gen = PageGenerator(engine, root, seed, number, template, chars_per_page=chars_per_page,
                            photos_per_page=photos_per_page, articles_per_page=articles_per_page,
                            length_range=length_range, latin=latin, year=date.year, used=used)
        stories, page_layout, attempts = gen.generate()
        used = gen.used
        name = vocab.PAGE_NAMES[0] if number == 1 else page_names[(number - 2) % len(page_names)]
        writer = Writer(rng, latin, date.year, set())
        plan_pages.append((number, name, writer.name(), writer.name(), template, [s.id for s in stories]))
        all_stories += stories
        stats.append(GeneratedPage(number, template, page_layout.area_fill * page_layout.text_fill, attempts,
                                   sum(s.chars for s in stories), sum(1 for s in stories if s.photo), len(stories)))
    (root / "articles").mkdir(parents=True)
    for story in all_stories:
        (root / "articles" / f"{story.id}.md").write_text(story_markdown(story), encoding="utf-8")
        if story.photo:
            placeholder_png(root / story.photo.file, story.photo, random.Random(f"photo/{seed}/{story.id}"))
    lines = ["# A generated issue (bench/generate.py); every name, place and number in it is invented.",
             f"date = {date.isoformat()}", f"number = {10000 + seed}", ""]
    for number, name, editor, designer, template, ids in plan_pages:
        lines += ["[[pages]]", f"number = {number}", f"name = {toml_str(name)}", f"editor = {toml_str(editor)}",
                  f"designer = {toml_str(designer)}", f"template = {toml_str(template)}",
                  "articles = [" + ", ".join(toml_str(i) for i in ids) + "]", ""]
    (root / "issue.toml").write_text("\n".join(lines), encoding="utf-8")
    (root / MARKER).write_text(f"seed = {seed}\n", encoding="utf-8")
    # the files must read back as exactly what was measured
    loaded = load_issue(root)
    for story in all_stories:
        got, want = loaded.articles[story.id], story.article(root)
        if (got.body, got.title, got.kicker, got.subtitle, got.photos) != (want.body, want.title, want.kicker,
                                                                             want.subtitle, want.photos):
            raise AssertionError(f"{story.id}: the written file does not read back as generated")
    if report is not None:
        report.extend(stats)
    return root


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pages", type=int, default=8)
    ap.add_argument("--chars-per-page", type=int, default=7500)
    ap.add_argument("--photos", default="2-4", help="photos per page, MIN-MAX (default 2-4)")
    ap.add_argument("--articles", default="3-12", help="articles per page, MIN-MAX (default 3-12)")
    ap.add_argument("--lengths", default="200-3000", help="article length in characters, MIN-MAX")
    ap.add_argument("--no-latin", action="store_true", help="no Latin letters or ASCII digits in the copy")
    args = ap.parse_args(argv)

    def pair(text: str) -> tuple[int, int]:
        a, _, b = text.partition("-")
        return int(a), int(b or a)

    stats: list[GeneratedPage] = []
    root = generate_issue(args.out_dir, seed=args.seed, pages=args.pages, chars_per_page=args.chars_per_page,
                          photos_per_page=pair(args.photos), articles_per_page=pair(args.articles),
                          length_range=pair(args.lengths), latin=not args.no_latin, report=stats)
    print(f"{root}")
    for p in stats:
        print(f"  page {p.number:2d} {p.template:6s}  {p.articles:2d} articles  {p.photos} photos  "
              f"{p.chars:5d} chars  fill {p.fill:.2%}  ({p.attempts} attempt{'s' if p.attempts > 1 else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
