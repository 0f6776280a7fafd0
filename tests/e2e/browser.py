"""Debian's chromium, driven by Playwright (no browser is ever downloaded), and a logged-in page."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..procs import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).parent / "screenshots"
ADMIN_PASSWORD = PASSWORD  # so Stack.session("admin") can log in too
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def logged_in_page(browser, url: str, lang: str = "zh", width: int = 390, height: int = 844):
    """A phone-sized page, logged in as admin, in the given UI language, connected."""
    page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=2,
                            locale="en-US" if lang == "en" else "zh-CN")
    page.goto(url)
    page.evaluate(f"localStorage.setItem('fapiao.lang', '{lang}')")
    page.reload()
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in" if lang == "en" else "登录").click()
    page.locator("[data-testid=connection][data-state=online]").wait_for()
    return page


def fresh_page(browser, url: str, lang: str = "zh", width: int = 390, height: int = 844, path: str = "/"):
    """A page in a browser context of its own (its own cookies: another person, another device), at this size and
    UI language, opened at `url + path`, not signed in."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  locale="en-US" if lang == "en" else "zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(url)
    page.evaluate(f"localStorage.setItem('fapiao.lang', '{lang}')")
    page.goto(url + path)
    return page


def sign_in(page, username: str, password: str, lang: str = "zh") -> None:
    """Sign in on the page's login form and wait until its socket is connected."""
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in" if lang == "en" else "登录").click()
    page.locator("[data-testid=connection][data-state=online]").wait_for()


CSP_REFUSAL = "Content Security Policy"  # how chromium's console words every refusal of the policy


def csp_violations(browser) -> list[str]:
    """What the app's Content-Security-Policy refused on any open page of this browser (from the console)."""
    return [f"{page.url}: {m.text}" for context in browser.contexts for page in context.pages
            for m in page.console_messages() if CSP_REFUSAL in m.text]
