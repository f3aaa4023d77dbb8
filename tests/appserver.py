"""A real app server and headless Chromium, shared by the browser tests and the benches.

``AppServer`` runs ``streamlit run streamlit_app.py`` as a child process on a free loopback
port (its own process group, so a kill takes every thread with it) and can be killed and
started again on the same port and cache folder. ``launch_chromium`` starts Debian's
Chromium through Playwright without downloading a browser.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GAN_CLASSROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_chromium(playwright):
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def status_mb(field: str, pid: int | str = "self") -> float:
    """A memory field of /proc/PID/status (VmRSS, VmHWM, ...) in MB; NaN when it is missing.

    VmHWM (the peak) belongs to the address space, which exec replaces, so a child process
    reports its own peak; ru_maxrss survives exec and can report the parent's instead."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


class AppServer:
    """``streamlit run streamlit_app.py`` in a child process with its own run cache folder."""

    def __init__(self, cache: Path, env: dict | None = None, port: int | None = None,
                 prefix: list[str] | None = None):
        """``prefix``: arguments put before the server's command line, e.g. a shell that moves
        itself into cgroups and then execs the server (bench/cloud_rehearsal.py)."""
        self.cache, self.port, self.proc = Path(cache), port or free_port(), None
        self.prefix = list(prefix or [])
        self.env = {**os.environ, "GAN_CLASSROOM_CACHE": str(cache), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log = self.cache / f"server-{self.port}.log"
        self.started_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        """Start the process and return at once (see ``wait_healthy``)."""
        cmd = [*self.prefix, sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
               "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        self.cache.mkdir(parents=True, exist_ok=True)
        self.started_at = time.perf_counter()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait_healthy(self, timeout: float = 90.0) -> float:
        """Block until /_stcore/health answers; returns seconds since ``launch``."""
        t_end = time.perf_counter() + timeout
        while time.perf_counter() < t_end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - self.started_at
            except OSError:
                time.sleep(0.02)
        raise TimeoutError("the app server did not answer its health check")

    def start(self, timeout: float = 90.0) -> AppServer:
        self.launch()
        self.wait_healthy(timeout)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)
        self.proc = None

    def _status_mb(self, field: str, pid: int | None = None) -> float:
        return status_mb(field, pid or self.proc.pid)

    def child_pids(self) -> list[int]:
        """The server's child processes (the training process, and its spawn helper)."""
        pids: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            try:
                pids += [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                pass
        return sorted(set(pids))

    def pss_mb(self) -> float:
        """Proportional memory of the server and its children now: shared library pages are
        split between the processes mapping them, so the sum is what the machine really holds
        (RSS counts torch's libraries once per process)."""
        total = 0.0
        for pid in [self.proc.pid] + self.child_pids():
            try:
                with open(f"/proc/{pid}/smaps_rollup") as fh:
                    for line in fh:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1]) / 1024
            except OSError:
                pass
        return total

    def children_peak_rss_mb(self) -> float:
        """Sum of the children's high-water marks (0 when there is none)."""
        total = 0.0
        for pid in self.child_pids():
            try:
                total += self._status_mb("VmHWM", pid)
            except OSError:
                pass
        return total

    def rss_mb(self) -> float:
        """Resident memory of the server process now."""
        return self._status_mb("VmRSS")

    def peak_rss_mb(self) -> float:
        """Highest resident memory of the server process so far (the kernel's high-water mark)."""
        return self._status_mb("VmHWM")
