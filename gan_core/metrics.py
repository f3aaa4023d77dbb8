"""How good are generated digits? The numbers built on the digit classifier.

* ``classifier_score`` -- exp(E_x KL(p(y|x) || p(y))) with our digit classifier (the MNIST
  analogue of the Inception score): 10 when every class is equally common and every sample is
  classified with certainty, 1 when all samples look like the same class.
* ``frechet_distance`` -- ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between two sets
  of the classifier's penultimate-layer features. Only comparable between numbers measured
  with the same classifier file.
* ``class_coverage`` -- how many of the ten digits the classifier sees, and how often.

The classifier itself (network, training, shipped file) lives in ``gan_core.classifier``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from gan_core import classifier
from gan_core.data import mnist5k_split

EVAL_SAMPLES = 2000  # generated digits per evaluation
EVAL_SEED = 1234  # noise seed of those samples (same for every run: comparable numbers)
COVERED_MIN_SHARE = 0.05  # a class "is present" when it holds at least 5% of the samples


# ---- the numbers ---------------------------------------------------------------------------
def classifier_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    """exp(E_x KL(p(y|x) || p(y))) where p(y) is the mean of p(y|x) over the samples."""
    p = np.asarray(probs, dtype=np.float64)
    p_y = p.mean(0, keepdims=True)
    kl = (p * (np.log(p + eps) - np.log(p_y + eps))).sum(1)
    return float(np.exp(kl.mean()))


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (eigenvalues clipped at 0)."""
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_from_stats(mu_a, cov_a, mu_b, cov_b) -> float:
    """Frechet distance between two Gaussians.

    Tr((S_a S_b)^(1/2)) is computed as Tr((A S_b A)^(1/2)) with A = S_a^(1/2): the two
    matrices are similar, and the second is symmetric PSD, so a symmetric eigendecomposition
    gives it stably (no complex parts, no ill-conditioned inverse).
    """
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    cov_a, cov_b = np.atleast_2d(cov_a).astype(np.float64), np.atleast_2d(cov_b).astype(np.float64)
    root_a = _sqrtm_psd(cov_a)
    middle = root_a @ cov_b @ root_a
    w = np.linalg.eigvalsh((middle + middle.T) / 2)
    tr_covmean = float(np.sqrt(np.clip(w, 0, None)).sum())
    diff = mu_a - mu_b
    value = float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_covmean)
    return max(value, 0.0)


def feature_stats(feat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (rows are samples; the unbiased N-1 estimate)."""
    f = np.asarray(feat, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError("need at least two feature rows")
    return f.mean(0), np.cov(f, rowvar=False)


def frechet_distance(feat_a: np.ndarray, feat_b: np.ndarray) -> float:
    """Frechet distance between two sets of feature rows (N x F and M x F)."""
    return frechet_from_stats(*feature_stats(feat_a), *feature_stats(feat_b))


def class_coverage(probs: np.ndarray, min_share: float = COVERED_MIN_SHARE) -> dict[str, Any]:
    """Predicted-class histogram and how many classes reach ``min_share`` of the samples."""
    p = np.asarray(probs)
    counts = np.bincount(p.argmax(1), minlength=10)[:10]
    share = counts / max(1, counts.sum())
    return {
        "classes_covered": int((share >= min_share).sum()),
        "classes_present": int((counts > 0).sum()),
        "class_hist": [int(c) for c in counts],
        "min_class_share": float(share.min()),
    }


@lru_cache(maxsize=2)
def _heldout_stats(model: classifier.DigitNet) -> tuple[np.ndarray, np.ndarray]:
    """Feature mean and covariance of the held-out digits, once per loaded classifier."""
    _, held = mnist5k_split()
    return feature_stats(classifier.features(held.images, model))


def evaluate_images(images_uint8: np.ndarray) -> dict[str, Any]:
    """Score, FD against the 500 held-out real digits, and class coverage for a set of images."""
    model = classifier.load_classifier()
    probs = classifier.predict_proba(images_uint8, model)
    mu_r, cov_r = _heldout_stats(model)
    mu_g, cov_g = feature_stats(classifier.features(images_uint8, model))
    out = {
        "score": round(classifier_score(probs), 4),
        "fd": round(frechet_from_stats(mu_g, cov_g, mu_r, cov_r), 4),
        "n_eval": int(len(images_uint8)),
    }
    out.update(class_coverage(probs))
    return out


# ---- the Lab's "real data" line -------------------------------------------------------------
def real_reference(model: classifier.DigitNet, n: int = EVAL_SAMPLES, seed: int = 0) -> dict[str, Any]:
    """What real digits score: ``n`` training digits against the held-out set (stored in the
    classifier's sidecar by ``gan_core.classifier.make_classifier``)."""
    train_set, held = mnist5k_split()
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(train_set), size=min(n, len(train_set)), replace=False)
    real = train_set.images[pick]
    probs = classifier.predict_proba(real, model)
    held_probs = classifier.predict_proba(held.images, model)
    return {
        "score": round(classifier_score(probs), 4),
        "fd": round(frechet_distance(classifier.features(real, model),
                                     classifier.features(held.images, model)), 4),
        "classes_covered": class_coverage(probs)["classes_covered"],
        "heldout_score": round(classifier_score(held_probs), 4),
        "n": int(len(real)),
        "note": f"{len(real)} training digits vs the {len(held)} held-out digits",
    }
