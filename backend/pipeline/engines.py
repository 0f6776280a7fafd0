"""ONNX sessions, built once per worker process and passed into the stages that need them.

Recognition and orientation models ship inside the rapidocr wheel (PP-OCRv6 small recognition,
the text-orientation classifier) and are loaded from site-packages. Detection runs the int8
copy of the wheel's PP-OCRv6 detector that `fapiao models` derives at install time
(backend/weights); without it, the wheel's fp32 detector, ~3× slower. Nothing is downloaded.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path

log = logging.getLogger(__name__)

DET_LONG_SIDE = 960


class Engines:
    def __init__(self, threads: int = -1, model_dir: Path | None = None, det_model: str | None = None,
                 rec_model: str | None = None) -> None:
        # Worker processes share the cores: each gets its share of ONNX threads (-1: all).
        self.threads = threads
        self.model_dir = model_dir
        self._det_model, self.rec_model = det_model, rec_model

    @cached_property
    def det_model(self) -> str | None:
        """The detector to run: the one asked for, else the project's int8 build, else the wheel's."""
        if self._det_model:
            return self._det_model
        from ..weights import default_dir
        from ..weights.quantise import current

        built = current(self.model_dir or default_dir())
        if built is None:
            log.warning("no int8 text detector in %s (run `fapiao models`): using the slower fp32 one",
                        self.model_dir or default_dir())
            return None
        return str(built)

    @cached_property
    def ocr(self):
        from rapidocr import RapidOCR

        models = {"Det.model_path": self.det_model, "Rec.model_path": self.rec_model}
        engine = RapidOCR(params={k: v for k, v in models.items() if v} | {
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
            # Detect on a page scaled to a 960 px long side: invoice print stays ≥ 12 px high,
            # and detection drops from ~0.9 s to ~0.15 s on a 2-core CPU (bench.accuracy).
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_LONG_SIDE,
        })
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        return engine
