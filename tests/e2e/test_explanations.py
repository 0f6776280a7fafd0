"""Explanations with their evidence, per-invoice state and the save's rules, in Debian's chromium against
`fapiao run` (simulator connector; the scheduler's tick made rare, so any check seen was queued by the page):

- a mismatch shows our value against the authority's for each differing field; a ledger import lists the row and
  column of each row it left out; a time in a note is the viewer's local time, not the API's UTC string; a buyer
  entity's name is registered once;
- a train ticket given its number is enrolled and checked at once, and the sync panel's "number missing" answer
  goes with the change; 价税合计 "abc" is refused with the reason, the value kept.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from ..exports import export_xlsx
from ..procs import REPO, Stack, free_port
from .browser import ADMIN_PASSWORD, SHOTS, sign_in
from .seed_explain import PENDING

pytestmark = pytest.mark.e2e

TEAM = "默认团队"  # where `fapiao run` puts the admin (services/users.DEFAULT_TEAM)
DESKTOP = (1366, 900)
THEIRS = {"金额": "700.88", "税额": "91.12", "价税合计": "792.00", "购方识别号": "91310115607207591K"}


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path, FAPIAO_ADMIN_PASSWORD=ADMIN_PASSWORD, FAPIAO_CONNECTOR="simulator", FAPIAO_DEMO="0",
              FAPIAO_SYNC_TICK_SECONDS="600")
    s.port = _port_with_a_free_neighbour()  # the simulator listens on port + 1
    s.env["FAPIAO_PORT"] = str(s.port)
    s.url = f"http://127.0.0.1:{s.port}"
    s.start("run", "run")
    s.wait_http(timeout=60)
    yield s
    s.close()


def _port_with_a_free_neighbour() -> int:
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free ports in a row")


def _seed(stack) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.e2e.seed_explain", TEAM, "admin"], env=stack.env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _page(browser, stack, hash_: str = ""):
    context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(stack.url + "/" + hash_)
    sign_in(page, "admin", ADMIN_PASSWORD)
    return page


def test_explanations_show_their_evidence(stack, browser, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    ids = _seed(stack)
    page = _page(browser, stack)
    # The copy's note: the first upload at 06:05 UTC is 14:05 in Shanghai.
    note = page.locator(f"[data-testid=invoice-card][data-invoice-id='{ids['copy']}'] [data-testid=reason]")
    note.wait_for()
    assert "14:05" in note.inner_text() and "T06:05" not in note.inner_text(), note.inner_text()

    page.get_by_test_id("nav-settings").click()
    entities = page.get_by_test_id("entities")
    for name, tax_id in (("本公司", PENDING["buyer_tax_id"]), ("本公司", THEIRS["购方识别号"]), ("分公司", "12345")):
        page.get_by_test_id("entity-name").fill(name)
        page.get_by_test_id("entity-tax-id").fill(tax_id)
        page.get_by_role("button", name="添加").click()
        page.wait_for_timeout(300)
    assert entities.locator("li").count() == 1
    assert "格式不对" in entities.locator(".error").inner_text()  # the last refusal: 12345 is no tax ID

    export = tmp_path / "全量发票查询.xlsx"
    row = {"发票代码": PENDING["invoice_code"], "发票号码": PENDING["invoice_number"],
           "开票日期": PENDING["issue_date"], "发票状态": "正常", **THEIRS}
    export.write_bytes(export_xlsx([row, {**row, "发票号码": "ABC"}]))
    page.get_by_test_id("ledger-file").set_input_files(str(export))
    page.get_by_test_id("ledger-summary").wait_for(timeout=30_000)
    assert "第 3 行 C 列（发票号码）" in page.get_by_test_id("ledger-problems").inner_text()
    page.screenshot(path=SHOTS / "explain-import-zh-1366.png", full_page=True)

    page.goto(f"{stack.url}/#/invoice/{ids['pending']}")
    diffs = page.get_by_test_id("field-diffs")
    diffs.wait_for(timeout=10_000)
    for field, ours, theirs in (("amount", "721.30", "700.88"), ("total", "815.07", "792.00"),
                                ("buyer_tax_id", PENDING["buyer_tax_id"], THEIRS["购方识别号"])):
        line = diffs.locator(f"tr[data-field={field}]")
        assert line.get_by_test_id("ours").inner_text() == ours
        assert line.get_by_test_id("theirs").inner_text() == theirs
    page.screenshot(path=SHOTS / "explain-mismatch-zh-1366.png", full_page=True)


def test_a_ticket_given_its_number_is_checked_and_bad_values_refused(stack, browser):
    ids = _seed(stack)
    page = _page(browser, stack, f"#/invoice/{ids['ticket']}")
    page.get_by_test_id("check-now").click()
    message = page.get_by_test_id("sync-message")
    message.wait_for()
    assert "缺少发票号码" in message.inner_text()

    total = page.get_by_test_id("field-total")
    total.get_by_test_id("edit-total").click()
    total.get_by_test_id("editor-input").fill("abc")
    total.locator("[data-testid=findings] [data-key=amount_format]").wait_for()  # the live hint says so too
    total.get_by_role("button", name="保存").click()
    assert "价税合计不是金额" in total.locator("p.error").inner_text()
    total.get_by_role("button", name="取消").click()
    assert total.get_by_test_id("value").inner_text() == "15.50"

    number = page.get_by_test_id("field-invoice_number")
    number.get_by_test_id("edit-invoice_number").click()
    number.get_by_test_id("editor-input").fill("26117000000012345678")
    number.get_by_role("button", name="保存").click()
    page.locator("[data-testid=status][data-status=pending_sync]").wait_for(timeout=10_000)
    assert message.count() == 0  # the refusal was about the ticket without its number
    page.locator("[data-testid=timeline] li").first.wait_for(timeout=10_000)  # checked at once, not in 10 min
