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
                                                   "review": False, "alternatives": [], "evidence": []}


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


# -- label vocabulary and key–value geometry ------------------------------------------------------------
def test_a_machine_number_is_not_the_code_and_the_code_printed_twice_is_believed():
    lines = [line("北京增值税普通发票", 700, 40), line("1100164320", 300, 95), line("No 10834112", 1360, 90),
             line("1100164320", 1740, 126), line("机器编号 499913782401", 90, 225),
             line("开票日期:2017年04月27日", 1420, 205)]
    _, f = assign(lines, (2080, 1248))
    assert f["invoice_code"].value == "1100164320" and "printed_twice" in f["invoice_code"].evidence
    lines = [ln for ln in lines if ln.box[0] != 1740 and ln.box[0] != 300]  # only the machine number is left
    _, f = assign(lines, (2080, 1248))
    assert f["invoice_code"].value is None


def test_on_a_taxi_receipt_the_amount_paid_beats_the_metered_fare():
    lines = [line("北京市出租汽车统一机打发票", 100, 0), line("车号京", 130, 330), line("里程", 130, 730),
             line("金额", 127, 974), line("¥16.50", 435, 950), line("燃油附加费", 125, 1052), line("¥0.00", 473, 1030),
             line("实收金额", 125, 1230), line("¥17.00", 440, 1200)]
    family, f = assign(lines, (800, 1579))
    assert family == Family.TAXI and f["total"].value == "17.00"
    # The 实收金额 label under a seal, unread: the amount on the row after the surcharges, by position.
    family, f = assign([ln for ln in lines if ln.text != "实收金额"], (800, 1579))
    assert f["total"].value == "17.00" and "how:position" in f["total"].evidence


def test_a_travel_date_is_not_the_issue_date():
    lines = [line("电子发票(铁路电子客票)", 700, 70), line("开票日期:2025年12月26日", 1800, 190),
             line("发票号码:25329166851000825797", 100, 200), line("2025年11月28日", 110, 560),
             line("乘车日期", 100, 600), line("2025年11月28日", 300, 600), line("票价:¥14.00", 110, 700),
             line("购买方名称:", 110, 1274), line("苏州信泰宜合信息技术有限公司", 390, 1274),
             line("统一社会信用代码:91320594769869645C", 1510, 1274)]
    family, f = assign(lines, (2480, 1600))
    assert family == Family.TRAIN
    assert (f["issue_date"].value, f["total"].value) == ("2025-12-26", "14.00")
    assert (f["buyer_name"].value, f["buyer_tax_id"].value) == ("苏州信泰宜合信息技术有限公司", "91320594769869645C")


def test_a_value_belongs_to_the_nearest_label_before_it():
    # 项目名称 is not 名称; 单位 after it on the row is a label, not a name.
    lines = [line("电子发票(增值税专用发票)", 700, 110), line("名称:", 144, 429), line("甲乙科技有限公司", 249, 425),
             line("名称:", 1340, 423), line("丙丁酒店管理有限公司", 1444, 420), line("项目名称", 195, 640),
             line("单 位", 800, 640)]
    _, f = assign(lines, (2480, 1600))
    assert (f["buyer_name"].value, f["seller_name"].value) == ("甲乙科技有限公司", "丙丁酒店管理有限公司")
    lines = [line("电子发票(增值税专用发票)", 700, 110), line("项目名称", 195, 429), line("单 位", 800, 429)]
    assert assign(lines, (2480, 1600))[1]["buyer_name"].value is None


def test_a_paper_train_ticket_is_read_without_labels():
    lines = [line("C045758", 209, 75), line("安顺站", 224, 110), line("K492", 574, 115),
             line("2015年09月02日20:08开", 192, 217), line("¥15.5元", 196, 273), line("新空调硬座", 805, 273),
             line("限乘当日当次车", 191, 324), line("23711310130818C045758 广州东售", 189, 596)]
    family, f = assign(lines, (1280, 720))
    assert family == Family.TRAIN
    assert (f["invoice_number"].value, f["issue_date"].value, f["total"].value) == ("C045758", "2015-09-02", "15.50")
    assert "printed_twice" in f["invoice_number"].evidence


def test_a_value_confidence_is_its_weakest_character_not_the_lines_mean():
    weak_day = TextLine("开票日期:2017年04月17日", (0, 0, 400, 30), 0.97, "ocr",
                        chars=tuple([0.5] * 5 + [0.999] * 4 + [0.99] + [0.999] * 2 + [0.99, 0.999, 0.61, 0.99]))
    assert weak_day.value_score("2017-04-17") == pytest.approx(0.61)


# -- honest confidence ---------------------------------------------------------------------------------------
def interpreted(values: dict[str, str], source: str = "ocr", conf: float = 0.999, family_title: str = "增值税普通发票"):
    """Fields as the reader reports them for a page whose every value was read next to its label."""
    from backend.pipeline.extract import Reading, interpret

    labels = {"invoice_code": "发票代码:", "invoice_number": "发票号码:", "issue_date": "开票日期:",
              "check_code": "校验码:", "buyer_tax_id": "纳税人识别号:", "amount": "合计", "total": "(小写)",
              "total_in_words": "价税合计(大写)"}
    lines = [TextLine(family_title, (700, 10, 1100, 40), conf, source)]
    for k, (name, value) in enumerate(values.items()):
        y = 100 + 60 * k
        lines.append(TextLine(f"{labels[name]}{value}", (100, y, 900, y + 30), conf, source,
                              chars=tuple([conf] * len(f"{labels[name]}{value}")) if source == "ocr" else None))
    return interpret(Reading(tuple(lines), (2000, 1400)), TODAY)


def test_a_text_layer_is_not_certain_by_itself():
    _, f, _ = interpreted({"invoice_code": "011001900111", "invoice_number": "32321709", "issue_date": "2019-09-19"},
                          source="text_layer", family_title="增值税电子普通发票")
    assert all(0.9 <= f[k].confidence < 1.0 for k in ("invoice_code", "invoice_number", "issue_date"))


GOOD = {"invoice_code": "1100171320", "invoice_number": "12356976", "issue_date": "2017-04-25",
        "check_code": "68290471162609952523", "buyer_tax_id": "91320594769869645C"}
BROKEN = [
    ("invoice_code", "9900171320"),  # no such region
    ("invoice_code", "1100251320"),  # printed in 2025 for an invoice of 2017
    ("invoice_number", "25322000000137756448"),  # a 数电 number of 2025 on an invoice of 2017
    ("buyer_tax_id", "91320594769869645D"),  # USCC check digit fails
    ("issue_date", "2027-01-01"),  # in the future
]


@pytest.mark.parametrize("name,value", BROKEN)
def test_a_value_failing_a_hard_structure_check_is_never_above_0_9(name, value):
    _, f, _ = interpreted(GOOD)
    assert f[name].value == GOOD[name] and f[name].confidence >= 0.9  # read well, it is believed
    _, f, _ = interpreted(GOOD | {name: value})
    assert f[name].value == value and f[name].confidence < 0.9 and f[name].doubtful


@pytest.mark.parametrize("name,value", [("check_code", "6829047116260995252"), ("invoice_number", "1235697"),
                                        ("invoice_code", "11001713"), ("total", "6OO.00")])
def test_an_embedded_or_qr_value_failing_its_structure_is_never_above_0_9(name, value):
    """Parsers only take well-formed values from the page; an attached XML is taken as it is."""
    from backend.pipeline.extract import Reading, interpret

    lines = (TextLine("增值税电子普通发票", (700, 10, 1100, 40), 1.0, "text_layer"),)
    _, f, _ = interpret(Reading(lines, (2000, 1400), embedded={name: value}), TODAY)
    assert f[name].value == value and f[name].confidence < 0.9


def test_amounts_that_do_not_add_up_are_never_above_0_9_whatever_the_reading():
    _, f, _ = interpreted({"invoice_code": "1100171320", "amount": "566.04 ¥33.96", "total": "¥610.00",
                           "total_in_words": "陆佰圆整"})
    assert f["amount"].value == "566.04" and f["tax"].value == "33.96" and f["total"].value == "610.00"
    assert all(f[k].confidence < 0.9 for k in ("amount", "tax", "total", "total_in_words"))
    _, f, _ = interpreted({"invoice_code": "1100171320", "amount": "566.04 ¥33.96", "total": "¥600.00",
                           "total_in_words": "陆佰圆整"}, conf=0.8)
    assert all(f[k].confidence >= 0.99 for k in ("amount", "tax", "total", "total_in_words"))  # they agree


# -- every family the generator draws, read end to end --------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(__import__("backend.weights.families", fromlist=["GENERATORS"]).GENERATORS))
def test_every_generated_family_is_read_end_to_end(engines, name):
    from backend.weights.families import generate

    drawn = generate(name, seed=0)
    result = extract(jpeg(drawn.image), "jpeg", engines, LIMITS, TODAY)
    truth = {k: v for k, v in drawn.truth.items() if v is not None}
    got = {k: result.fields[k].value for k in truth}
    assert got == truth
    assert result.family == drawn.family
    for k, v in result.fields.items():  # nothing the family does not print is reported sure
        if k not in truth and v.value is not None:
            assert k in ("amount", "tax") or v.confidence < 0.9, (k, v)


def test_the_generator_is_reproducible_and_its_truth_is_consistent():
    from backend.validate import uscc
    from backend.validate.words import words_to_amount
    from backend.weights.families import generate

    a, b = generate("vat_normal", 7), generate("vat_normal", 7)
    assert a.truth == b.truth and np.array_equal(a.image, b.image)
    t = a.truth
    assert Decimal(t["amount"]) + Decimal(t["tax"]) == Decimal(t["total"]) == words_to_amount(t["total_in_words"])
    assert uscc.is_valid(t["buyer_tax_id"]) and uscc.is_valid(t["seller_tax_id"])
    assert generate("vat_normal", 8).truth != t
