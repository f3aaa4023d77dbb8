"""A real app server (``streamlit run`` on a free loopback port) and Debian's headless Chromium.

Skipped, with the reason, only when Chromium or Playwright is missing. Screenshots go to
``artifacts/screenshots/`` (CI keeps that folder; it is git-ignored).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.appserver import CHROMIUM, ROOT, AppServer, launch_chromium

SHOTS = ROOT / "artifacts" / "screenshots"


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
    server.kill()


@pytest.fixture(scope="session")
def browser():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        b = launch_chromium(p)
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
    box = pg.locator('[data-testid="stException"]')
    if box.count():
        problems.append("exception box: " + box.first.inner_text()[:300])
    body = pg.locator("body").inner_text()
    for marker in ("Traceback (most recent call last)", "This app has encountered an error", 'File "/'):
        if marker in body:
            problems.append(f"{marker!r} on the page")
    return problems
