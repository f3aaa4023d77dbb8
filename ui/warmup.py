"""The engine loads in the background once the first visitor's page is drawn.

The entry page stays free of PyTorch so it is served at once; then one thread imports the
engine, so the next student to open a page that needs it (the Lab, mode collapse) doesn't wait
for the import (about a second on two cores). It starts after the page, not during it: the
import holds Python's lock for long stretches and would slow the very page being served.
"""
from __future__ import annotations

import threading

_started = False
_lock = threading.Lock()


def _work() -> None:
    try:
        from gan_core import modes, pool  # noqa: F401  torch, the classifier, the job pool, the store
    except Exception:  # a page that needs the engine will say what is wrong
        pass


def start() -> None:
    """Start the import once per process (later calls return at once)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_work, name="warm-engine", daemon=True).start()
