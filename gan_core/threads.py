"""Run tiny networks on one CPU thread.

For networks of a few thousand weights, torch's intra-op thread pool costs more than it saves:
on a busy 2-core machine each tiny matmul waits on the other thread (measured here: one
stepper sub-step 1.6 s with 2 threads under load, 0.03 s with 1). ``single_thread()`` drops to
one thread for the block and restores the previous count when the last user leaves (a counter
under a lock, so overlapping sessions can't leave the process stuck at one thread).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

import torch

_lock = threading.Lock()
_users = 0
_saved = 0


@contextmanager
def single_thread():
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = torch.get_num_threads()
            torch.set_num_threads(1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                torch.set_num_threads(_saved)
