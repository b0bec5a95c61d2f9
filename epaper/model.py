"""The content model: pure, typed data for one issue (paper → pages → articles, photos); every output reads it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


@dataclass(frozen=True)
class Composition:
    """Per-paper settings for the print composer (clreq strictness, Han–Latin gap in em)."""

    kinsoku: Literal["strict", "basic", "loose"] = "basic"
    han_latin_space: float = 0.25
    compress_punctuation: bool = True
    # Off by default: a half-width line-end mark leaves its glyph box half an em into the gutter, which
    # column-detecting checks (and readers' eyes at 1-em gutters) take for an overfull line.
    half_width_line_end: bool = False
    hanging_punctuation: bool = False


@dataclass(frozen=True)
class Edition:
    """An edition of the paper in the other script (繁简): its name in file names, language, OpenCC config, kept terms."""

    name: str  # e.g. "tw": the issue's slug becomes wujin-daily-2024-12-19-tw
    language: str  # the edition's BCP 47 tag, e.g. zh-TW (its fonts follow from it)
    opencc: str  # the OpenCC conversion, e.g. s2twp (Taiwan phrases), s2hk, t2s
    exceptions: tuple[str, ...] = ()  # terms an editor pins: names and quoted terms printed as written


@dataclass(frozen=True)
class Paper:
    """A newspaper's identity, written once in paper.toml and shared by all its issues."""

    name: str
    language: str
    layout: str
    slug: str  # ASCII stem of output file names, e.g. wujin-daily
    publisher: str = ""
    name_latin: str = ""
    cn: str = ""  # 国内统一连续出版物号, e.g. "CN 32-0099"
    issn: str = ""
    slogan: str = ""
    address: str = ""
    epub_title: str = "{paper} {date:%Y年%-m月%-d日}"
    epub_vertical: bool = False  # EPUB only: vertical-rl text, right-to-left page progression
    press_profile: str = ""  # the printer's CMYK ICC profile, relative to paper.toml (→ PDF/X-4)
    site_url: str = ""  # the web e-paper's public root, ending in "/" (canonical URLs, sitemaps, feed); "": relative
    composition: Composition = field(default_factory=Composition)
    schedule: str = "daily"  # publishing days for `epaper new`: daily, weekdays or weekly-<weekday>
    editions: tuple[Edition, ...] = ()  # editions in the other script, built beside the main one

    @property
    def is_chinese(self) -> bool:
        return self.language.lower().startswith("zh")

    @property
    def is_traditional(self) -> bool:
        lang = self.language.lower()
        return lang in ("zh-tw", "zh-hk", "zh-mo") or "hant" in lang


@dataclass(frozen=True)
class Photo:
    """One image with its caption and credit (“X 摄”); width/height are the file's pixels."""

    path: Path
    caption: str
    credit: str
    alt: str
    width_px: int
    height_px: int
    placeholder: bool = False

    @property
    def aspect(self) -> float:
        """Height over width."""
        return self.height_px / self.width_px


@dataclass(frozen=True)
class Block:
    """A body block: a paragraph ("p") or a subhead inside the article ("h")."""

    kind: Literal["p", "h"]
    text: str


@dataclass(frozen=True)
class Article:
    """One story (or one photo news item, whose text is its caption), from one Markdown file."""

    id: str
    kind: Literal["article", "photo-news"]
    title: str
    kicker: str = ""
    subtitle: str = ""
    dateline: str = ""
    reporters: tuple[str, ...] = ()
    correspondents: tuple[str, ...] = ()
    photos: tuple[Photo, ...] = ()
    body: tuple[Block, ...] = ()
    source: Path = Path()

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.body if b.kind == "p")

    @property
    def contributors(self) -> tuple[str, ...]:
        """Everyone credited: reporters, correspondents and photographers, in that order, once each."""
        names: list[str] = [*self.reporters, *self.correspondents]
        for photo in self.photos:
            names.extend(n for n in photo.credit.split() if n)
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Pin:
    """An editor's constraint on automatic placement: the module's width and/or where it goes."""

    columns: int = 0  # 0: free
    zone: Literal["", "side", "below"] = ""  # side: the strip beside the lead; below: under the lead


@dataclass(frozen=True)
class Page:
    """One 版 of the issue: its 版次, 版名, editors, template and articles in order of importance."""

    number: int
    name: str
    editor: str
    template: str
    articles: tuple[str, ...]
    designer: str = ""
    pins: dict[str, Pin] = field(default_factory=dict)


@dataclass(frozen=True)
class Correction:
    """One correction (更正) after publication: which article, what was wrong, when it was recorded."""

    article: str
    note: str
    when: dt.datetime


@dataclass(frozen=True)
class Issue:
    """One 期 of a paper: date, numbers and the page plan, with every article it names."""

    paper: Paper
    date: dt.date
    number: int  # 总第N期
    pages: tuple[Page, ...]
    articles: dict[str, Article]
    root: Path
    edition: str = ""
    volume_number: int = 0  # 当年期号 / 第N号, optional
    lunar: str = ""  # 农历 date as printed, e.g. 甲辰年十一月十九
    weather: str = ""
    jumps: bool = False  # a story too long for its page may continue on the next (转版)
    corrections: tuple[Correction, ...] = ()  # 更正 recorded after publication; each makes a new version

    @property
    def weekday_zh(self) -> str:
        return WEEKDAYS_ZH[self.date.weekday()]

    @property
    def slug(self) -> str:
        """ASCII file-name stem shared by every output: paper + date (+ edition)."""
        stem = f"{self.paper.slug}-{self.date.isoformat()}"
        return f"{stem}-{self.edition}" if self.edition else stem

    @property
    def version(self) -> int:
        """1 for the issue as first published; every correction recorded in issue.toml makes the next version."""
        return 1 + len(self.corrections)

    def page_of(self, article_id: str) -> Page:
        for page in self.pages:
            if article_id in page.articles:
                return page
        raise KeyError(article_id)

    def articles_in_order(self) -> list[tuple[Page, Article]]:
        return [(page, self.articles[a]) for page in self.pages for a in page.articles]
