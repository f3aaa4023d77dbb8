"""Training in a separate process, so a busy web server cannot starve it (and vice versa).

Why: a training step is hundreds of small torch calls, and between calls the training thread
needs Python's GIL. In the app server every open Lab page re-renders its live view (plotly
figures, image encoding: pure Python) every 1.5 s, and each time the training thread gives up
the GIL it waits for the renderers. In its own process a training keeps its speed.

The child hosts a ``gan_core.slicer.Slicer``: it can hold several runs and time-share them.
Protocol over a ``multiprocessing`` pipe, bytes only (no pickled objects cross it):
parent -> child JSON ``{"start": config, "estimate": s}`` or ``{"cancel": key}``; child ->
parent one message per event: a tag byte, the run's 20-character key, then the body. Tags:
``T`` state ("running" / "queued"), ``S`` step stats (JSON), ``P`` a snapshot and ``R`` the
finished run (``gan_core.payload`` bytes, read with ``weights_only=True``; an empty ``R`` body
means cancelled before it began), ``E`` an error (text). A child that dies (killed, out of
memory) is reported as "died" for each run it had been given and not finished; the pool fails
those runs, and the next start makes a new process (also when the death is still unnoticed: a
failed send is retried once on a fresh process).
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

# Spin-waiting OpenMP threads are ruinous on a shared 2-core machine (a dcgan-s step took
# 1.17 s instead of 0.09 s next to other busy processes); passive waiting costs little when the
# machine is quiet. Children inherit this; it must be set before they import torch.
CHILD_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
KEY_LEN = 20
TAGS = {b"T": "state", b"S": "step", b"P": "snapshot", b"R": "result", b"E": "error"}
OnEvent = Callable[[str, str, Any], None]


def _encode(kind: str, payload: Any) -> bytes:
    from gan_core.payload import snapshot_to_tree, to_bytes, to_payload
    from gan_core.train import HISTORY_COLUMNS

    if kind == "state":
        return str(payload).encode()
    if kind == "step":
        return json.dumps([getattr(payload, c) for c in HISTORY_COLUMNS]).encode()
    if kind == "snapshot":
        return to_bytes(snapshot_to_tree(payload))
    if kind == "result":
        return b"" if payload is None else to_bytes(to_payload(payload))
    return str(payload).encode()


def _decode(kind: str, body: bytes) -> Any:
    from gan_core.payload import from_bytes, from_payload, snapshot_from_tree
    from gan_core.train import StepStats

    if kind == "step":
        return StepStats(*json.loads(body))
    if kind == "snapshot":
        return snapshot_from_tree(from_bytes(body))
    if kind == "result":
        return None if not body else from_payload(from_bytes(body))
    return body.decode()


def _child_main(conn, threads: int) -> None:
    """The training process: starts and cancels runs as asked, until the pipe closes."""
    import torch

    from gan_core.config import from_dict
    from gan_core.evaluate import evaluate_run
    from gan_core.slicer import Slicer

    if threads:
        torch.set_num_threads(threads)
    send_lock = threading.Lock()
    tag_of = {kind: tag for tag, kind in TAGS.items()}

    def emit(kind: str, key: str, payload: Any) -> None:
        msg = tag_of[kind] + key.encode() + _encode(kind, payload)
        with send_lock:
            conn.send_bytes(msg)

    slicer = Slicer(emit, evaluate_run)
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            os._exit(0)  # the server is gone: so are its runs
        if "start" in request:
            slicer.start(from_dict(request["start"]), request.get("estimate"))
        elif "cancel" in request:
            slicer.cancel(str(request["cancel"]))


class ProcessWorker:
    """One training process, started on first use; events go to ``on_event(kind, key, payload)``."""

    def __init__(self, on_event: OnEvent, threads: int = 0):
        self.on_event = on_event
        self.threads = threads
        self._proc = None
        self._conn = None
        self._lock = threading.Lock()
        self._generation = 0
        self._given: dict[int, set[str]] = {}  # per process generation: runs started, not ended
        self._broken = False  # the current process's pipe has closed

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def _spawn(self) -> None:
        ctx = mp.get_context("spawn")  # fork is unsafe in a threaded server with torch loaded
        parent, child = ctx.Pipe()
        saved = {k: os.environ.get(k) for k in CHILD_ENV}
        os.environ.update(CHILD_ENV)
        # A spawned child first re-runs the parent's __main__ script. In the app that is
        # whichever page script Streamlit is running (top-level widgets, imports), in tests a
        # temporary file that may be gone: the child needs none of it, so it is shown none.
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            proc = ctx.Process(target=_child_main, args=(child, self.threads), name="gan-train-process",
                               daemon=True)
            proc.start()
        finally:
            if main is not None:
                sys.modules["__main__"] = main
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        child.close()
        self._generation += 1
        self._given[self._generation] = set()
        self._broken = False
        self._proc, self._conn = proc, parent
        threading.Thread(target=self._read, args=(parent, self._generation), name="gan-train-reader",
                         daemon=True).start()

    def _read(self, conn, generation: int) -> None:
        reason = "ended"
        while True:
            try:
                msg = conn.recv_bytes()
            except (EOFError, OSError, TypeError) as err:  # TypeError: closed here meanwhile
                reason = type(err).__name__
                break
            tag, key, body = msg[:1], msg[1 : 1 + KEY_LEN].decode(), msg[1 + KEY_LEN :]
            kind = TAGS.get(tag)
            if kind is None:
                reason = f"unexpected message {tag!r}"
                break
            try:
                payload = _decode(kind, body)
            except Exception as err:
                kind, payload = "error", f"{type(err).__name__}: {err}"[:300]
            if kind in ("result", "error"):
                with self._lock:
                    self._given.get(generation, set()).discard(key)
            self.on_event(kind, key, payload)
        with self._lock:
            lost = self._given.pop(generation, set())
            if generation == self._generation:
                self._broken = True  # the next start makes a new process
        for key in sorted(lost):
            self.on_event("died", key, f"the training process stopped ({reason})")

    def start(self, cfg, estimate: float) -> None:
        """Give ``cfg`` to the current process, starting one if there is none or it has died.

        A process can die unnoticed between the check and the write (its pipe closes a moment
        before it stops being alive): the write then fails and is retried once on a fresh one.
        """
        data = json.dumps({"start": cfg.to_dict(), "estimate": estimate}).encode()
        with self._lock:
            for attempt in (1, 2):
                if self._broken or not self.alive():
                    self._close_locked(retire=False)
                    self._spawn()
                try:
                    self._conn.send_bytes(data)
                    break
                except OSError:
                    if attempt == 2:
                        raise
                    self._broken = True
            self._given[self._generation].add(cfg.key)

    def cancel(self, key: str) -> None:
        with self._lock:
            if self._broken or not self.alive():
                return  # a dead process's runs are reported as died; nothing to cancel
            try:
                self._conn.send_bytes(json.dumps({"cancel": key}).encode())
            except OSError:
                pass

    def _close_locked(self, retire: bool = True) -> None:
        """Stop the current process; ``retire``: on purpose, so its reader reports no deaths."""
        if retire:
            self._given.pop(self._generation, None)
        self._generation += 1
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

    def close(self) -> None:
        with self._lock:
            self._close_locked()
