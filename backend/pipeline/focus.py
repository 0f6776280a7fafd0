"""Stage: choose which detected lines to recognise.

Reading a line costs in proportion to its length, and a paper invoice photo holds ~70 lines of
which the twelve fields need about fifteen. So the reader recognises in two passes:

1. the labels (`first_pass`): lines in the form's own ink (see `ink`) short enough to be a label
   or the title; on a page printed in one ink, every short line;
2. the rest (`second_pass`), except lines lying where the classic form — found from the labels of
   pass 1 — prints something that is never a field: the cipher block right of 密码区, the
   address/phone and bank rows, the goods table (but its 税率 column), the remarks right of 备注,
   the signature row, and the vertical print on the margins.

A page whose labels do not show the classic form (数电, tickets, screenshots, anything unknown)
has everything read: lines are only ever skipped on positive evidence.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .ocr import Span
from .types import TextLine

# Model-input widths (px at height 48). A form-ink line up to LABEL_MAX is a label or the title
# (the longest, 开户行及账号:, is ~7 characters); on a one-ink page pass 1 stops at SHORT (~10 digits).
LABEL_MAX = 320
SHORT = 240

_TABLE = ("规格型号", "单位", "数量", "单价", "税率", "税额", "金额")
_CIPHER = ("密", "码", "区", "密码", "码区", "密码区")
_REMARK = ("备", "注", "备注")
_TOTAL = ("合", "计", "合计")
_OTHER_ROW = re.compile(r"地址|电话|开户行|账号")
_FIELD_ROW = re.compile(r"名称|称:|识别号|纳税人|统一社会信用代码|^名$|^称$")
_FOOTER = re.compile(r"^(收款人|复核|开票人)")


@dataclass(frozen=True)
class Plan:
    read: tuple[int, ...]  # indices of the detected lines to recognise in pass 2
    form: str  # "classic" when the form's regions were found, else "unknown" (all read)
    skipped: tuple[tuple[int, str], ...] = ()  # (index, why) of the lines left unread


def first_pass(spans: Sequence[Span], form_ink: Sequence[bool | None] | None) -> tuple[int, ...]:
    """Lines in the form's ink short enough to be a label; where the ink is not known, every
    short line."""
    def label(i: int, s: Span) -> bool:
        ink = form_ink[i] if form_ink is not None else None
        if ink is None:
            return s.length <= SHORT
        return ink and s.length <= (SHORT if s.tall else LABEL_MAX)

    return tuple(i for i, s in enumerate(spans) if label(i, s))


@dataclass(frozen=True)
class Anchors:
    table: list[TextLine] = field(default_factory=list)
    cipher: list[TextLine] = field(default_factory=list)
    remark: list[TextLine] = field(default_factory=list)
    total: list[TextLine] = field(default_factory=list)
    rows: list[tuple[TextLine, str]] = field(default_factory=list)  # party-block labels: "field" | "other"
    footer: list[TextLine] = field(default_factory=list)
    tax_rate: list[TextLine] = field(default_factory=list)


def anchors(lines: Sequence[TextLine]) -> Anchors:
    found = Anchors()
    for ln in lines:
        t = re.sub(r"[\s:：]+", "", ln.text)
        if t in _TABLE:
            found.table.append(ln)
            if t == "税率":
                found.tax_rate.append(ln)
        elif t in _CIPHER:
            found.cipher.append(ln)
        elif t in _REMARK:
            found.remark.append(ln)
        elif t in _TOTAL:
            found.total.append(ln)
        elif _OTHER_ROW.search(t):
            found.rows.append((ln, "other"))
        elif _FIELD_ROW.search(ln.text.replace(" ", "")):
            found.rows.append((ln, "field"))
        elif _FOOTER.search(t):
            found.footer.append(ln)
    return found


def second_pass(spans: Sequence[Span], first: Mapping[int, TextLine]) -> Plan:
    rest = [i for i in range(len(spans)) if i not in first]
    a = anchors(list(first.values()))
    a = replace(a, table=_header_row(a.table))
    if len(a.table) < 3 or not (a.cipher or a.remark) or not a.rows:
        return Plan(tuple(rest), "unknown")
    skip = _Skipper(spans, a, [spans[i] for i in rest])
    read, skipped = [], []
    for i in rest:
        why = skip.why(spans[i])
        if why:
            skipped.append((i, why))
        else:
            read.append(i)
    return Plan(tuple(read), "classic", tuple(skipped))


def _header_row(table: list[TextLine]) -> list[TextLine]:
    """The goods table's column headers: the most table labels sharing one row (a ticket prints
    单价, 金额 ... one under another)."""
    rows = [[ln for ln in table if abs(ln.cy - anchor.cy) <= anchor.height * 0.6] for anchor in table]
    return max(rows, key=len, default=[])


@dataclass(frozen=True)
class _Block:
    """One party block (购买方 or 销售方): its label rows, their pitch, and how far the printer
    may have shifted the data rows against the form's rows."""

    rows: tuple[tuple[float, str], ...]  # (cy, "field" | "other"), top to bottom
    pitch: float
    left: float  # the labels' right edge: data lies to the right of it
    drifts: tuple[float, ...] = (0.0,)

    def holds(self, s: Span) -> bool:
        top, bottom = self.rows[0][0] - self.pitch, self.rows[-1][0] + self.pitch
        return s.level[0] >= self.left - s.height and top < s.cy < bottom

    def row_of(self, s: Span, drift: float) -> str | None:
        if not self.holds(s):
            return None
        cy, kind = min(self.rows, key=lambda r: abs(s.cy - drift - r[0]))
        return kind if abs(s.cy - drift - cy) <= self.pitch * 0.5 else None

    def address_or_bank(self, s: Span) -> bool:
        """On an address/bank row both as printed and with every likely drift undone: a value
        that could belong to a name or tax-id row is read."""
        return all(self.row_of(s, d) == "other" for d in (0.0, *self.drifts))


def _blocks(a: Anchors, table_y: float, candidates: Sequence[Span],
            columns: tuple[float | None, float | None]) -> list[_Block]:
    """The buyer block (above the goods table) and the seller block (below it), each with at
    least one address/bank label; `columns` are where the cipher and remarks blocks begin."""
    out = []
    for labels, column in (([r for r in a.rows if r[0].cy < table_y], columns[0]),
                           ([r for r in a.rows if r[0].cy > table_y], columns[1])):
        if len(labels) < 2 or all(kind == "field" for _, kind in labels):
            continue
        rows: list[tuple[float, str]] = []
        for ln, kind in sorted(labels, key=lambda r: r[0].cy):
            if rows and ln.cy - rows[-1][0] < ln.height * 0.5:  # two labels on one row ("名" "称:")
                rows[-1] = (rows[-1][0], "field" if "field" in (kind, rows[-1][1]) else kind)
            else:
                rows.append((ln.cy, kind))
        gaps = [b[0] - a_[0] for a_, b in zip(rows, rows[1:], strict=False)]
        pitch = min(gaps) if gaps else statistics.median(ln.height for ln, _ in labels) * 1.2
        block = _Block(tuple(rows), pitch, max(ln.lbox[2] for ln, _ in labels))
        data = [s.cy for s in candidates if block.holds(s) and (column is None or s.level[0] < column)]
        out.append(_Block(block.rows, pitch, block.left, _drifts(data, [r[0] for r in rows], pitch)))
    return out


def _drifts(data: Sequence[float], rows: Sequence[float], pitch: float) -> tuple[float, ...]:
    """How far the printer may have fed the paper off: the shifts of the data rows against the
    label rows (up to ¾ of a row either way) that lay the data about as close onto the rows as
    the best one does. Data pushed past the last label row costs as much as it lies off, so a
    shift by half a row is told from the opposite one by where the last data row lands; when it
    cannot be told (a shift of ⅔ of a row looks like ⅓ the other way), both are kept."""
    if not data:
        return (0.0,)
    costs = {step: sum(min(pitch, min(abs(y - step - r) for r in rows)) for y in data)
             for step in range(-int(pitch * 0.75), int(pitch * 0.75) + 1)}
    best = min(costs.values())
    return tuple(float(step) for step, cost in costs.items() if cost <= best + pitch * 0.1)


class _Skipper:
    """The regions of the classic form that never hold a field, from its labels."""

    def __init__(self, spans: Sequence[Span], a: Anchors, candidates: Sequence[Span]) -> None:
        self.table_y = statistics.median(ln.cy for ln in a.table)
        self.table_h = statistics.median(ln.height for ln in a.table)
        below = [ln.cy for ln in a.total if ln.cy > self.table_y + self.table_h]
        self.goods_end = min(below) if below else None
        self.rate_x = [(ln.lbox[0] + ln.lbox[2]) / 2 for ln in a.tax_rate]
        cipher = [ln for ln in a.cipher if ln.cy < self.table_y]
        self.cipher = (min(ln.lbox[0] for ln in cipher), min(ln.lbox[1] for ln in cipher)) if cipher else None
        remark = [ln for ln in a.remark if ln.cy > self.table_y]
        self.remark = (min(ln.lbox[0] for ln in remark), min(ln.lbox[1] for ln in remark)) if remark else None
        self.footer_y = min((ln.cy for ln in a.footer if ln.cy > self.table_y), default=None)
        self.blocks = _blocks(a, self.table_y, candidates,
                              (self.cipher[0] if self.cipher else None, self.remark[0] if self.remark else None))
        # Vertical print only counts as margin print on a page that is itself the right way round.
        self.upright = sum(s.tall for s in spans) * 3 < len(spans)

    def why(self, s: Span) -> str | None:
        x0, h, cy = s.level[0], s.height, s.cy
        if s.tall and self.upright:
            return "vertical"
        if abs(cy - self.table_y) <= self.table_h * 0.6:
            return "goods_header"
        if self.goods_end is not None and self.table_y < cy < self.goods_end - h * 0.6 and not self._rate(s):
            return "goods"
        if self.cipher and x0 >= self.cipher[0] and cy >= self.cipher[1] - h * 0.3 and cy < self.table_y:
            return "cipher"
        if self.remark and x0 >= self.remark[0] and cy >= self.remark[1] - h * 0.3:
            return "remark"
        if self.footer_y is not None and cy >= self.footer_y - h * 0.5:
            return "footer"
        if any(b.address_or_bank(s) for b in self.blocks):
            return "address_or_bank"
        return None

    def _rate(self, s: Span) -> bool:
        """Under the 税率 header: the rate decides tax ≈ amount × rate."""
        centre = (s.level[0] + s.level[2]) / 2
        return any(abs(centre - x) < self.table_h * 2 for x in self.rate_x)
