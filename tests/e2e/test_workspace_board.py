"""The finance team's board end to end, in Debian's chromium against the real stack (`fapiao run`).

A dozen read invoices are seeded straight into the stack's database (tests/e2e/seed.py: reading that many
photos would take minutes); everything after that goes through the app: search by a Chinese seller
fragment (the URL carries it and a reload keeps it), the desktop table sorted by the server, three
invoices selected with a shift-click and put into a new claim, the claim approved by the admin and the
three showing 已报销 live on a second member's phone, and the export opened back with openpyxl.
Screenshots at 1366×900 and 390×844, in Chinese and English, go to tests/e2e/screenshots/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import unquote

import pytest

from ..procs import PASSWORD, REPO, wait_for
from .browser import SHOTS, logged_in_page

pytestmark = pytest.mark.e2e

TEAM = "默认团队"  # where `fapiao run` puts the admin (services/users.DEFAULT_TEAM)
CARD = "[data-testid=invoice-card]"
ROW = "[data-testid=invoice-row]"


@pytest.fixture
def stack(stack):
    """The app with a second member and a dozen read invoices (written without OCR)."""
    s = stack
    s.cli("user", "create", "bob", "--password", PASSWORD, "--team", TEAM)  # a plain member of the admin's team
    out = subprocess.run([sys.executable, "-m", "tests.e2e.seed", TEAM, "admin"], env=s.env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    s.seeded = json.loads(out.stdout)
    return s


def _login(browser, url: str, username: str, lang: str, width: int, height: int, hash_: str = ""):
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  locale="en-US" if lang == "en" else "zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(url)
    page.evaluate(f"localStorage.setItem('fapiao.lang', '{lang}')")
    page.goto(url + "/" + hash_)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in" if lang == "en" else "登录").click()
    page.locator("[data-testid=connection][data-state=online]").wait_for()
    return page


def _sellers(page, selector: str) -> list[str]:
    return page.locator(f"{selector} [data-testid=seller]").all_inner_texts()


def test_search_select_claim_approve_live_and_export(stack, browser, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    desk = logged_in_page(browser, stack.url, "zh", width=1366, height=900)
    desk.locator("[data-testid=total]", has_text="共 12 张").wait_for(timeout=15_000)
    desk.locator(CARD).first.wait_for()
    desk.screenshot(path=SHOTS / "20-workspace-columns-zh.png")

    # Search by a fragment of the seller's name: only the four 华为 invoices remain, and the URL says so.
    desk.get_by_test_id("search").fill("华为")
    desk.locator("[data-testid=total]", has_text="共 4 张").wait_for(timeout=10_000)
    wait_for(lambda: len(_sellers(desk, CARD)) == 4, timeout=10)
    assert all("华为" in s for s in _sellers(desk, CARD))
    assert "q=华为" in unquote(desk.url)
    desk.reload()
    desk.locator("[data-testid=total]", has_text="共 4 张").wait_for(timeout=15_000)
    assert desk.get_by_test_id("search").input_value() == "华为"
    wait_for(lambda: len(_sellers(desk, CARD)) == 4, timeout=10)

    # The table, sorted by the server: largest 价税合计 first.
    desk.get_by_test_id("view-table").click()
    desk.locator(ROW).nth(3).wait_for()
    desk.get_by_test_id("sort-total").click()
    wait_for(lambda: desk.locator(f"{ROW} [data-testid=amount]").first.inner_text() == "¥5,999.00", timeout=10)
    assert "sort=-total" in desk.url and "view=table" in desk.url
    amounts = desk.locator(f"{ROW} [data-testid=amount]").all_inner_texts()
    assert amounts == ["¥5,999.00", "¥1,130.00", "¥339.00", "¥226.00"]

    # Select three with a click and a shift-click, and put them into a new claim.
    rows = desk.locator(ROW)
    rows.nth(0).get_by_test_id("pick").click()
    rows.nth(2).get_by_test_id("pick").click(modifiers=["Shift"])
    assert desk.get_by_test_id("selected-count").inner_text() == "已选 3 张"
    picked = [int(rows.nth(i).get_attribute("data-invoice-id")) for i in range(3)]
    desk.get_by_test_id("bulk-claim").click()
    desk.get_by_test_id("claim-purpose").fill("1 月差旅")
    desk.screenshot(path=SHOTS / "21-workspace-table-claim-zh.png")
    desk.get_by_test_id("claim-add").click()
    outcome = desk.get_by_test_id("bulk-outcome")
    outcome.wait_for()
    assert outcome.get_attribute("data-done") == "3"
    for inv_id in picked:  # locked into the claim, shown in place
        desk.locator(f"{ROW}[data-invoice-id='{inv_id}'] [data-testid=reimbursement][data-state=claimed]").wait_for(
            timeout=10_000)
    # The counts are the server's, asked again after the pushes: three in a claim now.
    desk.locator("[data-testid=chip-reimbursement-claimed]", has_text="3").wait_for(timeout=10_000)
    assert desk.get_by_test_id("outcome-claim").get_attribute("href").startswith("#/claims/")
    desk.screenshot(path=SHOTS / "22-workspace-claimed-zh.png")

    # A second member watches on a phone, from a shared link.
    phone = _login(browser, stack.url, "bob", "zh", 390, 844, "#/?q=华为")
    phone.locator("[data-testid=total]", has_text="共 4 张").wait_for(timeout=15_000)
    phone.evaluate("window.__sameDocument = true")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # A member may put invoices into a claim but not mark them reimbursed or booked.
    phone.locator(CARD).first.get_by_test_id("pick").click()
    phone.get_by_test_id("bulk-claim").wait_for()
    assert phone.get_by_test_id("bulk-reimburse").count() == 0 and phone.get_by_test_id("bulk-book").count() == 0
    phone.get_by_test_id("select-none").click()

    # The admin approves the claim; the phone shows the three as 已报销 without reloading.
    http = stack.session("admin")
    claim = http.get(stack.url + "/api/claims", params={"state": "draft"}).json()["claims"][0]
    assert claim["count"] == 3
    for step in ("submit", "approve"):
        res = http.post(f"{stack.url}/api/claims/{claim['id']}/{step}", json={})
        assert res.status_code == 200, res.text
    for inv_id in picked:
        reimbursed = f"{CARD}[data-invoice-id='{inv_id}'] [data-testid=reimbursement][data-state=reimbursed]"
        phone.locator(reimbursed).wait_for(timeout=15_000)
    assert phone.evaluate("window.__sameDocument") is True
    # The counts follow the pushes too (asked again from the server): three 已报销, none left 报销中.
    phone.locator("[data-testid=chip-reimbursement-reimbursed] b", has_text="3").wait_for(timeout=15_000)
    assert phone.locator("[data-testid=chip-reimbursement-claimed]").count() == 0
    phone.screenshot(path=SHOTS / "23-workspace-phone-reimbursed-zh.png", full_page=True)

    # A chip narrows to what is reimbursed: the server's count, the three cards.
    phone.get_by_test_id("chip-reimbursement-reimbursed").click()
    phone.locator("[data-testid=total]", has_text="共 3 张").wait_for(timeout=10_000)
    assert "reimbursement=reimbursed" in phone.url
    phone.get_by_test_id("lang-switch").click()
    phone.locator("[data-testid=total]", has_text="3 in all").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=SHOTS / "24-workspace-phone-en.png", full_page=True)

    # Back on the desktop: the export of the filter downloads a workbook that opens, one row per invoice.
    desk.get_by_test_id("lang-switch").click()
    desk.locator("[data-testid=total]", has_text="4 in all").wait_for()
    with desk.expect_download() as info:
        desk.get_by_test_id("export").click()
    path = tmp_path / "export.xlsx"
    info.value.save_as(path)
    import openpyxl

    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    assert len(rows) == 1 + 4  # the header and the four 华为 invoices
    assert sum("华为" in " ".join(str(v) for v in r if v is not None) for r in rows[1:]) == 4
    desk.screenshot(path=SHOTS / "25-workspace-table-en.png")


def test_back_and_forward_walk_the_filters_and_saved_views_come_back(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    page = logged_in_page(browser, stack.url, "en", width=1366, height=900)
    page.locator("[data-testid=total]", has_text="12 in all").wait_for(timeout=15_000)
    page.get_by_test_id("count-found").click()
    page.locator("[data-testid=total]", has_text="9 in all").wait_for()
    page.get_by_test_id("search").fill("上海")
    page.locator("[data-testid=total]", has_text="3 in all").wait_for(timeout=10_000)

    page.get_by_test_id("view-new").click()
    page.get_by_test_id("view-name").fill("Shanghai, found")
    page.get_by_test_id("view-save").click()
    page.get_by_test_id("view-delete").wait_for()  # the view shown is the one saved

    page.go_back()  # before the search
    page.locator("[data-testid=total]", has_text="9 in all").wait_for()
    assert page.get_by_test_id("search").input_value() == ""
    page.go_back()  # before the status chip
    page.locator("[data-testid=total]", has_text="12 in all").wait_for()
    page.go_forward()
    page.locator("[data-testid=total]", has_text="9 in all").wait_for()

    # The saved view brings the whole filter back; deleting it removes it from the list.
    page.get_by_test_id("view-pick").select_option(label="Shanghai, found")
    page.locator("[data-testid=total]", has_text="3 in all").wait_for()
    assert page.get_by_test_id("search").input_value() == "上海"
    page.get_by_test_id("view-delete").click()
    page.get_by_test_id("view-pick").wait_for(state="detached")

    # Opening an invoice and coming back returns to the same filtered board.
    page.locator(CARD).first.click()
    page.get_by_test_id("invoice-detail").wait_for()
    page.go_back()
    page.locator("[data-testid=total]", has_text="3 in all").wait_for()
