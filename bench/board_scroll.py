"""Scrolling the board's table through 10k+ invoices in Debian's chromium, against a plain list of the same rows.

    python -m bench.board_scroll [--rows 12000] [--frames 240]

Starts the real stack (`fapiao run`) in a temporary directory, seeds N read invoices (tests/e2e/seed.py, no
OCR), opens the desktop table (1366×900) and scrolls its body 4 rows a frame, then jumps to the end. It
prints the frame intervals (median, p95, worst) while scrolling, the most rows in the DOM at once, and how
long the rows at the end took to appear (pages load by offset as they come into view). The baseline is the
obvious way: the same row markup, all N rows in the DOM, in a scroll box of the same size, scrolled the same.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.browser import ADMIN_PASSWORD, CHROMIUM, CHROMIUM_ARGS
from tests.procs import REPO, Stack

# Scroll `el` by `step` px a frame for `frames` frames; the interval between frames, and the most rows shown.
SCROLL_JS = """async ([selector, step, frames]) => {
  const el = document.querySelector(selector);
  const gaps = [];
  let most = 0, last = performance.now();
  for (let i = 0; i < frames; i++) {
    el.scrollTop += step;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    gaps.push(now - last);
    last = now;
    most = Math.max(most, document.querySelectorAll(selector + ' [role=row]').length);
  }
  return { gaps, most };
}"""

# The baseline: every row in the DOM (cloned from a rendered one), in a box the size of the table body.
BASELINE_JS = """(n) => {
  const row = document.querySelector('[data-testid=invoice-row]');
  const body = document.querySelector('.table-body');
  const box = document.createElement('div');
  box.id = 'baseline';
  box.style.cssText = `height:${body.clientHeight}px;overflow-y:auto;position:fixed;inset:0 0 auto 0;background:#fff`;
  box.className = 'table';
  const started = performance.now();
  const html = row.outerHTML.replace(/style="[^"]*"/, '');
  box.innerHTML = html.repeat(n);
  document.body.appendChild(box);
  box.getBoundingClientRect();  // force layout: what the browser pays to show the list at all
  return performance.now() - started;
}"""


def _stats(gaps: list[float]) -> str:
    gaps = sorted(gaps[2:])  # the first frames include the effect set-up
    p95 = gaps[int(len(gaps) * 0.95) - 1]
    return f"median {statistics.median(gaps):5.1f} ms  p95 {p95:5.1f} ms  worst {gaps[-1]:6.1f} ms"


def _seed(stack: Stack, rows: int) -> float:
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "tests.e2e.seed", "默认团队", "admin", str(max(0, rows - 12))],
                         env=stack.env, cwd=REPO, capture_output=True, text=True, timeout=3600)
    assert out.returncode == 0, out.stderr
    json.loads(out.stdout)
    return time.monotonic() - started


def run(rows: int, frames: int) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), FAPIAO_ADMIN_PASSWORD=ADMIN_PASSWORD)
        stack.start("run", "run")
        try:
            stack.wait_http(timeout=60)
            print(f"seeded {rows} invoices in {_seed(stack, rows):.1f} s")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="en-US")
                page.goto(stack.url)
                page.evaluate("localStorage.setItem('fapiao.lang', 'en')")
                page.goto(stack.url + "/#/?view=table")
                page.reload()  # the language is read at start
                page.fill("input[name=username]", "admin")
                page.fill("input[name=password]", ADMIN_PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.locator("[data-testid=total]", has_text=f"{rows} in all").wait_for(timeout=60_000)
                page.locator("[data-testid=invoice-row]").first.wait_for()

                virtual = page.evaluate(SCROLL_JS, [".table-body", 4 * 44, frames])
                started = time.monotonic()
                page.evaluate("document.querySelector('.table-body').scrollTop = 1e9")
                page.locator(f"[data-testid=invoice-row][aria-rowindex='{rows + 1}']").wait_for(timeout=60_000)
                to_end = time.monotonic() - started

                built = page.evaluate(BASELINE_JS, rows)
                plain = page.evaluate(SCROLL_JS, ["#baseline", 4 * 44, frames])
                browser.close()
        finally:
            stack.close()
    print(f"virtual table: {_stats(virtual['gaps'])}  rows in DOM ≤ {virtual['most']}")
    print(f"all rows (baseline): {_stats(plain['gaps'])}  rows in DOM {rows}, built in {built:.0f} ms")
    ratio = statistics.median(sorted(plain["gaps"][2:])) / statistics.median(sorted(virtual["gaps"][2:]))
    print(f"median frame ratio baseline/virtual: {ratio:.2f}×; jump to row {rows}: shown in {to_end * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=12_000)
    parser.add_argument("--frames", type=int, default=240)
    args = parser.parse_args()
    run(args.rows, args.frames)


if __name__ == "__main__":
    main()
