"""Finished runs shipped with the app, packed small: the hyperparameter atlas and the
mode-collapse page's default comparison (both made by ``python -m gan_core`` commands).

A pack is one ``.npz`` file (numpy arrays only, read with ``allow_pickle=False``): an
``index`` member (JSON as bytes: each run's config, status, metrics, snapshot steps) and, per
run, its history and its snapshots' samples and extras. What is left out to stay small is
said in the index: the generator's weights (image runs), and float32 arrays stored as float16
(2D runs, whose history is stored as float32). Image runs' history and samples are kept exactly
as the training produced them.
"""
from __future__ import annotations

import json
import logging
import threading
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gan_core import ENGINE_VERSION
from gan_core.config import from_dict
from gan_core.files import PRETRAINED

if TYPE_CHECKING:
    from gan_core.train import RunResult

log = logging.getLogger(__name__)
FORMAT = 1
PACK_FILES = ("atlas.npz", "mode_defaults.npz")


def _flatten(prefix: str, tree: dict[str, Any], out: dict[str, np.ndarray], half: bool) -> list[str]:
    names = []
    for name, value in tree.items():
        arr = np.asarray(value)
        if half and arr.dtype == np.float32:
            arr = arr.astype(np.float16)
        out[f"{prefix}.{name}"] = arr
        names.append(name)
    return names


def write_pack(path: Path, results: list[RunResult], half_floats: bool = False,
               keep_generator: bool | set[str] = False) -> dict[str, Any]:
    """Write ``results`` to ``path`` (a temp file, then renamed); returns the index written.

    ``keep_generator``: keep every run's generator weights (True), none (False), or those of
    the runs whose keys are in the set."""
    from gan_core.train import HISTORY_COLUMNS

    arrays: dict[str, np.ndarray] = {}
    index: dict[str, Any] = {"format": FORMAT, "engine": ENGINE_VERSION, "half_floats": half_floats,
                             "runs": {}}
    for r in results:
        key = r.config.key
        # float32 in a half-float pack: the losses, D's outputs and gradient norms are float32
        # numbers already (only the wall clock loses digits below a microsecond)
        history = [np.asarray(r.history[c], dtype=np.float32 if half_floats else np.float64)
                   for c in HISTORY_COLUMNS]
        arrays[f"{key}.history"] = np.stack(history)
        samples = np.stack([s.samples for s in r.snapshots])
        if half_floats and samples.dtype == np.float32:
            samples = samples.astype(np.float16)
        arrays[f"{key}.samples"] = samples
        extras = [_flatten(f"{key}.x{i}", s.extras, arrays, half_floats) for i, s in enumerate(r.snapshots)]
        gen = []
        if keep_generator is True or (isinstance(keep_generator, set) and key in keep_generator):
            gen = _flatten(f"{key}.g", {k: v.numpy() for k, v in r.generator.items()}, arrays, False)
        if r.labels is not None:
            arrays[f"{key}.labels"] = r.labels
        index["runs"][key] = {
            "config": r.config.to_dict(), "status": r.status, "message": r.message, "seconds": r.seconds,
            "metrics": r.metrics, "snap_steps": [s.step for s in r.snapshots],
            "snap_walls": [s.wall for s in r.snapshots], "extras": extras, "generator": gen,
            "labels": r.labels is not None,
        }
    arrays["index"] = np.frombuffer(json.dumps(index, default=float).encode(), dtype=np.uint8)
    path = Path(path)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    return index


class Pack:
    """Read-only runs from one pack file; members are read only when a run is asked for."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._npz = np.load(self.path, allow_pickle=False)
        self._lock = threading.Lock()  # one zip file handle: one reader at a time
        index = json.loads(self._npz["index"].tobytes())
        if index.get("format") != FORMAT:
            raise ValueError(f"{self.path.name}: unknown pack format")
        self.stale = index.get("engine") != ENGINE_VERSION  # made by another engine: keys won't match
        self.index = index
        self.runs: dict[str, dict[str, Any]] = index["runs"]

    def __contains__(self, key: str) -> bool:
        return key in self.runs

    def keys(self) -> list[str]:
        return list(self.runs)

    def get(self, key: str) -> RunResult | None:
        meta = self.runs.get(key)
        if meta is None:
            return None
        try:
            with self._lock:
                return self._build(key, meta)
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as err:
            log.warning("shipped run %s in %s is unreadable: %s", key, self.path.name, err)
            return None

    def final_samples(self, key: str) -> np.ndarray | None:
        """The last snapshot's samples of run ``key`` (float32), read without PyTorch, so a page
        can draw a shipped comparison before the engine has loaded; None if absent or unreadable."""
        meta = self.runs.get(key)
        if meta is None or not meta["snap_steps"]:
            return None
        try:
            with self._lock:
                samples = self._npz[f"{key}.samples"]
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as err:
            log.warning("shipped run %s in %s is unreadable: %s", key, self.path.name, err)
            return None
        return np.asarray(samples[-1], dtype=np.float32)

    def _build(self, key: str, meta: dict[str, Any]) -> RunResult:
        from gan_core.train import HISTORY_COLUMNS, RunResult, Snapshot

        cfg = from_dict(meta["config"])
        if cfg.key != key:
            raise ValueError("config does not match its key")
        hist = self._npz[f"{key}.history"]
        history = {c: hist[i].astype(np.float64) for i, c in enumerate(HISTORY_COLUMNS)}
        samples = self._npz[f"{key}.samples"]
        if samples.dtype == np.float16:
            samples = samples.astype(np.float32)
        snaps = []
        for i, (step, wall) in enumerate(zip(meta["snap_steps"], meta["snap_walls"], strict=True)):
            extras = {}
            for name in meta["extras"][i]:
                arr = self._npz[f"{key}.x{i}.{name}"]
                extras[name] = arr.astype(np.float32) if arr.dtype == np.float16 else arr
            snaps.append(Snapshot(int(step), float(wall), samples[i], extras))
        generator = {}
        if meta["generator"]:
            import torch

            generator = {n: torch.from_numpy(self._npz[f"{key}.g.{n}"].copy()) for n in meta["generator"]}
        labels = self._npz[f"{key}.labels"] if meta["labels"] else None
        return RunResult(cfg, meta["status"], meta["message"], history, snaps, generator, labels,
                         float(meta["seconds"]), dict(meta["metrics"]))


_DEFAULT_PACKS: list[Pack] | None = None
_DEFAULT_LOCK = threading.Lock()


def default_packs() -> list[Pack]:
    """``shipped_packs()`` of ``pretrained/``, opened once per process and shared (the job pool's
    store and the pages' quick reads use the same open files)."""
    global _DEFAULT_PACKS
    with _DEFAULT_LOCK:
        if _DEFAULT_PACKS is None:
            _DEFAULT_PACKS = shipped_packs()
        return _DEFAULT_PACKS


def final_samples(key: str) -> np.ndarray | None:
    """The last snapshot's samples of a shipped run (see ``Pack.final_samples``), or None."""
    for pack in default_packs():
        if key in pack:
            return pack.final_samples(key)
    return None


def shipped_packs(folder: Path = PRETRAINED) -> list[Pack]:
    """The packs in ``pretrained/`` that can be read (a missing or damaged one is skipped)."""
    packs = []
    for name in PACK_FILES:
        path = Path(folder) / name
        if not path.is_file():
            continue
        try:
            pack = Pack(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as err:
            log.warning("ignoring shipped runs %s: %s", name, err)
            continue
        if pack.stale:
            log.warning("shipped runs %s were made by another engine version: rebuild them", name)
        packs.append(pack)
    return packs
