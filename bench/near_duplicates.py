"""How often real digits count as near copies of one another (the threshold of gan_core.modes).

``gan_core.modes.near_duplicate_rate`` calls two digits copies when their RMS pixel difference
(pixels scaled to 0..1) is below ``NEAR_DUP_DIST``. A collapsed generator repeats itself, real
handwriting rarely does: this prints the rate for random sets of 2,000 training digits (the
size the mode-collapse page measures) and for the 500 held-out digits, so the threshold can be
checked against real data.

    python bench/near_duplicates.py
    python bench/near_duplicates.py --seeds 0 1 2 3 4 --threshold 0.05
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_core.data import mnist5k_split
from gan_core.modes import NEAR_DUP_DIST, NEAR_DUP_MAX, near_duplicate_rate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--threshold", type=float, default=NEAR_DUP_DIST)
    args = ap.parse_args(argv)
    train, held = mnist5k_split()
    rates = []
    for seed in args.seeds:
        pick = np.random.default_rng(seed).choice(len(train), NEAR_DUP_MAX, replace=False)
        rates.append(near_duplicate_rate(train.images[pick], args.threshold))
        print(f"{NEAR_DUP_MAX} random training digits, seed {seed}: {100 * rates[-1]:.2f}% near copies")
    held_rate = near_duplicate_rate(held.images, args.threshold)
    print(f"{len(held)} held-out digits: {100 * held_rate:.2f}% near copies")
    print(f"threshold {args.threshold:g}: mean over {len(rates)} training sets {100 * np.mean(rates):.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
