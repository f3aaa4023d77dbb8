"""Mode metrics: how many of the data's modes a generator reaches, and how cleanly.

Toy sets (the conventions of the Unrolled GAN and VEEGAN papers, so counts compare with theirs):

* every generated point is assigned to its **nearest mode** (mode centre);
* a point is **high quality** when it lies within ``3 * sigma`` of that nearest mode;
* a mode is **captured** when it is the nearest mode of at least one high-quality point.

The spiral has no separate modes; its "modes" are 100 points spaced along the curve, so the
same numbers read as "how much of the curve is covered".

Digits (MNIST): the digit classifier labels each sample; on top of its class histogram
(``gan_core.metrics.class_coverage``) we report how far it is from uniform and how many
samples are near copies of another sample (a collapsed generator repeats itself).

Importing this module needs numpy only (the digit part imports the engine when it is called),
so a page can measure shipped runs before PyTorch has loaded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan_core.data import toy_sigma, toy_support

HQ_SIGMAS = 3.0  # "high quality" radius, in standard deviations of a mode
TOY_METRIC_SAMPLES = 2500  # the literature's sample count (matches a toy snapshot)


@dataclass(frozen=True)
class ToyModeStats:
    """Mode numbers for one set of 2D points."""

    n_modes: int
    captured: int  # modes hit by at least one high-quality point
    hq_share: float  # fraction of points within HQ_SIGMAS * sigma of their nearest mode
    counts: np.ndarray  # (n_modes,) high-quality points per mode
    n_points: int

    @property
    def captured_mask(self) -> np.ndarray:
        return self.counts > 0

    def as_dict(self) -> dict:
        return {"modes": self.n_modes, "captured": self.captured, "hq_share": self.hq_share,
                "counts": self.counts.tolist(), "points": self.n_points}


def nearest_mode(points: np.ndarray, modes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest mode, distance to it) for every point (N x 2 against M x 2)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    m = np.asarray(modes, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    d2 = ((pts[:, None, :] - m[None, :, :]) ** 2).sum(-1)  # N x M
    idx = d2.argmin(1)
    return idx, np.sqrt(d2[np.arange(len(pts)), idx])


def mode_stats(points: np.ndarray, modes: np.ndarray, sigma: float,
               groups: np.ndarray | None = None) -> ToyModeStats:
    """Modes captured and high-quality share of ``points`` for Gaussian modes of std ``sigma``.

    ``groups`` (optional, one per row of ``modes``): several centres make one mode (a drawn
    shape); a point counts for the mode of its nearest centre. Points that are NaN/inf count
    as low quality (a diverged generator captures nothing).
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    finite = np.isfinite(pts).all(1)
    idx, dist = nearest_mode(pts[finite], modes)
    if groups is not None:
        idx = np.asarray(groups, dtype=np.int64)[idx]
    n_modes = len(modes) if groups is None else int(np.max(groups)) + 1
    hq = dist <= HQ_SIGMAS * sigma
    counts = np.bincount(idx[hq], minlength=n_modes).astype(np.int64)
    n = len(pts)
    return ToyModeStats(
        n_modes=n_modes, captured=int((counts > 0).sum()),
        hq_share=float(hq.sum() / n) if n else 0.0, counts=counts, n_points=n,
    )


def toy_stats(dataset: str, points: np.ndarray) -> ToyModeStats:
    """``mode_stats`` with a toy set's own geometry (ring8, grid25, spiral, or a drawing's
    "drawn:<code>", whose modes are its groups of touching cells)."""
    centres, groups = toy_support(dataset)
    return mode_stats(points, centres, toy_sigma(dataset), groups)


def run_mode_series(dataset: str, snapshots) -> dict[str, np.ndarray]:
    """Per-snapshot mode numbers of a toy run: step, captured, hq_share, counts (S x M)."""
    stats = [toy_stats(dataset, s.samples) for s in snapshots]
    return {
        "step": np.array([s.step for s in snapshots], dtype=np.int64),
        "captured": np.array([x.captured for x in stats], dtype=np.int64),
        "hq_share": np.array([x.hq_share for x in stats], dtype=np.float64),
        "counts": np.stack([x.counts for x in stats]) if stats else np.zeros((0, 0), np.int64),
    }


def visited_modes(dataset: str, snapshots) -> np.ndarray:
    """For each snapshot, the mode holding most of its high-quality points (-1 if none).

    A collapsed generator that hops from mode to mode shows up as a changing sequence here.
    """
    out = []
    for s in snapshots:
        counts = toy_stats(dataset, s.samples).counts
        out.append(int(counts.argmax()) if counts.sum() else -1)
    return np.array(out, dtype=np.int64)


# ---- toy runs in the job pool --------------------------------------------------------------
def evaluate_toy_run(result) -> dict:
    """Final-snapshot mode numbers of a toy run (``gan_core.evaluate`` stores them with the run)."""
    ds = result.config.toy_set
    final = toy_stats(ds, result.snapshots[-1].samples)
    return {"modes": final.n_modes, "modes_captured": final.captured, "hq_share": round(final.hq_share, 4)}


# ---- digits -------------------------------------------------------------------------------
# The class histogram and "classes covered" come from gan_core.metrics (the classifier's home);
# this module adds what mode collapse needs on top: distance from uniform and near-duplicates.
NEAR_DUP_DIST = 0.06  # RMS pixel difference (0..1 scale) below which two digits count as copies
NEAR_DUP_MAX = 2000  # pairwise check on at most this many samples


def near_duplicate_rate(images: np.ndarray, threshold: float = NEAR_DUP_DIST,
                        max_n: int = NEAR_DUP_MAX) -> float:
    """Share of images whose closest *other* image is nearer than ``threshold``.

    Distance: root-mean-square pixel difference with pixels scaled to 0..1 (identical = 0).
    Real digits rarely come this close to one another (bench/near_duplicates.py measures how
    rarely); a collapsed generator's samples do. Exact, over the first ``max_n`` images (one
    n x n product).
    """
    n = min(len(images), max_n)
    if n < 2:
        return 0.0
    x = np.asarray(images[:n], dtype=np.float64).reshape(n, -1) / 255.0
    sq = (x * x).sum(1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)
    np.fill_diagonal(d2, np.inf)
    rms = np.sqrt(np.maximum(d2.min(1), 0.0) / x.shape[1])
    return float((rms < threshold).mean())


def tv_from_uniform(hist) -> float:
    """Total-variation distance of a class histogram from uniform (0 = uniform, 0.9 = one
    class of 10)."""
    h = np.asarray(hist, dtype=np.float64)
    if h.sum() <= 0:
        return 0.0
    h = h / h.sum()
    return float(0.5 * np.abs(h - 1.0 / len(h)).sum())


def digit_report(images: np.ndarray, probs: np.ndarray) -> dict:
    """Class histogram (shares), classes covered, distance from uniform and near-duplicate rate."""
    from gan_core import metrics

    cov = metrics.class_coverage(probs)
    counts = np.asarray(cov["class_hist"], dtype=np.float64)
    return {
        "hist": (counts / max(1.0, counts.sum())).tolist(),
        "covered": cov["classes_covered"],
        "tv_uniform": tv_from_uniform(counts),
        "near_dup": near_duplicate_rate(images),
        "n": int(len(images)),
    }


def digit_run_report(result) -> dict:
    """``digit_report`` on the run's standard evaluation samples (2,000, fixed noise seed)."""
    from gan_core import classifier, metrics
    from gan_core.train import generate

    images = generate(result, metrics.EVAL_SAMPLES, seed=metrics.EVAL_SEED)
    return digit_report(images, classifier.predict_proba(images))


# ---- comparing runs -----------------------------------------------------------------------
# The mode-collapse lesson per toy set: (preset, the preset it is compared with). Each remedy
# differs from its base in one or two settings, so a change in the numbers has one cause.
STUDIES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "ring8": (("ring8-minimax-highlr", None), ("ring8-nonsat", "ring8-minimax-highlr"),
              ("ring8-lowlr-ema", "ring8-nonsat"), ("ring8-pacgan", "ring8-lowlr-ema"),
              ("ring8-wide-ema", "ring8-lowlr-ema"),
              ("ring8-unrolled", "ring8-nonsat"),
              ("ring8-cosine", "ring8-lowlr-ema"), ("ring8-r1", "ring8-cosine")),
    "grid25": (("grid25-minimax-highlr", None), ("grid25-nonsat", "grid25-minimax-highlr"),
               ("grid25-lowlr-ema", "grid25-nonsat"), ("grid25-pacgan", "grid25-lowlr-ema"),
               ("grid25-unrolled", "grid25-nonsat"),
               ("grid25-cosine", "grid25-lowlr-ema"), ("grid25-r1", "grid25-cosine")),
    "spiral": (("spiral-minimax-highlr", None), ("spiral-nonsat", "spiral-minimax-highlr"),
               ("spiral-lowlr-ema", "spiral-nonsat")),
    # the student's drawing (the presets hold an example; the page puts the drawing in)
    "drawn": (("drawn-nonsat", None), ("drawn-r1", "drawn-nonsat")),
}


def config_changes(base, other) -> list[tuple[str, object, object]]:
    """(field, base value, other value) for every setting that differs, the seed excepted."""
    a, b = base.to_dict(), other.to_dict()
    return [(k, a[k], b[k]) for k in a if k != "seed" and a[k] != b[k]]


def verdict(stats: ToyModeStats) -> str:
    """One word for a snapshot: failed, collapsed, partial, blurry or recovered."""
    frac = stats.captured / max(1, stats.n_modes)
    if stats.captured == 0:
        return "failed"
    if frac <= 1 / 3:
        return "collapsed"
    if frac >= 0.9:
        return "recovered" if stats.hq_share >= 0.5 else "blurry"
    return "partial"


def mode_hops(dataset: str, snapshots) -> tuple[int, list[int]]:
    """How often the most-occupied mode changes between snapshots, and the sequence (1-based)."""
    seq = [int(m) + 1 for m in visited_modes(dataset, snapshots) if m >= 0]
    hops = sum(1 for a, b in zip(seq, seq[1:], strict=False) if a != b)
    return hops, seq


# Digit presets compared on the page: the textbook's configuration (it collapses in a short
# run) and the tuned quick DCGAN.
DIGIT_PRESETS: tuple[str, ...] = ("seed-book", "quick")
