"""End to end in headless Debian chromium (Playwright drives the system browser; none is downloaded).

`fapiao run` starts the whole stack; a phone-sized browser logs in, uploads three photos and
watches their status chips change live, then switches language. Screenshots of each screen
go to tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from .. import media
from ..procs import wait_for
from .browser import ADMIN_PASSWORD, SHOTS, logged_in_page

pytestmark = pytest.mark.e2e

DONE_CARD = "[data-testid=invoice-card]:is([data-status=extracted],[data-status=needs_review])"


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _web_pid(stack) -> int:
    for child in _children(stack.procs["run"].pid):
        if b"serve" in Path(f"/proc/{child}/cmdline").read_bytes():
            return child
    raise AssertionError("no web child")


def test_login_upload_watch_live_switch_language(stack, browser, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    files = [tmp_path / "receipt-1.jpg", tmp_path / "scan-2.png", tmp_path / "phone-photo.jpg"]
    files[0].write_bytes(media.jpeg(text="INVOICE ONE"))
    files[1].write_bytes(media.png(1000, 700))
    # A 12 MP phone photo lying on its side (EXIF orientation 6): the browser must upright it
    # and shrink it to a long side of 2500 px before sending.
    files[2].write_bytes(media.jpeg_with_orientation(4000, 3000, orientation=6))

    page = browser.new_page(viewport={"width": 360, "height": 780}, device_scale_factor=2, locale="zh-CN")
    page.goto(stack.url)
    page.get_by_test_id("login-form").wait_for()
    assert page.get_by_role("button", name="登录").is_visible()
    page.screenshot(path=SHOTS / "01-login.png")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_test_id("login-error").inner_text() == "用户名或密码错误。"
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator("[data-testid=connection][data-state=online]").wait_for()
    page.screenshot(path=SHOTS / "02-empty-board.png")

    page.evaluate("window.__sameDocument = true")
    page.get_by_test_id("file-input").set_input_files([str(f) for f in files])
    cards = page.locator("[data-testid=invoice-card]")
    wait_for(lambda: cards.count() == 3, timeout=30)
    page.locator(DONE_CARD).nth(2).wait_for(timeout=60_000)
    assert page.locator("[data-testid=upload-row][data-phase=accepted]").count() == 3
    assert page.evaluate("window.__sameDocument") is True  # updated live, never reloaded
    # No field can be read on any of them, so each asks for review; the reader tells apart the page
    # with no invoice sign at all ("INVOICE ONE": no invoice wording, QR or 8+ digit number) from the
    # two that print an invoice-like number ("FAPIAO 12345678"), which it must not call "not an invoice".
    assert page.locator("[data-testid=status]").first.inner_text() == "待核对"

    def reason(name: str) -> str:
        return page.locator(f"[data-testid=invoice-card][title^='{name}'] [data-testid=reason]").inner_text()

    assert reason("receipt-1").startswith("这不像是一张发票")
    assert reason("scan-2").startswith("像是一张发票，但没能读出任何字段")
    assert reason("phone-photo").startswith("像是一张发票，但没能读出任何字段")
    page.locator(".invoice img").first.wait_for()
    page.screenshot(path=SHOTS / "03-board-processed-zh.png", full_page=True)

    http = stack.session("admin")
    invoices = http.get(stack.url + "/api/invoices").json()["items"]
    photo = next(i for i in invoices if i["original_name"].startswith("phone-photo"))
    assert (photo["width"], photo["height"]) == (1875, 2500)

    page.get_by_test_id("lang-switch").click()
    assert page.locator(".brand").inner_text() == "Fapiao Tracker"
    assert page.locator("[data-testid=status]").first.inner_text() == "Needs review"
    page.screenshot(path=SHOTS / "04-board-en.png", full_page=True)
    page.reload()  # the choice is remembered
    page.locator("[data-testid=connection]").wait_for()
    assert page.locator(".brand").inner_text() == "Fapiao Tracker"
    # No horizontal scrolling on a 360 px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_bad_file_offline_retry_and_reconnect(stack, browser, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    bad = tmp_path / "not-really.jpg"
    bad.write_text("this is a text file")
    good = tmp_path / "good.jpg"
    good.write_bytes(media.jpeg(text="GOOD"))
    page = logged_in_page(browser, stack.url, "en", height=800)
    page.get_by_test_id("file-input").set_input_files([str(bad)])
    error = page.get_by_test_id("upload-error")
    error.wait_for()
    assert "not a supported file" in error.inner_text()
    page.screenshot(path=SHOTS / "05-rejected-file-en.png")

    # The network drops while a file is queued: it waits, then goes up when the network is back.
    page.context.set_offline(True)
    page.locator("[data-testid=connection][data-state=offline]").wait_for(timeout=10_000)
    page.get_by_test_id("file-input").set_input_files([str(good)])
    page.locator("[data-testid=upload-row][data-phase=waiting_online]").wait_for(timeout=10_000)
    page.screenshot(path=SHOTS / "06-offline-waiting.png")
    page.context.set_offline(False)
    page.locator("[data-testid=upload-row][data-phase=accepted]").wait_for(timeout=30_000)
    page.locator(DONE_CARD).wait_for(timeout=60_000)

    # The web server dies; the supervisor restarts it; the client reconnects by itself and
    # catches up on what happened meanwhile.
    os.kill(_web_pid(stack), signal.SIGKILL)
    page.locator("[data-testid=connection][data-state=reconnecting]").wait_for(timeout=10_000)
    page.screenshot(path=SHOTS / "07-reconnecting.png")
    page.locator("[data-testid=connection][data-state=online]").wait_for(timeout=30_000)
    http = stack.session("admin")
    other = media.jpeg(text="UPLOADED ELSEWHERE")
    http.post(stack.url + "/api/uploads", files=[("files", ("from-desktop.jpg", other))])
    page.locator(DONE_CARD).nth(1).wait_for(timeout=60_000)


def test_invoice_page_boxes_and_a_correction_with_live_hints(stack, browser, tmp_path):
    from backend.weights import synth

    SHOTS.mkdir(exist_ok=True)
    photo = tmp_path / "invoice.jpg"
    photo.write_bytes(media.encode(synth.photo_like(synth.render(), angle=2), ".jpg"))
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN")
    page.goto(stack.url)
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("file-input").set_input_files([str(photo)])
    card = page.locator(DONE_CARD).first
    card.wait_for(timeout=60_000)
    assert "12356976" in card.get_by_test_id("summary").inner_text()
    card.click()
    detail = page.get_by_test_id("invoice-detail")
    detail.wait_for()
    assert page.get_by_test_id("qr-badge").get_attribute("data-qr") == "agrees"
    assert page.get_by_test_id("field-invoice_number").get_by_test_id("value").inner_text() == "12356976"
    # Tap a box: its field is highlighted; tap a field: its box is.
    page.get_by_test_id("box-total").click()
    assert "selected" in page.get_by_test_id("field-total").get_attribute("class")
    page.get_by_test_id("field-seller_name").click()
    assert "selected" in page.get_by_test_id("box-seller_name").get_attribute("class")
    page.screenshot(path=SHOTS / "08-invoice-page.png", full_page=True)
    # Correct the total: a live hint says it no longer adds up, before saving.
    page.get_by_test_id("edit-total").click()
    page.get_by_test_id("editor-input").fill("610.00")
    page.locator("[data-testid=editor] [data-key=sum_mismatch]").wait_for(timeout=10_000)
    page.screenshot(path=SHOTS / "09-correction-hint.png", full_page=True)
    page.get_by_test_id("editor-input").fill("600.00")
    page.locator("[data-testid=editor] [data-key=sum_mismatch]").wait_for(state="detached", timeout=10_000)
    page.get_by_role("button", name="保存").click()
    page.get_by_test_id("editor").wait_for(state="detached")
    assert "admin" in page.get_by_test_id("field-total").inner_text()  # who corrected it
    page.get_by_role("button", name="← 返回看板").click()
    page.get_by_test_id("board").wait_for()
