"""Build the field tagger (pipeline/tagger.py) from the project's own generated invoices.

Every family (families.py) is drawn PAGES times with seeds from FIRST_SEED on — disjoint from
bench.synthetic's (0 …) — half as drawn, half photographed (or shot off a screen); each page is
read by the reader's own stages (extract.read, the detector `fapiao models` built, one lane), and
each line is labelled with the field whose true value it carries (a value printed on a line with
another shares it), else "other". A one-hidden-layer MLP is fitted in float64 numpy, full batch,
from a fixed seed; its float32 weights go into an ONNX graph written with onnx.helper
(MatMul/Add/Relu/MatMul/Add/Softmax), fixed producer and versions: the same recipe gives the
same bytes.

    fapiao models            # builds the detector, then this, if missing or stale
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import REC_SOURCE, TAGGER, TAGGER_MANIFEST, wheel_model
from .quantise import sha256

PAGES = 8  # per family: 72 pages, ~2 min of reading on two cores
FIRST_SEED = 10_000
SEED = 0
HIDDEN = 48
STEPS = 400
RATE = 0.01
DECAY = 1e-3  # 1e-4 fitted the generator's pages closer and was against more right values on the dev set
OPSET, IR_VERSION = 17, 8
SOURCES = ("pipeline/tagger.py", "weights/tagger.py", "weights/families.py")


@dataclass(frozen=True)
class Built:
    path: Path
    sha256: str
    fresh: bool
    lines: int = 0  # training lines (0: not built now)


@dataclass(frozen=True)
class Sample:
    """One read page: its lines and what each carries (a row of target probabilities per line)."""

    x: np.ndarray
    y: np.ndarray


def recipe(model_dir: Path, pages: int = PAGES) -> dict:
    """What the built tagger depends on: the code that draws, reads and featurises the pages, the
    reader's models, the library versions, the sizes and seeds."""
    import onnx
    import onnxruntime

    from . import quantise

    backend = Path(__file__).resolve().parent.parent
    det = quantise.current(model_dir)
    return {"sources": {s: sha256(backend / s) for s in SOURCES},
            "detector_sha256": sha256(det) if det else "wheel-fp32",
            "recogniser_sha256": sha256(wheel_model(REC_SOURCE)),
            "numpy": np.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
            "pages": pages, "first_seed": FIRST_SEED, "seed": SEED, "hidden": HIDDEN, "steps": STEPS}


def current(model_dir: Path, pages: int = PAGES) -> Path | None:
    """The tagger in `model_dir` if it was built by this recipe and is the file it wrote, else None."""
    path, manifest = model_dir / TAGGER, model_dir / TAGGER_MANIFEST
    try:
        built = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    if not path.exists() or built.get("recipe") != recipe(model_dir, pages) or built.get("sha256") != sha256(path):
        return None
    return path


def build(model_dir: Path, force: bool = False, pages: int = PAGES) -> Built:
    existing = None if force else current(model_dir, pages)
    if existing is not None:
        return Built(existing, sha256(existing), fresh=False)
    samples = training_set(read_pages(model_dir, pages))
    model = export(fit(samples))
    model_dir.mkdir(parents=True, exist_ok=True)
    target = model_dir / TAGGER
    target.write_bytes(model)
    digest = sha256(target)
    (model_dir / TAGGER_MANIFEST).write_text(json.dumps({"recipe": recipe(model_dir, pages), "sha256": digest},
                                                        indent=2))
    return Built(target, digest, fresh=True, lines=sum(len(s.y) for s in samples))


# -- the training pages ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    lines: tuple
    page_size: tuple[float, float]
    truth: dict


def read_pages(model_dir: Path, pages: int = PAGES, first_seed: int = FIRST_SEED) -> list[Page]:
    """Every family drawn `pages` times (every other one photographed) and read by the reader."""
    import cv2

    from ..pipeline.engines import Engines
    from ..pipeline.extract import read
    from ..pipeline.types import Limits
    from . import quantise
    from .families import GENERATORS, generate

    engines, limits, out = Engines(det_model=quantise.current(model_dir)), Limits(10**8, 50), []
    for name in GENERATORS:
        for k in range(pages):
            drawn = generate(name, first_seed + k, "none" if k % 2 == 0 else None)
            data = cv2.imencode(".jpg", drawn.image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
            reading = read(data, "jpeg", engines, limits)
            if reading.lines:
                out.append(Page(reading.lines, reading.page_size, drawn.truth))
    return out


def training_set(pages: Sequence[Page]) -> list[Sample]:
    from ..pipeline.tagger import features

    return [Sample(features(p.lines, p.page_size), targets(p.lines, p.truth)) for p in pages]


def targets(lines: Sequence, truth: dict[str, str | None]) -> np.ndarray:
    """Per line, the fields whose true value it carries (shared equally), else "other"."""
    from ..pipeline.tagger import CLASSES

    y = np.zeros((len(lines), len(CLASSES)))
    for i, ln in enumerate(lines):
        carried = [k for k, name in enumerate(CLASSES[:-1]) if truth.get(name) and carries(ln.text, name, truth[name])]
        y[i, carried or [len(CLASSES) - 1]] = 1.0 / max(1, len(carried))
    return y


def carries(text: str, name: str, value: str) -> bool:
    """Whether a line's text holds `value` of field `name`, allowing an OCR slip or two."""
    from ..pipeline.fields import parse_date, squash

    t = squash(text).upper()
    v = squash(value).upper()
    if name == "issue_date":
        return parse_date(text) == value
    if name in ("amount", "tax", "total"):
        money = re.sub(r"(?<=\d),(?=\d{3})", "", t.replace("·", "."))
        one_decimal = re.escape(v[:-1]) + r"(?!\d)" if v.endswith("0") else "(?!)"  # tickets print ¥15.5元
        return bool(re.search(rf"(?<![\d.])(?:{re.escape(v)}(?!\d)|{one_decimal})", money))
    if v in t:
        return True
    if name in ("buyer_name", "seller_name", "total_in_words"):
        t = t.replace("(", "（").replace(")", "）")
        found = difflib.SequenceMatcher(None, v, t, autojunk=False).find_longest_match(0, len(v), 0, len(t))
        return len(v) >= 6 and found.size >= 0.8 * len(v)
    # codes, numbers, tax IDs: a run of the same length, at most two characters misread
    return any(sum(a != b for a, b in zip(run, v, strict=True)) <= 2
               for run in re.findall(rf"[0-9A-Z]{{{len(v)}}}", t))


# -- the model -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Weights:
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray


def fit(samples: Sequence[Sample]) -> Weights:
    """Softmax cross-entropy on soft targets, Adam, full batch, float64, a fixed seed and step count."""
    x = np.concatenate([s.x for s in samples]).astype(np.float64)
    y = np.concatenate([s.y for s in samples])
    rng = np.random.default_rng(SEED)
    d, c = x.shape[1], y.shape[1]
    params = [rng.normal(0, np.sqrt(2 / d), (d, HIDDEN)), np.zeros(HIDDEN),
              rng.normal(0, np.sqrt(1 / HIDDEN), (HIDDEN, c)), np.zeros(c)]
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    for step in range(1, STEPS + 1):
        w1, b1, w2, b2 = params
        h = np.maximum(x @ w1 + b1, 0)
        p = _softmax(h @ w2 + b2)
        g = (p - y) / len(x)
        gh = (g @ w2.T) * (h > 0)
        grads = [x.T @ gh + DECAY * w1, gh.sum(0), h.T @ g + DECAY * w2, g.sum(0)]
        for param, grad, (m, v) in zip(params, grads, moments, strict=True):
            m[:] = 0.9 * m + 0.1 * grad
            v[:] = 0.999 * v + 0.001 * grad * grad
            param -= RATE * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    # Rounded before float32: the last float64 bits may differ with BLAS threading; these do not.
    return Weights(*(np.round(p, 6).astype(np.float32) for p in params))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def export(w: Weights) -> bytes:
    """The MLP as an ONNX graph: features [lines, D] → probabilities [lines, classes]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from ..pipeline.tagger import CLASSES, FEATURES

    init = [numpy_helper.from_array(a, n) for a, n in ((w.w1, "w1"), (w.b1, "b1"), (w.w2, "w2"), (w.b2, "b2"))]
    nodes = [helper.make_node("MatMul", ["features", "w1"], ["z1"]), helper.make_node("Add", ["z1", "b1"], ["a1"]),
             helper.make_node("Relu", ["a1"], ["h1"]), helper.make_node("MatMul", ["h1", "w2"], ["z2"]),
             helper.make_node("Add", ["z2", "b2"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1)]
    graph = helper.make_graph(
        nodes, "field_tagger",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["lines", w.w1.shape[0]])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["lines", len(CLASSES)])], init)
    model = helper.make_model(graph, producer_name="fapiao", producer_version=f"tagger-{FEATURES}",
                              opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    helper.set_model_props(model, {"classes": ",".join(CLASSES)})
    onnx.checker.check_model(model)
    return model.SerializeToString()
