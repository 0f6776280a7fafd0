"""ONNX sessions, built once per worker process and passed into the stages that need them.

The models ship inside the rapidocr wheel (PP-OCRv6 small detection/recognition and the
text-orientation classifier) and are loaded from site-packages: nothing is downloaded.
"""

from __future__ import annotations

import logging
from functools import cached_property


class Engines:
    def __init__(self, threads: int = -1) -> None:
        # Worker processes share the cores: each gets its share of ONNX threads (-1: all).
        self.threads = threads

    @cached_property
    def ocr(self):
        from rapidocr import RapidOCR

        engine = RapidOCR(params={
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
        })
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        return engine
