"""A PDF's bytes and a page number in, that page as PNG bytes out (PDFium; WeasyPrint has no raster output)."""

from __future__ import annotations

import io

import pypdfium2 as pdfium


def page_png(pdf: bytes, index: int = 0, width_px: int = 1200) -> bytes:
    """Page `index` rasterised `width_px` wide: the EPUB cover is the printed front page."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        image = page.render(scale=width_px / page.get_width()).to_pil().convert("RGB")
    finally:
        doc.close()
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
