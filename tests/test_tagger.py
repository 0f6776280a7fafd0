"""The field tagger: its build (reproducible, counted only when up to date), its features, what it
tags on a generated page, and what its word does to confidence — and the reader without it."""

from __future__ import annotations

import datetime as dt
import json

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.pipeline import tagger as tagging
from backend.pipeline.confidence import PARTIES, TAGGER_AGAINST
from backend.pipeline.engines import Engines
from backend.pipeline.extract import Reading, interpret, read
from backend.pipeline.types import REVIEW_BELOW, Limits, TextLine
from backend.weights import TAGGER, TAGGER_MANIFEST, detector_file, tagger, tagger_file
from backend.weights.quantise import sha256

TODAY = dt.date(2026, 11, 27)
LIMITS = Limits(max_pixels=100_000_000, max_pdf_pages=50)


def page() -> tuple[TextLine, ...]:
    """A small invoice page read off a photo: every value next to its label."""
    rows = [("增值税普通发票", 700), ("发票代码:1100171320", 100), ("发票号码:12356976", 100),
            ("开票日期:2017年04月25日", 1300), ("合计", 100), ("¥566.04", 900), ("¥33.96", 1400),
            ("价税合计(大写)", 100), ("陆佰圆整", 500), ("(小写)¥600.00", 1300)]
    out, y = [], 20
    for k, (text, x) in enumerate(rows):
        if k and x <= rows[k - 1][1]:
            y += 60
        out.append(TextLine(text, (x, y, x + 32 * len(text), y + 30), 0.999, "ocr", chars=(0.999,) * len(text)))
    return tuple(out)


def jpeg(img: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


class Says:
    """A stand-in for the tagger's session: every line is `cls`, with probability `p`."""

    def __init__(self, cls: str, p: float = 0.97) -> None:
        self.row = np.full(len(tagging.CLASSES), (1 - p) / (len(tagging.CLASSES) - 1), dtype=np.float32)
        self.row[tagging.CLASSES.index(cls)] = p

    def get_inputs(self):
        return [type("Input", (), {"name": "features"})()]

    def run(self, outputs, feeds):
        return [np.tile(self.row, (len(feeds["features"]), 1))]


# -- features -------------------------------------------------------------------------------------------
def test_features_are_deterministic_one_fixed_width_row_per_line():
    lines = page()
    a, b = tagging.features(lines, (2000, 1400)), tagging.features(tuple(reversed(lines)), (2000, 1400))
    assert a.shape == (len(lines), tagging.width()) and a.dtype == np.float32
    assert np.array_equal(a, tagging.features(lines, (2000, 1400)))
    assert np.array_equal(a, b[::-1])  # a line's row depends on its page, not on the order given
    assert tagging.features((), (2000, 1400)).shape == (0, tagging.width())


def test_a_value_is_hashed_by_its_shape_and_its_label_is_seen_from_the_value():
    assert tagging.fold("2017年04月25日 No12") == "0000年00月00日aa00"
    assert np.array_equal(tagging.grams("12356976", 64), tagging.grams("98765432", 64))
    lines = page()
    x = tagging.features(lines, (2000, 1400))
    amount, words = 5, 8  # ¥566.04 has 合计 to its left; 陆佰圆整 has 价税合计(大写) to its left
    left = slice(tagging.OWN + len(tagging.shape("")) + 8, tagging.OWN + len(tagging.shape("")) + 8 + tagging.NEAR)
    assert np.array_equal(x[amount, left], tagging.grams("合计", tagging.NEAR))
    assert np.array_equal(x[words, left], tagging.grams("价税合计(大写)", tagging.NEAR))


def test_a_line_carries_the_true_value_allowing_a_slip():
    assert tagger.carries("发票号码:12356976", "invoice_number", "12356976")
    assert tagger.carries("发票号码:12358976", "invoice_number", "12356976")  # one digit misread
    assert not tagger.carries("发票号码:98765432", "invoice_number", "12356976")
    assert tagger.carries("¥1,130.00", "total", "1130.00") and tagger.carries("¥15.5元", "total", "15.50")
    assert not tagger.carries("¥11130.00", "total", "1130.00")
    assert tagger.carries("开票日期:2017年4月25日", "issue_date", "2017-04-25")
    y = tagger.targets([TextLine("¥566.04 ¥33.96", (0, 0, 10, 10), 1.0, "ocr")],
                       {"amount": "566.04", "tax": "33.96", "total": "600.00"})
    assert y[0, tagging.CLASSES.index("amount")] == y[0, tagging.CLASSES.index("tax")] == 0.5


# -- the build ------------------------------------------------------------------------------------------
def fake_build(model_dir, content=b"tagger"):
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / TAGGER).write_bytes(content)
    manifest = {"recipe": tagger.recipe(model_dir), "sha256": sha256(model_dir / TAGGER)}
    (model_dir / TAGGER_MANIFEST).write_text(json.dumps(manifest))


def test_a_tagger_counts_only_if_built_by_this_recipe_and_untouched(tmp_path, caplog):
    assert tagger.current(tmp_path) is None and tagger_file(tmp_path) is None
    assert "fapiao models" in caplog.text
    fake_build(tmp_path)
    assert tagger.current(tmp_path) == tmp_path / TAGGER == tagger_file(tmp_path)
    (tmp_path / TAGGER).write_bytes(b"changed on disk")
    assert tagger.current(tmp_path) is None
    fake_build(tmp_path)
    manifest = json.loads((tmp_path / TAGGER_MANIFEST).read_text())
    manifest["recipe"]["sources"]["pipeline/tagger.py"] = "0" * 64  # built for other features
    (tmp_path / TAGGER_MANIFEST).write_text(json.dumps(manifest))
    assert tagger.current(tmp_path) is None


def test_training_and_export_give_the_same_bytes_twice():
    rng = np.random.default_rng(7)
    x = rng.random((60, tagging.width())).astype(np.float32)
    y = np.eye(len(tagging.CLASSES))[rng.integers(0, len(tagging.CLASSES), 60)]
    samples = [tagger.Sample(x[:30], y[:30]), tagger.Sample(x[30:], y[30:])]
    model = tagger.export(tagger.fit(samples))
    assert model == tagger.export(tagger.fit(samples))
    import onnxruntime

    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    p = tagging.tag(page(), (2000, 1400), session)
    assert p.shape == (len(page()), len(tagging.CLASSES)) and np.allclose(p.sum(axis=1), 1, atol=1e-5)


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    """A tagger built from one page a family: what the slow tests below look at (`make install` does not
    train one: the reader does not use it)."""
    return tagger.build(tmp_path_factory.mktemp("tagger"), pages=1)


@pytest.mark.slow
def test_a_build_from_generated_pages_is_reproducible(small_build, tmp_path):
    again = tagger.build(tmp_path, pages=1)
    assert small_build.fresh and small_build.lines > 100 and small_build.sha256 == again.sha256
    assert not tagger.build(tmp_path, pages=1).fresh  # up to date: nothing rebuilt


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vat_normal", "digital_normal", "taxi_beijing"])
def test_the_built_tagger_tags_a_page_it_never_saw(small_build, name):
    from backend.weights.families import generate

    path = tagger.current(small_build.path.parent, pages=1)
    assert path is not None
    drawn = generate(name, seed=3)  # bench.synthetic's seeds: the build draws from FIRST_SEED on
    engines = Engines(det_model=detector_file(), tagger_model=path)
    reading = read(jpeg(drawn.image), "jpeg", engines, LIMITS)
    probs = tagging.tag(reading.lines, reading.page_size, engines.tagger)
    checked = 0
    for field in ("invoice_number", "issue_date", "total"):
        carriers = [k for k, ln in enumerate(reading.lines) if tagger.carries(ln.text, field, drawn.truth[field])]
        if not carriers:
            continue  # misread beyond a slip: not the tagger's to find
        best = max(carriers, key=lambda k: probs[k, tagging.CLASSES.index(field)])
        assert probs[best].argmax() == tagging.CLASSES.index(field), (field, reading.lines[best].text)
        checked += 1
    assert checked >= 2


# -- its word on confidence -----------------------------------------------------------------------------
def test_without_the_file_the_reader_reads_exactly_as_before(tmp_path):
    engines = Engines(tagger_model=tagger_file(tmp_path))
    assert engines.tagger is None
    reading = Reading(page(), (2000, 1400))
    assert interpret(reading, TODAY, None, engines.tagger) == interpret(reading, TODAY)


@pytest.mark.parametrize("says", ["other", "seller_name", "check_code"])
def test_a_value_the_tagger_strongly_contradicts_never_comes_out_sure_unless_confirmed(says):
    reading = Reading(page(), (2000, 1400))
    _, before, _ = interpret(reading, TODAY)
    assert all(before[k].confidence >= REVIEW_BELOW for k in ("invoice_code", "invoice_number", "total"))
    _, after, _ = interpret(reading, TODAY, None, Says(says))
    confirmed = {"amount", "tax", "total", "total_in_words"}  # the sum and the words agree
    assert confirmed <= {name for name, fv in after.items() if fv.value is not None}
    for name, fv in after.items():
        if fv.value is None or name == says:
            continue
        assert fv.value == before[name].value  # its word is evidence: the value stays
        if name in confirmed:
            assert fv == before[name]  # two readings that agree outweigh it
        else:
            assert fv.confidence < REVIEW_BELOW and fv.doubtful, name
            assert f"tagger:against:{says}" in fv.evidence


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(tagging.CLASSES), st.floats(0.0, 1.0))
def test_confidence_is_capped_exactly_when_the_tagger_is_strongly_against(says, p):
    """…on values read by OCR and confirmed by nothing else; text layers are never asked."""
    reading = Reading(page(), (2000, 1400))
    _, before, _ = interpret(reading, TODAY)
    session = Says(says, p)
    _, after, _ = interpret(reading, TODAY, None, session)
    for name, fv in after.items():
        if fv.value is None or any(e.startswith("agrees:") for e in fv.evidence):
            assert fv == before[name]
            continue
        p_field = sum(float(session.row[tagging.CLASSES.index(n)]) for n in {name, PARTIES.get(name, name)})
        if p_field <= TAGGER_AGAINST:  # a buyer's value the tagger calls the seller's is only the rules' call
            assert fv.confidence < REVIEW_BELOW
        else:
            assert fv.confidence == before[name].confidence



def test_a_text_layer_is_not_asked():
    """The tagger learnt from photos: a PDF's or OFD's text runs are cut otherwise."""
    from dataclasses import replace

    reading = Reading(tuple(replace(ln, source="text_layer", chars=None) for ln in page()), (2000, 1400))
    assert interpret(reading, TODAY, None, Says("other")) == interpret(reading, TODAY)
