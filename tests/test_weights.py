"""The int8 text detector: which build is used, that a build is reproducible, and that it finds
what the wheel's detector finds."""

from __future__ import annotations

import json

import onnx
import pytest

from backend.pipeline.engines import Engines
from backend.pipeline.ocr import detect
from backend.weights import DET_INT8, DET_SOURCE, MANIFEST, detector_file, quantise, synth, wheel_model


def fake_build(model_dir, content=b"int8 model"):
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / DET_INT8).write_bytes(content)
    manifest = {"recipe": quantise.recipe(), "sha256": quantise.sha256(model_dir / DET_INT8)}
    (model_dir / MANIFEST).write_text(json.dumps(manifest))


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
