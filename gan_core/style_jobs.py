"""Style transfer for a class on one server, and the example shipped for a first visit.

``StyleRunner`` runs optimisations on background threads (``gan_core.style_transfer.optimise``
on one torch thread each) so a page rerun never interrupts one:

- each session has at most one unfinished run (``Busy`` otherwise), so one student can't start
  two at once;
- at most ``slots`` runs optimise at the same time (one per two usable cores by default,
  ``GAN_CLASSROOM_STYLE_SLOTS`` overrides); the others wait in order, and see how many are ahead;
- a job keeps its progress (step, loss rows, the latest preview) and its result, and can be
  stopped between two steps.

``make_example`` writes ``style_example.png`` + ``style_example.json`` (config, losses per step,
seconds, the PNG's sha256) for ``python -m gan_core style-example``; ``shipped_example`` reads
them back, checking the digest.
"""
from __future__ import annotations

import itertools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gan_core.files import PRETRAINED, checked_sidecar, sha256_file
from gan_core.style_paintings import DEFAULT_SEED, painting
from gan_core.style_transfer import FEATURES, HISTORY, NET_SEED, StyleConfig, StyleResult, optimise, validate

SAMPLES_DIR = PRETRAINED / "samples"  # the CycleGAN studio's photos, credits in its README.md
CONTENT_SAMPLES = ("astronaut.jpg", "cat.jpg", "coffee.jpg", "rocket.jpg")
EXAMPLE_FILE = "style_example.png"
EXAMPLE_CONTENT = CONTENT_SAMPLES[0]  # the astronaut (NASA, public domain)
EXAMPLE_STYLE = "swirls"  # gan_core.style_paintings, drawn at DEFAULT_SEED
EXAMPLE_CONFIG = StyleConfig()


class Busy(RuntimeError):
    """This session already has a run that has not finished."""


@dataclass
class StyleJob:
    session: str
    config: StyleConfig
    number: int  # order of arrival, for the queue
    state: str = "queued"  # queued | running | done
    step: int = 0
    rows: list = field(default_factory=list)  # (step, content, style, tv, total) per finished step
    preview: np.ndarray | None = None
    result: StyleResult | None = None
    error: str | None = None
    started: float | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)

    @property
    def finished(self) -> bool:
        return self.state == "done"

    def stop(self) -> None:
        self.stop_event.set()

    def history(self) -> dict[str, np.ndarray]:
        """The loss rows so far as HISTORY columns (a snapshot: safe while the run goes on)."""
        rows = np.array(list(self.rows), dtype=np.float64).reshape(-1, len(HISTORY))
        return {k: rows[:, i] for i, k in enumerate(HISTORY)}


def default_slots() -> int:
    raw = os.environ.get("GAN_CLASSROOM_STYLE_SLOTS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    from gan_core.pool import usable_cores

    return max(1, int(usable_cores() // 2))


class StyleRunner:
    """Background optimisations: one unfinished run per session, ``slots`` at a time."""

    KEEP = 256  # sessions remembered; a session's page keeps its own job in its session_state

    def __init__(self, slots: int | None = None):
        self.slots = slots or default_slots()
        self._gate = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self._jobs: dict[str, StyleJob] = {}  # the latest job of each session
        self._numbers = itertools.count(1)

    def active(self, session: str) -> StyleJob | None:
        """The session's unfinished job, if any."""
        job = self._jobs.get(session)
        return job if job is not None and not job.finished else None

    def submit(self, session: str, content: np.ndarray, style: np.ndarray, cfg: StyleConfig) -> StyleJob:
        validate(cfg)
        with self._lock:
            if self.active(session) is not None:
                raise Busy(session)
            job = StyleJob(session=session, config=cfg, number=next(self._numbers))
            self._jobs[session] = job
            if len(self._jobs) > self.KEEP:  # forget finished runs of long-gone sessions
                for key in [k for k, j in self._jobs.items() if j.finished][: len(self._jobs) - self.KEEP]:
                    del self._jobs[key]
        threading.Thread(target=self._run, args=(job, content, style), daemon=True,
                         name=f"style-{job.number}").start()
        return job

    def ahead(self, job: StyleJob) -> int:
        """How many runs wait before this one, or run (0 once it runs)."""
        if job.state != "queued":
            return 0
        with self._lock:
            others = [j for j in self._jobs.values() if j is not job and not j.finished]
        queued_before = sum(1 for j in others if j.state == "queued" and j.number < job.number)
        return queued_before + sum(1 for j in others if j.state == "running")

    def _run(self, job: StyleJob, content: np.ndarray, style: np.ndarray) -> None:
        def progress(step: int, values: dict, preview) -> None:
            job.rows.append((step, *(values[k] for k in HISTORY[1:])))
            job.step = step
            if preview is not None:
                job.preview = preview

        try:
            with self._gate:
                if not job.stop_event.is_set():
                    job.state, job.started = "running", time.time()
                    job.result = optimise(content, style, job.config, progress, job.stop_event.is_set)
        except Exception as err:  # a bad picture or a bug: the page says so in one sentence
            job.error = type(err).__name__
        finally:
            job.state = "done"


_RUNNER: StyleRunner | None = None
_RUNNER_LOCK = threading.Lock()


def default_runner() -> StyleRunner:
    global _RUNNER
    with _RUNNER_LOCK:
        if _RUNNER is None:
            _RUNNER = StyleRunner()
        return _RUNNER


# ---- the shipped example ---------------------------------------------------------------------------
def example_inputs() -> tuple[np.ndarray, np.ndarray]:
    """(content, style) pixels of the shipped example: the astronaut and the swirls painting."""
    from gan_core.images import decode_image

    photo = (SAMPLES_DIR / EXAMPLE_CONTENT).read_bytes()
    return decode_image(photo).pixels, painting(EXAMPLE_STYLE, 256, DEFAULT_SEED)


def make_example(out: Path, command: str) -> Path:
    """Optimise the example pair and write the PNG and its JSON sidecar into ``out``."""
    import torch

    from gan_core.images import encode_png

    content, style = example_inputs()
    cpu = time.process_time()
    result = optimise(content, style, EXAMPLE_CONFIG)
    cpu = time.process_time() - cpu
    out.mkdir(parents=True, exist_ok=True)
    png = out / EXAMPLE_FILE
    png.write_bytes(encode_png(result.image))
    h = result.history
    side = {
        "what": "neural style transfer example for the GAN family page's first visit",
        "command": command, "config": EXAMPLE_CONFIG.as_dict(), "status": result.status,
        "content": f"pretrained/samples/{EXAMPLE_CONTENT}", "style": f"painting {EXAMPLE_STYLE}",
        "style_seed": DEFAULT_SEED, "features": FEATURES, "net_seed": NET_SEED,
        "history": {k: [int(v) if k == "step" else round(float(v), 6) for v in h[k]] for k in HISTORY},
        "seconds": round(result.seconds, 2), "cpu_seconds": round(cpu, 2), "torch_threads": 1,
        "torch": torch.__version__, "file": EXAMPLE_FILE, "sha256": sha256_file(png),
    }
    path = out / "style_example.json"
    path.write_text(json.dumps(side, indent=1) + "\n", encoding="utf-8")
    return path


def shipped_example(folder: Path = PRETRAINED) -> dict | None:
    """{"image", "history", "config", "seconds", ...} of the shipped example, or None when it is
    missing or its PNG does not match the sidecar's sha256."""
    from gan_core.images import decode_image

    side, png = folder / "style_example.json", folder / EXAMPLE_FILE
    try:
        info = checked_sidecar(png, side)  # a mismatch is a ValueError: no example
        image = decode_image(png.read_bytes()).pixels
        history = {k: np.asarray(info["history"][k], dtype=np.float64) for k in HISTORY}
        config = StyleConfig(**info["config"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info | {"image": image, "history": history, "config": config}


def cli(args) -> int:
    """``python -m gan_core style-example --out DIR`` (registered in gan_core/__main__.py)."""
    path = make_example(Path(args.out), f"python -m gan_core style-example --out {args.out}")
    print(f"wrote {path}")
    return 0
