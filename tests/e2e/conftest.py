"""A real app server (``streamlit run`` on a free loopback port) and Debian's headless Chromium.

Skipped, with the reason, only when Chromium or Playwright is missing. Screenshots go to
``artifacts/screenshots/`` (CI keeps that folder; it is git-ignored).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("GAN_CLASSROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``streamlit run streamlit_app.py`` as a child process; ``stop``/``start`` for restarts."""

    def __init__(self, cache: Path, env: dict | None = None):
        self.cache, self.port, self.proc = cache, free_port(), None
        self.env = {**os.environ, "GAN_CLASSROOM_CACHE": str(cache), **(env or {})}
        self.log = cache / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> "AppServer":
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
               "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        self.cache.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        t_end = time.time() + timeout
        while time.time() < t_end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(30)
        self.proc = None

    def rss_mb(self) -> float:
        """Resident memory of the server process now (Linux /proc)."""
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


def _browser_or_skip():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium to run browser tests)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; no browser download needed)")
    return sync_playwright


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    _browser_or_skip()
    server = AppServer(tmp_path_factory.mktemp("e2e-cache")).start()
    yield server
    server.kill(signal.SIGTERM)


@pytest.fixture(scope="session")
def browser():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    pg = ctx.new_page()
    yield pg
    ctx.close()


def shot(pg, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def wait_idle(pg, timeout_ms: int = 60_000) -> None:
    """Wait until the script run is over (the app's root says so) and the page has settled."""
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)
    # the browser draws a long page a little after the run ends: the sidebar's language
    # switch is drawn last
    pg.wait_for_selector('[data-testid="stSidebar"] [role="radiogroup"]', timeout=timeout_ms)
    pg.wait_for_timeout(500)


def page_problems(pg) -> list[str]:
    """Exception boxes or traceback text anywhere on the page."""
    problems = []
    if pg.locator('[data-testid="stException"]').count():
        problems.append("exception box: " + pg.locator('[data-testid="stException"]').first.inner_text()[:300])
    body = pg.locator("body").inner_text()
    for marker in ("Traceback (most recent call last)", "This app has encountered an error", 'File "/'):
        if marker in body:
            problems.append(f"{marker!r} on the page")
    return problems
