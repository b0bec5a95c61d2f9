"""A layout folder's layout.toml in, a checked Layout out: page size, the character grid and page templates in points."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, did_you_mean
from ..source.schema import Field, TomlSource, check_table

MM = 72 / 25.4  # points per millimetre

LAYOUT_FIELDS = {
    "description": Field("str"),
    "extends": Field("str", what="the parent layout whose templates and CSS this one builds on"),
    "page": Field("table", True),
    "grid": Field("table", True),
    "headlines": Field("list[table]", True, "headline sizes by rank, lead first"),
    "templates": Field("table", True),
}
PAGE_FIELDS = {
    "width": Field("float", True, "trim width in mm"),
    "height": Field("float", True, "trim height in mm"),
    "bleed": Field("float", what="mm"),
    "top": Field("float", True, "mm from the trim edge to the first body line"),
}
GRID_FIELDS = {
    "columns": Field("int", True),
    "chars": Field("int", True, "字 per column"),
    "gutter": Field("float", True, "字 between columns"),
    "body_size": Field("float", True, "pt"),
    "caption_size": Field("float", what="pt, photo captions; default: the body size"),
    "pitch": Field("float", True, "pt between body lines"),
    "lines": Field("int", True, "body lines per column"),
}
HEADLINE_FIELDS = {k: Field("float", True, "pt") for k in ("kicker", "title", "subtitle")}
TEMPLATE_FIELDS = {"zones": Field("list[table]", True), "slots": Field("list[table]", True),
                   "description": Field("str"),
                   "house_ad": Field("bool", what="true: a 公益广告 slot at the foot takes what the copy leaves "
                                                  "(automatic placement only)")}
RECT_FIELDS = {
    "name": Field("str", True),
    "col": Field("int", True, "first column, from 0"),
    "span": Field("int", True, "columns"),
    "line": Field("int", what="first body line, from 0; default: right below what is above in its columns"),
    "lines": Field("int", what="body lines; default: as many as the article needs"),
    "rank": Field("int", what="headline size: 1 is the page lead"),
    "photo_span": Field("int", what="columns a photo spans"),
    "vertical": Field("bool", what="true: the article is set in vertical lines, right to left (竖排; needs `lines`)"),
}


@dataclass(frozen=True)
class Rect:
    """A rectangle in points from the trim's top-left corner."""

    x: float
    y: float
    w: float
    h: float

    def mm(self) -> dict[str, float]:
        return {k: round(v / MM, 2) for k, v in (("x", self.x), ("y", self.y), ("w", self.w), ("h", self.h))}


@dataclass(frozen=True)
class Slot:
    """A named region of a template on the grid: columns col..col+span, body lines line..line+lines.

    A slot without `line` starts right below whatever is placed above it in its columns; one without `lines`
    is as tall as its article needs. Zones (报头, ads) always have both.
    """

    name: str
    col: int
    span: int
    line: int | None = None
    lines: int | None = None
    rank: int = 3
    photo_span: int = 0
    vertical: bool = False  # 竖排: set by epaper.layout.vertical


@dataclass(frozen=True)
class Template:
    name: str
    zones: tuple[Slot, ...]
    slots: tuple[Slot, ...]
    house_ad: bool = False  # automatic placement sizes a house-ad zone (公益广告) to the white the copy leaves


@dataclass(frozen=True)
class Headline:
    kicker: float
    title: float
    subtitle: float


@dataclass(frozen=True)
class Layout:
    """Page geometry: trim in pt, the character grid, headline sizes by rank, templates by name."""

    name: str
    folders: tuple[Path, ...]  # this layout first, then the layouts it extends (template search path)
    width: float
    height: float
    bleed: float
    top: float
    columns: int
    chars: int
    gutter_chars: float
    body_size: float
    caption_size: float
    pitch: float
    lines: int
    headlines: tuple[Headline, ...]
    templates: dict[str, Template]

    @property
    def column_width(self) -> float:
        return self.chars * self.body_size

    @property
    def gutter(self) -> float:
        return self.gutter_chars * self.body_size

    @property
    def type_width(self) -> float:
        return self.columns * self.column_width + (self.columns - 1) * self.gutter

    @property
    def left(self) -> float:
        return (self.width - self.type_width) / 2

    @property
    def type_height(self) -> float:
        return self.lines * self.pitch

    def col_x(self, col: int) -> float:
        return self.left + col * (self.column_width + self.gutter)

    def span_width(self, span: int) -> float:
        return span * self.column_width + (span - 1) * self.gutter

    def line_y(self, line: int) -> float:
        return self.top + line * self.pitch

    def rect(self, col: int, span: int, line: int, lines: int) -> Rect:
        return Rect(self.col_x(col), self.line_y(line), self.span_width(span), lines * self.pitch)

    def headline(self, rank: int) -> Headline:
        return self.headlines[min(max(rank, 1), len(self.headlines)) - 1]

    def template(self, name: str, where: str) -> Template:
        if name not in self.templates:
            raise InputError(where, f"layout '{self.name}' has no template '{name}'",
                             key="template", hint=did_you_mean(name, self.templates))
        return self.templates[name]


def available_layouts(layouts_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in layouts_dir.glob("*/layout.toml"))


def load_layout(layouts_dir: Path, name: str) -> Layout:
    """layouts/NAME/layout.toml, with its `extends` chain as the template search path."""
    file = layouts_dir / name / "layout.toml"
    if not file.is_file():
        raise InputError(layouts_dir / name, f"layout '{name}' does not exist", key="layout",
                         hint=did_you_mean(name, available_layouts(layouts_dir)))
    src = TomlSource(file, file.read_text(encoding="utf-8"))
    data = check_table(src, src.parse(), LAYOUT_FIELDS)
    page = check_table(src, data["page"], PAGE_FIELDS, ("page",))
    grid = check_table(src, data["grid"], GRID_FIELDS, ("grid",))
    headlines = tuple(Headline(**check_table(src, h, HEADLINE_FIELDS, ("headlines", i)))
                      for i, h in enumerate(data["headlines"]))
    folders = [layouts_dir / name]
    parent = data.get("extends")
    while parent:
        if not (layouts_dir / parent).is_dir():
            raise src.error(("extends",), f"layout '{parent}' does not exist",
                            hint=did_you_mean(parent, [p.name for p in layouts_dir.iterdir() if p.is_dir()]))
        folders.append(layouts_dir / parent)
        parent_file = layouts_dir / parent / "layout.toml"
        parent = TomlSource(parent_file, parent_file.read_text("utf-8")).parse().get("extends") \
            if parent_file.is_file() else None
    layout = Layout(name=name, folders=tuple(folders), width=page["width"] * MM, height=page["height"] * MM,
                    bleed=page.get("bleed", 3.0) * MM, top=page["top"] * MM, columns=grid["columns"],
                    chars=grid["chars"], gutter_chars=grid["gutter"], body_size=grid["body_size"],
                    caption_size=grid.get("caption_size", grid["body_size"]),
                    pitch=grid["pitch"], lines=grid["lines"], headlines=headlines, templates={})
    if layout.type_width > layout.width or layout.top + layout.type_height > layout.height:
        raise src.error(("grid",), f"the type area ({layout.type_width / MM:.1f} × "
                                   f"{(layout.top + layout.type_height) / MM:.1f} mm with the top margin) "
                                   f"does not fit the trim ({page['width']} × {page['height']} mm)")
    templates: dict[str, Template] = {}
    for tname, table in data["templates"].items():
        check_table(src, table, TEMPLATE_FIELDS, ("templates", tname))
        rects = {}
        for kind in ("zones", "slots"):
            items = []
            for i, r in enumerate(table[kind]):
                check_table(src, r, RECT_FIELDS, ("templates", tname, kind, i))
                slot = Slot(**r)
                where = ("templates", tname, kind, i)
                if kind == "zones" and (slot.line is None or slot.lines is None):
                    raise src.error(where, f"zone '{slot.name}' needs both line and lines")
                if slot.vertical and slot.lines is None:
                    raise src.error(where, f"vertical slot '{slot.name}' needs lines (a vertical story fills its slot)")
                line, lines = slot.line or 0, slot.lines or 1
                if slot.col < 0 or slot.span < 1 or slot.col + slot.span > layout.columns \
                        or line < 0 or lines < 1 or line + lines > layout.lines:
                    raise src.error(where, f"{kind[:-1]} '{slot.name}' lies outside the "
                                           f"{layout.columns} × {layout.lines} grid")
                items.append(slot)
            rects[kind] = tuple(items)
        fixed = tuple(r for r in rects["zones"] + rects["slots"] if r.line is not None and r.lines is not None)
        _check_no_overlap(src, tname, fixed)
        if table.get("house_ad") and rects["slots"]:
            raise src.error(("templates", tname, "house_ad"), "a house-ad slot needs automatic placement",
                            hint="remove the template's slots, or set house_ad = false")
        templates[tname] = Template(tname, rects["zones"], rects["slots"], table.get("house_ad", False))
    return Layout(**{**layout.__dict__, "templates": templates})


def _check_no_overlap(src: TomlSource, tname: str, rects: tuple[Slot, ...]) -> None:
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            if a.col < b.col + b.span and b.col < a.col + a.span and a.line < b.line + b.lines \
                    and b.line < a.line + a.lines:  # type: ignore[operator]  # fixed rects only
                raise src.error(("templates", tname), f"'{a.name}' and '{b.name}' overlap")
