"""Derive the int8 text detector from the wheel's fp32 one: static QDQ quantisation, per-channel
weights, activation ranges (min/max) measured on synthetic invoice photos.

Why: on the CPUs we run on (VNNI) the int8 detector is ~3× faster than fp32 — detection was half
of a photo's reading time. The stem convolution and the head (everything after the last feature
concatenation: the up-sampling to full resolution and the probability map) stay fp32: quantising
them loses thin strokes and merges lines (bench.accuracy on the dev photos).

    fapiao models            # build if missing or stale, print where
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from . import DET_INT8, DET_SOURCE, MANIFEST, wheel_model

CALIBRATION_PAGES = 12
SEED = 0
OPSET = 17  # per-channel QDQ needs opset ≥ 13; the wheel's model is opset 11


@dataclass(frozen=True)
class Built:
    path: Path
    sha256: str
    fresh: bool  # built now (False: an up-to-date build was already there)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def recipe() -> dict:
    """Everything the built model depends on: a build with the same recipe is the same model."""
    import onnxruntime

    return {"source": DET_SOURCE, "source_sha256": sha256(wheel_model(DET_SOURCE)),
            "onnxruntime": onnxruntime.__version__, "pages": CALIBRATION_PAGES, "seed": SEED, "opset": OPSET}


def current(model_dir: Path) -> Path | None:
    """The int8 detector in `model_dir` if it was built from the installed wheel, else None."""
    path, manifest = model_dir / DET_INT8, model_dir / MANIFEST
    try:
        built = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    if not path.exists() or built.get("recipe") != recipe() or built.get("sha256") != sha256(path):
        return None
    return path


def build(model_dir: Path, force: bool = False) -> Built:
    existing = None if force else current(model_dir)
    if existing is not None:
        return Built(existing, sha256(existing), fresh=False)
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        converted, prepared = Path(tmp) / "det-opset.onnx", Path(tmp) / "det-prepared.onnx"
        model = version_converter.convert_version(onnx.load(wheel_model(DET_SOURCE)), OPSET)
        onnx.save(model, converted)
        quant_pre_process(str(converted), str(prepared), skip_symbolic_shape=True)
        prepared_model = onnx.load(prepared)
        staged = Path(tmp) / DET_INT8
        quantize_static(str(prepared), str(staged), _Pages(prepared_model.graph.input[0].name),
                        quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                        nodes_to_exclude=kept_float(prepared_model.graph))
        target = model_dir / DET_INT8
        shutil.move(staged, target)
    digest = sha256(target)
    (model_dir / MANIFEST).write_text(json.dumps({"recipe": recipe(), "sha256": digest}, indent=2))
    return Built(target, digest, fresh=True)


def kept_float(graph) -> list[str]:
    """Names of the nodes left in fp32: the first convolution and the head."""
    nodes = list(graph.node)
    first_conv = next(n.name for n in nodes if n.op_type == "Conv")
    last_concat = max(i for i, n in enumerate(nodes) if n.op_type == "Concat")
    return [first_conv] + [n.name for n in nodes[last_concat + 1:]]


class _Pages:
    """ONNX Runtime's calibration reader: the detector's input for synthetic invoice photos —
    varied amounts and names, tilted, noisy, under a colour cast, on a desk-coloured border."""

    def __init__(self, input_name: str) -> None:
        self.input_name = input_name
        self._pages = iter(range(CALIBRATION_PAGES))
        self._rng = random.Random(SEED)

    def get_next(self) -> dict | None:
        k = next(self._pages, None)
        return None if k is None else {self.input_name: detector_input(calibration_page(self._rng, k))}

    def rewind(self) -> None:  # part of the reader protocol; one pass is all MinMax needs
        self.__init__(self.input_name)


def calibration_page(rng: random.Random, k: int) -> np.ndarray:
    from . import synth

    names = ["中国科学院自动化研究所", "北京宇音天下科技有限公司", "海鸿达（北京）餐饮管理有限公司"]
    spec = synth.Spec(buyer_name=rng.choice(names), amount=f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}")
    page = synth.photo_like(synth.render(spec), angle=rng.uniform(-6, 6), seed=k)
    cast = np.array([rng.uniform(0.75, 1.05) for _ in range(3)]) * rng.uniform(0.7, 1.0)
    page = np.clip(page.astype(np.float32) * cast, 0, 255).astype(np.uint8)
    pad = rng.randint(0, 200)
    return cv2.copyMakeBorder(page, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(rng.randint(60, 200),) * 3)


def detector_input(page: np.ndarray) -> np.ndarray:
    """The tensor the reader's detection stage feeds the model for this page."""
    return _fp32_detector().tensor(page)


@functools.cache
def _fp32_detector():
    from ..pipeline.engines import Engines

    return Engines(det_model=wheel_model(DET_SOURCE)).detector
