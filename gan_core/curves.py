"""Reading loss curves: four real runs, each a typical story, and the numbers that tell it.

Every case is a run that ships with the app (the hyperparameter atlas or the mode-collapse
comparison), so the page shows it at once; ``reading`` measures what the page says about it
from the run's own history, never from a hand-written number.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gan_core.config import PRESETS, TrainConfig

BALANCED_D_LOSS = 2 * math.log(2)  # D's loss when it outputs 1/2 for everything (it can't tell)
TAIL = 0.2  # "the end of the run": its last fifth


@dataclass(frozen=True)
class Case:
    name: str  # catalogue stem (curves.<name>_title ...)
    config: TrainConfig


CASES: tuple[Case, ...] = (
    # quick, the Lab's opening run: the two networks keep each other busy
    Case("healthy", PRESETS["quick"]),
    # the same recipe with a ten times smaller lr and three D updates per G update: D runs ahead
    Case("d_wins", PRESETS["quick"].replace(lr_g=2e-4, lr_d=2e-4, k=3, nz=16)),
    # the saturating minimax loss with a high lr on the ring: D wins outright, G's signal is gone
    Case("no_signal", PRESETS["ring8-minimax-highlr"]),
    # the same on the grid: the curves look balanced while G covers half of the modes
    Case("hidden_collapse", PRESETS["grid25-minimax-highlr"]),
)


def reading(result) -> dict[str, float]:
    """Means over the last fifth of a run: D's and G's losses, D(x) and D(G(z)); plus the same
    of D's loss over the first fifth, so a page can say which way it went."""
    h = result.history
    n = len(h["step"])
    if n == 0:
        raise ValueError("the run has no history")
    tail, head = slice(n - max(1, int(n * TAIL)), n), slice(0, max(1, int(n * TAIL)))

    def mean(col: str, part: slice) -> float:
        return float(np.mean(np.asarray(h[col], dtype=np.float64)[part]))

    return {"loss_d": mean("loss_d", tail), "loss_g": mean("loss_g", tail), "d_real": mean("d_real", tail),
            "d_fake": mean("d_fake", tail), "loss_d_start": mean("loss_d", head), "steps": int(h["step"][-1])}
