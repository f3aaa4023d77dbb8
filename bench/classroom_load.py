"""Classroom load: N browser sessions against one app server press Train at the same moment.

For each N (default 10 and 30) a fresh server starts on an empty cache, N headless Chromium
pages open the Lab, and then:

* **same** -- every session opens the same link (``--same`` preset) and presses Train;
* **different** -- every session opens a different configuration (``--different`` preset with
  seed = session number) and presses Train.

Reported per phase: trainings actually run (from the server's training journal), seconds from
the first click until every session shows its finished run, the longest queue wait, peak
resident memory of the server process (the kernel's high-water mark; the training process's
is printed beside it), and any session that saw
an error (exception box, traceback text, a failed or lost run). Goals: same preset ->
exactly 1 training, no session errors, peak RSS < 1.5 GB at N = 30, every session gets its result.

    python bench/classroom_load.py [--n 10 30] [--same quick] [--different tiny]

The browsers run on the same 2 cores as the server, so they slow the training down; in a real
classroom they run on the students' machines. The last lines are the figures.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.appserver import AppServer, launch_chromium
from ui.i18n import t

GOAL_RSS_MB = 1536
ERROR_TEXTS = ("Traceback (most recent call last)", "This app has encountered an error",
               t("run.failed", lang="en"), t("run.lost", lang="en"))


class RssSampler(threading.Thread):
    """Samples the server's resident memory every 0.5 s (VmHWM also keeps the true peak)."""

    def __init__(self, server: AppServer):
        super().__init__(daemon=True)
        self.server, self.samples, self.stop = server, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.samples.append(self.server.rss_mb())
            except (OSError, AttributeError):
                pass
            self.stop.wait(0.5)


def _link(server: AppServer, preset: str, seed: int | None) -> str:
    extra = "" if seed is None else f"&seed={seed}"
    return f"{server.url}/lab?lang=en&preset={preset}{extra}"


def _problems(page) -> tuple[list[str], bool]:
    """(errors the app showed, whether the page could be read at all).

    Under 30 tabs on 2 cores a renderer can take long to answer: a page that can't be read is
    counted apart (a browser limit of this bench), not as an app error."""
    for _ in range(3):
        try:
            found = [m for m in ERROR_TEXTS if page.get_by_text(m).count()]
            if page.locator('[data-testid="stException"]').count():
                found.append("exception box")
            return found, True
        except Exception:  # retried; a renderer busy for minutes is reported
            time.sleep(5)
    return [], False


def phase(browser, server: AppServer, n: int, preset: str, distinct: bool, journal: Path) -> dict:
    """Open n sessions, press Train in all of them, wait until each shows its finished run."""
    done_text = t("run.done", lang="en", seconds="X").split("X")[0]
    cached_text = t("run.cached", lang="en", seconds="X").split("(")[0]
    seen_lines = len(journal.read_text().splitlines()) if journal.exists() else 0
    contexts, pages = [], []
    for i in range(n):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.goto(_link(server, preset, 1000 + i if distinct else None), wait_until="domcontentloaded")
        contexts.append(ctx)
        pages.append(page)
    train = t("lab.train", lang="en")
    for page in pages:
        page.get_by_role("button", name=train).wait_for(timeout=180_000)
    t0 = time.perf_counter()
    clicked = []
    for page in pages:
        page.get_by_role("button", name=train).click()
        clicked.append(time.perf_counter() - t0)
    finished: dict[int, float] = {}
    errors: dict[int, list[str]] = {}
    deadline = t0 + 1800
    while len(finished) < n and time.perf_counter() < deadline:
        for i, page in enumerate(pages):
            if i in finished:
                continue
            try:
                if page.get_by_text(done_text).count() or page.get_by_text(cached_text).count():
                    finished[i] = time.perf_counter() - t0
            except Exception:  # a renderer too busy to answer: ask again next round
                pass
        time.sleep(0.5)
    unreadable = 0
    for i, page in enumerate(pages):
        probs, readable = _problems(page)
        unreadable += not readable
        if probs:
            errors.setdefault(i, []).extend(probs)
    lines = [json.loads(x) for x in journal.read_text().splitlines()[seen_lines:]] if journal.exists() else []
    for ctx in contexts:
        ctx.close()
    waits = [x["queued_s"] for x in lines]
    per_session = [finished[i] - clicked[i] for i in finished]
    return {
        "n": n, "preset": preset, "distinct": distinct,
        "trainings": len(lines), "trainings_failed": sum(x["state"] != "done" for x in lines),
        "all_done_s": max(finished.values()) if len(finished) == n else float("nan"),
        "sessions_done": len(finished),
        "median_session_s": statistics.median(per_session) if per_session else float("nan"),
        "longest_queue_wait_s": max(waits) if waits else 0.0,
        "run_s": [x["run_s"] for x in lines][:3],
        "sessions_with_errors": len(errors), "errors": {k: v[:2] for k, v in list(errors.items())[:3]},
        "pages_unreadable": unreadable, "pss_mb": server.pss_mb(),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10, 30])
    ap.add_argument("--same", default="quick", help="preset every session trains (default quick)")
    ap.add_argument("--different", default="tiny", help="preset trained with a different seed per session")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    report = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for n in args.n:
                with tempfile.TemporaryDirectory() as tmp:
                    journal = Path(tmp) / "journal.jsonl"
                    env = {"GAN_CLASSROOM_JOURNAL": str(journal)}
                    server = AppServer(Path(tmp) / "cache", env=env).start()
                    sampler = RssSampler(server)
                    sampler.start()
                    try:
                        for preset, distinct in ((args.same, False), (args.different, True)):
                            r = phase(browser, server, n, preset, distinct, journal)
                            r["peak_rss_mb"] = server.peak_rss_mb()
                            r["training_process_peak_rss_mb"] = server.children_peak_rss_mb()
                            report.append(r)
                            print(json.dumps(r), flush=True)
                    finally:
                        sampler.stop.set()
                        server.kill()
        finally:
            browser.close()
    print()
    for r in report:
        kind = "same preset" if not r["distinct"] else "different configs"
        print(f"N={r['n']:>2} {kind:17s} ({r['preset']}): trainings run {r['trainings']}, "
              f"every session done after {r['all_done_s']:.1f} s ({r['sessions_done']}/{r['n']} sessions), "
              f"longest queue wait {r['longest_queue_wait_s']:.1f} s, "
              f"peak server RSS {r['peak_rss_mb']:.0f} MB "
              f"(+ training process {r['training_process_peak_rss_mb']:.0f} MB), "
              f"sessions with errors {r['sessions_with_errors']}; server + training process PSS "
              f"{r['pss_mb']:.0f} MB at the end")
    ok = all(r["sessions_with_errors"] == 0 and r["sessions_done"] == r["n"] for r in report)
    ok &= all(r["trainings"] == 1 for r in report if not r["distinct"])
    peak30 = max((r["peak_rss_mb"] for r in report if r["n"] >= 30), default=float("nan"))
    ok &= not peak30 > GOAL_RSS_MB
    print("goals (same preset -> 1 training, no errors, everyone served, "
          f"peak RSS < {GOAL_RSS_MB} MB at N=30): "
          f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
