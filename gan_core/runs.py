"""Run cache (memory + disk, content-addressed) and a bounded background job pool.

* A run's key is ``TrainConfig.key``: a hash of its config and ENGINE_VERSION.
* Finished runs (status "ok") are written to ``<cache>/runs/<key>.pt`` through a temp file and
  an atomic rename, and read back with ``torch.load(weights_only=True)``. A file that fails to
  load or to validate is deleted and the run recomputed. A diverged run is kept in memory only,
  so it can be shown, but never lands on disk as a success.
* Training happens on a ``ThreadPoolExecutor`` (default 1 worker; GAN_CLASSROOM_WORKERS),
  never on a Streamlit script thread; in the app each pool thread drives its own training
  process (``isolation="process"``, gan_core.worker) so page renders can't starve it.
  Asking for a config that is queued or running returns the same Job (single flight), so a
  class pressing Train on one preset trains it once.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gan_core import ENGINE_VERSION
from gan_core.config import TrainConfig, from_dict
from gan_core.data import cache_dir
from gan_core.train import HISTORY_COLUMNS, RunResult, Snapshot, StepStats, Trainer

log = logging.getLogger(__name__)
FORMAT = 1


# ---- (de)serialisation: only tensors, lists, dicts, strings and numbers -----------------------
def _to_tensor_tree(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, dict):
        return {str(k): _to_tensor_tree(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_tensor_tree(v) for v in obj]
    return obj


def _to_numpy_tree(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.numpy()
    if isinstance(obj, dict):
        return {k: _to_numpy_tree(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_numpy_tree(v) for v in obj]
    return obj


def snapshot_to_tree(s: Snapshot) -> dict[str, Any]:
    return {"step": s.step, "wall": s.wall, "samples": torch.from_numpy(np.ascontiguousarray(s.samples)),
            "extras": _to_tensor_tree(s.extras)}


def snapshot_from_tree(d: dict[str, Any]) -> Snapshot:
    return Snapshot(int(d["step"]), float(d["wall"]), d["samples"].numpy(), _to_numpy_tree(d["extras"]))


def to_payload(r: RunResult) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "engine": ENGINE_VERSION,
        "config": r.config.to_dict(),
        "status": r.status,
        "message": r.message,
        "history": {c: torch.from_numpy(np.asarray(r.history[c], dtype=np.float64)) for c in HISTORY_COLUMNS},
        "snapshots": [snapshot_to_tree(s) for s in r.snapshots],
        "generator": {k: v.detach().cpu().contiguous() for k, v in r.generator.items()},
        "labels": None if r.labels is None else torch.from_numpy(r.labels),
        "seconds": float(r.seconds),
        "metrics": json.dumps(r.metrics, default=float),
    }


def from_payload(p: dict[str, Any]) -> RunResult:
    """Rebuild a RunResult; raises ValueError/KeyError/TypeError on anything malformed."""
    if p.get("format") != FORMAT or p.get("engine") != ENGINE_VERSION:
        raise ValueError("stale cache format")
    cfg = from_dict(p["config"])
    history = {c: p["history"][c].numpy() for c in HISTORY_COLUMNS}
    lengths = {len(v) for v in history.values()}
    if len(lengths) != 1:
        raise ValueError("ragged history")
    snaps = [snapshot_from_tree(s) for s in p["snapshots"]]
    if not snaps:
        raise ValueError("no snapshots")
    gen = p["generator"]
    if not isinstance(gen, dict) or not all(isinstance(v, torch.Tensor) for v in gen.values()):
        raise TypeError("bad generator state")
    labels = None if p["labels"] is None else p["labels"].numpy()
    return RunResult(cfg, str(p["status"]), str(p["message"]), history, snaps, gen, labels,
                     float(p["seconds"]), json.loads(p["metrics"]))


# ---- the store ----------------------------------------------------------------------------
class RunStore:
    """Finished runs in memory (LRU) and on disk. Thread-safe."""

    def __init__(self, root: Path | None = None, memory_items: int = 24):
        self.root = Path(root) if root is not None else cache_dir() / "runs"
        self.memory_items = memory_items
        self._mem: OrderedDict[str, RunResult] = OrderedDict()
        self._lock = threading.Lock()
        self.disk_ok = True
        self.notice = ""  # "" or "cache_unwritable" (shown once by the UI)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                raise PermissionError(str(self.root))
        except OSError as err:
            self._disable_disk(err)

    def _disable_disk(self, err: Exception) -> None:
        log.warning("run cache on disk disabled (%s): keeping runs in memory only", err)
        self.disk_ok = False
        self.notice = "cache_unwritable"

    def path(self, key: str) -> Path:
        return self.root / f"{key}.pt"

    def get(self, key: str) -> RunResult | None:
        with self._lock:
            if key in self._mem:
                self._mem.move_to_end(key)
                return self._mem[key]
        result = self._read(key)
        if result is not None:
            self._remember(key, result)
        return result

    def _read(self, key: str) -> RunResult | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            result = from_payload(payload)
            if result.config.key != key or result.status != "ok":
                raise ValueError("entry does not match its key")
            return result
        except Exception as err:  # noqa: BLE001 - any damage means: ignore and recompute
            log.warning("ignoring damaged cache entry %s: %s", path.name, err)
            try:
                path.unlink()
            except OSError:
                pass
            return None

    def _remember(self, key: str, result: RunResult) -> None:
        with self._lock:
            self._mem[key] = result
            self._mem.move_to_end(key)
            while len(self._mem) > self.memory_items:
                self._mem.popitem(last=False)

    def put(self, result: RunResult) -> None:
        """Keep a finished run; only successful runs are written to disk."""
        key = result.config.key
        if result.status == "cancelled":
            return
        self._remember(key, result)
        if result.status != "ok" or not self.disk_ok:
            return
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.root)
            with os.fdopen(fd, "wb") as fh:
                torch.save(to_payload(result), fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path(key))
            tmp = None
        except OSError as err:
            self._disable_disk(err)
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    def forget_memory(self) -> None:
        with self._lock:
            self._mem.clear()


# ---- jobs ---------------------------------------------------------------------------------
@dataclass
class Job:
    """One training, shared by every session that asked for its config."""

    cfg: TrainConfig
    state: str = "queued"  # queued | running | done | failed
    step: int = 0
    history: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in HISTORY_COLUMNS})
    snapshots: list[Snapshot] = field(default_factory=list)
    result: RunResult | None = None
    error: str = ""
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cached: bool = False  # True when served from the cache without training
    seq: int = 0

    @property
    def key(self) -> str:
        return self.cfg.key

    @property
    def total(self) -> int:
        return self.cfg.steps

    @property
    def done(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def fraction(self) -> float:
        if self.state == "done":
            return 1.0
        return min(1.0, self.step / max(1, self.total))

    def on_event(self, kind: str, payload: Any) -> None:
        if kind == "step":
            stats: StepStats = payload
            for c in HISTORY_COLUMNS:
                self.history[c].append(getattr(stats, c))
            self.step = stats.step
        elif kind == "snapshot":
            self.snapshots.append(payload)


ISOLATIONS = ("thread", "process")


class JobPool:
    """Bounded pool of training workers with single-flight submission.

    ``isolation="thread"`` trains on the pool's threads (tests, the CLI). ``"process"`` gives
    each pool thread its own training process (gan_core.worker): the app server uses it, so
    sessions re-rendering their pages never starve a training of the GIL.
    """

    def __init__(self, store: RunStore | None = None, workers: int | None = None, keep_jobs: int = 64,
                 isolation: str = "thread"):
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {ISOLATIONS}, not {isolation!r}")
        self.isolation = isolation
        self._processes: list = []  # gan_core.worker.ProcessWorker, one per pool thread
        self.store = store or RunStore()
        n = workers or int(os.environ.get("GAN_CLASSROOM_WORKERS", "1") or 1)
        self.workers = max(1, n)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="gan-train")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._seq = 0
        self.keep_jobs = keep_jobs
        self.trainings_started = 0  # how many trainings actually ran (for the load bench)
        # GAN_CLASSROOM_JOURNAL=path: one JSON line per finished training (key, queue wait,
        # run time, outcome) -- lets a teacher or bench/classroom_load.py see what the server did
        self.journal = os.environ.get("GAN_CLASSROOM_JOURNAL") or None

    def peek(self, cfg: TrainConfig) -> Job | None:
        """The job for ``cfg`` if it is queued, running, finished here or cached; never starts one."""
        with self._lock:
            job = self._jobs.get(cfg.key)
        if job is not None:
            return job
        result = self.store.get(cfg.key)
        if result is not None:
            return self._done_job(cfg, result)
        return None

    def submit(self, cfg: TrainConfig) -> Job:
        """Start ``cfg`` unless it is cached, queued or running; return its job either way."""
        key = cfg.key
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state != "failed":
                return job
        result = self.store.get(key)
        if result is not None:
            return self._done_job(cfg, result)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state != "failed":
                return job
            self._seq += 1
            job = Job(cfg, seq=self._seq)
            self._jobs[key] = job
            self._trim()
        self._executor.submit(self._work, job)
        return job

    def _done_job(self, cfg: TrainConfig, result: RunResult) -> Job:
        job = Job(cfg, state="done", step=cfg.steps, result=result, cached=True,
                  snapshots=list(result.snapshots), finished=time.time())
        job.history = {c: list(result.history[c]) for c in HISTORY_COLUMNS}
        return job

    def _trim(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.done]
        for k in finished[: max(0, len(self._jobs) - self.keep_jobs)]:
            del self._jobs[k]

    def queue_position(self, job: Job) -> int:
        """How many jobs run or wait ahead of this one (0 = this one is running or done)."""
        if job.state != "queued":
            return 0
        with self._lock:
            ahead = [j for j in self._jobs.values()
                     if j.seq < job.seq and j.state in ("queued", "running")]
        return len(ahead)

    def active(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.state in ("queued", "running")]

    def _work(self, job: Job) -> None:
        job.state = "running"
        job.started = time.time()
        self.trainings_started += 1
        try:
            if self.isolation == "process":
                from gan_core.worker import thread_worker

                result = thread_worker(self._processes, self._lock).run(job.cfg, job.on_event)
            else:
                result = Trainer(job.cfg).run(job.on_event)
                evaluate = _evaluator()
                if evaluate is not None and result.status == "ok":
                    result.metrics.update(evaluate(result))
            self.store.put(result)
            job.result = result
            job.state = "done"
        except Exception as err:  # noqa: BLE001 - a failed run must not take the server down
            log.exception("training %s failed", job.key)
            job.error = f"{type(err).__name__}: {err}"[:300]
            job.state = "failed"
        finally:
            job.finished = time.time()
            self._write_journal(job)

    def _write_journal(self, job: Job) -> None:
        if not self.journal:
            return
        line = {"key": job.key, "state": job.state, "status": job.result.status if job.result else "",
                "submitted": job.submitted, "queued_s": round((job.started or job.submitted) - job.submitted, 3),
                "run_s": round((job.finished or 0) - (job.started or 0), 3), "steps": job.cfg.steps}
        try:
            with open(self.journal, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(line) + "\n")
        except OSError as err:
            log.warning("cannot write the training journal %s: %s", self.journal, err)

    def wait(self, job: Job, timeout: float | None = None) -> Job:
        """Block until ``job`` is finished (CLI and tests)."""
        t_end = None if timeout is None else time.time() + timeout
        while not job.done:
            if t_end is not None and time.time() > t_end:
                raise TimeoutError(f"run {job.key} still {job.state}")
            time.sleep(0.02)
        return job

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            workers, self._processes = self._processes, []
        for w in workers:
            w.close()


def _evaluator():
    """Metrics for finished runs (gan_core.metrics.evaluate_run), if available."""
    try:
        from gan_core.metrics import evaluate_run
    except ImportError:
        return None
    return evaluate_run


_DEFAULT: JobPool | None = None
_DEFAULT_LOCK = threading.Lock()


def default_pool() -> JobPool:
    """The process-wide pool (shared by every Streamlit session)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            # the server trains in child processes (GAN_CLASSROOM_ISOLATION=thread opts out)
            isolation = os.environ.get("GAN_CLASSROOM_ISOLATION", "process")
            _DEFAULT = JobPool(isolation=isolation if isolation in ISOLATIONS else "process")
        return _DEFAULT


def reset_default_pool(pool: JobPool | None = None) -> None:
    """Replace the process-wide pool (tests)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        _DEFAULT = pool


def run_sync(cfg: TrainConfig, pool: JobPool | None = None) -> RunResult:
    """Train (or fetch) ``cfg`` and wait for it: the CLI's path through the same cache."""
    pool = pool or default_pool()
    job = pool.wait(pool.submit(cfg))
    if job.state == "failed" or job.result is None:
        raise RuntimeError(job.error or "training failed")
    return job.result
