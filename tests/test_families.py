"""The generator's pages as real ones are: nothing drawn off the page, a dot-matrix QR that fades."""

from __future__ import annotations

import random

import numpy as np

from backend.weights.families import Page, generate


def test_a_page_scaled_up_still_holds_what_is_drawn_at_its_edges():
    page = Page(800, 400, random.Random(1), scale=1.1)
    assert page.image.size == (880, 440)
    page.text(700, 300, "0123456789", 30)  # ends near the unscaled page's right edge
    ink = np.asarray(page.image).min(axis=2) < 128
    assert ink[:, 800:].any() and not ink[:, -2:].any()  # drawn past x = 800, and not cut at the edge


def test_a_faint_qr_is_grey_and_dotted():
    crisp, faint = Page(300, 300, random.Random(2)), Page(300, 300, random.Random(2))
    crisp.qr("01,04,1100171320,12356976,566.04,20170425,,BAA6,", 10, 10)
    faint.qr("01,04,1100171320,12356976,566.04,20170425,,BAA6,", 10, 10, faint=0.6)
    c, f = np.asarray(crisp.image).astype(int), np.asarray(faint.image).astype(int)
    assert f.min() > c.min() + 60  # a worn ribbon's grey, not black
    assert (f.sum(axis=2) < 500).sum() < (c.sum(axis=2) < 500).sum()  # dots missing


def test_the_classic_form_draws_its_editions():
    # 12-digit 普票 codes, the 校验码 under the date, and the 名 称 label spaced as each edition prints it
    codes = {len(generate("vat_normal", s, "none").truth["invoice_code"]) for s in range(12)}
    assert codes == {10, 12}
    assert all(len(generate("vat_special", s, "none").truth["invoice_code"]) == 10 for s in range(4))
