"""A finished run as plain tensors, lists, dicts, strings and numbers, and back.

One format for everything that stores or sends a run: the disk cache (``gan_core.store``)
and the training process's pipe (``gan_core.worker``). Nothing in it needs pickle, so every
reader can use ``torch.load(..., weights_only=True)``; ``from_payload`` validates what it reads.
"""
from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import torch

from gan_core import ENGINE_VERSION
from gan_core.config import from_dict
from gan_core.train import HISTORY_COLUMNS, RunResult, Snapshot

FORMAT = 1


def _to_tensor_tree(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, dict):
        return {str(k): _to_tensor_tree(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_tensor_tree(v) for v in obj]
    return obj


def _to_numpy_tree(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.numpy()
    if isinstance(obj, dict):
        return {k: _to_numpy_tree(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_numpy_tree(v) for v in obj]
    return obj


def snapshot_to_tree(s: Snapshot) -> dict[str, Any]:
    return {"step": s.step, "wall": s.wall, "samples": torch.from_numpy(np.ascontiguousarray(s.samples)),
            "extras": _to_tensor_tree(s.extras)}


def snapshot_from_tree(d: dict[str, Any]) -> Snapshot:
    return Snapshot(int(d["step"]), float(d["wall"]), d["samples"].numpy(), _to_numpy_tree(d["extras"]))


def to_payload(r: RunResult) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "engine": ENGINE_VERSION,
        "config": r.config.to_dict(),
        "status": r.status,
        "message": r.message,
        "history": {c: torch.from_numpy(np.asarray(r.history[c], dtype=np.float64)) for c in HISTORY_COLUMNS},
        "snapshots": [snapshot_to_tree(s) for s in r.snapshots],
        "generator": {k: v.detach().cpu().contiguous() for k, v in r.generator.items()},
        "labels": None if r.labels is None else torch.from_numpy(r.labels),
        "seconds": float(r.seconds),
        "metrics": json.dumps(r.metrics, default=float),
    }


def from_payload(p: dict[str, Any]) -> RunResult:
    """Rebuild a RunResult; raises ValueError/KeyError/TypeError on anything malformed."""
    if p.get("format") != FORMAT or p.get("engine") != ENGINE_VERSION:
        raise ValueError("stale cache format")
    cfg = from_dict(p["config"])
    history = {c: p["history"][c].numpy() for c in HISTORY_COLUMNS}
    lengths = {len(v) for v in history.values()}
    if len(lengths) != 1:
        raise ValueError("ragged history")
    snaps = [snapshot_from_tree(s) for s in p["snapshots"]]
    if not snaps:
        raise ValueError("no snapshots")
    gen = p["generator"]
    if not isinstance(gen, dict) or not all(isinstance(v, torch.Tensor) for v in gen.values()):
        raise TypeError("bad generator state")
    labels = None if p["labels"] is None else p["labels"].numpy()
    return RunResult(cfg, str(p["status"]), str(p["message"]), history, snaps, gen, labels,
                     float(p["seconds"]), json.loads(p["metrics"]))


def to_bytes(obj: Any) -> bytes:
    """``torch.save`` of a payload (or a snapshot tree) into bytes."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def from_bytes(data: bytes) -> Any:
    """The inverse of ``to_bytes``; tensors, lists, dicts, strings and numbers only."""
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
