"""One file, many invoices, end to end in headless Debian chromium: a person uploads a PDF of several invoices; on a
second person's board the invoices appear and are read one by one, live; the uploader's row says how many the file
held. The bundle is made of the dev set's e-invoice PDFs (../shared/datasets/invoices-dev, kept out of git): the
test skips, with the reason, without it.
"""

from __future__ import annotations

import time

import pytest

from backend.services.users import DEFAULT_TEAM

from ..bundles import DEV, dev_bytes, dev_labels, join
from ..procs import PASSWORD, wait_for
from .browser import SHOTS, fresh_page, logged_in_page, sign_in

pytestmark = pytest.mark.e2e

PDFS = [row for row in dev_labels("pdf") if row["invoice_key"]]
PAGES = 6
CARDS = "[data-testid=invoice-card]"
UNREAD = ":is([data-status=received],[data-status=processing])"


@pytest.mark.skipif(len(PDFS) < PAGES, reason=f"dev data set not found at {DEV}")
def test_a_bundle_appears_invoice_by_invoice_on_another_board(stack, browser, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    stack.cli("user", "create", "bob", "--password", PASSWORD, "--team", DEFAULT_TEAM)
    bundle = tmp_path / "货拉拉-6张.pdf"
    bundle.write_bytes(join(*(dev_bytes(row) for row in PDFS[:PAGES])))

    watcher = fresh_page(browser, stack.url, "zh")
    sign_in(watcher, "bob", PASSWORD)
    watcher.evaluate("window.__sameDocument = true")
    uploader = logged_in_page(browser, stack.url, "zh")
    uploader.get_by_test_id("file-input").set_input_files([str(bundle)])

    # Watch the other board: how many cards there are and how many are read, sampled until all six are read.
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        cards = watcher.locator(CARDS).count()
        read = cards - watcher.locator(CARDS + UNREAD).count()
        if not seen or seen[-1] != (cards, read):
            seen.append((cards, read))
        if cards == PAGES and read == PAGES:
            break
        time.sleep(0.02)
    assert seen[-1] == (PAGES, PAGES), seen
    # One by one: the board showed the bundle's invoices read part way (not all at once, nor only after a reload).
    assert len({read for _, read in seen if 0 < read < PAGES}) >= 2, seen
    assert watcher.evaluate("window.__sameDocument") is True
    watcher.screenshot(path=SHOTS / "bundle-01-watcher-board.png", full_page=True)

    note = uploader.get_by_test_id("upload-parts")
    note.wait_for(timeout=10_000)
    assert note.inner_text() == f"此文件含 {PAGES} 张发票"
    uploader.screenshot(path=SHOTS / "bundle-02-uploader-row.png", full_page=True)

    # Each is an invoice of its own, its page of the one file; the board's keys are the bundle's, page by page.
    http = stack.session("bob")
    items = wait_for(lambda: [i for i in http.get(stack.url + "/api/invoices").json()["items"]
                              if i["original_name"] == bundle.name and i["key"]], timeout=30)
    by_page = sorted(items, key=lambda i: i["pages"][0])
    assert [i["key"] for i in by_page] == [row["invoice_key"] for row in PDFS[:PAGES]]
    assert len({i["file"]["sha256"] for i in by_page}) == 1

    # The third invoice's page says which page of the file it is, and previews that page.
    third = by_page[2]
    watcher.goto(f"{stack.url}/#/invoice/{third['id']}")
    label = watcher.get_by_test_id("part-of-file")
    label.wait_for(timeout=10_000)
    assert label.inner_text().strip() == "· 第 3 页"
    preview = http.get(f"{stack.url}/api/invoices/{third['id']}/preview")
    assert preview.status_code == 200
    assert preview.content != http.get(f"{stack.url}/api/invoices/{by_page[1]['id']}/preview").content
    watcher.screenshot(path=SHOTS / "bundle-03-third-invoice.png", full_page=True)
