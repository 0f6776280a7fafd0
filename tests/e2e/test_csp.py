"""The app's Content-Security-Policy, enforced by a real browser: the SPA runs under it, and what an
attacker would inject (an inline script, an inline handler, a script from elsewhere) is refused and seen
in the console, where the `browser` fixture looks for refusals after every e2e test."""

from __future__ import annotations

import pytest

from .browser import CSP_REFUSAL, logged_in_page

pytestmark = pytest.mark.e2e


def test_injected_script_is_refused_and_the_refusal_is_seen(stack, browser):
    page = logged_in_page(browser, stack.url)  # the SPA works: logged in, socket online
    page.get_by_test_id("file-input").wait_for(state="attached")
    assert [m.text for m in page.console_messages() if CSP_REFUSAL in m.text] == []  # nothing of its own refused
    assert "frame-ancestors 'none'" in page.evaluate(
        "fetch('/').then(r => r.headers.get('content-security-policy'))")
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inline = 1';
        document.body.appendChild(s);
        document.body.insertAdjacentHTML('beforeend', '<img src="/nowhere.png" onerror="window.__handler = 1">');
        const far = document.createElement('script');
        far.src = 'https://cdn.example.com/x.js';
        document.body.appendChild(far);
    }""")
    page.wait_for_timeout(500)
    assert page.evaluate("[window.__inline, window.__handler]") == [None, None]
    refused = [m.text for m in page.console_messages() if CSP_REFUSAL in m.text]
    assert len(refused) >= 3, refused
    assert any("script-src" in m for m in refused)
    page.clear_console_messages()  # these were meant: the fixture's check is for the app's own
