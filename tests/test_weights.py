"""The derived text detector (int8) and recogniser (classifier fused): which build is used, that a
build is reproducible, and that it finds and reads what the wheel's models find and read."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from backend.pipeline import ocr
from backend.pipeline.engines import Engines
from backend.pipeline.ocr import detect
from backend.weights import (
    DET_INT8,
    DET_SOURCE,
    MANIFEST,
    REC_FUSED,
    REC_SOURCE,
    detector_file,
    quantise,
    recogniser_file,
    synth,
    wheel_model,
)


def fake_build(model_dir, content=b"int8 model", target=quantise.DETECTOR):
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / target.file).write_bytes(content)
    manifest = {"recipe": quantise.recipe(target), "sha256": quantise.sha256(model_dir / target.file)}
    (model_dir / target.manifest).write_text(json.dumps(manifest))


def test_a_build_counts_only_if_it_matches_the_installed_wheel(tmp_path):
    assert quantise.current(tmp_path) is None
    fake_build(tmp_path)
    assert quantise.current(tmp_path) == tmp_path / DET_INT8
    (tmp_path / DET_INT8).write_bytes(b"changed on disk")
    assert quantise.current(tmp_path) is None
    fake_build(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["recipe"]["onnxruntime"] = "0.0.1"  # built by another onnxruntime
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert quantise.current(tmp_path) is None


def test_the_wheels_detector_is_chosen_without_a_build(tmp_path, caplog):
    assert detector_file(tmp_path) is None and Engines(det_model=detector_file(tmp_path)).det_model is None
    assert "fapiao models" in caplog.text
    fake_build(tmp_path / "built")
    assert detector_file(tmp_path / "built") == tmp_path / "built" / DET_INT8


def test_the_wheels_recogniser_is_chosen_without_its_own_build(tmp_path, caplog):
    fake_build(tmp_path)  # a detector alone
    assert recogniser_file(tmp_path) is None and "recogniser" in caplog.text
    fake_build(tmp_path, target=quantise.RECOGNISER)
    assert recogniser_file(tmp_path) == tmp_path / REC_FUSED and detector_file(tmp_path) == tmp_path / DET_INT8
    manifest = json.loads((tmp_path / quantise.RECOGNISER.manifest).read_text())
    manifest["recipe"]["source_sha256"] = "0" * 64  # built from another wheel
    (tmp_path / quantise.RECOGNISER.manifest).write_text(json.dumps(manifest))
    assert recogniser_file(tmp_path) is None


def _session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _line_tensors(n):
    page = synth.render(synth.Spec(full_form=True))
    found = detect(page, Engines(det_model=wheel_model(DET_SOURCE)).detector)
    boxes = [tuple(int(v) for v in s.box) for s in found.spans if not s.tall][:n]
    return ocr.line_tensors([page[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes])


def test_the_recognisers_classifier_as_one_gemm_gives_the_same_probabilities():
    wheel = onnx.load(wheel_model(REC_SOURCE))
    fused = quantise.gemm_head(onnx.load(wheel_model(REC_SOURCE)))
    assert "Gemm" in {n.op_type for n in fused.graph.node} and len(fused.graph.node) == len(wheel.graph.node) + 4
    a, b = _session(wheel), _session(fused)
    for tensor in _line_tensors(3):
        np.testing.assert_allclose(a.run(None, {"x": tensor})[0], b.run(None, {"x": tensor})[0], atol=1e-5)


def test_the_stem_and_the_head_stay_float():
    graph = onnx.load(wheel_model(DET_SOURCE)).graph
    kept = quantise.kept_float(graph)
    ops = {n.name: n.op_type for n in graph.node}
    assert ops[kept[0]] == "Conv" and kept[0] == next(n.name for n in graph.node if n.op_type == "Conv")
    assert {"ConvTranspose", "Sigmoid"} <= {ops[name] for name in kept}
    assert "Concat" not in {ops[name] for name in kept} and len(kept) < len(graph.node) // 10


@pytest.mark.slow
def test_a_build_is_reproducible_and_finds_the_same_lines(tmp_path):
    first, second = quantise.build(tmp_path / "a"), quantise.build(tmp_path / "b")
    assert first.fresh and first.sha256 == second.sha256
    assert not quantise.build(tmp_path / "a").fresh  # up to date: nothing rebuilt
    photo = synth.photo_like(synth.render(synth.Spec(full_form=True)), angle=4, seed=9)
    int8 = detect(photo, Engines(det_model=first.path).detector).spans
    fp32 = detect(photo, Engines(det_model=wheel_model(DET_SOURCE)).detector).spans
    assert abs(len(int8) - len(fp32)) <= max(2, len(fp32) // 10)
    centres = [((s.box[0] + s.box[2]) / 2, (s.box[1] + s.box[3]) / 2) for s in int8]
    for s in fp32:  # every line the fp32 detector finds, the int8 one finds where it is
        assert any(s.box[0] <= x <= s.box[2] and s.box[1] <= y <= s.box[3] for x, y in centres), s.box


def test_a_recogniser_build_is_reproducible_and_reads_what_the_wheels_reads(tmp_path):
    first, second = (quantise.build(tmp_path / d, target=quantise.RECOGNISER) for d in "ab")
    assert first.fresh and first.sha256 == second.sha256
    assert not quantise.build(tmp_path / "a", target=quantise.RECOGNISER).fresh
    fused, wheel = Engines(rec_model=first.path).recogniser, Engines().recogniser
    assert fused.characters == wheel.characters  # the character set travels in the model's metadata
    for tensor in _line_tensors(6):
        a, b = fused.read(tensor), wheel.read(tensor)
        assert a.text == b.text and np.allclose(a.chars, b.chars, atol=1e-5)
