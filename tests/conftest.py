"""Shared fixtures: every test session gets its own empty run cache and job pool."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Set before anything imports gan_core.files.cache_dir().
_CACHE = tempfile.mkdtemp(prefix="gan-classroom-test-")
os.environ.setdefault("GAN_CLASSROOM_CACHE", _CACHE)


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    """A private cache folder for one test."""
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path))
    return tmp_path


@pytest.fixture
def fresh_pool(tmp_path):
    """A new JobPool on an empty cache, installed as the process default for the test."""
    from gan_core.pool import JobPool, reset_default_pool
    from gan_core.store import RunStore

    pool = JobPool(RunStore(tmp_path / "runs"), workers=1)
    reset_default_pool(pool)
    yield pool
    pool.shutdown()
    reset_default_pool(None)


@pytest.fixture
def clear_st_caches():
    """Streamlit caches persist between AppTest runs in one process: clear them."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def held_steps(monkeypatch):
    """Training steps wait on ``gate`` once ``after`` steps have run (in any run); ``reached`` is
    set when the first held step is reached. Returns a namespace: gate, reached, after."""
    import threading
    from types import SimpleNamespace

    from gan_core.train import Trainer

    hold = SimpleNamespace(gate=threading.Event(), reached=threading.Event(), after=0, calls=0)
    real_step = Trainer.step

    def held(self):
        hold.calls += 1
        if hold.calls > hold.after:
            hold.reached.set()
            hold.gate.wait(60)
        return real_step(self)

    monkeypatch.setattr(Trainer, "step", held)
    yield hold
    hold.gate.set()


@pytest.fixture(autouse=True)
def keep_torch_threads():
    """Give every test torch's thread count as it found it: a test that drops to one thread must
    not change the numbers of the tests after it in the same worker (floating-point sums run in
    another order with another count; the shipped-run tests compare to the bit)."""
    import torch

    before = torch.get_num_threads()
    yield
    if torch.get_num_threads() != before:
        torch.set_num_threads(before)
