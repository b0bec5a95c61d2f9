"""Draw an honest placeholder photo for a sample issue: neutral grey, a thin frame, centred text.

Usage (from the repo root, with the project's venv):
    .venv/bin/python issues/wujin-daily/tools/make_placeholder.py OUT.png WIDTH HEIGHT "主文字" ["副文字"]

The PNG is saved in palette mode with a handful of colours, so it stays well under 60 KB.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
BACKGROUND = (200, 200, 200)
FRAME = (120, 120, 120)
INK = (70, 70, 70)


def fitted_font(draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int) -> ImageFont.FreeTypeFont:
    """The font at `size`, shrunk until `text` fits `max_width`."""
    while True:
        font = ImageFont.truetype(FONT, size)
        if draw.textlength(text, font=font) <= max_width or size <= 12:
            return font
        size -= 2


def make(out: Path, width: int, height: int, title: str, note: str = "") -> None:
    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    inset = max(12, min(width, height) // 40)
    line = max(2, min(width, height) // 400)
    draw.rectangle([inset, inset, width - 1 - inset, height - 1 - inset], outline=FRAME, width=line)
    # Two faint diagonals: the usual "no picture here" cross.
    draw.line([inset, inset, width - 1 - inset, height - 1 - inset], fill=FRAME, width=1)
    draw.line([inset, height - 1 - inset, width - 1 - inset, inset], fill=FRAME, width=1)
    max_width = int(width * 0.8)
    big = fitted_font(draw, title, max(24, min(width, height) // 16), max_width)
    lines = [(title, big)]
    if note:
        lines.append((note, fitted_font(draw, note, max(18, min(width, height) // 28), max_width)))
    gap = big.size // 2
    heights = [draw.textbbox((0, 0), t, font=f)[3] for t, f in lines]
    widths = [draw.textlength(t, font=f) for t, f in lines]
    block = sum(heights) + gap * (len(lines) - 1)
    y = (height - block) // 2
    # One grey band behind the whole text block so it stays legible over the diagonals.
    pad = big.size // 2
    band = max(widths)
    draw.rectangle([(width - band) // 2 - pad, y - pad // 2, (width + band) // 2 + pad, y + block + pad // 2],
                   fill=BACKGROUND)
    for (text, font), h, w in zip(lines, heights, widths):
        draw.text(((width - w) // 2, y), text, font=font, fill=INK)
        y += h + gap
    img.quantize(colors=8).save(out, optimize=True)


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    make(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] if len(sys.argv) == 6 else "")
