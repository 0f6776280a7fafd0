"""Uploads survive a reload, leaving with files unsent asks first, and the app is installable and opens offline
(issue 13, parts 6 and 7), in Debian's chromium.

The upload queue is kept in IndexedDB: held uploads come back after a reload and finish; with the network gone
the service worker serves the app shell, a file chosen then waits for the network and goes up when it is back.
"""

from __future__ import annotations

import json

import pytest

from .. import media
from ..procs import PASSWORD
from .browser import ADMIN_PASSWORD, SHOTS, sign_in

pytestmark = pytest.mark.e2e

ROWS = "[data-testid=upload-row]"
CARDS = "[data-testid=invoice-card]"


def _signed_in_page(browser, url: str, **context_options):
    """A phone-sized page in a context of its own, in Chinese, signed in as admin, its socket connected."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", **context_options)
    page = context.new_page()
    page.goto(url)
    page.evaluate("localStorage.setItem('fapiao.lang', 'zh')")
    page.reload()
    sign_in(page, "admin", ADMIN_PASSWORD)
    return page


def _photos(tmp_path, *names: str) -> list[str]:
    out = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(media.jpeg(text=name.upper()))
        out.append(str(path))
    return out


def _hold_uploads(page) -> list:
    """Every upload the page sends is held in the browser (never reaching the server) until released."""
    held: list = []

    def hold(route):
        held.append(route)

    page.route("**/api/uploads", hold)
    return held


def _until(page, predicate, timeout_ms: int = 20_000) -> None:
    """Wait for a condition on what Playwright's callbacks saw (they run only while Playwright is called)."""
    for _ in range(timeout_ms // 50):
        if predicate():
            return
        page.wait_for_timeout(50)
    raise TimeoutError("condition not met")


def _server_invoices(stack) -> list[dict]:
    return stack.session("admin").get(stack.url + "/api/invoices").json()["items"]


def test_uploads_held_at_a_reload_come_back_and_finish(stack, browser, tmp_path):
    # Routing needs the service worker out of the way (Playwright cannot route what a worker forwards).
    page = _signed_in_page(browser, stack.url, service_workers="block")
    held = _hold_uploads(page)
    page.get_by_test_id("file-input").set_input_files(_photos(tmp_path, "first.jpg", "second.jpg"))
    _until(page, lambda: len(held) == 2)
    assert page.locator(f"{ROWS}[data-phase=uploading]").count() == 2

    page.on("dialog", lambda dialog: dialog.accept())  # leaving with uploads running asks: yes, leave
    page.reload()
    page.get_by_test_id("upload-resumed").nth(1).wait_for()  # the reloaded page's rows, from IndexedDB
    rows = page.locator(ROWS)
    assert sorted(rows.get_by_test_id("upload-name").all_inner_texts()) == ["first.jpg", "second.jpg"]
    _until(page, lambda: len(held) == 4)  # both sent again, from the reloaded page (still held)
    assert _server_invoices(stack) == []  # nothing had reached the server before the reload
    for route in held[2:]:
        route.continue_()
    page.locator(f"{ROWS}[data-phase=accepted]").nth(1).wait_for(timeout=30_000)
    page.locator(CARDS).nth(1).wait_for()
    names = sorted(i["original_name"] for i in _server_invoices(stack))
    assert names == ["first.jpg", "second.jpg"]  # each once

    page.reload()  # finished rows stay, as finished, and nothing is sent again
    page.locator(f"{ROWS}[data-phase=accepted]").nth(1).wait_for()
    assert len(_server_invoices(stack)) == 2


def test_leaving_with_uploads_running_asks_first(stack, browser, tmp_path):
    page = _signed_in_page(browser, stack.url, service_workers="block")
    held = _hold_uploads(page)
    page.get_by_test_id("file-input").set_input_files(_photos(tmp_path, "pending.jpg"))
    _until(page, lambda: len(held) == 1)
    page.locator("#upload-title").click()  # a person's gesture on the page: browsers ask only then
    dialogs: list = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # "stay on the page"

    page.on("dialog", stay)
    page.close(run_before_unload=True)
    _until(page, lambda: dialogs == ["beforeunload"], 10_000)
    assert not page.is_closed()

    held[0].continue_()
    page.locator(f"{ROWS}[data-phase=accepted]").wait_for(timeout=30_000)
    with page.expect_event("close", timeout=10_000):
        page.close(run_before_unload=True)  # nothing unsent: it closes without asking
    assert dialogs == ["beforeunload"]


def test_a_waiting_file_is_sent_only_on_the_session_of_whoever_chose_it(stack, browser, tmp_path):
    stack.cli("user", "create", "bob", "--password", PASSWORD, "--team", "默认团队", "--role", "submitter")
    page = _signed_in_page(browser, stack.url)
    page.context.set_offline(True)
    page.get_by_test_id("file-input").set_input_files(_photos(tmp_path, "admins.jpg"))
    page.locator(f"{ROWS}[data-phase=waiting_online]").wait_for(timeout=10_000)
    page.get_by_test_id("logout").click()  # offline: signed out here (the server hears of it later or never)
    page.get_by_test_id("login-form").wait_for()
    page.context.set_offline(False)
    sign_in(page, "bob", PASSWORD)  # another person, same browser, same page
    page.wait_for_timeout(1500)
    assert page.locator(ROWS).count() == 0  # not my row, not sent on my session
    assert _server_invoices(stack) == []

    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-form").wait_for()
    sign_in(page, "admin", ADMIN_PASSWORD)
    page.locator(f"{ROWS}[data-phase=accepted]").wait_for(timeout=30_000)
    invoices = _server_invoices(stack)
    assert [(i["original_name"], i["uploaded_by_name"]) for i in invoices] == [("admins.jpg", "admin")]


def _wait_controlled(page) -> None:
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)


def test_offline_the_shell_opens_and_a_file_waits_for_the_network(stack, browser, tmp_path):
    page = _signed_in_page(browser, stack.url)
    _wait_controlled(page)
    page.context.set_offline(True)  # CDP Network.emulateNetworkConditions, offline, for the page and its worker
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.get_by_test_id("upload-offline").wait_for()
    SHOTS.mkdir(exist_ok=True)
    page.get_by_test_id("file-input").set_input_files(_photos(tmp_path, "offline.jpg"))
    row = page.locator(f"{ROWS}[data-phase=waiting_online]")
    row.wait_for(timeout=10_000)
    assert "等待网络恢复" in row.inner_text()
    page.screenshot(path=SHOTS / "offline-upload-waiting.png")
    assert _server_invoices(stack) == []

    page.context.set_offline(False)
    page.locator(f"{ROWS}[data-phase=accepted]").wait_for(timeout=30_000)
    page.locator(CARDS).first.wait_for()
    assert [i["original_name"] for i in _server_invoices(stack)] == ["offline.jpg"]
    cached = page.evaluate("""async () => {
        const names = await caches.keys();
        const urls = [];
        for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(new URL(r.url).pathname);
        return {names, urls};
    }""")
    assert len(cached["names"]) == 1 and cached["names"][0].startswith("fapiao-shell-")
    assert "/" in cached["urls"] and "/manifest.webmanifest" in cached["urls"]
    assert not [u for u in cached["urls"] if u.startswith(("/api/", "/socket.io/"))]


def test_the_app_is_installable(stack, browser):
    page = _signed_in_page(browser, stack.url)
    _wait_controlled(page)
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A Playwright context is off the record, like an incognito window, which browsers never install from.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
    got = cdp.send("Page.getAppManifest")
    assert got["url"].endswith("/manifest.webmanifest") and got["errors"] == []
    manifest = json.loads(got["data"])
    assert "Fapiao Tracker" in manifest["name"] and "发票" in manifest["name"]
    icons = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons
    for icon in manifest["icons"]:
        assert page.request.get(stack.url + icon["src"]).ok, icon
