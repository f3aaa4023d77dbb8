"""Super-resolution and restoration on the shipped digits: a pixel-loss net against SRGAN's idea.

A digit is degraded (shrunk to 4 x 4, 7 x 7 or 14 x 14 by averaging blocks of pixels, or blurred with
noise added), enlarged back to 28 x 28 by bicubic interpolation, and a small convolutional net
restores it. Two nets with the same layers, data order, steps and optimiser are trained:

* ``pixel``: the mean squared error to the original only. Where the small input fits several
  digits, the error is lowest for their average, so the net draws grey, blurred strokes.
* ``gan``: the same error plus a small adversarial term (Ledig et al. 2017, SRGAN): a
  discriminator learns to tell restored digits from real ones, and the net is pushed to draw
  strokes it can't tell apart, so they come out sharp, sometimes not exactly the original's.

``quality`` measures both on the 500 held-out digits for every degradation: PSNR (the pixel
net's own goal), the share of grey pixels (blur; real digits have few) and how often and how
surely the project's digit classifier reads the right digit. ``python -m gan_core superres-run
--out pretrained/`` trains both (a few minutes on one CPU thread) and writes ``superres.pt``
(both nets in float16) with its JSON sidecar. Torch is imported only where a net is needed.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gan_core.data import MNIST5K_FILE, mnist5k_split
from gan_core.files import PRETRAINED, SidecarMismatch, checked_sidecar, sha256_file
from gan_core.vae import grey_share

SUPERRES_FILE = PRETRAINED / "superres.pt"
KINDS = ("pool4", "pool7", "pool14", "blur")  # the degradations, hardest first
LOW_SIZE = {"pool4": 4, "pool7": 7, "pool14": 14, "blur": 28}
BLUR_SIGMA, BLUR_RADIUS, NOISE_STD = 1.5, 4, 0.2  # on the 0..1 grey scale
EVAL_SEED = 2017  # the noise of the held-out digits' "blur" inputs
CONFIG = {"steps": 2000, "batch": 32, "lr": 1e-3, "lr_d": 5e-4, "adv_weight": 0.03, "width": 16, "seed": 0}
NETS = ("pixel", "gan")


# ---- the degradations (numpy only) ----------------------------------------------------------------
def to_unit(images_uint8: np.ndarray) -> np.ndarray:
    """uint8 N x H x W -> float32 in 0..1."""
    return np.asarray(images_uint8, dtype=np.float32) / 255.0


def to_uint8(x: np.ndarray) -> np.ndarray:
    return (np.clip(np.asarray(x, dtype=np.float32), 0, 1) * 255).round().astype(np.uint8)


def average_pool(x: np.ndarray, size: int) -> np.ndarray:
    """N x 28 x 28 -> N x size x size: each output pixel is the mean of a (28/size)^2 block."""
    f = 28 // size
    return x.reshape(len(x), size, f, size, f).mean(axis=(2, 4), dtype=np.float32)


def gaussian_blur(x: np.ndarray, sigma: float = BLUR_SIGMA, radius: int = BLUR_RADIUS) -> np.ndarray:
    """Separable Gaussian blur of N x H x W (zero outside the picture: the paper is black)."""
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k = (k / k.sum()).astype(np.float32)
    n, h, w = x.shape
    p = np.pad(x, ((0, 0), (0, 0), (radius, radius)))
    x = sum(k[i] * p[:, :, i:i + w] for i in range(len(k)))
    p = np.pad(x, ((0, 0), (radius, radius), (0, 0)))
    return sum(k[i] * p[:, i:i + h, :] for i in range(len(k))).astype(np.float32)


def degrade(images_uint8: np.ndarray, kind: str, rng: np.random.Generator | None = None) -> np.ndarray:
    """The damaged input, float32 N x s x s in 0..1 (s = LOW_SIZE[kind]). ``blur`` adds Gaussian
    noise from ``rng`` (a fixed seed when none is given, so a digit always gets the same input)."""
    if kind not in KINDS:
        raise ValueError(f"unknown degradation {kind!r}")
    x = to_unit(images_uint8)
    if kind != "blur":
        return average_pool(x, LOW_SIZE[kind])
    rng = rng if rng is not None else np.random.default_rng(EVAL_SEED)
    noisy = gaussian_blur(x) + rng.normal(0.0, NOISE_STD, x.shape).astype(np.float32)
    return np.clip(noisy, 0, 1)


def bicubic(low: np.ndarray) -> np.ndarray:
    """N x s x s in 0..1 -> N x 28 x 28 by bicubic interpolation, clipped to 0..1 (the classic
    upscaler, and what both nets start from)."""
    low = np.asarray(low, dtype=np.float32)
    if low.shape[1:] == (28, 28):
        return low.copy()
    import torch
    import torch.nn.functional as F

    up = F.interpolate(torch.from_numpy(low)[:, None], size=(28, 28), mode="bicubic", align_corners=False)
    return up[:, 0].clamp(0, 1).numpy()


def psnr(a_uint8: np.ndarray, b_uint8: np.ndarray) -> np.ndarray:
    """Peak signal-to-noise ratio per image in dB (peak = full white); higher = closer pixels."""
    mse = ((to_unit(a_uint8) - to_unit(b_uint8)) ** 2).reshape(len(a_uint8), -1).mean(1)
    return 10 * np.log10(1.0 / np.maximum(mse, 1e-10))


# ---- the networks --------------------------------------------------------------------------------
def build_upscaler(width: int = CONFIG["width"]):
    """28 x 28 in -1..1 (the bicubic guess) -> 28 x 28 in -1..1: tanh(atanh(0.99 x) + residual).
    A stride-2 convolution takes the picture to 14 x 14, a residual block works there, a transposed
    convolution brings it back and a last convolution (zero at the start) adds the correction."""
    import torch
    from torch import nn

    class Upscaler(nn.Module):
        def __init__(self, w: int):
            super().__init__()
            self.head = nn.Sequential(nn.Conv2d(1, w, 3, padding=1), nn.ReLU())  # w x 28 x 28
            self.down = nn.Sequential(nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ReLU())  # 2w x 14 x 14
            self.body = nn.Sequential(nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(2 * w, 2 * w, 3, padding=1))
            self.up = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU())  # w x 28 x 28
            self.tail = nn.Conv2d(2 * w, 1, 3, padding=1)  # sees the up path and the head's maps
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.head(x)
            d = self.down(h)
            u = self.up(torch.relu(d + self.body(d)))
            return torch.tanh(torch.atanh(0.99 * x) + self.tail(torch.cat([u, h], 1)))

    return Upscaler(width)


def build_discriminator(width: int = CONFIG["width"]):
    """28 x 28 -> one logit: real digit or restored one (two stride-2 convolutions, LeakyReLU)."""
    from torch import nn

    return nn.Sequential(nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Flatten(), nn.Linear(2 * width * 49, 1))


def _net_in(x01: np.ndarray):
    import torch

    return torch.from_numpy(np.asarray(x01, dtype=np.float32) * 2 - 1)[:, None]


def run_net(net, guess01: np.ndarray, chunk: int = 500) -> np.ndarray:
    """A net on bicubic guesses (N x 28 x 28 in 0..1) -> uint8 N x 28 x 28."""
    import torch

    with torch.inference_mode():
        out = torch.cat([net(_net_in(guess01[i:i + chunk])) for i in range(0, len(guess01), chunk)])
    return to_uint8((out[:, 0].numpy() + 1) / 2)


# ---- training ------------------------------------------------------------------------------------
def _training_inputs(images_uint8: np.ndarray) -> dict[str, np.ndarray]:
    """The bicubic guesses of every training digit for the pooled kinds and the blurred digits (the
    noise is drawn per step)."""
    x = to_unit(images_uint8)
    out = {kind: bicubic(average_pool(x, LOW_SIZE[kind])) for kind in KINDS if kind != "blur"}
    return {**out, "blur": gaussian_blur(x)}


def train_pair(cfg: dict[str, Any] = CONFIG, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train the pixel-loss net and the pixel + adversarial net on the same batches (same seed, same
    degradations, same noise); returns their state dicts, final losses and seconds per net."""
    import torch

    train, _ = mnist5k_split()
    inputs = _training_inputs(train.images)
    target_all = _net_in(to_unit(train.images))
    out: dict[str, Any] = {"seconds": {}, "final": {}}
    for name in NETS:
        torch.manual_seed(cfg["seed"])
        gen = torch.Generator().manual_seed(cfg["seed"])
        rng = np.random.default_rng(cfg["seed"])
        g, d = build_upscaler(cfg["width"]), build_discriminator(cfg["width"])
        opt_g = torch.optim.Adam(g.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), lr=cfg["lr_d"], betas=(0.5, 0.999))
        t0 = time.perf_counter()
        for step in range(cfg["steps"]):
            idx = torch.randint(0, len(train.images), (cfg["batch"],), generator=gen).numpy()
            parts = np.array_split(idx, len(KINDS))  # each degradation gets an equal share of the batch
            noise = rng.normal(0.0, NOISE_STD, (len(parts[-1]), 28, 28)).astype(np.float32)
            guess = np.concatenate([inputs[kind][part] for kind, part in zip(KINDS[:-1], parts, strict=False)]
                                   + [np.clip(inputs["blur"][parts[-1]] + noise, 0, 1)])
            real = target_all[idx]
            fake = g(_net_in(guess))
            pixel = torch.mean((fake - real) ** 2)
            loss = pixel
            if name == "gan":
                d_loss = (torch.nn.functional.softplus(-d(real)).mean()
                          + torch.nn.functional.softplus(d(fake.detach())).mean())
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
                adv = torch.nn.functional.softplus(-d(fake)).mean()  # non-saturating: -log D(G(x))
                loss = pixel + cfg["adv_weight"] * adv
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
            if log is not None and (step + 1) % max(1, cfg["steps"] // 5) == 0:
                extra = (f", D loss {float(d_loss.detach()):.3f}, adversarial {float(adv.detach()):.3f}"
                         if name == "gan" else "")
                log(f"{name} step {step + 1}/{cfg['steps']}: pixel MSE {float(pixel.detach()):.4f}{extra}")
        out[name] = g.eval().state_dict()
        out["seconds"][name] = round(time.perf_counter() - t0, 1)
        out["final"][name] = {"pixel_mse": round(float(pixel.detach()), 5)}
        if name == "gan":
            out["final"][name].update(d_loss=round(float(d_loss.detach()), 4),
                                      adversarial=round(float(adv.detach()), 4))
    return out


# ---- the shipped pair ----------------------------------------------------------------------------
class SuperResError(RuntimeError):
    """The shipped upscalers are missing or do not match their sidecar."""


@dataclass(frozen=True)
class Upscalers:
    pixel: Any  # the pixel-loss net
    gan: Any  # the pixel + adversarial net
    info: dict  # the sidecar

    def restore(self, guess01: np.ndarray) -> dict[str, np.ndarray]:
        """{"pixel": uint8, "gan": uint8} restorations of N bicubic guesses."""
        return {name: run_net(getattr(self, name), guess01) for name in NETS}


def sidecar_path(path: Path) -> Path:
    return Path(path).with_suffix(".json")


_lock = threading.Lock()
_loaded: dict[str, Upscalers] = {}


def load(path: Path = SUPERRES_FILE) -> Upscalers:
    """Both nets (float32, eval mode, no gradients), after the file's SHA-256 is checked against
    its sidecar; loaded once per process."""
    import torch

    key = str(Path(path).resolve())
    with _lock:
        if key in _loaded:
            return _loaded[key]
        try:
            info = checked_sidecar(path, sidecar_path(path))
            raw = torch.load(path, map_location="cpu", weights_only=True)
            nets = {}
            for name in NETS:
                net = build_upscaler(int(info["config"]["width"]))
                net.load_state_dict({k: v.float() for k, v in raw[name].items()})
                for p in net.parameters():
                    p.requires_grad_(False)
                nets[name] = net.eval()
        except SidecarMismatch as err:
            raise SuperResError(str(err)) from None
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise SuperResError(f"the upscalers could not be read ({type(err).__name__})") from None
        model = Upscalers(nets["pixel"], nets["gan"], info)
        _loaded[key] = model
        return model


def example(model: Upscalers, index: int, kind: str) -> dict[str, Any]:
    """One held-out digit through ``kind``: the small input (uint8 s x s), the bicubic guess, both
    nets' restorations and the original (uint8 28 x 28), with its label. The blur's noise is the
    digit's own (seeded by its index), so a digit always shows the same input."""
    _, held = mnist5k_split()
    index = int(index) % len(held)
    original = held.images[index:index + 1]
    low = degrade(original, kind, np.random.default_rng(EVAL_SEED + index))
    guess = bicubic(low)
    out = model.restore(guess)
    return {"low": to_uint8(low)[0], "bicubic": to_uint8(guess)[0], "pixel": out["pixel"][0],
            "gan": out["gan"][0], "original": original[0], "label": int(held.labels[index]), "index": index}


def quality(model: Upscalers) -> dict[str, dict[str, dict[str, float]]]:
    """For each degradation, over the 500 held-out digits, for the bicubic guess, both nets and the
    originals: mean PSNR in dB (none for the originals), grey-pixel share, the classifier's accuracy
    and its mean probability for the true digit."""
    from gan_core.classifier import load_classifier, predict_proba

    clf = load_classifier()
    _, held = mnist5k_split()
    labels = held.labels.astype(np.int64)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for i, kind in enumerate(KINDS):
        guess = bicubic(degrade(held.images, kind, np.random.default_rng(EVAL_SEED + 1000 * i)))
        pictures = {"bicubic": to_uint8(guess), **model.restore(guess), "original": held.images}
        out[kind] = {}
        for name, imgs in pictures.items():
            probs = predict_proba(imgs, clf)
            row = {"grey": round(grey_share(imgs), 4),
                   "accuracy": round(float((probs.argmax(1) == labels).mean()), 4),
                   "confidence": round(float(probs[np.arange(len(labels)), labels].mean()), 4)}
            if name != "original":
                row["psnr"] = round(float(psnr(imgs, held.images).mean()), 3)
            out[kind][name] = row
    return out


def make(out_dir: Path | str, command: str, cfg: dict[str, Any] | None = None,
         log: Callable[[str], None] = print) -> Path:
    """Train both nets and write ``superres.pt`` (float16) and ``superres.json``."""
    import torch

    cfg = {**CONFIG, **(cfg or {})}
    run = train_pair(cfg, log)
    path = Path(out_dir) / SUPERRES_FILE.name
    path.parent.mkdir(parents=True, exist_ok=True)
    half = lambda sd: {k: v.to(torch.float16).contiguous() for k, v in sd.items()}  # noqa: E731
    torch.save({name: half(run[name]) for name in NETS}, path)
    train, held = mnist5k_split()
    side = {"what": "two digit upscalers with the same network and budget: pixel loss (MSE) only, and "
                    "MSE + adversarial loss (SRGAN, Ledig et al. 2017)",
            "command": command, "config": cfg, "degradations": {
                "pool4": "28x28 -> 4x4 by 7x7 block means", "pool7": "28x28 -> 7x7 by 4x4 block means",
                "pool14": "28x28 -> 14x14 by 2x2 block means",
                "blur": f"Gaussian blur sigma {BLUR_SIGMA} px + Gaussian noise std {NOISE_STD} (0..1 scale)"},
            "data": {"file": "gan_core/assets/mnist_5k.npz", "sha256": sha256_file(MNIST5K_FILE),
                     "train": len(train), "heldout": len(held),
                     "split": "last 50 digits of each class held out (gan_core.data.mnist5k_split)"},
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "train_seconds": round(sum(run["seconds"].values()), 1), "seconds_per_net": run["seconds"],
            "final_losses": run["final"], "weights": "both upscalers in float16 (discriminator not shipped)",
            "sha256": sha256_file(path)}
    with _lock:
        _loaded.pop(str(path.resolve()), None)
    sidecar_path(path).write_text(json.dumps(side, indent=1) + "\n", encoding="utf-8")
    side["quality"] = quality(load(path))  # measured on the float16 weights that ship
    sidecar_path(path).write_text(json.dumps(side, indent=1) + "\n", encoding="utf-8")
    with _lock:
        _loaded.pop(str(path.resolve()), None)
    return path


# ---- the command ---------------------------------------------------------------------------------
def add_parser(sub) -> None:
    """``python -m gan_core superres-run``: registered by gan_core/__main__.py."""
    p = sub.add_parser("superres-run", help="train the digit upscalers (pixel loss vs + GAN loss), ship them")
    p.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    p.add_argument("--steps", type=int, default=CONFIG["steps"],
                   help=f"updates per net (default {CONFIG['steps']})")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.set_defaults(func=cli)


def cli(args) -> int:
    import sys

    import torch

    if not 1 <= args.steps <= 20000:
        print("error: --steps must be from 1 to 20000", file=sys.stderr)
        return 2
    torch.set_num_threads(max(1, args.threads))
    command = f"python -m gan_core superres-run --out {args.out}"
    command += f" --steps {args.steps}" * (args.steps != CONFIG["steps"])
    command += f" --threads {args.threads}" * (args.threads != 1)
    path = make(Path(args.out), command, {"steps": args.steps}, log=lambda m: print(m, file=sys.stderr))
    print(f"wrote {path}")
    return 0
