"""Conditional runs: samples asked for chosen digits, and how often a classifier agrees.

A conditional generator takes (z, y): the label y picks the digit, the noise z the handwriting.
``label_agreement`` asks for ``per_class`` samples of every digit and reports, per digit d, the
share that the shipped digit classifier (gan_core.classifier) reads as d.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gan_core import classifier
from gan_core.train import RunResult, generate

N_CLASSES = 10
AGREEMENT_SEED = 4321  # fixed noise: numbers are comparable between runs


def _need_conditional(result: RunResult) -> None:
    if not (result.config.conditional and result.config.is_image):
        raise ValueError("this needs a conditional image run (TrainConfig(conditional=True))")


def digit_samples(result: RunResult, digit: int, n: int, seed: int = 0) -> np.ndarray:
    """n fresh samples of one digit: uint8 n x 28 x 28."""
    _need_conditional(result)
    if not 0 <= int(digit) < N_CLASSES:
        raise ValueError("digit must be from 0 to 9")
    if not 1 <= n <= 1000:
        raise ValueError("n must be from 1 to 1000")
    return generate(result, n, seed=seed, labels=np.full(n, int(digit), dtype=np.int64))


def class_grid(result: RunResult, per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` samples of every digit in label order (row d = digit d when tiled with
    ``ncol=per_class``): (uint8 10*per_class x 28 x 28, labels)."""
    _need_conditional(result)
    if not 1 <= per_class <= 1000:
        raise ValueError("per_class must be from 1 to 1000")
    labels = np.repeat(np.arange(N_CLASSES), per_class)
    return generate(result, len(labels), seed=seed, labels=labels), labels


def label_agreement(result: RunResult, per_class: int = 200, seed: int = AGREEMENT_SEED,
                    predict: Callable[[np.ndarray], np.ndarray] | None = None) -> dict:
    """{"per_digit": array of 10 rates, "mean": float, "per_class": n}.

    ``predict`` maps uint8 images to N x 10 class probabilities (default: the shipped
    classifier, gan_core.classifier.predict_proba).
    """
    predict = predict or classifier.predict_proba
    images, labels = class_grid(result, per_class, seed)
    guess = np.asarray(predict(images)).argmax(1)
    per_digit = np.array([(guess[labels == d] == d).mean() for d in range(N_CLASSES)])
    return {"per_digit": per_digit, "mean": float(per_digit.mean()), "per_class": per_class}
