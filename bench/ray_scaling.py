"""How trainings scale on Ray: runs per minute on a local Ray head with 1 and 2 CPUs, against
the local process pool on the same cores, and what a killed worker leaves in the run store.

For each N in ``--cpus`` (default 1 2) this process is limited to N cores (CPU affinity, which
every process it starts inherits: the Ray head, its workers and the hub, or the local pool's
training processes), then:

* **Ray**: ``ray.init(num_cpus=N)``, a ``JobPool(isolation="ray")`` on an empty shared folder,
  one short warm-up run per CPU (workers import torch once), then ``--runs`` (8) distinct
  ``tiny`` runs (seeds) submitted at once; the time until all are done gives runs per minute.
* **Local pool**: ``JobPool(isolation="process", workers=N)`` (one training process per core,
  one torch thread each), the same warm-up, the same 8 runs.

Efficiency is Ray's runs per minute over the local pool's at the same N. The per-run cost is
CPU-seconds per run on Ray (N x wall / runs), the figure the README's department estimate uses.

Then on the 2-CPU cluster, until ``--kills`` (10) kills have hit a working task: a ``tiny`` run
is started and its worker is SIGKILLed at a random moment between its first step and the end
of its evaluation and write (the hub retries once; a run already done is left alone).
Afterwards every entry in the shared folder must load and validate:
"corrupt" counts those that do not, "temp files" the temp files a kill during a write left
(never read as entries).

    python bench/ray_scaling.py [--cpus 1 2] [--runs 8] [--kills 10] [--preset tiny]

The last line is ``scaling 2 vs 1 CPU: R x`` (runs per minute at 2 CPUs over 1 CPU, on Ray).
This machine is shared: the load average is printed with each figure.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_core.config import PRESETS
from gan_core.pool import JobPool
from gan_core.store import RunStore

SEED0 = 70_000


def _load() -> str:
    return "load {:.1f}/{:.1f}".format(*os.getloadavg()[:2])


def _run_batch(pool: JobPool, cfgs: list, timeout: float = 900.0) -> float:
    """Submit every config at once, wait for all; wall seconds."""
    t0 = time.perf_counter()
    jobs = [pool.submit(cfg) for cfg in cfgs]
    for job in jobs:
        pool.wait(job, timeout)
        if job.state != "done":
            raise RuntimeError(f"run {job.key} {job.state}: {job.error}")
    return time.perf_counter() - t0


def _configs(preset: str, n: int, salt: int) -> list:
    return [PRESETS[preset].replace(seed=SEED0 + salt * 100 + i) for i in range(n)]


def _warmups(preset: str, n: int, salt: int) -> list:
    return [PRESETS[preset].replace(steps=2, snapshots=2, seed=SEED0 + salt * 100 + 90 + i) for i in range(n)]


def measure(n_cpus: int, runs: int, backend: str, salt: int, preset: str = "tiny") -> float:
    """Runs per minute of ``runs`` distinct runs of ``preset`` on ``n_cpus`` cores."""
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        if backend == "ray":
            ray.init(num_cpus=n_cpus, include_dashboard=False, log_to_driver=False)
            pool = JobPool(RunStore(root, shipped=[]), isolation="ray", ray_address="auto")
        else:
            pool = JobPool(RunStore(root, shipped=[]), isolation="process", workers=n_cpus)
        try:
            _run_batch(pool, _warmups(preset, n_cpus, salt))
            wall = _run_batch(pool, _configs(preset, runs, salt))
        finally:
            pool.shutdown()
            if backend == "ray":
                ray.shutdown()
    rpm = runs / wall * 60
    print(f"{backend:>5} {n_cpus} CPU: {runs} {preset} runs in {wall:.1f} s = {rpm:.1f} runs/min "
          f"({n_cpus * wall / runs:.1f} CPU-s per run; {_load()})", flush=True)
    return rpm


def kill_check(kills: int, seed: int = 0) -> tuple[int, int, int, int, int]:
    """(kills that hit a working task, corrupt entries, temp files left, runs done, runs failed)
    after runs with one kill each planned at a random moment, until ``kills`` kills hit."""
    import ray

    from gan_core.store import RunStore

    rng = random.Random(seed)
    finished = failed = landed = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        pool = JobPool(RunStore(root, shipped=[]), isolation="ray", ray_address="auto")
        backend = pool._backends[0]
        try:
            for i in range(3 * kills):  # until ``kills`` kills hit a working task
                if landed >= kills:
                    break
                cfg = PRESETS["tiny"].replace(seed=SEED0 + 5000 + i)
                job = pool.submit(cfg)
                t_end = time.monotonic() + 120
                run = None
                while time.monotonic() < t_end:
                    run = next((r for r in backend.overview()["runs"] if r["key"] == cfg.key), None)
                    if run and run["state"] == "running" and run["step"] >= 1:
                        break
                    time.sleep(0.05)
                # tiny trains ~3 s and evaluates ~2 s on one core here: anywhere in that span
                time.sleep(rng.uniform(0.0, 4.5))
                now = next((r for r in backend.overview()["runs"] if r["key"] == cfg.key), None)
                if now and now["state"] == "running" and now["pid"] == run["pid"]:
                    os.kill(run["pid"], signal.SIGKILL)  # (a worker that is done is left alone)
                    landed += 1
                pool.wait(job, 300)
                finished += job.state == "done"
                failed += job.state == "failed"
        finally:
            pool.shutdown()
            ray.shutdown()
        entries = sorted(root.glob("*.pt"))
        temps = len(list(root.glob(".*.tmp")))
        reader = RunStore(root, memory_items=0, shipped=[])
        corrupt = sum(reader.get(p.stem) is None for p in entries)
    return landed, corrupt, temps, finished, failed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESETS),
                    help="what each run trains (the README's department estimate also uses quick)")
    args = ap.parse_args(argv)
    all_cores = os.sched_getaffinity(0)
    ray_rpm: dict[int, float] = {}
    for salt, n in enumerate(args.cpus):
        os.sched_setaffinity(0, sorted(all_cores)[:n])
        try:
            ray_rpm[n] = measure(n, args.runs, "ray", salt, args.preset)
            local = measure(n, args.runs, "local", salt + 10, args.preset)
        finally:
            os.sched_setaffinity(0, all_cores)
        print(f"efficiency at {n} CPU: Ray gives {ray_rpm[n] / local:.2f} x the local pool's runs per minute",
              flush=True)
    if args.kills:
        landed, corrupt, temps, done, failed = kill_check(args.kills)
        print(f"kill check: {landed} workers killed while training, evaluating or writing "
              f"({done + failed} runs) -> {done} runs done (after a retry, or before the kill), "
              f"{failed} failed, "
              f"{corrupt} corrupt entries, {temps} temp files left", flush=True)
    if 1 in ray_rpm and 2 in ray_rpm:
        print(f"scaling 2 vs 1 CPU: {ray_rpm[2] / ray_rpm[1]:.2f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
