"""What the trainer draws its minibatches from: data tensors, look-alike groups, shuffling.

Image sets become one float tensor in [-1, 1] per process (not per image, not per run), and
toy sets a pool of TOY_POOL points per run. Self-conditioning (``TrainConfig.clusters``)
replaces the class labels by look-alike groups: k-means on the raw pixels, no labels used.
``training_batches(cfg, gen)`` puts it together for one run.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from gan_core.config import TrainConfig
from gan_core.data import load_images, sample_toy

TOY_POOL = 100_000  # points drawn once per toy run, then batched like a dataset


# ---- k-means on pixels ----------------------------------------------------------------------
KMEANS_ITERS = 30
KMEANS_FIT_MAX = 10_000  # images used to place the centres; every image is then assigned


def _sq_distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances, N x K (|p|^2 - 2 p.c + |c|^2, clipped at 0)."""
    sq_p = np.einsum("ij,ij->i", points, points)  # no N x D temporary (60,000 digits: 188 MB)
    d = sq_p[:, None] - 2.0 * points @ centres.T + np.einsum("ij,ij->i", centres, centres)[None]
    return np.maximum(d, 0.0, out=d)


def kmeans(points: np.ndarray, k: int, seed: int = 0, iters: int = KMEANS_ITERS) -> np.ndarray:
    """Centres (k x D, float32) of Lloyd's k-means with k-means++ seeding, repeatable by ``seed``.

    Seeding: the first centre is a random point, each next one a point drawn with probability
    proportional to its squared distance from the nearest centre so far (Arthur & Vassilvitskii,
    2007). A group that loses all its points keeps its old centre. At most KMEANS_FIT_MAX
    points (a seeded random subset) place the centres.
    """
    pts = np.asarray(points, dtype=np.float32).reshape(len(points), -1)
    if not 1 <= k <= len(pts):
        raise ValueError(f"k must be from 1 to the number of points ({len(pts)}), got {k}")
    rng = np.random.default_rng(seed)
    if len(pts) > KMEANS_FIT_MAX:
        pts = pts[rng.choice(len(pts), KMEANS_FIT_MAX, replace=False)]
    centres = np.empty((k, pts.shape[1]), dtype=np.float32)
    centres[0] = pts[rng.integers(len(pts))]
    nearest = _sq_distances(pts, centres[:1])[:, 0]
    for j in range(1, k):
        total = float(nearest.sum())
        pick = rng.choice(len(pts), p=nearest / total) if total > 0 else rng.integers(len(pts))
        centres[j] = pts[pick]
        np.minimum(nearest, _sq_distances(pts, centres[j : j + 1])[:, 0], out=nearest)
    for _ in range(iters):
        labels = _sq_distances(pts, centres).argmin(1)
        counts = np.bincount(labels, minlength=k)
        onehot = np.zeros((k, len(pts)), dtype=np.float32)
        onehot[labels, np.arange(len(pts))] = 1.0
        sums = onehot @ pts  # k x D: the sum of each group's points
        means = sums / np.maximum(counts, 1)[:, None]
        moved = np.where(counts[:, None] > 0, means, centres).astype(np.float32)
        if np.array_equal(moved, centres):
            break
        centres = moved
    return centres


def assign(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for every point (int64, N)."""
    pts = np.asarray(points, dtype=np.float32).reshape(len(points), -1)
    return _sq_distances(pts, centres).argmin(1).astype(np.int64)


# ---- tensors and batches -------------------------------------------------------------------
@lru_cache(maxsize=4)
def image_tensors(dataset: str) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(images in [-1, 1] as N x 1 x 28 x 28 float32, labels int64, note) -- made once."""
    d = load_images(dataset)
    x = torch.from_numpy(d.images).float().div_(127.5).sub_(1.0).unsqueeze(1)
    return x.contiguous(), torch.from_numpy(d.labels.astype(np.int64)), d.note


@lru_cache(maxsize=4)
def group_labels(dataset: str, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(look-alike group of every training image, int64 N; cumulative group shares, float32 k)
    for self-conditioning: k-means on the raw pixels, no labels. Made once per process."""
    x, _, _ = image_tensors(dataset)
    flat = x.flatten(1).numpy()
    labels = assign(flat, kmeans(flat, k, seed=0))
    shares = np.bincount(labels, minlength=k) / len(labels)
    cdf = torch.from_numpy(np.cumsum(shares)).float()
    cdf[-1] = 1.0
    return torch.from_numpy(labels), cdf


class Batches:
    """Endless shuffled minibatches drawn with a run-private generator."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor | None, batch: int, gen: torch.Generator):
        self.x, self.y, self.batch, self.gen = x, y, batch, gen
        self.perm = torch.empty(0, dtype=torch.long)
        self.pos = 0

    def next(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.pos + self.batch > len(self.perm):
            self.perm = torch.randperm(len(self.x), generator=self.gen)
            self.pos = 0
        idx = self.perm[self.pos : self.pos + self.batch]
        self.pos += self.batch
        return self.x.index_select(0, idx), (None if self.y is None else self.y.index_select(0, idx))


def training_batches(cfg: TrainConfig, gen: torch.Generator) -> tuple[Batches, torch.Tensor | None, str]:
    """(minibatches for one run, cumulative group shares or None, a note about the data).

    Labels travel with the images for conditional runs (digit classes) and self-conditioned
    runs (look-alike groups); toy runs draw their pool from numpy seeded by ``cfg.seed``.
    Nothing is drawn from ``gen`` here: the first draw is the first batch.
    """
    if not cfg.is_image:
        pool = torch.from_numpy(sample_toy(cfg.toy_set, TOY_POOL, np.random.default_rng(cfg.seed)))
        return Batches(pool, None, cfg.batch, gen), None, ""
    x, y, note = image_tensors(cfg.dataset)
    cdf = None
    if cfg.clusters:  # the labels are look-alike groups that G's noise picks
        y, cdf = group_labels(cfg.dataset, cfg.clusters)
    return Batches(x, y if cfg.conditional or cfg.clusters else None, cfg.batch, gen), cdf, note
