"""The maths behind the minimax page, computed (never typed in).

* the three loss curves a GAN uses, as functions of D's output d in (0, 1), and their slopes;
* the same gradients seen from D's logit l (d = sigmoid(l)): what actually reaches G;
* 1D densities (Gaussians and mixtures of Gaussians), the optimal discriminator
  D*(x) = p_data / (p_data + p_g), V(D*, G) by numerical integration and the Jensen-Shannon
  divergence, so the identity V(D*, G) = -log 4 + 2 JSD(p_data || p_g) can be checked;
* the value V(D, G) and the binary cross-entropy of one batch of D's logits.

numpy only at import time; ``batch_value`` accepts torch tensors too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

D_MIN, D_MAX = 1e-4, 1.0 - 1e-4  # the open interval (0, 1), clipped away from the ends
LOG4 = math.log(4.0)


# ---- the three curves -----------------------------------------------------------------------
CURVES = ("log_d", "log_1md", "neg_log_d")  # log d, log(1 - d), -log d


def clip_d(d):
    """Keep D's output inside (0, 1) so every log is finite."""
    return np.clip(np.asarray(d, dtype=float), D_MIN, D_MAX)


def curve(name: str, d):
    """Value of one curve at d: ``log_d`` = log d, ``log_1md`` = log(1-d), ``neg_log_d`` = -log d."""
    d = clip_d(d)
    if name == "log_d":
        return np.log(d)
    if name == "log_1md":
        return np.log1p(-d)
    if name == "neg_log_d":
        return -np.log(d)
    raise ValueError(f"unknown curve {name!r}")


def slope(name: str, d):
    """Exact derivative with respect to d: 1/d, -1/(1-d), -1/d."""
    d = clip_d(d)
    if name == "log_d":
        return 1.0 / d
    if name == "log_1md":
        return -1.0 / (1.0 - d)
    if name == "neg_log_d":
        return -1.0 / d
    raise ValueError(f"unknown curve {name!r}")


def logit_slope(name: str, d):
    """Derivative with respect to D's logit l, where d = sigmoid(l) and dd/dl = d(1-d).

    log d -> 1-d;  log(1-d) -> -d;  -log d -> -(1-d). This is the signal that flows back
    through D into G: the saturating G loss log(1-d) passes on only -d, almost nothing while
    D confidently rejects the fakes (d near 0); the non-saturating -log d passes on ~ -1.
    """
    return slope(name, d) * clip_d(d) * (1.0 - clip_d(d))


@dataclass(frozen=True)
class MarkerReading:
    """Everything the page shows about a marker at d."""

    d: float
    values: dict  # curve -> value at d
    slopes: dict  # curve -> d/dd
    logit_slopes: dict  # curve -> d/dl
    ratio: float  # |G signal non-saturating| / |G signal saturating| at d (through the logit)


def read_marker(d: float) -> MarkerReading:
    d = float(clip_d(d))
    values = {c: float(curve(c, d)) for c in CURVES}
    slopes = {c: float(slope(c, d)) for c in CURVES}
    lslopes = {c: float(logit_slope(c, d)) for c in CURVES}
    ratio = abs(lslopes["neg_log_d"]) / abs(lslopes["log_1md"])
    return MarkerReading(d, values, slopes, lslopes, ratio)


# ---- 1D densities ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Mixture:
    """A 1D mixture of Gaussians: weights (normalised here), means and standard deviations."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]

    def __post_init__(self):
        n = len(self.weights)
        if n == 0 or len(self.means) != n or len(self.stds) != n:
            raise ValueError("weights, means and stds need the same non-zero length")
        if any(not math.isfinite(v) for v in (*self.weights, *self.means, *self.stds)):
            raise ValueError("density parameters must be finite numbers")
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError("weights must be >= 0 and not all zero")
        if any(s <= 0 for s in self.stds):
            raise ValueError("standard deviations must be > 0")

    @classmethod
    def gaussian(cls, mean: float, std: float) -> Mixture:
        return cls((1.0,), (float(mean),), (float(std),))

    def pdf(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        w = np.asarray(self.weights, dtype=float)
        w = w / w.sum()
        out = np.zeros_like(x)
        for wi, m, s in zip(w, self.means, self.stds, strict=True):
            out += wi * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        return out

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        w = np.asarray(self.weights, dtype=float)
        idx = rng.choice(len(w), size=n, p=w / w.sum())
        return np.asarray(self.means)[idx] + np.asarray(self.stds)[idx] * rng.standard_normal(n)


def grid_for(*dens: Mixture, sigmas: float = 12.0, per_std: int = 40,
             max_points: int = 400_001) -> np.ndarray:
    """An integration grid covering every component to ``sigmas`` standard deviations, with at
    least ``per_std`` points per smallest standard deviation (trapezoid error far below 1e-9)."""
    lo = min(m - sigmas * s for d in dens for m, s in zip(d.means, d.stds, strict=True))
    hi = max(m + sigmas * s for d in dens for m, s in zip(d.means, d.stds, strict=True))
    smallest = min(s for d in dens for s in d.stds)
    n = int(min(max_points, max(2001, math.ceil((hi - lo) / smallest * per_std) + 1)))
    return np.linspace(lo, hi, n)


def optimal_d(p_data, p_g) -> np.ndarray:
    """D*(x) = p_data / (p_data + p_g); where both densities vanish D* is set to 1/2."""
    p, q = np.asarray(p_data, float), np.asarray(p_g, float)
    s = p + q
    out = np.full_like(s, 0.5)
    np.divide(p, s, out=out, where=s > 0)
    return out


def _xlogy(x, y):
    """x * log(y) with 0 * log(anything) = 0 (x below the smallest normal float counts as 0:
    its share of any integral is under 1e-300)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    out = np.zeros(np.broadcast(x, y).shape)
    mask = x > np.finfo(float).tiny
    np.multiply(x, np.log(np.where(mask, y, 1.0)), out=out, where=mask)
    return out


def _integrate(y, x) -> float:
    return float(np.trapezoid(y, x)) if hasattr(np, "trapezoid") else float(np.trapz(y, x))


def value(p_data, p_g, d, x) -> float:
    """V(D, G) = int p_data log D + p_g log(1 - D) dx for a discriminator curve ``d`` on ``x``."""
    d = np.asarray(d, float)
    return _integrate(_xlogy(p_data, d) + _xlogy(p_g, 1.0 - d), x)


def kl(p, q, x) -> float:
    """KL(p || q) = int p log(p / q) dx (numerically, on the grid x)."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    return _integrate(_xlogy(p, p) - _xlogy(p, q), x)


def jsd(p, q, x) -> float:
    """Jensen-Shannon divergence: (KL(p || m) + KL(q || m)) / 2 with m = (p + q) / 2."""
    m = 0.5 * (np.asarray(p, float) + np.asarray(q, float))
    return 0.5 * kl(p, m, x) + 0.5 * kl(q, m, x)


@dataclass(frozen=True)
class OptimumReport:
    x: np.ndarray
    p_data: np.ndarray
    p_g: np.ndarray
    d_star: np.ndarray
    v_star: float  # V(D*, G), integrated
    jsd: float  # JSD(p_data || p_g), integrated separately
    rhs: float  # -log 4 + 2 JSD
    mass_data: float  # int p_data (should be 1: a check on the grid)
    mass_g: float

    @property
    def gap(self) -> float:
        return self.v_star - self.rhs


def optimum(p_data: Mixture, p_g: Mixture) -> OptimumReport:
    """D* for two densities, and both sides of V(D*, G) = -log 4 + 2 JSD."""
    x = grid_for(p_data, p_g)
    p, q = p_data.pdf(x), p_g.pdf(x)
    d_star = optimal_d(p, q)
    # V at D*, with log D* = log p - log(p + q) and log(1 - D*) = log q - log(p + q) so that
    # regions where one density underflows (D* rounds to exactly 0 or 1) stay finite
    s = p + q
    v = _integrate(_xlogy(p, p) - _xlogy(p, s) + _xlogy(q, q) - _xlogy(q, s), x)
    j = jsd(p, q, x)
    return OptimumReport(x, p, q, d_star, v, j, -LOG4 + 2.0 * j, _integrate(p, x), _integrate(q, x))


# ---- one batch: V and BCE -------------------------------------------------------------------
@dataclass(frozen=True)
class BatchValue:
    mean_log_d_real: float  # mean log D(x) over the real batch
    mean_log_1m_d_fake: float  # mean log(1 - D(G(z))) over the fake batch
    value: float  # their sum: the batch estimate of V(D, G)
    bce_real: float  # BCE(D(x), label 1)
    bce_fake: float  # BCE(D(G(z)), label 0)
    bce_total: float  # bce_real + bce_fake (what D minimises)


def batch_value(logit_real, logit_fake) -> BatchValue:
    """Both readings of one batch. V from logs of sigmoid outputs; BCE from torch's own
    ``binary_cross_entropy_with_logits`` with labels 1 and 0 (an independent computation)."""
    import torch
    import torch.nn.functional as F

    lr_ = torch.as_tensor(logit_real, dtype=torch.float64).detach().reshape(-1)
    lf_ = torch.as_tensor(logit_fake, dtype=torch.float64).detach().reshape(-1)
    d_real = torch.sigmoid(lr_).numpy()
    d_fake = torch.sigmoid(lf_).numpy()
    a = float(np.mean(np.log(np.clip(d_real, 1e-300, 1.0))))
    b = float(np.mean(np.log(np.clip(1.0 - d_fake, 1e-300, 1.0))))
    bce_r = float(F.binary_cross_entropy_with_logits(lr_, torch.ones_like(lr_)))
    bce_f = float(F.binary_cross_entropy_with_logits(lf_, torch.zeros_like(lf_)))
    return BatchValue(a, b, a + b, bce_r, bce_f, bce_r + bce_f)
