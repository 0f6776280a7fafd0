"""Invoice code and number structure: family, region (see shared docs/invoice-domain.md)."""

from __future__ import annotations

from enum import StrEnum


class Family(StrEnum):
    """Stable keys for invoice families; the UI translates them (family.* in the catalogs)."""

    VAT_SPECIAL = "vat_special"  # 增值税专用发票 (paper)
    VAT_NORMAL = "vat_normal"  # 增值税普通发票 (paper)
    VAT_E_NORMAL = "vat_e_normal"  # 增值税电子普通发票
    VAT_E_SPECIAL = "vat_e_special"  # 增值税电子专用发票
    DIGITAL_SPECIAL = "digital_special"  # 数电 专
    DIGITAL_NORMAL = "digital_normal"  # 数电 普
    TAXI = "taxi"
    TRAIN = "train"
    TOLL = "toll"
    UNKNOWN = "unknown"


VAT_FAMILIES = {Family.VAT_SPECIAL, Family.VAT_NORMAL, Family.VAT_E_NORMAL, Family.VAT_E_SPECIAL,
                Family.DIGITAL_SPECIAL, Family.DIGITAL_NORMAL}
DIGITAL = {Family.DIGITAL_SPECIAL, Family.DIGITAL_NORMAL}
# 校验码 is not printed on 专票.
NO_CHECK_CODE = {Family.VAT_SPECIAL, Family.VAT_E_SPECIAL, Family.DIGITAL_SPECIAL, Family.DIGITAL_NORMAL}

# QR type code → family (docs: 01 专票, 04 普票, 08 电子专票, 10 电子普票, 31/32 数电 专/普, 14 通行费).
QR_TYPES = {"01": Family.VAT_SPECIAL, "04": Family.VAT_NORMAL, "08": Family.VAT_E_SPECIAL,
            "10": Family.VAT_E_NORMAL, "14": Family.TOLL, "31": Family.DIGITAL_SPECIAL,
            "32": Family.DIGITAL_NORMAL, "51": Family.TRAIN}
# For these the QR amount is 金额 (pre-tax); for 数电 31/32 it is 价税合计, for a railway e-ticket (51) the fare.
QR_AMOUNT_IS_TOTAL = {"31", "32", "51"}

# Province-level administrative division codes (GB/T 2260), plus the separately-planned cities
# that run their own tax bureaus.
REGIONS = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林",
    "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东", "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃",
    "63": "青海", "64": "宁夏", "65": "新疆",
}
CITY_REGIONS = {"2102": "大连", "3302": "宁波", "3502": "厦门", "3702": "青岛", "4403": "深圳"}


def region_of(invoice_code: str | None, invoice_number: str | None = None) -> str | None:
    """The issuing region from the code (10/12 digits) or the 20-digit 数电 number."""
    if invoice_code and invoice_code.isdigit():
        prefix = invoice_code[:4] if len(invoice_code) == 10 else invoice_code[1:5] if len(invoice_code) == 12 else ""
        if prefix:
            return CITY_REGIONS.get(prefix) or REGIONS.get(prefix[:2])
    if invoice_number and len(invoice_number) == 20 and invoice_number.isdigit():
        return REGIONS.get(invoice_number[2:4])
    return None


def family_from_keys(invoice_code: str | None, invoice_number: str | None) -> Family:
    """Best guess of the family from code/number shapes alone."""
    code, number = invoice_code or "", invoice_number or ""
    if len(number) == 20 and not code:
        return Family.DIGITAL_NORMAL
    if len(code) == 12 and code.startswith("0"):
        return {"11": Family.VAT_E_NORMAL, "12": Family.TOLL}.get(code[-2:], Family.VAT_NORMAL)
    if len(code) == 10:
        return Family.VAT_SPECIAL if code[7] == "1" else Family.VAT_NORMAL
    return Family.UNKNOWN
