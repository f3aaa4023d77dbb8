"""The counterfeit page's police officer: a discriminator trained against the book run's forger.

The shipped long run of the textbook's GAN (``gan_core.bookrun``) keeps only its generator.
To let a student play the counterfeiter, the page needs a discriminator that has learnt what
real digits look like next to that generator's prints. ``make_judge`` trains one:

* the network is the small DCGAN discriminator of ``gan_core.models`` (two stride-2 convs and
  a linear head, ``ndf`` 32: about 37,000 weights), returning a logit; D(x) = sigmoid(logit);
* real pictures are the 4,500 training digits of ``mnist5k_split()``; forgeries are fresh
  samples of the book run's final generator (new noise every step) and, for a quarter of them,
  pictures made of real digits that are no digit (``not_digits``: halves of two different
  digits, digits turned on their side). Without those, D only learns the generator's
  fingerprints and passes anything else -- a box, a straight line -- as real (measured: a
  horizontal line scored 1.00); with them it has to look at shapes too. Everything is shifted
  by up to two pixels so that position alone tells nothing;
* the generator does not learn any more: this officer has studied one counterfeiter, fully
  trained, and has never seen a child's drawing, a letter or a scribble.

Files: ``pretrained/judge.pt`` (fp16 state dict, ``weights_only=True``) and ``judge.json``
(what, command, config, data with sha256, held-out accuracy on real vs generated digits,
sha256 of the weights, train_seconds). Command: ``python -m gan_core judge-run --out pretrained/``.
"""
from __future__ import annotations

import json
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from gan_core.files import PRETRAINED, sha256_file
from gan_core.mnistify import net_input

WEIGHTS, SIDECAR = "judge.pt", "judge.json"
JUDGE_DEFAULTS = {"steps": 2000, "batch": 128, "lr": 2e-4, "beta1": 0.5, "ndf": 32, "shift": 2, "seed": 0,
                  "negatives": 0.25}
EVAL_SEED = 10_000  # the noise of the held-out generated digits (never drawn in training)
EVAL_FAKES = 500  # as many as the held-out real digits


def _torch_input(images_uint8: np.ndarray):
    import torch

    arr = np.asarray(images_uint8)
    if arr.ndim != 3 or arr.shape[1:] != (28, 28):
        raise ValueError(f"expected N x 28 x 28 images, got shape {arr.shape}")
    return torch.from_numpy(net_input(arr)).unsqueeze(1)  # N x 1 x 28 x 28 in [-1, 1]


def _shift(x, max_shift: int, gen):
    """Translate each picture by up to ``max_shift`` pixels (background -1 comes in)."""
    import torch
    import torch.nn.functional as F

    if max_shift <= 0:
        return x
    n = x.shape[0]
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    rows = (torch.arange(28).view(1, 28) + dy.view(n, 1)).view(n, 1, 28, 1)
    cols = (torch.arange(28).view(1, 28) + dx.view(n, 1)).view(n, 1, 1, 28)
    return padded[torch.arange(n).view(n, 1, 1, 1), 0, rows, cols]


def book_generator(folder: Path | str | None = None):
    """The book run's final generator (eval mode, no gradients) and its latent size."""
    import torch

    from gan_core import bookrun
    from gan_core.config import from_dict
    from gan_core.train import load_generator

    folder = Path(folder) if folder is not None else PRETRAINED
    cfg = from_dict(bookrun.book_run_info(folder)["config"])
    state = torch.load(folder / bookrun.WEIGHTS, map_location="cpu", weights_only=True)
    g = load_generator(cfg, state)
    for p in g.parameters():
        p.requires_grad_(False)
    return g, cfg.nz


def generated(g, nz: int, n: int, seed: int) -> np.ndarray:
    """n of the generator's digits from the noise of ``seed`` (uint8 n x 28 x 28)."""
    import torch

    from gan_core.train import to_uint8

    with torch.no_grad():
        return to_uint8(g(torch.randn(n, nz, generator=torch.Generator().manual_seed(seed))))


TURNABLE = (2, 3, 4, 5, 6, 7, 9)  # turned, these are no digit (a 0 or an 8 turned still looks like one)


def not_digits(images, labels, n: int, gen):
    """n pictures made of real digits that are no digit: the top half of one digit over the
    bottom half of a digit of another class, and digits turned a quarter turn (negative data
    augmentation, Sinha et al., ICLR 2021). They carry real pen strokes, so D can tell them
    from real digits only by their shape."""
    import torch

    a = torch.randint(0, len(images), (n,), generator=gen)
    b = torch.randint(0, len(images), (n,), generator=gen)
    while bool((same := labels[a] == labels[b]).any()):  # the bottom half from another class
        b[same] = torch.randint(0, len(images), (int(same.sum()),), generator=gen)
    halves = torch.cat([images[a[: n // 2], :, :14], images[b[: n // 2], :, 14:]], 2)
    turnable = torch.nonzero(torch.isin(labels, torch.tensor(TURNABLE))).view(-1)
    c = turnable[torch.randint(0, len(turnable), (n - n // 2,), generator=gen)]
    turned = torch.rot90(images[c], 1 if torch.rand(1, generator=gen) < 0.5 else -1, (2, 3))
    return torch.cat([halves, turned])


def train_judge(steps: int, batch: int, lr: float, beta1: float, ndf: int, shift: int, seed: int,
                negatives: float, folder: Path | str | None = None, log=None) -> dict[str, Any]:
    """Train D against the book run's generator; returns the model (eval mode) and its numbers."""
    import torch
    import torch.nn.functional as F

    from gan_core.data import mnist5k_split
    from gan_core.models import DCGANDiscriminator, init_weights

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    g, nz = book_generator(folder)
    train, held = mnist5k_split()
    real_all = _torch_input(train.images)
    labels = torch.from_numpy(train.labels.astype(np.int64))
    d = DCGANDiscriminator(ndf)
    init_weights(d)
    opt = torch.optim.Adam(d.parameters(), lr=lr, betas=(beta1, 0.999))
    # the rate falls to 0 along a cosine: the last weights settle instead of swinging step to step
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    target = torch.cat([torch.ones(batch), torch.zeros(batch)])
    t0 = time.perf_counter()
    for step in range(steps):
        real = real_all[torch.randint(0, len(real_all), (batch,), generator=gen)]
        n_not = int(round(batch * negatives))
        with torch.no_grad():
            fake = g(torch.randn(batch - n_not, nz, generator=gen))
        if n_not:
            fake = torch.cat([fake, not_digits(real_all, labels, n_not, gen)])
        x = _shift(torch.cat([real, fake]), shift, gen)  # one batch: BatchNorm sees both kinds
        loss = F.binary_cross_entropy_with_logits(d(x), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if log is not None and (step + 1) % 250 == 0:
            seconds = time.perf_counter() - t0
            log(f"step {step + 1}/{steps}: loss {float(loss.detach()):.4f} ({seconds:.0f} s)")
    seconds = time.perf_counter() - t0
    d.eval()
    fakes = generated(g, nz, EVAL_FAKES, EVAL_SEED)
    quality = measure(d, held.images, fakes)
    return {"model": d, "seconds": seconds, "quality": quality}


def measure(d, real_uint8: np.ndarray, fake_uint8: np.ndarray) -> dict[str, float]:
    """D's accuracy on real vs generated pictures (threshold 1/2) and its mean verdicts; also
    its mean verdict on uniform noise, which it was never shown."""
    p_real, p_fake = score(real_uint8, d), score(fake_uint8, d)
    noise = np.random.default_rng(0).integers(0, 256, (200, 28, 28), dtype=np.uint8)
    return {
        "heldout_accuracy": round(float(((p_real > 0.5).sum() + (p_fake <= 0.5).sum())
                                        / (len(p_real) + len(p_fake))), 4),
        "heldout_real_passed": round(float((p_real > 0.5).mean()), 4),
        "heldout_fake_caught": round(float((p_fake <= 0.5).mean()), 4),
        "mean_d_real": round(float(p_real.mean()), 4),
        "mean_d_generated": round(float(p_fake.mean()), 4),
        "mean_d_uniform_noise": round(float(score(noise, d).mean()), 4),
        "n_real": len(p_real), "n_generated": len(p_fake),
    }


def score(images_uint8: np.ndarray, d=None) -> np.ndarray:
    """D(x) = sigmoid(logit) for each picture, float64 in [0, 1]: 1 means 'looks real'."""
    import torch

    d = d or load_judge()
    with torch.inference_mode():
        return torch.sigmoid(d(_torch_input(images_uint8)).double()).numpy()


# ---- the shipped file -----------------------------------------------------------------------
_LOAD_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def _load(path: str):
    import torch

    from gan_core.models import DCGANDiscriminator

    state = torch.load(path, map_location="cpu", weights_only=True)
    d = DCGANDiscriminator(int(state["main.0.weight"].shape[0]))
    d.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    for p in d.parameters():
        p.requires_grad_(False)
    return d.eval()


def judge_available(folder: Path | str | None = None) -> bool:
    folder = Path(folder) if folder is not None else PRETRAINED
    return (folder / WEIGHTS).exists() and (folder / SIDECAR).exists()


def load_judge(folder: Path | str | None = None):
    """The shipped discriminator (eval mode, loaded once per process)."""
    folder = Path(folder) if folder is not None else PRETRAINED
    path = folder / WEIGHTS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m gan_core judge-run --out pretrained/`")
    with _LOAD_LOCK:
        return _load(str(path.resolve()))


def judge_info(folder: Path | str | None = None) -> dict[str, Any]:
    folder = Path(folder) if folder is not None else PRETRAINED
    return json.loads((folder / SIDECAR).read_text(encoding="utf-8"))


def make_judge(out_dir: Path | str, command: str, log=print, **overrides) -> Path:
    """Train the discriminator and write ``judge.pt`` (fp16) and ``judge.json``; returns the sidecar."""
    import torch

    from gan_core import bookrun
    from gan_core.data import MNIST5K_FILE, mnist5k_split

    cfg = {**JUDGE_DEFAULTS, **overrides}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = train_judge(log=log, **cfg)
    path = out_dir / WEIGHTS
    torch.save({k: (v.half() if v.is_floating_point() else v).contiguous()
                for k, v in run["model"].state_dict().items()}, path)
    _load.cache_clear()
    # the numbers of the file as shipped (fp16 weights), not of the fp32 model in memory
    train, held = mnist5k_split()
    g, nz = book_generator()
    quality = measure(load_judge(out_dir), held.images, generated(g, nz, EVAL_FAKES, EVAL_SEED))
    meta = {
        "what": ("a discriminator (the police officer) trained against the final generator of the "
                 "book's long run (the counterfeiter), for the police-vs-counterfeiter page; a quarter "
                 "of its forgeries are real digits made into no digit (halves of two, turned on a side)"),
        "command": command,
        "config": cfg,
        "architecture": "DCGANDiscriminator (gan_core/models.py), ndf 32: 2 stride-2 convs, BatchNorm, "
                        "linear head to one logit; D(x) = sigmoid(logit)",
        "data": {"real": {"file": "gan_core/assets/mnist_5k.npz", "sha256": sha256_file(MNIST5K_FILE),
                          "train": len(train), "heldout": len(held),
                          "split": "last 50 digits of each class held out (gan_core.data.mnist5k_split)"},
                 "generated": {"file": f"pretrained/{bookrun.WEIGHTS}",
                               "sha256": sha256_file(PRETRAINED / bookrun.WEIGHTS),
                               "heldout_noise_seed": EVAL_SEED}},
        "quality": quality,
        "quality_fp32_in_training": run["quality"],
        "train_seconds": round(run["seconds"], 1),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "dtype": "float16",
        "sha256": sha256_file(path),
    }
    side = out_dir / SIDECAR
    side.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return side


def cli(args) -> int:
    """``python -m gan_core judge-run --out DIR``: one CPU thread, as a class's server would have."""
    import torch

    torch.set_num_threads(1)
    side = make_judge(Path(args.out), f"python -m gan_core judge-run --out {args.out}",
                      log=lambda m: print(m, flush=True))
    print(f"wrote {side}")
    return 0
