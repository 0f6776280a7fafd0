"""Every invoice family the reader knows, drawn with random layouts: the project's own invoices.

Each family is drawn from what holds for all its invoices (its labels, their order, which values
go unlabelled), with everything else random: company names, tax IDs with valid check digits,
codes with real regions and years, amounts with a real rate, the layout's shifts and scale, the
dot-matrix printer's offset against the form, fonts (sans/serif, regular/bold, mono), seals over
the print. Then a camera: perspective, rotation, blur, noise, low light, creases, colour casts —
or a phone photographing a screen (moiré, glare). Everything is seeded: the same seed, the same
picture.

    drawn = generate("taxi_beijing", seed=3)   # .image (BGR), .truth (the 12 fields), .family

Used by tests (every family read end to end) and by bench.synthetic, which measures the reader on
layouts it was never tuned on. The truth follows the dev set's conventions (a taxi's total is the
amount paid, a railway e-ticket's date is its 开票日期, fields not printed are None).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import cv2
import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from ..validate import uscc
from ..validate.codes import REGIONS, Family
from ..validate.words import amount_to_words

NOTO = "/usr/share/fonts/opentype/noto/"  # Debian's fonts-noto-cjk (make install puts it there)
FONTS = tuple(NOTO + f"Noto{s}CJK-{w}.ttc" for s in ("Sans", "Serif") for w in ("Regular", "Bold"))
SC, MONO = 2, 5  # faces inside the Noto CJK collections: simplified Chinese, and its monospaced cut
FORM_INKS = ((150, 90, 40), (170, 80, 50), (60, 120, 80))  # RGB: brown, red-brown, the green of some 专票
DATA_INKS = ((25, 25, 30), (40, 50, 130), (30, 30, 90))
SEAL = (220, 60, 60)

CITIES = ["北京", "上海", "天津", "南京", "苏州", "杭州", "广州", "深圳", "成都", "武汉", "西安", "长沙",
          "郑州", "青岛"]
WORDS = list("华信达恒泰宇科博鑫瑞安联通天海新和源盛云智德正元明嘉顺丰汇宏远航星立创峰")
TRADES = ["科技", "信息技术", "商贸", "餐饮管理", "酒店管理", "物流", "文化传媒", "建筑工程", "软件", "医药",
          "咨询服务"]
GOODS = [("*信息技术服务*技术服务费", "0.06"), ("*餐饮服务*餐费", "0.06"), ("*住宿服务*住宿费", "0.06"),
         ("*电子元件*电阻", "0.13"), ("*办公用品*打印纸", "0.13"), ("*运输服务*货运服务费", "0.09"),
         ("*印刷品*资料印刷", "0.03"), ("*经纪代理服务*代理费", "0.06"), ("*快递服务*收派服务费", "0.06")]
PROVINCE_CODES = [k for k in REGIONS if k not in ("54",)]


# -- content ----------------------------------------------------------------------------------------
def company(rng: random.Random) -> str:
    return rng.choice(CITIES) + "".join(rng.sample(WORDS, rng.randint(2, 4))) + rng.choice(TRADES) + "有限公司"


def tax_id(rng: random.Random) -> str:
    """A USCC whose check digit holds: 9 + kind + region + organisation code."""
    first = "91" + rng.choice(PROVINCE_CODES) + f"{rng.randint(0, 9999):04d}" + "".join(
        rng.choice(uscc.ALPHABET[:10] + "ABCDEFGHJKLMN") for _ in range(9))
    return first + uscc.check_char(first)


def money(rng: random.Random, low: float = 5, high: float = 20000) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), 2))).quantize(Decimal("0.01"))


def amounts(rng: random.Random, rate: str) -> tuple[str, str, str, str]:
    amount = money(rng)
    tax = (amount * Decimal(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    total = amount + tax
    return f"{amount}", f"{tax}", f"{total}", amount_to_words(total)


def day(rng: random.Random, first: int = 2016, last: int = 2025) -> dt.date:
    start = dt.date(first, 1, 1)
    return start + dt.timedelta(days=rng.randint(0, (dt.date(last, 12, 28) - start).days))


def digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def paper_code(rng: random.Random, issued: dt.date, special: bool, region: str) -> str:
    """10 digits: region (4), printing year (2), batch, 1 on 专票 / 3 on 普票, copies, version."""
    year = f"{max(issued.year - rng.randint(0, 1), 2000) % 100:02d}"
    return region + year + str(rng.randint(1, 9)) + ("1" if special else "3") + str(rng.choice((2, 3, 5))) + "0"


def e_code(rng: random.Random, issued: dt.date, region: str, tail: str = "11") -> str:
    """12 digits: 0, region (4), year (2), batch (3), type (2: 11 electronic 普票)."""
    return "0" + region + f"{issued.year % 100:02d}" + digits(rng, 3) + tail


def digital_number(rng: random.Random, issued: dt.date, province: str) -> str:
    """20 digits: year (2), province (2), channel, sequence."""
    return f"{issued.year % 100:02d}" + province + str(rng.randint(0, 9)) + digits(rng, 15)


# -- the page ---------------------------------------------------------------------------------------------
@dataclass
class Page:
    """A canvas that draws text in a chosen font, with the page's layout jitter applied."""

    width: int
    height: int
    rng: random.Random
    font_path: str = FONTS[0]
    face: int = SC
    shift: tuple[float, float] = (0.0, 0.0)  # the data printer's offset against the form, px
    scale: float = 1.0
    image: Image.Image = field(init=False)
    draw: ImageDraw.ImageDraw = field(init=False)
    _fonts: dict = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        paper = tuple(self.rng.randint(236, 252) for _ in range(3))
        # The canvas grows with the layout's scale: drawn at its own size, a page scaled up lost
        # what lies near its right and bottom edges (a 数电 number's last digits off the page).
        self.image = Image.new("RGB", (round(self.width * self.scale), round(self.height * self.scale)), paper)
        self.draw = ImageDraw.Draw(self.image)

    def font(self, size: float, mono: bool = False) -> ImageFont.FreeTypeFont:
        key = (round(size * self.scale), mono)
        if key not in self._fonts:
            path = FONTS[0] if mono else self.font_path
            self._fonts[key] = ImageFont.truetype(path, key[0], index=MONO if mono else self.face)
        return self._fonts[key]

    def text(self, x: float, y: float, s: str, size: float = 30, ink=DATA_INKS[0], data: bool = True,
             mono: bool = False) -> None:
        dx, dy = self.shift if data else (0.0, 0.0)
        jitter = self.rng.uniform(-2, 2) if data else 0.0
        self.draw.text(((x + dx) * self.scale, (y + dy + jitter) * self.scale), s, font=self.font(size, mono), fill=ink)

    def box(self, x0, y0, x1, y1, ink, width=2) -> None:
        self.draw.rectangle(tuple(v * self.scale for v in (x0, y0, x1, y1)), outline=ink, width=width)

    def qr(self, payload: str, x: float, y: float, module: int = 4, faint: float = 0.0) -> None:
        """`faint`: how far a dot-matrix print fades the code (0: crisp; 0.6: a worn ribbon's grey
        with dots missing) — such codes often do not decode, and the reader must do without."""
        code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode)
        dark = np.asarray(zxingcpp.write_barcode_to_image(code, scale=module)) < 128
        if faint:
            dark &= np.random.default_rng(self.rng.randint(0, 1 << 30)).random(dark.shape) > faint * 0.4
        x0, y0 = int(x * self.scale), int(y * self.scale)
        area = np.asarray(self.image)[y0:y0 + dark.shape[0], x0:x0 + dark.shape[1]].astype(np.float32)
        dark = dark[:area.shape[0], :area.shape[1]]
        ink = np.array(DATA_INKS[0], np.float32) * (1 - faint) + area.mean(axis=(0, 1)) * faint
        area[dark] = ink
        area[~dark] = area[~dark] * 0 + np.array(self.image.getpixel((0, 0)), np.float32)
        self.image.paste(Image.fromarray(area.astype(np.uint8)), (x0, y0))

    def seal(self, cx: float, cy: float, text: str, rx: float = 150, ry: float = 100) -> None:
        """A red oval seal, its name along the top and 发票专用章 across: over whatever is there."""
        over = Image.new("RGBA", self.image.size, (0, 0, 0, 0))
        d = ImageDraw.Draw(over)
        s = self.scale
        colour = SEAL + (self.rng.randint(150, 220),)
        d.ellipse(((cx - rx) * s, (cy - ry) * s, (cx + rx) * s, (cy + ry) * s), outline=colour, width=int(5 * s))
        d.text(((cx - rx * 0.75) * s, (cy - ry * 0.55) * s), text[:14], font=self.font(24), fill=colour)
        d.text(((cx - rx * 0.5) * s, (cy + ry * 0.15) * s), "发票专用章", font=self.font(30), fill=colour)
        self.image = Image.alpha_composite(self.image.convert("RGBA"), over).convert("RGB")
        self.draw = ImageDraw.Draw(self.image)

    def array(self) -> np.ndarray:
        return cv2.cvtColor(np.asarray(self.image), cv2.COLOR_RGB2BGR)


def _page(rng: random.Random, width: int, height: int, printer: float = 0.0) -> Page:
    """A page with a random font and scale; `printer`: how far (in rows of ~45 px) the data printer
    may be off against the pre-printed form."""
    return Page(width, height, rng, font_path=rng.choice(FONTS), scale=rng.uniform(0.9, 1.1),
                shift=(rng.uniform(-1, 1) * 40 * printer, rng.uniform(-1, 1) * 45 * printer))


@dataclass(frozen=True)
class Drawn:
    image: np.ndarray
    truth: dict[str, str | None]
    family: Family
    name: str


FIELDS = ("invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name", "buyer_tax_id",
          "seller_name", "seller_tax_id", "amount", "tax", "total", "total_in_words")


def _truth(**values) -> dict[str, str | None]:
    return {k: values.get(k) for k in FIELDS}


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month:02d}月{d.day:02d}日"


# -- families ----------------------------------------------------------------------------------------
def vat_paper(rng: random.Random, special: bool) -> tuple[np.ndarray, dict]:
    """Paper 增值税 专票/普票: a pre-printed form in one ink, dot-matrix data over it, off register."""
    issued = day(rng)
    region = rng.choice(["1100", "3100", "3200", "4400", "3300", "1200", "4403"])
    # 普票 forms printed since 2018 carry a 12-digit code (type 04: two-part, 05: five-part).
    long_code = not special and rng.random() < 0.4
    code = (e_code(rng, issued, region, rng.choice(("04", "05"))) if long_code
            else paper_code(rng, issued, special, region))
    number = digits(rng, 8)
    check = None if special else digits(rng, 20)
    goods, rate = rng.choice(GOODS)
    amount, tax, total, words = amounts(rng, rate)
    buyer, seller = company(rng), company(rng)
    buyer_id, seller_id = tax_id(rng), tax_id(rng)
    p = _page(rng, 2000, 1250, printer=0.6)
    form = rng.choice(FORM_INKS)
    ink = rng.choice(DATA_INKS)
    city = {"1100": "北京", "3100": "上海", "3200": "江苏", "4400": "广东", "3300": "浙江", "1200": "天津",
            "4403": "深圳"}[region]
    p.text(700, 40, f"{city}增值税{'专用' if special else '普通'}发票", 52, form, data=False)
    p.text(380, 70, code, 52, ink, mono=True)
    p.text(1350, 60, "No", 48, form, data=False)
    p.text(1430, 60, number, 52, ink, mono=True)
    p.text(1700, 120, code, 26, ink, mono=True)  # printed twice: small, top right
    p.text(1700, 150, number, 26, ink, mono=True)
    p.text(1350, 195, "开票日期:", 30, form, data=False)
    p.text(1520, 195, _cn_date(issued), 30, ink)
    if rng.random() < 0.5:  # the tax machine's 12 digits, as long as a 12-digit code
        p.text(120, 215, "机器编号:", 28, form, data=False)
        p.text(280 + rng.randint(0, 60), 215, digits(rng, 12), 28, ink, mono=True)
    # Where the 校验码 goes differs by the form's edition: under the date top right (the 2017+
    # forms), across the top band, or in the remarks.
    where = rng.choice(("date", "band", "remarks")) if check else None
    spaced = " ".join(check[i:i + 5] for i in range(0, 20, 5)) if check else ""
    if where == "band":
        p.text(700, 215, "校验码 " + spaced, 28, ink)
    elif where == "date":
        p.text(1350, 235, "校 验 码:", 28, form, data=False)
        p.text(1520, 235, spaced, 28, ink)
    p.box(100, 260, 1900, 1150, form, 3)
    name_label = rng.choice(("名    称:", "名 称:", "名称:", "名      称"))  # spaced as each form's edition
    for label, value, y in ((name_label, buyer, 290), ("纳税人识别号:", buyer_id, 340)):
        p.text(200, y, label, 30, form, data=False)
        p.text(470, y, value, 30, ink)
    p.text(200, 390, "地 址、电 话:", 30, form, data=False)
    p.text(470, 390, f"{rng.choice(CITIES)}市{rng.choice(WORDS)}区{rng.randint(1, 300)}号 0{digits(rng, 10)}", 26, ink)
    for k, ch in enumerate("密码区"):
        p.text(1150, 290 + 50 * k, ch, 30, form, data=False)
    p.text(1220, 300, "".join(rng.choice("0123456789<>+-*/") for _ in range(28)), 28, ink, mono=True)
    p.text(160, 470, "货物或应税劳务、服务名称", 30, form, data=False)
    for x, label in ((700, "规格型号"), (900, "单位"), (1050, "数量"), (1300, "金额"), (1500, "税率"), (1700, "税额")):
        p.text(x, 470, label, 30, form, data=False)
    p.text(160, 520, goods, 28, ink)
    p.text(1300, 520, amount, 28, ink)
    p.text(1500, 520, f"{int(Decimal(rate) * 100)}%", 28, ink)
    p.text(1700, 520, tax, 28, ink)
    p.text(250, 800, "合    计", 30, form, data=False)
    p.text(1300, 800, f"¥{amount}", 30, ink)
    p.text(1700, 800, f"¥{tax}", 30, ink)
    p.text(160, 870, "价税合计(大写)", 30, form, data=False)
    p.text(600, 870, words, 30, ink)
    p.text(1350, 870, "(小写)", 30, form, data=False)
    p.text(1470, 870, f"¥{total}", 30, ink)
    for label, value, y in ((name_label, seller, 950), ("纳税人识别号:", seller_id, 1000)):
        p.text(200, y, label, 30, form, data=False)
        p.text(470, y, value, 30, ink)
    p.text(200, 1050, "开户行及账号:", 30, form, data=False)
    bank = f"{rng.choice(['工商', '建设', '农业', '中国'])}银行{rng.choice(CITIES)}支行 {digits(rng, 16)}"
    p.text(470, 1050, bank, 26, ink)
    p.text(1150, 960, "备", 30, form, data=False)
    p.text(1150, 1060, "注", 30, form, data=False)
    if where == "remarks":
        p.text(1220, 980, "校验码 " + spaced, 26, ink)
    p.text(160, 1170, "收款人:", 28, form, data=False)
    p.text(800, 1170, "开票人:", 28, form, data=False)
    p.seal(1650, 1060, seller)
    if rng.random() < 0.7:  # printed by the data printer: off register with the form, often faint
        p.qr(f"01,{'01' if special else '04'},{code},{number},{amount},{issued:%Y%m%d},{check or ''},{digits(rng, 4)},",
             110 + p.shift[0], 30 + max(p.shift[1], -20), 4, faint=rng.choice((0.0, 0.0, 0.4, 0.6)))
    return p.array(), _truth(invoice_code=code, invoice_number=number, issue_date=f"{issued}", check_code=check,
                             buyer_name=buyer, buyer_tax_id=buyer_id, seller_name=seller, seller_tax_id=seller_id,
                             amount=amount, tax=tax, total=total, total_in_words=words)


def vat_e_normal(rng: random.Random) -> tuple[np.ndarray, dict]:
    """增值税电子普通发票: labelled code, number, date and 校验码 top right; one ink; a QR."""
    issued = day(rng, 2017, 2021)
    province = rng.choice(["1100", "1200", "3200", "4403", "4100"])
    code, number, check = e_code(rng, issued, province), digits(rng, 8), digits(rng, 20)
    goods, rate = rng.choice(GOODS)
    amount, tax, total, words = amounts(rng, rate)
    buyer, seller, buyer_id, seller_id = company(rng), company(rng), tax_id(rng), tax_id(rng)
    p = _page(rng, 2000, 1300)
    form, ink = (120, 60, 40), (20, 20, 20)
    p.text(640, 50, f"{rng.choice(CITIES)}增值税电子普通发票", 50, form)
    x = rng.randint(1320, 1420)
    for k, (label, value) in enumerate((("发票代码:", code), ("发票号码:", number), ("开票日期:", _cn_date(issued)),
                                        ("校 验 码:", " ".join(check[i:i + 5] for i in range(0, 20, 5))))):
        p.text(x, 60 + 45 * k, label, 28, form)
        p.text(x + 150, 60 + 45 * k, value, 28, ink)
    p.text(120, 230, "机器编号:", 26, form)
    p.text(260, 230, digits(rng, 12), 26, ink)
    p.box(90, 280, 1910, 1180, form, 2)
    for label, value, y in (("名        称:", buyer, 310), ("纳税人识别号:", buyer_id, 360)):
        p.text(170, y, label, 28, form)
        p.text(420, y, value, 28, ink)
    p.text(150, 480, "项目名称", 28, form)
    for xx, label in ((700, "规格型号"), (900, "单 位"), (1050, "数 量"), (1300, "金 额"), (1500, "税率"),
                      (1700, "税 额")):
        p.text(xx, 480, label, 28, form)
    p.text(150, 530, goods, 26, ink)
    p.text(1300, 530, amount, 26, ink)
    p.text(1500, 530, f"{int(Decimal(rate) * 100)}%", 26, ink)
    p.text(1700, 530, tax, 26, ink)
    p.text(250, 850, "合    计", 28, form)
    p.text(1300, 850, f"¥{amount}", 28, ink)
    p.text(1700, 850, f"¥{tax}", 28, ink)
    p.text(150, 920, "价税合计(大写)", 28, form)
    p.text(560, 920, "⊗" + words, 28, ink)
    p.text(1350, 920, f"(小写)¥{total}", 28, ink)
    for label, value, y in (("名        称:", seller, 1000), ("纳税人识别号:", seller_id, 1050)):
        p.text(170, y, label, 28, form)
        p.text(420, y, value, 28, ink)
    p.seal(1700, 1060, seller)
    p.qr(f"01,10,{code},{number},{amount},{issued:%Y%m%d},{check},{digits(rng, 4)},", 110, 40, 4)
    return p.array(), _truth(invoice_code=code, invoice_number=number, issue_date=f"{issued}", check_code=check,
                             buyer_name=buyer, buyer_tax_id=buyer_id, seller_name=seller, seller_tax_id=seller_id,
                             amount=amount, tax=tax, total=total, total_in_words=words)


def digital(rng: random.Random, special: bool) -> tuple[np.ndarray, dict]:
    """数电 专/普: no code, a 20-digit number; buyer and seller blocks side by side."""
    issued = day(rng, 2023, 2025)
    province = rng.choice(["11", "12", "32", "33", "43", "44", "31"])
    number = digital_number(rng, issued, province)
    goods, rate = rng.choice(GOODS)
    amount, tax, total, words = amounts(rng, rate)
    buyer, seller, buyer_id, seller_id = company(rng), company(rng), tax_id(rng), tax_id(rng)
    p = _page(rng, 2480, 1600)
    ink, form = (20, 20, 20), (150, 70, 50)
    p.text(700, 110, f"电子发票({'增值税专用发票' if special else '普通发票'})", 56, form)
    x = rng.randint(1780, 1880)
    p.text(x, 150, "发票号码:", 32, form)
    p.text(x + 180, 150, number, 32, ink)
    p.text(x, 215, "开票日期:", 32, form)
    p.text(x + 180, 215, _cn_date(issued), 32, ink)
    if rng.random() < 0.4:
        p.text(2440, 380, "下载次数:1", 26, form)
    p.box(60, 380, 2420, 1400, form, 2)
    for side, x0, name, tid in (("购买方信息", 80, buyer, buyer_id), ("销售方信息", 1270, seller, seller_id)):
        for k, ch in enumerate(side):
            p.text(x0, 400 + 40 * k, ch, 30, form)
        p.text(x0 + 60, 430, "名称:", 32, form)
        p.text(x0 + 160, 430, name, 32, ink)
        p.text(x0 + 60, 540, "统一社会信用代码/纳税人识别号:", 30, form)
        p.text(x0 + 580, 540, tid, 32, ink)
    for xx, label in ((190, "项目名称"), (500, "规格型号"), (800, "单 位"), (1100, "数 量"), (1400, "单 价"),
                      (1700, "金 额"), (1860, "税率/征收率"), (2300, "税 额")):
        p.text(xx, 640, label, 30, form)
    p.text(70, 690, goods, 28, ink)
    p.text(1700, 690, amount, 28, ink)
    p.text(1950, 690, f"{int(Decimal(rate) * 100)}%", 28, ink)
    p.text(2320, 690, tax, 28, ink)
    p.text(250, 1120, "合", 32, form)
    p.text(440, 1120, "计", 32, form)
    p.text(1690, 1120, f"¥{amount}", 28, ink)
    p.text(2300, 1120, f"¥{tax}", 28, ink)
    p.text(210, 1190, "价税合计(大写)", 32, form)
    p.text(760, 1190, "⊗" + words, 32, ink)
    p.text(1730, 1190, "(小写)", 30, form)
    p.text(1860, 1190, f"¥{total}", 32, ink)
    p.text(80, 1330, "备", 30, form)
    p.text(140, 1260, f"购方开户银行:{rng.choice(['工商', '建设'])}银行; 银行账号:{digits(rng, 12)};", 28, ink)
    p.text(240, 1550, "开票人:", 30, form)
    p.qr(f"01,{'31' if special else '32'},,{number},{total},{issued:%Y%m%d},,{digits(rng, 4)}", 90, 60, 5)
    p.seal(1230, 170, "全国统一发票监制章", 130, 90)
    return p.array(), _truth(invoice_number=number, issue_date=f"{issued}", buyer_name=buyer, buyer_tax_id=buyer_id,
                             seller_name=seller, seller_tax_id=seller_id, amount=amount, tax=tax, total=total,
                             total_in_words=words)


def railway(rng: random.Random) -> tuple[np.ndarray, dict]:
    """电子发票（铁路电子客票）: the 开票日期 and a travel date; the buyer by 购买方名称."""
    travelled = day(rng, 2024, 2025)
    issued = travelled + dt.timedelta(days=rng.randint(1, 40))
    number = f"{issued.year % 100:02d}{rng.choice(['32', '11', '31', '44'])}9{digits(rng, 15)}"
    fare = f"{rng.randint(8, 600)}.{rng.choice(['00', '50'])}"
    buyer, buyer_id = company(rng), tax_id(rng)
    stations = rng.sample(["无锡东", "苏州北", "上海虹桥", "南京南", "杭州东", "北京南", "天津西", "合肥南"], 2)
    p = _page(rng, 2480, 1600)
    ink = (20, 20, 20)
    p.text(757, 80, "电子发票(铁路电子客票)", 60, (40, 60, 120))
    p.text(108, 200, "发票号码:", 36, ink)
    p.text(310, 200, number, 36, ink)
    p.text(1800, 195, "开票日期:", 36, ink)
    p.text(2000, 195, _cn_date(issued), 36, ink)
    p.text(400, 350, stations[0] + "站", 56, ink)
    p.text(1130, 365, f"G{rng.randint(1, 9999)}", 40, ink)
    p.text(1690, 350, stations[1] + "站", 56, ink)
    p.text(110, 565, f"{_cn_date(travelled)} {rng.randint(6, 21):02d}:{rng.randint(0, 59):02d}开", 36, ink)
    p.text(895, 565, f"{rng.randint(1, 16):02d}车{rng.randint(1, 20):02d}{rng.choice('ABCDF')}号", 36, ink)
    p.text(1514, 565, rng.choice(["二等座", "一等座", "商务座"]), 36, ink)
    p.text(109, 705, f"票价:¥{fare}", 40, ink)
    p.text(111, 945, f"{digits(rng, 10)}****{digits(rng, 4)}", 32, ink)
    p.text(900, 940, rng.choice(["张鑫", "李明", "王芳", "赵磊"]), 36, ink)
    p.text(113, 1180, f"电子客票号:{digits(rng, 25)}", 34, ink)
    p.text(109, 1280, "购买方名称:", 36, ink)
    p.text(388, 1280, buyer, 36, ink)
    p.text(1513, 1280, f"统一社会信用代码:{buyer_id}", 36, ink)
    p.text(912, 1455, "买票请到12306 发货请到95306", 34, ink)
    p.seal(1250, 130, "全国统一发票监制章", 140, 70)
    p.qr(f"01,51,,{number},{fare},{issued:%Y%m%d},,{digits(rng, 4)}", 2150, 360, 5)
    return p.array(), _truth(invoice_number=number, issue_date=f"{issued}", buyer_name=buyer, buyer_tax_id=buyer_id,
                             total=fare)


def taxi_beijing(rng: random.Random) -> tuple[np.ndarray, dict]:
    """北京市出租汽车统一机打发票: bilingual labels, values half a row above them, surcharges, then
    实收金额 (the fare rounded to the yuan) — under the seal."""
    issued = day(rng, 2015, 2019)
    code, number = "1" + "1100" + f"{issued.year % 100 - rng.randint(0, 1):02d}" + "81007", digits(rng, 8)
    fare = Decimal(rng.randint(130, 9000)) / 100
    paid = fare.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    p = _page(rng, 800, 1580)
    form, ink = (170, 90, 60), (40, 40, 110)
    p.text(30, 30, code, 70, ink, mono=True)
    p.text(30, 100, number, 70, ink, mono=True)
    rows = [("单位", "Company", f"{rng.randint(0, 9999):04d}"), ("电话", "Tel", digits(rng, 8)),
            ("车号", "Taxi No.", f"京B-{rng.choice('NTQ')}{digits(rng, 4)}"),
            ("证号", "Certificate No.", digits(rng, 6)),
            ("日期", "Date", f"{issued}"), ("时间", "Time", "14:14-14:21"), ("单价", "Price per km", "2.30"),
            ("里程", "Distance", f"{rng.randint(1, 40)}.{rng.randint(0, 9)}"), ("等候", "Waiting time", "00:00:23"),
            ("金额", "Fare", f"¥{fare:.2f}"), ("燃油附加费", "Fuel oil surcharge", "¥0.00"),
            ("预约叫车服务费", "Call service surcharge", "¥0.00"), ("实收金额", "Total", f"¥{paid:.2f}"),
            ("卡号", "Card No.", "————")]
    y = 170
    for zh, en, value in rows:
        p.text(130, y, zh, 34, form, data=False)
        p.text(130, y + 40, en, 30, form, data=False)
        p.text(420, y - 15, value, 44, ink, mono=True)
        y += 78
    p.seal(400, 1230, "北京市出租汽车公司", 200, 130)
    return p.array(), _truth(invoice_code=code, invoice_number=number, issue_date=f"{issued}", total=f"{paid:.2f}")


def taxi_labelled(rng: random.Random) -> tuple[np.ndarray, dict]:
    """Taxi receipts of other cities: every value after its label (发票代码: … 金额:), in a varying
    order of the other rows; some print 乘车日期, some 日期, some 金额合计 with # for ¥."""
    issued = day(rng, 2015, 2020)
    province = rng.choice(["6100", "1300", "3100", "3200", "4400"])
    code, number = "1" + province + f"{issued.year % 100 - rng.randint(0, 1):02d}" + digits(rng, 5), digits(rng, 8)
    fare = f"{rng.randint(6, 150)}.{rng.choice(['00', '50', '70', '20'])}"
    p = _page(rng, 800, 2000)
    form, ink = rng.choice(((60, 60, 60), (120, 60, 40))), (30, 30, 30)
    p.text(200, 60, rng.choice(["出租汽车专用发票", "出租车机打发票", "通用机打发票(出租车)"]), 44, form, data=False)
    date_label = rng.choice(["日期:", "乘车日期:", "日期"])
    date_text = rng.choice((f"{issued}", f"{issued:%Y.%m.%d}", _cn_date(issued)))
    # Each city's wording of the fare; "元" after it or a "¥"/"#" before it.
    total_label = rng.choice(("金额:", "金额合计:", "金额", "金额(元):", "车费:", "实收金额:", "应收金额:"))
    total_text = rng.choice((f"¥{fare}", f"#{fare}", f"{fare}元", fare))
    rows = [("发票代码:", code), ("发票号码:", number), ("车号:", f"沪A-{digits(rng, 5)}"), (date_label, date_text),
            ("上车:", "08:28"), ("下车:", "08:52"), ("单价:", "2.00"), ("里程:", f"{rng.randint(1, 30)}.0"),
            ("等候:", "00:06:54")]
    head, rest = rows[:2], rows[2:]
    rng.shuffle(rest)
    tail = [(total_label, total_text)]
    if total_label.startswith(("实收", "应收")) and rng.random() < 0.6:
        # The metered fare and a surcharge before the amount paid, which is what the receipt totals.
        metered = Decimal(fare) - 1
        tail = [("金额:", f"{metered:.2f}元"), ("燃油附加费:", "1.00元")] + tail
    y = 200
    for label, value in head + rest + tail:
        p.text(60, y, label, 38, form, data=False)
        p.text(340, y - rng.randint(0, 20), value, 42, ink, mono=True)
        y += 95
    return p.array(), _truth(invoice_code=code, invoice_number=number, issue_date=f"{issued}", total=fare)


def train_paper(rng: random.Random) -> tuple[np.ndarray, dict]:
    """A paper train ticket: the red serial top left (and again ending the ticket ID), the
    departure date and time, the fare as ¥….…元; no labels at all."""
    travelled = day(rng, 2013, 2019)
    serial = rng.choice("ABCDEFGHJK") + digits(rng, 6)
    fare = f"{rng.randint(10, 900)}.{rng.choice('05')}"
    p = _page(rng, 1280, 720)
    ink = (30, 30, 30)
    p.text(210, 75, serial, 48, (200, 40, 40), mono=True)
    stations = rng.sample(["安顺", "贵阳", "宜春", "南昌西", "长沙南", "武汉", "郑州东", "西安北"], 2)
    p.text(230, 120, stations[0] + "站", 52, ink)
    p.text(575, 120, f"{rng.choice('GDKTZ')}{rng.randint(1, 9999)}", 44, ink)
    p.text(800, 120, stations[1] + "站", 52, ink)
    p.text(195, 225, f"{_cn_date(travelled)}{rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}开", 40, ink)
    p.text(770, 225, f"{rng.randint(1, 16):02d}车{rng.randint(1, 99):03d}号", 40, ink)
    p.text(200, 280, f"¥{fare}元", 40, ink)
    p.text(805, 280, rng.choice(["新空调硬座", "二等座", "硬卧"]), 40, ink)
    p.text(195, 330, "限乘当日当次车", 40, ink)
    p.text(190, 435, f"{digits(rng, 10)}****{digits(rng, 4)}{rng.choice(['陈诗欣', '易双智'])}", 40, ink)
    p.text(290, 495, "买票请到12306 发货请到95306", 36, ink)
    p.text(190, 600, f"{digits(rng, 14)}{serial} {stations[0]}售", 40, ink)
    fare_value = f"{Decimal(fare):.2f}"
    return p.array(), _truth(invoice_number=serial, issue_date=f"{travelled}", total=fare_value)


GENERATORS: dict[str, tuple[Family, Callable[[random.Random], tuple[np.ndarray, dict]]]] = {
    "vat_normal": (Family.VAT_NORMAL, lambda rng: vat_paper(rng, special=False)),
    "vat_special": (Family.VAT_SPECIAL, lambda rng: vat_paper(rng, special=True)),
    "vat_e_normal": (Family.VAT_E_NORMAL, vat_e_normal),
    "digital_special": (Family.DIGITAL_SPECIAL, lambda rng: digital(rng, special=True)),
    "digital_normal": (Family.DIGITAL_NORMAL, lambda rng: digital(rng, special=False)),
    "railway": (Family.TRAIN, railway),
    "taxi_beijing": (Family.TAXI, taxi_beijing),
    "taxi_other": (Family.TAXI, taxi_labelled),
    "train_paper": (Family.TRAIN, train_paper),
}


def generate(name: str, seed: int, camera: str | None = None) -> Drawn:
    """One invoice of family `name`; `camera`: "photo" (default for paper), "screen" (a phone
    photo of a screen showing it), or "none" (the page as drawn)."""
    rng = random.Random(f"{name}:{seed}")
    family, draw = GENERATORS[name]
    page, truth = draw(rng)
    camera = camera or ("screen" if name.startswith(("digital", "railway", "vat_e")) else "photo")
    if camera == "photo":
        page = photo(page, rng)
    elif camera == "screen":
        page = screen_photo(page, rng)
    return Drawn(page, truth, family, name)


# -- the camera -----------------------------------------------------------------------------------
def _perspective(img: np.ndarray, rng: random.Random, amount: float, border=(90, 90, 90)) -> np.ndarray:
    h, w = img.shape[:2]
    pad = int(0.06 * max(h, w))
    img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=border)
    h2, w2 = img.shape[:2]
    src = np.float32([[0, 0], [w2, 0], [w2, h2], [0, h2]])
    jitter = [(rng.uniform(-1, 1) * amount * w2, rng.uniform(-1, 1) * amount * h2) for _ in range(4)]
    dst = np.float32([[x + dx, y + dy] for (x, y), (dx, dy) in zip(src, jitter, strict=True)])
    m = cv2.getPerspectiveTransform(src, dst)
    angle = rng.uniform(-4, 4)
    rot = np.vstack([cv2.getRotationMatrix2D((w2 / 2, h2 / 2), angle, 1.0), [0, 0, 1]])
    return cv2.warpPerspective(img, rot @ m, (w2, h2), borderValue=border)


def photo(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """A phone photo of a paper invoice on a desk: perspective and tilt, a crease, uneven and
    sometimes low light, a colour cast, blur, sensor noise, JPEG."""
    out = _perspective(img, rng, 0.03, border=tuple(rng.randint(40, 200) for _ in range(3)))
    h, w = out.shape[:2]
    light = np.linspace(rng.uniform(0.6, 1.0), rng.uniform(0.85, 1.05), w, dtype=np.float32)[None, :, None]
    if rng.random() < 0.3:
        light = light * rng.uniform(0.45, 0.7)  # low light
    cast = np.array([rng.uniform(0.85, 1.05) for _ in range(3)], np.float32)
    out = out.astype(np.float32) * light * cast
    if rng.random() < 0.5:  # a fold across the page: a soft dark line
        x = rng.randint(w // 4, 3 * w // 4)
        out[:, max(0, x - 3):x + 3] *= 0.82
    out += np.random.default_rng(rng.randint(0, 1 << 30)).normal(0, rng.uniform(2, 7), out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    k = rng.choice((1, 3, 3, 5))
    out = cv2.GaussianBlur(out, (k, k), 0) if k > 1 else out
    return _jpeg(out, rng.randint(70, 92))


def screen_photo(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """A phone photo of a screen showing an e-invoice: the screen's pixel grid beating against the
    sensor's (moiré), a glare, perspective, blur."""
    out = _perspective(img, rng, 0.025, border=(20, 20, 20)).astype(np.float32)
    h, w = out.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period, angle = rng.uniform(3.0, 7.0), rng.uniform(0, np.pi)
    wave = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
    out *= (1 + rng.uniform(0.03, 0.08) * wave)[:, :, None]
    gx, gy = rng.uniform(0, w), rng.uniform(0, h)
    glare = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * (0.25 * max(h, w)) ** 2))
    out += (rng.uniform(20, 60) * glare)[:, :, None]
    out = cv2.GaussianBlur(np.clip(out, 0, 255).astype(np.uint8), (3, 3), 0)
    return _jpeg(out, rng.randint(75, 90))


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)
