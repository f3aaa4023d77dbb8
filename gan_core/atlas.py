"""Runs made ahead of time so that a class never waits for the answers the course needs.

* The **hyperparameter atlas**: the Lab's opening recipe (``quick``) over the three knobs the
  course teaches, learning rate (both networks) x k x nz. Each run is exactly what training
  that config gives (same key, same numbers): it is trained by the same engine, then packed.
* The **mode-collapse defaults**: every study preset of the mode-collapse page at seed 0, so
  the page's comparison is there on a first visit.

``python -m gan_core atlas build|list`` and ``python -m gan_core mode-defaults build`` make and
show them; each pack gets a JSON sidecar (command, config, data, quality, sha256).
"""
from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path

from gan_core.config import PRESETS, TrainConfig
from gan_core.files import PRETRAINED, sha256_file
from gan_core.modes import STUDIES
from gan_core.pool import JobPool, run_sync
from gan_core.shipped import write_pack
from gan_core.store import RunStore

BASE_PRESET = "quick"
LRS = (0.0002, 0.0005, 0.002, 0.005)  # both networks; quick's own is 0.002
KS = (1, 2, 3)
NZS = (16, 64, 128)
KNOBS = {"lr": LRS, "k": KS, "nz": NZS}
ATLAS_FILE = "atlas.npz"
MODES_FILE = "mode_defaults.npz"


def point(lr: float, k: int, nz: int) -> TrainConfig:
    """The atlas run with these knobs (on the base preset)."""
    return PRESETS[BASE_PRESET].replace(lr_g=lr, lr_d=lr, k=k, nz=nz)


def configs() -> list[TrainConfig]:
    """Every atlas run, in a fixed order (lr, then k, then nz)."""
    return [point(lr, k, nz) for lr, k, nz in itertools.product(LRS, KS, NZS)]


def on_grid(cfg: TrainConfig) -> bool:
    """True when ``cfg`` is an atlas run (so it opens at once)."""
    return cfg.key in {c.key for c in configs()}


def knob_value(cfg: TrainConfig, knob: str) -> float:
    return {"lr": cfg.lr_g, "k": cfg.k, "nz": cfg.nz}[knob]


def query(cfg: TrainConfig) -> str:
    """The Lab query string that opens ``cfg`` (its knobs written out)."""
    return f"preset={BASE_PRESET}&lr_g={cfg.lr_g:g}&lr_d={cfg.lr_d:g}&k={cfg.k}&nz={cfg.nz}"


def mode_default_configs() -> list[TrainConfig]:
    """The mode-collapse page's default comparison: every study preset at seed 0."""
    return [PRESETS[name] for dataset in STUDIES for name, _ in STUDIES[dataset]]


def _train_all(cfgs: list[TrainConfig], store: RunStore, log: Callable[[str], None]) -> list:
    pool = JobPool(store, workers=1)
    results = []
    try:
        for i, cfg in enumerate(cfgs, 1):
            t0 = time.time()
            result = run_sync(cfg, pool)
            score = result.metrics.get("score")
            shown = f"score {score:.2f}" if isinstance(score, float) else result.status
            log(f"[{i}/{len(cfgs)}] {cfg.key} {time.time() - t0:.1f}s {shown}")
            results.append(result)
    finally:
        pool.shutdown()
    return results


def _quality(result) -> dict:
    keep = ("score", "fd", "classes_covered", "modes_captured", "modes", "hq_share")
    return {k: result.metrics[k] for k in keep if k in result.metrics}


def build(kind: str, out_dir: Path = PRETRAINED, command: str = "", log: Callable[[str], None] = print,
          store: RunStore | None = None) -> Path:
    """Train what the cache lacks, pack it into ``out_dir`` and write the sidecar; returns the pack."""
    if kind == "atlas":
        cfgs, name, half = configs(), ATLAS_FILE, False
        described = {"base_preset": BASE_PRESET, "base": PRESETS[BASE_PRESET].to_dict(), "knobs": KNOBS}
        kept = ("history (float64) and every snapshot's samples, exactly; the generator weights of the "
                f"{BASE_PRESET} point only (the Lab opens on it)")
    elif kind == "modes":
        cfgs, name, half = mode_default_configs(), MODES_FILE, True
        described = {"presets": {d: [n for n, _ in STUDIES[d]] for d in STUDIES}, "seed": 0}
        kept = ("history (float32), snapshots and their views as float16; no generator weights (the page "
                "draws the snapshots, and pretrained/ stays under 40 MB)")
    else:
        raise ValueError(f"unknown pack {kind!r}: atlas or modes")
    results = _train_all(cfgs, store or RunStore(), log)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    keep = False if kind == "modes" else {PRESETS[BASE_PRESET].key}
    write_pack(path, results, half_floats=half, keep_generator=keep)
    sidecar = {
        "command": command or f"python -m gan_core {'atlas' if kind == 'atlas' else 'mode-defaults'} build",
        "config": described,
        "data": ("MNIST 5k subset shipped in gan_core/assets" if kind == "atlas"
                 else "2D toy sets (ring8, grid25, spiral) and the example drawing (three blobs)"),
        "kept": kept,
        "runs": {r.config.key: {"config": r.config.to_dict(), "status": r.status,
                                "seconds": round(r.seconds, 1), "quality": _quality(r)} for r in results},
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }
    text = json.dumps(sidecar, indent=1, default=float) + "\n"
    path.with_suffix(".json").write_text(text, encoding="utf-8")
    return path
