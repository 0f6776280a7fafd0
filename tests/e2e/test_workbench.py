"""The invoice page as a workbench, in Debian's chromium against `fapiao run`.

- An e-invoice OFD (made here, read from its text layer) has its page: the preview drawn in the worker, large
  beside the fields on a 1366 px desktop; zoom in/out, fit-to-width, rotate and pan by dragging; j/k and
  Alt+↓/↑ move between fields (the keys are in a visible hint), the selected field's box highlighted and
  brought into view at any zoom; "n" and the "next needing review" button go to the next 待核对 invoice.
- Two landscape photos (drawn with OpenCV, no text): each reads as "not an invoice", said on the card and the
  page alike, and its checks say no field was read instead of "all checks pass".
- On a 390 px phone, tapping a field keeps the page in view (pinned under the header).
Screenshots go to tests/e2e/screenshots/ (gitignored).
"""

from __future__ import annotations

import pytest

from .. import media
from ..procs import wait_for
from .browser import ADMIN_PASSWORD, SHOTS

pytestmark = pytest.mark.e2e

DESKTOP, PHONE = (1366, 900), (390, 844)
LINES = [(60, 7, "江苏增值税电子普通发票"), (140, 6, "发票代码:"), (164, 6, "032001600511"), (140, 12, "发票号码:"),
         (164, 12, "31471858"), (140, 18, "开票日期:"), (164, 18, "2025年03月05日"), (140, 24, "校验码:"),
         (164, 24, "12345678901234567890"), (10, 40, "名称:"), (30, 40, "上海示例科技有限公司"),
         (10, 46, "纳税人识别号:"),
         (40, 46, "91310000MA1FL0AB3X"), (10, 110, "价税合计(大写)"), (50, 110, "壹佰壹拾叁圆整"), (140, 110, "(小写)"),
         (160, 110, "¥113.00"), (10, 120, "名称:"), (30, 120, "杭州卖方有限公司")]
FIELD_ORDER = ["invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name"]


def _upload(stack, http, name: str, body: bytes) -> int:
    res = http.post(f"{stack.url}/api/uploads", files={"files": (name, body)})
    assert res.status_code in (200, 201), res.text
    invoice_id = res.json()["results"][0]["invoice"]["id"]
    wait_for(lambda: http.get(f"{stack.url}/api/invoices/{invoice_id}").json()["invoice"]["status"]
             not in ("received", "processing"), timeout=180)
    return invoice_id


def _page(browser, url: str, size: tuple[int, int], lang: str = "zh"):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1,
                                  locale="en-US" if lang == "en" else "zh-CN")
    page = context.new_page()
    page.goto(url)
    page.evaluate(f"localStorage.setItem('fapiao.lang', '{lang}')")
    page.goto(url + "/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in" if lang == "en" else "登录").click()
    page.locator("[data-testid=connection][data-state=online]").wait_for()
    return page


def _rect(locator) -> dict:
    return locator.evaluate("(el) => { const r = el.getBoundingClientRect(); "
                            "return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, "
                            "height: r.height}; }")


def _inside(inner: dict, outer: dict, slack: float = 2) -> bool:
    return (inner["left"] >= outer["left"] - slack and inner["right"] <= outer["right"] + slack
            and inner["top"] >= outer["top"] - slack and inner["bottom"] <= outer["bottom"] + slack)


def _after(ids: list[int], current: int) -> int:
    """The one after `current` in `ids`, round to the start; the first when `current` is not among them."""
    if current not in ids:
        return ids[0]
    return (ids[ids.index(current) + 1:] + ids)[0] if len(ids) > 1 else ids[0]


def _open(page, url: str, invoice_id: int) -> None:
    page.goto(f"{url}/#/invoice/{invoice_id}")
    page.locator(f"[data-testid=invoice-detail][data-invoice-id='{invoice_id}']").wait_for()


def test_the_invoice_page_is_a_workbench(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    http = stack.session("admin")
    ofd_id = _upload(stack, http, "einvoice.ofd", media.ofd_invoice(LINES))
    photos = [_upload(stack, http, f"IMG_{n}.jpg", media.landscape(1280, 960, seed=n)) for n in (1, 2)]
    review = [inv["id"] for inv in http.get(f"{stack.url}/api/invoices?status=needs_review&limit=200").json()["items"]]
    assert set(photos) <= set(review), review
    page = _page(browser, stack.url, DESKTOP)
    _open(page, stack.url, ofd_id)

    # The OFD's page is there, drawn, and large: most of the screen's width beside the fields.
    img = page.locator("[data-testid=page] img")
    img.wait_for()
    page.wait_for_function("() => { const i = document.querySelector('[data-testid=page] img'); "
                           "return i && i.complete && i.naturalWidth > 0; }")
    assert img.evaluate("(i) => i.naturalWidth") >= 1000
    viewer, fields = _rect(page.get_by_test_id("viewport")), _rect(page.locator("ul.fields"))
    assert viewer["width"] >= 700 and fields["left"] >= viewer["right"], (viewer, fields)
    assert page.get_by_test_id("keys-hint").is_visible()
    assert "j / k" in page.get_by_test_id("keys-hint").inner_text()
    page.screenshot(path=SHOTS / "60-workbench-zh-1366.png")

    # Zoom: + twice (150 %, 200 %), the page twice the viewport's width and pannable by dragging; fit is 100 %.
    stage, port = page.get_by_test_id("stage"), page.get_by_test_id("viewport")
    width = port.evaluate("(el) => el.clientWidth")
    page.get_by_test_id("zoom-in").click()
    page.get_by_test_id("zoom-in").click()
    assert stage.get_attribute("data-zoom") == "2"
    assert page.get_by_test_id("zoom-level").inner_text() == "200%"
    assert abs(_rect(stage)["width"] - 2 * width) < 2
    assert port.evaluate("(el) => el.scrollWidth > el.clientWidth")
    box = _rect(port)
    before = port.evaluate("(el) => el.scrollLeft")
    page.mouse.move(box["left"] + box["width"] / 2, box["top"] + 60)
    page.mouse.down()
    page.mouse.move(box["left"] + box["width"] / 2 - 200, box["top"] + 60, steps=5)
    page.mouse.up()
    assert port.evaluate("(el) => el.scrollLeft") > before + 100  # dragged to the left: the page moved along
    page.get_by_test_id("zoom-fit").click()
    assert stage.get_attribute("data-zoom") == "1" and abs(_rect(stage)["width"] - width) < 2

    # Rotate a quarter turn: the page stands upright, as wide as the viewport, its height now the longer side.
    page.get_by_test_id("rotate").click()
    assert stage.get_attribute("data-rotation") == "90"
    turned = _rect(page.get_by_test_id("page"))
    assert abs(turned["width"] - width) < 3 and turned["height"] > turned["width"], turned
    page.keyboard.press("r")
    page.keyboard.press("r")
    page.keyboard.press("r")
    assert stage.get_attribute("data-rotation") == "0"

    # Keys: j/k and Alt+↓/↑ walk the fields in order, the field's row and its box selected together.
    for name in FIELD_ORDER[:3]:
        page.keyboard.press("j")
        assert "selected" in page.get_by_test_id(f"field-{name}").get_attribute("class")
        assert "selected" in page.get_by_test_id(f"box-{name}").get_attribute("class")
    page.keyboard.press("k")
    assert "selected" in page.get_by_test_id(f"field-{FIELD_ORDER[1]}").get_attribute("class")
    page.keyboard.press("Alt+ArrowDown")
    page.keyboard.press("Alt+ArrowDown")
    assert "selected" in page.get_by_test_id(f"field-{FIELD_ORDER[3]}").get_attribute("class")
    page.keyboard.press("Alt+ArrowUp")
    assert "selected" in page.get_by_test_id(f"field-{FIELD_ORDER[2]}").get_attribute("class")
    assert page.locator(".page .box.selected").count() == 1

    # At 400 % the selected box is brought into the viewer, whichever field it is.
    for _ in range(4):
        page.keyboard.press("+")
    assert stage.get_attribute("data-zoom") == "4"
    for name in ("buyer_name", "invoice_code"):
        page.get_by_test_id(f"field-{name}").click()
        page.wait_for_timeout(100)
        assert _inside(_rect(page.get_by_test_id(f"box-{name}")), _rect(port)), name
    page.screenshot(path=SHOTS / "61-workbench-zoomed-zh-1366.png")
    page.keyboard.press("0")

    # "n": the next invoice needing review in the board's order; the button the same; round to the first.
    at = ofd_id
    for press in ("n", "button", "n"):
        if press == "n":
            page.keyboard.press("n")
        else:
            page.get_by_test_id("next-review").first.click()
        at = _after(review, at)
        page.locator(f"[data-testid=invoice-detail][data-invoice-id='{at}']").wait_for()
    # From the board too.
    page.goto(f"{stack.url}/#/")
    page.locator("section.board").wait_for()
    page.get_by_test_id("next-review").click()
    page.locator(f"[data-testid=invoice-detail][data-invoice-id='{review[0]}']").wait_for()


def test_a_photo_that_is_no_invoice_says_so_on_its_card_and_page(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    http = stack.session("admin")
    photo = _upload(stack, http, "IMG_0001.jpg", media.landscape())
    inv = http.get(f"{stack.url}/api/invoices/{photo}").json()["invoice"]
    assert inv["reason"] == "reader.not_invoice"
    words = (("zh", "所有校验通过", "不是发票"), ("en", "All checks pass", "Not an invoice"))
    for lang, ok_words, not_invoice in words:
        page = _page(browser, stack.url, DESKTOP, lang)
        card = page.locator(f"[data-testid=invoice-card][data-invoice-id='{photo}']")
        card.wait_for()
        assert card.get_by_test_id("summary").inner_text() == not_invoice
        card_note = card.get_by_test_id("reason")
        assert card_note.get_attribute("data-key") == "reader.not_invoice"
        said = card_note.inner_text()
        _open(page, stack.url, photo)
        assert page.get_by_test_id("not-invoice").inner_text() == not_invoice
        note = page.get_by_test_id("status-note")
        assert note.get_attribute("data-key") == "reader.not_invoice"
        assert note.inner_text() == said  # the card and the page say the same
        checks = page.get_by_test_id("no-fields")
        assert checks.is_visible()
        assert ok_words not in page.get_by_test_id("invoice-detail").inner_text()
        page.screenshot(path=SHOTS / f"62-not-an-invoice-{lang}-1366.png", full_page=True)
        page.context.close()


def test_on_a_phone_the_page_stays_in_view_while_a_field_is_selected(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    http = stack.session("admin")
    ofd_id = _upload(stack, http, "einvoice.ofd", media.ofd_invoice(LINES))
    page = _page(browser, stack.url, PHONE)
    _open(page, stack.url, ofd_id)
    page.locator("[data-testid=page] img").wait_for()
    assert not page.get_by_test_id("keys-hint").is_visible()  # no keyboard on a phone: no hint taking room
    for name in ("total_in_words", "total", "buyer_name"):
        page.get_by_test_id(f"field-{name}").scroll_into_view_if_needed()
        page.get_by_test_id(f"field-{name}").click()
        page.wait_for_timeout(200)
        port, row = _rect(page.get_by_test_id("viewport")), _rect(page.get_by_test_id(f"field-{name}"))
        assert port["top"] >= 0 and port["bottom"] <= PHONE[1] and port["height"] > 80, (name, port)
        assert row["top"] >= port["bottom"] - 2 and row["bottom"] <= PHONE[1], (name, row, port)
        assert _inside(_rect(page.get_by_test_id(f"box-{name}")), port), name
    page.screenshot(path=SHOTS / "63-workbench-pinned-zh-390.png")
