"""The reader, stage by stage, then end to end on generated invoices and on hostile input."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import cv2
import numpy as np
import pytest

from backend.errors import InputError
from backend.pipeline import crosscheck
from backend.pipeline.derive import derive_amounts
from backend.pipeline.extract import extract
from backend.pipeline.fields import assign, detect_family
from backend.pipeline.normalise import normalise
from backend.pipeline.qr import parse_payload, read_qr
from backend.pipeline.types import FieldValue, Limits, TextLine
from backend.validate.codes import Family
from backend.weights import synth

from . import media

LIMITS = Limits(max_pixels=100_000_000, max_pdf_pages=50)
TODAY = dt.date(2026, 11, 27)
SPEC = synth.Spec()


def jpeg(img: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def line(text, x0, y0, x1=None, y1=None, score=0.99) -> TextLine:
    return TextLine(text, (x0, y0, x1 or x0 + 30 * len(text), y1 or y0 + 30), score, "ocr")


# -- QR ------------------------------------------------------------------------------------------------
def test_qr_payload_parsing_is_lenient_and_strict_where_it_matters():
    p = parse_payload("01,04,1100171320,12356976,566.04,20170425,68290471162609952523,BAA6,")
    assert (p.type_code, p.invoice_code, p.invoice_number, p.amount, p.issue_date, p.check_code) == (
        "04", "1100171320", "12356976", "566.04", "2017-04-25", "68290471162609952523")
    assert p.amount_field == "amount"
    digital = parse_payload("01,32,,25327000000123456789,1130.00,2025-12-29")  # 7 fields, dashed date
    assert digital.invoice_code is None and digital.issue_date == "2025-12-29" and digital.amount_field == "total"
    assert parse_payload("https://example.invalid/ticket?id=1") is None


def test_qr_is_read_from_a_generated_invoice_photo():
    img = synth.photo_like(synth.render(), angle=2)
    read = read_qr(img)
    assert read.text == SPEC.qr_payload() and read.payload.invoice_number == SPEC.invoice_number
    x0, y0, x1, y1 = read.box
    assert x0 < 400 and y0 < 400 and x1 > x0 and y1 > y0


# -- layout ----------------------------------------------------------------------------------------------
def test_fields_come_from_labels_and_positions():
    lines = [
        line("北京增值税普通发票", 700, 40), line("发票代码:", 1300, 20), line("1100171320", 1500, 22),
        line("No 12356976", 1350, 60), line("开票日期:", 1300, 100), line("2017", 1450, 100),
        line("年04月25日", 1520, 102), line("校验码 68290 47116 26099 52523", 300, 150),
        line("名", 200, 300), line("称:中国科学院自动化研究所", 300, 300),
        line("纳税人识别号:", 200, 350), line("12100000400012345X", 450, 352),
        line("货物或应税劳务、服务名称", 160, 470),
        line("合", 250, 800), line("计", 330, 800), line("¥566.04", 1300, 812), line("¥33.96", 1700, 820),
        line("价税合计(大写)", 160, 870), line("陆佰圆整", 600, 870), line("(小写)¥600.00", 1350, 870),
        line("名 称:", 200, 950), line("北京科学技术期刊学会", 420, 950),
    ]
    family, f = assign(lines, (2000, 1250))
    got = {k: v.value for k, v in f.items()}
    assert family == Family.VAT_NORMAL
    assert got == {
        "invoice_code": "1100171320", "invoice_number": "12356976", "issue_date": "2017-04-25",
        "check_code": "68290471162609952523", "buyer_name": "中国科学院自动化研究所",
        "buyer_tax_id": "12100000400012345X", "seller_name": "北京科学技术期刊学会", "seller_tax_id": None,
        "amount": "566.04", "tax": "33.96", "total": "600.00", "total_in_words": "陆佰圆整"}
    assert f["invoice_code"].box == lines[2].box  # the value's own box, for the UI


def test_digital_invoices_have_buyer_left_and_seller_right():
    lines = [line("电子发票(普通发票)", 700, 30), line("发票号码:", 1500, 40), line("25327000000123456789", 1650, 40),
             line("名称:甲公司", 150, 300), line("名称:乙公司", 1100, 300),
             line("统一社会信用代码/纳税人识别号:", 150, 350), line("91320000000000000A", 700, 350),
             line("统一社会信用代码/纳税人识别号:", 1100, 350), line("91110000000000000B", 1650, 350)]
    family, f = assign(lines, (2000, 1250))
    assert family == Family.DIGITAL_NORMAL
    assert (f["buyer_name"].value, f["seller_name"].value) == ("甲公司", "乙公司")
    assert (f["buyer_tax_id"].value, f["seller_tax_id"].value) == ("91320000000000000A", "91110000000000000B")


@pytest.mark.parametrize("text,family", [("上海市出租汽车统一发票", Family.TAXI), ("二等座 G123次列车", Family.TRAIN),
                                         ("增值税专用发票", Family.VAT_SPECIAL), ("hello", Family.UNKNOWN)])
def test_family_from_text(text, family):
    assert detect_family([line(text, 0, 0)]) == family


def test_missing_amounts_are_derived_and_marked():
    f = {k: FieldValue(None, 0, None, None) for k in ("amount", "tax", "total", "total_in_words")}
    f["amount"] = FieldValue("566.04", 0.99, None, "ocr")
    f["total_in_words"] = FieldValue("陆佰圆整", 0.98, None, "ocr")
    out = derive_amounts(f)
    assert (out["total"].value, out["total"].source) == ("600.00", "derived")
    assert (out["tax"].value, out["tax"].source) == ("33.96", "derived")
    assert out["tax"].confidence < 0.98


def test_a_figure_read_off_the_wrong_row_loses_to_the_words_the_rate_confirms():
    f = {"amount": FieldValue("213.21", 0.99, None, "ocr"), "tax": FieldValue(None, 0, None, None),
         "total": FieldValue("213.21", 0.99, None, "ocr"),
         "total_in_words": FieldValue("贰佰贰拾陆圆整", 0.98, None, "ocr")}
    out = derive_amounts(f, Decimal("0.06"))
    assert (out["total"].value, out["tax"].value) == ("226.00", "12.79")
    assert out["total"].review and out["total"].alternatives == (("ocr", "213.21"),)
    assert derive_amounts(f)["total"].value == "213.21"  # without a rate to confirm the words: left as read


def test_qr_agreement_raises_confidence_and_disagreement_keeps_both():
    f = {"invoice_number": FieldValue("12356976", 0.8, None, "ocr"), "amount": FieldValue("566.64", 0.97, None, "ocr")}
    out = crosscheck.merge(f, {"invoice_number": "12356976", "amount": "566.04"}, "qr")
    assert out["invoice_number"].confidence >= 0.99 and out["invoice_number"].source == "ocr+qr"
    assert out["amount"].review and out["amount"].alternatives == (("qr", "566.04"),)
    assert out["amount"].confidence <= 0.5


def test_normalise_stretches_a_dark_photo():
    dark = (synth.render() * 0.15).astype(np.uint8)
    assert np.percentile(normalise(dark), 99) > 200


# -- end to end --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated_photo() -> bytes:
    return jpeg(synth.photo_like(synth.render(), angle=3))


def test_a_generated_photo_is_read_completely(engines, generated_photo):
    stages = []
    result = extract(generated_photo, "jpeg", engines, LIMITS, TODAY, stages.append)
    got = {k: v.value for k, v in result.fields.items()}
    expected = {k: getattr(SPEC, k) for k in got}
    assert got == expected
    assert result.family == Family.VAT_NORMAL and result.qr_text == SPEC.qr_payload()
    for name in ("invoice_code", "invoice_number", "issue_date", "check_code", "amount"):
        assert "qr" in result.fields[name].source and result.fields[name].confidence >= 0.99, name
    assert not [f for f in result.validation if f.severity == "error"]
    assert stages == ["decoding", "qr", "detecting", "recognising", "extracting", "validating"]
    assert set(result.timings) >= {"decoding", "qr", "detecting", "recognising", "total"}


def test_ofd_text_layer_and_embedded_xml(engines):
    xml = ("<eInvoice xmlns:fp='x'><fp:InvoiceCode>032001600511</fp:InvoiceCode><fp:InvoiceNo>31471858</fp:InvoiceNo>"
           "<fp:IssueDate>2020年10月04日</fp:IssueDate><fp:TaxInclusiveTotalAmount>200.00</fp:TaxInclusiveTotalAmount>"
           "</eInvoice>")
    data = media.ofd_invoice([(60, 7, "江苏增值税电子普通发票"), (140, 6, "发票代码:"), (164, 6, "032001600511"),
                              (140, 12, "发票号码:"), (164, 12, "31471858"), (140, 18, "开票日期:"),
                              (164, 18, "2020年10月04日")], attachment=xml)
    result = extract(data, "ofd", engines, LIMITS, TODAY)
    f = result.fields
    assert (f["invoice_code"].value, f["invoice_number"].value, f["issue_date"].value) == (
        "032001600511", "31471858", "2020-10-04")
    assert f["invoice_code"].source == "text_layer+xml" and f["total"].value == "200.00"
    assert result.family == Family.VAT_E_NORMAL


@pytest.mark.parametrize("name,make", [
    ("blank page", lambda: jpeg(np.full((1000, 1400, 3), 255, np.uint8))),
    ("a cat (noise)", lambda: jpeg(np.random.default_rng(1).integers(0, 255, (900, 1200, 3), dtype=np.uint8))),
    ("1-pixel image", lambda: cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1].tobytes()),
])
def test_nothing_to_read_says_so(engines, name, make):
    result = extract(make(), "png" if "pixel" in name else "jpeg", engines, LIMITS, TODAY)
    assert result.found == [] and result.needs_review
    assert result.as_dict()["fields"]["total"] == {"value": None, "confidence": 0, "box": None, "source": None,
                                                   "review": False, "alternatives": []}


@pytest.mark.parametrize("name,transform,at_least", [
    ("very dark", lambda im: (im * 0.15).astype(np.uint8), 6),
    ("upside down", lambda im: cv2.rotate(im, cv2.ROTATE_180), 8),
    ("half cut off", lambda im: im[:, : im.shape[1] // 2], 3),
])
def test_damaged_photos_give_what_can_be_read(engines, name, transform, at_least):
    result = extract(jpeg(transform(synth.render())), "jpeg", engines, LIMITS, TODAY)
    assert len(result.found) >= at_least, (name, result.found)
    for field_name in result.found:  # what it reports with confidence is right
        fv = result.fields[field_name]
        if fv.confidence >= 0.9 and not fv.review:
            assert fv.value == getattr(SPEC, field_name), (field_name, fv)


@pytest.mark.parametrize("make,kind,key", [(media.encrypted_pdf, "pdf", "pdf.encrypted"),
                                           (lambda: b"PK\x03\x04" + b"x" * 100, "ofd", "ofd.corrupt")])
def test_unreadable_containers_raise_a_keyed_error(engines, make, kind, key):
    with pytest.raises(InputError) as err:
        extract(make(), kind, engines, LIMITS, TODAY)
    assert err.value.key == key


def test_cli_prints_one_json_object_per_file(tmp_path, generated_photo):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(generated_photo)
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an invoice")
    out = subprocess.run([sys.executable, "-m", "backend.cli", "extract", "--json", str(photo), str(bad)],
                         capture_output=True, text=True, timeout=120, env={"FAPIAO_SECRET_KEY": "x",
                                                                             "FAPIAO_DATA_DIR": str(tmp_path),
                                                                             "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    first, second = (json.loads(x) for x in out.stdout.strip().splitlines())
    assert set(first) >= {"file", "type", "fields", "qr", "validation", "timings"}
    assert first["fields"]["invoice_number"]["value"] == SPEC.invoice_number
    assert set(first["fields"]["total"]) >= {"value", "confidence", "box", "source"}
    assert second["error"]["key"] == "upload.unsupported_type"


def test_a_lone_total_row_value_that_is_the_tax_ends_up_as_the_tax():
    f = {k: FieldValue(None, 0, None, None) for k in ("amount", "tax", "total", "total_in_words")}
    f["amount"] = FieldValue("1019.83", 0.96, (1, 2, 3, 4), "ocr")  # really the 税额
    f["total"] = FieldValue("7018.83", 0.97, None, "ocr")
    out = derive_amounts(f)
    assert (out["amount"].value, out["amount"].source) == ("5999.00", "derived")
    assert (out["tax"].value, out["tax"].box) == ("1019.83", (1, 2, 3, 4))


def test_total_is_split_by_the_single_rate_when_amount_and_tax_are_missing():
    f = {k: FieldValue(None, 0, None, None) for k in ("amount", "tax", "total", "total_in_words")}
    f["total"] = FieldValue("226.00", 0.97, None, "ocr")
    from decimal import Decimal

    out = derive_amounts(f, Decimal("0.06"))
    assert (out["amount"].value, out["tax"].value) == ("213.21", "12.79")
    assert out["amount"].confidence < 0.9  # an assumption, so it asks for review
