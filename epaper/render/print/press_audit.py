"""The rendered press document in, an E520 finding for each colour or image it would print in other than CMYK out.

layouts/*/press.css restates every colour of print.css in device-cmyk() (text 100 % K); the rendered boxes are
audited before anything is written, so that an element a stylesheet left in RGB (or translucent) is named.
"""

from __future__ import annotations

from ...codes import finding
from ...errors import Finding


def _hex(colour) -> str:
    if colour.space == "srgb":
        r, g, b = (round(255 * max(0.0, min(1.0, v))) for v in colour.coordinates)
        return f"#{r:02x}{g:02x}{b:02x}"
    return f"{colour.space}({' '.join(f'{v:g}' for v in colour.coordinates)})"


def audit_colours(document) -> list[Finding]:
    """Every colour the press document paints must be device-cmyk and opaque; every image CMYK."""
    from weasyprint.draw.color import get_color
    from weasyprint.formatting_structure import boxes

    findings: list[Finding] = []
    seen: set[tuple] = set()
    for number, page in enumerate(document.pages, 1):
        for box in page._page_box.descendants(placeholders=True):
            style = box.style
            uses = []
            if isinstance(box, boxes.TextBox):
                uses.append(("color", style["color"]))
                decoration = style["text_decoration_line"]
                if decoration and decoration != "none":
                    uses.append(("text-decoration-color", get_color(style, "text_decoration_color")))
            for side in ("top", "right", "bottom", "left"):
                if style[f"border_{side}_width"] and style[f"border_{side}_style"] not in ("none", "hidden"):
                    uses.append((f"border-{side}-color", get_color(style, f"border_{side}_color")))
            if style["outline_width"] and style["outline_style"] not in ("none", "hidden"):
                uses.append(("outline-color", get_color(style, "outline_color")))
            background = getattr(box, "background", None)
            if background is not None and background.color.alpha > 0:
                uses.append(("background-color", background.color))
            tag = getattr(box, "element_tag", "") or ""
            element = getattr(box, "element", None)
            cls = element.get("class", "") if element is not None and hasattr(element, "get") else ""
            where = f"page {number}, <{tag}{f' class={cls!r}' if cls else ''}>"
            for prop, colour in uses:
                bad = colour.space != "device-cmyk" or 0 < colour.alpha < 1
                key = (prop, str(colour), tag, cls)
                if bad and key not in seen:
                    seen.add(key)
                    what = "translucent" if colour.space == "device-cmyk" else "not CMYK"
                    findings.append(finding("E520", f"{prop} {_hex(colour)} is {what} in the press file",
                                            where=where))
            if isinstance(box, boxes.ReplacedBox):
                mode = getattr(box.replacement, "mode", "vector")
                key = ("image", mode, tag, cls)
                if mode != "CMYK" and key not in seen:
                    seen.add(key)
                    findings.append(finding("E520", f"image in {mode} in the press file", where=where,
                                            hint="press images are separated to CMYK JPEG; SVG is not supported"))
    return findings
