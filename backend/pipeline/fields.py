"""Stage: assign text lines to invoice fields — by their labels, then by key–value geometry.

Every line is split into the labels it holds (`lexicon`: each family's vocabulary, synonyms and
the labels of things that are never a field). A label's value is, in this order: the rest of its
own line up to the next label; the nearest line to its right on the same row, unless that line
starts with a label of its own (a value belongs to the nearest label before it); the line just
below; a line to its right up to a line above (ticket printers print values half a line high).
Values must have the structure of their field (10/12-digit code, 8/20-digit number, a date,
20-digit 校验码, a tax ID, money with two decimals, 大写 words). Where several labels of one field
are found the lower rank wins (实收金额 before 金额), then the closer geometry, then the reading.

Only where a family prints a value without any label is position used: the code (and on taxi
receipts the number) at the top of the page, a paper train ticket's serial, departure date and
fare. Buyer and seller come from the label when it says (购买方名称), else from the blocks: left
and right on 数电 invoices, above and below the goods table on the classic form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from ..validate import uscc
from ..validate.codes import VAT_FAMILIES, Family
from .lexicon import Occurrence, normal, occurrences, party, rank
from .types import FieldValue, TextLine

FIELD_NAMES = ("invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name", "buyer_tax_id",
               "seller_name", "seller_tax_id", "amount", "tax", "total", "total_in_words")

_MONEY = re.compile(r"(?<![\d.])-?\d{1,3}(?:,?\d{3})*\.\d{2}(?!\d)")
_FARE = re.compile(r"(?<![\d.])(\d{1,5})\.(\d)(?![\d.])")  # tickets print ¥15.5元
_WORDS = re.compile(r"[零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整]{2,}")
_DATE = re.compile(r"(20\d{2}|19\d{2})\D{0,3}?(\d{1,2})\D{0,3}?(\d{1,2})")
_TAX_ID = re.compile(r"(?<![0-9A-Z])(?:" + "|".join(f"[0-9A-Z]{{{n}}}" for n in sorted(uscc.LENGTHS, reverse=True))
                     + r")(?![0-9A-Z])")
# The red serial of a paper train ticket, alone top-left or ending the ticket ID at the bottom.
_SERIAL = re.compile(r"(?<![A-Z])([A-Z]\d{6})(?!\d)")

# How a value was found next to its label, best first; what `confidence` rates.
HOW = ("inline", "row", "below", "loose", "position")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Hit:
    value: str
    line: TextLine
    how: str  # one of HOW
    label: str | None = None  # the label it was found next to
    rank: int = 0
    twice: bool = False  # printed twice on the page, and both readings agree
    anchor: TextLine | None = None  # the label's line

    def distance(self) -> float:
        """How far the value lies from its label's row (0 when on the label's own line)."""
        return abs(self.anchor.cy - self.line.cy) if self.anchor is not None else 0.0

    def order(self) -> tuple:
        return (self.rank, HOW.index(self.how), -self.line.value_score(self.value))


# -- value structure ----------------------------------------------------------------------------------
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


def _money_text(text: str) -> str:
    # Dot-matrix decimal points come out as "·"; some printers use "#" for "¥".
    return squash(text).replace("·", ".").replace("¥", " ").replace("￥", " ").replace("#", " ")


def _money(text: str) -> str | None:
    m = _MONEY.search(_money_text(text))
    return m.group(0).replace(",", "") if m else None


def _fare(text: str) -> str | None:
    """A ticket's amount: two decimals, or one as train tickets print it (¥15.5元)."""
    found = _money(text)
    if found:
        return found
    m = _FARE.search(_money_text(text))
    return f"{m[1]}.{m[2]}0" if m else None


def _words(text: str) -> str | None:
    m = _WORDS.search(squash(text))
    if not m or not any(c in m.group(0) for c in "圆元角分"):
        return None
    # Blank forms print the units alone (仟佰拾元角分): words need at least one digit.
    return m.group(0) if any(c in "零壹贰叁肆伍陆柒捌玖" for c in m.group(0)) else None


def _tax_id(text: str) -> str | None:
    m = _TAX_ID.search(squash(text).upper())
    return m.group(0) if m and any(c.isdigit() for c in m.group(0)) else None


_COPY_MARK = re.compile(r"^第[一二三四五六]联")  # "第二联: 发票联" printed down the margin


def _name(text: str) -> str | None:
    value = re.sub(r"^[:：\s]+", "", text).strip()
    if (len(squash(value)) < 2 or not re.search(r"[\u4e00-\u9fff]", value) or _COPY_MARK.match(squash(value))
            or occurrences(value, Family.UNKNOWN)):
        return None
    # Registered Chinese names use full-width brackets; NFKC made them ASCII.
    return squash(value).replace("(", "（").replace(")", "）")


PARSE: dict[str, Callable[[str], str | None]] = {
    "invoice_code": _digits((10, 12)), "invoice_number": _digits((20, 8)), "issue_date": parse_date,
    "check_code": _digits((20,)), "name": _name, "tax_id": _tax_id, "total": _money,
    "total_in_words": _words,
}


# -- the page -----------------------------------------------------------------------------------------------
class Layout:
    def __init__(self, lines: Sequence[TextLine], family: Family) -> None:
        self.lines = [ln for ln in lines if squash(ln.text)]
        self.family = family
        self._occ = {id(ln): occurrences(ln.text, family) for ln in self.lines}

    def occ(self, ln: TextLine) -> list[Occurrence]:
        return self._occ[id(ln)]

    def unlabelled(self, ln: TextLine) -> str:
        """The part of a line before its first label: a value no label claims."""
        occ = self.occ(ln)
        return normal(ln.text)[: occ[0].start] if occ else normal(ln.text)

    def starts_labelled(self, ln: TextLine) -> bool:
        occ = self.occ(ln)
        return bool(occ) and occ[0].start == 0

    def ends_labelled(self, ln: TextLine) -> bool:
        """The line ends with a label: its value is the next line on the row."""
        occ = self.occ(ln)
        return bool(occ) and not normal(ln.text)[occ[-1].end:].strip(":")

    def labelled(self, field: str) -> list[tuple[TextLine, Occurrence, str]]:
        """(line, label, the text after it up to the next label) for every label of `field`."""
        out = []
        for ln in self.lines:
            occ = self.occ(ln)
            text = normal(ln.text)
            for k, o in enumerate(occ):
                if o.field == field:
                    out.append((ln, o, text[o.end: occ[k + 1].start if k + 1 < len(occ) else None]))
        return out

    def row(self, anchor: TextLine) -> list[TextLine]:
        """Lines on the anchor's row to its right: well-aligned ones first, left to right."""
        tol = anchor.height * 0.9
        row = [ln for ln in self.lines if ln is not anchor and (abs(ln.cy - anchor.cy) <= tol or _overlap(ln, anchor))
               and ln.lbox[0] >= anchor.lbox[0] + anchor.height * 0.5]
        row.sort(key=lambda ln: (abs(ln.cy - anchor.cy) > anchor.height * 0.5, ln.lbox[0]))
        return row

    def below(self, anchor: TextLine) -> list[TextLine]:
        under = [ln for ln in self.lines if ln is not anchor and 0 < ln.cy - anchor.cy <= anchor.height * 2.2
                 and abs(ln.lbox[0] - anchor.lbox[0]) < anchor.height * 12]
        return sorted(under, key=lambda ln: ln.cy)

    def above(self, anchor: TextLine) -> list[TextLine]:
        """Lines to the right reaching up to one and a half rows higher (a ticket roll's value
        printed half a line above its label), nearest first."""
        up = [ln for ln in self.lines if ln is not anchor and -anchor.height * 1.5 <= ln.cy - anchor.cy < 0
              and ln.lbox[0] >= anchor.lbox[2]]
        return sorted(up, key=lambda ln: anchor.cy - ln.cy)

    def value_of(self, line: TextLine, rest: str, last: bool, parse, below: bool,
                 joins: bool = True) -> tuple[str, TextLine, str] | None:
        """The value of a label on `line`, `rest` the text after it; `last`: no label follows it
        on its line (else its value can only be that rest); `joins`: the value may be printed in
        pieces along the row (a date, not a name)."""
        value = parse(rest)
        if value:
            return value, line, "inline"
        if not last:
            return None
        row = self.row(line)
        # The rest of the row, from the next label on it, belongs to that label.
        cut = min((ln.lbox[0] for ln in row if abs(ln.cy - line.cy) <= line.height * 0.5 and self.starts_labelled(ln)),
                  default=float("inf"))
        row = [ln for ln in row if ln.lbox[0] < cut and not self.starts_labelled(ln)]
        for other in row:
            value = parse(self.unlabelled(other))
            if value:
                return value, other, "row"
        # A value printed in pieces ("2021" "年" "09" "月" ...): the row read as one.
        value = parse(rest + "".join(self.unlabelled(ln) for ln in row)) if joins else None
        if value and row:
            return value, row[0], "row"
        for other in self.below(line) if below else ():
            if self.starts_labelled(other):
                continue
            value = parse(self.unlabelled(other))
            if value:
                return value, other, "below"
        for other in self.above(line) if below else ():
            if self.starts_labelled(other):
                continue
            value = parse(self.unlabelled(other))
            if value:
                return value, other, "loose"
        return None

    def find(self, field: str, parse=None, where: Callable[[TextLine], bool] = lambda ln: True,
             below: bool = True, who: str | None = None) -> list[Hit]:
        """Every value found next to a label of `field` (of party `who`, by label or by `where`)."""
        parse = parse or PARSE[field.replace("buyer_", "").replace("seller_", "")]
        hits = []
        for line, o, rest in self.labelled(field):
            said = party(o)
            if (said is not None and said != who) or (said is None and not where(line)):
                continue
            last = self.occ(line)[-1] is o
            found = self.value_of(line, rest, last, parse, below, joins=parse is not _name)
            if found:
                hits.append(Hit(found[0], found[1], found[2], o.label.text, rank(o), anchor=line))
        return hits


def _overlap(a: TextLine, b: TextLine) -> bool:
    """Boxes share at least half of the shorter one's height (OFD boxes can be much taller than
    their text, so centres alone are not enough)."""
    top, bottom = max(a.lbox[1], b.lbox[1]), min(a.lbox[3], b.lbox[3])
    return bottom - top >= 0.5 * min(a.height, b.height)


# -- family ---------------------------------------------------------------------------------------------
_TAXI_WORDS = ("出租", "TAXI", "车号", "里程", "等候", "上车", "下车", "起止时间", "燃油附加费", "预约叫车", "Mileage",
               "Distance", "Waiting", "GetOn", "Getoff", "GetOff", "乘车")
_TRAIN_WORDS = ("铁路", "次列车", "二等座", "一等座", "商务座", "硬座", "硬卧", "软卧", "无座", "12306",
                "限乘当日当次车", "检票", "电子客票号")


def detect_family(lines: Sequence[TextLine]) -> Family:
    """The family from its vocabulary: a ticket by the words only tickets print (two of a taxi
    receipt's: a title OCR lost still leaves 车号, 里程, 等候 ...), a VAT invoice by its title."""
    text = squash(" ".join(ln.text for ln in lines))
    train = sum(w in text for w in _TRAIN_WORDS)
    taxi = sum(w in text for w in _TAXI_WORDS) + 2 * bool(re.search(r"出租|TAXI", text, re.I))
    if train and train * 2 >= taxi:
        return Family.TRAIN
    if taxi >= 2:
        return Family.TAXI
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
    def first(*labels: str) -> TextLine | None:
        return next((ln for label in labels for ln in lines if label in squash(ln.text)), None)

    top, bottom = first("开票日期", "发票代码", "发票号码"), first("价税合计")
    if top is None or bottom is None or top.cy < bottom.cy:
        return list(lines)
    w, h = page_size
    return [replace(ln, layout_box=(w - ln.lbox[2], h - ln.lbox[3], w - ln.lbox[0], h - ln.lbox[1])) for ln in lines]


# -- assignment -----------------------------------------------------------------------------------------
def assign(lines: Sequence[TextLine], page_size: tuple[float, float]) -> tuple[Family, dict[str, FieldValue]]:
    lines = upright(lines, page_size)
    family = detect_family(lines)
    layout = Layout(lines, family)
    hits: dict[str, Hit | None] = {}
    for name in ("invoice_code", "invoice_number", "issue_date", "check_code"):
        hits[name] = best(layout.find(name))
    hits["invoice_code"] = _printed_twice(layout, hits["invoice_code"], PARSE["invoice_code"], page_size)
    if family in (Family.TAXI, Family.TOLL) or hits["invoice_number"] is None:
        hits["invoice_number"] = _printed_twice(layout, hits["invoice_number"], _digits((8,)), page_size,
                                                alone=family in (Family.TAXI, Family.TOLL))
    split = _party_split(layout, page_size)
    for who, where in (("buyer", split.buyer), ("seller", split.seller)):
        hits[f"{who}_name"] = best(layout.find("name", where=where, below=False)
                                   + layout.find(f"{who}_name", below=False, who=who))
        hits[f"{who}_tax_id"] = best(layout.find("tax_id", where=where)
                                     + layout.find(f"{who}_tax_id", who=who))
        if hits[f"{who}_name"] is None and family in VAT_FAMILIES:
            hits[f"{who}_name"] = _name_above(layout, hits[f"{who}_tax_id"])
    hits["amount"], hits["tax"] = _totals_row(layout)
    money = _fare if family in (Family.TAXI, Family.TRAIN, Family.TOLL) else _money
    hits["total"] = best(layout.find("total", money))
    hits["total_in_words"] = best(layout.find("total_in_words", below=False))
    if family == Family.TAXI:
        hits["total"] = _amount_paid(layout, hits["total"])
    if family == Family.TRAIN:
        hits.update(_paper_ticket(layout, hits))
    return family, {name: _field(hit) for name, hit in _one_label_each(hits).items()}


def _name_above(layout: Layout, tax_id: Hit | None) -> Hit | None:
    """Every VAT form prints a party's name on the row above its tax ID: when the 名称 label was
    lost (its wide spacing split or dropped by the detector), the nearest name-shaped line above the
    tax ID's value, starting where it starts, is the name — by position (under the review line)."""
    if tax_id is None or tax_id.anchor is None:
        return None
    h, value = tax_id.anchor.height, tax_id.line
    above = [ln for ln in layout.lines if 0 < value.cy - ln.cy <= h * 3 and abs(ln.lbox[0] - value.lbox[0]) < h * 2
             and not layout.starts_labelled(ln) and _name(ln.text)]
    nearest = max(above, key=lambda ln: ln.cy, default=None)
    return Hit(_name(nearest.text), nearest, "position") if nearest is not None else None


def _one_label_each(hits: dict[str, Hit | None]) -> dict[str, Hit | None]:
    """A value taken by two labels (a 小写 total printed low, reached from the 合计 row above it)
    belongs to the nearer one; the other field is left unread (and derived if it can be)."""
    out = {name: hits.get(name) for name in FIELD_NAMES}
    for a in FIELD_NAMES:
        for b in FIELD_NAMES:
            ha, hb = out[a], out[b]
            if a < b and ha is not None and hb is not None and ha.line is hb.line and ha.value == hb.value:
                out[a if ha.distance() > hb.distance() else b] = None
    return out


def best(hits: Sequence[Hit]) -> Hit | None:
    return min(hits, key=Hit.order, default=None)


def _field(hit: Hit | None) -> FieldValue:
    if hit is None:
        return FieldValue(None, 0.0, None, None)
    evidence = tuple(x for x in (f"label:{hit.label}" if hit.label else None, f"how:{hit.how}",
                                 "printed_twice" if hit.twice else None) if x)
    return FieldValue(hit.value, hit.line.value_score(hit.value), hit.line.box, hit.line.source,
                      evidence=evidence)


def _printed_twice(layout: Layout, hit: Hit | None, parse, page_size: tuple[float, float],
                   alone: bool = True) -> Hit | None:
    """Paper forms print the code (and number) twice — large top-left, small top-right — and
    ticket rolls print them at the top without a label. Values no label claims (neither on its
    line nor as the value on its row), in the top band of the page: agreement with another
    reading marks the hit; without a labelled hit, the most confident one stands (`alone`) or
    agreeing ones only."""
    claimed = {id(layout.row(ln)[0]) for ln in layout.lines if layout.ends_labelled(ln) and layout.row(ln)}
    top = [Hit(v, ln, "position") for ln in layout.lines if ln.cy <= page_size[1] * 0.3
           and id(ln) not in claimed and (v := parse(layout.unlabelled(ln)))]
    if hit is not None:
        again = any(h.value == hit.value and h.line is not hit.line for h in top)
        return replace(hit, twice=again)
    for h in sorted(top, key=lambda h: -h.line.value_score(h.value)):
        if any(o.value == h.value and o.line is not h.line for o in top):
            return replace(h, twice=True)
    if not alone:
        return None
    return max(top, key=lambda h: h.line.value_score(h.value), default=None)


def _paper_ticket(layout: Layout, hits: dict[str, Hit | None]) -> dict[str, Hit]:
    """A paper train ticket prints no labels: the red serial (top-left, and again at the end of the
    ticket ID at the bottom), the departure as 年月日 + 开, the fare as ¥…元."""
    out: dict[str, Hit] = {}
    if hits.get("invoice_number") is None:
        serials = [Hit(m[1], ln, "position") for ln in layout.lines for m in [_SERIAL.search(squash(ln.text))] if m]
        if serials:
            first = max(serials, key=lambda h: (sum(o.value == h.value for o in serials), h.line.value_score(h.value)))
            out["invoice_number"] = replace(first, twice=sum(o.value == first.value for o in serials) > 1)
    if hits.get("issue_date") is None:
        dates = [Hit(d, ln, "position") for ln in layout.lines if "开" in ln.text and (d := parse_date(ln.text))]
        if dates:
            out["issue_date"] = dates[0]
    if hits.get("total") is None:
        fares = [Hit(v, ln, "position") for ln in layout.lines
                 if re.search(r"[¥￥]", ln.text) and (v := _fare(ln.text))]
        if len(fares) == 1:
            out["total"] = fares[0]
    return out


_SURCHARGES = ("燃油附加费", "预约叫车服务费", "附加费", "服务费")


def _amount_paid(layout: Layout, hit: Hit | None) -> Hit | None:
    """A taxi receipt that prints surcharges (Beijing: 金额, 燃油附加费, 预约叫车服务费, then 实收金额)
    is paid the amount on the row after them, not the metered 金额. When the 实收金额 label itself
    was not read (a seal lies over it), that row is the first amount below the last surcharge;
    when no amount is readable there, the metered fare stands but is marked as not the amount paid."""
    if hit is not None and hit.label != "金额":
        return hit
    surcharges = [ln for ln in layout.lines if layout.starts_labelled(ln)
                  and layout.occ(ln)[0].label.text in _SURCHARGES]
    if not surcharges:
        return hit
    last = max(surcharges, key=lambda ln: ln.cy)
    fare_rows = sorted(ln.cy for ln in surcharges + ([hit.line] if hit is not None else []))
    pitch = max([b - a for a, b in zip(fare_rows, fare_rows[1:], strict=False)] + [last.height])
    after = sorted((ln for ln in layout.lines if not layout.starts_labelled(ln)
                    and last.cy + last.height * 0.5 < ln.cy <= last.cy + pitch * 2.5
                    and ln.lbox[2] > last.lbox[2] and _fare(layout.unlabelled(ln))), key=lambda ln: ln.cy)
    if after:
        return Hit(_fare(layout.unlabelled(after[0])), after[0], "position")
    return replace(hit, how="position", rank=9) if hit is not None else None


@dataclass(frozen=True)
class PartySplit:
    buyer: Callable[[TextLine], bool]
    seller: Callable[[TextLine], bool]


def _party_split(layout: Layout, page_size: tuple[float, float]) -> PartySplit:
    """Whose block a line is in. A label that names the party (购买方名称 on a railway e-ticket)
    claims the lines of its row; the rest by the blocks."""
    blocks = _blocks(layout, page_size)
    claims = [(ln, who) for who in ("buyer", "seller") for ln, _, _ in layout.labelled(f"{who}_name")]

    def side(ln: TextLine) -> str | None:
        near = [who for anchor, who in claims if abs(ln.cy - anchor.cy) <= anchor.height]
        return near[0] if near else None

    return PartySplit(lambda ln: side(ln) == "buyer" or (side(ln) is None and blocks.buyer(ln)),
                      lambda ln: side(ln) == "seller" or (side(ln) is None and blocks.seller(ln)))


def _blocks(layout: Layout, page_size: tuple[float, float]) -> PartySplit:
    # Labels that start their line (but for the block's vertical 购买方/销售方 run into them),
    # not a 名称 inside the remarks.
    names = [ln for ln, o, _ in layout.labelled("name") if set(normal(ln.text)[:o.start]) <= set("购买销售方信息")]
    # 数电: buyer and seller blocks side by side on the same rows.
    for a in names:
        for b in names:
            if abs(a.cy - b.cy) < a.height and b.lbox[0] - a.lbox[0] > page_size[0] * 0.3:
                mid = (a.lbox[0] + b.lbox[0]) / 2
                return PartySplit(lambda ln, mid=mid: ln.lbox[0] < mid, lambda ln, mid=mid: ln.lbox[0] >= mid)
    # Classic form: buyer above the goods table, seller below it.
    header = next((ln for ln in layout.lines for text in ("货物或应税劳务", "项目名称", "规格型号")
                   if text in normal(ln.text)), None)
    cut = header.cy if header else page_size[1] * 0.5
    return PartySplit(lambda ln: ln.cy < cut, lambda ln: ln.cy > cut)


def _header_x(layout: Layout, label: str) -> float | None:
    found = [ln for ln in layout.lines if normal(ln.text).rstrip(":") == label]
    return (found[0].lbox[0] + found[0].lbox[2]) / 2 if found else None


def _x(hit: Hit) -> float:
    return (hit.line.lbox[0] + hit.line.lbox[2]) / 2


def _totals_row(layout: Layout) -> tuple[Hit | None, Hit | None]:
    """合计 row: the amount (left) and the tax (right)."""
    rows = [(ln, rest) for ln, _, rest in layout.labelled("totals_row")]
    rows += [(ln, "") for ln in layout.lines if normal(ln.text) == "计"]  # "合 计" read as two lines
    for line, rest in rows:
        right = [ln for ln in layout.row(line) if not layout.starts_labelled(ln) or _money(ln.text)]
        candidates = ([Hit(m, line, "inline", "合计", anchor=line) for m in _MONEY.findall(_money_text(rest))]
                      + [Hit(v, ln, "row", "合计", anchor=line) for ln in right if (v := _money(ln.text))])
        star = any("*" in ln.text for ln in right)
        if len(candidates) >= 2:
            ordered = sorted(candidates, key=_x)  # stable: two on one line stay in reading order
            amount, tax = ordered[0], ordered[-1]
            # The tax is a fraction of the amount (≤ 17 %): a reversed pair was mis-ordered.
            if float(tax.value) > float(amount.value):
                amount, tax = tax, amount
            return amount, tax
        if len(candidates) == 1:
            only = candidates[0]
            amount_x, tax_x = _header_x(layout, "金额"), _header_x(layout, "税额")
            if amount_x is not None and tax_x is not None and abs(_x(only) - tax_x) < abs(_x(only) - amount_x):
                return None, only
            return only, (Hit("0.00", only.line, "row", "合计") if star else None)
    return None, None


def tax_rate(lines: Sequence[TextLine]) -> Decimal | None:
    """The one tax rate printed in the goods table (税率 column), or None if none or several."""
    header = next((ln for ln in lines if "税率" in normal(ln.text)), None)
    if header is None:
        return None
    rates = {m.group(1) for ln in lines if ln.cy > header.cy + header.height * 0.5
             and abs((ln.lbox[0] + ln.lbox[2]) / 2 - (header.lbox[0] + header.lbox[2]) / 2) < header.height * 3
             for m in [re.search(r"(?<!\d)(\d{1,2})\s*%", ln.text)] if m}
    return Decimal(rates.pop()) / 100 if len(rates) == 1 else None
