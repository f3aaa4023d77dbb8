"""Fairness without a browser: a short run behind a long one on ONE training process.

``JobPool(isolation="process", workers=1)`` (the app's kind of worker) on an empty temp cache:
session A submits ``quick`` with 6,000 steps; once A is training and a few seconds have passed,
session B submits ``tiny``. Reported: seconds from B's submit until B is done (goal < 60 s),
A's step and state at that moment (still running), then A is cancelled by its session and the
cancel is confirmed. The same figure as ``bench/classroom.py --only fairness``, in a minute
instead of a browser session.

    python bench/fairness.py [--long-steps 6000] [--delay 5]

The last line is the figure (``fairness (pool): ...``).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_S = 60.0


def _wait(cond, timeout_s: float, what: str) -> None:
    t_end = time.perf_counter() + timeout_s
    while not cond():
        if time.perf_counter() > t_end:
            raise TimeoutError(what)
        time.sleep(0.05)


def pool_fairness(long_steps: int = 6000, delay_s: float = 5.0, timeout_s: float = 300.0,
                  tiny_seed: int | None = None) -> dict:
    from gan_core.config import PRESETS
    from gan_core.pool import JobPool
    from gan_core.store import RunStore

    tiny_seed = tiny_seed if tiny_seed is not None else 50_000 + int(time.time()) % 10_000
    with tempfile.TemporaryDirectory() as tmp:
        pool = JobPool(RunStore(root=Path(tmp) / "runs", shipped=[]), workers=1, isolation="process")
        try:
            a = pool.submit(PRESETS["quick"].replace(steps=long_steps, seed=7), session="A")
            _wait(lambda: a.state == "running" and a.step > 0, 180, "A never started")
            time.sleep(delay_s)
            a_step_at_b = a.step
            t0 = time.perf_counter()
            b = pool.submit(PRESETS["tiny"].replace(seed=tiny_seed), session="B")
            pool.wait(b, timeout_s)
            b_s = time.perf_counter() - t0
            a_state, a_step = a.state, a.step
            met = b_s < GOAL_S and b.state == "done"
            outcome = pool.cancel(a.key, session="A")
            _wait(lambda: a.done, 60, "A did not stop after its cancel")
        finally:
            pool.shutdown()
    line = (f"fairness (pool): tiny behind quick-{long_steps} finished in {b_s:.1f} s "
            f"(B {b.state}, trained {b.active_seconds:.1f} s; A was at step {a_step_at_b}/{long_steps} "
            f"when B came, at step {a_step}/{long_steps} and {a_state} when B finished, then {outcome} "
            f"-> {a.state}; goal < {GOAL_S:g} s: {'met' if met else 'NOT met'})")
    return {"phase": "pool-fairness", "long_steps": long_steps, "delay_s": delay_s, "tiny_seed": tiny_seed,
            "b_seconds": round(b_s, 2), "b_state": b.state, "a_step_when_b_came": a_step_at_b,
            "a_step_when_b_done": a_step, "a_state_when_b_done": a_state, "a_cancel": outcome,
            "a_end": a.state, "line": line}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long-steps", type=int, default=6000)
    ap.add_argument("--delay", type=float, default=5.0, help="seconds A trains before B is submitted")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    r = pool_fairness(args.long_steps, args.delay, args.timeout)
    print(json.dumps({k: v for k, v in r.items() if k != "line"}))
    print()
    print(r["line"])


if __name__ == "__main__":
    main()
