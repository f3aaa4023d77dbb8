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
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
GOAL = 3.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wait_health(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> float:
    url = f"http://127.0.0.1:{port}/_stcore/health"
    t_end = time.perf_counter() + timeout
    while time.perf_counter() < t_end:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError("no health answer")


def one_start(browser, title: str, lang: str) -> tuple[float, float]:
    """(seconds to healthy, seconds to title on screen), both from the launch."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        healthy = wait_health(port, proc) - t0
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/?lang={lang}", wait_until="commit")
        page.get_by_text(title, exact=True).first.wait_for(state="visible", timeout=60_000)
        rendered = time.perf_counter() - t0
        page.close()
        return healthy, rendered
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for i in range(args.repeats):
                h, r = one_start(browser, title, args.lang)
                healthy.append(h)
                rendered.append(r)
                print(f"start {i + 1}: server healthy after {h:.2f} s, home page title visible after {r:.2f} s")
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
