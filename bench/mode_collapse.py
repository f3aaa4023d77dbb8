"""Do the collapse presets collapse and the remedies recover? Modes captured per preset.

Trains every preset of the mode-collapse studies (gan_core.modes.STUDIES) for several seeds,
straight through gan_core.train.train (no cache, so the numbers are fresh), measures the final
snapshot's 2,500 fixed-noise samples with gan_core.modes (nearest mode, high quality = within
3 sigma, modes captured), and prints, as its last lines, one table row per preset: mean modes
captured and mean high-quality share over the seeds.

    python bench/mode_collapse.py                  # ring8 + grid25, seeds 0 1 2, 2 processes
    python bench/mode_collapse.py --datasets ring8 --seeds 0 --jobs 1
    python bench/mode_collapse.py --all            # also the slow grid25-unrolled

Each worker process uses one torch thread; the CPU is shared, so wall times are indicative.
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SLOW = ("grid25-unrolled",)  # ~6x the work of its base; left out unless --all or named in --presets


def _one(job: tuple[str, int]) -> tuple[str, int, int, float, float, str]:
    import torch

    torch.set_num_threads(1)
    from gan_core import modes
    from gan_core.config import PRESETS
    from gan_core.train import train

    name, seed = job
    cfg = PRESETS[name].replace(seed=seed)
    t0 = time.perf_counter()
    r = train(cfg)
    s = modes.toy_stats(cfg.dataset, r.final_samples())
    return name, seed, s.captured, s.hq_share, time.perf_counter() - t0, r.status


def main(argv: list[str] | None = None) -> int:
    from gan_core import modes
    from gan_core.config import PRESETS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["ring8", "grid25"], choices=sorted(modes.STUDIES))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (one torch thread each)")
    ap.add_argument("--presets", nargs="*", default=None, help="only these presets")
    ap.add_argument("--all", action="store_true", help=f"include the slow presets ({', '.join(SLOW)})")
    args = ap.parse_args(argv)

    names = [n for ds in args.datasets for n, _ in modes.STUDIES[ds]
             if (n in args.presets if args.presets is not None else args.all or n not in SLOW)]
    # longest runs first, so the two workers finish together
    jobs = sorted(((n, s) for n in names for s in args.seeds),
                  key=lambda j: -PRESETS[j[0]].steps * (1 + PRESETS[j[0]].unroll + PRESETS[j[0]].k))
    t0 = time.perf_counter()
    rows: dict[str, list[tuple[int, float, float, str]]] = {n: [] for n in names}
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for name, seed, cap, hq, sec, status in ex.map(_one, jobs):
            rows[name].append((cap, hq, sec, status))
            print(f"  {name:24s} seed {seed}: {cap:2d} modes, {100 * hq:5.1f}% high quality, "
                  f"{sec:6.1f} s {status}", flush=True)
    wall = time.perf_counter() - t0

    print(f"\nmode collapse bench: seeds {args.seeds}, {args.jobs} worker(s), {wall:.0f} s wall")
    print(f"{'preset':24s} {'modes':>7s} {'captured (mean)':>16s} {'high quality':>13s} "
          f"{'per seed':>18s} {'s/run':>6s}")
    for name in names:
        r = rows[name]
        cfg = PRESETS[name]
        n_modes = len(modes.toy_modes(cfg.dataset))
        cap = sum(x[0] for x in r) / len(r)
        hq = sum(x[1] for x in r) / len(r)
        per = "/".join(str(x[0]) for x in r)
        sec = sum(x[2] for x in r) / len(r)
        print(f"{name:24s} {n_modes:7d} {cap:16.2f} {100 * hq:12.1f}% {per:>18s} {sec:6.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
