"""Stage: assign text lines to invoice fields using the layout — labels and positions.

Each field is found next to its printed label (发票代码, 开票日期, 名称 ...): the value is the
rest of the label's own line, or the nearest line to its right on the same row (or just below).
Buyer and seller blocks are told apart by position: above/below the goods table on the classic
form, left/right on 数电 invoices.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from ..validate.codes import Family
from .types import FieldValue, TextLine

FIELD_NAMES = ("invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name", "buyer_tax_id",
               "seller_name", "seller_tax_id", "amount", "tax", "total", "total_in_words")

_MONEY = re.compile(r"(?<![\d.])-?\d{1,3}(?:,?\d{3})*\.\d{2}(?!\d)")
_WORDS = re.compile(r"[零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整]{2,}")
_DATE = re.compile(r"(20\d{2}|19\d{2})\D{0,3}?(\d{1,2})\D{0,3}?(\d{1,2})")
_TAX_ID = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{15,20}(?![0-9A-Z])")


# OCR often cuts "名  称:" in two at the wide gap; either half alone still marks the value.
NAME_LABELS = ("名称", "称:", "名")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Hit:
    value: str
    line: TextLine


def _digits(n: Sequence[int]) -> Callable[[str], str | None]:
    pattern = re.compile(r"(?<!\d)(" + "|".join(rf"\d{{{k}}}" for k in sorted(n, reverse=True)) + r")(?!\d)")

    def parse(text: str) -> str | None:
        m = pattern.search(squash(text))
        return m.group(1) if m else None

    return parse


def parse_date(text: str) -> str | None:
    m = _DATE.search(squash(text))
    if not m:
        return None
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def _money(text: str) -> str | None:
    m = _MONEY.search(squash(text).replace("¥", " ").replace("￥", " "))
    return m.group(0).replace(",", "") if m else None


def _words(text: str) -> str | None:
    m = _WORDS.search(squash(text))
    if not m or not any(c in m.group(0) for c in "圆元角分"):
        return None
    # Blank forms print the units alone (仟佰拾元角分): words need at least one digit.
    return m.group(0) if any(c in "零壹贰叁肆伍陆柒捌玖" for c in m.group(0)) else None


def _tax_id(text: str) -> str | None:
    m = _TAX_ID.search(squash(text).upper())
    return m.group(0) if m and any(c.isdigit() for c in m.group(0)) else None


_LABEL_WORDS = re.compile(
    r"名称|校验码|纳税人|识别号|地址|电话|开户行|账号|密码|发票|日期|规格|型号|单位|数量|单价|税率|税额"
)


_COPY_MARK = re.compile(r"^第[一二三四五六]联")  # "第二联: 发票联" printed down the margin


def _name(text: str) -> str | None:
    value = re.sub(r"^[:：\s]+", "", text).strip()
    if (len(squash(value)) < 2 or not re.search(r"[\u4e00-\u9fff]", value) or _LABEL_WORDS.search(value)
            or _COPY_MARK.match(squash(value))):
        return None
    # Registered Chinese names use full-width brackets; NFKC made them ASCII.
    return value.replace("(", "（").replace(")", "）")


class Layout:
    def __init__(self, lines: Sequence[TextLine]) -> None:
        self.lines = [ln for ln in lines if squash(ln.text)]

    def labelled(self, label: str) -> list[tuple[TextLine, str]]:
        """Lines containing the label (spaces ignored), with the text after it."""
        pat = re.compile(r"\s*".join(map(re.escape, label)))
        out = []
        for ln in self.lines:
            # A one-character label only counts as a line of its own ("名", not the 名 of 项目名称).
            m = pat.search(ln.text) if len(label) > 1 or squash(ln.text).rstrip(":：") == label else None
            if m:
                out.append((ln, ln.text[m.end():]))
        return out

    def right_of(self, anchor: TextLine, below: bool = True) -> list[TextLine]:
        """Lines on the anchor's row to its right (nearest first), then the lines just below it."""
        tol = anchor.height * 0.9
        row = [ln for ln in self.lines if ln is not anchor and (abs(ln.cy - anchor.cy) <= tol or _overlap(ln, anchor))
               and ln.lbox[0] >= anchor.lbox[0] + anchor.height * 0.5]
        # Well-aligned lines first (left to right), then the ones only loosely on the row.
        row.sort(key=lambda ln: (abs(ln.cy - anchor.cy) > anchor.height * 0.5, ln.lbox[0]))
        if not below:
            return row
        under = [ln for ln in self.lines if ln is not anchor and 0 < ln.cy - anchor.cy <= anchor.height * 2.2
                 and abs(ln.lbox[0] - anchor.lbox[0]) < anchor.height * 12]
        under.sort(key=lambda ln: ln.cy)
        return row + under

    def find(self, labels: Sequence[str], parse: Callable[[str], str | None],
             where: Callable[[TextLine], bool] = lambda ln: True, below: bool = True) -> Hit | None:
        for label in labels:
            for line, rest in self.labelled(label):
                if not where(line):
                    continue
                value = parse(rest)
                if value:
                    return Hit(value, line)
                for other in self.right_of(line, below):
                    value = parse(other.text)
                    if value:
                        return Hit(value, other)
                # A value printed in pieces ("2021" "年" "09" "月" ...): read the row as one.
                row = self.right_of(line, below=False)
                value = parse(rest + " ".join(ln.text for ln in row))
                if value and row:
                    return Hit(value, row[0])
        return None


def _overlap(a: TextLine, b: TextLine) -> bool:
    """Boxes share at least half of the shorter one's height (OFD boxes can be much taller than
    their text, so centres alone are not enough)."""
    top, bottom = max(a.lbox[1], b.lbox[1]), min(a.lbox[3], b.lbox[3])
    return bottom - top >= 0.5 * min(a.height, b.height)


def detect_family(lines: Sequence[TextLine]) -> Family:
    text = squash(" ".join(ln.text for ln in lines))
    if re.search(r"出租|乘车|车费|TAXI", text, re.I):
        return Family.TAXI
    if re.search(r"铁路|车票|次列车|二等座|一等座|硬座|硬卧", text):
        return Family.TRAIN
    if "通行费" in text:
        return Family.TOLL
    digital = re.search(r"电子发票[(（](增值税专用发票|普通发票)[)）]", text)
    if digital:
        return Family.DIGITAL_SPECIAL if "专用" in digital.group(1) else Family.DIGITAL_NORMAL
    special = "专用发票" in text
    if "电子" in text:
        return Family.VAT_E_SPECIAL if special else Family.VAT_E_NORMAL
    if special:
        return Family.VAT_SPECIAL
    if "普通发票" in text or "发票" in text:
        return Family.VAT_NORMAL
    return Family.UNKNOWN


def upright(lines: Sequence[TextLine], page_size: tuple[float, float]) -> list[TextLine]:
    """Turn the layout of a page photographed upside down (the OCR reads each line either way,
    but positions come out mirrored): the title and dates sit above the 价税合计 row."""
    layout = Layout(lines)
    top = next((ln for label in ("开票日期", "发票代码", "发票号码") for ln, _ in layout.labelled(label)), None)
    bottom = next((ln for ln, _ in layout.labelled("价税合计")), None)
    if top is None or bottom is None or top.cy < bottom.cy:
        return list(lines)
    w, h = page_size
    return [replace(ln, layout_box=(w - ln.lbox[2], h - ln.lbox[3], w - ln.lbox[0], h - ln.lbox[1])) for ln in lines]


def assign(lines: Sequence[TextLine], page_size: tuple[float, float]) -> tuple[Family, dict[str, FieldValue]]:
    lines = upright(lines, page_size)
    layout = Layout(lines)
    family = detect_family(lines)
    width, height = page_size
    hits: dict[str, Hit | None] = {}

    hits["invoice_code"] = layout.find(["发票代码"], _digits((10, 12)))
    hits["invoice_number"] = layout.find(["发票号码", "No"], _digits((20, 8)))
    hits["issue_date"] = layout.find(["开票日期", "日期"], parse_date)
    hits["check_code"] = layout.find(["校验码"], _digits((20,)))
    if hits["invoice_code"] is None:
        # Paper forms print the code top-left without a label.
        hits["invoice_code"] = _top_token(layout, _digits((10, 12)), height)

    split = _party_split(layout, page_size)
    hits["buyer_name"] = layout.find(NAME_LABELS, _name, where=split.buyer, below=False)
    hits["seller_name"] = layout.find(NAME_LABELS, _name, where=split.seller, below=False)
    id_labels = ["纳税人识别号", "统一社会信用代码"]
    hits["buyer_tax_id"] = layout.find(id_labels, _tax_id, where=split.buyer)
    hits["seller_tax_id"] = layout.find(id_labels, _tax_id, where=split.seller)

    amount, tax = _totals_row(layout)
    hits["amount"], hits["tax"] = amount, tax
    hits["total"] = layout.find(["小写", "(小写)"], _money)
    hits["total_in_words"] = layout.find(["大写", "价税合计"], _words, below=False)
    if family in (Family.TAXI, Family.TRAIN) and hits["total"] is None:
        hits["total"] = layout.find(["金额", "票价", "实收", "¥"], _money)

    fields = {name: _field(hits.get(name)) for name in FIELD_NAMES}
    return family, fields


def _field(hit: Hit | None) -> FieldValue:
    if hit is None:
        return FieldValue(None, 0.0, None, None)
    return FieldValue(hit.value, hit.line.score, hit.line.box, hit.line.source)


def _top_token(layout: Layout, parse, height: float) -> Hit | None:
    """The value in the top band of the page; paper forms print the code twice (large top-left,
    small top-right): the more confident reading wins."""
    hits = [Hit(v, ln) for ln in layout.lines if ln.cy <= height * 0.3 and (v := parse(ln.text))]
    return max(hits, key=lambda h: h.line.score, default=None)


@dataclass(frozen=True)
class PartySplit:
    buyer: Callable[[TextLine], bool]
    seller: Callable[[TextLine], bool]


def _party_split(layout: Layout, page_size: tuple[float, float]) -> PartySplit:
    names = list({id(ln): ln for label in NAME_LABELS for ln, _ in layout.labelled(label)}.values())
    # 数电: buyer and seller blocks side by side on the same rows.
    for a in names:
        for b in names:
            if abs(a.cy - b.cy) < a.height and b.lbox[0] - a.lbox[0] > page_size[0] * 0.3:
                mid = (a.lbox[0] + b.lbox[0]) / 2
                return PartySplit(lambda ln, mid=mid: ln.lbox[0] < mid, lambda ln, mid=mid: ln.lbox[0] >= mid)
    # Classic form: buyer above the goods table, seller below it.
    header = next((ln for labels in (["货物或应税劳务"], ["项目名称"], ["规格型号"])
                   for ln, _ in layout.labelled(labels[0])), None)
    cut = header.cy if header else page_size[1] * 0.5
    return PartySplit(lambda ln: ln.cy < cut, lambda ln: ln.cy > cut)


def _nearer_tax_column(layout: Layout, hit: Hit) -> bool:
    """A lone 合计 value sits under either the 金额 or the 税额 column header: which one?"""
    def centre(label: str) -> float | None:
        found = [ln for ln, _ in layout.labelled(label) if squash(ln.text) in (label, label + ":")]
        return (found[0].lbox[0] + found[0].lbox[2]) / 2 if found else None

    amount_x, tax_x = centre("金额"), centre("税额")
    if amount_x is None or tax_x is None:
        return False
    return abs(_x(hit) - tax_x) < abs(_x(hit) - amount_x)


def _x(hit: Hit) -> float:
    return (hit.line.lbox[0] + hit.line.lbox[2]) / 2


def _totals_row(layout: Layout) -> tuple[Hit | None, Hit | None]:
    """合计 row: the amount (left) and the tax (right)."""
    for line, rest in layout.labelled("合计") + [(ln, "") for ln in layout.lines if squash(ln.text) == "计"]:
        if "价税" in line.text:
            continue
        candidates = ([Hit(m, line) for m in _MONEY.findall(squash(rest).replace("¥", " ").replace("￥", " "))]
                      + [Hit(v, ln) for ln in layout.right_of(line, below=False) if (v := _money(ln.text))])
        star = any("*" in ln.text for ln in layout.right_of(line, below=False))
        if len(candidates) >= 2:
            amount, tax = min(candidates, key=_x), max(candidates, key=_x)
            # The tax is a fraction of the amount (≤ 17 %): a reversed pair was mis-ordered.
            if float(tax.value) > float(amount.value):
                amount, tax = tax, amount
            return amount, tax
        if len(candidates) == 1:
            only = candidates[0]
            if _nearer_tax_column(layout, only):
                return None, only
            return only, (Hit("0.00", only.line) if star else None)
    return None, None


def tax_rate(lines: Sequence[TextLine]) -> Decimal | None:
    """The one tax rate printed in the goods table (税率 column), or None if none or several."""
    layout = Layout(lines)
    header = next((ln for ln, _ in layout.labelled("税率")), None)
    if header is None:
        return None
    rates = {m.group(1) for ln in layout.lines if ln.cy > header.cy + header.height * 0.5
             and abs((ln.lbox[0] + ln.lbox[2]) / 2 - (header.lbox[0] + header.lbox[2]) / 2) < header.height * 3
             for m in [re.search(r"(?<!\d)(\d{1,2})\s*%", ln.text)] if m}
    return Decimal(rates.pop()) / 100 if len(rates) == 1 else None
