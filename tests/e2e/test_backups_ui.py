"""The backups page end to end, in Debian's chromium against the real processes.

With a passphrase set: the site admin opens Backups (nothing yet, due now, what is kept and where), presses
"Back up now" and sees it queued — the page asking every 3 s while it waits; the scheduler process, started
then, runs it, and the page, without a reload, shows it finished in the viewer's own time zone, its size and
"verified" — and stops asking. A backup that cannot be written shows why, in each language; leaving the page
stops its polling. A team admin (not a site admin) has no Backups tab, and the page and the API refuse them.
Without a key: the page says how to set one up and offers no button; the server's 409 shows translated.
Screenshots at 360×780 and 1366×900 in Chinese and English go to tests/e2e/screenshots/ (60-…).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import requests

from .. import media
from ..procs import PASSWORD, Stack, wait_for
from .browser import SHOTS, sign_in

pytestmark = pytest.mark.e2e

TEAM = "默认团队"
PHONE = {"width": 360, "height": 780}
DESK = {"width": 1366, "height": 900}
SHANGHAI, NEW_YORK = "Asia/Shanghai", "America/New_York"
LISTING = "/api/backups?limit="
KEPT_ZH = "最新的 7 个，且不超过 30 天；最新的一个完好备份始终保留"


@pytest.fixture
def backed(tmp_path):
    """`fapiao serve` alone (the scheduler starts when the test says) with a backup passphrase, a backup dir of
    its own, the site admin `admin`, a team admin `bob`, and three uploaded photos (stored, not yet read: no
    worker) to back up."""
    s = Stack(tmp_path, FAPIAO_BACKUP_PASSPHRASE="e2e backup passphrase", FAPIAO_BACKUP_DIR=str(tmp_path / "backups"),
              FAPIAO_SYNC_TICK_SECONDS="0.5")
    s.cli("db", "upgrade")
    s.cli("user", "create", "admin", "--password", PASSWORD, "--admin", "--team", TEAM, "--role", "admin")
    s.cli("user", "create", "bob", "--password", PASSWORD, "--team", TEAM, "--role", "admin")
    s.start("web", "serve")
    s.wait_http(timeout=60)
    photos = [("files", (f"receipt-{i}.jpg", media.jpeg(text=f"FAPIAO {i}"))) for i in range(3)]
    res = s.session("admin").post(s.url + "/api/uploads", files=photos)
    assert res.status_code == 200, res.text
    yield s
    s.close()


def _page(browser, stack, lang: str, size: dict, tz: str, username: str = "admin"):
    """Signed in, in a browser context of its own, in this UI language and time zone."""
    context = browser.new_context(viewport=size, device_scale_factor=1, timezone_id=tz,
                                  locale="en-US" if lang == "en" else "zh-CN")
    page = context.new_page()
    page.goto(stack.url)
    page.evaluate(f"localStorage.setItem('fapiao.lang', '{lang}')")
    page.reload()
    sign_in(page, username, PASSWORD, lang)
    return page


def _listings(page) -> list[str]:
    """Every GET of the backups listing this page makes, from now on."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if LISTING in r.url and r.method == "GET" else None)
    return seen


def _open(page) -> None:
    page.get_by_test_id("nav-backups").click()
    page.get_by_test_id("backups").wait_for()
    page.get_by_test_id("backup-setup").wait_for()


def _fits(page, width: int) -> None:
    """No sideways scrolling, and nothing in the page sticking out of it or cut off inside a box."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    bad = page.evaluate("""() => {
        const root = document.querySelector('[data-testid=backups]');
        const box = root.getBoundingClientRect();
        return [...root.querySelectorAll('*')].filter((e) => {
            const b = e.getBoundingClientRect();
            const cut = ['hidden', 'clip'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1;
            return b.width > 0 && (b.right > box.right + 0.5 || b.left < box.left - 0.5 || cut);
        }).map((e) => e.outerHTML.slice(0, 120));
    }""")
    assert bad == [], bad


def _local(iso: str, tz: str) -> str:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _finished(page) -> str:
    return page.get_by_test_id("backup-last-finished").locator("time").inner_text()


def _bytes(text: str) -> float:
    m = re.fullmatch(r"([\d.,]+) (B|KB|MB|GB)", text)
    assert m, text
    return float(m[1].replace(",", "")) * 1024 ** ["B", "KB", "MB", "GB"].index(m[2])


def _last_is(page, stack, status: str, timeout: float = 60_000) -> None:
    """Wait until the page shows the last backup with this status; if it never does, say what the scheduler did."""
    try:
        page.locator(f"[data-testid=backup-last][data-status={status}]").wait_for(timeout=timeout)
    except Exception as exc:
        shown = page.get_by_test_id("backup-last").get_attribute("data-status")
        raise AssertionError(f"shown {shown}, not {status}; scheduler log:\n{stack.log('scheduler')[-3000:]}") from exc


def _shoot(page, name: str) -> None:
    page.screenshot(path=SHOTS / name, full_page=True)


def test_admin_backs_up_now_and_watches_it_queued_run_and_verified(backed, browser):
    SHOTS.mkdir(exist_ok=True)
    http = backed.session("admin")
    page = _page(browser, backed, "zh", PHONE, SHANGHAI)
    _open(page)
    # Nothing yet: no backup, the first one due now, what is kept, where, under which key.
    page.get_by_test_id("backup-none").wait_for()
    assert page.get_by_test_id("backup-unconfigured").count() == 0
    assert "现在" in page.get_by_test_id("backup-next").inner_text()
    assert page.get_by_test_id("backup-interval").inner_text() == "每天一次（每 24 小时）"
    assert page.get_by_test_id("backup-retention").inner_text() == KEPT_ZH
    assert page.get_by_test_id("backup-dir").inner_text() == str(backed.data.parent / "backups")
    assert "口令" in page.get_by_test_id("backup-key").inner_text()
    _fits(page, PHONE["width"])
    _shoot(page, "60-backups-empty-phone-zh.png")

    # Back up now: queued (nothing runs it yet: no scheduler), the button off, the page asking every 3 s.
    seen = _listings(page)
    now = page.get_by_test_id("backup-now")
    now.click()
    progress = page.locator("[data-testid=backup-progress][data-state=queued]")
    progress.wait_for()
    assert "由 admin 请求" in progress.inner_text()
    wait_for(lambda: now.is_disabled(), timeout=5)
    page.locator("[data-testid=backup-record][data-status=queued]").wait_for()
    _fits(page, PHONE["width"])
    _shoot(page, "61-backups-queued-phone-zh.png")
    page.wait_for_timeout(6600)  # (not time.sleep: Playwright delivers the request events while it waits)
    assert len(seen) >= 3, seen  # the answer to the click, then one every 3 s
    assert now.is_disabled()

    # The scheduler process runs it; the page shows it finished, its size and verified, without a reload.
    backed.start("scheduler", "scheduler")
    _last_is(page, backed, "verified")
    assert page.get_by_test_id("backup-progress").count() == 0
    wait_for(lambda: now.is_enabled(), timeout=5)
    record = http.get(backed.url + "/api/backups").json()["last"]
    assert record["state"] == "done" and record["verified"] and record["trigger"] == "manual"
    assert _finished(page) == _local(record["finished_at"], SHANGHAI)
    size = page.get_by_test_id("backup-last-size").inner_text()
    assert abs(_bytes(size) - record["size"]) <= 0.05 * record["size"], (size, record["size"])
    assert page.get_by_test_id("backup-last-verified").inner_text() == "已校验"
    assert page.get_by_test_id("backup-last-file").inner_text() == record["file"]
    rows = page.get_by_test_id("backup-record")
    assert rows.count() == 1 and rows.first.get_attribute("data-status") == "verified"
    assert "由 admin 请求" in rows.first.inner_text()
    assert "小时后" in page.get_by_test_id("backup-next").inner_text()  # the next scheduled one: a day after this
    # Nothing left to wait for: no more asking.
    asked = len(seen)
    page.wait_for_timeout(6600)  # (not time.sleep: Playwright delivers the request events while it waits)
    assert len(seen) == asked, seen[asked:]
    _fits(page, PHONE["width"])
    _shoot(page, "62-backups-done-phone-zh.png")
    page.get_by_test_id("lang-switch").click()
    assert page.get_by_test_id("backup-last-verified").inner_text() == "Verified"
    assert "Asked for by admin" in rows.first.inner_text()
    _fits(page, PHONE["width"])
    _shoot(page, "62-backups-done-phone-en.png")

    # A desktop in New York: the same backup in its own local time.
    desk = _page(browser, backed, "en", DESK, NEW_YORK)
    _open(desk)
    desk.locator("[data-testid=backup-last][data-status=verified]").wait_for()
    assert _finished(desk) == _local(record["finished_at"], NEW_YORK)
    assert desk.get_by_test_id("backup-history").locator("thead").is_visible()  # a table here, stacked on a phone
    _fits(desk, DESK["width"])
    _shoot(desk, "63-backups-desktop-en.png")
    desk.get_by_test_id("lang-switch").click()
    _fits(desk, DESK["width"])
    _shoot(desk, "63-backups-desktop-zh.png")

    # The backup dir cannot be made (a file is in its place): the next one fails, and the page says why.
    backups = backed.data.parent / "backups"
    backups.rename(backed.data.parent / "backups-moved")
    backups.write_text("not a directory")
    desk.get_by_test_id("backup-now").click()
    _last_is(desk, backed, "failed")
    failed = http.get(backed.url + "/api/backups").json()["last"]
    assert failed["error"]["key"].startswith("backup.")
    error = desk.get_by_test_id("backup-last-error").inner_text()
    assert str(backups) in error and failed["error"]["key"] not in error  # in words, not the key
    assert desk.get_by_test_id("backup-record").first.get_attribute("data-status") == "failed"
    _fits(desk, DESK["width"])
    _shoot(desk, "64-backups-failed-desktop-zh.png")
    desk.get_by_test_id("lang-switch").click()
    error_en = desk.get_by_test_id("backup-last-error").inner_text()
    assert error_en != error and str(backups) in error_en
    _fits(desk, DESK["width"])
    _shoot(desk, "64-backups-failed-desktop-en.png")
    page.reload()
    page.locator("[data-testid=backup-last][data-status=failed]").wait_for(timeout=15_000)
    tab = page.get_by_test_id("nav-backups").bounding_box()  # the last tab, scrolled into sight after a reload
    assert tab["x"] >= 0 and tab["x"] + tab["width"] <= PHONE["width"] + 0.5, tab
    _fits(page, PHONE["width"])
    _shoot(page, "65-backups-failed-phone-en.png")

    # Leaving the page stops its asking, even with one waiting (the scheduler stopped: it stays queued).
    backed.stop("scheduler")
    backups.unlink()
    page.get_by_test_id("backup-now").click()
    page.locator("[data-testid=backup-progress][data-state=queued]").wait_for()
    page.get_by_test_id("nav-board").click()
    page.get_by_test_id("backups").wait_for(state="detached")
    asked = len(seen)
    page.wait_for_timeout(6600)  # (not time.sleep: Playwright delivers the request events while it waits)
    assert len(seen) == asked, seen[asked:]


def test_a_team_admin_sees_no_backups_and_is_refused(backed, browser):
    page = _page(browser, backed, "zh", PHONE, SHANGHAI, username="bob")
    page.get_by_test_id("nav-people").wait_for()  # a team admin: people, audit — not backups
    assert page.get_by_test_id("nav-audit").count() == 1
    assert page.get_by_test_id("nav-backups").count() == 0
    page.goto(backed.url + "/#/backups")
    page.locator("[data-testid=connection][data-state=online]").wait_for()
    page.locator("section.board").wait_for()
    assert page.get_by_test_id("backups").count() == 0
    bob = backed.session("bob")
    assert bob.get(backed.url + "/api/backups").status_code == 403
    assert bob.post(backed.url + "/api/backups").status_code == 403
    assert requests.get(backed.url + "/api/backups").status_code == 401


def test_without_a_key_the_page_says_how_to_set_one_up(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    for lang, size, name in (("zh", PHONE, "phone"), ("en", PHONE, "phone"), ("zh", DESK, "desktop"),
                             ("en", DESK, "desktop")):
        page = _page(browser, stack, lang, size, SHANGHAI)
        _open(page)
        off = page.get_by_test_id("backup-unconfigured")
        off.wait_for()
        text = off.inner_text()
        for needed in ("FAPIAO_BACKUP_PASSPHRASE", "FAPIAO_BACKUP_KEY_FILE", "fapiao backup keygen"):
            assert needed in text, needed
        assert ("备份未启用" if lang == "zh" else "Backups are off") in text
        assert page.get_by_test_id("backup-now").is_disabled()
        assert page.get_by_test_id("backup-next").inner_text() == "—"
        assert page.get_by_test_id("backup-interval").inner_text().startswith("未启用" if lang == "zh" else "Off")
        assert page.get_by_test_id("backup-key").inner_text() == ("未设置" if lang == "zh" else "Not set")
        page.get_by_test_id("backup-empty").wait_for()
        _fits(page, size["width"])
        _shoot(page, f"66-backups-off-{name}-{lang}.png")
    # A page that still offered the button (say, the key was removed since it loaded): the server's 409 in words.
    page.evaluate("document.querySelector('[data-testid=backup-now]').disabled = false")
    page.get_by_test_id("backup-now").click()
    error = page.get_by_test_id("backup-error")
    error.wait_for()
    assert error.inner_text() == "No backup key is set: set FAPIAO_BACKUP_PASSPHRASE or FAPIAO_BACKUP_KEY_FILE."
    page.get_by_test_id("lang-switch").click()
    assert error.inner_text() == "未设置备份密钥：请设置 FAPIAO_BACKUP_PASSPHRASE 或 FAPIAO_BACKUP_KEY_FILE。"
