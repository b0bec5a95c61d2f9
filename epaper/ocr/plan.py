"""The draft's articles (one list per input page) in, its page plan out: the layout a paper written by the import
gets, the number of pages, each page's template and articles, and what the editor should know about them.

A draft page must look finished. Copy that would leave most of a 对开 page empty goes onto the 四开 `compact`
layout when the import writes the paper; a page holding more than a page's worth is cut into several; and
every page gets a template with a house-ad slot (公益广告, `house_ad = true`), which the layout sizes to what the
copy leaves, so the rest of the page is never white. Small drafts are laid out for real to choose (the same
arithmetic as the build, no rendering); large ones are planned from an estimate of their column-lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EpaperError
from ..layout.grid import MM, Layout, load_layout
from ..paths import FONTS, LAYOUTS
from ..source.folder import find_paper_toml, load_issue, load_paper
from .assemble import Article
from .write import IssueMeta, PlacedArticle, toml_list, toml_str

COMPACT, BROADSHEET = "compact", "broadsheet"  # the layouts a paper written by the import may get
FILL = {"front": ("front-fill", "front"), "inside": ("inside-fill", "inside")}  # templates by preference
SPLIT_AT = 0.8  # a page whose estimate passes this share of its free area is cut before the next article
TRIAL_CHARS = 60_000  # drafts up to this many characters are laid out to choose; larger ones are estimated
WRITTEN_PAPER = "# Written by epaper import-text"  # how paper_toml's text starts: the import may choose its layout
_NOTES: dict[Path, list[str]] = {}  # draft folder → its plan's notes, until the importer takes them for REVIEW.md


@dataclass
class PlanPage:
    template: str
    articles: list[PlacedArticle]
    slot: bool = False  # the template has a house-ad slot (house_ad = true)
    house_ad: str = ""  # the house-ad slot a trial layout gave the page, e.g. "233 × 95 mm", else ""
    origin: int = 0  # the input page (file) its articles come from


@dataclass
class Plan:
    layout: str  # the paper's layout (chosen here when the import writes the paper)
    pages: list[PlanPage]
    laid_out: bool = False  # True: a trial layout showed that every page fits
    chosen: bool = False  # the layout was chosen here (the import wrote the paper)
    notes: list[str] = field(default_factory=list)


def plan_issue(meta: IssueMeta, pages: list[list[PlacedArticle]], folder: Path | None = None) -> Plan:
    """The page plan for `pages` (the articles of each input page, in order). `folder` is the draft folder with
    its articles and paper.toml (if any) already written: a small draft is laid out there to choose, and a
    paper.toml the import wrote gets the chosen layout. Without `folder`, pages map one to one onto front/inside."""
    if folder is None:
        return Plan(BROADSHEET, [_page(None, i, list(p), i) for i, p in enumerate(pages)])
    paper_file = folder / "paper.toml"
    written = paper_file.is_file() and paper_file.read_text(encoding="utf-8").startswith(WRITTEN_PAPER)
    if written:
        candidates = [COMPACT, BROADSHEET]
    else:
        try:
            candidates = [load_paper(find_paper_toml(folder)).layout]
        except EpaperError:
            candidates = [BROADSHEET]  # the import reports the paper's problem itself
    chars = sum(_chars(p.article) for page in pages for p in page)
    plan = None
    for name in candidates:
        try:
            layout = load_layout(LAYOUTS, name)
        except EpaperError:
            continue
        last = name == candidates[-1]
        split = _split(pages, layout)
        if not last and (len(split) > len(pages) or chars > TRIAL_CHARS):
            continue  # a smaller page only for copy it holds page for page, as a trial layout shows
        plan = Plan(name, [_page(layout, i, p, origin) for i, (origin, p) in enumerate(split)])
        if chars <= TRIAL_CHARS:
            if _trial(meta, plan, folder, layout, grow=last):
                break
            if not last:
                continue
        break
    if plan is None:
        plan = Plan(candidates[-1], [_page(None, i, list(p), i) for i, p in enumerate(pages)])
    if written:
        _set_layout(paper_file, plan.layout)
        plan.chosen = True
    plan.notes = _NOTES[folder.resolve()] = _notes(plan, len(pages))
    return plan


def review_notes(folder: Path) -> list[str]:
    """The notes of the plan last made for the draft in `folder` (once): the layout chosen, pages cut, every
    house-ad slot."""
    return _NOTES.pop(Path(folder).resolve(), [])


def render(meta: IssueMeta, plan: Plan) -> str:
    """issue.toml's text for the plan."""
    lines = [f"# Imported by epaper import-text from {', '.join(meta.sources)}. Check REVIEW.md before building.",
             f"date = {meta.date.isoformat()}",
             f"number = {meta.number}" + ("" if meta.number_given else "  # placeholder: 总第N期, to be filled in")]
    for i, page in enumerate(plan.pages, 1):
        lines += ["", "[[pages]]", f"number = {i}",
                  f"name = {toml_str(meta.page_name)}  # 版名, to be filled in",
                  f"editor = {toml_str(meta.editor)}  # 责任编辑, to be filled in",
                  f'template = "{page.template}"' + ("  # a 公益广告 slot takes what the copy leaves"
                                                      if page.slot else ""),
                  f"articles = {toml_list([p.id for p in page.articles])}"]
    return "\n".join(lines) + "\n"


def _page(layout: Layout | None, index: int, articles: list[PlacedArticle], origin: int) -> PlanPage:
    """Page 1 is the front page (报头), the others inside pages; a template with a house-ad slot when the layout
    has one."""
    kind = "front" if index == 0 else "inside"
    if layout is None:
        return PlanPage(kind, articles, origin=origin)
    name = next((t for t in FILL[kind] if t in layout.templates), kind)
    template = layout.templates.get(name)
    return PlanPage(name, articles, slot=bool(template and template.house_ad), origin=origin)


def _chars(article: Article) -> int:
    return sum(len(t.text) for _, t in article.fields())


def _estimate(article: Article, layout: Layout) -> float:
    """Column-lines the article takes on the grid: body lines at one column's measure (a little over, for
    paragraph ends), a headline of about four lines over three columns, and two-column photos with captions."""
    body = sum(math.ceil(len(t.text) * 1.05 / layout.chars) + (1 if kind == "h" else 0) for kind, t in article.body)
    head = (4 + 2 * (article.kicker is not None) + 2 * (article.subtitle is not None)) * 3 if article.title else 0
    width = layout.span_width(2)
    photo = sum(2 * (math.ceil(width * 2 / 3 / layout.pitch) + 3) for _ in article.photos)
    return body + head + photo + 3  # the spacing line under a three-column module


def _free(layout: Layout, template: str) -> int:
    t = layout.templates.get(template)
    zones = sum((z.lines or 0) * z.span for z in t.zones) if t else 0
    return layout.columns * layout.lines - zones


def _split(pages: list[list[PlacedArticle]], layout: Layout) -> list[tuple[int, list[PlacedArticle]]]:
    """Each input page, cut before the article that would take it past SPLIT_AT of its free area; with the
    index of the input page each part comes from."""
    out: list[tuple[int, list[PlacedArticle]]] = []
    for origin, page in enumerate(pages):
        current: list[PlacedArticle] = []
        used = 0.0
        for placed in page:
            need = _estimate(placed.article, layout)
            room = SPLIT_AT * _free(layout, _page(layout, len(out), [], origin).template)
            if current and used + need > room:
                out.append((origin, current))
                current, used = [], 0.0
            current.append(placed)
            used += need
        if current:
            out.append((origin, current))
    return out


def _set_layout(paper_file: Path, name: str) -> None:
    """The layout line of a paper.toml the import wrote, set to `name`."""
    lines = paper_file.read_text(encoding="utf-8").split("\n")
    note = {COMPACT: "  # 四开 tabloid: chosen by import-text for the amount of copy; 对开 is \"broadsheet\"",
            BROADSHEET: "  # 对开: chosen by import-text for the amount of copy; 四开 is \"compact\""}[name]
    lines = [f'layout = "{name}"{note}' if ln.startswith("layout =") else ln for ln in lines]
    paper_file.write_text("\n".join(lines), encoding="utf-8")


def _trial(meta: IssueMeta, plan: Plan, folder: Path, layout: Layout, grow: bool) -> bool:
    """Lay the plan out as the build would (no rendering). `grow`: a page that does not fit is cut before its
    last article until it does. True when every page fits; each page's house-ad slot is noted in the plan."""
    from ..fonts import load_palette
    from ..layout import fontmetrics
    from ..layout.composer import _composer, composition_settings
    from ..layout.place import layout_page
    from ..strings import Strings

    if fontmetrics.CACHE_DIR is None:
        fontmetrics.CACHE_DIR = FONTS / ".cache"
    for _ in range(4 * len(plan.pages) + 8):  # each round cuts one page; bounded all the same
        (folder / "issue.toml").write_text(render(meta, plan), encoding="utf-8")
        try:
            issue = load_issue(folder)
            palette = load_palette(FONTS, traditional=issue.paper.is_traditional)
            strings = Strings(layout.folders, issue.paper.language)
            composer = _composer(palette, composition_settings(issue.paper), layout.body_size, layout.subhead_size)
            results, over = [], None
            for i, page in enumerate(issue.pages):  # up to the first page that does not fit
                results.append(layout_page(issue, page, layout, composer, strings))
                if any(f.severity == "error" for f in results[-1].findings):
                    over = i
                    break
        except Exception:  # noqa: BLE001 — the trial only informs the plan: the import and build say what is wrong
            return False
        if over is None:
            for page, result in zip(plan.pages, results):
                zone = result.zones.get("house-ad")
                page.house_ad = f"{zone.w / MM:.0f} × {zone.h / MM:.0f} mm" if zone is not None else ""
            plan.laid_out = True
            return True
        page = plan.pages[over]
        if not grow or len(page.articles) < 2:
            return False
        # keep the articles that make up about three quarters of the estimate (at least one moves): an overfull
        # page is the slowest to lay out, so few rounds
        sizes = [_estimate(p.article, layout) for p in page.articles]
        keep = max(1, min(len(sizes) - 1, sum(1 for k in range(len(sizes)) if sum(sizes[:k + 1]) <= 0.75 * sum(sizes))))
        moved, page.articles[:] = page.articles[keep:], page.articles[:keep]
        later = plan.pages[over + 1] if over + 1 < len(plan.pages) else None
        if later is not None and later.origin == page.origin:
            later.articles[:0] = moved  # onto the next part of the same input page
        else:
            plan.pages.insert(over + 1, PlanPage("", moved, origin=page.origin))
        # page 1 front, the others inside; the next page may now be too full: the loop cuts it in turn
        plan.pages = [_page(layout, i, p.articles, p.origin) for i, p in enumerate(plan.pages)]
    return False


def _notes(plan: Plan, inputs: int) -> list[str]:
    """Lines for REVIEW.md: the layout chosen, pages cut, and every house-ad slot."""
    notes = [f"paper.toml layout: \"{plan.layout}\" ({'四开 tabloid' if plan.layout == COMPACT else '对开'}) "
             "chosen for the amount of copy"] if plan.chosen else []
    if len(plan.pages) > inputs:
        notes.append(f"issue.toml: {inputs} input page(s) became {len(plan.pages)} pages: the copy of a page "
                     "did not fit one page")
    for i, page in enumerate(plan.pages, 1):
        if plan.laid_out and not page.house_ad:
            continue  # laid out: the copy fills the page
        if page.house_ad:
            notes.append(f"issue.toml page {i}: a house-ad slot (公益广告) of {page.house_ad} takes what the copy "
                         "leaves at the foot; put a public-service ad or more copy there")
        elif page.slot:
            notes.append(f"issue.toml page {i}: template '{page.template}' gives what the copy leaves to a "
                         "house-ad slot (公益广告); the build reports its size (I320)")
    return notes


def issue_toml(meta: IssueMeta, pages: list[list[PlacedArticle]], folder: Path | None = None) -> str:
    """issue.toml for the articles of each input page: pages, templates and layout are chosen here (a small
    draft is laid out in `folder`, its articles and paper.toml written by write.write_folder)."""
    return render(meta, plan_issue(meta, pages, folder))
