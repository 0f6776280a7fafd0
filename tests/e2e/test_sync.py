"""End to end, the authority side: upload → pending sync → the simulator issues the invoice → the card
moves to "found" live, without a reload. `fapiao run` starts web, worker, scheduler and simulator."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from backend.weights import synth

from .. import media
from ..procs import Stack, free_port
from .browser import ADMIN_PASSWORD, SHOTS, logged_in_page

pytestmark = pytest.mark.e2e


def _two_free_ports() -> int:
    """A port whose neighbour is free too: the simulator listens on port + 1."""
    for _ in range(50):
        port = free_port()
        try:
            import socket

            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two free ports in a row")


def authority(stack) -> requests.Session:
    """The simulated platform, as the seller's system reaches it: with the installation's token, which
    `fapiao run` generated into the data dir (mode 0600)."""
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + (stack.data / "simulator_token").read_text().strip()
    s.base = f"http://127.0.0.1:{stack.port + 1}"
    return s


def register_buyer(http, stack, team_id: int, tax_id: str) -> None:
    """The team's own taxpayer: the platform's feed shows a team the invoices made out to it, and only those."""
    res = http.post(f"{stack.url}/api/teams/{team_id}/entities", json={"name": "本公司", "tax_id": tax_id})
    assert res.status_code == 201, res.text


@pytest.fixture
def sync_stack(tmp_path):
    s = Stack(tmp_path, FAPIAO_ADMIN_PASSWORD=ADMIN_PASSWORD, FAPIAO_CONNECTOR="simulator", FAPIAO_DEMO="0",
              FAPIAO_SYNC_TICK_SECONDS="0.5")
    s.port = _two_free_ports()
    s.env["FAPIAO_PORT"] = str(s.port)
    s.url = f"http://127.0.0.1:{s.port}"
    s.start("run", "run")
    s.wait_http(timeout=60)
    yield s
    s.close()


def test_pending_sync_then_found_live_when_the_authority_has_it(sync_stack, browser, tmp_path):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date().isoformat()  # China's today
    photo = tmp_path / "invoice.jpg"
    photo.write_bytes(media.encode(synth.photo_like(synth.render(synth.Spec(issue_date=today)),
                                                         angle=2), ".jpg"))
    page = logged_in_page(browser, sync_stack.url)
    page.get_by_test_id("sync-health").wait_for()
    page.evaluate("window.__sameDocument = true")
    page.get_by_test_id("file-input").set_input_files([str(photo)])

    pending = page.locator("[data-testid=column-pending_sync] [data-testid=invoice-card]")
    pending.wait_for(timeout=60_000)
    # The first look-up has happened: issued today, so the platform cannot have it yet.
    page.locator("[data-testid=column-pending_sync] [data-testid=top-cause][data-cause=sync_window]").wait_for(
        timeout=30_000)
    assert page.get_by_test_id("column-count-pending_sync").inner_text() == "1"
    page.screenshot(path=SHOTS / "10-pending-sync.png", full_page=True)

    # The authority gets the invoice (as the seller's system would upload it).
    http = sync_stack.session("admin")
    invoice = http.get(sync_stack.url + "/api/invoices").json()["items"][0]
    fields = {k: v["value"] for k, v in invoice["fields"].items()}
    buyer = synth.Spec().buyer_tax_id  # as printed; the authority holds the true one, whatever was read
    register_buyer(http, sync_stack, invoice["team_id"], buyer)
    platform = authority(sync_stack)
    assert requests.post(platform.base + "/api/v1/invoices", json=fields, timeout=5).status_code == 401
    started = time.monotonic()
    res = platform.post(platform.base + "/api/v1/invoices", json={**fields, "buyer_tax_id": buyer, "delay_hours": 0},
                        timeout=5)
    assert res.status_code == 201, res.text

    found = page.locator("[data-testid=column-found] [data-testid=invoice-card][data-status=found]")
    found.wait_for(timeout=30_000)
    seconds = time.monotonic() - started
    print(f"authority visible → found on the board: {seconds:.2f} s")
    assert page.evaluate("window.__sameDocument") is True  # moved live, never reloaded
    # The emptied column goes with the board's counts, which follow the card's move (a load of the counts, not the
    # push): a moment later on a busy machine.
    page.locator("[data-testid=column-pending_sync]").wait_for(state="detached", timeout=10_000)
    page.screenshot(path=SHOTS / "11-found-live.png", full_page=True)

    found.click()
    page.get_by_test_id("sync-panel").wait_for()
    page.locator("[data-testid=timeline] li[data-outcome=found]").wait_for(timeout=10_000)
    assert page.locator("[data-testid=timeline] li[data-outcome=same_day]").count() >= 1
    page.screenshot(path=SHOTS / "12-invoice-timeline.png", full_page=True)


def test_near_miss_is_shown_and_accepted_in_the_browser(sync_stack, browser, tmp_path):  # noqa: F811
    """The authority has 12356979 where the paper was read as 12356976: one click accepts it."""
    SHOTS.mkdir(exist_ok=True)
    photo = tmp_path / "invoice.jpg"
    photo.write_bytes(media.encode(synth.photo_like(synth.render(synth.Spec(issue_date="2026-01-05")),
                                                         angle=2), ".jpg"))
    page = logged_in_page(browser, sync_stack.url, "en")
    page.get_by_test_id("file-input").set_input_files([str(photo)])
    # Issued in January and still not found: overdue (not_found), checked daily.
    card = page.locator("[data-testid=invoice-card][data-status=not_found]")
    card.wait_for(timeout=60_000)
    http = sync_stack.session("admin")
    invoice = http.get(sync_stack.url + "/api/invoices").json()["items"][0]
    fields = {k: v["value"] for k, v in invoice["fields"].items()}
    buyer = synth.Spec().buyer_tax_id
    register_buyer(http, sync_stack, invoice["team_id"], buyer)
    real = {**fields, "invoice_number": fields["invoice_number"][:-1] + "9", "buyer_tax_id": buyer, "delay_hours": 0}
    platform = authority(sync_stack)
    assert platform.post(platform.base + "/api/v1/invoices", json=real, timeout=5).status_code == 201
    time.sleep(1.5)  # the feed brings the row into the team's ledger
    card.click()
    page.get_by_test_id("check-now").click()
    page.get_by_test_id("near-miss").wait_for(timeout=30_000)
    assert page.locator("[data-testid=near-miss] mark").count() == 2  # ours and theirs, one character each
    page.screenshot(path=SHOTS / "13-near-miss.png", full_page=True)
    page.get_by_test_id("accept-candidate").click()
    page.locator("[data-testid=status][data-status=found]").wait_for(timeout=30_000)
    assert page.get_by_test_id("field-invoice_number").get_by_test_id("value").inner_text() == real["invoice_number"]


def test_settings_entities_and_ledger_import(sync_stack, browser, tmp_path):  # noqa: F811
    from ..exports import export_xlsx

    SHOTS.mkdir(exist_ok=True)
    export = tmp_path / "全量发票查询.xlsx"
    export.write_bytes(export_xlsx([{"发票代码": "1100094140", "发票号码": f"{87654300 + i}", "开票日期": "2026-01-04",
                                     "金额": "100.00", "税额": "13.00", "价税合计": "113.00", "发票状态": "正常"}
                                    for i in range(20)]))
    page = logged_in_page(browser, sync_stack.url)
    page.get_by_test_id("nav-settings").click()
    page.get_by_test_id("settings").wait_for()
    page.get_by_test_id("entity-name").fill("上海某某有限公司")
    page.get_by_test_id("entity-tax-id").fill("91310000ma1fl0000x")
    page.get_by_role("button", name="添加").click()
    page.locator("[data-testid=entities] li", has_text="91310000MA1FL0000X").wait_for()
    page.get_by_test_id("ledger-file").set_input_files(str(export))
    summary = page.get_by_test_id("ledger-summary")
    summary.wait_for(timeout=30_000)
    assert "新增 20" in summary.inner_text()
    page.get_by_test_id("ledger-file").set_input_files(str(export))  # the same file again: nothing new
    page.locator("[data-testid=ledger-summary]", has_text="未变 20").wait_for(timeout=30_000)
    page.screenshot(path=SHOTS / "14-settings.png", full_page=True)
