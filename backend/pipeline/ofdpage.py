"""A picture of an OFD's first page, drawn from the text the reader already takes from it.

An OFD has no pixels to decode, so it had no preview: its invoice page showed no page and no field boxes.
The reader places every text object (textlayer.ofd_lines, in pixels of the page it reads), so drawing those
same runs at the same places gives a page whose field boxes line up with what was read. Pillow (already a
dependency) draws the text in a CJK font from the system when there is one; without one the runs are still
drawn as boxes, so the page keeps its layout.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .textlayer import ofd_lines

# Debian's fonts-noto-cjk (the browser tests install it), then WenQuanYi and Droid, the other CJK fonts a
# Debian server is likely to have.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
INK = (40, 40, 40)
BOX = (200, 200, 200)


@lru_cache(maxsize=1)
def _font_path() -> str | None:
    return next((p for p in CJK_FONTS if Path(p).is_file()), None)


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | None:
    path = _font_path()
    return ImageFont.truetype(path, size) if path else None


def render_ofd(data: bytes) -> np.ndarray:
    """The first page as a BGR image the size of the page the reader's boxes are in."""
    lines, (width, height) = ofd_lines(data)
    image = Image.new("RGB", (round(width), round(height)), "white")
    draw = ImageDraw.Draw(image)
    for line in lines:
        x0, y0, x1, y1 = line.box
        size = max(8, int(min((y1 - y0) * 0.8, (x1 - x0) / max(1, len(line.text)) * 1.05)))
        font = _font(size)
        if font is None:
            draw.rectangle((x0, y0 + (y1 - y0) * 0.2, x1, y1 - (y1 - y0) * 0.2), outline=BOX)
        else:
            draw.text((x0, y0 + (y1 - y0 - size) / 2), line.text, font=font, fill=INK)
    return np.asarray(image)[:, :, ::-1].copy()
