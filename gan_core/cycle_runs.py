"""CycleGAN runs kept and shared: in memory, on disk under a hash of their settings, shipped.

``get_or_train(cfg)`` answers from memory, then the shipped pack of default 2D runs
(``pretrained/cycle_2d_defaults.pt``), then the disk cache (``<cache>/cycle_runs/<key>.pt``),
and trains only when none has the run. The shipped pack holds what the page draws (history,
views, numbers) without the networks' weights, to stay small; a caller that needs the weights
(``need_weights=True``: the CLI's export) skips it. Two sessions asking for the same settings at once
share one training (a lock per key). Files are written through a temp file and a rename and
read with ``torch.load(weights_only=True)``; a damaged file is deleted and the run retrained.

``export(run, out)`` writes what ``python -m gan_core train-cycle`` promises: config.json,
history.csv (step, seconds, adv_g, adv_f, cycle, identity, d_x, d_y; then shape, for runs with the
shape term), metrics.json and the two generators' weights.
"""
from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from gan_core.cycle_config import CYCLE_ENGINE_VERSION, CYCLE_PRESETS, CycleConfig, from_dict
from gan_core.cycle_train import CycleRun, history_columns, train_cycle
from gan_core.files import PRETRAINED, cache_dir, sha256_file

log = logging.getLogger(__name__)
DEFAULTS_FILE = PRETRAINED / "cycle_2d_defaults.pt"
MEMORY_ITEMS = 16


# ---- a run as plain tensors and back ----------------------------------------------------------
def to_payload(run: CycleRun, weights: bool = True) -> dict:
    return {
        "engine": CYCLE_ENGINE_VERSION, "config": run.config.to_json(), "status": run.status,
        "seconds": float(run.seconds),
        "history": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in run.history.items()},
        "g": run.g_state if weights else {}, "f": run.f_state if weights else {},
        "metrics": dict(run.metrics),
        "views": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in run.views.items()},
    }


def from_payload(p: dict) -> CycleRun:
    cfg = from_dict(json.loads(p["config"]))
    return CycleRun(cfg, {k: v.numpy() for k, v in p["history"].items()}, p["g"], p["f"],
                    {k: float(v) for k, v in p["metrics"].items()},
                    {k: v.numpy() for k, v in p["views"].items()}, float(p["seconds"]), str(p["status"]))


def _save(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; shipped files are read by everyone
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


# ---- the shared store ------------------------------------------------------------------------
_lock = threading.Lock()
_key_locks: dict[str, threading.Lock] = {}
_memory: OrderedDict[str, CycleRun] = OrderedDict()
_shipped: dict[str, CycleRun] | None = None
# Different settings train at the same time only as many as there are cores: thirty students
# pressing Train at once then finish one after another instead of all crawling together.
_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def runs_dir() -> Path:
    return cache_dir() / "cycle_runs"


def shipped_runs(path: Path = DEFAULTS_FILE) -> dict[str, CycleRun]:
    """The shipped default 2D runs by key ({} when the file is missing or unreadable)."""
    global _shipped
    if _shipped is None:
        try:
            packs = torch.load(path, map_location="cpu", weights_only=True)
            _shipped = {key: from_payload(p) for key, p in packs.items()}
            _shipped = {k: r for k, r in _shipped.items() if r.config.key == k}
        except Exception as err:  # missing or damaged: every run trains instead
            log.info("no shipped CycleGAN runs (%s)", err)
            _shipped = {}
    return _shipped


def _remember(key: str, run: CycleRun) -> CycleRun:
    with _lock:
        _memory[key] = run
        _memory.move_to_end(key)
        while len(_memory) > MEMORY_ITEMS:
            _memory.popitem(last=False)
    return run


def _read(path: Path, key: str) -> CycleRun | None:
    if not path.is_file():
        return None
    try:
        run = from_payload(torch.load(path, map_location="cpu", weights_only=True))
        if run.config.key != key:
            raise ValueError("entry does not match its key")
        return run
    except Exception as err:
        log.warning("ignoring damaged CycleGAN run %s: %s", path.name, err)
        path.unlink(missing_ok=True)
        return None


def cached(cfg: CycleConfig, need_weights: bool = False) -> CycleRun | None:
    """The finished run of ``cfg`` if memory, the shipped pack or the disk has it (with its
    networks' weights when ``need_weights``)."""
    key = cfg.key
    with _lock:
        if key in _memory and (_memory[key].g_state or not need_weights):
            _memory.move_to_end(key)
            return _memory[key]
    run = None if need_weights else shipped_runs().get(key)
    run = run or _read(runs_dir() / f"{key}.pt", key)
    return _remember(key, run) if run is not None else None


def get_or_train(cfg: CycleConfig, callback: Callable | None = None, need_weights: bool = False) -> CycleRun:
    """The run of ``cfg``: from a cache, or trained once however many callers ask at once."""
    key = cfg.key
    with _lock:
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        run = cached(cfg, need_weights)
        if run is not None:
            return run
        from gan_core.threads import single_thread

        with _slots, single_thread():  # tiny networks: a second thread only waits
            run = train_cycle(cfg, callback)
        if run.status == "ok":
            try:
                _save(to_payload(run), runs_dir() / f"{key}.pt")
            except OSError as err:  # a read-only or full cache: keep it in memory only
                log.warning("could not cache CycleGAN run %s: %s", key, err)
        return _remember(key, run)


def forget() -> None:
    """Empty the in-process memory (tests)."""
    global _shipped
    with _lock:
        _memory.clear()
        _shipped = None


# ---- files -----------------------------------------------------------------------------------
def export(run: CycleRun, out: Path) -> None:
    """config.json, history.csv, metrics.json and generators.pt (G and F) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(run.config.to_dict(), indent=2) + "\n", encoding="utf-8")
    with open(out / "history.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        columns = history_columns(run.config)
        w.writerow(columns)
        h = run.history
        for i in range(len(h["step"])):
            w.writerow([int(h["step"][i]), f"{h['seconds'][i]:.4f}"]
                       + [f"{h[c][i]:.6g}" for c in columns[2:]])
    (out / "metrics.json").write_text(json.dumps(run.metrics, indent=2) + "\n", encoding="utf-8")
    torch.save({"g": run.g_state, "f": run.f_state}, out / "generators.pt")


def default_pair(seed: int = 0) -> tuple[CycleConfig, CycleConfig]:
    """The page's opening comparison: the cycle-2d preset, and the same without the cycle loss."""
    base = CYCLE_PRESETS["cycle-2d"].replace(seed=seed)
    return base, base.replace(lambda_cycle=0.0)


def build_defaults(out_dir: Path, command: str, log_line: Callable[[str], None] = print) -> Path:
    """Train the default pair and write ``cycle_2d_defaults.pt`` with its JSON sidecar."""
    packs, sidecar_runs = {}, []
    for cfg in default_pair():
        from gan_core.threads import single_thread

        with single_thread():
            run = train_cycle(cfg)
        log_line(f"{cfg.key}: lambda_cycle={cfg.lambda_cycle:g} {run.seconds:.1f} s {run.metrics}")
        packs[cfg.key] = to_payload(run, weights=False)
        sidecar_runs.append({"key": cfg.key, "config": cfg.to_dict(), "metrics": run.metrics,
                             "train_seconds": round(run.seconds, 2)})
    path = Path(out_dir) / DEFAULTS_FILE.name
    _save(packs, path)
    what = "the CycleGAN page's default 2D runs: ring <-> two moons, with and without the cycle loss"
    meta = {"what": what,
            "command": command, "runs": sidecar_runs, "torch": torch.__version__, "sha256": sha256_file(path)}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    forget()
    return path
