"""Run cache and job pool: hit, miss, damaged entries, single flight, queueing, NaN runs."""
import os
import threading

import numpy as np
import pytest
import torch

from gan_core import store as store_module
from gan_core.config import PRESETS
from gan_core.payload import to_payload
from gan_core.pool import JobPool, run_sync
from gan_core.store import RunStore
from gan_core.train import HISTORY_COLUMNS, Trainer

TINY = PRESETS["tiny"].replace(steps=4, snapshots=2, batch=32)


def _pool(root, workers=1) -> JobPool:
    return JobPool(RunStore(root), workers=workers)


def _same_run(a, b) -> None:
    """Same numbers (wall-clock times aside)."""
    assert a.config == b.config and a.status == b.status
    for c in set(HISTORY_COLUMNS) - {"wall"}:
        np.testing.assert_array_equal(a.history[c], b.history[c])
    assert [s.step for s in a.snapshots] == [s.step for s in b.snapshots]
    for sa, sb in zip(a.snapshots, b.snapshots, strict=True):
        np.testing.assert_array_equal(sa.samples, sb.samples)
    assert a.generator.keys() == b.generator.keys()
    assert all(torch.equal(a.generator[k], b.generator[k]) for k in a.generator)


def test_miss_trains_then_hit_in_memory_and_on_disk(tmp_path):
    pool = _pool(tmp_path)
    try:
        first = run_sync(TINY, pool)
        assert pool.trainings_started == 1
        assert (tmp_path / f"{TINY.key}.pt").is_file()
        job = pool.submit(TINY)  # same config again: no new training
        assert job.done and pool.trainings_started == 1
        assert job.result is first
    finally:
        pool.shutdown()
    # a new process (new store on the same folder) reads the run back from disk
    pool2 = _pool(tmp_path)
    try:
        job = pool2.submit(TINY)
        assert job.cached and job.done and pool2.trainings_started == 0
        _same_run(job.result, first)
        assert job.result.metrics == first.metrics  # score/FD stored with the run
    finally:
        pool2.shutdown()


def test_key_depends_on_every_field_and_engine_version(monkeypatch):
    assert TINY.key == PRESETS["tiny"].replace(steps=4, snapshots=2, batch=32).key
    assert TINY.key != TINY.replace(seed=1).key
    assert TINY.key != TINY.replace(lr_g=TINY.lr_g * 2).key
    before = TINY.key
    monkeypatch.setattr("gan_core.config.ENGINE_VERSION", "999")
    assert TINY.key != before  # a new engine never reuses old cached numbers


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong_key", "pickle"])
def test_damaged_entry_is_ignored_deleted_and_recomputed(tmp_path, damage):
    pool = _pool(tmp_path)
    try:
        good = run_sync(TINY, pool)
    finally:
        pool.shutdown()
    path = tmp_path / f"{TINY.key}.pt"
    raw = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "wrong_key":
        # a valid entry of another config stored under this key
        other = run_sync(TINY.replace(seed=5), _pool(tmp_path / "other"))
        torch.save(to_payload(other), path)
    elif damage == "pickle":
        # an arbitrary pickled object: weights_only refuses it, so nothing is executed
        import pickle

        class Boom:
            def __reduce__(self):
                return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

        path.write_bytes(pickle.dumps({"format": 1, "x": Boom()}))
    store = RunStore(tmp_path)
    assert store.get(TINY.key) is None
    assert not path.exists()  # the damaged file is gone
    assert not (tmp_path / "pwned").exists()
    pool = JobPool(store)
    try:
        again = run_sync(TINY, pool)
        assert pool.trainings_started == 1  # recomputed
        _same_run(again, good)  # same config + seed -> same numbers
    finally:
        pool.shutdown()


def test_half_written_temp_files_are_ignored(tmp_path):
    (tmp_path / f".{TINY.key}.abc123.tmp").write_bytes(b"half a file")
    store = RunStore(tmp_path)
    assert store.get(TINY.key) is None
    pool = JobPool(store)
    try:
        run_sync(TINY, pool)
    finally:
        pool.shutdown()
    assert RunStore(tmp_path).get(TINY.key) is not None


def test_two_threads_asking_for_one_config_share_one_training(tmp_path):
    pool = _pool(tmp_path)
    jobs, barrier = [], threading.Barrier(8)

    def ask():
        barrier.wait()
        jobs.append(pool.submit(TINY.replace(seed=3)))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for j in jobs:
            pool.wait(j, timeout=120)
        assert pool.trainings_started == 1
        assert len({id(j) for j in jobs}) == 1
    finally:
        pool.shutdown()


def test_queue_position_and_runs_off_the_calling_thread(tmp_path, monkeypatch):
    gate = threading.Event()
    threads_seen = []
    real_run = Trainer.run

    def gated_run(self, callback=None, should_stop=None):
        threads_seen.append(threading.current_thread().name)
        gate.wait(60)
        return real_run(self, callback, should_stop)

    monkeypatch.setattr(Trainer, "run", gated_run)
    pool = _pool(tmp_path, workers=1)
    try:
        a = pool.submit(TINY.replace(seed=10))
        b = pool.submit(TINY.replace(seed=11))
        c = pool.submit(TINY.replace(seed=12))
        for _ in range(200):
            if a.state == "running":
                break
            threading.Event().wait(0.01)
        assert a.state == "running" and b.state == "queued" and c.state == "queued"
        assert [pool.queue_position(j) for j in (a, b, c)] == [0, 1, 2]
        gate.set()
        for j in (a, b, c):
            pool.wait(j, timeout=120)
        assert all(j.state == "done" for j in (a, b, c))
        assert all(name.startswith("train-") for name in threads_seen)
        assert threading.current_thread().name not in threads_seen
    finally:
        gate.set()
        pool.shutdown()


def test_nan_run_is_shown_but_never_cached_as_a_success(tmp_path, monkeypatch):
    # Adam keeps even lr 0.1 finite on these nets, so the blow-up is injected: D's first
    # weight turns NaN after step 3, as a real overflow would leave it.
    real_step = Trainer.step

    def blow_up(self):
        out = real_step(self)
        if len(self.opt_g.state) and self.opt_g.state[self.g_params[0]]["step"] >= 3:
            with torch.no_grad():
                self.d_params[0].fill_(float("nan"))
        return out

    monkeypatch.setattr(Trainer, "step", blow_up)
    bad = TINY.replace(lr_g=0.05, lr_d=0.05, steps=20, snapshots=21, seed=1)
    pool = _pool(tmp_path)
    try:
        r = run_sync(bad, pool)
        # the NaN weights make step 4's losses NaN: the run stops there
        assert r.status == "diverged" and r.message == "nan_at_step:4:lr_high"
        assert len(r.history["step"]) == 3 and r.snapshots[-1].step == 3  # last good state kept
        assert pool.submit(bad).result is r  # shown again at once in this process
    finally:
        pool.shutdown()
    assert not (tmp_path / f"{bad.key}.pt").exists()
    assert RunStore(tmp_path).get(bad.key) is None  # a restart forgets it: it can be run again


def test_failed_training_is_reported_and_can_be_retried(tmp_path, monkeypatch):
    calls = []
    real_run = Trainer.run

    def flaky(self, callback=None, should_stop=None):
        calls.append(1)
        if len(calls) == 1:
            raise MemoryError("simulated")
        return real_run(self, callback, should_stop)

    monkeypatch.setattr(Trainer, "run", flaky)
    pool = _pool(tmp_path)
    try:
        job = pool.wait(pool.submit(TINY), timeout=60)
        assert job.state == "failed" and "MemoryError" in job.error
        again = pool.wait(pool.submit(TINY), timeout=120)  # a failed job does not block a retry
        assert again.state == "done" and len(calls) == 2
    finally:
        pool.shutdown()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_read_only_cache_folder_keeps_runs_in_memory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        store = RunStore(ro)
        assert not store.disk_ok and store.notice == "cache_unwritable"
        pool = JobPool(store)
        try:
            r = run_sync(TINY, pool)
            assert r.ok and pool.submit(TINY).result is r
        finally:
            pool.shutdown()
    finally:
        ro.chmod(0o700)


def test_unwritable_disk_degrades_to_memory_with_a_notice(tmp_path, monkeypatch):
    """A full disk (or read-only folder, also as root): the write fails, the run stays usable."""
    store = RunStore(tmp_path)
    assert store.disk_ok

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.tempfile, "mkstemp", full_disk)
    pool = JobPool(store)
    try:
        r = run_sync(TINY, pool)
        assert r.ok
        assert not store.disk_ok and store.notice == "cache_unwritable"
        assert pool.submit(TINY).result is r  # still served from memory
        assert list(tmp_path.iterdir()) == []
    finally:
        pool.shutdown()


def test_cache_folder_comes_from_the_environment(tmp_path, monkeypatch):
    from gan_core.files import cache_dir

    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here"
    assert RunStore().root == tmp_path / "here" / "runs"


def test_journal_has_one_line_per_training(tmp_path, monkeypatch):
    import json

    journal = tmp_path / "journal.jsonl"
    monkeypatch.setenv("GAN_CLASSROOM_JOURNAL", str(journal))
    pool = _pool(tmp_path / "runs")
    try:
        run_sync(TINY, pool)
        run_sync(TINY, pool)  # cached: no second line
        run_sync(TINY.replace(seed=2), pool)
    finally:
        pool.shutdown()
    lines = [json.loads(x) for x in journal.read_text().splitlines()]
    assert [x["key"] for x in lines] == [TINY.key, TINY.replace(seed=2).key]
    assert all(x["state"] == "done" and x["status"] == "ok" for x in lines)
    assert all(x["queued_s"] >= 0 and x["run_s"] > 0 and x["sessions"] == 0 for x in lines)


# ---- training in a child process (the app server's mode) ---------------------------------------
def test_process_isolation_gives_the_same_run_and_streams_progress(tmp_path):
    in_thread = run_sync(TINY.replace(seed=21), _pool(tmp_path / "a"))
    pool = JobPool(RunStore(tmp_path / "b"), isolation="process")
    try:
        job = pool.wait(pool.submit(TINY.replace(seed=21)), timeout=180)
        assert job.state == "done", job.error
        _same_run(job.result, in_thread)
        assert job.result.metrics["score"] == in_thread.metrics["score"]  # evaluated in the child
        assert job.history["step"] == [1, 2, 3, 4]  # every step came through the pipe
        assert [s.step for s in job.snapshots] == [s.step for s in in_thread.snapshots]
        pid = pool._backends[0].pid
        again = pool.wait(pool.submit(TINY.replace(seed=22)), timeout=180)
        assert again.state == "done" and pool._backends[0].pid == pid  # the child is reused
    finally:
        pool.shutdown()
    assert all(not w.alive() for w in pool._backends)


def test_a_killed_training_process_fails_its_jobs_and_is_replaced(tmp_path):
    import signal
    import time

    pool = JobPool(RunStore(tmp_path), isolation="process", workers=1)
    try:
        long = TINY.replace(steps=5000, snapshots=4, seed=23)
        job = pool.submit(long)
        waiting = pool.submit(long.replace(steps=20_000, seed=25))  # queued in the same process
        t_end = time.time() + 120
        while job.step < 3 and time.time() < t_end:
            time.sleep(0.05)
        assert job.state == "running" and job.step >= 3
        backend = pool._backends[0]
        os.kill(backend.pid, signal.SIGKILL)
        for lost in (job, waiting):
            pool.wait(lost, timeout=60)
            assert lost.state == "failed" and "training process stopped" in lost.error
        assert not (tmp_path / f"{long.key}.pt").exists()
        # The moment a process's pipe has closed but it does not yet look dead (a fresh CI
        # run met it): the write fails, and the run goes to a fresh process, not to an error.
        backend._broken = False
        backend.alive = lambda: True
        try:
            fresh = pool.submit(TINY.replace(seed=24))
        finally:
            del backend.alive
        ok = pool.wait(fresh, timeout=180)
        assert ok.state == "done" and ok.result.ok, ok.error
        assert (job.state, waiting.state) == ("failed", "failed")
    finally:
        pool.shutdown()
    assert not pool._backends[0].alive()


def test_bad_isolation_name_is_refused(tmp_path):
    with pytest.raises(ValueError):
        JobPool(RunStore(tmp_path), isolation="fibre")


def test_the_training_process_does_not_rerun_the_parents_main_script(tmp_path, monkeypatch):
    """Streamlit (and AppTest) run each page as __main__; a spawned child must not re-run it."""
    import sys
    import types

    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('the page script ran in the training process')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    pool = JobPool(RunStore(tmp_path / "runs"), isolation="process")
    try:
        job = pool.wait(pool.submit(TINY.replace(seed=25)), timeout=180)
        assert job.state == "done", job.error
        assert sys.modules["__main__"] is fake_main  # put back afterwards
    finally:
        pool.shutdown()
