"""Tuning round 3 for `quick`: DiffAugment-style translation / cutout in front of D, minibatch-stddev.

    python bench/experiments/quick_augment.py NAME SHIFT CUTOUT STEPS [JSON overrides]

Prints score / FD / classes at a third, two thirds and all of STEPS (EMA G, 2,000 samples).
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from gan_core import metrics
from gan_core.config import PRESETS
from gan_core.train import RunResult, Trainer, generate


def translate(x, r, gen):
    N, C, H, W = x.shape
    sy = torch.randint(-r, r + 1, (N,), generator=gen)
    sx = torch.randint(-r, r + 1, (N,), generator=gen)
    xp = F.pad(x, (r, r, r, r), value=-1.0)
    iy = torch.arange(H)[None, :] + r + sy[:, None]
    ix = torch.arange(W)[None, :] + r + sx[:, None]
    out = xp[torch.arange(N)[:, None, None], :, iy[:, :, None], ix[:, None, :]]
    return out.permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)

def cutout(x, size, gen):
    N, C, H, W = x.shape
    cy = torch.randint(0, H, (N, 1, 1), generator=gen)
    cx = torch.randint(0, W, (N, 1, 1), generator=gen)
    yy = torch.arange(H)[None, :, None]
    xx = torch.arange(W)[None, None, :]
    m = ((yy - cy).abs() <= size // 2) & ((xx - cx).abs() <= size // 2)
    return torch.where(m[:, None], torch.full_like(x, -1.0), x)

class AugD(nn.Module):
    def __init__(self, d, r, cut, seed):
        super().__init__()
        self.inner, self.r, self.cut = d, r, cut
        self.gen = torch.Generator().manual_seed(seed + 999)

    def forward(self, x, y=None):
        if self.r:
            x = translate(x, self.r, self.gen)
        if self.cut:
            x = cutout(x, self.cut, self.gen)
        return self.inner(x, y)

def main():
    name = sys.argv[1]
    r, cut, steps = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    extra = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    torch.set_num_threads(1)
    cfg = PRESETS["quick"].replace(steps=steps, **extra)
    tr = Trainer(cfg)
    if r or cut:
        tr.d = AugD(tr.d, r, cut, cfg.seed)
    keep = []
    every = steps // 3
    def cb(kind, p):
        if kind == "step" and p.step % every == 0:
            keep.append((p.step, time.process_time(), tr.generator_state()))
    t0 = time.process_time()
    tr.run(cb)
    cpu_run = time.process_time()-t0
    out = []
    for step, _cpu, st in keep:
        samples = generate(RunResult(cfg, "ok", "", {}, [], st), metrics.EVAL_SAMPLES, seed=metrics.EVAL_SEED)
        m = metrics.evaluate_images(samples)
        out.append(f"@{step} {m['score']:.2f}/{m['fd']:.1f}/{m['classes_covered']}")
    print(name, f"cpu {cpu_run:.0f}s", " ".join(out), flush=True)

main()
