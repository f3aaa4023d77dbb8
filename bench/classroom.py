"""A class of thirty: the figures for the classroom goals, measured in real browsers.

Each phase starts a fresh app server (``streamlit run``, loopback only) on an EMPTY run cache
(a temp ``GAN_CLASSROOM_CACHE``; the shipped packs in ``pretrained/`` are read as usual) and
drives Debian's headless Chromium:

* **burst** -- N sessions (default 30) each open a DIFFERENT point of the shipped atlas in the
  Lab and press Train at the same moment. Per session: seconds from its click until its
  finished run is on screen again (the page's rerun is over and the shipped/cached/finished
  message is there). Goal: every one within 5 s, 0 trainings run by the server.
* **modes** -- one browser opens the mode-collapse page: seconds from the request until the
  comparison chart is drawn. Goal <= 3 s. Also: a second browser on that server, and a first
  visit on a new server whose home page one browser has opened (the teacher's, in a class).
* **fairness** -- one worker; session A trains ``quick`` with 6,000 steps, a few seconds later
  session B trains ``tiny``: seconds from B's click until B's finished run is on screen, and
  A's state then. Goal < 60 s. A is cancelled through the Lab's Cancel button at the end.
* **pool-fairness** -- the same without a browser, on ``JobPool(isolation="process",
  workers=1)`` (see bench/fairness.py).

How time is taken: a MutationObserver in each page watches Streamlit's script state (the
``data-test-script-state`` attribute of the app root) and the click is fired in the page by a
timer set to one wall-clock moment for every session; the page records the click and the first
moment after it at which the script is no longer running and the run's message is shown.
Playwright only reads these numbers afterwards, so its own slowness with many tabs on 2 cores
does not count. Pages are opened in waves (``--wave``) so that loading 30 tabs at once does not
swamp the machine, but every Train is pressed at the same moment. The mode-collapse figure is
the page's own clock from the start of the navigation until the chart is drawn (each browser
context loads the app's scripts anew, like a student's first visit); the marks on the way (app
shell drawn, first script run started and ended) tell the browser's share from the server's.
The browsers share the server's CPU, so the figures are pessimistic for a real classroom.
``bench/classroom_load.py`` measures the other load (one preset for all, or a trained config
each) with the server's memory.

    python bench/classroom.py [--only burst modes fairness pool-fairness] [--sessions 30] [--wave 6]

The last lines are the figures (greppable: ``atlas burst:``, ``mode-collapse first visit:``,
``fairness:``, ``fairness (pool):``).
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.appserver import ROOT, AppServer, launch_chromium
from ui.i18n import t

TRAIN = t("lab.train", lang="en")
CANCEL = t("run.cancel", lang="en")
# A finished run's message (done / cached / shipped), its number of seconds as a pattern: the
# waiting message also says "Finished in about ..." and must not count.
FINISHED_PATTERNS = [re.escape(t(f"run.{k}", lang="en", seconds="\x00")).replace("\x00", r"[0-9.]+")
                     for k in ("done", "cached", "shipped")]
FAILED_TEXTS = [t("run.failed", lang="en"), t("run.lost", lang="en")]  # a run that ends a session's wait
ERROR_TEXTS = ("Traceback (most recent call last)", "This app has encountered an error",
               t("run.failed", lang="en"), t("run.lost", lang="en"), t("lab.not_on_server", lang="en"))
PROGRESS_RE = re.compile(re.escape(t("run.progress", lang="en", step="\x01", total="\x02", elapsed="\x03")
                                   .split("\x03")[0]).replace("\x01", r"(\d+)").replace("\x02", r"(\d+)"))
GOALS = {"burst_s": 5.0, "modes_s": 3.0, "fairness_s": 60.0}

# Installed in a page once it has loaded: logs the script state and the finish after a click.
INSTALL_JS = """([sources, failures]) => {
  if (window.__gc) return true;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  const g = window.__gc = {clickAt: null, doneAt: null, states: [], errorAt: null};
  const patterns = sources.map(p => new RegExp(p));
  const finished = g.finished = () => {
    for (const el of document.querySelectorAll('[data-testid="stAlert"]')) {
      const text = el.textContent || '';
      if (patterns.some(p => p.test(text))) return true;
    }
    return false;
  };
  const failed = () => !!document.querySelector('[data-testid="stException"]') ||
    [...document.querySelectorAll('[data-testid="stAlert"]')].some(
      el => failures.some(f => (el.textContent || '').includes(f)));
  new MutationObserver(() => {
    const s = app.getAttribute('data-test-script-state');
    const now = Date.now();
    if (g.states.length < 400) g.states.push([now, s]);
    if (g.clickAt === null || s !== 'notRunning') return;
    if (g.doneAt === null && finished()) g.doneAt = now;
    if (g.errorAt === null && failed()) g.errorAt = now;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  return true;
}"""
# Press the Train button at wall-clock time ``at`` (ms since the epoch), the same for every page;
# the button is looked up at that moment (a handle taken earlier may belong to an old render).
CLICK_AT_JS = """([label, at]) => {
  setTimeout(() => {
    const g = window.__gc;
    const button = [...document.querySelectorAll('button')].find(
      b => (b.textContent || '').trim().endsWith(label) && !b.disabled);
    g.clickAt = Date.now();
    g.clicked = !!button;
    if (button) button.click();
  }, Math.max(0, at - Date.now()));
}"""
# Added before the page loads: notes when the app's websocket sends (the click's rerun request)
# and when each message it receives has been drawn (the next frame after handling it). A rerun
# that the server answers quickly can be handled in one browser task, so the app root's script
# state never visibly changes and the observer above never fires; these times still tell when
# the click was answered and the answer was on screen.
WS_JS = """(() => {
  const Native = window.WebSocket;
  window.__ws = {sentAt: null, paintAt: null};
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    const send = ws.send.bind(ws);
    ws.send = data => { window.__ws.sentAt = Date.now(); return send(data); };
    ws.addEventListener('message', () => setTimeout(() => requestAnimationFrame(() => {
      window.__ws.paintAt = Date.now();
    }), 0));
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})()"""
READ_JS = """() => window.__gc ? (() => {
  const g = window.__gc, ws = window.__ws || {};
  const state = document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state');
  // answered without a visible 'running' state: the request went out after the click, an answer
  // was drawn after it, nothing has arrived for 300 ms, the page is idle and shows the run
  if (g.doneAt === null && g.clickAt !== null && ws.sentAt >= g.clickAt && ws.paintAt > ws.sentAt
      && Date.now() - ws.paintAt > 300 && state === 'notRunning' && g.finished()) g.doneAt = ws.paintAt;
  return g;
})() && {
  clickAt: window.__gc.clickAt, doneAt: window.__gc.doneAt, errorAt: window.__gc.errorAt,
  sentAt: (window.__ws || {}).sentAt, paintAt: (window.__ws || {}).paintAt,
  clicked: window.__gc.clicked, states: window.__gc.states.slice(-6),
  state: document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state'),
  alerts: [...document.querySelectorAll('[data-testid="stAlert"]')].map(a => a.textContent.slice(0, 60))
} : null"""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@dataclass
class Session:
    """One browser session (its own context: its own Streamlit session)."""

    label: str
    url: str
    ctx: object = None
    page: object = None
    click_at: float | None = None  # epoch ms, recorded in the page
    done_at: float | None = None
    error_at: float | None = None  # the page showed a failed or lost run (or an exception) instead
    errors: list[str] = field(default_factory=list)
    readable: bool = True
    last: dict | None = None  # the page's record when last read (for a session that never finished)

    @property
    def seconds(self) -> float | None:
        if self.click_at is None or self.done_at is None:
            return None
        return (self.done_at - self.click_at) / 1000


def open_page(browser, s: Session) -> Session:
    s.ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    s.page = s.ctx.new_page()
    s.page.add_init_script(WS_JS)
    s.page.goto(s.url, wait_until="domcontentloaded", timeout=120_000)
    return s


def wait_ready(s: Session, timeout_s: float = 180) -> None:
    """Wait until the page's first script run is over and its Train button is there; install the clock."""
    s.page.get_by_role("button", name=TRAIN).wait_for(timeout=timeout_s * 1000)
    s.page.wait_for_selector(IDLE, timeout=timeout_s * 1000)
    if not s.page.evaluate(INSTALL_JS, [FINISHED_PATTERNS, FAILED_TEXTS]):
        raise RuntimeError(f"{s.label}: no Streamlit app root in the page")


def open_in_waves(browser, sessions: list[Session], wave: int) -> float:
    """Open the pages ``wave`` at a time (each wave loaded before the next); returns seconds taken."""
    t0 = time.perf_counter()
    for i in range(0, len(sessions), wave):
        group = sessions[i:i + wave]
        for s in group:
            open_page(browser, s)
        for s in group:
            wait_ready(s)
    return time.perf_counter() - t0


def press_together(sessions: list[Session], lead_s: float | None = None) -> float:
    """Schedule every session's Train click for one wall-clock moment; returns that moment (epoch ms)."""
    lead = lead_s if lead_s is not None else 1.0 + 0.15 * len(sessions)
    at = time.time() * 1000 + lead * 1000
    for s in sessions:
        s.page.evaluate(CLICK_AT_JS, [TRAIN, at])
    return at


def problems(s: Session) -> None:
    """Fill ``s.errors`` with the error texts the page shows (a page that can't be read is noted)."""
    for _ in range(3):
        try:
            found = [m for m in ERROR_TEXTS if s.page.get_by_text(m).count()]
            if s.page.locator('[data-testid="stException"]').count():
                found.append("exception box")
            s.errors = found
            s.readable = True
            return
        except Exception:  # a renderer busy for long: ask again
            time.sleep(3)
    s.readable = False


def collect(sessions: list[Session], timeout_s: float, alive=None) -> None:
    """Poll the pages' own records until every session is finished (or shows a failed run), the
    time is up or ``alive()`` (if given) says the server is gone."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline and (alive is None or alive()):
        for s in sessions:
            if s.done_at is not None or s.error_at is not None:
                continue
            try:
                rec = s.page.evaluate(READ_JS)
            except Exception:  # busy renderer: next round
                continue
            if rec:
                s.click_at, s.done_at, s.error_at, s.last = rec["clickAt"], rec["doneAt"], rec["errorAt"], rec
        if all(s.done_at is not None or s.error_at is not None for s in sessions):
            return
        time.sleep(0.5)


def journal_lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def new_server(tmp: Path, extra_env: dict | None = None, cache: Path | None = None
               ) -> tuple[AppServer, Path, float]:
    """A fresh server on an empty cache in ``tmp`` (or ``cache``, for smoke tests) with a training
    journal; returns (server, journal, seconds until it answered)."""
    journal = tmp / "journal.jsonl"
    env = {"GAN_CLASSROOM_JOURNAL": str(journal), **(extra_env or {})}
    server = AppServer(cache or tmp / "cache", env=env)
    server.launch()
    return server, journal, server.wait_healthy(120)


def close_all(sessions: list[Session]) -> None:
    for s in sessions:
        try:
            if s.ctx is not None:
                s.ctx.close()
        except Exception:
            pass


def atlas_queries() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "gan_core", "atlas", "list"], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=300)
    return [line.strip() for line in out.stdout.splitlines() if line.strip().startswith("preset=")]


def pick_points(queries: list[str], n: int) -> list[str]:
    """``n`` different atlas points spread over the grid: every 6th one left out first (30 of 36)."""
    order = sorted(range(len(queries)), key=lambda i: (i % 6 == 5, i))
    return [queries[i] for i in order[:n]]


# ---- phases ---------------------------------------------------------------------------------------
def burst(browser, n: int, wave: int, timeout_s: float, points: list[str] | None = None,
          cache: Path | None = None) -> dict:
    points = pick_points(points or atlas_queries(), n)
    n = len(points)
    shipped = (ROOT / "pretrained" / "atlas.npz").exists()
    with tempfile.TemporaryDirectory() as tmp:
        server, journal, start_s = new_server(Path(tmp), cache=cache)
        sessions = [Session(f"atlas{i}", f"{server.url}/lab?lang=en&{q}") for i, q in enumerate(points)]
        try:
            open_s = open_in_waves(browser, sessions, wave)
            trained_before = len(journal_lines(journal))
            at = press_together(sessions)
            collect(sessions, timeout_s)
            for s in sessions:
                problems(s)
            trainings = len(journal_lines(journal))
            pss = server.pss_mb()
            peak = server.peak_rss_mb()
        finally:
            close_all(sessions)
            server.kill()
    secs = [s.seconds for s in sessions if s.seconds is not None]
    clicks = [s.click_at - at for s in sessions if s.click_at is not None]
    return {
        "phase": "burst", "sessions": n, "wave": wave, "atlas_pack": shipped,
        "server_start_s": round(start_s, 1),
        "open_s": round(open_s, 1), "click_spread_ms": round(max(clicks) - min(clicks)) if clicks else None,
        "per_session_s": [None if s.seconds is None else round(s.seconds, 2) for s in sessions],
        "finished": len(secs), "max_s": max(secs) if secs else float("nan"),
        "median_s": statistics.median(secs) if secs else float("nan"),
        "trainings": trainings, "trainings_before_click": trained_before,
        "sessions_with_errors": sum(bool(s.errors) for s in sessions),
        "errors": {s.label: s.errors for s in sessions if s.errors},
        "unreadable": sum(not s.readable for s in sessions),
        "unfinished": {s.label: _unfinished(s, at) for s in sessions if s.seconds is None},
        "server_peak_rss_mb": round(peak), "pss_mb_end": round(pss),
    }


def _unfinished(s: Session, at: float) -> dict | None:
    """What a session that never finished looked like at the end (times relative to the click)."""
    if s.last is None:
        return None
    rec = dict(s.last)
    rec["states"] = [(round((t_ms - at) / 1000, 2), state) for t_ms, state in rec.get("states", [])]
    rec["clickAt"] = None if rec["clickAt"] is None else round((rec["clickAt"] - at) / 1000, 3)
    return rec


def modes_first_visit(browser, timeout_s: float, cache: Path | None = None) -> dict:
    shipped = (ROOT / "pretrained" / "mode_defaults.npz").exists()
    with tempfile.TemporaryDirectory() as tmp:
        server, journal, start_s = new_server(Path(tmp), cache=cache)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            seconds, marks, errors = _chart_seconds(ctx, server.url, timeout_s)
            ctx.close()
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            again, marks2, _ = _chart_seconds(ctx, server.url, timeout_s)  # a second student, same server
            trainings = len(journal_lines(journal))
        finally:
            ctx.close()
            server.kill()
    # A class's case: the teacher has opened the app's home page on the server, then a student
    # opens the mode-collapse page for the first time (a new server, the run cache still empty).
    with tempfile.TemporaryDirectory() as tmp:
        server, _, _ = new_server(Path(tmp), cache=cache)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            home = ctx.new_page()
            home.goto(f"{server.url}/?lang=en", wait_until="domcontentloaded", timeout=120_000)
            home.wait_for_selector(IDLE, timeout=120_000)
            ctx.close()
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            after_home, _, _ = _chart_seconds(ctx, server.url, timeout_s)
        finally:
            ctx.close()
            server.kill()
    return {"phase": "modes", "seconds": seconds, "marks": marks, "second_visit_s": again, "marks2": marks2,
            "after_home_s": after_home, "mode_defaults_pack": shipped,
            "trainings": trainings, "server_start_s": round(start_s, 1), "errors": errors}


# Marks in the page (ms since the navigation began): the app's shell drawn, its first script
# run started and finished, the comparison chart drawn.
MARKS_JS = """(() => {
  const t = window.__marks = {};
  const mark = k => { if (!(k in t)) t[k] = performance.now(); };
  new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app) {
      mark('shell');
      const s = app.getAttribute('data-test-script-state');
      if (s === 'running') mark('script_start');
      if (s === 'notRunning' && 'script_start' in t) mark('script_end');
    }
    if (document.querySelector('.st-key-mc_compare .main-svg')) mark('chart');
  }).observe(document, {subtree: true, childList: true, attributes: true});
})()"""


def _chart_seconds(ctx, url: str, timeout_s: float) -> tuple[float, dict, list[str]]:
    """Seconds from asking for the mode-collapse page until its comparison chart is drawn, and
    the page's own marks on the way (seconds)."""
    page = ctx.new_page()
    page.add_init_script(MARKS_JS)
    t0 = time.perf_counter()
    page.goto(f"{url}/mode_collapse?lang=en", wait_until="commit", timeout=120_000)
    seconds = float("nan")
    try:
        page.wait_for_selector(".st-key-mc_compare .main-svg", timeout=timeout_s * 1000)
        seconds = time.perf_counter() - t0
    except Exception:  # no chart in time: reported as nan
        pass
    marks = {k: round(v / 1000, 2) for k, v in (page.evaluate("() => window.__marks || {}") or {}).items()}
    marks["wall"] = round(seconds, 2)  # as Playwright saw it: its own delays with a busy CPU included
    if "chart" in marks:  # the page's own clock, from the start of the navigation
        seconds = marks["chart"]
    return seconds, marks, [m for m in ERROR_TEXTS if page.get_by_text(m).count()]


def _progress(page) -> tuple[int, int] | None:
    try:
        text = page.locator('[data-testid="stApp"]').inner_text(timeout=10_000)
    except Exception:
        return None
    m = PROGRESS_RE.search(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def fairness(browser, long_steps: int, delay_s: float, timeout_s: float) -> dict:
    tiny_seed = 40_000 + int(time.time()) % 10_000  # never in any cache: the cache is new anyway
    with tempfile.TemporaryDirectory() as tmp:
        server, journal, start_s = new_server(Path(tmp), {"GAN_CLASSROOM_WORKERS": "1"})
        a = Session("A", f"{server.url}/lab?lang=en&preset=quick&steps={long_steps}&seed=7")
        b = Session("B", f"{server.url}/lab?lang=en&preset=tiny&seed={tiny_seed}")
        try:
            open_page(browser, a)
            wait_ready(a)
            a.page.get_by_role("button", name=TRAIN).click()
            t_a = time.perf_counter()
            a_first = None
            while time.perf_counter() - t_a < 180 and not (a_first and a_first[0] > 0):  # A really trains
                a_first = _progress(a.page)
                time.sleep(0.5)
            time.sleep(delay_s)
            open_page(browser, b)
            wait_ready(b)
            press_together([b], lead_s=0.3)
            collect([b], timeout_s)
            problems(b)
            a_then = _progress(a.page)
            done_when_b = journal_lines(journal)
            a_cancel = "not pressed"
            try:
                a.page.get_by_role("button", name=CANCEL).click(timeout=30_000)
                a_cancel = "pressed"
            except Exception:
                pass
            t_end = time.perf_counter() + 60
            a_line = None
            while time.perf_counter() < t_end and a_line is None:
                a_line = next((x for x in journal_lines(journal) if x["steps"] == long_steps), None)
                time.sleep(0.5)
        finally:
            close_all([a, b])
            server.kill()
    return {
        "phase": "fairness", "long_steps": long_steps, "delay_s": delay_s, "tiny_seed": tiny_seed,
        "b_seconds": b.seconds if b.seconds is not None else float("nan"), "b_errors": b.errors,
        "a_progress_at_start": a_first, "a_progress_when_b_done": a_then,
        "finished_when_b_done": [(x["steps"], x["state"], x["queued_s"], x["run_s"]) for x in done_when_b],
        "a_cancel": a_cancel, "a_end": None if a_line is None else a_line["state"],
        "a_run_s": None if a_line is None else a_line["run_s"],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", default=["burst", "modes", "fairness", "pool-fairness"],
                    choices=["burst", "modes", "fairness", "pool-fairness"])
    ap.add_argument("--sessions", type=int, default=30, help="browser sessions in the atlas burst (<= 36)")
    ap.add_argument("--wave", type=int, default=6, help="pages opened at a time before the burst")
    ap.add_argument("--long-steps", type=int, default=6000, help="steps of session A's quick run")
    ap.add_argument("--delay", type=float, default=5.0, help="seconds between A training and B's click")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds a phase waits for its sessions")
    ap.add_argument("--points", nargs="+", help="smoke tests: Lab query strings instead of the atlas points")
    ap.add_argument("--cache", type=Path, help="smoke tests: this run cache instead of an empty one")
    args = ap.parse_args(argv)
    results = []
    if set(args.only) - {"pool-fairness"}:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                if "burst" in args.only:
                    results.append(burst(browser, args.sessions, args.wave, args.timeout, args.points,
                                         args.cache))
                    print(json.dumps(results[-1]), flush=True)
                if "modes" in args.only:
                    results.append(modes_first_visit(browser, min(args.timeout, 120), args.cache))
                    print(json.dumps(results[-1]), flush=True)
                if "fairness" in args.only:
                    results.append(fairness(browser, args.long_steps, args.delay, args.timeout))
                    print(json.dumps(results[-1]), flush=True)
            finally:
                browser.close()
    if "pool-fairness" in args.only:
        sys.path.insert(0, str(ROOT / "bench"))
        from fairness import pool_fairness

        results.append(pool_fairness(args.long_steps, args.delay, args.timeout))
        print(json.dumps(results[-1]), flush=True)
    print()
    for r in results:
        print(figure_line(r))


def figure_line(r: dict) -> str:
    if r["phase"] == "burst":
        ok = (r["finished"] == r["sessions"] and r["max_s"] <= GOALS["burst_s"] and r["trainings"] == 0
              and not r["sessions_with_errors"])
        return (f"atlas burst: {r['sessions']} sessions, max {r['max_s']:.2f} s, "
                f"median {r['median_s']:.2f} s, "
                f"trainings {r['trainings']} ({r['finished']}/{r['sessions']} finished, "
                f"{r['sessions_with_errors']} with errors, pages opened {r['wave']} at a time, "
                f"Train pressed together within {r['click_spread_ms']} ms, atlas pack "
                f"{'present' if r['atlas_pack'] else 'MISSING'}; goal <= {GOALS['burst_s']:g} s: "
                f"{'met' if ok else 'NOT met'})")
    if r["phase"] == "modes":
        ok = r["seconds"] <= GOALS["modes_s"]
        m = r["marks"]
        return (f"mode-collapse first visit: {r['seconds']:.2f} s (app shell at {m.get('shell')} s, "
                f"script run {m.get('script_start')}-{m.get('script_end')} s, "
                f"Playwright saw the chart at {m.get('wall')} s; "
                f"second visit {r['second_visit_s']:.2f} s; first visit after the home page was opened once "
                f"{r['after_home_s']:.2f} s; mode-defaults pack "
                f"{'present' if r['mode_defaults_pack'] else 'MISSING'}, trainings {r['trainings']}; "
                f"goal <= {GOALS['modes_s']:g} s: {'met' if ok else 'NOT met'})")
    if r["phase"] == "fairness":
        a = r["a_progress_when_b_done"]
        a_text = f"A at step {a[0]}/{a[1]}, still running" if a else "A's progress not readable"
        ok = r["b_seconds"] < GOALS["fairness_s"]
        return (f"fairness: tiny behind quick-{r['long_steps']} finished in {r['b_seconds']:.1f} s "
                f"({a_text}; A then {r['a_end']} after {r['a_run_s']} s; "
                f"goal < {GOALS['fairness_s']:g} s: {'met' if ok else 'NOT met'})")
    return r["line"]


if __name__ == "__main__":
    main()
