"""Does the conditional GAN draw the digit it is asked for?

Trains the ``cgan`` preset through the shared run cache (instant when already cached), asks the
generator for ``--per-class`` samples of every digit (fixed noise), and prints, per digit d,
the share of samples the shipped digit classifier (gan_core.metrics) reads as d; the mean is
the last line. Usage: python bench/conditional.py [--per-class 200] [--preset cgan]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    from gan_core.config import PRESETS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="cgan", choices=[n for n, c in PRESETS.items() if c.conditional])
    p.add_argument("--per-class", type=int, default=200)
    args = p.parse_args(argv)

    from gan_core.classifier import classifier_info
    from gan_core.conditional import label_agreement
    from gan_core.pool import run_sync

    cfg = PRESETS[args.preset]
    t0 = time.perf_counter()
    result = run_sync(cfg)
    wall = time.perf_counter() - t0
    print(f"preset {args.preset} ({cfg.arch}, {cfg.steps} steps, batch {cfg.batch}, key {cfg.key}): "
          f"status {result.status}, training {result.seconds:.1f} s (this call {wall:.1f} s; shared CPU)")
    info = classifier_info()
    if info:
        acc = info.get("heldout_accuracy", info.get("accuracy"))
        print(f"classifier: {info.get('sha256', '?')[:12]} held-out accuracy {acc}")
    out = label_agreement(result, per_class=args.per_class)
    for d, rate in enumerate(out["per_digit"]):
        print(f"digit {d}: {100 * rate:5.1f}% of {args.per_class} samples classified as {d}")
    print(f"mean: {100 * out['mean']:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
