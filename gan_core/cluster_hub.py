"""What runs on the Ray cluster: the hub (one named actor) and the training task.

* The **hub** is a detached, named actor (``HUB_NAME`` in ``NAMESPACE``) that every app replica
  finds by name. It holds a ``gan_core.cluster_board.Board`` and starts the training tasks
  itself, so the tasks belong to the hub, not to the replica that asked first: a replica that
  restarts does not take the run with it. It starts at most one task per CPU of the cluster,
  in the board's fair order, and watches them: a worker or machine that dies is a retry or a
  failure (never a Ray-level retry, which would not reset the run's progress).
* The **training task** (``train_on_worker``, 1 CPU, one torch thread) trains one config,
  reports steps and snapshots to the hub every ``REPORT_SECONDS`` (the hub answers whether to
  stop), evaluates the run, and writes it to the shared run store with ``RunStore.put`` (temp
  file, fsync, atomic rename). It returns only a small status: nothing that must outlive the
  job stays in Ray's object store. A diverged run, which the store never keeps on disk, is
  returned as bytes to the hub and kept there for a while for the replicas to read.
* The shared folder is checked by its id file (``STORE_ID_FILE``): a worker whose folder is
  missing or is another folder (an unmounted mount point) fails with ``store_missing`` instead
  of writing runs nobody can read.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import ray

from gan_core.cluster_board import Board

log = logging.getLogger(__name__)
NAMESPACE = "gan-classroom"
HUB_NAME = "gan-classroom-hub-1"  # the number changes when the hub's methods change
STORE_ID_FILE = ".gan-classroom-store-id"
REPORT_SECONDS = 0.25
CAPACITY_SECONDS = 5.0  # how often the hub looks at the cluster's CPUs


@functools.cache
def code_version() -> str:
    """ENGINE_VERSION and a digest of the engine's source files. A worker whose checkout
    differs from the app server's refuses runs (``engine_mismatch``): it could write runs the
    server cannot read, or other numbers under the same key. Computed once per process, about
    when its modules were imported."""
    from gan_core import ENGINE_VERSION

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{ENGINE_VERSION}:{digest.hexdigest()[:16]}"


def read_store_id(root: Path) -> str:
    try:
        return (Path(root) / STORE_ID_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


# ---- the training task --------------------------------------------------------------------------
_HUB = None


def _hub():
    global _HUB
    if _HUB is None:
        _HUB = ray.get_actor(HUB_NAME, namespace=NAMESPACE)
    return _HUB


def train_on_worker(key: str, attempt: int, spec: dict[str, Any]) -> dict[str, Any]:
    """Train ``spec["config"]`` on this worker and store it in the shared folder (module doc)."""
    import torch

    from gan_core.config import from_dict
    from gan_core.evaluate import evaluate_run
    from gan_core.payload import snapshot_to_tree, to_bytes, to_payload
    from gan_core.store import RunStore
    from gan_core.train import HISTORY_COLUMNS, Trainer

    if spec.get("engine") != code_version():
        return {"status": "error", "code": "engine_mismatch"}
    root = Path(spec["root"])
    if not root.is_dir() or read_store_id(root) != spec.get("store_id"):
        return {"status": "error", "code": "store_missing"}
    torch.set_num_threads(1)
    hub, pid, node = _hub(), os.getpid(), ray.get_runtime_context().get_node_id()
    pending: list[tuple[str, Any]] = []
    state = {"stop": False, "sent": 0.0}

    def report() -> None:
        batch = list(pending)
        pending.clear()
        state["stop"] = ray.get(hub.push.remote(key, attempt, pid, node, batch))
        state["sent"] = time.monotonic()

    def on_event(kind: str, payload: Any) -> None:
        if kind == "step":
            pending.append(("S", [getattr(payload, c) for c in HISTORY_COLUMNS]))
        elif kind == "snapshot":
            pending.append(("P", to_bytes(snapshot_to_tree(payload))))
        if kind == "snapshot" or time.monotonic() - state["sent"] >= REPORT_SECONDS:
            report()

    report()  # "running", and whether it was cancelled while it waited
    if state["stop"]:
        return {"status": "cancelled"}
    try:
        result = Trainer(from_dict(spec["config"])).run(on_event, should_stop=lambda: state["stop"])
        report()
        if result.status == "cancelled":
            return {"status": "cancelled"}
        if result.status != "ok":
            return {"status": result.status, "payload": to_bytes(to_payload(result))}
        result.metrics.update(evaluate_run(result))
        store = RunStore(root, memory_items=1, cap_mb=spec.get("cap_mb"), shipped=[])
        store.put(result)
        if not store.disk_ok or not store.path(key).is_file():
            return {"status": "error", "code": "store_missing"}
        return {"status": "ok"}
    except Exception as err:  # a bug or bad data: one failed run, logged on the worker
        log.exception("training %s failed on the cluster", key)
        return {"status": "error", "code": "error", "detail": f"{type(err).__name__}: {err}"[:300]}


# ---- the hub ------------------------------------------------------------------------------------
class Hub:
    """The cluster's single flight and scheduler (module doc); a threaded Ray actor."""

    def __init__(self, retries: int = 1):
        self.board = Board(retries=retries, capacity=self._cluster_cpus())
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._tasks: dict[Any, tuple[str, int]] = {}  # ObjectRef -> (key, attempt)
        self._remote = ray.remote(num_cpus=1, max_retries=0)(train_on_worker)
        threading.Thread(target=self._loop, name="gan-hub-loop", daemon=True).start()

    @staticmethod
    def _cluster_cpus() -> int:
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    # called by the replicas and the tasks (any thread of the actor)
    def submit(self, key: str, spec: dict[str, Any], estimate: float, total: int, replica: str) -> str:
        with self._lock:
            outcome = self.board.submit(key, spec, estimate, total, replica)
        self._wake.set()
        return outcome

    def cancel(self, key: str, replica: str) -> str:
        with self._lock:
            return self.board.cancel(key, replica)

    def poll(self, cursors: dict[str, tuple[int, int]]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return self.board.poll(cursors)

    def push(self, key: str, attempt: int, pid: int, node: str, events: list) -> bool:
        with self._lock:
            return self.board.push(key, attempt, pid, node, events)

    def overview(self) -> dict[str, Any]:
        with self._lock:
            view = self.board.overview()
        view["nodes"] = sum(1 for n in ray.nodes() if n.get("Alive"))
        return view

    # the hub's own thread: start tasks in fair order, notice how they end
    def _loop(self) -> None:
        checked = time.monotonic()
        while True:
            try:
                if time.monotonic() - checked > CAPACITY_SECONDS:
                    checked = time.monotonic()
                    cpus = self._cluster_cpus()
                    with self._lock:
                        self.board.capacity = cpus
                self._launch()
                if not self._tasks:
                    self._wake.wait(0.5)
                    self._wake.clear()
                    continue
                ready, _ = ray.wait(list(self._tasks), num_returns=len(self._tasks), timeout=0.1)
                for ref in ready:
                    self._collect(ref)
                with self._lock:
                    self.board.prune()
            except Exception:  # the loop must outlive any one bad task
                log.exception("hub loop")
                time.sleep(0.5)

    def _launch(self) -> None:
        with self._lock:
            chosen = [(e.key, e.attempt, e.spec) for e in self.board.to_launch()]
        for key, attempt, spec in chosen:
            ref = self._remote.options(name=f"gan-train-{key[:8]}").remote(key, attempt, spec)
            self._tasks[ref] = (key, attempt)

    def _collect(self, ref) -> None:
        key, attempt = self._tasks.pop(ref)
        try:
            outcome = ray.get(ref)
        except ray.exceptions.RayTaskError as err:  # raised inside the task (e.g. code missing there)
            log.warning("training task %s raised: %s", key, str(err)[:300])
            outcome = {"status": "error", "code": "error"}
        except ray.exceptions.RayError as err:  # the worker or its machine died
            log.warning("training task %s lost its worker: %s", key, type(err).__name__)
            with self._lock:
                self.board.crashed(key, attempt)
            return
        with self._lock:
            self.board.ended(key, attempt, outcome if isinstance(outcome, dict) else {})


def get_hub(retries: int = 1):
    """The cluster's hub, created on first use (detached: it outlives the replica that made it)."""
    options: dict[str, Any] = {"name": HUB_NAME, "namespace": NAMESPACE, "lifetime": "detached",
                               "get_if_exists": True, "num_cpus": 0, "max_concurrency": 32}
    if "node:__internal_head__" in ray.cluster_resources():
        options["resources"] = {"node:__internal_head__": 0.001}  # lives as long as the head
    return ray.remote(Hub).options(**options).remote(retries)
