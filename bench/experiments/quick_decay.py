"""Tuning round 4 for `quick`: learning-rate decay at the end, and truncated noise.

    python bench/experiments/quick_decay.py NAME STEPS DECAY_FROM [JSON overrides]

DECAY_FROM in [0, 1]: both learning rates fall linearly to zero from that fraction of the run
(1 = no decay). Scores the final EMA G on 2,000 samples with noise z ~ N(0, 1) and with z
scaled by 0.8 and 0.6 ("truncation": nearer the middle of the noise, fewer odd shapes).
Prints score / FD / classes for each.
"""
import json
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from gan_core import metrics
from gan_core.config import PRESETS
from gan_core.train import Trainer, load_generator, to_uint8


def samples(cfg, state, scale: float) -> np.ndarray:
    g = load_generator(cfg, state)
    z = torch.randn(metrics.EVAL_SAMPLES, cfg.nz, generator=torch.Generator().manual_seed(metrics.EVAL_SEED))
    with torch.no_grad():
        return to_uint8(torch.cat([g(z[i:i + 500] * scale) for i in range(0, len(z), 500)]))


def main():
    name, steps, decay_from = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    torch.set_num_threads(1)
    cfg = PRESETS["quick"].replace(steps=steps, **extra)
    tr = Trainer(cfg)
    start = int(decay_from * steps)

    def cb(kind, p):
        if kind == "step" and p.step >= start and decay_from < 1:
            frac = max(0.0, (steps - p.step) / max(1, steps - start))
            for opt, lr in ((tr.opt_g, cfg.lr_g), (tr.opt_d, cfg.lr_d)):
                for group in opt.param_groups:
                    group["lr"] = lr * frac

    t0 = time.process_time()
    res = tr.run(cb)
    cpu = time.process_time() - t0
    out = []
    for scale in (1.0, 0.8, 0.6):
        m = metrics.evaluate_images(samples(cfg, res.generator, scale))
        out.append(f"z*{scale}: {m['score']:.2f}/{m['fd']:.1f}/{m['classes_covered']}")
    print(name, f"cpu {cpu:.0f}s", " | ".join(out), flush=True)


main()
