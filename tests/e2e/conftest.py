"""The browser every end-to-end test drives."""

from __future__ import annotations

import os

import pytest

from ..procs import Stack
from .browser import ADMIN_PASSWORD, CHROMIUM, CHROMIUM_ARGS, csp_violations


@pytest.fixture
def browser():
    """Chromium; after the test, no page may have had anything refused by the app's CSP."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        refused = csp_violations(b)
        b.close()
        assert refused == [], refused


@pytest.fixture
def stack(tmp_path):
    """`fapiao run` on its embedded defaults, its admin's password known."""
    s = Stack(tmp_path, FAPIAO_ADMIN_PASSWORD=ADMIN_PASSWORD)
    s.start("run", "run")
    s.wait_http(timeout=60)
    yield s
    s.close()
