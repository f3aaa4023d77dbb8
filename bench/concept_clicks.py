"""How long one click takes on the concept pages (engine side, no browser).

    python bench/concept_clicks.py

Prints the median and worst of several repeats for: a police-game round (25 updates of each
kind), one stepper sub-step on the ring and on MNIST, a 25-iteration figure-1 chunk, and the
optimal-discriminator integral. The pages promise < 0.5 s per click on 2 busy cores.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_core import theory
from gan_core.procedure import Stepper, stepper_config
from gan_core.toy1d import Toy1D, train_with_snapshots


def timed(fn, repeats: int = 7) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times)


def main() -> None:
    game = Toy1D()
    rows = [
        ("police game: police learn (25)", lambda: game.play("police", 25)),
        ("police game: counterfeiter learns (25)", lambda: game.play("counterfeiter", 25)),
        ("police game: both learn (25)", lambda: game.play("both", 25)),
        ("police game: redraw the board", lambda: game.view()),
    ]
    for data in ("ring8", "mnist5k"):
        s = Stepper(stepper_config(data, k=1))
        rows.append((f"stepper sub-step ({data})", s.next))
    fig1 = Toy1D()
    rows.append(("figure 1: 25 iterations + snapshot", lambda: train_with_snapshots(fig1, 25, 25)))
    p, q = theory.Mixture((0.4, 0.6), (-1.5, 1.5), (0.6, 0.8)), theory.Mixture.gaussian(0.5, 1.2)
    rows.append(("optimal D: V(D*, G) and JSD", lambda: theory.optimum(p, q)))
    print(f"{'click':42s} {'median':>8s} {'worst':>8s}")
    for name, fn in rows:
        med, worst = timed(fn)
        print(f"{name:42s} {med * 1000:7.1f}ms {worst * 1000:7.1f}ms")


if __name__ == "__main__":
    main()
