"""The project's own invoice generator: a classic VAT form drawn with a CJK font, QR included.

Used by tests to exercise the reader on invoices whose every field is known, and as the
calibration pages of the int8 detection model (backend/weights/quantise.py). The layout mirrors
the paper 增值税普通发票: QR and code top-left, number/date/check code top-right, buyer block,
goods table, 合计 row, 价税合计 row, seller block.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

FONT_GLOBS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/**/*CJK*.tt[cf]")


def font_path() -> str | None:
    for pattern in FONT_GLOBS:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return found[0]
    return None


@dataclass(frozen=True)
class Spec:
    invoice_code: str = "1100171320"
    invoice_number: str = "12356976"
    issue_date: str = "2017-04-25"
    check_code: str = "68290471162609952523"
    buyer_name: str = "中国科学院自动化研究所"
    buyer_tax_id: str = "12100000400012345X"
    seller_name: str = "北京科学技术期刊学会"
    seller_tax_id: str = "110105500300720"
    amount: str = "566.04"
    tax: str = "33.96"
    total: str = "600.00"
    total_in_words: str = "陆佰圆整"
    qr: bool = True
    full_form: bool = False  # also the cipher block, address/bank rows and remarks of a real form

    def qr_payload(self) -> str:
        return (f"01,04,{self.invoice_code},{self.invoice_number},{self.amount},"
                f"{self.issue_date.replace('-', '')},{self.check_code},BAA6,")


def render(spec: Spec = Spec(), width: int = 2000, height: int = 1250) -> np.ndarray:
    path = font_path()
    if path is None:
        raise RuntimeError("no CJK font: install fonts-noto-cjk (make install does)")
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    f = ImageFont.truetype(path, 34)
    big = ImageFont.truetype(path, 52)
    y, m, day = spec.issue_date.split("-")
    ink, form = (20, 20, 20), (150, 90, 40)
    d.text((700, 40), "北京增值税普通发票", font=big, fill=form)
    d.text((380, 70), spec.invoice_code, font=big, fill=ink)
    d.text((1350, 60), f"No {spec.invoice_number}", font=big, fill=ink)
    d.text((1400, 190), f"开票日期: {y}年{m}月{day}日", font=f, fill=ink)
    cc = " ".join(spec.check_code[i:i + 5] for i in range(0, 20, 5))
    d.text((380, 210), f"校验码 {cc}", font=f, fill=ink)
    d.rectangle((100, 260, 1900, 1150), outline=form, width=3)
    d.text((200, 290), "名    称:", font=f, fill=form)
    d.text((420, 290), spec.buyer_name, font=f, fill=ink)
    d.text((200, 340), "纳税人识别号:", font=f, fill=form)
    d.text((460, 340), spec.buyer_tax_id, font=f, fill=ink)
    d.text((160, 470), "货物或应税劳务、服务名称", font=f, fill=form)
    for x, label in ((700, "规格型号"), (900, "单位"), (1300, "金额"), (1500, "税率"), (1700, "税额")):
        d.text((x, 470), label, font=f, fill=form)
    d.text((160, 520), "会费", font=f, fill=ink)
    d.text((1300, 520), spec.amount, font=f, fill=ink)
    d.text((1700, 520), spec.tax, font=f, fill=ink)
    d.text((250, 800), "合    计", font=f, fill=form)
    d.text((1300, 800), f"¥{spec.amount}", font=f, fill=ink)
    d.text((1700, 800), f"¥{spec.tax}", font=f, fill=ink)
    d.text((160, 870), "价税合计(大写)", font=f, fill=form)
    d.text((600, 870), spec.total_in_words, font=f, fill=ink)
    d.text((1350, 870), f"(小写) ¥{spec.total}", font=f, fill=ink)
    d.text((200, 950), "名    称:", font=f, fill=form)
    d.text((420, 950), spec.seller_name, font=f, fill=ink)
    d.text((200, 1000), "纳税人识别号:", font=f, fill=form)
    d.text((460, 1000), spec.seller_tax_id, font=f, fill=ink)
    if spec.full_form:
        _rest_of_form(d, f, ink, form)
    out = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
    if spec.qr:
        code = zxingcpp.create_barcode(spec.qr_payload(), zxingcpp.BarcodeFormat.QRCode)
        qr = np.asarray(zxingcpp.write_barcode_to_image(code, scale=5))
        qr = cv2.cvtColor(qr, cv2.COLOR_GRAY2BGR) if qr.ndim == 2 else qr
        h, w = qr.shape[:2]
        out[40:40 + h, 100:100 + w] = qr
    return out


def _rest_of_form(d: ImageDraw.ImageDraw, f, ink, form) -> None:
    """What a real form prints besides the fields: never read into one."""
    for y, char in ((285, "密"), (335, "码"), (385, "区")):
        d.text((1150, y), char, font=f, fill=form)
    for k, y in enumerate((280, 320, 360, 400)):
        d.text((1220, y), "0<+*-/9>3" [k:] + "72-<//43091*1228-*3-72->", font=f, fill=ink)
    for y, label, value in ((382, "地址、电话:", "北京市海淀区中关村东路95号 010-82544444"),
                            (424, "开户行及账号:", "工商银行北京海淀西区支行 0200004509089131550"),
                            (1050, "地址、电话:", "北京市海淀区北四环西路33号 010-62554444"),
                            (1100, "开户行及账号:", "中国银行北京中关村支行 3335556660001")):
        d.text((200, y), label, font=f, fill=form)
        d.text((460, y), value, font=f, fill=ink)
    d.text((1150, 960), "备", font=f, fill=form)
    d.text((1150, 1060), "注", font=f, fill=form)
    d.text((1220, 1000), "会员年费 2017 年度", font=f, fill=ink)


def photo_like(image: np.ndarray, angle: float = 3.0, seed: int = 0) -> np.ndarray:
    """A little rotation, blur and noise: a careful phone photo of the page."""
    h, w = image.shape[:2]
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(image, rot, (w, h), borderValue=(200, 200, 200))
    noisy = turned.astype(np.int16) + np.random.default_rng(seed).normal(0, 6, turned.shape).astype(np.int16)
    return cv2.GaussianBlur(np.clip(noisy, 0, 255).astype(np.uint8), (3, 3), 0)
