"""layout.json: an issue, its layout and its placed pages in, the record of every module's rectangle and fill out."""

from __future__ import annotations

from ...layout.grid import MM, Layout
from ...layout.types import PageLayout
from ...model import Issue


def layout_record(issue: Issue, layout: Layout, pages: list[PageLayout]) -> dict:
    """Per page and module the rectangle in mm, lines used and available, fill ratio."""
    out_pages = []
    for p in pages:
        modules = [{"article": m.article.id, "id": m.dom_id, "part": m.fragment.part if m.fragment else 1,
                    "slot": m.slot.name, "kind": m.article.kind,
                    "title": m.article.title, "rect_mm": m.rect.mm(),
                    "grid": {"col": m.col, "span": m.span, "line": m.line, "lines": m.lines},
                    "lines_used": m.lines_used, "lines_available": m.lines_available, "fill": round(m.fill, 4)}
                   for m in p.modules]
        out_pages.append({"number": p.page.number, "name": p.page.name, "template": p.template.name,
                          "size_mm": {"w": round(layout.width / MM, 2), "h": round(layout.height / MM, 2)},
                          "modules": modules, "area_fill": round(p.area_fill, 4), "text_fill": round(p.text_fill, 4)})
    return {"issue": {"paper": issue.paper.name, "date": issue.date.isoformat(), "number": issue.number,
                      "version": issue.version},
            "pages": out_pages}
