"""The book's long run, shipped: the textbook's MNIST GAN trained for many epochs.

``make_book_run`` trains the ``seed-book`` preset (with more steps) and writes three files:

* ``book_run.npz`` -- fixed-noise sample grids at log-spaced steps and the loss history
  (plain arrays, read with ``allow_pickle=False``);
* ``book_run_generator.pt`` -- the final generator's weights in fp16 (``weights_only=True``);
* ``book_run.json`` -- how it was made (command, config, data), what it measures (classifier
  score, Frechet distance, classes covered) and the sha256 of both files;
* ``book_run_generator.json`` -- the weights' own sidecar: the same facts and their sha256.

``load_book_run`` turns those files back into a ``RunResult`` so the Lab shows the run at once
with the same views as a run trained live. Command:
``python -m gan_core book-run --out pretrained/ --steps 20000``.
"""
from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gan_core.config import PRESETS, TrainConfig, from_dict
from gan_core.data import MNIST5K_FILE, mnist5k
from gan_core.files import PRETRAINED, sha256_file

if TYPE_CHECKING:
    from gan_core.train import RunResult
# PyTorch is imported by the functions that train or load weights: the home page reads the
# shipped samples (``story``) before the engine has loaded.

BOOK_DIR = PRETRAINED
NPZ, WEIGHTS, SIDECAR = "book_run.npz", "book_run_generator.pt", "book_run.json"
WEIGHTS_SIDECAR = "book_run_generator.json"
BOOK_SNAPSHOTS = 24
STEPS_PER_EPOCH = 5000 / 512  # one pass over the offline digits at batch 512


def book_config(steps: int) -> TrainConfig:
    """seed-book with ``steps`` generator updates and BOOK_SNAPSHOTS log-spaced grids."""
    return PRESETS["seed-book"].replace(steps=steps, snapshots=min(BOOK_SNAPSHOTS, steps + 1))


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def make_book_run(out_dir: Path | str, steps: int, command: str, log=print) -> Path:
    import torch

    from gan_core.evaluate import evaluate_run
    from gan_core.train import HISTORY_COLUMNS, Trainer

    """Train the long run and write its three files into ``out_dir``; returns the sidecar path."""

    cfg = book_config(steps)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0, c0 = time.perf_counter(), _cpu_seconds()

    def progress(kind: str, payload: Any) -> None:
        if kind == "step" and payload.step % 100 == 0:
            log(f"step {payload.step}/{steps}: loss_d {payload.loss_d:.3f} loss_g {payload.loss_g:.3f} "
                f"({time.perf_counter() - t0:.0f} s)")

    result = Trainer(cfg).run(progress)
    cpu = _cpu_seconds() - c0
    if result.status != "ok":
        raise RuntimeError(f"the long run stopped: {result.message}")
    result.metrics.update(evaluate_run(result))

    arrays = {
        "snapshots": np.stack([s.samples for s in result.snapshots]).astype(np.uint8),
        "snapshot_step": np.array([s.step for s in result.snapshots], dtype=np.int64),
        "snapshot_wall": np.array([s.wall for s in result.snapshots], dtype=np.float64),
    }
    for c in HISTORY_COLUMNS:
        arrays["history_" + c] = np.asarray(result.history[c], dtype=np.float32)
    np.savez_compressed(out_dir / NPZ, **arrays)
    half = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in result.generator.items()}
    torch.save(half, out_dir / WEIGHTS)

    meta = {
        "what": "the textbook's MNIST GAN (seed-book preset) trained long: sample grids, losses, generator",
        "command": command,
        "config": cfg.to_dict(),
        "config_key": cfg.key,
        "data": {"name": "mnist5k", "images": len(mnist5k()), "file": "gan_core/assets/mnist_5k.npz",
                 "sha256": sha256_file(MNIST5K_FILE)},
        "epochs_of_5k": round(steps / STEPS_PER_EPOCH, 1),
        "images_seen": steps * cfg.batch,
        "seconds": round(result.seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "torch_threads": torch.get_num_threads(),
        "metrics": result.metrics,
        "files": {NPZ: sha256_file(out_dir / NPZ), WEIGHTS: sha256_file(out_dir / WEIGHTS)},
        "generator_dtype": "float16",
    }
    side = out_dir / SIDECAR
    side.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    shared = ("command", "config", "config_key", "data", "metrics", "generator_dtype")
    what = "the final generator of the book's long run (the textbook's MLP), fp16 state dict"
    weights_meta = {"what": what, **{k: meta[k] for k in shared},
                    "sha256": meta["files"][WEIGHTS], "run_sidecar": SIDECAR}
    (out_dir / WEIGHTS_SIDECAR).write_text(json.dumps(weights_meta, indent=2) + "\n", encoding="utf-8")
    return side


def _folder(folder: Path | str | None) -> Path:
    return Path(folder) if folder is not None else BOOK_DIR


def book_run_available(folder: Path | str | None = None) -> bool:
    folder = _folder(folder)
    return all((folder / name).exists() for name in (NPZ, WEIGHTS, SIDECAR))


def book_run_info(folder: Path | str | None = None) -> dict[str, Any]:
    return json.loads((_folder(folder) / SIDECAR).read_text(encoding="utf-8"))


def load_book_run(folder: Path | str | None = None) -> RunResult:
    """The shipped long run as a RunResult (no unpickling: npz arrays and a weights-only file)."""
    import torch

    from gan_core.train import HISTORY_COLUMNS, RunResult, Snapshot

    folder = _folder(folder)
    meta = book_run_info(folder)
    cfg = from_dict(meta["config"])
    with np.load(folder / NPZ, allow_pickle=False) as z:
        grids, steps, walls = z["snapshots"], z["snapshot_step"], z["snapshot_wall"]
        history = {c: z["history_" + c].astype(np.float64) for c in HISTORY_COLUMNS}
    snapshots = [Snapshot(int(s), float(w), grids[i])
                 for i, (s, w) in enumerate(zip(steps, walls, strict=True))]
    state = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True)
    generator = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    metrics = dict(meta.get("metrics", {}))
    metrics["book_run"] = True
    return RunResult(config=cfg, status="ok", message="", history=history, snapshots=snapshots,
                     generator=generator, labels=None, seconds=float(meta.get("seconds", 0.0)),
                     metrics=metrics)


STORY_STEPS = (0, 342, 2239, 6353, 20000)  # noise, one scribble (D far ahead), a blur, digits, the end
VERDICT_WINDOW = 50  # D's verdict at a step: its mean over the steps just before


def story(folder: Path | str | None = None, steps=STORY_STEPS, per: int = 9) -> list[dict[str, Any]]:
    """Moments of the shipped long run, from noise to digits: for each snapshot nearest to
    ``steps``, its step, the first ``per`` fixed-noise samples (uint8, per x 28 x 28) and D's
    verdict around it: mean D(x) on real and D(G(z)) on generated pictures over the last
    VERDICT_WINDOW steps (None at step 0, before any training). numpy only, no PyTorch."""
    folder = _folder(folder)
    with np.load(folder / NPZ, allow_pickle=False) as z:
        snap_steps, grids = z["snapshot_step"], z["snapshots"]
        hist_step, d_real, d_fake = z["history_step"], z["history_d_real"], z["history_d_fake"]
    out = []
    for want in steps:
        i = int(np.abs(snap_steps - want).argmin())
        step = int(snap_steps[i])
        window = (hist_step > step - VERDICT_WINDOW) & (hist_step <= step)
        out.append({"step": step, "images": grids[i][:per],
                    "d_real": float(d_real[window].mean()) if window.any() else None,
                    "d_fake": float(d_fake[window].mean()) if window.any() else None})
    return out
