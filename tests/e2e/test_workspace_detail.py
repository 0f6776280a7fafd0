"""The finance team's invoice page, claims and dashboard end to end, in Debian's chromium against `fapiao run`.

- Two real photos of ONE paper invoice (same 代码-号码, from ../shared/datasets/invoices-dev, kept out of git):
  the second is marked duplicate on the board, its page shows the evidence (same key, the fields that agree,
  the first file and who uploaded it), the first file's page lists it, and "not the same invoice" unlinks it.
- A claim on the claims view: created, invoices added (one not found at the authority keeps its warning),
  one removed, submitted, returned with a note, reopened, submitted again and approved → 已报销.
- The dashboard: its charts drawn on canvases (Chart.js loaded only when it opens) and its numbers shown.
Screenshots at 390×844 and 1366×900 in Chinese and English go to tests/e2e/screenshots/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ..procs import REPO, wait_for
from .browser import ADMIN_PASSWORD, SHOTS
from .seed import ROWS

pytestmark = pytest.mark.e2e

DEV = REPO.parent / "shared" / "datasets" / "invoices-dev"
TEAM = "默认团队"  # where `fapiao run` puts the admin (services/users.DEFAULT_TEAM)
PHONE, DESKTOP = (390, 844), (1366, 900)
NARROWEST = 360
READ = {"extracted", "needs_review", "pending_sync", "found"}


def _pair_of_photos() -> tuple[str, Path, Path]:
    """Two photo files of one invoice (the same key), found through the data set's labels."""
    groups: dict[str, list[str]] = {}
    for line in (DEV / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["kind"] == "photo" and row["invoice_key"]:
            groups.setdefault(row["invoice_key"], []).append(row["file"])
    # Of the invoices photographed several times, the one whose photos the reader reads whole (its first two
    # are read in tests/test_duplicates_real.py too).
    key = "1100171320-12356976"
    first, second = groups[key][:2]
    return key, DEV / "files" / first, DEV / "files" / second


def _page(browser, url: str, lang: str, size: tuple[int, int], hash_: str = ""):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1,
                                  locale="en-US" if lang == "en" else "zh-CN")
    page = context.new_page()
    page.goto(url)
    page.evaluate(f"localStorage.setItem('fapiao.lang', '{lang}')")
    page.goto(url + "/" + hash_)
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in" if lang == "en" else "登录").click()
    page.locator("[data-testid=connection][data-state=online]").wait_for()
    return page


def _shoot(page, name: str, size: tuple[int, int], full: bool = True) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.wait_for_timeout(250)  # charts redraw on resize
    page.screenshot(path=SHOTS / name, full_page=full)


def _both_languages(page, stem: str) -> None:
    """Screenshots of the current page at both sizes, in the page's language and then the other one; never
    wider than the screen."""
    for _ in range(2):
        lang = _lang_name(page)
        for size in (PHONE, DESKTOP):
            _shoot(page, f"{stem}-{lang}-{size[0]}.png", size)
            assert page.evaluate("document.documentElement.scrollWidth") <= size[0], (stem, lang, size)
        page.set_viewport_size({"width": NARROWEST, "height": PHONE[1]})  # still usable on a 360 px phone
        page.wait_for_timeout(250)
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROWEST, (stem, lang, NARROWEST)
        page.get_by_test_id("lang-switch").click()


def _lang_name(page) -> str:
    return "zh" if page.evaluate("document.documentElement.lang").startswith("zh") else "en"


@pytest.mark.skipif(not (DEV / "labels.jsonl").is_file(), reason=f"dev data set not found at {DEV}")
def test_two_photos_of_one_invoice_show_the_evidence_and_unlink(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    key, first_photo, second_photo = _pair_of_photos()
    http = stack.session("admin")
    page = _page(browser, stack.url, "zh", PHONE)
    page.get_by_test_id("file-input").set_input_files([str(first_photo)])
    first = wait_for(lambda: _invoice_named(stack, http, first_photo.name, READ), timeout=240)
    page.get_by_test_id("file-input").set_input_files([str(second_photo)])  # read after the first: it is the copy
    second = wait_for(lambda: _invoice_named(stack, http, second_photo.name, {"duplicate"}), timeout=240)
    first_id, second_id = first["id"], second["id"]
    assert second["duplicate_of"] == first_id

    page.goto(f"{stack.url}/#/invoice/{second_id}")
    evidence = page.get_by_test_id("duplicate-evidence")
    evidence.wait_for()
    assert evidence.get_attribute("data-basis") == "same_key"
    assert key in evidence.inner_text()
    agree = page.locator("[data-testid=dup-agree] [data-field]")
    agreed = {agree.nth(i).get_attribute("data-field") for i in range(agree.count())}
    assert {"issue_date", "total"} <= agreed, agreed
    assert page.get_by_test_id("dup-original").inner_text() == first_photo.name
    assert page.get_by_test_id("dup-uploader").inner_text().startswith("admin · 20")  # who, and when in local time
    history = page.get_by_test_id("history")
    history.locator("[data-kind=duplicate_linked]").wait_for()
    assert "T" not in history.locator("time").first.inner_text()  # never the raw ISO string
    _both_languages(page, "31-duplicate-evidence")

    # The first file's page names its other file.
    page.get_by_test_id("dup-original").locator("a").click()
    page.locator(f"[data-testid=invoice-detail][data-invoice-id='{first_id}']").wait_for()
    assert second_photo.name in page.get_by_test_id("duplicate-files").inner_text()
    _shoot(page, f"32-original-files-{_lang_name(page)}-390.png", PHONE)

    # The board marks the second file a duplicate on its card.
    page.get_by_test_id("nav-board").click()
    dup_card = page.locator(f"[data-testid=invoice-card][data-invoice-id='{second_id}']")
    dup_card.wait_for()
    assert dup_card.get_attribute("data-status") == "duplicate"
    assert dup_card.locator("[data-testid=duplicate-badge]").count() == 1
    _shoot(page, f"30-board-duplicate-{_lang_name(page)}-390.png", PHONE)

    # A person says it is not the same invoice: confirmed, kept, and the file stands on its own.
    page.goto(f"{stack.url}/#/invoice/{second_id}")
    page.get_by_test_id("unlink").click()
    page.get_by_test_id("unlink-confirm").wait_for()
    _shoot(page, f"33-unlink-confirm-{_lang_name(page)}-390.png", PHONE, full=False)
    page.get_by_test_id("unlink-yes").click()
    page.locator("[data-testid=history] [data-kind=duplicate_unlinked]").wait_for()
    assert page.get_by_test_id("duplicate-evidence").count() == 0
    chip = page.locator("[data-testid=invoice-detail] [data-testid=status]").first
    assert chip.get_attribute("data-status") != "duplicate"
    after = http.get(f"{stack.url}/api/invoices/{second_id}").json()["invoice"]
    assert after["duplicate_of"] is None and first_id not in (after["duplicate"] or {}).get("near", [])
    items = http.get(f"{stack.url}/api/invoices/{second_id}/history").json()["items"]
    assert {"kind": "duplicate_unlinked", "by": "admin", "original": first_id} in [
        {"kind": i["kind"], "by": i["by"], "original": i["data"].get("original")} for i in items]


def _invoice_named(stack, http, name: str, statuses: set[str]) -> dict | None:
    for inv in http.get(f"{stack.url}/api/invoices?limit=50").json().get("items", []):
        if inv["original_name"] == name and inv["status"] in statuses:
            return inv
    return None


def _seed(stack) -> list[int]:
    out = subprocess.run([sys.executable, "-m", "tests.e2e.seed", TEAM, "admin"], env=stack.env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_claim_from_draft_to_reimbursed_on_the_claims_view(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    ids = _seed(stack)
    page = _page(browser, stack.url, "zh", DESKTOP, "#/claims")
    page.get_by_test_id("claims-view").wait_for()
    page.get_by_test_id("claim-create").click()  # no purpose: the server says why, translated
    assert page.get_by_test_id("claim-create-error").inner_text() == "请填写报销事由（最多 200 字）。"
    page.get_by_test_id("claim-purpose").fill("北京出差")
    page.get_by_test_id("claim-create").click()
    detail = page.get_by_test_id("claim-detail")
    detail.wait_for()
    claim_id = int(detail.get_attribute("data-claim-id"))

    # Invoices come in from elsewhere (the board's bulk bar; here the API): the page follows live.
    http = stack.session("admin")
    not_found = ids[9]  # 携程, not found at the authority: allowed, with its warning kept
    res = http.post(f"{stack.url}/api/claims/{claim_id}/invoices", json={"ids": [ids[0], ids[1], not_found]})
    assert res.status_code == 200, res.text
    page.locator("[data-testid=claim-invoice]").nth(2).wait_for()
    warned = page.locator(f"[data-testid=claim-invoice][data-invoice-id='{not_found}'] [data-testid=claim-warning]")
    assert "查无此票" in warned.inner_text()
    expected = sum(Decimal(ROWS[i][1]) for i in (0, 1, 9))
    assert page.get_by_test_id("claim-detail-total").inner_text() == f"¥{expected:,.2f}"
    _both_languages(page, "40-claim-draft")

    page.locator(f"[data-testid=claim-invoice][data-invoice-id='{ids[1]}'] [data-testid=claim-remove]").click()
    expect(page.locator("[data-testid=claim-invoice]")).to_have_count(2)  # (the CSP forbids evaluated strings)
    page.get_by_test_id("claim-submit").click()
    page.locator("[data-testid=claim-detail][data-state=submitted]").wait_for()
    page.get_by_test_id("claim-return").click()
    page.get_by_test_id("return-send").click()  # a return needs a reason
    page.get_by_test_id("claim-error").wait_for()
    assert page.get_by_test_id("claim-error").inner_text() == "退回时请说明原因。"
    page.get_by_test_id("return-note").fill("缺少行程单")
    page.get_by_test_id("return-send").click()
    page.locator("[data-testid=claim-detail][data-state=returned]").wait_for()
    assert "缺少行程单" in page.get_by_test_id("claim-note").inner_text()
    _shoot(page, f"41-claim-returned-{_lang_name(page)}-390.png", PHONE)
    page.get_by_test_id("claim-reopen").click()
    page.locator("[data-testid=claim-detail][data-state=draft]").wait_for()
    expect(page.locator("[data-testid=claim-invoice]")).to_have_count(2)  # (the CSP forbids evaluated strings)
    page.get_by_test_id("claim-submit").click()
    page.get_by_test_id("claim-approve").click()
    page.locator("[data-testid=claim-detail][data-state=approved]").wait_for()
    page.locator("[data-testid=claim-invoice] .reimb-reimbursed").nth(1).wait_for()
    _both_languages(page, "42-claim-approved")

    page.get_by_test_id("nav-claims").click()
    row = page.locator(f"[data-testid=claim-row][data-claim-id='{claim_id}']")
    row.wait_for()
    assert row.get_attribute("data-state") == "approved"
    _both_languages(page, "43-claims-list")

    # The invoice page says where the invoice went: reimbursed through this claim, and its timeline shows it.
    page.goto(f"{stack.url}/#/invoice/{ids[0]}")
    page.get_by_test_id("fin-reimbursement").wait_for()
    assert page.get_by_test_id("fin-reimbursement").get_attribute("data-state") == "reimbursed"
    assert page.get_by_test_id("fin-claim").get_attribute("href") == f"#/claims/{claim_id}"
    page.locator("[data-testid=history] [data-kind=reimbursed]").wait_for()
    # An accountant books it: a bad period is refused in words, then it is booked.
    page.get_by_test_id("booking-open").click()
    page.get_by_test_id("booking-period").evaluate("(el) => { el.type = 'text'; }")
    page.get_by_test_id("booking-period").fill("2026-13")
    page.get_by_test_id("booking-voucher").fill("记-0042")
    page.get_by_test_id("booking-save").click()
    assert page.get_by_test_id("booking-error").inner_text() in ("会计期间格式应为 YYYY-MM。",
                                                                 "The accounting period must look like YYYY-MM.")
    page.get_by_test_id("booking-period").fill("2026-02")
    page.get_by_test_id("booking-save").click()
    page.locator("[data-testid=fin-booking][data-state=booked]").wait_for()
    page.locator("[data-testid=history] [data-kind=booked]").wait_for()
    assert page.get_by_test_id("fin-voucher").inner_text() == "记-0042"
    page.get_by_test_id("reconcile-section").wait_for()
    _both_languages(page, "44-invoice-finance")


def test_the_dashboard_draws_its_charts_and_shows_the_numbers(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    _seed(stack)
    page = _page(browser, stack.url, "zh", PHONE)
    page.locator("section.board").wait_for()
    page.wait_for_load_state("networkidle")
    chunks = "performance.getEntriesByType('resource').filter((e) => /Dashboard-.*\\.js/.test(e.name)).length"
    assert page.evaluate(chunks) == 0  # the board does not load the charts
    page.get_by_test_id("nav-dashboard").click()
    page.get_by_test_id("dashboard").wait_for()
    for chart in ("chart-status", "chart-month", "chart-seller", "chart-aging-authority", "chart-aging-unpaid"):
        page.locator(f"canvas[data-testid={chart}]").wait_for()
    assert page.evaluate(chunks) == 1
    drawn = page.evaluate("""() => [...document.querySelectorAll('canvas')].every((c) => {
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i]) return true;
        return false; })""")
    assert drawn
    total = sum(Decimal(r[1]) for r in ROWS)
    assert page.get_by_test_id("tile-invoices-count").inner_text() == f"{len(ROWS)} 张"
    assert page.get_by_test_id("tile-invoices-total").inner_text() == f"¥{total:,.2f}"
    waiting = [r for r in ROWS if r[3] in ("pending_sync", "not_found")]
    assert page.get_by_test_id("tile-authority-count").inner_text() == f"{len(waiting)} 张"
    assert page.locator("[data-testid=oldest-authority] [data-testid=oldest-link]").count() == len(waiting)
    _both_languages(page, "50-dashboard")
    page.get_by_test_id("metric-count").click()
    _shoot(page, f"51-dashboard-count-{_lang_name(page)}-1366.png", DESKTOP)
    page.locator("[data-testid=oldest-unpaid] [data-testid=oldest-link]").first.click()
    page.get_by_test_id("invoice-detail").wait_for()
