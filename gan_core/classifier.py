"""The digit classifier behind the quality numbers: its network, training, file and loading.

``DigitNet`` is a small CNN trained by the project's own command
``python -m gan_core make-classifier --out pretrained/`` on the 4,500 training digits of
``gan_core.data.mnist5k_split()``. The weights ship in ``pretrained/digit_classifier.pt``; the
JSON sidecar next to them records how they were made, the held-out accuracy and what real
digits score (the Lab's "real data" line). ``gan_core.metrics`` builds its numbers on the
probabilities and features this module returns.
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gan_core.data import MNIST5K_FILE, mnist5k_split
from gan_core.files import PRETRAINED, sha256_file

CLASSIFIER_FILE = PRETRAINED / "digit_classifier.pt"
CLASSIFIER_DEFAULTS = {"epochs": 8, "batch": 64, "lr": 2e-3, "shift": 2, "seed": 0, "width": 32}


# ---- the network ---------------------------------------------------------------------------
class DigitNet(nn.Module):
    """A small CNN for 28 x 28 digits; ``features`` is the penultimate layer (128 numbers).

    Args:
        width: channels of the first conv (the second has twice as many).
    """

    FEATURES = 128

    def __init__(self, width: int = 32):
        super().__init__()
        self.body = nn.Sequential(
            # input. 1 x 28 x 28, values in [-1, 1]
            nn.Conv2d(1, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            # state size. width x 14 x 14
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            # state size. (2*width) x 7 x 7
            nn.Flatten(),
            nn.Linear(2 * width * 49, self.FEATURES),
            nn.ReLU(),
            # state size. 128 (the features used by the Frechet distance)
        )
        self.head = nn.Linear(self.FEATURES, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))  # B x 10 logits


def _to_input(images_uint8: np.ndarray) -> torch.Tensor:
    """uint8 N x 28 x 28 (0 = background) -> float N x 1 x 28 x 28 in [-1, 1]."""
    arr = np.asarray(images_uint8)
    if arr.ndim != 3 or arr.shape[1:] != (28, 28):
        raise ValueError(f"expected N x 28 x 28 images, got shape {arr.shape}")
    return torch.from_numpy(arr.astype(np.float32)).div_(127.5).sub_(1.0).unsqueeze(1)


def _random_shift(x: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Translate every image by up to ``max_shift`` pixels (zero-padded with -1, the background)."""
    if max_shift <= 0:
        return x
    n = x.shape[0]
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    out = torch.empty_like(x)
    for s in range(n):  # 64 small copies per batch: cheap next to the convolutions
        out[s] = padded[s, :, dy[s] : dy[s] + 28, dx[s] : dx[s] + 28]
    return out



# ---- training ------------------------------------------------------------------------------
def train_classifier(epochs: int = CLASSIFIER_DEFAULTS["epochs"], batch: int = CLASSIFIER_DEFAULTS["batch"],
                     lr: float = CLASSIFIER_DEFAULTS["lr"], shift: int = CLASSIFIER_DEFAULTS["shift"],
                     seed: int = CLASSIFIER_DEFAULTS["seed"], width: int = CLASSIFIER_DEFAULTS["width"],
                     log=None) -> tuple[DigitNet, dict[str, Any]]:
    """Train DigitNet on the 4,500 training digits; returns (model in eval mode, info)."""
    train_set, held = mnist5k_split()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = DigitNet(width)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(train_set) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch)
    x_all = _to_input(train_set.images)
    y_all = torch.from_numpy(train_set.labels.astype(np.int64))
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x_all), generator=gen)
        total = 0.0
        for i in range(0, len(perm), batch):
            idx = perm[i : i + batch]
            xb = _random_shift(x_all[idx], shift, gen)
            loss = F.cross_entropy(model(xb), y_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        model.eval()
        acc = accuracy(model, held.images, held.labels)
        if log:
            log(f"epoch {epoch + 1}/{epochs}: loss {total / len(x_all):.4f}, held-out accuracy {acc:.4f}")
    info = {"train_seconds": round(time.perf_counter() - t0, 1), "heldout_accuracy": acc}
    return model.eval(), info


# ---- using it ------------------------------------------------------------------------------
@torch.inference_mode()
def _batched(fn, images_uint8: np.ndarray, chunk: int = 250) -> torch.Tensor:
    # 250 at a time: the first conv layer's activations for 1,000 digits alone are 100 MB
    x = _to_input(images_uint8)
    if len(x) == 0:
        raise ValueError("no images")
    return torch.cat([fn(x[i : i + chunk]) for i in range(0, len(x), chunk)])


def accuracy(model: DigitNet, images_uint8: np.ndarray, labels: np.ndarray) -> float:
    pred = _batched(model, images_uint8).argmax(1).numpy()
    return float((pred == np.asarray(labels)).mean())


def sidecar_path(weights: Path) -> Path:
    return weights.with_suffix(".json")


_LOAD_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def _load(path: str) -> DigitNet:
    state = torch.load(path, map_location="cpu", weights_only=True)
    width = int(state["body.0.weight"].shape[0])
    model = DigitNet(width)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


def load_classifier(path: Path | str | None = None) -> DigitNet:
    """The shipped digit classifier (eval mode, loaded once per process)."""
    path = Path(path) if path is not None else CLASSIFIER_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run "
                                "`python -m gan_core make-classifier --out pretrained/`")
    with _LOAD_LOCK:
        return _load(str(path.resolve()))


@lru_cache(maxsize=1)
def classifier_info() -> dict[str, Any]:
    """The classifier's JSON sidecar (accuracy, real-data reference numbers); {} if missing."""
    side = sidecar_path(CLASSIFIER_FILE)
    if not side.exists():
        return {}
    return json.loads(side.read_text(encoding="utf-8"))


def predict_proba(images_uint8: np.ndarray, model: DigitNet | None = None) -> np.ndarray:
    """Class probabilities p(y|x), float64 N x 10."""
    model = model or load_classifier()
    return torch.softmax(_batched(model, images_uint8).double(), 1).numpy()


def features(images_uint8: np.ndarray, model: DigitNet | None = None) -> np.ndarray:
    """Penultimate-layer features, float64 N x 128 (for the Frechet distance)."""
    model = model or load_classifier()
    return _batched(model.features, images_uint8).double().numpy()


# ---- making the shipped file ---------------------------------------------------------------
def make_classifier(out_dir: Path | str, command: str, reference: Callable[[DigitNet], dict[str, Any]],
                    log=print, **overrides) -> Path:
    """Train the classifier and write ``digit_classifier.pt`` + ``digit_classifier.json``.

    ``reference(model)`` gives the real-data numbers stored in the sidecar (the CLI passes
    ``gan_core.metrics.real_reference``: the numbers are the metrics' business, not this file's).
    """
    cfg = {**CLASSIFIER_DEFAULTS, **overrides}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model, info = train_classifier(log=log, **cfg)
    path = out_dir / CLASSIFIER_FILE.name
    torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    train_set, held = mnist5k_split()
    meta = {
        "what": "digit classifier for the classifier score and the Frechet distance",
        "command": command,
        "config": cfg,
        "architecture": "DigitNet (gan_core/classifier.py): 2 conv + maxpool, 128 features, 10 logits",
        "data": {"file": "gan_core/assets/mnist_5k.npz", "sha256": sha256_file(MNIST5K_FILE),
                 "train": len(train_set), "heldout": len(held),
                 "split": "last 50 digits of each class held out (gan_core.data.mnist5k_split)"},
        "heldout_accuracy": round(info["heldout_accuracy"], 4),
        "train_seconds": info["train_seconds"],
        "real_reference": reference(model),
        "torch": torch.__version__,
        "sha256": sha256_file(path),
    }
    sidecar_path(path).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    _load.cache_clear()
    classifier_info.cache_clear()
    return path
