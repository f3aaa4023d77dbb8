"""The app's side of training on a Ray cluster: connecting, and the pool's RayBackend.

``GAN_CLASSROOM_RAY_ADDRESS`` (``auto``, ``ray://host:port`` or ``local``) makes
``gan_core.pool.default_pool()`` train through a RayBackend instead of local processes. The
pool keeps its job table, limits and single flight within the server; the backend hands
runs to the cluster's hub (``gan_core.cluster_hub``), which keeps single flight and the fair
order across every server of the course, and reads the progress back as the pool's events
("state", "step", "snapshot", "restart", "result", "error"). A finished run is read from the
shared run store, which must be the same folder (NFS or similar) on every server and worker.

Failures reach the pool as ``error`` events with a ``cluster:<code>`` message; the pages say
one sentence per code (``ui/locales/*/cluster.json``). Ray is imported only here and in
``gan_core.cluster_hub``, and only when a cluster is configured.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gan_core.store import RunStore

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25
CALL_TIMEOUT = 60.0  # seconds a call to the hub may take before the cluster counts as gone
ADDRESS_ENV = "GAN_CLASSROOM_RAY_ADDRESS"
RETRIES_ENV = "GAN_CLASSROOM_RAY_RETRIES"
CPUS_ENV = "GAN_CLASSROOM_RAY_CPUS"  # CPUs of a `local` head (default: all of this machine's)
_CONNECT_LOCK = threading.Lock()


class ClusterUnavailable(Exception):
    """No training on the cluster: ``code`` is "no_ray", "unreachable" or "store_missing"."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        super().__init__(f"{code}: {detail}" if detail else code)


def retries_from_env() -> int:
    raw = os.environ.get(RETRIES_ENV, "").strip()
    return int(raw) if raw.isdigit() else 1


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` (once per process; a process already in one stays)."""
    try:
        import ray
    except ImportError as err:
        raise ClusterUnavailable("no_ray", "pip install -r requirements-cluster.txt") from err
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # Ray never reports home from the app
    with _CONNECT_LOCK:
        if ray.is_initialized():
            return
        try:
            if address == "local":
                _start_local(ray)
            else:
                ray.init(address=address, log_to_driver=False)
        except ClusterUnavailable:
            raise
        except Exception as err:
            raise ClusterUnavailable("unreachable", f"{type(err).__name__}: {err}") from err


def _start_local(ray) -> None:
    """A Ray head on this machine. Its processes are started with Linux's parent-death signal,
    which follows the *thread* that started them: started on a Streamlit script thread, they
    would die when that script run ends. So they are started on a thread that lives as long as
    the app."""
    ready, failed = threading.Event(), []
    raw = os.environ.get(CPUS_ENV, "").strip()
    cpus = int(raw) if raw.isdigit() and int(raw) > 0 else None

    def hold() -> None:
        try:
            ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        except Exception as err:
            failed.append(err)
        ready.set()
        if not failed:
            threading.Event().wait()

    threading.Thread(target=hold, name="ray-local-head", daemon=True).start()
    ready.wait()
    if failed:
        raise failed[0]


def shared_store_id(root: Path) -> str:
    """The id of the shared run folder ``root``, written once by the first server that uses it
    (through a temp file and a hard link, so two servers starting together agree)."""
    from gan_core.cluster_hub import STORE_ID_FILE, read_store_id

    root = Path(root)
    if not root.is_dir() or not os.access(root, os.W_OK):
        raise ClusterUnavailable("store_missing", str(root))
    found = read_store_id(root)
    if found:
        return found
    tmp = root / f".{STORE_ID_FILE}.{uuid.uuid4().hex}.tmp"
    try:
        tmp.write_text(uuid.uuid4().hex, encoding="ascii")
        try:
            os.link(tmp, root / STORE_ID_FILE)
        except FileExistsError:
            pass
    except OSError as err:
        raise ClusterUnavailable("store_missing", f"{root}: {err}") from err
    finally:
        tmp.unlink(missing_ok=True)
    return read_store_id(root)


def check_shared_folder(cache: Path, address: str) -> None:
    """On a real cluster the cache folder is the shared one and must exist before the app
    starts (an unmounted share would otherwise be created, empty, on this machine)."""
    if address != "local" and not Path(cache).is_dir():
        raise ClusterUnavailable("store_missing", str(cache))


class RayBackend:
    """One pool backend: hands runs to the hub and turns its progress into pool events."""

    def __init__(self, on_event: Callable[[str, str, Any], None], store: RunStore, address: str,
                 retries: int | None = None):
        self.on_event = on_event
        self.store = store
        self.address = address
        connect(address)
        if not store.disk_ok:
            raise ClusterUnavailable("store_missing", str(store.root))
        self.store_id = shared_store_id(store.root)
        from gan_core.cluster_hub import code_version, get_hub

        self.code = code_version()
        self.retries = retries_from_env() if retries is None else retries
        self.hub = get_hub(self.retries)
        self.replica = uuid.uuid4().hex
        self._follow: dict[str, dict[str, Any]] = {}
        self._places: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        threading.Thread(target=self._poll_loop, name="gan-cluster-poll", daemon=True).start()

    def _call(self, method: str, *args: Any) -> Any:
        import ray

        from gan_core.cluster_hub import get_hub

        try:
            return ray.get(getattr(self.hub, method).remote(*args), timeout=CALL_TIMEOUT)
        except ray.exceptions.RayActorError:  # the hub died (its machine, say): a new one, once
            self.hub = get_hub(self.retries)  # (runs it held are gone: their servers say so)
            return ray.get(getattr(self.hub, method).remote(*args), timeout=CALL_TIMEOUT)

    # ---- the pool's side (same as gan_core.worker.ProcessWorker) -------------------------------
    def start(self, cfg, estimate: float) -> None:
        spec = {"config": cfg.to_dict(), "root": str(self.store.root), "store_id": self.store_id,
                "cap_mb": self.store.cap_bytes / 2**20, "engine": self.code}
        try:
            self._call("submit", cfg.key, spec, float(estimate), int(cfg.steps), self.replica)
        except Exception as err:
            log.warning("could not hand run %s to the cluster: %s", cfg.key, err)
            self.on_event("error", cfg.key, "cluster:unreachable")
            return
        with self._lock:  # followed once the hub has it, so no poll finds it missing
            self._follow[cfg.key] = {"attempt": -1, "since": 0, "state": "queued"}
        self._wake.set()

    def cancel(self, key: str) -> None:
        with self._lock:
            if self._follow.pop(key, None) is None:
                return
            self._places.pop(key, None)
        try:
            self._call("cancel", key, self.replica)
        except Exception as err:
            log.warning("could not cancel run %s on the cluster: %s", key, err)
        self.on_event("result", key, None)  # the run ends here for this server

    def place(self, key: str) -> tuple[int, float] | None:
        """(runs that go first, seconds until done) across the cluster, from the last poll."""
        with self._lock:
            return self._places.get(key)

    def overview(self) -> dict[str, Any]:
        """The hub's view: capacity (CPUs), nodes, every run on the cluster."""
        return self._call("overview")

    def close(self) -> None:
        self._closed = True
        with self._lock:
            keys = list(self._follow)
        for key in keys:
            self.cancel(key)
        self._wake.set()

    # ---- progress ------------------------------------------------------------------------------
    def _poll_loop(self) -> None:
        while not self._closed:
            with self._lock:
                cursors = {k: (f["attempt"], f["since"]) for k, f in self._follow.items()}
            if not cursors:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                replies = self._call("poll", cursors)
            except Exception as err:
                log.warning("the cluster's hub does not answer: %s", err)
                for key in cursors:
                    self._end(key, "error", "cluster:hub_lost")
                continue
            for key, reply in replies.items():
                try:
                    self._apply(key, reply)
                except Exception as err:  # a bad event must not stop the other runs' progress
                    log.exception("run %s: bad progress from the cluster", key)
                    self._end(key, "error", f"cluster:error {type(err).__name__}")
            time.sleep(POLL_SECONDS)

    def _end(self, key: str, kind: str, payload: Any) -> None:
        with self._lock:
            if self._follow.pop(key, None) is None:
                return
            self._places.pop(key, None)
        self.on_event(kind, key, payload)

    def _apply(self, key: str, reply: dict[str, Any]) -> None:
        from gan_core.payload import from_bytes, from_payload, snapshot_from_tree
        from gan_core.train import StepStats

        with self._lock:
            follow = self._follow.get(key)
        if follow is None:
            return
        state = reply["state"]
        if state == "lost":
            self._end(key, "error", "cluster:lost")
            return
        if reply["attempt"] != follow["attempt"]:
            if follow["attempt"] >= 0:
                self.on_event("restart", key, reply["attempt"])  # a worker died: it starts over
                self.on_event("state", key, "queued")
                follow["state"] = "queued"
            follow["attempt"] = reply["attempt"]
        for kind, body in reply["events"]:
            if kind == "S":
                self.on_event("step", key, StepStats(*body))
            elif kind == "P":
                self.on_event("snapshot", key, snapshot_from_tree(from_bytes(body)))
        follow["since"] = reply["next"]
        shown = "running" if state == "running" else "queued"
        if state not in ("done", "failed", "cancelled", "diverged") and shown != follow["state"]:
            follow["state"] = shown
            self.on_event("state", key, shown)
        with self._lock:
            self._places[key] = (int(reply["ahead"]), float(reply["eta"]))
        if state == "done":
            result = self.store.get(key)
            if result is None:
                self._end(key, "error", "cluster:result_missing")
            else:
                self._end(key, "result", result)
        elif state == "diverged":
            self._end(key, "result", from_payload(from_bytes(reply["payload"])))
        elif state == "cancelled":
            self._end(key, "result", None)
        elif state == "failed":
            self._end(key, "error", f"cluster:{reply['error'] or 'error'}")
