"""Both languages fit: every screen at 360×780 (a small phone) and 1366×900 (a laptop), in Chinese and English.

On each: the page never scrolls sideways (document.scrollingElement.scrollWidth <= innerWidth), no visible
element reaches past the viewport's right edge (one inside a box that scrolls sideways on purpose, such as
the board table, counts where its box is), every navigation tab is in sight without scrolling, and
axe-core (the frontend's dev dependency, injected from node_modules) finds no serious or critical violation.
A screenshot of each goes to tests/e2e/screenshots/ (gitignored: ~50 full-page PNGs a run).
English lists are written with ", ", never "、".
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .. import media
from ..procs import REPO, wait_for
from .browser import ADMIN_PASSWORD, SHOTS

pytestmark = pytest.mark.e2e

AXE = REPO / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
TEAM = "默认团队"
SIZES = ((360, 780), (1366, 900))
LONG_NAME = "IMG_20260112_" + "出差报销北京上海往返高铁票及住宿发票扫描件" * 3 + ".jpg"

# Elements past the right edge: visible, not inside a box that clips or scrolls them on purpose.
OVERFLOW = """() => {
  const width = window.innerWidth;
  // The nearest box that clips sideways: one that scrolls is fine while it is itself on screen; one that hides
  // cuts the element off (a chip clipped), unless it truncates on purpose with an ellipsis.
  const verdict = (el, r) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll'].includes(s.overflowX)) return p.getBoundingClientRect().right <= width + 1 ? 'ok' : 'past';
      if (['hidden', 'clip'].includes(s.overflowX)) {
        if (s.textOverflow === 'ellipsis' || getComputedStyle(el).textOverflow === 'ellipsis') return 'ok';
        return r.right > p.getBoundingClientRect().right + 1 ? 'clipped' : 'ok';
      }
    }
    return r.right > width + 1 ? 'past' : 'ok';
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.position === 'fixed' && r.left >= width) continue;
    if (el.closest('.sr-only, .viewport')) continue;  // read aloud only; the page viewer pans on purpose
    const v = verdict(el, r);
    const name = `${el.tagName.toLowerCase()}.${el.className}[${el.getAttribute('data-testid') || ''}]`;
    if (v !== 'ok') out.push(`${v}: ${name} right=${Math.round(r.right)}`);
  }
  return out.slice(0, 10);
}"""

# Navigation tabs out of sight: past either edge of the viewport, or in a row that would have to scroll.
NAV_HIDDEN = """() => {
  const nav = document.querySelector('.mainnav');
  if (!nav) return [];
  const out = [...nav.querySelectorAll('a')].filter((a) => {
    const r = a.getBoundingClientRect();
    return r.left < -0.5 || r.right > window.innerWidth + 0.5;
  }).map((a) => a.dataset.testid);
  if (nav.scrollWidth > nav.clientWidth + 1) out.push(`nav scrolls (${nav.scrollWidth} > ${nav.clientWidth})`);
  return out;
}"""

AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}"""


def _context(browser, lang: str, size: tuple[int, int]):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1,
                                  locale="en-US" if lang == "en" else "zh-CN", bypass_csp=True)  # axe is injected
    page = context.new_page()
    return context, page


def _check(page, name: str, problems: list[str]) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    scroll = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if scroll[0] > scroll[1]:
        problems.append(f"{name}: scrolls sideways ({scroll[0]} > {scroll[1]})")
    hidden = page.evaluate(NAV_HIDDEN)
    if hidden:
        problems.append(f"{name}: navigation out of sight: {hidden}")
    past = page.evaluate(OVERFLOW)
    if past:
        problems.append(f"{name}: past the right edge: {past}")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN)
    if violations:
        problems.append(f"{name}: axe: {violations}")
    if name.split("-")[1] == "en" and "、" in page.inner_text("body"):
        problems.append(f"{name}: '、' in English")


def _seed(stack) -> list[int]:
    out = subprocess.run([sys.executable, "-m", "tests.e2e.seed", TEAM, "admin"], env=stack.env, cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _upload_row(page, name: str, problems: list[str]) -> None:
    """The upload queue with a long file name waiting for the network (offline: nothing reaches the server):
    the name stays on one line, cut with an ellipsis, never one character per line."""
    page.goto(f"{page.url.split('#')[0]}#/")
    page.locator("[data-testid=connection][data-state=online]").wait_for()
    page.context.set_offline(True)
    page.get_by_test_id("file-input").set_input_files(
        [{"name": LONG_NAME, "mimeType": "image/jpeg", "buffer": media.jpeg()}])
    row = page.locator("[data-testid=upload-row][data-phase=waiting_online]")
    row.wait_for(timeout=10_000)
    lines = row.get_by_test_id("upload-name").evaluate(
        "(el) => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).fontSize)")
    if lines >= 2:  # one line is ~1.2–1.5 em tall
        problems.append(f"{name}: the file name wraps ({lines:.1f} em tall)")
    _check(page, name, problems)  # the context is closed offline: the queued file is never sent


@pytest.mark.skipif(not AXE.is_file(), reason="axe-core is not installed (make install: npm ci)")
def test_every_screen_fits_at_360_and_1366_in_both_languages_and_passes_axe(stack, browser):
    SHOTS.mkdir(exist_ok=True)
    ids = _seed(stack)
    http = stack.session("admin")
    res = http.post(f"{stack.url}/api/uploads", files={"files": (LONG_NAME, media.landscape())})
    photo = res.json()["results"][0]["invoice"]["id"]
    wait_for(lambda: http.get(f"{stack.url}/api/invoices/{photo}").json()["invoice"]["status"] == "needs_review",
             timeout=120)
    claim = http.post(f"{stack.url}/api/claims", json={"purpose": "北京出差 Beijing trip", "invoice_ids": ids[:3]})
    assert claim.status_code in (200, 201), claim.text
    claim_id = claim.json()["claim"]["id"]
    screens = [("board", "#/", "section.board"), ("table", "#/?view=table", "section.board"),
               ("invoice", f"#/invoice/{ids[6]}", "[data-testid=invoice-detail]"),
               ("not-invoice", f"#/invoice/{photo}", "[data-testid=invoice-detail]"),
               ("claims", "#/claims", "[data-testid=claims-view]"),
               ("claim", f"#/claims/{claim_id}", "[data-testid=claim-detail]"),
               ("dashboard", "#/dashboard", "[data-testid=dashboard]"),
               ("settings", "#/settings", "[data-testid=settings]"), ("people", "#/people", "[data-testid=people]"),
               ("audit", "#/audit", "[data-testid=audit]"), ("backups", "#/backups", "[data-testid=backups]"),
               ("account", "#/account", "[data-testid=account]")]
    problems: list[str] = []
    for lang in ("zh", "en"):
        for size in SIZES:
            context, page = _context(browser, lang, size)
            page.goto(stack.url)
            page.evaluate(f"localStorage.setItem('fapiao.lang', '{lang}')")
            page.goto(stack.url + "/")
            page.locator("input[name=username]").wait_for()
            _check(page, f"70-{lang}-{size[0]}-login", problems)
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.get_by_role("button", name="Log in" if lang == "en" else "登录").click()
            page.locator("[data-testid=connection][data-state=online]").wait_for()
            for n, (name, hash_, ready) in enumerate(screens):
                page.goto(f"{stack.url}/{hash_}")
                page.locator(ready).first.wait_for()
                page.wait_for_load_state("networkidle")
                _check(page, f"{71 + n}-{lang}-{size[0]}-{name}", problems)
            _upload_row(page, f"{71 + len(screens)}-{lang}-{size[0]}-upload", problems)
            context.close()
    assert problems == [], "\n".join(problems)
