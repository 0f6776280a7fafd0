"""People, roles and sessions end to end, in Debian's chromium against the real stack (`fapiao run`).

The site admin creates a person with a one-time link on the people page; the link opens in a second browser
(a phone), where the person sets a password, signs in and sees a submitter's board: no finance controls, no
people page. Their role changed to accountant reaches their open page without a reload (the server drops
their socket, the page comes back with the new permissions); disabled, their open page lands on sign-in with
"your session has ended", again without a reload. Then: the login page counts down a throttled sign-in, my
account lists my sessions and signs out everywhere, and the audit log shows what was done. Screenshots of
each screen at 1280×800 and 390×844, in Chinese and English, go to tests/e2e/screenshots/.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from ..procs import PASSWORD, REPO, wait_for
from .browser import SHOTS, fresh_page, logged_in_page, sign_in

pytestmark = pytest.mark.e2e

TEAM = "默认团队"  # where `fapiao run` puts the admin (services/users.DEFAULT_TEAM)
CARD = "[data-testid=invoice-card]"
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "plum blossom river 7"


@pytest.fixture
def stack(stack):
    """The app with a dozen read invoices, all uploaded by the admin (written without OCR)."""
    out = subprocess.run([sys.executable, "-m", "tests.e2e.seed", TEAM, "admin"], env=stack.env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return stack


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _person(page, username: str):
    return page.locator(f"[data-testid=person][data-username='{username}']")


def test_invite_set_password_submitter_board_role_and_disable_live(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    admin = logged_in_page(browser, stack.url, "zh", **DESK)
    admin.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    admin.get_by_test_id("nav-people").click()
    _person(admin, "admin").wait_for()
    admin.screenshot(path=SHOTS / "30-people-desktop-zh.png")

    # A new person, no password: the answer is a one-time link, shown once, with a copy button and its expiry.
    admin.get_by_test_id("person-new").click()
    admin.get_by_test_id("person-username").fill("carol")
    admin.get_by_test_id("person-display").fill("王小红")
    admin.get_by_test_id("person-team").select_option(label=TEAM)
    admin.get_by_test_id("person-role").select_option("submitter")
    admin.screenshot(path=SHOTS / "31-people-new-desktop-zh.png")
    admin.get_by_test_id("person-create").click()
    box = admin.get_by_test_id("one-time-link")
    box.wait_for()
    link = admin.get_by_test_id("link-url").input_value()
    assert link.startswith(stack.url + "/set-password#") and len(link.split("#", 1)[1]) >= 20
    assert "有效期至" in admin.get_by_test_id("link-expiry").inner_text()
    admin.get_by_test_id("link-copy").click()
    admin.get_by_test_id("link-copied").wait_for()
    assert admin.evaluate("navigator.clipboard.readText()") == link
    _person(admin, "carol").get_by_test_id("person-no-password").wait_for()
    admin.screenshot(path=SHOTS / "32-people-link-desktop-zh.png")

    # The link opens in another browser, signed in as nobody: whose it is, the password twice, then sign in.
    phone = fresh_page(browser, stack.url, "zh", **PHONE)
    phone.goto(link)
    phone.get_by_test_id("set-password-who").wait_for()
    assert "carol" in phone.get_by_test_id("set-password-who").inner_text()
    phone.get_by_test_id("new-password").fill(NEW_PASSWORD)
    phone.get_by_test_id("new-password-again").fill(NEW_PASSWORD + "x")
    phone.get_by_test_id("set-password-submit").click()
    assert phone.get_by_test_id("set-password-error").inner_text() == "两次输入的密码不一致。"
    phone.get_by_test_id("new-password-again").fill(NEW_PASSWORD)
    phone.screenshot(path=SHOTS / "33-set-password-phone-zh.png")
    phone.get_by_test_id("set-password-submit").click()
    phone.get_by_test_id("set-password-done").wait_for()
    phone.screenshot(path=SHOTS / "34-set-password-done-phone-zh.png")
    # The link works once.
    assert requests.get(stack.url + "/api/auth/link", params={"token": link.split("#", 1)[1]}).status_code == 404

    phone.get_by_test_id("to-sign-in").click()
    phone.locator("[data-testid=login-form]").wait_for()
    sign_in(phone, "carol", NEW_PASSWORD)
    phone.locator(CARD).first.wait_for(timeout=15_000)
    # A submitter's board: upload, claim and check what they may; no finance, export, people, audit or settings.
    assert phone.get_by_test_id("dropzone").count() == 1
    for hidden in ("nav-people", "nav-audit", "nav-settings", "export"):
        assert phone.get_by_test_id(hidden).count() == 0, hidden
    phone.locator(CARD).first.get_by_test_id("pick").click()
    phone.get_by_test_id("bulk-claim").wait_for()
    assert phone.get_by_test_id("bulk-check").count() == 1
    for hidden in ("bulk-reimburse", "bulk-book", "bulk-unbook", "bulk-export"):
        assert phone.get_by_test_id(hidden).count() == 0, hidden
    _fits(phone, PHONE["width"])
    phone.screenshot(path=SHOTS / "35-submitter-board-phone-zh.png")
    phone.get_by_test_id("select-none").click()
    # Someone else's invoice: nothing to correct, book or unlink.
    phone.locator(CARD).first.click()
    phone.get_by_test_id("invoice-detail").wait_for()
    phone.get_by_test_id("field-seller_name").wait_for()
    assert phone.locator("[data-testid^=edit-]").count() == 0
    assert phone.get_by_test_id("booking-open").count() == 0
    phone.screenshot(path=SHOTS / "36-submitter-invoice-phone-zh.png", full_page=True)
    phone.go_back()
    phone.locator(CARD).first.wait_for()
    phone.evaluate("window.__sameDocument = true")

    # The admin makes carol an accountant: her open page gains the finance controls without a reload.
    carol = _person(admin, "carol")
    carol.get_by_test_id("role-select").select_option("accountant")
    wait_for(lambda: carol.get_by_test_id("role-select").input_value() == "accountant", timeout=10)
    phone.get_by_test_id("nav-settings").wait_for(timeout=15_000)
    phone.locator(CARD).first.get_by_test_id("pick").click()
    phone.get_by_test_id("bulk-reimburse").wait_for()
    assert phone.get_by_test_id("export").count() == 1
    phone.get_by_test_id("select-none").click()

    # Disabled: asked first (their sessions end now); her open page lands on sign-in, without a reload.
    carol.get_by_test_id("person-disable").click()
    confirm = carol.get_by_test_id("confirm-disable")
    assert "立即结束" in confirm.inner_text()
    admin.screenshot(path=SHOTS / "37-people-disable-desktop-zh.png")
    confirm.get_by_test_id("confirm-yes").click()
    carol.get_by_test_id("person-disabled").wait_for()
    notice = phone.get_by_test_id("login-notice")
    notice.wait_for(timeout=15_000)
    assert notice.get_attribute("data-notice") == "ended"
    assert "登录已结束" in notice.inner_text()
    assert phone.evaluate("window.__sameDocument") is True
    phone.screenshot(path=SHOTS / "38-session-ended-phone-zh.png")
    # And she cannot sign in again.
    res = requests.post(stack.url + "/api/auth/login", json={"username": "carol", "password": NEW_PASSWORD},
                        headers={"X-Requested-With": "test"})
    assert res.status_code == 401

    # The same pages in English, and the people page on a phone.
    admin.get_by_test_id("lang-switch").click()
    carol.get_by_test_id("person-enable").wait_for()
    admin.screenshot(path=SHOTS / "39-people-desktop-en.png")
    people_phone = logged_in_page(browser, stack.url, "en", **PHONE)
    people_phone.get_by_test_id("nav-people").click()
    _person(people_phone, "carol").wait_for()
    # Enabled again (a disabled person's link would not open), then a reset link for her.
    _person(people_phone, "carol").get_by_test_id("person-enable").click()
    people_phone.get_by_test_id("confirm-enable").get_by_test_id("confirm-yes").click()
    people_phone.locator("[data-testid=person][data-username=carol][data-disabled=false]").wait_for()
    _person(people_phone, "carol").get_by_test_id("person-reset").click()
    assert "session of theirs ends now" in people_phone.get_by_test_id("confirm-reset").inner_text()
    people_phone.get_by_test_id("confirm-yes").click()
    people_phone.get_by_test_id("one-time-link").wait_for()
    assert people_phone.get_by_test_id("one-time-link").get_attribute("data-purpose") == "reset"
    _fits(people_phone, PHONE["width"])
    people_phone.screenshot(path=SHOTS / "40-people-reset-phone-en.png", full_page=True)
    people_phone.get_by_test_id("lang-switch").click()
    people_phone.screenshot(path=SHOTS / "40-people-reset-phone-zh.png", full_page=True)
    # The reset link on a desktop, in English: a new password, for her.
    reset_link = people_phone.get_by_test_id("link-url").input_value()
    desk_link = fresh_page(browser, stack.url, "en", **DESK)
    desk_link.goto(reset_link)
    who = desk_link.get_by_test_id("set-password-who")
    who.wait_for()
    assert "reset" in who.inner_text() and "carol" in who.inner_text()
    desk_link.screenshot(path=SHOTS / "33-set-password-desktop-en.png")
    phone.get_by_test_id("lang-switch").click()
    phone.screenshot(path=SHOTS / "41-session-ended-phone-en.png")


def _throttle(stack, username: str, at_least: int) -> int | None:
    """Wrong passwords until the server blocks for at least `at_least` seconds; the wait, or None (no 429)."""
    wrong = {"username": username, "password": "not the password"}
    for _ in range(40):
        res = requests.post(stack.url + "/api/auth/login", json=wrong, headers={"X-Requested-With": "test"})
        if res.status_code == 429:
            wait = res.json()["error"]["params"]["wait_seconds"]
            if wait >= at_least:
                return wait
            time.sleep(wait + 0.1)
        elif res.status_code != 401:
            raise AssertionError(res.text)
    return None


def test_login_counts_down_a_throttled_sign_in(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    stack.cli("user", "create", "dave", "--password", PASSWORD, "--team", TEAM, "--role", "submitter")
    if _throttle(stack, "dave", at_least=4) is None:
        pytest.xfail("no 429 auth.throttled from POST /api/auth/login yet (the throttle is another helper's work)")
    page = fresh_page(browser, stack.url, "zh", **PHONE)
    page.fill("input[name=username]", "dave")
    page.fill("input[name=password]", "still not it")
    page.get_by_test_id("login-submit").click()
    error = page.get_by_test_id("login-error")
    error.wait_for()
    assert error.get_attribute("data-key") == "auth.throttled"
    button = page.get_by_test_id("login-submit")
    assert button.is_disabled()
    first = int(button.get_attribute("data-wait"))
    assert first >= 2 and f"{first}" in button.inner_text()
    page.screenshot(path=SHOTS / "42-login-throttled-phone-zh.png")
    wait_for(lambda: int(button.get_attribute("data-wait") or 0) < first, timeout=3)
    page.get_by_test_id("lang-switch").click()
    assert "Wait" in button.inner_text()
    page.screenshot(path=SHOTS / "43-login-throttled-phone-en.png")
    # The wait over, the message goes and the button comes back.
    wait_for(lambda: button.is_enabled(), timeout=first + 5)
    assert page.get_by_test_id("login-error").count() == 0
    desk = fresh_page(browser, stack.url, "en", **DESK)
    _throttle(stack, "dave", at_least=8)
    desk.fill("input[name=username]", "dave")
    desk.fill("input[name=password]", "nope")
    desk.get_by_test_id("login-submit").click()
    desk.get_by_test_id("login-error").wait_for()
    assert desk.get_by_test_id("login-submit").is_disabled()
    desk.screenshot(path=SHOTS / "44-login-throttled-desktop-en.png")


def test_my_account_sessions_and_sign_out_everywhere(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    stack.cli("user", "create", "erin", "--password", PASSWORD, "--team", TEAM, "--role", "auditor")
    other = fresh_page(browser, stack.url, "zh", **PHONE)  # another device of erin's
    sign_in(other, "erin", PASSWORD)
    other.evaluate("window.__sameDocument = true")
    page = fresh_page(browser, stack.url, "zh", **PHONE)
    sign_in(page, "erin", PASSWORD)
    # An auditor: the audit log, no people page, no upload.
    page.get_by_test_id("nav-audit").wait_for()
    assert page.get_by_test_id("nav-people").count() == 0 and page.get_by_test_id("dropzone").count() == 0
    page.get_by_test_id("nav-account").click()
    sessions = page.get_by_test_id("session")
    wait_for(lambda: sessions.count() == 2, timeout=10)
    assert page.locator("[data-testid=session][data-current=true]").count() == 1
    assert "本设备" in page.locator("[data-testid=session][data-current=true]").inner_text()
    assert "Chrome" in sessions.first.inner_text()
    _fits(page, PHONE["width"])
    page.screenshot(path=SHOTS / "45-account-phone-zh.png", full_page=True)

    # A wrong current password is said as such; a right one changes it (this device stays signed in).
    page.get_by_test_id("password-current").fill("wrong")
    page.get_by_test_id("password-new").fill(NEW_PASSWORD)
    page.get_by_test_id("password-again").fill(NEW_PASSWORD)
    page.get_by_test_id("password-save").click()
    assert page.get_by_test_id("password-error").inner_text() == "当前密码不正确。"
    page.get_by_test_id("password-current").fill(PASSWORD)
    page.get_by_test_id("password-save").click()
    page.get_by_test_id("password-done").wait_for()
    # The other device's session ended with the change: it lands on sign-in, told why, without a reload.
    other.get_by_test_id("login-notice").wait_for(timeout=15_000)
    assert other.evaluate("window.__sameDocument") is True
    wait_for(lambda: sessions.count() == 1, timeout=10)

    # Signing in elsewhere again, then signing out everywhere: both land on sign-in.
    sign_in(other, "erin", NEW_PASSWORD)
    page.get_by_test_id("lang-switch").click()
    page.reload()
    page.locator("[data-testid=session]").nth(1).wait_for(timeout=10_000)
    page.get_by_test_id("logout-everywhere").click()
    page.get_by_test_id("confirm-everywhere").wait_for()
    page.screenshot(path=SHOTS / "46-account-everywhere-phone-en.png", full_page=True)
    page.get_by_test_id("confirm-yes").click()
    notice = page.get_by_test_id("login-notice")
    notice.wait_for(timeout=10_000)
    assert notice.get_attribute("data-notice") == "everywhere"
    other.locator("[data-testid=login-notice][data-notice=ended]").wait_for(timeout=15_000)
    page.screenshot(path=SHOTS / "47-signed-out-everywhere-phone-en.png")

    desk = logged_in_page(browser, stack.url, "en", **DESK)
    desk.get_by_test_id("nav-account").click()
    desk.get_by_test_id("session").first.wait_for()
    desk.screenshot(path=SHOTS / "48-account-desktop-en.png")

    # The auditor's desktop board: the whole width (no upload card), export yes, nothing that changes anything.
    aud = fresh_page(browser, stack.url, "zh", **DESK)
    sign_in(aud, "erin", NEW_PASSWORD)
    aud.locator(CARD).first.wait_for(timeout=15_000)
    assert aud.get_by_test_id("dropzone").count() == 0 and aud.get_by_test_id("export").count() == 1
    assert aud.locator("section.board").bounding_box()["width"] > 1000
    aud.locator(CARD).first.get_by_test_id("pick").click()
    aud.get_by_test_id("bulk-export").wait_for()
    for hidden in ("bulk-claim", "bulk-check", "bulk-reimburse", "bulk-book", "bulk-unbook"):
        assert aud.get_by_test_id(hidden).count() == 0, hidden
    aud.screenshot(path=SHOTS / "51-auditor-board-desktop-zh.png")
    aud.get_by_test_id("nav-claims").click()
    aud.get_by_test_id("claims-view").wait_for()
    assert aud.get_by_test_id("new-claim").count() == 0


def test_audit_log_filters_pages_and_exports(stack, browser, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    http = stack.session("admin")
    if http.get(stack.url + "/api/audit").status_code == 404:
        pytest.xfail("GET /api/audit is not there yet (another helper is building it)")
    team_id = http.get(stack.url + "/api/auth/me").json()["user"]["teams"][0]["id"]
    for i in range(30):  # each makes two entries (created, its link): more than one page of 50
        res = http.post(stack.url + "/api/people", json={"username": f"p{i}", "team_id": team_id, "role": "submitter"})
        assert res.status_code == 201, res.text
    page = logged_in_page(browser, stack.url, "zh", **DESK)
    page.get_by_test_id("nav-audit").click()
    entries = page.get_by_test_id("audit-entry")
    entries.first.wait_for(timeout=10_000)
    assert entries.count() == 50  # a page; the site-wide entries (sign-ins, links) are there too
    assert page.locator("[data-testid=audit-entry][data-action='person.link_setup']").count() > 0
    page.screenshot(path=SHOTS / "49-audit-desktop-zh.png")
    page.get_by_test_id("audit-more").click()
    wait_for(lambda: entries.count() > 50, timeout=10)
    ids = [int(i) for i in entries.evaluate_all("els => els.map(e => e.dataset.id)")]
    assert ids == sorted(set(ids), reverse=True)  # older ones below, none twice
    assert page.locator("[data-testid=audit-entry][data-action='auth.login']").count() >= 1
    page.get_by_test_id("audit-action").select_option("person.created")
    actions = lambda: set(entries.evaluate_all("els => els.map(e => e.dataset.action)"))  # noqa: E731
    wait_for(lambda: actions() == {"person.created"}, timeout=10)
    assert entries.first.get_by_test_id("audit-action-text").inner_text() == "创建人员"
    ids = [int(i) for i in entries.evaluate_all("els => els.map(e => e.dataset.id)")]
    assert ids == sorted(ids, reverse=True)
    with page.expect_download() as info:
        page.get_by_test_id("audit-export").click()
    path = tmp_path / "audit.xlsx"
    info.value.save_as(path)
    assert path.read_bytes()[:2] == b"PK"  # an xlsx is a zip
    phone = logged_in_page(browser, stack.url, "en", **PHONE)
    phone.get_by_test_id("nav-audit").click()
    phone.get_by_test_id("audit-entry").first.wait_for(timeout=10_000)
    _fits(phone, PHONE["width"])
    phone.screenshot(path=SHOTS / "50-audit-phone-en.png")
    print(json.dumps({"entries": len(ids)}))
