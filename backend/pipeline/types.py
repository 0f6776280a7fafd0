"""Frozen results passed between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Limits:
    max_pixels: int
    max_pdf_pages: int
    render_long_side: int = 2500  # PDF pages are rendered so their long side is about this


@dataclass(frozen=True)
class Document:
    """A decoded upload: its pages as BGR arrays (EXIF orientation applied) and its page count.

    `pages` is empty for formats the app parses instead of rendering (OFD)."""

    kind: str
    page_count: int
    pages: tuple[np.ndarray, ...] = field(default=())

    @property
    def first_page(self) -> np.ndarray | None:
        return self.pages[0] if self.pages else None
