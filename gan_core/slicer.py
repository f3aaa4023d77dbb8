"""Time-sharing for trainings: several runs in one worker, one at a time, switched between steps.

Why: a class presses Train at once with different settings. With first-come-first-served, a
student asking for 6,000 steps holds the worker for minutes while a 5-second run waits behind
it. Here every run the worker holds gets a thread, but only one thread trains at any moment
(it holds the *token*); between two steps the running thread asks the scheduler whether
someone else should go first, and if so hands the token over and waits for it to come back.

Policy: shortest remaining estimated time first, with ageing. A run's priority is its
estimated seconds left minus the seconds it has waited for the token, and the smallest goes
first: a short run overtakes a long one at once, and a long run that has waited as long as it
still needs is served before newcomers, so it always finishes.

Repeatability: dropout draws from torch's global random generator, which all runs of a
process share. Each run keeps its own copy of that state, swapped in and out at every switch,
so a run's numbers never depend on what else the worker was doing.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from gan_core.config import TrainConfig
from gan_core.train import Trainer

log = logging.getLogger(__name__)

QUANTUM = 1.0  # seconds a run keeps the token before the scheduler looks again
# Seconds per generator step at batch 64 and k = 1 on a 2-core machine (measured with the
# presets; only used until a run has measured its own pace) and per evaluation afterwards.
STEP_SECONDS = {"mlp-book": 0.02, "dcgan-s": 0.03, "dcgan": 0.09, "toy-mlp": 0.006}
EVAL_SECONDS = {True: 3.0, False: 0.5}  # image runs / 2D runs

Emit = Callable[[str, str, Any], None]  # (kind, key, payload)


def estimate_seconds(cfg: TrainConfig) -> float:
    """A rough training time for ``cfg`` (seconds), before anything has been measured."""
    per_step = STEP_SECONDS.get(cfg.arch, 0.05) * (cfg.k + 1) / 2 * max(1.0, cfg.batch / 64) ** 0.8
    if cfg.unroll:
        per_step *= 1 + cfg.unroll
    return per_step * cfg.steps + EVAL_SECONDS[cfg.is_image]


def pace(active: float, setup: float | None, step: int) -> float | None:
    """Measured seconds per step, or None before there is a fair measure.

    The first step also pays for building the networks and loading the data (a second or more
    against 0.02 s for a step): it is left out, else one early step would make a run look
    hundreds of times longer than it is, and the scheduler would set it aside for minutes.
    """
    if setup is None or step < 2:
        return None
    return max(0.0, active - setup) / (step - 1)


def remaining_seconds(estimate: float, step: int, total: int, rate: float | None) -> float:
    """Seconds still needed: the measured pace once there is one, else the share of the estimate."""
    if rate is not None and step > 0:
        return rate * (total - step) + estimate * 0.05
    return estimate * (1 - step / max(1, total))


def priority(left: float, waited: float) -> float:
    """Smaller goes first: seconds left minus seconds waited (ageing)."""
    return left - waited


@dataclass
class Slot:
    """One run held by a Slicer."""

    cfg: TrainConfig
    estimate: float
    step: int = 0
    rate: float | None = None  # measured seconds per step (see pace)
    stop: bool = False
    waiting_since: float = field(default_factory=time.monotonic)
    active_seconds: float = 0.0
    setup_seconds: float | None = None  # active seconds up to the end of the first step
    rng: torch.Tensor | None = None

    @property
    def key(self) -> str:
        return self.cfg.key

    def left(self) -> float:
        return remaining_seconds(self.estimate, self.step, self.cfg.steps, self.rate)

    def priority(self, now: float, running: bool) -> float:
        if self.stop:
            return float("-inf")  # a cancelled run goes at once, to end
        return priority(self.left(), 0.0 if running else now - self.waiting_since)


class Slicer:
    """Runs the trainings it is given, one at a time, shortest remaining first (see module doc).

    ``emit(kind, key, payload)`` receives "state" ("running" / "queued"), "step", "snapshot",
    "result" (the RunResult, metrics included) and "error" (a message) events.
    """

    def __init__(self, emit: Emit, evaluate: Callable[[Any], dict] | None = None, quantum: float = QUANTUM):
        self.emit = emit
        self.evaluate = evaluate
        self.quantum = quantum
        self._cv = threading.Condition()
        self._slots: dict[str, Slot] = {}
        self._current: Slot | None = None
        self._newcomer = False

    # ---- the worker's side ------------------------------------------------------------------
    def start(self, cfg: TrainConfig, estimate: float | None = None) -> None:
        """Take a run; it trains when the scheduler picks it. Ignored if already held."""
        with self._cv:
            if cfg.key in self._slots:
                return
            slot = Slot(cfg, estimate if estimate is not None else estimate_seconds(cfg))
            self._slots[cfg.key] = slot
            self._newcomer = True
            if self._current is None:
                self._current = slot
        threading.Thread(target=self._run, args=(slot,), name=f"train-{cfg.key[:8]}", daemon=True).start()

    def cancel(self, key: str) -> bool:
        with self._cv:
            slot = self._slots.get(key)
            if slot is None:
                return False
            slot.stop = True
            self._newcomer = True
            return True

    def held(self) -> list[str]:
        with self._cv:
            return list(self._slots)

    # ---- scheduling ----------------------------------------------------------------------------
    def _pick(self) -> Slot | None:
        now = time.monotonic()
        slots = list(self._slots.values())
        if not slots:
            return None
        return min(slots, key=lambda s: s.priority(now, s is self._current))

    def _wait_turn(self, slot: Slot) -> None:
        with self._cv:
            while self._current is not slot:
                self._cv.wait()
        if slot.rng is not None:
            torch.set_rng_state(slot.rng)
        self.emit("state", slot.key, "running")

    def _hand_over(self, slot: Slot, finished: bool) -> None:
        """Give the token to the best run (maybe ``slot`` itself when it is not finished)."""
        with self._cv:
            if finished:
                self._slots.pop(slot.key, None)
            best = self._pick()
            self._current = best
            self._newcomer = False
            if best is slot:
                return
            if not finished:
                slot.rng = torch.get_rng_state()
                slot.waiting_since = time.monotonic()
            self._cv.notify_all()
        if not finished:
            self.emit("state", slot.key, "queued")
            self._wait_turn(slot)

    def _run(self, slot: Slot) -> None:
        self._wait_turn(slot)
        if slot.stop:
            self.emit("result", slot.key, None)
            self._hand_over(slot, finished=True)
            return
        slice_start = time.monotonic()
        t_run = time.perf_counter()

        def on_event(kind: str, payload: Any) -> None:
            nonlocal slice_start, t_run
            self.emit(kind, slot.key, payload)
            if kind != "step":
                return
            now = time.perf_counter()
            slot.active_seconds += now - t_run
            t_run = now
            slot.step = payload.step
            if slot.setup_seconds is None:
                slot.setup_seconds = slot.active_seconds
            slot.rate = pace(slot.active_seconds, slot.setup_seconds, slot.step)
            if time.monotonic() - slice_start < self.quantum and not self._newcomer:
                return
            self._hand_over(slot, finished=False)
            slice_start = time.monotonic()
            t_run = time.perf_counter()

        try:
            result = Trainer(slot.cfg).run(on_event, should_stop=lambda: slot.stop)
            if self.evaluate is not None and result.status == "ok":
                result.metrics.update(self.evaluate(result))
            self.emit("result", slot.key, result)
        except Exception as err:
            log.exception("training %s failed", slot.key)
            self.emit("error", slot.key, f"{type(err).__name__}: {err}"[:300])
        finally:
            self._hand_over(slot, finished=True)
