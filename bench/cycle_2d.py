"""What the cycle loss buys on 2D points, and how long the cycle-2d preset takes.

Trains the cycle-2d preset (ring <-> two moons) for seeds 0, 1, 2 with its cycle loss and with
``lambda_cycle=0``, straight through gan_core.cycle_train (no cache, so times are fresh), one
run at a time. Prints one line per run, then the goals:

* every cycle-2d run trains in <= 20 s on this 2-core machine. Torch runs on ``--threads``
  threads, 1 by default, as the app and the CLI run it (``gan_core.threads``): for networks this
  small a second thread mostly waits (measured here, busy machine: 8-25 s per run on 2 threads);
* mean round trip with the cycle loss <= 0.25 x the mean round trip without it (the round trip
  is the mean of round_trip_x and round_trip_y: distance from x to F(G(x)) and from y to
  G(F(y)) over 1,000 fresh points, in data units).

    python bench/cycle_2d.py [--seeds 0 1 2] [--threads 1]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from gan_core.cycle_config import CYCLE_PRESETS
    from gan_core.cycle_train import train_cycle

    base = CYCLE_PRESETS["cycle-2d"]
    trips: dict[str, list[float]] = {"with": [], "without": []}
    times: list[float] = []
    for seed in args.seeds:
        for label, lam in (("with", base.lambda_cycle), ("without", 0.0)):
            cfg = base.replace(seed=seed, lambda_cycle=lam)
            t0 = time.perf_counter()
            run = train_cycle(cfg)
            wall = time.perf_counter() - t0
            trip = (run.metrics["round_trip_x"] + run.metrics["round_trip_y"]) / 2
            trips[label].append(trip)
            if label == "with":
                times.append(wall)
            print(f"seed {seed} lambda_cycle={lam:g}: {wall:5.2f} s (training {run.seconds:.2f} s), "
                  f"round trip x {run.metrics['round_trip_x']:.4f}, y {run.metrics['round_trip_y']:.4f}")
    with_c, without_c = float(np.mean(trips["with"])), float(np.mean(trips["without"]))
    ratio = with_c / without_c
    print(f"cycle-2d time: max {max(times):.2f} s, mean {np.mean(times):.2f} s on {args.threads} threads "
          f"(goal <= 20 s): {'met' if max(times) <= 20 else 'MISSED'}")
    print(f"round trip, mean of {len(args.seeds)} seeds: with the cycle loss {with_c:.4f}, without "
          f"{without_c:.4f}, ratio {ratio:.3f} (goal <= 0.25): {'met' if ratio <= 0.25 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
