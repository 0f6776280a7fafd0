"""The models the reader runs, and where they live on disk.

The orientation classifier runs as shipped in the rapidocr wheel. Text detection runs an int8 copy
of the wheel's PP-OCRv6 detector, and recognition the wheel's recogniser with its classifier fused
into one Gemm, both derived by this project at install time (`fapiao models`, run by `make
install`): the detector calibrated on the project's own synthetic invoices, so the build needs
nothing but the wheel and is the same every time. The field tagger
(pipeline/tagger.py, weights/tagger.py) is trained only on request (`fapiao models --tagger`), on the
project's own generated invoices read by the reader: measured against the rules it caught no
sure-and-wrong value, so the reader does not load it. Nothing is downloaded.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)

DET_INT8 = "det-int8.onnx"
MANIFEST = "det-int8.json"
REC_FUSED = "rec-gemm.onnx"
REC_MANIFEST = "rec-gemm.json"


def default_dir() -> Path:
    """Inside the Python environment the app is installed in: the model belongs to the wheels it
    was built from."""
    return Path(sys.prefix) / "share" / "fapiao" / "models"


def wheel_model(name: str) -> Path:
    import rapidocr

    return Path(rapidocr.__file__).parent / "models" / name


DET_SOURCE = "PP-OCRv6_det_small.onnx"
REC_SOURCE = "PP-OCRv6_rec_small.onnx"
TAGGER = "tagger.onnx"
TAGGER_MANIFEST = "tagger.json"


def detector_file(model_dir: Path | None = None) -> Path | None:
    """The detector the reader should run: the project's int8 build in `model_dir` (default: inside
    the environment) when it was built from the installed wheel, else None — the wheel's fp32 one,
    ~3× slower on VNNI CPUs. The worker and the CLI choose with this and pass it to `Engines`."""
    from .quantise import current

    where = model_dir or default_dir()
    built = current(where)
    if built is None:
        log.warning("no int8 text detector in %s (run `fapiao models`): using the slower fp32 one", where)
    return built


def recogniser_file(model_dir: Path | None = None) -> Path | None:
    """The recogniser the reader should run: the project's build in `model_dir` (default: inside the
    environment) when it was built from the installed wheel, else None — the wheel's own, which reads
    the same, its recognition a few per cent slower. Chosen and passed to `Engines` like the detector
    (`detector_file`)."""
    from .quantise import RECOGNISER, current

    where = model_dir or default_dir()
    built = current(where, RECOGNISER)
    if built is None:
        log.warning("no fused text recogniser in %s (run `fapiao models`): using the wheel's, slower", where)
    return built


def tagger_file(model_dir: Path | None = None) -> Path | None:
    """The field tagger in `model_dir` (default: inside the environment) when it is up to date
    with the code and models it was built from, else None: the reader runs on its rules alone."""
    from .tagger import current

    where = model_dir or default_dir()
    built = current(where)
    if built is None:
        log.warning("no field tagger in %s (`fapiao models --tagger`): reading by the rules alone", where)
    return built
