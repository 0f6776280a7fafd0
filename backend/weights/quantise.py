"""Derive the reader's text detector and recogniser from the wheel's fp32 models.

The detector: int8, static QDQ quantisation, per-channel weights, activation ranges (min/max)
measured on synthetic invoice photos. On the CPUs we run on (VNNI) it is ~3× faster than fp32 —
detection was half of a photo's reading time. The stem convolution and the head (everything after
the last feature concatenation: the up-sampling to full resolution and the probability map) stay
fp32: quantising them loses thin strokes and merges lines (bench.accuracy on the dev photos).

The recogniser: fp32 as shipped, but its classifier over the 18 710 characters rewritten from
MatMul + Add on (1, T, 120) into one Gemm on (T, 120) — the same probabilities (ONNX Runtime fuses
MatMul + Add only on 2-D inputs, so the bias was a pass of its own over T × 18 710: ~10 % of
recognition). An int8 recogniser (the backbone's convolutions quantised the detector's way,
calibrated on the lines of the synthetic pages) read 1.5× faster but not the same: on the dev photos
two fields fewer right and one sure-and-wrong name (its character probabilities moved), so it is
not built.

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

from . import DET_INT8, DET_SOURCE, MANIFEST, REC_FUSED, REC_MANIFEST, REC_SOURCE, wheel_model

CALIBRATION_PAGES = 12
SEED = 0
OPSET = 17  # per-channel QDQ needs opset ≥ 13; the wheel's model is opset 11


@dataclass(frozen=True)
class Target:
    """One derived model: the wheel's model it comes from, the files it is built into, and what
    else the build depends on (part of its recipe)."""

    source: str
    file: str
    manifest: str
    recipe: dict


# `build`: raised whenever the code of a target's transform changes, which no other part of the recipe sees (a
# build of the same recipe is taken as up to date, and `make install` would keep the old file).
DETECTOR = Target(DET_SOURCE, DET_INT8, MANIFEST,
                  {"pages": CALIBRATION_PAGES, "seed": SEED, "opset": OPSET, "build": 1})
RECOGNISER = Target(REC_SOURCE, REC_FUSED, REC_MANIFEST, {"head": "gemm", "build": 1})


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


def recipe(target: Target = DETECTOR) -> dict:
    """Everything the built model depends on: a build with the same recipe is the same model."""
    import onnx
    import onnxruntime

    return {"source": target.source, "source_sha256": sha256(wheel_model(target.source)),
            "onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__, **target.recipe}


def current(model_dir: Path, target: Target = DETECTOR) -> Path | None:
    """The derived model in `model_dir` if it was built from the installed wheel, else None."""
    path, manifest = model_dir / target.file, model_dir / target.manifest
    try:
        built = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    if not path.exists() or built.get("recipe") != recipe(target) or built.get("sha256") != sha256(path):
        return None
    return path


def build(model_dir: Path, force: bool = False, target: Target = DETECTOR) -> Built:
    existing = None if force else current(model_dir, target)
    if existing is not None:
        return Built(existing, sha256(existing), fresh=False)
    model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / target.file
        (_quantise_detector if target == DETECTOR else _fuse_recogniser)(Path(tmp), staged)
        path = model_dir / target.file
        shutil.move(staged, path)
    digest = sha256(path)
    (model_dir / target.manifest).write_text(json.dumps({"recipe": recipe(target), "sha256": digest}, indent=2))
    return Built(path, digest, fresh=True)


def _quantise_detector(tmp: Path, out: Path) -> None:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    converted, prepared = tmp / "det-opset.onnx", tmp / "det-prepared.onnx"
    model = version_converter.convert_version(onnx.load(wheel_model(DET_SOURCE)), OPSET)
    onnx.save(model, converted)
    quant_pre_process(str(converted), str(prepared), skip_symbolic_shape=True)
    prepared_model = onnx.load(prepared)
    quantize_static(str(prepared), str(out), _Pages(prepared_model.graph.input[0].name),
                    quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                    nodes_to_exclude=kept_float(prepared_model.graph))


def _fuse_recogniser(tmp: Path, out: Path) -> None:
    import onnx

    onnx.save(gemm_head(onnx.load(wheel_model(REC_SOURCE))), out)


def kept_float(graph) -> list[str]:
    """Names of the detector's nodes left in fp32: the first convolution and the head."""
    nodes = list(graph.node)
    first_conv = next(n.name for n in nodes if n.op_type == "Conv")
    last_concat = max(i for i, n in enumerate(nodes) if n.op_type == "Concat")
    return [first_conv] + [n.name for n in nodes[last_concat + 1:]]


def gemm_head(model):
    """The recogniser with its classifier (MatMul by (120, 18710), then + bias, on (N, T, 120)) as
    one Gemm on the (N·T, 120) rows, reshaped back to (N, T, 18710): the same logits."""
    from onnx import helper, numpy_helper

    g = model.graph
    nodes = list(g.node)
    made_by = {n.output[0]: n for n in nodes}
    add = made_by[next(n for n in reversed(nodes) if n.op_type == "Softmax").input[0]]
    while add.op_type == "Identity":
        add = made_by[add.input[0]]
    matmul = made_by[add.input[0]]
    weights = {t.name: t for t in g.initializer}
    if add.op_type != "Add" or matmul.op_type != "MatMul" or matmul.input[1] not in weights:
        raise ValueError("the recogniser's classifier is not MatMul + Add before its softmax")
    k, n = numpy_helper.to_array(weights[matmul.input[1]]).shape
    x = matmul.input[0]
    g.initializer.extend([numpy_helper.from_array(np.array(v, np.int64), name) for name, v in
                          (("head_rows", [-1, k]), ("head_from", [0]), ("head_to", [2]), ("head_classes", [n]))])
    fused = [helper.make_node("Reshape", [x, "head_rows"], ["head_x"], name="head_flatten"),
             helper.make_node("Gemm", ["head_x", matmul.input[1], add.input[1]], ["head_logits"], name="head_gemm"),
             helper.make_node("Shape", [x], ["head_shape"], name="head_shape"),
             helper.make_node("Slice", ["head_shape", "head_from", "head_to"], ["head_nt"], name="head_nt"),
             helper.make_node("Concat", ["head_nt", "head_classes"], ["head_out"], axis=0, name="head_out"),
             helper.make_node("Reshape", ["head_logits", "head_out"], [add.output[0]], name="head_unflatten")]
    at = nodes.index(matmul)
    g.node.remove(matmul)
    g.node.remove(add)
    for i, node in enumerate(fused):
        g.node.insert(at + i, node)
    return model


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
