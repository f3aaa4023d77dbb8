"""The server's trainings: single flight, fair time-sharing, per-session limits, cancelling.

* Asking for a config that is queued or running returns the same Job (single flight), so a
  class pressing Train on one preset trains it once; a cached or shipped run opens at once.
* Each worker (``gan_core.slicer.Slicer``, in a child process in the app) time-shares the runs
  it holds, shortest remaining first with ageing: a short run never waits behind a long one.
  A new run goes to the worker with the least work left.
* Workers: ``GAN_CLASSROOM_WORKERS`` if the teacher set it, else one per two usable cores.
* Limits for students (a session id is given): at most ``max_steps`` steps for a run that
  must be trained, at most ``max_queued`` unfinished runs at once. The teacher (no session)
  has none. A session may cancel its own runs; a run several sessions asked for goes on until
  the last of them cancels it.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from typing import Any

from gan_core import journal
from gan_core.config import TrainConfig
from gan_core.jobs import ClassLimits, Job, LimitError, env_limits
from gan_core.slicer import Slicer, estimate_seconds, priority
from gan_core.store import RunStore
from gan_core.train import HISTORY_COLUMNS, RunResult

log = logging.getLogger(__name__)
ISOLATIONS = ("thread", "process", "ray")



def _cgroup_quota() -> float | None:
    """CPUs allowed by this process's cgroup CPU quota (v2 ``cpu.max`` or v1 CFS), if any."""
    try:
        lines = open("/proc/self/cgroup", encoding="ascii").read().splitlines()
    except OSError:
        lines = []
    parts = [ln.split(":", 2) for ln in lines if ln.count(":") >= 2]
    v1 = next((path for _, ctrl, path in parts if "cpu" in ctrl.split(",")), None)
    v2 = next((ln.split(":", 2)[2] for ln in lines if ln.startswith("0::")), "/")
    candidates = [(f"/sys/fs/cgroup{v2.rstrip('/')}/cpu.max", None)]
    if v1 is not None:
        base = f"/sys/fs/cgroup/cpu{v1.rstrip('/')}"
        candidates.append((f"{base}/cpu.cfs_quota_us", f"{base}/cpu.cfs_period_us"))
    for quota_path, period_path in candidates:
        try:
            text = open(quota_path, encoding="ascii").read().split()
            quota, period = (text[0], text[1]) if period_path is None else (
                text[0], open(period_path, encoding="ascii").read().strip())
        except (OSError, IndexError):
            continue
        if quota not in ("max", "-1"):
            return max(0.1, int(quota) / int(period))
    return None


def usable_cores() -> float:
    """CPUs this process may use: its affinity, capped by a cgroup CPU quota if there is one."""
    cores = float(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    quota = _cgroup_quota()
    return cores if quota is None else min(cores, quota)


def default_workers() -> int:
    raw = os.environ.get("GAN_CLASSROOM_WORKERS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, int(usable_cores() // 2))


class _ThreadWorker:
    """A Slicer in this process (tests, the CLI): the same scheduling without a child process."""

    def __init__(self, on_event, evaluate):
        self.slicer = Slicer(on_event, evaluate)

    def start(self, cfg: TrainConfig, estimate: float) -> None:
        self.slicer.start(cfg, estimate)

    def cancel(self, key: str) -> None:
        self.slicer.cancel(key)

    def close(self) -> None:
        for key in self.slicer.held():
            self.slicer.cancel(key)


class JobPool:
    """Background trainings with single flight, fair time-sharing and class limits (module doc).

    ``isolation="thread"`` trains in this process (tests, the CLI); ``"process"`` gives each
    worker its own training process (``gan_core.worker``): the app server uses it. ``"ray"``
    trains on the Ray cluster at ``ray_address`` through one ``gan_core.cluster.RayBackend``.
    """

    def __init__(self, store: RunStore | None = None, workers: int | None = None, keep_jobs: int = 64,
                 isolation: str = "thread", limits: ClassLimits | None = None, ray_address: str = ""):
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {ISOLATIONS}, not {isolation!r}")
        self.isolation = isolation
        self.store = store or RunStore()
        self.workers = 1 if isolation == "ray" else max(1, workers or default_workers())
        self.ray_address = ray_address
        self.notice = ""  # "" or why the cluster is not used ("cluster.<notice>" in the UI)
        self.limits = limits or env_limits()
        self.keep_jobs = keep_jobs
        self.journal = journal.journal_path()
        self.trainings_started = 0  # how many trainings actually ran (for the load bench)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.RLock()
        self._seq = 0
        self._backends = [self._make_backend(i) for i in range(self.workers)]

    def _make_backend(self, index: int):
        def on_event(kind: str, key: str, payload: Any) -> None:
            self._on_event(index, kind, key, payload)

        if self.isolation == "ray":
            from gan_core.cluster import RayBackend

            return RayBackend(on_event, self.store, self.ray_address)
        if self.isolation == "process":
            from gan_core.worker import ProcessWorker

            threads = max(1, int(usable_cores() // self.workers))
            return ProcessWorker(on_event, threads=threads)
        from gan_core.evaluate import evaluate_run

        return _ThreadWorker(on_event, evaluate_run)

    # ---- asking ---------------------------------------------------------------------------------
    def peek(self, cfg: TrainConfig) -> Job | None:
        """The job for ``cfg`` if it is queued, running, finished here or cached; never starts one."""
        with self._lock:
            job = self._jobs.get(cfg.key)
        if job is not None and job.state != "cancelled":
            return job
        result = self.store.get(cfg.key)
        if result is not None:
            return self._done_job(cfg, result)
        return job

    def submit(self, cfg: TrainConfig, session: str | None = None) -> Job:
        """Start ``cfg`` unless it is cached, queued or running; return its job either way.

        ``session`` identifies a student (limits apply and the job is theirs to cancel);
        None is the teacher or the command line. Raises LimitError over a class limit.
        """
        key = cfg.key
        with self._lock:
            job = self._join(key, session)
        if job is not None:
            return job
        result = self.store.get(key)
        if result is not None:
            return self._done_job(cfg, result)
        with self._lock:
            job = self._join(key, session)  # asked for meanwhile by another session
            if job is not None:
                return job
            if session is not None:
                if cfg.steps > self.limits.max_steps:
                    raise LimitError("steps", self.limits.max_steps)
                mine = sum(session in j.owners for j in self._jobs.values() if not j.done)
                if mine >= self.limits.max_queued:
                    raise LimitError("queued", self.limits.max_queued)
            self._seq += 1
            job = Job(cfg, seq=self._seq, estimate=estimate_seconds(cfg))
            if session is not None:
                job.owners.add(session)
            job.worker = min(range(self.workers), key=self._work_left)
            self._jobs[key] = job
            self._jobs.move_to_end(key)
            self._trim()
            self.trainings_started += 1
        self._backends[job.worker].start(cfg, job.estimate)
        return job

    def _join(self, key: str, session: str | None) -> Job | None:
        """The unfinished job for ``key``, now also this session's (call with the lock held)."""
        job = self._jobs.get(key)
        if job is None or job.done:
            return None
        if session is not None:
            job.owners.add(session)
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

    def _work_left(self, worker: int) -> float:
        return sum(j.seconds_left() for j in self._jobs.values() if j.worker == worker and not j.done)

    # ---- cancelling and limits ----------------------------------------------------------------
    def cancel(self, key: str, session: str | None = None) -> str:
        """"cancelled", "finished", "not_found" or "not_yours" (session None: the teacher)."""
        with self._lock:
            job = self._jobs.get(str(key))
            if job is None:
                return "finished" if self.store.get(str(key)) is not None else "not_found"
            if job.done:
                return "finished"
            if session is not None:
                if session not in job.owners:
                    return "not_yours"
                job.owners.discard(session)
                if job.owners:
                    return "cancelled"  # others still wait for it: it goes on for them
            job.owners.clear()
            backend = self._backends[job.worker]
        backend.cancel(job.key)
        return "cancelled"

    def set_limits(self, **values: Any) -> ClassLimits:
        """New class limits, applied at once; ValueError(name) for a value out of its range."""
        merged = {"max_steps": self.limits.max_steps, "max_queued": self.limits.max_queued}
        merged.update(values)
        self.limits = ClassLimits.checked(**merged)
        return self.limits

    # ---- looking --------------------------------------------------------------------------------
    def active(self) -> list[Job]:
        """Unfinished jobs, in the order the workers will serve them."""
        now = time.monotonic()
        with self._lock:
            jobs = [j for j in self._jobs.values() if not j.done]
        return sorted(jobs, key=lambda j: (j.state != "running", self._priority(j, now), j.seq))

    def recent(self, n: int = 20) -> list[Job]:
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.done]
        return sorted(jobs, key=lambda j: j.finished or 0, reverse=True)[:n]

    @staticmethod
    def _priority(job: Job, now: float) -> float:
        return priority(job.seconds_left(), 0.0 if job.state == "running" else now - job.waiting_since)

    def _ahead(self, job: Job) -> list[Job]:
        now = time.monotonic()
        mine = self._priority(job, now)
        with self._lock:
            same = [j for j in self._jobs.values() if j.worker == job.worker and not j.done and j is not job]
        return [j for j in same if j.state == "running" or self._priority(j, now) < mine]

    def queue_position(self, job: Job) -> int:
        """How many runs go before this one on its worker (0 = it is running or done)."""
        if job.state != "queued":
            return 0
        placed = self._placed(job)
        return placed[0] if placed is not None else len(self._ahead(job))

    def eta(self, job: Job) -> float | None:
        """Estimated seconds until ``job`` is finished (None when it already is)."""
        if job.done:
            return None
        placed = self._placed(job)
        if placed is not None:
            return placed[1]
        ahead = sum(min(j.seconds_left(), job.seconds_left()) for j in self._ahead(job))
        return ahead + job.seconds_left()

    def _placed(self, job: Job) -> tuple[int, float] | None:
        """(runs ahead, seconds to done) from a backend that orders runs itself (the cluster)."""
        place = getattr(self._backends[job.worker], "place", None) if job.worker >= 0 else None
        return place(job.key) if place is not None else None

    # ---- events from the workers ----------------------------------------------------------
    def _on_event(self, worker: int, kind: str, key: str, payload: Any) -> None:
        with self._lock:
            job = self._jobs.get(key)
        if job is None or job.done:
            return
        if kind == "result":
            result: RunResult | None = payload
            if result is None or result.status == "cancelled":
                self._finish(job, "cancelled")
                return
            try:
                self.store.put(result)
            except Exception:
                log.exception("could not store run %s", key)
            job.result = result
            self._finish(job, "done")
        elif kind in ("error", "died"):
            self._finish(job, "failed", error=str(payload))
        else:
            job.on_event(kind, payload)

    def _finish(self, job: Job, state: str, error: str = "") -> None:
        if job._mark is not None:
            job.active_seconds += time.monotonic() - job._mark
            job._mark = None
        job.error = error
        job.finished = time.time()
        # The journal line is written before the job reads as finished, so anyone who waited
        # for the job (a test, a bench) finds its line already there.
        journal.write(self.journal, job, state)
        job.state = state

    def wait(self, job: Job, timeout: float | None = None) -> Job:
        """Block until ``job`` is finished (CLI and tests)."""
        t_end = None if timeout is None else time.time() + timeout
        while not job.done:
            if t_end is not None and time.time() > t_end:
                raise TimeoutError(f"run {job.key} still {job.state}")
            time.sleep(0.02)
        return job

    def shutdown(self) -> None:
        for backend in self._backends:
            backend.close()


_DEFAULT: JobPool | None = None
_DEFAULT_LOCK = threading.Lock()


def default_pool() -> JobPool:
    """The process-wide pool shared by every Streamlit session (trains in child processes)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            from gan_core.shipped import default_packs

            isolation = os.environ.get("GAN_CLASSROOM_ISOLATION", "process")
            address = os.environ.get("GAN_CLASSROOM_RAY_ADDRESS", "").strip()
            _DEFAULT, notice = _cluster_pool(address, default_packs()) if address else (None, "")
            if _DEFAULT is None:
                _DEFAULT = JobPool(RunStore(shipped=default_packs()),
                                   isolation=isolation if isolation in ISOLATIONS[:2] else "process")
                _DEFAULT.notice = notice
        return _DEFAULT


def _cluster_pool(address: str, packs: list) -> tuple[JobPool | None, str]:
    """A pool training on the Ray cluster at ``address``, or (None, why not): the app then
    trains on this server and says so (README, "Hosting for a department")."""
    from gan_core.cluster import ClusterUnavailable, check_shared_folder
    from gan_core.files import cache_dir

    try:
        check_shared_folder(cache_dir(), address)
        return JobPool(RunStore(shipped=packs), isolation="ray", ray_address=address), ""
    except ClusterUnavailable as err:
        log.warning("training on this server, not on the Ray cluster at %s: %s", address, err)
        return None, f"notice_{err.code}"


def reset_default_pool(pool: JobPool | None = None) -> None:
    """Replace the process-wide pool (tests)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        _DEFAULT = pool


def run_sync(cfg: TrainConfig, pool: JobPool | None = None) -> RunResult:
    """Train (or fetch) ``cfg`` and wait for it: the CLI's path through the same cache."""
    pool = pool or default_pool()
    job = pool.wait(pool.submit(cfg))
    if job.state != "done" or job.result is None:
        raise RuntimeError(job.error or "training failed")
    return job.result
