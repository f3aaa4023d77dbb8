"""The cluster's book of trainings: what one hub keeps for every app server of a course.

Plain Python, no Ray: ``gan_core.cluster_hub`` wraps one Board in a Ray actor that every app
replica and every training task talks to. Kept apart so its rules can be tested on their own.

* **Single flight.** One entry per run key. A replica that asks for a key already queued or
  training joins it; only a finished (or never seen) key is trained again.
* **Fair order.** Queued runs start when a CPU is free, the smallest ``priority`` first
  (estimated seconds left minus seconds waited, as in ``gan_core.slicer``): a short run never
  waits behind a long one, and a long one that has waited as long as it needs goes next.
* **Interest.** A run goes on while at least one replica still wants it; when the last one
  leaves, the training task is told to stop at its next report.
* **Attempts.** A task whose worker or machine dies is started again from step 0 while retries
  are left (its events start over with the new attempt), and fails after that. A task whose
  worker dies before it reported anything (Ray may hand a task to a worker that is already
  dying) is started again without using a retry, up to ``FALSE_STARTS`` times.
* **Progress** is kept as events (step stats, snapshot bytes) per attempt, until the run ends;
  replicas read them with a cursor. A finished run keeps only its outcome for a while.
"""
from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gan_core.slicer import priority, remaining_seconds

ENDED = ("done", "failed", "cancelled", "diverged")
KEEP_ENDED_SECONDS = 600.0  # how long a finished run's outcome stays for late readers
KEEP_ENDED_MAX = 500
FALSE_STARTS = 3  # deaths before a task's first report that cost no retry (a worker already dying)


@dataclass
class Entry:
    """One run on the cluster (all its attempts)."""

    key: str
    spec: dict[str, Any]  # what the training task needs: config, store folder, store id, cap
    estimate: float  # estimated training seconds
    total: int  # steps
    replicas: set[str]
    queued_since: float
    state: str = "queued"  # queued | starting | running | done | failed | cancelled | diverged
    attempt: int = 0
    launches: int = 0  # how many training tasks were started for it
    false_starts: int = 0
    events: list[tuple[str, Any]] = field(default_factory=list)
    step: int = 0
    pid: int | None = None  # the process training it (for a teacher, and for the kill test)
    node: str = ""
    stop: bool = False
    error: str = ""
    payload: bytes | None = None  # a diverged run's result (never written to the shared store)
    started: float | None = None
    ended: float | None = None

    def left(self, now: float) -> float:
        rate = None
        if self.state == "running" and self.started is not None and self.step > 0:
            rate = (now - self.started) / self.step
        return remaining_seconds(self.estimate, self.step, self.total, rate)

    def summary(self) -> dict[str, Any]:
        return {"key": self.key, "state": self.state, "attempt": self.attempt, "launches": self.launches,
                "step": self.step, "total": self.total, "pid": self.pid, "node": self.node,
                "replicas": len(self.replicas), "error": self.error}


class Board:
    """Single flight, fair order, interest, attempts and progress for the cluster's runs."""

    def __init__(self, retries: int = 1, capacity: int = 1, clock: Callable[[], float] = time.monotonic):
        self.retries = max(0, int(retries))
        self.capacity = max(1, int(capacity))
        self.clock = clock
        self.runs: dict[str, Entry] = {}

    # ---- from the app replicas ------------------------------------------------------------------
    def submit(self, key: str, spec: dict[str, Any], estimate: float, total: int, replica: str) -> str:
        """"joined" when ``key`` is already queued or training (single flight), else "queued"."""
        entry = self.runs.get(key)
        if entry is not None and entry.state not in ENDED:
            entry.replicas.add(replica)
            return "joined"
        self.runs[key] = Entry(key, spec, float(estimate), int(total), {replica}, self.clock())
        return "queued"

    def cancel(self, key: str, replica: str) -> str:
        """This replica no longer wants ``key``: "stopping" when nobody else does, else "left"."""
        entry = self.runs.get(key)
        if entry is None or entry.state in ENDED:
            return "ended"
        entry.replicas.discard(replica)
        if entry.replicas:
            return "left"
        if entry.state == "queued":
            self._end(entry, "cancelled")
        else:
            entry.stop = True  # the task sees it at its next report
        return "stopping"

    def poll(self, cursors: dict[str, tuple[int, int]]) -> dict[str, dict[str, Any]]:
        """For each key: its state, the events after the cursor (attempt, index), and its place."""
        places = self.places()
        out = {}
        for key, (attempt, since) in cursors.items():
            entry = self.runs.get(key)
            if entry is None:
                out[key] = {"state": "lost"}
                continue
            start = since if attempt == entry.attempt else 0
            ahead, eta = places.get(key, (0, entry.left(self.clock())))
            out[key] = {"state": entry.state, "attempt": entry.attempt, "events": entry.events[start:],
                        "next": len(entry.events), "step": entry.step, "error": entry.error,
                        "ahead": ahead, "eta": eta,
                        "payload": entry.payload if entry.state == "diverged" else None}
        return out

    # ---- scheduling -------------------------------------------------------------------------------
    def queue(self) -> list[Entry]:
        """Queued runs, the one to start next first."""
        now = self.clock()
        waiting = [e for e in self.runs.values() if e.state == "queued"]
        return sorted(waiting, key=lambda e: (priority(e.left(now), now - e.queued_since), e.queued_since))

    def busy(self) -> list[Entry]:
        return [e for e in self.runs.values() if e.state in ("starting", "running")]

    def to_launch(self) -> list[Entry]:
        """The runs to start now, one per free CPU slot, marked "starting"."""
        free = self.capacity - len(self.busy())
        chosen = self.queue()[: max(0, free)]
        for entry in chosen:
            entry.state = "starting"
            entry.launches += 1
        return chosen

    def places(self) -> dict[str, tuple[int, float]]:
        """key -> (runs that go first, estimated seconds until it is done) for unfinished runs.

        Each slot frees when its run's estimated time is up; queued runs take the earliest
        free slot in queue order. "Runs that go first" counts the queued runs before this one,
        plus the run whose slot it will take when no slot is free now."""
        now = self.clock()
        busy = self.busy()
        free_at = sorted(e.left(now) for e in busy)[: self.capacity]
        free_at += [0.0] * (self.capacity - len(free_at))
        heapq.heapify(free_at)
        out = {e.key: (0, e.left(now)) for e in busy}
        full = len(busy) >= self.capacity
        for i, entry in enumerate(self.queue()):
            start = heapq.heappop(free_at)
            finish = start + entry.left(now)
            heapq.heappush(free_at, finish)
            out[entry.key] = (i + (1 if full else 0), finish)
        return out

    # ---- from the training tasks ----------------------------------------------------------------
    def push(self, key: str, attempt: int, pid: int, node: str, events: list[tuple[str, Any]]) -> bool:
        """A task's progress report; returns True when it should stop (nobody wants it now)."""
        entry = self.runs.get(key)
        if entry is None or entry.attempt != attempt or entry.state in ENDED:
            return True  # a task from an attempt that was given up: stop it
        if entry.state == "starting":
            entry.state, entry.started = "running", self.clock()
        entry.pid, entry.node = pid, node
        for kind, body in events:
            entry.events.append((kind, body))
            if kind == "S":
                entry.step = int(body[0])
        return entry.stop

    def ended(self, key: str, attempt: int, outcome: dict[str, Any]) -> None:
        """A task returned: {"status": ok|cancelled|diverged|error, "code", "payload"}."""
        entry = self.runs.get(key)
        if entry is None or entry.attempt != attempt or entry.state in ENDED:
            return
        status = outcome.get("status")
        if status == "ok":
            self._end(entry, "done")
        elif status == "cancelled":
            self._end(entry, "cancelled")
        elif status == "diverged":
            entry.payload = outcome.get("payload")
            self._end(entry, "diverged")
        else:
            self._end(entry, "failed", str(outcome.get("code") or "error"))

    def crashed(self, key: str, attempt: int, reason: str = "worker_lost") -> bool:
        """The task's worker or machine died. True when the run was queued again (a retry)."""
        entry = self.runs.get(key)
        if entry is None or entry.attempt != attempt or entry.state in ENDED:
            return False
        if entry.state == "starting" and entry.false_starts < FALSE_STARTS and not entry.stop:
            entry.false_starts += 1
            entry.state = "queued"  # same attempt: it never began
            return True
        if entry.stop or entry.attempt >= self.retries:
            if entry.stop:
                self._end(entry, "cancelled")
            else:
                self._end(entry, "failed", reason)
            return False
        entry.attempt += 1
        entry.state, entry.events, entry.step = "queued", [], 0
        entry.pid, entry.started, entry.queued_since = None, None, self.clock()
        return True

    def _end(self, entry: Entry, state: str, error: str = "") -> None:
        entry.state, entry.error, entry.ended = state, error, self.clock()
        entry.events = []  # progress is not kept past the run: the result lives in the store

    def prune(self) -> None:
        """Forget finished runs after KEEP_ENDED_SECONDS (and past KEEP_ENDED_MAX of them)."""
        now = self.clock()
        ended = sorted((e for e in self.runs.values() if e.state in ENDED), key=lambda e: e.ended or 0)
        for i, entry in enumerate(ended):
            if now - (entry.ended or now) > KEEP_ENDED_SECONDS or i < len(ended) - KEEP_ENDED_MAX:
                del self.runs[entry.key]

    def overview(self) -> dict[str, Any]:
        """What a teacher or a test sees: capacity, every run's summary, launches per key."""
        return {"capacity": self.capacity, "retries": self.retries,
                "runs": [e.summary() for e in self.runs.values()]}
