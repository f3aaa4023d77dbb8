"""The numbers stored with a finished run: one place decides which evaluation a run gets.

Image runs are scored by the digit classifier (``gan_core.metrics``), toy runs by their mode
numbers (``gan_core.modes``). The job pool calls ``evaluate_run`` after every good run and
keeps the dict in ``result.metrics``; the long book run is scored the same way. Keeping this
dispatch here lets ``metrics`` and ``modes`` stay independent of each other's subject.
"""
from __future__ import annotations

from typing import Any

from gan_core import metrics, modes
from gan_core.classifier import CLASSIFIER_FILE
from gan_core.train import RunResult, generate


def image_run_metrics(result: RunResult) -> dict[str, Any]:
    """Score, Frechet distance and class coverage of EVAL_SAMPLES fresh samples drawn with
    the fixed noise seed EVAL_SEED (every run is measured on the same noise); {} when the
    classifier file is missing."""
    if not CLASSIFIER_FILE.exists():
        return {}
    samples = generate(result, metrics.EVAL_SAMPLES, seed=metrics.EVAL_SEED)
    return metrics.evaluate_images(samples)


def evaluate_run(result: RunResult) -> dict[str, Any]:
    """JSON-able metrics of a finished run: image runs -> classifier numbers, toy runs -> modes."""
    if result.config.is_image:
        return image_run_metrics(result)
    return modes.evaluate_toy_run(result)
