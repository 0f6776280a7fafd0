"""Rules found on layouts the reader was never tuned on (bench.synthetic's generated invoices)."""

from __future__ import annotations

from backend.pipeline.extract import beside_bare_labels
from backend.pipeline.fields import assign
from backend.pipeline.lexicon import occurrences
from backend.pipeline.types import TextLine
from backend.validate.codes import Family


def line(text, x0, y0, x1=None, y1=None) -> TextLine:
    return TextLine(text, (x0, y0, x1 or x0 + 30 * len(text), y1 or y0 + 40), 0.99, "ocr")


def test_a_spaced_label_read_with_a_box_in_its_gap_is_still_the_label():
    assert [o.field for o in occurrences("名☑称:", Family.VAT_E_NORMAL)] == ["name"]
    assert [o.field for o in occurrences("№ 12356976", Family.VAT_NORMAL)] == ["invoice_number"]
    lines = [line("北京增值税电子普通发票", 800, 150), line("名☑称:", 315, 412),
             line("西安达云新通物流有限公司", 580, 419), line("项目名称", 280, 600),
             line("名称:", 270, 1170), line("郑州华科文化传媒有限公司", 547, 1176)]
    _, f = assign(lines, (2200, 1400))
    assert f["buyer_name"].value == "西安达云新通物流有限公司"
    assert f["seller_name"].value == "郑州华科文化传媒有限公司"


def test_a_pictograph_misread_in_a_value_keeps_the_value_malformed():
    from backend.pipeline.lexicon import normal

    assert normal("名 ☐ 称 : 某") == "名称:某"  # in a label's gap: dropped
    for value in ("¥2●3.50", "¥1○0.00", "9111○0000000000000"):  # a digit misread: kept, so no shorter value
        assert normal(f"金额:{value}") == f"金额:{value}"
    lines = [line("北京增值税电子普通发票", 800, 150), line("价税合计(小写)¥2●3.50", 1400, 900)]
    _, f = assign(lines, (2200, 1400))
    assert f["total"].value != "23.50"  # the ● is not taken out of the value


def test_a_bare_label_whose_value_was_skipped_has_its_row_read():
    date_label, date = line("开票日期:", 1377, 299, 1506, 342), line("2020年10月09日", 1529, 322, 1739, 362)
    check = line("校验码:", 1379, 333, 1489, 378)
    skipped = [line("", 1529, 358, 1829, 395), line("", 1254, 413, 1621, 455), line("", 200, 900, 600, 940)]
    # The date's line lies on the 校验码's row too, but it is not a 校验码: the skipped line beside it is read.
    assert beside_bare_labels([date_label, date, check], skipped, [7, 8, 9]) == [7]
    value = line("63410 94508 60076 00127", 1529, 358, 1829, 395)
    assert beside_bare_labels([date_label, date, check, value], skipped, [7, 8, 9]) == []


def test_a_bank_account_on_the_tax_id_row_is_not_a_tax_id():
    # The data printer fed half a row off: the ID and the bank account both lie on the label's row.
    lines = [line("北京增值税专用发票", 800, 40), line("货物或应税劳务、服务名称", 160, 470),
             line("名称", 263, 1011), line("91536852F5DL53KH9X", 534, 1041, 885, 1087),
             line("纳税人识别号:", 261, 1062, 466, 1115),
             line("中国银行西安支行1366707087679436", 531, 1085, 990, 1129),
             line("开户行及账号:", 260, 1114, 461, 1161)]
    _, f = assign(lines, (2000, 1250))
    assert f["seller_tax_id"].value == "91536852F5DL53KH9X"


def test_a_run_of_16_or_19_characters_is_never_read_as_a_tax_id():
    for value in ("9132059476986964", "6222021234567890123"):
        lines = [line("北京增值税普通发票", 700, 10), line(f"纳税人识别号:{value}", 100, 100)]
        assert assign(lines, (2000, 1400))[1]["buyer_tax_id"].value is None
    lines = [line("北京增值税普通发票", 700, 10), line("纳税人识别号:110105123456789", 100, 100)]
    assert assign(lines, (2000, 1400))[1]["buyer_tax_id"].value == "110105123456789"  # a legacy 15-digit ID


def test_a_name_whose_label_was_lost_is_the_line_above_its_tax_id_by_position():
    from backend.pipeline import confidence

    lines = [line("青岛增值税电子普通发票", 830, 153), line("机器编号818284592279", 191, 354),
             line("西安博海天恒建筑工程有限公司", 514, 444, 950, 495), line("纳税人识别号:", 250, 499, 457, 551),
             line("91375801EBGDM618H5", 515, 502, 856, 545), line("项目名称", 280, 626)]
    _, f = assign(lines, (2200, 1400))
    assert f["buyer_name"].value == "西安博海天恒建筑工程有限公司" and "how:position" in f["buyer_name"].evidence
    assert confidence.reading(f)["buyer_name"].confidence < 0.9  # found by position only: reviewed
    _, f = assign([ln for ln in lines if "有限公司" not in ln.text], (2200, 1400))
    assert f["buyer_name"].value is None  # 机器编号's line is labelled: not a name


def test_a_twelve_digit_vat_code_not_led_by_0_is_never_sure():
    import datetime as dt

    from backend.pipeline import confidence
    from backend.pipeline.fields import FIELD_NAMES
    from backend.pipeline.types import FieldValue

    def checked(code: str, family: Family) -> float:
        fields = {k: FieldValue(None, 0.0, None, None) for k in FIELD_NAMES}
        fields["invoice_code"] = FieldValue(code, 0.999, (0, 0, 1, 1), "ocr", evidence=("label:发票代码", "how:inline"))
        fields["issue_date"] = FieldValue("2019-05-06", 0.999, (0, 0, 1, 1), "ocr", evidence=("how:inline",))
        return confidence.checks(fields, family, dt.date(2026, 1, 1))["invoice_code"].confidence

    assert checked("044031900104", Family.VAT_NORMAL) >= 0.9  # 0, 4403 深圳, printed 2019, batch, type 04
    assert checked("644031900104", Family.VAT_NORMAL) < 0.9  # a 机器编号's twelve digits
    assert checked("111001981007", Family.TAXI) >= 0.9  # a taxi roll's 通用机打 code is led by 1
