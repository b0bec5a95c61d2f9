"""A layout folder's layout.toml (merged over the layouts it extends) in, a checked Layout out: page size, the
character grid, type sizes and page templates in points."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import InputError, did_you_mean
from ..schema import Field, TomlSource, check_table

MM = 72 / 25.4  # points per millimetre

LAYOUT_FIELDS = {
    "description": Field("str"),
    "extends": Field("str", what="the parent layout: this one overrides only the keys, tables, templates and "
                                 "template files it changes"),
    "page": Field("table", True),
    "grid": Field("table", True),
    "headlines": Field("list[table]", True, "headline sizes by rank, lead first"),
    "headline_leading": Field("table", True, "line height of kicker, title and subtitle, in multiples of their size"),
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
    "subhead_size": Field("float", True, "pt, subheads (小标题) in the body"),
    "pitch": Field("float", True, "pt between body lines"),
    "lines": Field("int", True, "body lines per column"),
}
HEADLINE_FIELDS = {k: Field("float", True, "pt") for k in ("kicker", "title", "subtitle")}
LEADING_FIELDS = {k: Field("float", True, "times the size") for k in ("kicker", "title", "subtitle")}
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
    subhead_size: float
    pitch: float
    lines: int
    headlines: tuple[Headline, ...]
    headline_leading: Headline  # line height of each headline part over its size (1.2: 20 % leading)
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


def _optional(fields: dict[str, Field]) -> dict[str, Field]:
    return {k: replace(f, required=False) for k, f in fields.items()}


def _read_chain(layouts_dir: Path, name: str) -> tuple[list[tuple[TomlSource, dict[str, Any]]], list[Path]]:
    """The layout.toml of NAME and of each layout it extends (child first), each checked on its own, and the
    folders of the chain (the template search path). A folder without layout.toml (layouts/base) ends it."""
    chain: list[tuple[TomlSource, dict[str, Any]]] = []
    folders: list[Path] = []
    current: str | None = name
    while current:
        folder = layouts_dir / current
        if not chain and not (folder / "layout.toml").is_file():
            raise InputError(folder, f"layout '{name}' does not exist", key="layout",
                             hint=did_you_mean(name, available_layouts(layouts_dir)))
        if chain and not folder.is_dir():
            raise chain[-1][0].error(("extends",), f"layout '{current}' does not exist",
                                     hint=did_you_mean(current, [p.name for p in layouts_dir.iterdir() if p.is_dir()]))
        if folder in folders:
            raise chain[-1][0].error(("extends",), "the layouts extend each other in a loop: "
                                     + " → ".join([*(f.name for f in folders), current]))
        folders.append(folder)
        file = folder / "layout.toml"
        if not file.is_file():
            break
        src = TomlSource(file, file.read_text(encoding="utf-8"))
        data = check_table(src, src.parse(), _optional(LAYOUT_FIELDS))
        for key, fields in (("page", PAGE_FIELDS), ("grid", GRID_FIELDS), ("headline_leading", LEADING_FIELDS)):
            check_table(src, data.get(key, {}), _optional(fields), (key,))
        for i, h in enumerate(data.get("headlines", [])):
            check_table(src, h, HEADLINE_FIELDS, ("headlines", i))  # the list is replaced whole
        for tname, table in data.get("templates", {}).items():  # a template is replaced whole
            check_table(src, table, TEMPLATE_FIELDS, ("templates", tname))
            for kind in ("zones", "slots"):
                for i, r in enumerate(table[kind]):
                    check_table(src, r, RECT_FIELDS, ("templates", tname, kind, i))
        chain.append((src, data))
        current = data.get("extends")
    return chain, folders


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`: tables merged key by key, templates by name, anything else (lists) replaced."""
    out = dict(base)
    for key, value in over.items():
        if key == "templates":
            out[key] = {**base.get(key, {}), **value}
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _merge(base[key], value)
        else:
            out[key] = value
    return out


def load_layout(layouts_dir: Path, name: str) -> Layout:
    """layouts/NAME/layout.toml over the layouts it `extends`, with the chain as the template search path.

    A paper's layout names only what it changes (`extends = "broadsheet"` and `[grid] body_size = 9.5`);
    a missing required key is reported against NAME's file, a wrong value against the file that has it."""
    chain, folders = _read_chain(layouts_dir, name)
    src = chain[0][0]
    data: dict[str, Any] = {}
    origin: dict[str, TomlSource] = {}  # template name -> the file it comes from
    for file_src, file_data in reversed(chain):
        data = _merge(data, file_data)
        origin.update({tname: file_src for tname in file_data.get("templates", {})})
    check_table(src, data, LAYOUT_FIELDS)
    page = check_table(src, data["page"], PAGE_FIELDS, ("page",))
    grid = check_table(src, data["grid"], GRID_FIELDS, ("grid",))
    leading = Headline(**check_table(src, data["headline_leading"], LEADING_FIELDS, ("headline_leading",)))
    headlines = tuple(Headline(**h) for h in data["headlines"])
    layout = Layout(name=name, folders=tuple(folders), width=page["width"] * MM, height=page["height"] * MM,
                    bleed=page.get("bleed", 3.0) * MM, top=page["top"] * MM, columns=grid["columns"],
                    chars=grid["chars"], gutter_chars=grid["gutter"], body_size=grid["body_size"],
                    caption_size=grid.get("caption_size", grid["body_size"]), subhead_size=grid["subhead_size"],
                    pitch=grid["pitch"], lines=grid["lines"], headlines=headlines, headline_leading=leading,
                    templates={})
    if layout.type_width > layout.width or layout.top + layout.type_height > layout.height:
        raise src.error(("grid",), f"the type area ({layout.type_width / MM:.1f} × "
                                   f"{(layout.top + layout.type_height) / MM:.1f} mm with the top margin) "
                                   f"does not fit the trim ({page['width']} × {page['height']} mm)")
    templates: dict[str, Template] = {}
    for tname, table in data["templates"].items():
        src = origin[tname]  # checked against the merged grid, reported in the file that has the template
        rects = {}
        for kind in ("zones", "slots"):
            items = []
            for i, r in enumerate(table[kind]):
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
