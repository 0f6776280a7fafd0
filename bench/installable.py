"""What chromium says about installing the app (Lighthouse 12 dropped its PWA category): over CDP, in a normal
(not off-the-record) profile of Debian's chromium, the installability errors, the manifest's parse errors, and
whether a service worker controls the page. Used by bench/lighthouse.sh: python -m bench.installable URL."""

from __future__ import annotations

import json
import sys
import tempfile

from playwright.sync_api import sync_playwright

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS


def check(url: str) -> dict:
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                        args=CHROMIUM_ARGS)
        page = context.new_page()
        page.goto(url)
        page.evaluate("() => navigator.serviceWorker.ready")  # installed and active (or this waits: a finding)
        page.wait_for_timeout(500)  # clients.claim() after activation
        controlled = page.evaluate("() => navigator.serviceWorker.controller !== null")
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        manifest = cdp.send("Page.getAppManifest")
        context.close()
    return {"installability_errors": [e["errorId"] for e in errors], "manifest_url": manifest["url"],
            "manifest_errors": manifest["errors"], "service_worker_controls_page": controlled}


if __name__ == "__main__":
    print(json.dumps(check(sys.argv[1])))
