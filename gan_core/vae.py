"""A variational autoencoder on the same digits, to set beside the textbook's GAN.

Both are generative models: after training, random noise goes in and a new digit comes out.
They learn it differently. The VAE squeezes each training digit into a small code and learns
to rebuild it; its loss is the rebuild error (binary cross-entropy per pixel) plus a
Kullback-Leibler term that keeps the codes close to a standard normal, so that any normal
noise decodes to something digit-like. Where it is unsure, the best rebuild under that loss is
an average of the possibilities: grey, blurred strokes. The GAN's generator is never shown a
training digit; it only learns to get past a discriminator, which punishes blur, so its digits
are sharp (and sometimes wrong).

``make_vae_run`` trains the VAE with the textbook GAN's budget (the same shipped digits, batch
512, the book run's number of steps, fully connected networks of similar size) and writes
``pretrained/vae_run.npz`` (samples from fixed noise, rebuilt held-out digits, the loss
history) with a sidecar ``vae_run.json`` holding its measured quality beside the book run's.
Command: ``python -m gan_core vae-run --out pretrained/``.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from gan_core.files import PRETRAINED, sha256_file

NPZ, SIDECAR = "vae_run.npz", "vae_run.json"
LATENT, HIDDEN = 20, 400
GREY_LO, GREY_HI = 0.25, 0.75  # a pixel between these is neither ink nor paper


def grey_share(images_uint8: np.ndarray) -> float:
    """Share of pixels that are grey (neither ink nor paper): blur shows up here. Real digits
    have few; an average of several possible strokes has many."""
    x = np.asarray(images_uint8, dtype=np.float64) / 255.0
    return float(((x > GREY_LO) & (x < GREY_HI)).mean())


def _net(latent: int = LATENT):
    import torch
    from torch import nn

    class VAE(nn.Module):
        """784 -> 400 -> (mean, log-variance) of a ``latent``-number code; code -> 400 -> 784 logits."""

        def __init__(self):
            super().__init__()
            self.latent = latent
            self.enc = nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU())
            self.mu, self.logvar = nn.Linear(HIDDEN, latent), nn.Linear(HIDDEN, latent)
            self.dec = nn.Sequential(nn.Linear(latent, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 784))

        def forward(self, x: torch.Tensor, noise: torch.Tensor):
            h = self.enc(x)
            mu, logvar = self.mu(h), self.logvar(h)
            z = mu + torch.exp(0.5 * logvar) * noise  # the reparameterisation: noise from outside
            return self.dec(z), mu, logvar

    return VAE()


def loss_terms(logits, x, mu, logvar):
    """(rebuild, kl) per digit, averaged over the batch: binary cross-entropy summed over the 784
    pixels, and KL(N(mu, exp(logvar)) || N(0, 1)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar))."""
    import torch.nn.functional as F

    rebuild = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
    return rebuild, kl


def train_vae(steps: int, batch: int = 512, lr: float = 1e-3, seed: int = 0, log=None,
              latent: int = LATENT, beta: float = 1.0, progress=None) -> dict[str, Any]:
    """Train on the shipped digits' training part; returns the model and the loss history.

    ``beta`` weighs the KL term (1 is the plain VAE; 0 leaves an ordinary autoencoder whose codes
    need not look like normal noise). ``progress(done, steps)`` is called every 100 steps.
    """
    import torch

    from gan_core.data import mnist5k_split

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    train, _ = mnist5k_split()
    x_all = torch.from_numpy(train.images.reshape(len(train.images), -1).astype(np.float32) / 255.0)
    model = _net(latent)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    hist = {"rebuild": np.zeros(steps), "kl": np.zeros(steps)}
    t0 = time.perf_counter()
    for step in range(steps):
        idx = torch.randint(0, len(x_all), (batch,), generator=gen)
        x = x_all[idx]
        logits, mu, logvar = model(x, torch.randn(batch, latent, generator=gen))
        rebuild, kl = loss_terms(logits, x, mu, logvar)
        opt.zero_grad(set_to_none=True)
        (rebuild + kl if beta == 1.0 else rebuild + beta * kl).backward()
        opt.step()
        hist["rebuild"][step], hist["kl"][step] = float(rebuild.detach()), float(kl.detach())
        if log is not None and (step + 1) % 1000 == 0:
            log(f"step {step + 1}/{steps}: rebuild {float(rebuild):.1f}, kl {float(kl):.1f}")
        if progress is not None and (step + 1) % 100 == 0:
            progress(step + 1, steps)
    return {"model": model.eval(), "history": hist, "seconds": time.perf_counter() - t0}


def _uint8(logits) -> np.ndarray:
    import torch

    return (torch.sigmoid(logits).reshape(-1, 28, 28).numpy() * 255).round().astype(np.uint8)


def sample(model, n: int, seed: int) -> np.ndarray:
    """n new digits (uint8, n x 28 x 28) decoded from standard normal codes."""
    import torch

    with torch.no_grad():
        return _uint8(model.dec(torch.randn(n, model.latent, generator=torch.Generator().manual_seed(seed))))


def rebuild(model, images_uint8: np.ndarray) -> np.ndarray:
    """Digits through the code and back (the code's mean, no noise)."""
    import torch

    x = torch.from_numpy(images_uint8.reshape(len(images_uint8), -1).astype(np.float32) / 255.0)
    with torch.no_grad():
        return _uint8(model.dec(model.mu(model.enc(x))))


def make_vae_run(out_dir: Path | str, steps: int, command: str, log=print) -> Path:
    """Train, measure (the same numbers as the GAN runs get) and write the npz and its sidecar."""
    from gan_core import metrics
    from gan_core.data import mnist5k_split

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = train_vae(steps, log=log)
    model = run["model"]
    _, held = mnist5k_split()
    originals = held.images[np.arange(0, len(held.images), len(held.images) // 16)[:16]]
    evaluated = sample(model, metrics.EVAL_SAMPLES, metrics.EVAL_SEED)
    quality = {k: v for k, v in metrics.evaluate_images(evaluated).items() if isinstance(v, (int, float))}
    quality["grey_share"] = grey_share(evaluated)
    quality["grey_share_real"] = grey_share(held.images)
    path = out_dir / NPZ
    hist = {f"hist_{k}": v.astype(np.float32) for k, v in run["history"].items()}
    np.savez_compressed(path, samples=sample(model, 64, 0), originals=originals,
                        rebuilt=rebuild(model, originals), **hist)
    sidecar = {
        "what": "a variational autoencoder trained with the textbook GAN's budget, to compare with it",
        "command": command, "config": {"steps": steps, "batch": 512, "lr": 1e-3, "seed": 0, "latent": LATENT,
                                       "hidden": HIDDEN},
        "data": "MNIST 5k subset shipped in gan_core/assets (training part; held-out digits rebuilt)",
        "seconds": round(run["seconds"], 1), "quality": quality, "sha256": sha256_file(path),
    }
    (out_dir / SIDECAR).write_text(json.dumps(sidecar, indent=1) + "\n", encoding="utf-8")
    return path


def shipped(folder: Path | str | None = None) -> dict[str, Any] | None:
    """The shipped VAE run's pictures, history and sidecar (numpy only), or None if absent."""
    folder = Path(folder) if folder is not None else PRETRAINED
    try:
        with np.load(folder / NPZ, allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
        out["info"] = json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return None
    return out


# ---- a student's own VAE: code size and KL weight, trained live in seconds --------------------------
LIVE_LATENTS = (2, 8, 20)  # 2 lets the page draw the whole code space as a map
LIVE_BETAS = (0.0, 0.25, 1.0, 4.0)
LIVE_STEPS, LIVE_BATCH, MAP_SIDE = 1500, 128, 12
_live: dict[tuple[int, float], dict[str, Any]] = {}
_live_locks: dict[tuple[int, float], threading.Lock] = {}
_live_progress: dict[tuple[int, float], float] = {}
_live_failed: dict[tuple[int, float], str] = {}
_live_guard = threading.Lock()


def live_status(latent: int, beta: float) -> tuple[str, Any]:
    """Where this server's live run for these settings stands: ("done", result),
    ("running", fraction done), ("failed", message) or ("idle", None)."""
    key = (int(latent), float(beta))
    if key in _live:
        return "done", _live[key]
    if key in _live_failed:
        return "failed", _live_failed[key]
    if key in _live_progress:
        return "running", _live_progress[key]
    return "idle", None


def start_live(latent: int, beta: float) -> None:
    """Start ``live_run`` in a background thread unless it is done or running: a page that starts
    it can be left mid-run, and anyone who asks again later finds the result."""
    key = (int(latent), float(beta))
    _check(key)
    with _live_guard:
        if key in _live or key in _live_progress:
            return
        _live_progress[key] = 0.0
        _live_failed.pop(key, None)
    threading.Thread(target=_live_thread, args=(key,), daemon=True, name=f"vae-live-{key}").start()


def _live_thread(key: tuple[int, float]) -> None:
    def progress(done: int, steps: int) -> None:
        _live_progress[key] = done / steps

    try:
        live_run(*key, progress=progress)
    except Exception as err:  # reported on the page as one sentence, the server keeps going
        _live_failed[key] = f"{type(err).__name__}: {err}"
    finally:
        _live_progress.pop(key, None)


def _check(key: tuple[int, float]) -> None:
    if key[0] not in LIVE_LATENTS or key[1] not in LIVE_BETAS:
        raise ValueError(f"latent must be one of {LIVE_LATENTS} and beta one of {LIVE_BETAS}")


def live_run(latent: int, beta: float, progress=None) -> dict[str, Any]:
    """Train a small VAE with ``latent`` code numbers and KL weight ``beta`` (one CPU thread,
    LIVE_STEPS steps of LIVE_BATCH) and measure it: held-out rebuild error and KL per digit, new
    digits from noise with the classifier score and grey share, and for a 2-number code the
    decoded map of the code space. One training per setting per server: a second caller waits
    for the first and gets the same result."""
    key = (int(latent), float(beta))
    _check(key)
    with _live_guard:
        lock = _live_locks.setdefault(key, threading.Lock())
    with lock:
        if key not in _live:
            from gan_core.threads import single_thread

            with single_thread():
                _live[key] = _measure_live(key, progress)
    return _live[key]


def _measure_live(key: tuple[int, float], progress) -> dict[str, Any]:
    import torch

    from gan_core import metrics
    from gan_core.data import mnist5k_split

    latent, beta = key
    run = train_vae(LIVE_STEPS, batch=LIVE_BATCH, latent=latent, beta=beta, progress=progress)
    model = run["model"]
    _, held = mnist5k_split()
    x = torch.from_numpy(held.images.reshape(len(held.images), -1).astype(np.float32) / 255.0)
    with torch.no_grad():
        h = model.enc(x)
        mu, logvar = model.mu(h), model.logvar(h)
        rebuild_err, kl = loss_terms(model.dec(mu), x, mu, logvar)
    originals = held.images[np.arange(0, len(held.images), len(held.images) // 16)[:16]]
    evaluated = sample(model, metrics.EVAL_SAMPLES, metrics.EVAL_SEED)
    out = {
        "latent": latent, "beta": beta, "seconds": run["seconds"],
        "originals": originals, "rebuilt": rebuild(model, originals), "samples": evaluated[:36],
        "rebuild_error": float(rebuild_err), "kl": float(kl),
        "score": float(metrics.evaluate_images(evaluated)["score"]), "grey": grey_share(evaluated),
        "history": {k: v.astype(np.float32) for k, v in run["history"].items()},
    }
    if latent == 2:
        q = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, MAP_SIDE))
        codes = torch.stack(torch.meshgrid(q, q.flip(0), indexing="xy"), -1).reshape(-1, 2)
        with torch.no_grad():
            out["map"] = _uint8(model.dec(codes))
    return out
