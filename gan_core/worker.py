"""Training in a separate process, so a busy web server cannot starve it (and vice versa).

Why: a training step is hundreds of small torch calls, and between calls the training thread
needs Python's GIL. In the app server, every open Lab page re-renders its live view (plotly
figures, image encoding: pure Python) every 1.5 s, and each time the training thread gives up
the GIL it waits for the renderers. Measured with three watching browser tabs: a 60-step run
that takes 3 s alone took 430 s as a server thread. In its own process it keeps its speed.

Protocol over a ``multiprocessing`` pipe, bytes only (no pickled objects cross it):
parent -> child ``{"config": {...}}`` as JSON; child -> parent one message per event, tagged
by its first byte: ``S`` step stats (JSON), ``P`` a snapshot and ``R`` the finished run (both
``torch.save`` bytes of plain tensors/dicts/numbers, read back with ``weights_only=True``),
``E`` an error (JSON). The child also computes the run's metrics, so the server does none of
the heavy work. A child that dies (killed, out of memory) fails its job and is replaced.
"""
from __future__ import annotations

import io
import json
import multiprocessing as mp
import os
import threading
from typing import Any, Callable

# Spin-waiting OpenMP threads are ruinous on a shared 2-core machine (measured: a dcgan-s step
# took 1.17 s instead of 0.09 s next to other busy processes); passive waiting costs little
# when the machine is quiet. Children inherit this; it must be set before they import torch.
CHILD_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


class WorkerDied(RuntimeError):
    """The training process ended without an answer (killed, out of memory, crashed)."""


def _dumps(obj: Any) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _loads(data: bytes) -> Any:
    import torch

    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def _child_main(conn) -> None:
    """The training process: one run per request, until the pipe closes."""
    from gan_core import runs
    from gan_core.config import from_dict
    from gan_core.train import HISTORY_COLUMNS, Trainer

    evaluate = runs._evaluator()
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            cfg = from_dict(request["config"])

            def on_event(kind, payload):
                if kind == "step":
                    conn.send_bytes(b"S" + json.dumps([getattr(payload, c) for c in HISTORY_COLUMNS]).encode())
                elif kind == "snapshot":
                    conn.send_bytes(b"P" + _dumps(runs.snapshot_to_tree(payload)))

            result = Trainer(cfg).run(on_event)
            if evaluate is not None and result.status == "ok":
                result.metrics.update(evaluate(result))
            conn.send_bytes(b"R" + _dumps(runs.to_payload(result)))
        except Exception as err:  # noqa: BLE001 - reported to the parent, the child lives on
            conn.send_bytes(b"E" + json.dumps({"error": f"{type(err).__name__}: {err}"[:300]}).encode())


class ProcessWorker:
    """One training process, started on first use; ``run`` is called from one thread at a time."""

    def __init__(self):
        self._proc = None
        self._conn = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        ctx = mp.get_context("spawn")  # fork is unsafe in a threaded server with torch loaded
        parent, child = ctx.Pipe()
        saved = {k: os.environ.get(k) for k in CHILD_ENV}
        os.environ.update(CHILD_ENV)
        try:
            proc = ctx.Process(target=_child_main, args=(child,), name="gan-train-process", daemon=True)
            proc.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        child.close()
        self._proc, self._conn = proc, parent

    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def run(self, cfg, on_event: Callable[[str, Any], None]):
        """Train ``cfg`` in the child; relay its events; return the RunResult (metrics included)."""
        from gan_core import runs
        from gan_core.train import StepStats

        if not self.alive():
            self.close()
            self._start()
        try:
            self._conn.send_bytes(json.dumps({"config": cfg.to_dict()}).encode())
            while True:
                msg = self._conn.recv_bytes()
                tag, body = msg[:1], msg[1:]
                if tag == b"S":
                    on_event("step", StepStats(*json.loads(body)))
                elif tag == b"P":
                    on_event("snapshot", runs.snapshot_from_tree(_loads(body)))
                elif tag == b"R":
                    return runs.from_payload(_loads(body))
                elif tag == b"E":
                    raise RuntimeError(json.loads(body)["error"])
                else:
                    raise WorkerDied(f"unexpected message {tag!r}")
        except (EOFError, OSError, BrokenPipeError) as err:
            self.close()
            raise WorkerDied(f"the training process stopped ({type(err).__name__})") from None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        if self._proc is not None:
            self._proc.join(timeout=2)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout=5)
        self._proc = self._conn = None


_local = threading.local()


def thread_worker(registry: list, lock: threading.Lock) -> ProcessWorker:
    """The ProcessWorker of the calling pool thread (made on first use, listed in ``registry``)."""
    worker = getattr(_local, "worker", None)
    if worker is None:
        worker = ProcessWorker()
        _local.worker = worker
        with lock:
            registry.append(worker)
    return worker
