"""The models the reader runs, and where they live on disk.

Recognition and the orientation classifier run as shipped in the rapidocr wheel. Text detection
runs an int8 copy of the wheel's PP-OCRv6 detector that this project derives at install time
(`fapiao models`, run by `make install`): calibrated on the project's own synthetic invoices, so
the build needs nothing but the wheel and is the same every time. Nothing is downloaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

DET_INT8 = "det-int8.onnx"
MANIFEST = "det-int8.json"


def default_dir() -> Path:
    """Inside the Python environment the app is installed in: the model belongs to the wheels it
    was built from."""
    return Path(sys.prefix) / "share" / "fapiao" / "models"


def wheel_model(name: str) -> Path:
    import rapidocr

    return Path(rapidocr.__file__).parent / "models" / name


DET_SOURCE = "PP-OCRv6_det_small.onnx"
