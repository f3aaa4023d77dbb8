"""Tuning round 5 for `quick`: a stronger or smoother discriminator, top-k generator updates.

    python bench/experiments/quick_round5.py VARIANT [STEPS [GRID.png]]

VARIANT: base | d64 (D twice as wide, G unchanged) | d3 (D with a third 3x3 conv) | sn (spectral
norm on every D layer, BatchNorm removed) | topk (G's loss on the 75% of fakes D rates highest,
from a third of the run on; Sinha et al. 2020). Prints score / FD / classes of the final EMA G.
"""
import sys
import time

import torch
from torch import nn

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from gan_core import losses, metrics
from gan_core.config import PRESETS
from gan_core.models import DCGANDiscriminator
from gan_core.train import RunResult, Trainer, generate


def main():
    variant = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else PRESETS["quick"].steps
    torch.set_num_threads(1)
    cfg = PRESETS["quick"].replace(steps=steps)
    tr = Trainer(cfg)
    if variant in ("d64", "d3", "sn"):
        torch.manual_seed(cfg.seed + 1)
        d = DCGANDiscriminator(ndf=64 if variant == "d64" else 32)
        if variant == "d3":
            ndf = 32
            d.main = nn.Sequential(*list(d.main)[:-1], nn.Conv2d(ndf * 2, ndf * 2, 3, 1, 1, bias=False),
                                   nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True), nn.Flatten())
        if variant == "sn":
            layers = [nn.Identity() if isinstance(m, nn.BatchNorm2d) else m for m in d.main]
            d.main = nn.Sequential(*layers)
            for m in list(d.main) + [d.head]:
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.utils.parametrizations.spectral_norm(m)
        tr.d = d.to(memory_format=torch.channels_last)
        tr.d_params = list(tr.d.parameters())
        tr.opt_d = torch.optim.Adam(tr.d.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        tr.joint_d = variant == "sn"
    if variant == "topk":
        plain = losses.g_loss
        state = {"step": 0}

        def topk_loss(kind, logit_fake):
            if state["step"] < steps // 3:
                return plain(kind, logit_fake)
            k = max(1, int(0.75 * logit_fake.numel()))
            return plain(kind, torch.topk(logit_fake, k).values)

        losses.g_loss = topk_loss

        def cb(kind, p):
            if kind == "step":
                state["step"] = p.step
    else:
        cb = None
    t0 = time.process_time()
    res = tr.run(cb)
    cpu = time.process_time() - t0
    run = RunResult(cfg, "ok", "", {}, [], res.generator)
    samples = generate(run, metrics.EVAL_SAMPLES, seed=metrics.EVAL_SEED)
    m = metrics.evaluate_images(samples)
    if len(sys.argv) > 3:  # a PNG of the first 100 samples, to look at
        from PIL import Image

        from gan_core.export import tile
        Image.fromarray(tile(samples[:100], ncol=10, scale=2)).save(sys.argv[3])
    print(variant, steps, f"cpu {cpu:.0f}s", f"{m['score']:.2f}/{m['fd']:.1f}/{m['classes_covered']}",
          flush=True)


main()
