"""A built print PDF and its PageLayouts in, one PNG thumbnail per page with every module outlined out.

For `epaper preview ISSUE_DIR`: an editor sees at a glance how the page was cut — each module's rectangle in
its own colour, labelled with the article id and its fill (lines used / lines available), the fixed zones in
grey, and the page's area and text fill in the corner. Pages are rasterised with PDFium; the outlines are
drawn from the plan (epaper.layout.place), in the PDF's trim-box coordinates, so a module drawn off its text
would show a mismatch between plan and PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

from ..layout.types import PageLayout

# Outline colours, cycled over a page's modules (distinct hues that read on newsprint grey and on photos).
COLOURS = ((214, 39, 40), (31, 119, 180), (44, 160, 44), (255, 127, 14), (148, 103, 189), (23, 190, 207),
           (227, 119, 194), (140, 86, 75), (188, 189, 34), (0, 0, 0))
ZONE_COLOUR = (128, 128, 128)
FILL_ALPHA = 28  # of the translucent wash inside each module (0–255)


def module_colour(index: int) -> tuple[int, int, int]:
    """The outline colour of a page's index-th module (in the page's document order)."""
    return COLOURS[index % len(COLOURS)]


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """The palette's sans face (CJK-capable) when it is installed, else Pillow's built-in font."""
    try:
        from ..paths import FONTS
        from ..fonts import load_palette

        return ImageFont.truetype(str(load_palette(FONTS)["sans-regular"].file), size)
    except Exception:  # a preview must not fail for want of a font
        try:
            return ImageFont.load_default(size)
        except TypeError:  # Pillow < 10.1
            return ImageFont.load_default()


def outline_width(width_px: int) -> int:
    """Outline thickness in pixels for a thumbnail `width_px` wide."""
    return max(2, round(width_px / 450))


def write_previews(pdf_path: Path | str, layout_pages: Sequence[PageLayout], out_dir: Path | str, *,
                   width_px: int = 900) -> list[Path]:
    """Write `<pdf stem>-p<N>.png` for every page of the PDF into out_dir; returns the files in page order.

    layout_pages are the build's pages (BuildResult.pages), in the PDF's order.
    """
    import pypdfium2 as pdfium

    pdf_path, out_dir = Path(pdf_path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(pdf_path)
    written: list[Path] = []
    try:
        if len(doc) != len(layout_pages):
            raise ValueError(f"{pdf_path} has {len(doc)} pages, the layout {len(layout_pages)}")
        for index, page_layout in enumerate(layout_pages):
            page = doc[index]
            scale = width_px / page.get_width()
            image = page.render(scale=scale).to_pil().convert("RGBA")
            # plan coordinates are points from the trim's top-left corner; the page may carry bleed around it
            left, _, _, top = page.get_trimbox()
            ox, oy = left, page.get_height() - top
            draw_outlines(image, page_layout, scale, ox, oy)
            target = out_dir / f"{pdf_path.stem}-p{page_layout.page.number}.png"
            image.convert("RGB").save(target, format="PNG", optimize=True)
            written.append(target)
    finally:
        doc.close()
    return written


def draw_outlines(image: Image.Image, page_layout: PageLayout, scale: float, ox: float = 0.0,
                  oy: float = 0.0) -> None:
    """Draw the zones, the modules and their labels onto an RGBA rendering of the page."""
    width = outline_width(image.width)
    label_font = _font(max(10, round(image.width / 75)))
    wash = Image.new("RGBA", image.size, (0, 0, 0, 0))
    wash_draw = ImageDraw.Draw(wash)
    draw = ImageDraw.Draw(image)

    def box(rect) -> tuple[int, int, int, int]:
        return (round((rect.x + ox) * scale), round((rect.y + oy) * scale),
                round((rect.x + ox + rect.w) * scale) - 1, round((rect.y + oy + rect.h) * scale) - 1)

    for zone in page_layout.zones.values():
        draw.rectangle(box(zone), outline=ZONE_COLOUR, width=max(1, width // 2))
    for index, module in enumerate(page_layout.modules):
        colour = module_colour(index)
        wash_draw.rectangle(box(module.rect), fill=(*colour, FILL_ALPHA))
    image.alpha_composite(wash)
    labels = []
    for index, module in enumerate(page_layout.modules):
        colour = module_colour(index)
        x0, y0, x1, y1 = box(module.rect)
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=width)
        name = getattr(module, "dom_id", module.article.id)
        text = f"{name}  {module.fill:.0%}" + (f"  +{module.overset} over" if module.overset else "")
        labels.append((x0 + width, y0 + width, text, colour))
    for x, y, text, colour in labels:  # labels last, so no outline crosses them
        l, t, r, b = draw.textbbox((x + 3, y + 2), text, font=label_font)
        draw.rectangle((x, y, r + 3, b + 2), fill=colour)
        draw.text((x + 3, y + 2), text, fill=(255, 255, 255), font=label_font)
    fill = page_layout.area_fill * page_layout.text_fill
    summary = f"p{page_layout.page.number}  area {page_layout.area_fill:.1%}  text {page_layout.text_fill:.1%}  " \
              f"fill {fill:.1%}"
    l, t, r, b = draw.textbbox((4, 4), summary, font=label_font)
    draw.rectangle((0, 0, r + 4, b + 4), fill=(255, 255, 255))
    draw.text((4, 4), summary, fill=(0, 0, 0), font=label_font)
