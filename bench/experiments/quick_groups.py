"""Tuning round 6 for `quick`: self-conditioning on k-means look-alike groups.

    python bench/experiments/quick_groups.py CLUSTERS [STEPS [SEED [GRID.png]]]

Trains the quick preset with ``clusters=CLUSTERS`` (0 = the unconditional round-5 preset),
single-threaded, and prints score / FD / classes of the final EMA G on 2,000 samples, plus the
purity of the groups against the digit labels (labels are used for this report only).
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from gan_core import data, metrics
from gan_core.batches import group_labels
from gan_core.config import PRESETS
from gan_core.train import RunResult, Trainer, generate


def main():
    k = int(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else PRESETS["quick"].steps
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    torch.set_num_threads(1)
    cfg = PRESETS["quick"].replace(clusters=k, steps=steps, seed=seed)
    purity = ""
    if k:
        groups = group_labels(cfg.dataset, k)[0].numpy()
        digits = data.mnist5k().labels
        biggest = [np.bincount(digits[groups == j]).max() for j in range(k) if (groups == j).any()]
        share = sum(biggest) / len(digits)
        purity = f"purity {share:.3f}"
    t0 = time.process_time()
    res = Trainer(cfg).run(None)
    cpu = time.process_time() - t0
    run = RunResult(cfg, "ok", "", {}, [], res.generator)
    samples = generate(run, metrics.EVAL_SAMPLES, seed=metrics.EVAL_SEED)
    m = metrics.evaluate_images(samples)
    if len(sys.argv) > 4:  # a PNG of the first 100 samples, to look at
        from PIL import Image

        from gan_core.export import tile
        Image.fromarray(tile(samples[:100], ncol=10, scale=2)).save(sys.argv[4])
    print(f"clusters {k}", steps, f"seed {seed}", f"cpu {cpu:.0f}s", purity,
          f"{m['score']:.2f}/{m['fd']:.1f}/{m['classes_covered']}", flush=True)


main()
