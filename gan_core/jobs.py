"""What the pool hands out: a Job (one training, shared by every session that asked for it)
and the class limits that apply to students' requests.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from gan_core.config import SPECS, TrainConfig, parse_number
from gan_core.slicer import pace, remaining_seconds
from gan_core.train import HISTORY_COLUMNS, RunResult, Snapshot, StepStats

log = logging.getLogger(__name__)
FINISHED = ("done", "failed", "cancelled")


class LimitError(Exception):
    """A student's request over a class limit: ``kind`` is "steps" or "queued"."""

    def __init__(self, kind: str, limit: int):
        self.kind, self.limit = kind, limit
        super().__init__(f"{kind} limit {limit}")


LIMIT_RANGES = {"max_steps": (1, int(SPECS["steps"].hi)), "max_queued": (1, 50)}


@dataclass(frozen=True)
class ClassLimits:
    max_steps: int = int(SPECS["steps"].hi)
    max_queued: int = 3

    @classmethod
    def checked(cls, **values: Any) -> ClassLimits:
        """Limits from untrusted values (strings allowed); ValueError names the bad one."""
        clean = {}
        for name, raw in values.items():
            if name not in LIMIT_RANGES:
                raise ValueError(name)
            lo, hi = LIMIT_RANGES[name]
            try:
                clean[name] = parse_number(raw, int, lo, hi)[0]
            except (TypeError, ValueError, OverflowError):
                raise ValueError(name) from None
        return cls(**clean)


def env_limits() -> ClassLimits:
    values = {name: os.environ[env] for name, env in (("max_steps", "GAN_CLASSROOM_MAX_STEPS"),
                                                      ("max_queued", "GAN_CLASSROOM_MAX_QUEUED"))
              if os.environ.get(env)}
    try:
        return ClassLimits.checked(**values)
    except ValueError as err:
        log.warning("ignoring a bad class limit in the environment (%s)", err)
        return ClassLimits()


@dataclass
class Job:
    """One training, shared by every session that asked for its config."""

    cfg: TrainConfig
    state: str = "queued"  # queued | running | done | failed | cancelled
    step: int = 0
    history: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in HISTORY_COLUMNS})
    snapshots: list[Snapshot] = field(default_factory=list)
    result: RunResult | None = None
    error: str = ""
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cached: bool = False  # served from the cache (or the shipped runs) without training
    seq: int = 0
    owners: set[str] = field(default_factory=set)
    estimate: float = 0.0  # estimated training seconds
    worker: int = -1
    active_seconds: float = 0.0  # time it held its worker
    _mark: float | None = None  # monotonic time it last got its worker
    _setup: float | None = None  # active seconds when its first step came in (see slicer.pace)
    waiting_since: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> str:
        return self.cfg.key

    @property
    def total(self) -> int:
        return self.cfg.steps

    @property
    def done(self) -> bool:
        return self.state in FINISHED

    @property
    def fraction(self) -> float:
        if self.state == "done":
            return 1.0
        return min(1.0, self.step / max(1, self.total))

    def _active(self) -> float:
        return self.active_seconds + (time.monotonic() - self._mark if self._mark is not None else 0.0)

    def seconds_left(self) -> float:
        rate = pace(self._active(), self._setup, self.step)
        return remaining_seconds(self.estimate, self.step, self.total, rate)

    def on_event(self, kind: str, payload: Any) -> None:
        if kind == "step":
            stats: StepStats = payload
            for c in HISTORY_COLUMNS:
                self.history[c].append(getattr(stats, c))
            self.step = stats.step
            if self._setup is None:
                self._setup = self._active()
        elif kind == "snapshot":
            self.snapshots.append(payload)
        elif kind == "restart":  # its cluster worker died: the run starts again from step 0
            self.history = {c: [] for c in HISTORY_COLUMNS}
            self.snapshots, self.step = [], 0
            self._setup = None
        elif kind == "state" and not self.done:
            now = time.monotonic()
            if payload == "running":
                self.state = "running"
                self.started = self.started or time.time()
                self._mark = now
            else:
                self.state = "queued"
                if self._mark is not None:
                    self.active_seconds += now - self._mark
                self._mark = None
                self.waiting_since = now
