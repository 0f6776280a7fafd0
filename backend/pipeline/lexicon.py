"""The label vocabulary of every invoice family: which printed words label which field.

A value is found next to its label, so the labels decide what a value is — not where it sits
on the page. Three things make that hold on layouts the reader has never seen:

- synonyms: each field is labelled differently by each family (票价 on a train ticket, 实收金额
  on a Beijing taxi receipt, 金额合计 on a Hebei one, 购买方名称 on a railway e-ticket), with a rank
  where one family prints several (实收金额, the amount paid, beats 金额, the metered fare);
- labels of things that are never a field: they claim their own value so that no field takes it
  (机器编号 is not 发票代码; 乘车日期 is not 开票日期 except on a taxi receipt, which has no other
  date; 识别码 on a taxi roll is not 纳税人识别号; 项目名称 is not 名称);
- longest match: a line is split into labels greedily, longest first, so 实收金额 is never read as
  金额 and 价税合计 never as 合计.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..validate.codes import Family

TICKETS = frozenset({Family.TAXI, Family.TRAIN, Family.TOLL})
TAXI = frozenset({Family.TAXI})


@dataclass(frozen=True)
class Label:
    text: str  # as printed, spaces ignored
    field: str | None  # the field it labels; None: something that is never a field
    rank: int = 0  # among one field's labels, the lower wins
    families: frozenset[Family] | None = None  # it labels `field` only on these (elsewhere: nothing)
    party: str | None = None  # "buyer" | "seller" when the label says whose it is
    alone: bool = False  # counts only as a line of its own (a lone 名 of "名 称:" cut in two)
    start: bool = False  # counts only at the start of a line ("No 12356976"; "称:" of a cut 名称)

    def labels(self, family: Family) -> str | None:
        """The field this label names on an invoice of `family`."""
        if self.families is not None and family not in self.families:
            return None
        return self.field


def _many(field: str | None, texts: Sequence[str], **kw) -> list[Label]:
    return [Label(t, field, **kw) for t in texts]


LABELS: tuple[Label, ...] = tuple(
    _many("invoice_code", ["发票代码", "机打代码"])
    + _many("invoice_number", ["发票号码", "机打号码", "票号"])
    + [Label("No", "invoice_number", rank=1, start=True), Label("NO", "invoice_number", rank=1, start=True),
       Label("№", "invoice_number", rank=1)]
    + [Label("开票日期", "issue_date"), Label("填开日期", "issue_date"),
       Label("乘车日期", "issue_date", rank=1, families=TAXI), Label("日期", "issue_date", rank=2)]
    + _many("check_code", ["校验码"])
    + _many("name", ["名称"])
    + [Label("称", "name", rank=1, start=True), Label("名", "name", rank=2, alone=True)]
    + _many("buyer_name", ["购买方名称", "购方名称", "购买方:名称", "购买单位", "付款单位"], party="buyer")
    + _many("seller_name", ["销售方名称", "销方名称", "销售方:名称", "收款单位"], party="seller")
    + _many("tax_id", ["统一社会信用代码/纳税人识别号", "纳税人识别号", "统一社会信用代码"])
    + [Label("税号", "tax_id", rank=1)]
    + _many("buyer_tax_id", ["购买方统一社会信用代码/纳税人识别号", "购方税号", "购买方纳税人识别号"], party="buyer")
    + _many("seller_tax_id", ["销售方统一社会信用代码/纳税人识别号", "销方税号", "销售方纳税人识别号"],
            party="seller")
    + [Label("合计", "totals_row")]
    + [Label("小写", "total"), Label("价税合计(小写)", "total")]
    + [Label("实收金额", "total", families=TICKETS), Label("应收金额", "total", rank=1, families=TICKETS),
       Label("金额合计", "total", rank=1, families=TICKETS), Label("票价", "total", rank=1, families=TICKETS),
       Label("车费", "total", rank=2, families=TICKETS), Label("金额", "total", rank=3, families=TICKETS),
       Label("合计金额", "total", rank=2, families=TICKETS)]
    + [Label("大写", "total_in_words"), Label("价税合计(大写)", "total_in_words"), Label("价税合计", "total_in_words",
                                                                                   rank=1)]
    # Never a field: each claims its own value.
    + _many(None, ["机器编号", "机打号", "识别码", "税控码", "密码区", "密码", "项目名称", "货物或应税劳务、服务名称",
                   "货物或应税劳务名称", "规格型号", "单位", "数量", "单价", "税率", "征收率", "税率/征收率", "税额",
                   "金额", "地址、电话", "地址电话", "地址", "电话", "开户行及账号", "开户银行", "银行账号", "账号",
                   "备注", "收款人", "复核", "开票人", "销售方(章)", "下载次数", "电子客票号", "身份证号", "车号",
                   "证号", "时间", "上车", "下车", "里程", "等候", "等候时间", "起止时间", "状态", "燃油附加费",
                   "附加费", "预约叫车服务费", "服务费", "卡号", "卡原额", "卡余额", "公司代码", "经营单位编号",
                   "监督电话", "运营里程", "乘车日期", "打印号码", "原发票号码", "代开企业税号", "代开企业名称",
                   "代开机关"])
)

_BY_TEXT: dict[str, list[Label]] = {}
for _label in LABELS:
    _BY_TEXT.setdefault(_label.text, []).append(_label)
_LONGEST_FIRST = sorted(_BY_TEXT, key=len, reverse=True)


def normal(text: str) -> str:
    """What labels are matched against: no spaces, ASCII punctuation (NFKC already made most of it),
    and no pictograph in the gap of a spaced label: the recogniser reads the wide gap inside 名    称:
    as a box or tick (名☑称:)."""
    text = _drop_gap_marks(text)
    return re.sub(r"\s+", "", text).replace("：", ":").replace("（", "(").replace("）", ")")


def _drop_gap_marks(text: str) -> str:
    """Pictographs (Unicode So, but №) between two Chinese characters go; anywhere else they stay: values are
    cut from this text too, and a ○ or ● misread for a digit (¥2●3.50) must keep the value malformed, not make
    it a well-formed shorter one."""
    kept: list[str] = []
    for i, c in enumerate(text):
        if c != "№" and unicodedata.category(c) == "So":
            before = next((d for d in reversed(kept) if not d.isspace()), "")
            after = next((d for d in text[i + 1:] if not d.isspace() and unicodedata.category(d) != "So"), "")
            if _han(before) and _han(after):
                continue
        kept.append(c)
    return "".join(kept)


def _han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


@dataclass(frozen=True)
class Occurrence:
    label: Label
    field: str | None  # what it labels on this family
    start: int  # in normal(text)
    end: int


def occurrences(text: str, family: Family) -> list[Occurrence]:
    """The labels in a line, left to right, longest first at each position. A label that names a
    field only on other families (乘车日期 off a taxi receipt) still claims its value."""
    s = normal(text)
    out: list[Occurrence] = []
    i = 0
    while i < len(s):
        found = _label_at(s, i)
        if found is None:
            i += 1
            continue
        out.append(Occurrence(found, _field_of(found.text, family), i, i + len(found.text)))
        i += len(found.text)
    return out


def _label_at(s: str, i: int) -> Label | None:
    for text in _LONGEST_FIRST:
        if not s.startswith(text, i):
            continue
        label = _BY_TEXT[text][0]
        if (label.alone and s.rstrip(":") != text) or (label.start and i != 0):
            continue
        if text.isascii() and i + len(text) < len(s) and s[i + len(text)].isalpha():
            continue  # "Note", "None"
        return label
    return None


def _field_of(text: str, family: Family) -> str | None:
    """The best field the labels with this text name on `family`."""
    named = [(lab.rank, f) for lab in _BY_TEXT[text] if (f := lab.labels(family))]
    return min(named)[1] if named else None


def rank(occ: Occurrence) -> int:
    """The rank of the occurrence's label for the field it names."""
    return min((lab.rank for lab in _BY_TEXT[occ.label.text] if lab.field == occ.field), default=9)


def party(occ: Occurrence) -> str | None:
    return next((lab.party for lab in _BY_TEXT[occ.label.text] if lab.party), None)


def starts_with_label(text: str, family: Family) -> bool:
    occ = occurrences(text, family)
    return bool(occ) and occ[0].start == 0
