"""Time to digits: classifier score against seconds for the `quick` and `seed-book` presets.

Each preset is trained from scratch (no run cache) in this process. While it trains, a
callback copies the sampling generator's weights every ``--every`` seconds of wall clock (a
copy costs about a millisecond, so measuring does not eat training time) and notes the step,
wall and CPU seconds;
after training each copy is scored on 2,000 samples with gan_core.metrics (the same numbers
the job pool stores). The last lines give the final figures against the goal:
`quick` finishes in <= 60 s wall with score >= 8.0 and all 10 classes at >= 5% of samples.

    python bench/quick.py                       # quick, then seed-book for as many seconds
    python bench/quick.py --presets quick --set quick:lr_g=5e-4   # tuning
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from gan_core import classifier, metrics
from gan_core.config import PRESETS, apply_overrides
from gan_core.train import RunResult, Trainer, generate

GOAL_SECONDS, GOAL_SCORE, GOAL_SHARE = 60.0, 8.0, 0.05


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def curve(cfg, every: float, max_seconds: float | None = None) -> tuple[RunResult, list[dict]]:
    """Train ``cfg``; return the result and [{step, wall, cpu, score, fd, classes}] points."""
    t_start, c_start = time.perf_counter(), _cpu()
    trainer = Trainer(cfg)  # includes building the nets and loading the digits (cold start)
    setup = time.perf_counter() - t_start
    copies: list[tuple[int, float, float, dict]] = []
    last = [time.perf_counter()]

    def keep(step: int) -> None:
        now = time.perf_counter()
        copies.append((step, now - t_start, _cpu() - c_start, trainer.generator_state()))
        last[0] = now

    def on_event(kind, payload):
        if kind == "step" and (time.perf_counter() - last[0] >= every or payload.step == cfg.steps):
            keep(payload.step)

    def out_of_time() -> bool:
        return time.perf_counter() - t_start > max_seconds

    stop = None if max_seconds is None else out_of_time
    result = trainer.run(on_event, stop)
    done = len(result.history["step"])
    if not copies or copies[-1][0] != done:
        keep(done)  # a run stopped by the time budget
    points = []
    for step, wall, cpu, state in copies:
        partial = RunResult(cfg, "ok", "", {}, [], state)
        m = metrics.evaluate_images(generate(partial, metrics.EVAL_SAMPLES, seed=metrics.EVAL_SEED))
        points.append({"step": step, "wall": wall, "cpu": cpu, "score": m["score"], "fd": m["fd"],
                       "classes": m["classes_covered"], "min_share": m["min_class_share"]})
    result.metrics["setup_seconds"] = setup
    return result, points


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="quick,seed-book")
    ap.add_argument("--set", action="append", default=[], metavar="PRESET:KEY=VALUE")
    ap.add_argument("--every", type=float, default=5.0, help="copy G every N seconds (wall)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    classifier.load_classifier()  # loaded once, outside the timed runs

    names = [n.strip() for n in args.presets.split(",") if n.strip()]
    finals = {}
    budget = None
    for name in names:
        overrides = dict(s.split(":", 1)[1].split("=", 1) for s in args.set if s.startswith(name + ":"))
        cfg, _ = apply_overrides(PRESETS[name], overrides)
        max_seconds = None
        if name == "seed-book" and budget is not None:
            # the book's config, given the same wall time as quick took: what does it show?
            cfg = cfg.replace(steps=20000, snapshots=16)
            max_seconds = budget
        every = args.every
        result, points = curve(cfg, every, max_seconds)
        print(f"\n{name}: {cfg.to_json()}")
        print(f"{'step':>6} {'wall s':>7} {'cpu s':>7} {'score':>6} {'FD':>8} classes")
        for p in points:
            print(f"{p['step']:6d} {p['wall']:7.1f} {p['cpu']:7.1f} {p['score']:6.2f} {p['fd']:8.1f} "
                  f"{p['classes']:3d} (min share {p['min_share']:.3f})")
        total = points[-1]["wall"] if points else float("nan")
        finals[name] = (points[-1] if points else None, total, result)
        if name == "quick":
            budget = total
    print()
    for name, (last, total, _result) in finals.items():
        if last is None:
            continue
        print(f"{name}: {last['step']} steps, {total:.1f} s wall ({last['cpu']:.1f} s CPU, "
              f"{torch.get_num_threads()} threads) -> score {last['score']:.2f}, FD {last['fd']:.1f}, "
              f"{last['classes']}/10 classes at >= 5% (smallest {last['min_share']:.3f})")
    if "quick" in finals and finals["quick"][0] is not None:
        last, total, _ = finals["quick"]
        ok = total <= GOAL_SECONDS and last["score"] >= GOAL_SCORE and last["classes"] == 10
        print(f"quick goal (<= {GOAL_SECONDS:.0f} s wall, score >= {GOAL_SCORE}, 10 classes >= 5%): "
              f"{'met' if ok else 'NOT met'} -- {total:.1f} s, score {last['score']:.2f}, "
              f"{last['classes']} classes")


if __name__ == "__main__":
    main()
