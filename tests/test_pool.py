"""The fair pool: time-sharing between runs, repeatable numbers, cancelling, class limits, the
size-capped cache and shipped runs."""
import threading
import time

import numpy as np
import pytest
import torch

from gan_core.config import PRESETS
from gan_core.jobs import ClassLimits, LimitError
from gan_core.pool import JobPool, run_sync
from gan_core.shipped import Pack, write_pack
from gan_core.slicer import Slicer, pace, remaining_seconds
from gan_core.store import RunStore
from gan_core.train import HISTORY_COLUMNS, Trainer

TINY = PRESETS["tiny"].replace(steps=4, snapshots=2, batch=32)


def _same_numbers(a, b) -> None:
    for c in set(HISTORY_COLUMNS) - {"wall"}:
        np.testing.assert_array_equal(a.history[c], b.history[c])
    for sa, sb in zip(a.snapshots, b.snapshots, strict=True):
        np.testing.assert_array_equal(sa.samples, sb.samples)


def _slicer_results(cfgs, quantum):
    """Run ``cfgs`` in one Slicer at once; returns {key: RunResult} and the order they ended."""
    results, ended, done = {}, [], threading.Event()

    def emit(kind, key, payload):
        if kind == "result":
            results[key] = payload
            ended.append(key)
            if len(results) == len(cfgs):
                done.set()

    slicer = Slicer(emit, quantum=quantum)
    for cfg in cfgs:
        slicer.start(cfg)
    assert done.wait(300)
    return results, ended


def test_interleaved_runs_give_the_numbers_each_gives_alone():
    """mlp-book's dropout draws from torch's global RNG: switching runs after every step must
    not change either run's numbers."""
    a, b = TINY.replace(steps=12, seed=1), TINY.replace(steps=12, seed=2)
    alone = {cfg.key: Trainer(cfg).run() for cfg in (a, b)}
    mixed, _ = _slicer_results([a, b], quantum=0.0)
    for cfg in (a, b):
        _same_numbers(mixed[cfg.key], alone[cfg.key])


def test_a_short_run_overtakes_a_long_one_that_started_first():
    long, short = TINY.replace(steps=400, snapshots=2, seed=3), TINY.replace(steps=5, seed=4)
    started = threading.Event()
    results, ended = {}, []

    def emit(kind, key, payload):
        if kind == "step" and key == long.key and payload.step == 2:
            started.set()
        if kind == "result":
            results[key] = payload
            ended.append(key)

    slicer = Slicer(emit, quantum=0.2)
    slicer.start(long)
    assert started.wait(120)
    slicer.start(short)
    t_end = time.time() + 300
    while len(ended) < 2 and time.time() < t_end:
        time.sleep(0.02)
    assert ended == [short.key, long.key]
    assert results[short.key].ok and results[long.key].ok


def test_pace_leaves_out_the_first_steps_setup():
    # 1.5 s to build the networks and take step 1, then 9 steps of 0.02 s
    assert pace(1.5 + 9 * 0.02, 1.5, 10) == pytest.approx(0.02)
    assert pace(1.5, 1.5, 1) is None  # one step: no pace yet
    assert pace(3.0, None, 10) is None
    # without a pace, the share of the estimate: 40 s for 2,000 steps, 500 done -> 30 s
    assert remaining_seconds(40.0, 500, 2000, None) == pytest.approx(30.0)
    # with one: 1,500 steps at 0.02 s, plus 5% of the estimate for the evaluation
    assert remaining_seconds(40.0, 500, 2000, 0.02) == pytest.approx(32.0)


def test_a_slow_first_step_does_not_send_a_run_to_the_back(monkeypatch):
    """A run's first step also builds its networks and loads data. When a second run arrives at
    once, the first hands over after that step; its pace must not be judged on it, or a short
    run would look hundreds of times longer and wait behind a long one."""
    import gan_core.slicer as slicer_mod

    short, long = TINY.replace(steps=60, seed=5), TINY.replace(steps=600, seed=6)

    class SlowSetup(Trainer):
        def run(self, on_event=None, should_stop=None):
            if self.cfg.key == short.key:
                time.sleep(1.0)  # as if its data took a second to load
            return super().run(on_event, should_stop=should_stop)

    monkeypatch.setattr(slicer_mod, "Trainer", SlowSetup)
    _, ended = _slicer_results([short, long], quantum=0.2)
    assert ended == [short.key, long.key]


def test_queue_order_eta_and_cancel(tmp_path, held_steps):
    gate = held_steps.gate
    pool = JobPool(RunStore(tmp_path), workers=1)
    try:
        long = pool.submit(TINY.replace(steps=40, seed=5), session="ann")
        for _ in range(500):
            if long.state == "running":
                break
            time.sleep(0.01)
        short = pool.submit(TINY.replace(steps=4, seed=6), session="bob")
        mid = pool.submit(TINY.replace(steps=20, seed=7), session="bob")
        assert long.state == "running"
        # shortest remaining first: the short one is next, then the middle one
        assert [j.key for j in pool.active()] == [long.key, short.key, mid.key]
        assert pool.queue_position(short) == 1 and pool.queue_position(mid) == 2
        assert pool.eta(short) < pool.eta(mid)
        assert pool.cancel(mid.key, session="ann") == "not_yours"
        assert pool.cancel("0" * 20, session="bob") == "not_found"
        assert pool.cancel(mid.key, session="bob") == "cancelled"
        gate.set()
        for job in (long, short, mid):
            pool.wait(job, timeout=120)
        assert (long.state, short.state, mid.state) == ("done", "done", "cancelled")
        assert pool.cancel(short.key, session="bob") == "finished"
        assert not (tmp_path / f"{mid.key}.pt").exists()  # a cancelled run is never cached
    finally:
        gate.set()
        pool.shutdown()


def test_a_run_two_sessions_want_goes_on_until_both_cancel(tmp_path, held_steps):
    gate = held_steps.gate
    pool = JobPool(RunStore(tmp_path), workers=1)
    try:
        cfg = TINY.replace(seed=8)
        job = pool.submit(cfg, session="ann")
        assert pool.submit(cfg, session="bob") is job
        assert job.owners == {"ann", "bob"}
        assert pool.cancel(job.key, session="ann") == "cancelled" and job.owners == {"bob"}
        gate.set()
        pool.wait(job, timeout=120)
        assert job.state == "done"  # bob still wanted it
    finally:
        gate.set()
        pool.shutdown()


def test_class_limits_apply_to_students_not_to_the_teacher_or_the_cache(tmp_path, held_steps):
    gate = held_steps.gate
    pool = JobPool(RunStore(tmp_path), workers=1, limits=ClassLimits(max_steps=10, max_queued=2))
    try:
        with pytest.raises(LimitError) as err:
            pool.submit(TINY.replace(steps=11), session="ann")
        assert (err.value.kind, err.value.limit) == ("steps", 10)
        pool.submit(TINY.replace(seed=20), session="ann")
        pool.submit(TINY.replace(seed=21), session="ann")
        with pytest.raises(LimitError) as err:
            pool.submit(TINY.replace(seed=22), session="ann")
        assert (err.value.kind, err.value.limit) == ("queued", 2)
        other = pool.submit(TINY.replace(seed=22), session="bob")  # another student is not held back
        teacher = pool.submit(TINY.replace(steps=11, seed=23))  # the teacher has no limits
        pool.set_limits(max_queued=3)  # applies at once
        pool.submit(TINY.replace(seed=24), session="ann")
        gate.set()
        for job in (other, teacher):
            pool.wait(job, timeout=120)
        pool.set_limits(max_steps=1)
        # a finished run over the limit is served from the cache: it costs nothing
        assert pool.submit(TINY.replace(steps=11, seed=23), session="ann").cached
    finally:
        gate.set()
        pool.shutdown()


@pytest.mark.parametrize("values", [{"max_steps": "abc"}, {"max_steps": -5}, {"max_queued": 10**9},
                                    {"max_queued": 2.5}, {"nonsense": 1}])
def test_nonsense_limits_are_refused_and_the_old_ones_kept(tmp_path, values):
    pool = JobPool(RunStore(tmp_path), workers=1, limits=ClassLimits(max_steps=500, max_queued=2))
    try:
        with pytest.raises(ValueError):
            pool.set_limits(**values)
        assert pool.limits == ClassLimits(max_steps=500, max_queued=2)
    finally:
        pool.shutdown()


def test_cache_cap_evicts_least_recently_used_but_never_what_is_in_use(tmp_path):
    store = RunStore(tmp_path, memory_items=1)
    pool = JobPool(store, workers=1)
    try:
        runs = [run_sync(TINY.replace(seed=s), pool) for s in (30, 31, 32)]
    finally:
        pool.shutdown()
    size = store.path(runs[0].config.key).stat().st_size
    old = time.time() - 100
    for i, r in enumerate(runs):  # use order: 30 oldest, then 31, then 32
        import os

        os.utime(store.path(r.config.key), (old + i, old + i))
    store.set_cap_mb(2.5 * size / 2**20)  # room for two entries
    assert not store.path(runs[0].config.key).exists()
    assert store.path(runs[1].config.key).exists() and store.path(runs[2].config.key).exists()
    store.set_cap_mb(0.5 * size / 2**20)  # room for none: only the one in memory (seed 32) stays
    assert [e[0] for e in store.entries()] == [runs[2].config.key]
    with pytest.raises(ValueError):
        store.set_cap_mb(-1)


def test_a_packed_run_reads_back_with_the_same_numbers(tmp_path):
    pool = JobPool(RunStore(tmp_path / "runs"), workers=1)
    try:
        image = run_sync(TINY.replace(seed=40), pool)
        toy = run_sync(PRESETS["ring8"].replace(steps=30, snapshots=3), pool)
    finally:
        pool.shutdown()
    write_pack(tmp_path / "images.npz", [image])
    write_pack(tmp_path / "toys.npz", [toy], half_floats=True, keep_generator=True)
    back = Pack(tmp_path / "images.npz").get(image.config.key)
    _same_numbers(back, image)
    assert back.generator == {} and back.metrics == image.metrics and back.config == image.config
    toy_back = Pack(tmp_path / "toys.npz").get(toy.config.key)
    for sa, sb in zip(toy_back.snapshots, toy.snapshots, strict=True):
        np.testing.assert_allclose(sa.samples, sb.samples, rtol=1e-3, atol=1e-3)  # float16
        assert sa.extras.keys() == sb.extras.keys()
    assert all(torch.equal(toy_back.generator[k], toy.generator[k]) for k in toy.generator)
    # a store with the pack serves it like a cached run and never writes it to its disk
    store = RunStore(tmp_path / "empty", shipped=[Pack(tmp_path / "images.npz")])
    job = JobPool(store, workers=1).submit(image.config, session="ann")
    assert job.cached and job.state == "done" and list((tmp_path / "empty").iterdir()) == []
