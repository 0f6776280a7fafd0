"""Which lines the reader recognises: labels first, then what can hold a field (pure, on made-up
geometry), and end to end on a generated full form."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from backend.pipeline import focus
from backend.pipeline.extract import extract
from backend.pipeline.ink import boundary, inks, redness, split
from backend.pipeline.normalise import normalise
from backend.pipeline.ocr import Span, _crops, detect, read_crops, recognise
from backend.pipeline.types import Limits, TextLine
from backend.weights import synth

LIMITS = Limits(max_pixels=100_000_000, max_pdf_pages=50)


def span(x0, y0, x1, y1, tall=False) -> Span:
    w, h = x1 - x0, y1 - y0
    return Span((x0, y0, x1, y1), (x0, y0, x1, y1), 48 * (h / w if tall else w / h), tall)


class Page:
    """Made-up detections: (text, box, printed in the form's ink?, tall)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, Span, bool]] = []

    def add(self, text, box, form=False, tall=False) -> int:
        self.items.append((text, span(*box, tall=tall), form))
        return len(self.items) - 1

    def plan(self) -> tuple[focus.Plan, tuple[int, ...]]:
        spans = [s for _, s, _ in self.items]
        first_idx = focus.first_pass(spans, [form for _, _, form in self.items])
        first = {i: TextLine(self.items[i][0], spans[i].box, 0.99, "ocr", spans[i].level) for i in first_idx}
        return focus.second_pass(spans, first), first_idx


def classic(seller_drift: float = 0.0, seller_bank: bool = True) -> tuple[Page, dict[str, int]]:
    """The classic paper form; the seller block's data printed `seller_drift` px low."""
    p, at = Page(), {}
    at["title"] = p.add("北京增值税普通发票", (800, 40, 1100, 90), form=True)
    at["code"] = p.add("1100171320", (380, 70, 640, 110))
    at["check"] = p.add("校验码 68290 47116 26099 52523", (380, 210, 900, 250))
    at["date"] = p.add("开票日期:2017年04月25日", (1400, 190, 1800, 230))
    for text, y in (("名", 300), ("纳税人识别号:", 345), ("地址、电话:", 390), ("开户行及账号:", 435)):
        p.add(text, (200, y, 200 + (40 if text == "名" else 200), y + 40), form=True)
    at["buyer_name"] = p.add("中国科学院自动化研究所", (420, 300, 800, 340))
    at["buyer_id"] = p.add("12100000400012345X", (460, 345, 860, 385))
    at["buyer_address"] = p.add("北京市海淀区中关村东路95号 010-82544444", (430, 390, 1100, 430))
    at["buyer_bank"] = p.add("工商银行北京海淀西区支行 0200004509089131550", (430, 435, 1150, 475))
    for char, y in (("密", 300), ("码", 360), ("区", 420)):
        p.add(char, (1200, y, 1240, y + 40), form=True)
    at["cipher"] = p.add("0<+*-/9>372-<//43091*1228-*3-72->", (1260, 300, 1900, 340))
    for text, x in (("规格型号", 700), ("单位", 900), ("数量", 1050), ("单价", 1200), ("金额", 1320),
                    ("税率", 1500), ("税额", 1700)):
        p.add(text, (x, 500, x + 40 * len(text), 540), form=True)
    at["goods_name"] = p.add("*信息技术服务*技术服务费", (160, 560, 560, 600))
    at["goods_price"] = p.add("566.037735849", (1180, 560, 1420, 600))
    at["rate"] = p.add("6%", (1510, 560, 1560, 600))
    p.add("合", (250, 800, 290, 840), form=True)
    p.add("计", (450, 800, 490, 840), form=True)
    at["amount"] = p.add("¥566.04", (1300, 800, 1450, 840))
    p.add("价税合计(大写)", (160, 850, 420, 890), form=True)
    at["words"] = p.add("陆佰圆整", (600, 850, 780, 890))
    at["total"] = p.add("(小写)¥600.00", (1350, 850, 1650, 890))
    for text, y in (("名", 930), ("纳税人识别号:", 975), ("地址、电话:", 1020), ("开户行及账号:", 1065)):
        p.add(text, (200, y, 200 + (40 if text == "名" else 200), y + 40), form=True)
    d = seller_drift
    at["seller_name"] = p.add("北京科学技术期刊学会", (420, 930 + d, 800, 970 + d))
    at["seller_id"] = p.add("110105500300720", (460, 975 + d, 860, 1015 + d))
    at["seller_address"] = p.add("北京市海淀区北四环西路33号 010-62554444", (430, 1020 + d, 1100, 1060 + d))
    if seller_bank:
        at["seller_bank"] = p.add("中国银行北京中关村支行 3335556660001", (430, 1065 + d, 1150, 1105 + d))
    p.add("备", (1200, 940, 1240, 980), form=True)
    p.add("注", (1200, 1040, 1240, 1080), form=True)
    at["remark"] = p.add("会员年费 2017 年度 技术服务", (1260, 980, 1700, 1020))
    p.add("收款人:", (150, 1130, 280, 1170), form=True)
    at["signature"] = p.add("复核:张红英 开票人:王欢", (300, 1130, 800, 1170))
    at["margin"] = p.add("第二联:发票联购买方记账凭证", (1950, 400, 1990, 900), form=True, tall=True)
    return p, at


FIELDS = ("code", "check", "date", "buyer_name", "buyer_id", "rate", "amount", "words", "total",
          "seller_name", "seller_id")


def test_labels_are_read_first_and_only_the_long_lines_that_can_hold_a_field_after():
    page, at = classic()
    plan, first = page.plan()
    assert plan.form == "classic"
    assert all(page.items[i][2] for i in first)  # pass 1 is form ink only
    read = set(first) | set(plan.read)
    assert {at[k] for k in FIELDS} <= read
    why = dict(plan.skipped)
    assert why[at["cipher"]] == "cipher" and why[at["remark"]] == "remark" and why[at["margin"]] == "vertical"
    assert why[at["goods_name"]] == why[at["goods_price"]] == "goods"
    assert {why[at[k]] for k in ("buyer_address", "buyer_bank", "seller_address", "seller_bank")} == {
        "address_or_bank"}
    assert why[at["signature"]] == "footer"


@pytest.mark.parametrize("drift", [-15, 12, 24])
def test_a_printer_feed_off_by_part_of_a_row_never_loses_the_tax_id(drift):
    # Rows are 45 px apart: 24 px down puts the tax id nearer the address label than its own.
    page, at = classic(seller_drift=drift)
    plan, first = page.plan()
    read = set(first) | set(plan.read)
    assert at["seller_id"] in read and at["seller_name"] in read
    if abs(drift) < 20:
        assert at["seller_bank"] not in read


def test_a_shift_that_cannot_be_told_from_the_opposite_one_reads_both_candidates():
    # ⅔ of a row down with no bank row printed lays the data as well onto the rows as ⅓ up.
    page, at = classic(seller_drift=28, seller_bank=False)
    plan, first = page.plan()
    assert at["seller_id"] in set(first) | set(plan.read)


def test_a_page_that_is_not_the_classic_form_is_read_whole():
    p = Page()  # a taxi ticket: its labels stand one under another
    for k, label in enumerate(("单价:", "金额:", "电话:", "里程:", "日期:")):
        p.add(label, (100, 100 + 100 * k, 200, 140 + 100 * k), form=True)
        p.add("value " * 8, (250, 100 + 100 * k, 900, 140 + 100 * k))
    p.add("密码", (100, 700, 200, 740), form=True)
    plan, first = p.plan()
    assert plan.form == "unknown" and set(plan.read) | set(first) == set(range(len(p.items)))


def test_without_an_ink_split_every_short_line_is_a_label_candidate():
    spans = [span(0, 0, 100, 40), span(0, 50, 900, 90), span(0, 100, 40, 500, tall=True)]
    assert focus.first_pass(spans, None) == (0,)
    assert focus.first_pass(spans, [None, None, True]) == (0,)  # long and vertical: not a label


# -- ink -----------------------------------------------------------------------------------------------
def test_two_inks_are_told_apart_and_one_ink_is_not_split():
    assert split([40, 45, 50, 42, None, -20, -25, -30, -22, -18]) == (
        True, True, True, True, None, False, False, False, False, False)
    assert split([3, -2, 5, 0, 1, -4, 2, 4, -1]) is None
    assert split([40, -20]) is None  # too few lines to believe


def _printed(parts) -> np.ndarray:
    """One line of text printed in pieces of given colours (RGB), as a BGR crop."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(synth.font_path(), 40)
    img = Image.new("RGB", (60 + sum(len(t) for t, _ in parts) * 42, 64), (246, 244, 238))
    draw, x = ImageDraw.Draw(img), 10
    for text, colour in parts:
        draw.text((x, 8), text, font=font, fill=colour)
        x += int(draw.textlength(text, font=font)) + 20
    return np.asarray(img)[:, :, ::-1].copy()


def test_a_label_and_its_value_in_two_inks_are_cut_apart_between_them():
    crop = _printed([("开票日期:", (160, 70, 50)), ("2017年03月16日", (40, 50, 120))])
    at = boundary(crop, 8.0)
    label_end = 10 + 5 * 40  # five characters of about 40 px
    assert at is not None and label_end - 30 <= at <= label_end + 40
    assert boundary(_printed([("开票日期: 2017年03月16日", (40, 50, 120))]), 8.0) is None  # one ink
    assert boundary(_printed([("开票日期: 2017年03月16日", (160, 70, 50))]), 8.0) is None


def test_the_generated_forms_labels_are_redder_than_its_data():
    page = synth.render()
    label = redness(page, np.array([[200, 340], [420, 340], [420, 385], [200, 385]], np.float32))
    value = redness(page, np.array([[460, 340], [800, 340], [800, 385], [460, 385]], np.float32))
    assert label - value > 25
    assert redness(page, np.array([[300, 600], [600, 600], [600, 650], [300, 650]], np.float32)) is None  # blank


# -- end to end ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def full_form():
    spec = synth.Spec(full_form=True)
    return spec, synth.photo_like(synth.render(spec), angle=2, seed=3)


def test_a_full_form_is_read_with_the_clutter_skipped(engines, full_form):
    spec, photo = full_form
    found = detect(normalise(photo), engines.detector)
    form_ink = inks(found.view, found.quads).form
    assert form_ink is not None
    first = recognise(found, engines.recogniser, focus.first_pass(found.spans, form_ink))
    plan = focus.second_pass(found.spans, first)
    assert plan.form == "classic"
    assert {"cipher", "address_or_bank", "remark"} <= {why for _, why in plan.skipped}
    result = extract(__import__("cv2").imencode(".png", photo)[1].tobytes(), "png", engines, LIMITS,
                     dt.date(2026, 11, 27))
    assert {k: v.value for k, v in result.fields.items()} == {k: getattr(spec, k) for k in result.fields}


def test_a_line_reads_the_same_alone_or_among_others(engines, full_form):
    _, photo = full_form
    found = detect(photo, engines.detector)
    crops = _crops(found, range(len(found.quads)))
    recognizer = engines.recogniser
    together = read_crops(crops, recognizer)
    assert together == [read_crops([c], recognizer)[0] for c in crops]
    assert read_crops(crops, recognizer, lanes=2) == together  # nor on how many are read at once
