"""Cloud rehearsal: the real app server under a Streamlit Community Cloud app's limits.

The limits are made with cgroup v1 on this machine (root, controllers at /sys/fs/cgroup/cpu and
/sys/fs/cgroup/memory): a new group in each, below this process's own groups, with
``cpu.cfs_quota_us = cpu.cfs_period_us = 100000`` (one CPU) and ``memory.limit_in_bytes`` (a
first phase at 2.7 GB, a second at 1 GB; GB = 10^9 bytes). The server is started by a shell
that first writes its own PID into both groups' ``tasks`` and then execs ``streamlit run``, so
the server and its training process are inside; the browsers (Playwright's Chromium) are not.

Per phase, 10 browser sessions open the Lab: half on different atlas links (shipped runs), half
training ``quick`` live with a distinct seed each, and all press Train at the same moment.
Reported: each session's seconds to its finished run (or a timeout), the group's peak memory
(``memory.max_usage_in_bytes``) and ``memory.failcnt``, OOM kills (``memory.oom_control``'s
counter, and the kernel log when readable), whether the server and its training process
survived, the sessions that saw an error (e.g. ``t("run.failed")`` after a training process
died) and whether every session got its result. The groups are removed afterwards, on error too.

    python bench/cloud_rehearsal.py [--limits-gb 2.7 1] [--atlas 5] [--live 5] [--live-preset quick]

The last lines are the figures (greppable: ``cloud rehearsal``).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classroom import (
    Session,
    atlas_queries,
    close_all,
    collect,
    journal_lines,
    open_in_waves,
    pick_points,
    press_together,
    problems,
)

from tests.appserver import ROOT, AppServer, launch_chromium

CGROUP = Path("/sys/fs/cgroup")
PERIOD_US = 100_000
ENTER_AND_EXEC = 'echo $$ > "$GC_CPU_TASKS" && echo $$ > "$GC_MEM_TASKS" && exec "$@"'


def own_group(controller: str) -> str:
    """This process's cgroup v1 path for ``controller`` (the new groups go below it)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    raise RuntimeError(f"no cgroup v1 {controller} controller for this process")


class Limits:
    """A cpu group and a memory group with the Cloud app's limits; removed on exit."""

    def __init__(self, name: str, cpus: float, mem_bytes: int):
        self.cpu = CGROUP / "cpu" / own_group("cpu").strip("/") / name
        self.mem = CGROUP / "memory" / own_group("memory").strip("/") / name
        self.cpus, self.mem_bytes = cpus, mem_bytes

    def __enter__(self) -> Limits:
        for group in (self.cpu, self.mem):
            group.mkdir()
        try:
            (self.cpu / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.cpu / "cpu.cfs_quota_us").write_text(str(int(self.cpus * PERIOD_US)))
            (self.mem / "memory.limit_in_bytes").write_text(str(self.mem_bytes))
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def value(self, name: str) -> int:
        return int((self.mem / name).read_text().split()[0])

    def oom_kills(self) -> int:
        for line in (self.mem / "memory.oom_control").read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return -1

    def stat(self) -> dict[str, int]:
        pairs = (line.split() for line in (self.mem / "memory.stat").read_text().splitlines())
        return {k: int(v) for k, v in pairs}

    def pids(self) -> set[int]:
        out: set[int] = set()
        for group in (self.cpu, self.mem):
            try:
                out |= {int(x) for x in (group / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return out

    def remove(self) -> None:
        """Kill what is still inside (processes this bench started, one by one) and remove the groups."""
        for _ in range(60):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)
        for group in (self.cpu, self.mem):
            for _ in range(20):
                try:
                    group.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.5)


class Watcher(threading.Thread):
    """Every 0.5 s: the group's memory, which processes are inside and their resident memory."""

    def __init__(self, limits: Limits, server: AppServer):
        super().__init__(daemon=True)
        self.limits, self.server, self.stop = limits, server, threading.Event()
        self.peak_usage = 0
        self.rss_peak: dict[int, float] = {}  # pid -> highest VmRSS seen (MB)
        self.names: dict[int, str] = {}
        self.server_died_at: float | None = None
        self.t0 = time.perf_counter()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.peak_usage = max(self.peak_usage, self.limits.value("memory.usage_in_bytes"))
            except OSError:
                pass
            for pid in self.limits.pids():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
                except OSError:
                    continue
                rss = next((int(x.split()[1]) / 1024 for x in status.splitlines()
                            if x.startswith("VmRSS:")), 0)
                self.rss_peak[pid] = max(self.rss_peak.get(pid, 0.0), rss)
                if pid not in self.names and cmd:
                    self.names[pid] = self._label(pid, cmd)
            if self.server_died_at is None and self.server.proc.poll() is not None:
                self.server_died_at = time.perf_counter() - self.t0
            self.stop.wait(0.5)

    def _label(self, pid: int, cmd: str) -> str:
        if pid == self.server.proc.pid:
            return "server"
        if "spawn_main" in cmd:
            return "training process"
        if "resource_tracker" in cmd:
            return "resource tracker"
        return cmd.split(" ")[0].rsplit("/", 1)[-1]

    def training_processes(self) -> list[int]:
        return [pid for pid, name in self.names.items() if name == "training process"]


def kernel_oom_lines(group_name: str) -> list[str] | str:
    """The kernel log's OOM lines for this group, or why they can't be read."""
    try:
        out = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"dmesg not runnable ({type(err).__name__})"
    if out.returncode != 0:
        return f"dmesg not readable ({out.stderr.strip()[:80]})"
    lines = out.stdout.splitlines()
    hits = [i for i, ln in enumerate(lines) if group_name in ln and "oom" in ln.lower()]
    return [ln for i in hits for ln in lines[i:i + 2] if "Killed process" in ln or group_name in ln][:10]


def phase(browser, mem_gb: float, atlas_points: list[str], live_preset: str, live_seeds: list[int],
          live_steps: int | None, wave: int, timeout_s: float) -> dict:
    name = f"gan_rehearsal_{os.getpid()}_{int(mem_gb * 1000)}"
    mem_bytes = int(mem_gb * 1e9)
    with tempfile.TemporaryDirectory() as tmp, Limits(name, 1.0, mem_bytes) as limits:
        journal = Path(tmp) / "journal.jsonl"
        env = {"GAN_CLASSROOM_JOURNAL": str(journal), "GC_CPU_TASKS": str(limits.cpu / "tasks"),
               "GC_MEM_TASKS": str(limits.mem / "tasks")}
        server = AppServer(Path(tmp) / "cache", env=env, prefix=["sh", "-c", ENTER_AND_EXEC, "sh"])
        server.launch()
        watcher = Watcher(limits, server)
        watcher.start()
        sessions: list[Session] = []
        start_s = open_s = float("nan")
        trouble = ""
        try:
            start_s = server.wait_healthy(180)
            inside = Path(f"/proc/{server.proc.pid}/cgroup").read_text()
            if name not in inside:
                raise RuntimeError(f"the server is not in the rehearsal groups: {inside}")
            steps = f"&steps={live_steps}" if live_steps else ""
            lab = f"{server.url}/lab?lang=en"
            sessions = [Session(f"atlas{i}", f"{lab}&{q}") for i, q in enumerate(atlas_points)]
            sessions += [Session(f"live{seed}", f"{lab}&preset={live_preset}&seed={seed}{steps}")
                         for seed in live_seeds]
            open_s = open_in_waves(browser, sessions, wave)
            press_together(sessions)
            collect(sessions, timeout_s, alive=lambda: server.proc.poll() is None)
            for s in sessions:
                if server.proc.poll() is None:
                    problems(s)
        except Exception as err:  # e.g. the server killed while the pages load: reported, not raised
            trouble = f"{type(err).__name__}: {err}"[:300]
        finally:
            server_alive = server.proc is not None and server.proc.poll() is None
            close_all(sessions)
            watcher.stop.set()
            watcher.join(5)
            try:
                peak, failcnt = limits.value("memory.max_usage_in_bytes"), limits.value("memory.failcnt")
                oom = limits.oom_kills()
                stat = limits.stat()
            except OSError:
                peak, failcnt, oom, stat = -1, -1, -1, {}
            server.kill()
            lines = journal_lines(journal)
    kernel = kernel_oom_lines(name)
    trainers = watcher.training_processes()
    return {
        "phase": f"{mem_gb:g} GB", "trouble": trouble, "limit_bytes": mem_bytes, "cpus": 1.0,
        "server_start_s": round(start_s, 1), "open_s": round(open_s, 1),
        "per_session_s": {s.label: None if s.seconds is None else round(s.seconds, 1) for s in sessions},
        "failed_after_s": {s.label: round((s.error_at - s.click_at) / 1000, 1) for s in sessions
                           if s.error_at is not None and s.click_at is not None},
        "sessions": len(sessions), "got_result": sum(s.seconds is not None for s in sessions),
        "sessions_with_errors": {s.label: s.errors for s in sessions if s.errors},
        "peak_bytes": peak, "peak_sampled_bytes": watcher.peak_usage, "failcnt": failcnt, "oom_kills": oom,
        "kernel_oom": kernel, "server_alive": server_alive, "server_died_at_s": watcher.server_died_at,
        "training_processes_seen": len(trainers),
        "peak_rss_mb": {f"{watcher.names.get(p, '?')} {p}": round(v) for p, v in watcher.rss_peak.items()},
        "end_stat_mb": {k: round(stat[k] / 1e6) for k in ("rss", "cache", "mapped_file", "shmem")
                        if k in stat},
        "trainings": [(x["steps"], x["state"], x["queued_s"], x["run_s"]) for x in lines],
    }


def figure_line(r: dict) -> str:
    per = r["per_session_s"]
    atlas = [v for k, v in per.items() if k.startswith("atlas") and v is not None]
    live = [v for k, v in per.items() if k.startswith("live") and v is not None]
    n_atlas = sum(k.startswith("atlas") for k in per)
    failed = sum(x[1] == "failed" for x in r["trainings"])
    return (f"cloud rehearsal {r['phase']} (1 CPU): {r['got_result']}/{r['sessions']} sessions "
            f"got their result "
            f"(atlas {len(atlas)}/{n_atlas}, max {max(atlas, default=float('nan')):.1f} s; "
            f"live {len(live)}/{r['sessions'] - n_atlas}, max {max(live, default=float('nan')):.1f} s), "
            f"peak memory {r['peak_bytes'] / 1e6:.0f} MB of {r['limit_bytes'] / 1e6:.0f} MB, "
            f"failcnt {r['failcnt']}, OOM kills {r['oom_kills']}, "
            f"server {'alive' if r['server_alive'] else 'GONE'}, "
            f"training processes started {r['training_processes_seen']}, failed trainings {failed}, "
            f"sessions with errors {len(r['sessions_with_errors'])} "
            f"(a failed run shown after {sorted(r['failed_after_s'].values()) or 'none'} s)"
            + (f"; stopped early: {r['trouble']}" if r["trouble"] else ""))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limits-gb", type=float, nargs="+", default=[2.7, 1.0], help="memory limit per phase")
    ap.add_argument("--atlas", type=int, default=5, help="sessions opening atlas links")
    ap.add_argument("--live", type=int, default=5, help="sessions training live")
    ap.add_argument("--live-preset", default="quick")
    ap.add_argument("--live-steps", type=int, help="live runs' steps (default: the preset's)")
    ap.add_argument("--wave", type=int, default=5, help="pages opened at a time")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds a phase waits for its sessions")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("cloud_rehearsal needs root to make cgroups")
    points = pick_points(atlas_queries(), args.atlas + 6)[6:]  # not the points the burst starts with
    if len(points) < args.atlas:
        points = pick_points(atlas_queries(), args.atlas)
    base = 100 + int(time.time()) % 1000 * 10
    print(f"atlas pack {'present' if (ROOT / 'pretrained' / 'atlas.npz').exists() else 'MISSING'}; "
          f"live runs: {args.live_preset} seeds {base}..{base + args.live - 1}", flush=True)
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for i, gb in enumerate(args.limits_gb):
                seeds = [base + 100 * i + j for j in range(args.live)]  # new seeds per phase: live again
                r = phase(browser, gb, points[: args.atlas], args.live_preset, seeds, args.live_steps,
                          args.wave, args.timeout)
                results.append(r)
                print(json.dumps(r), flush=True)
        finally:
            browser.close()
    print()
    for r in results:
        print(figure_line(r))


if __name__ == "__main__":
    main()
