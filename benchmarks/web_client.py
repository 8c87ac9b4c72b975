"""Benchmark: the web client's initial JavaScript and time to a rendered dashboard.

Run from the repository root after ``make web``::

    .venv/bin/python benchmarks/web_client.py [--firms N] [--runs 5]

It serves the built client (``frontend/dist``) from a real platform on a fresh SQLite
database seeded with the demo book (``smecredit demo seed``; ``--firms 0`` loads only the
small sample of ``fixtures/demo``), then, in headless Debian Chromium:

(a) opens ``/signin`` in a fresh browser and sums the gzip size of every script it loaded
    until the form showed (the sign-in route's initial JavaScript);
(b) signs in as the loan officer, then loads ``/`` afresh ``--runs`` times and measures the
    time from navigation to the rendered chart, and the gzip size of the scripts loaded
    before the chart's own chunk (the dashboard route's initial JavaScript) and with it.

Targets of issue 14: initial JS <= 350 KB gzip; dashboard rendered <= 2 s. Prints them.
Without Chromium or a build it says so and exits 0 (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import DESKTOP, DIST, USERS, _chromium, _unavailable, serve_platform  # noqa: E402

TARGET_KB = 350
TARGET_SECONDS = 2.0


def _gzip_kb(paths: list[str]) -> float:
    total = 0
    for path in paths:
        file = DIST / urlsplit(path).path.lstrip("/")
        total += len(gzip.compress(file.read_bytes(), compresslevel=9))
    return total / 1024


def _scripts(page: Any) -> list[str]:
    scripts: list[str] = []
    page.on(
        "response",
        lambda r: scripts.append(r.url) if r.request.resource_type == "script" else None,
    )
    return scripts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=2000, help="demo firms (0: the sample)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    missing = _unavailable()
    if missing:
        print(f"web client benchmark skipped: {missing}")
        return 0
    from playwright.sync_api import sync_playwright

    seed = ("--fixtures-only",) if args.firms == 0 else ("--firms", str(args.firms))
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_platform(Path(tmp), seed=seed) as served,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        page = context.new_page()
        scripts = _scripts(page)
        page.goto(served.url + "/signin")
        page.locator("#signin_username").wait_for()
        signin_kb = _gzip_kb(scripts)
        officer = USERS["officer.hz"]
        page.locator("#signin_username").fill(officer["username"])
        page.locator("#signin_password").fill(officer["password"])
        page.locator("form#signin button[type=submit]").click()
        page.locator("[data-testid=class-chart] canvas").wait_for(timeout=30_000)
        times: list[float] = []
        before_chart = with_chart = 0.0
        for _ in range(args.runs):
            fresh = context.new_page()
            loaded = _scripts(fresh)
            # A cold cache each time: what a first visit downloads and parses.
            cdp = context.new_cdp_session(fresh)
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            start = time.perf_counter()
            fresh.goto(served.url + "/")
            fresh.locator("[data-testid=class-chart] canvas").wait_for(timeout=30_000)
            times.append(time.perf_counter() - start)
            before_chart = _gzip_kb([u for u in loaded if "/EChart-" not in u])
            with_chart = _gzip_kb(loaded)
            fresh.close()
        browser.close()
    median = statistics.median(times)
    print(f"sign-in route initial JS: {signin_kb:.1f} KB gzip (target <= {TARGET_KB})")
    print(
        f"dashboard route initial JS: {before_chart:.1f} KB gzip before the chart chunk, "
        f"{with_chart:.1f} KB with it (target <= {TARGET_KB})"
    )
    print(
        f"navigation to rendered dashboard ({args.runs} cold loads, "
        f"{'sample' if args.firms == 0 else f'{args.firms} firms'}): median {median:.2f} s, "
        f"max {max(times):.2f} s (target <= {TARGET_SECONDS} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
