"""Start-up time: from `streamlit run streamlit_app.py` to the first page rendered in a browser.

Starts the app headless on a free loopback port, polls /_stcore/health until the server
answers, then opens the page in headless Chromium (Playwright driving /usr/bin/chromium) and
waits until the home page's title text is on screen. Repeats a few times (a fresh server each
time) and prints the median; the last line is the figure against the goal (< 3 s).

    python bench/startup.py [--repeats 3] [--lang en]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.appserver import AppServer, launch_chromium

GOAL = 3.0


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def one_start(browser, title: str, lang: str) -> tuple[float, float]:
    """(seconds to healthy, seconds to title on screen), both from the launch."""
    with tempfile.TemporaryDirectory() as cache:
        server = AppServer(Path(cache))
        server.launch()
        try:
            healthy = server.wait_healthy(60)
            page = browser.new_page()
            page.goto(f"{server.url}/?lang={lang}", wait_until="commit")
            page.get_by_text(title, exact=True).first.wait_for(state="visible", timeout=60_000)
            rendered = time.perf_counter() - server.started_at
            page.close()
            return healthy, rendered
        finally:
            server.kill()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--lang", default="en", choices=("en", "ko"))
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from ui.i18n import t

    title = t("home.title", lang=args.lang)
    healthy, rendered = [], []
    c0 = _children_cpu()
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for i in range(args.repeats):
                h, r = one_start(browser, title, args.lang)
                healthy.append(h)
                rendered.append(r)
                print(f"start {i + 1}: server healthy after {h:.2f} s, "
                      f"home page title visible after {r:.2f} s")
        finally:
            browser.close()
    cpu = (_children_cpu() - c0) / args.repeats
    load = os.getloadavg()[0]
    print(f"streamlit server CPU per start: {cpu:.2f} s (load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"median time to healthy: {statistics.median(healthy):.2f} s")
    print(f"median time from `streamlit run` to first page rendered: {statistics.median(rendered):.2f} s "
          f"(goal < {GOAL:.0f} s)")


if __name__ == "__main__":
    main()
