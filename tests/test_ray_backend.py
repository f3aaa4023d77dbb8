"""Training through a real local Ray (2 CPUs, started here): the local pool's numbers, one
task for one config asked by two servers, a killed worker, and the Lab page on the cluster."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # before Ray starts: it never reports home

import numpy as np
import pytest
import ray

from gan_core.cluster import RayBackend
from gan_core.config import PRESETS
from gan_core.pool import JobPool, default_pool, reset_default_pool
from gan_core.store import RunStore
from gan_core.threads import single_thread
from gan_core.train import HISTORY_COLUMNS
from tests.apptest import open_page
from ui import teacher_gate as tg
from ui.cluster_view import failure_text
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _ray_pool(root) -> JobPool:
    return JobPool(RunStore(root), isolation="ray", ray_address="auto")


def _hub_run(pool: JobPool, key: str) -> dict | None:
    backend: RayBackend = pool._backends[0]
    return next((r for r in backend.overview()["runs"] if r["key"] == key), None)


def _until(what, timeout=60.0):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        value = what()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("condition not met")


def test_tiny_on_ray_gives_the_local_pools_numbers(cluster, tmp_path):
    """The cluster trains each run on one torch thread (one CPU); torch's sums depend on its
    thread count, so the local pool is held to one thread too."""
    cfg = PRESETS["tiny"]
    local, remote = JobPool(RunStore(tmp_path / "local"), workers=1), _ray_pool(tmp_path / "shared")
    try:
        b = remote.submit(cfg, session="s")
        with single_thread():
            a = local.wait(local.submit(cfg), 180)
        remote.wait(b, 180)
    finally:
        local.shutdown()
        remote.shutdown()
    assert (a.state, b.state) == ("done", "done"), b.error
    for c in set(HISTORY_COLUMNS) - {"wall"}:
        np.testing.assert_allclose(b.result.history[c], a.result.history[c], rtol=0, atol=1e-5)
        # the live view got every step as it trained, not only the finished run
        np.testing.assert_allclose(b.history[c], b.result.history[c], rtol=0, atol=0)
    assert len(b.snapshots) == len(a.result.snapshots) == cfg.snapshots
    last_a, last_b = a.result.snapshots[-1].samples, b.result.snapshots[-1].samples
    assert np.abs(last_a.astype(int) - last_b.astype(int)).max() <= 1  # uint8 pictures
    assert b.result.metrics.keys() == a.result.metrics.keys()  # evaluated on the worker
    # the worker wrote it to the shared folder: another server reads it there, validated
    again = RunStore(tmp_path / "shared", shipped=[]).get(cfg.key)
    assert again is not None and again.config == cfg


def test_one_config_from_two_servers_is_one_ray_task(cluster, tmp_path):
    cfg = PRESETS["tiny"].replace(steps=30, snapshots=2, seed=11)
    one, two = _ray_pool(tmp_path / "runs"), _ray_pool(tmp_path / "runs")
    try:
        a = one.submit(cfg, session="ann")
        assert one.submit(cfg, session="bob") is a  # single flight within a server
        b = two.submit(cfg, session="cho")  # and across servers: the hub joins it
        one.wait(a, 120)
        two.wait(b, 120)
        run = _hub_run(one, cfg.key)
        assert run is not None and run["launches"] == 1 and run["replicas"] == 2
        assert (a.state, b.state) == ("done", "done")
        np.testing.assert_array_equal(a.result.history["loss_g"], b.result.history["loss_g"])
        assert list((tmp_path / "runs").glob("*.pt")) == [tmp_path / "runs" / f"{cfg.key}.pt"]
        three = two.submit(cfg, session="dan")  # finished: read from the shared store, no task
        assert three.cached and _hub_run(one, cfg.key)["launches"] == 1
    finally:
        one.shutdown()
        two.shutdown()


def test_place_in_line_and_cancel_across_servers(cluster, tmp_path):
    """Both CPUs busy: a third run waits for the first free one. A run two servers want goes on
    when one server's student cancels, and stops when the last one does; nothing is stored."""
    one, two = _ray_pool(tmp_path / "runs"), _ray_pool(tmp_path / "runs")
    long = [PRESETS["tiny"].replace(steps=5000, snapshots=2, seed=40 + i) for i in range(3)]
    try:
        a, b = one.submit(long[0], session="ann"), one.submit(long[1], session="cho")
        shared = two.submit(long[0], session="bob")
        _until(lambda: a.step >= 1 and b.step >= 1 and shared.step >= 1)  # both CPUs train
        c = one.submit(long[2], session="dan")
        _until(lambda: one.queue_position(c) == 1)  # the next free CPU is its
        # it starts when the sooner of the two running runs ends, then needs its own time
        assert c.state == "queued" and one.eta(c) > min(one.eta(a), one.eta(b)) > 0
        assert one.cancel(a.key, session="ann") == "cancelled"
        assert one.wait(a, 10).state == "cancelled"  # over for ann's server at once
        step = shared.step
        _until(lambda: shared.step > step + 5, 30)  # bob still has it: it goes on
        assert _hub_run(one, a.key)["state"] == "running"
        for pool, job, who in ((two, shared, "bob"), (one, b, "cho"), (one, c, "dan")):
            assert pool.cancel(job.key, session=who) == "cancelled"
            assert pool.wait(job, 10).state == "cancelled"
        _until(lambda: all(_hub_run(one, cfg.key)["state"] == "cancelled" for cfg in long), 30)
    finally:
        one.shutdown()
        two.shutdown()
    assert list((tmp_path / "runs").glob("*.pt")) == []


def test_a_killed_worker_is_retried_then_failed_and_leaves_no_entry(cluster, tmp_path):
    root = tmp_path / "runs"
    pool = _ray_pool(root)
    cfg = PRESETS["tiny"].replace(steps=5000, snapshots=4, seed=21)  # far longer than the test
    try:
        job = pool.submit(cfg, session="s")
        for attempt in (0, 1):  # the hub retries once, then gives up
            run = _until(lambda a=attempt: (r := _hub_run(pool, cfg.key)) and r["attempt"] == a
                         and r["state"] == "running" and r["step"] >= 5 and r)
            seen = pool._backends[0]._follow  # what this server has read of the run
            _until(lambda a=attempt, f=seen: f.get(cfg.key, {}).get("attempt") == a and job.step >= 3)
            if attempt == 1:
                # the second attempt's progress replaced the first one's (no steps twice)
                assert job.history["step"] == list(range(1, len(job.history["step"]) + 1))
            os.kill(run["pid"], signal.SIGKILL)
        pool.wait(job, 120)
    finally:
        pool.shutdown()
    assert job.state == "failed" and job.error == "cluster:worker_lost"
    assert _hub_run(pool, cfg.key)["launches"] == 2
    assert failure_text(job.error) == t("cluster.failed_worker_lost")  # what the student reads
    assert list(root.glob("*.pt")) == []  # nothing half-written, nothing cached
    assert RunStore(root, shipped=[]).get(cfg.key) is None


def test_a_lost_hub_fails_its_runs_in_one_sentence_and_a_new_hub_answers(cluster, tmp_path):
    pool = _ray_pool(tmp_path / "runs")
    cfg = PRESETS["tiny"].replace(steps=5000, snapshots=2, seed=51)
    try:
        job = pool.submit(cfg, session="s")
        _until(lambda: job.step >= 1)
        ray.kill(pool._backends[0].hub)  # as if the head's machine went away
        pool.wait(job, 60)
        assert job.state == "failed" and job.error == "cluster:lost", job.error
        assert failure_text(job.error) == t("cluster.failed_lost")
        assert pool._backends[0].overview()["runs"] == []  # the next call made a new, empty hub
    finally:
        pool.shutdown()
    assert not (tmp_path / "runs" / f"{cfg.key}.pt").exists()


def test_a_missing_shared_folder_keeps_training_on_this_server(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_RAY_ADDRESS", "ray://127.0.0.1:10001")
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "not-mounted"))
    reset_default_pool(None)
    try:
        pool = default_pool()
        assert pool.isolation != "ray" and pool.notice == "notice_store_missing"
        for lang in ("ko", "en"):
            assert t("cluster.notice_store_missing", lang=lang) != "cluster.notice_store_missing"
    finally:
        default_pool().shutdown()
        reset_default_pool(None)


def test_the_lab_trains_and_shows_a_run_on_ray(cluster, tmp_path, monkeypatch, clear_st_caches):
    monkeypatch.setenv("GAN_CLASSROOM_RAY_ADDRESS", "auto")
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path))
    reset_default_pool(None)
    try:
        at = open_page("lab", "en", timeout=180)
        at.selectbox(key="lab_preset").set_value("tiny").run()
        at.number_input(key="lab_steps").set_value(12)
        at.slider(key="lab_snapshots").set_value(3)
        at.run()
        [b for b in at.button if b.label == t("lab.train", lang="en")][0].click().run()
        assert not at.exception, at.exception
        pool = default_pool()
        assert pool.isolation == "ray" and pool.notice == ""
        cfg = PRESETS["tiny"].replace(steps=12, snapshots=3)
        job = pool.peek(cfg)
        assert job is not None
        pool.wait(job, 180)
        assert job.state == "done", job.error
        assert _hub_run(pool, cfg.key)["launches"] == 1
        at.run()
        assert not at.exception, at.exception
        texts = "\n".join(str(x.value) for x in at.success)
        assert t("run.done", lang="en", seconds=f"{job.result.seconds:.1f}") in texts
        assert len(at.image) >= 1 and (tmp_path / "runs" / f"{cfg.key}.pt").is_file()
        # the teacher's view says where trainings run, for the whole cluster
        monkeypatch.setenv(tg.ENV, "owl-lantern-42")
        teacher = open_page("teacher", "en", timeout=180)
        teacher.text_input(key=tg.INPUT).input("owl-lantern-42")
        next(b for b in teacher.button if b.label == t("teacher.unlock", lang="en")).click().run()
        captions = [c.value for c in teacher.caption]
        assert t("cluster.line", lang="en", address="auto", nodes=1, cpus=2) in captions
        assert t("cluster.counts", lang="en", running=0, queued=0) in captions
    finally:
        default_pool().shutdown()
        reset_default_pool(None)


LOCAL_SCRIPT = """
import threading
from gan_core.config import PRESETS
from gan_core.pool import default_pool, run_sync

box = {}
# made on a thread that then ends, as a Streamlit script run does: the Ray head it starts
# must outlive that thread
maker = threading.Thread(target=lambda: box.update(pool=default_pool()))
maker.start()
maker.join()
pool = box["pool"]
assert pool.isolation == "ray", pool.notice
result = run_sync(PRESETS["tiny"].replace(steps=6, snapshots=2), pool)
print("trained", result.status, len(result.history["step"]), flush=True)
"""


def test_local_address_starts_a_head_that_outlives_its_thread(tmp_path):
    """GAN_CLASSROOM_RAY_ADDRESS=local: the app starts its own Ray head (in a fresh process,
    2 CPUs), trains on it, and takes it down when it exits."""
    env = dict(os.environ, GAN_CLASSROOM_RAY_ADDRESS="local", GAN_CLASSROOM_RAY_CPUS="2",
               GAN_CLASSROOM_CACHE=str(tmp_path), PYTHONPATH=str(ROOT), RAY_USAGE_STATS_ENABLED="0")
    done = subprocess.run([sys.executable, "-c", LOCAL_SCRIPT], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "trained ok 6" in done.stdout
    assert len(list((tmp_path / "runs").glob("*.pt"))) == 1
