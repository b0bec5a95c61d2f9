"""The placed page's vocabulary: composed lines, boxes, photos, modules and pages (what layout hands to render)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..errors import Finding
from ..model import Article, Page, Photo
from .compose import Line
from .grid import Rect, Slot, Template

LEAD_ROLE = "sans-regular"  # 黑体 for the dateline and byline run into the first paragraph


@dataclass(frozen=True)
class SetLine:
    """One composed line as drawn: its font role, and an optional lead-in (the byline) in another role."""

    line: Line
    role: str
    lead_chars: int = 0
    lead_role: str = ""
    href: str = ""  # a jump line (转版) links to the other part of its article
    para: int = -1  # index of the body block the line belongs to
    size: float = 0.0  # a size other than its box's (subheads), 0: the box's



@dataclass(frozen=True)
class TextBox:
    """A box of pre-broken lines: a headline part, a caption, or one body column of a module."""

    kind: Literal["kicker", "title", "subtitle", "body", "caption"]
    rect: Rect
    size: float
    line_height: float
    lines: tuple[SetLine, ...]
    align: Literal["justify", "center", "start"] = "justify"



@dataclass(frozen=True)
class PhotoBox:
    rect: Rect
    photo: Photo



@dataclass(frozen=True)
class Fragment:
    """One part of an article continued on another page (转版): body lines [start, end) and its jump line."""

    start: int = 0
    end: int | None = None
    jump_to: int = 0  # part 1: the page it continues on, for （下转第X版）
    jump_from: int = 0  # part 2: the page it comes from, for （上接第X版）

    @property
    def part(self) -> int:
        return 2 if self.jump_from else 1


CONTINUED = "~cont"  # suffix of a continuation's id (article ids are [a-z0-9-], so it cannot clash)


@dataclass
class Module:
    """One article's block on the page: its grid position (col, span, line, lines) and everything drawn in it."""

    article: Article
    slot: Slot
    rank: int
    col: int
    span: int
    line: int = 0
    lines: int = 0
    rect: Rect = Rect(0, 0, 0, 0)
    boxes: list[TextBox] = field(default_factory=list)
    photos: list[PhotoBox] = field(default_factory=list)
    lines_used: int = 0  # column-lines holding text, headline, photo or caption
    lines_available: int = 0  # column-lines of the module (less its spacing line)
    overset: int = 0  # body lines that did not fit (the caller reports them)
    fragment: Fragment | None = None
    vertical: tuple = ()  # a vertical (竖排) module's blocks of placed glyphs (epaper.layout.vertical.VBlock)

    @property
    def dom_id(self) -> str:
        """The module's id in the print HTML, layout.json and the web site: the article's, or the continuation's."""
        return self.article.id + (CONTINUED if self.fragment and self.fragment.part == 2 else "")

    @property
    def fill(self) -> float:
        return self.lines_used / self.lines_available if self.lines_available else 1.0



@dataclass
class PageLayout:
    page: Page
    template: Template
    modules: list[Module]
    zones: dict[str, Rect]
    findings: list[Finding] = field(default_factory=list)
    free_cells: int = 0  # column-lines of the type area outside fixed zones

    @property
    def area_fill(self) -> float:
        """Share of the free type area covered by modules."""
        return sum(m.lines * m.span for m in self.modules) / self.free_cells if self.free_cells else 0.0

    @property
    def text_fill(self) -> float:
        """Share of the modules' area holding text, headlines and photos (the rest is underset white)."""
        avail = sum(m.lines_available for m in self.modules)
        return sum(m.lines_used for m in self.modules) / avail if avail else 0.0
