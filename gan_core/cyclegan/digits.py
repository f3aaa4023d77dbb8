"""The shipped digits CycleGAN: handwritten <-> typeset, unpaired, made by the project itself.

``python -m gan_core cycle-digits --out pretrained/`` trains the ``cycle-digits`` preset
(``gan_core.cycle_train``) and writes ``cycle_digits.pt`` (G and F in float16, the per-loss
history) with a JSON sidecar: the command, config, data files and their SHA-256, the measured
quality and the weights' SHA-256. It is read with ``torch.load(weights_only=True)`` after its
SHA-256 is checked against the sidecar.

Two model names for ``python -m gan_core translate``: ``digits-typeset`` runs G (handwritten ->
typeset) and ``digits-handwritten`` runs F (typeset -> handwritten), on 28 x 28 grey pictures.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan_core import cycle_data
from gan_core.classifier import load_classifier, predict_proba
from gan_core.cycle_config import CYCLE_PRESETS, CycleConfig, from_dict
from gan_core.cycle_train import HISTORY_COLUMNS, build_generator, to_flat, to_images, train_cycle
from gan_core.data import MNIST5K_FILE
from gan_core.files import PRETRAINED, sha256_file

DIGITS_FILE = PRETRAINED / "cycle_digits.pt"
# model name -> which generator: G maps handwritten to typeset, F maps back
DIGIT_MODELS = {"digits-typeset": "g", "digits-handwritten": "f"}
KEEP_DIGITS = 1000  # held-out handwritten digits the quality numbers are measured on


class DigitsModelError(RuntimeError):
    """The shipped digits model is missing or does not match its sidecar."""


@dataclass(frozen=True)
class DigitsModel:
    config: CycleConfig
    g: torch.nn.Module  # handwritten -> typeset
    f: torch.nn.Module  # typeset -> handwritten
    history: dict[str, np.ndarray]
    info: dict  # the sidecar

    def run(self, which: str, images_uint8: np.ndarray) -> np.ndarray:
        """G ("g") or F ("f") on uint8 N x 28 x 28 digits (white on black) -> uint8 N x 28 x 28."""
        net = self.g if which == "g" else self.f
        with torch.inference_mode():
            return to_images(net(to_flat(np.asarray(images_uint8, dtype=np.uint8))))


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


_lock = threading.Lock()
_loaded: dict[str, DigitsModel] = {}


def load(path: Path = DIGITS_FILE) -> DigitsModel:
    """The shipped model (checked against its sidecar's SHA-256), loaded once per process."""
    key = str(Path(path).resolve())
    with _lock:
        if key in _loaded:
            return _loaded[key]
        try:
            info = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
            if sha256_file(path) != info["sha256"]:
                raise DigitsModelError(f"{path.name} does not match the SHA-256 in its sidecar")
            raw = torch.load(path, map_location="cpu", weights_only=True)
            cfg = from_dict(json.loads(raw["config"]))
            g, f = build_generator(cfg), build_generator(cfg)
            g.load_state_dict({k: v.float() for k, v in raw["g"].items()})
            f.load_state_dict({k: v.float() for k, v in raw["f"].items()})
        except DigitsModelError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise DigitsModelError(f"the digits model could not be read ({type(err).__name__})") from None
        for p in [*g.parameters(), *f.parameters()]:
            p.requires_grad_(False)
        history = {k: v.numpy() for k, v in raw["history"].items()}
        model = DigitsModel(cfg, g.eval(), f.eval(), history, info)
        _loaded[key] = model
        return model


# ---- measured quality --------------------------------------------------------------------------
def quality(model: DigitsModel) -> dict[str, float]:
    """What the classifier reads (it never saw the typeset set or G's outputs):

    typeset_accuracy: on the typeset set itself; keep_g: G(x) read as x's digit, over the
    1,000 held-out handwritten digits; keep_fg: F(G(x)) read as x's digit; plus the round trips
    (mean absolute grey-level difference on the 0..1 scale) of those digits and of the typeset set.
    """
    classifier = load_classifier()
    ty, ty_labels = cycle_data.typeset()
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    held, labels = held[:KEEP_DIGITS], labels[:KEEP_DIGITS]
    gx = model.run("g", held)
    fgx = model.run("f", gx)
    gfy = model.run("g", model.run("f", ty))
    read = lambda imgs: predict_proba(imgs, classifier).argmax(1)  # noqa: E731
    grey = lambda a, b: float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255)  # noqa: E731
    return {
        "typeset_accuracy": round(float((read(ty) == ty_labels).mean()), 4),
        "keep_g": round(float((read(gx) == labels).mean()), 4),
        "keep_fg": round(float((read(fgx) == labels).mean()), 4),
        "round_trip_x": round(grey(held, fgx), 5),
        "round_trip_y": round(grey(ty, gfy), 5),
        "heldout_digits": int(len(labels)),
    }


# ---- making the shipped file ------------------------------------------------------------------
def make(out_dir: Path, command: str, cfg: CycleConfig | None = None,
         log: Callable[[str], None] = print) -> Path:
    """Train ``cfg`` (the cycle-digits preset) and write ``cycle_digits.pt`` + its sidecar."""
    cfg = cfg or CYCLE_PRESETS["cycle-digits"]

    def progress(step: int, values: dict[str, float]) -> None:
        if step % max(1, cfg.steps // 10) < max(1, cfg.steps // 100):
            log(f"step {step}/{cfg.steps}: " + ", ".join(f"{k} {v:.3f}" for k, v in values.items()))

    run = train_cycle(cfg, progress)
    path = Path(out_dir) / DIGITS_FILE.name
    path.parent.mkdir(parents=True, exist_ok=True)
    half = lambda sd: {k: v.to(torch.float16).contiguous() for k, v in sd.items()}  # noqa: E731
    torch.save({"config": cfg.to_json(), "g": half(run.g_state), "f": half(run.f_state),
                "history": {k: torch.from_numpy(np.asarray(run.history[k], dtype=np.float32))
                            for k in HISTORY_COLUMNS}}, path)
    side = {"what": "CycleGAN between handwritten digits (MNIST) and typeset digits (NanumGothic), unpaired",
            "command": command, "config": cfg.to_dict(), "torch": torch.__version__,
            "train_seconds": round(run.seconds, 1), "torch_threads": torch.get_num_threads(),
            "data": {
                "handwritten": {"file": "gan_core/assets/mnist_5k.npz", "sha256": sha256_file(MNIST5K_FILE),
                                "train": "first 400 of each class", "heldout": "last 100 of each class",
                                "licence": "MNIST (LeCun, Cortes, Burges), CC BY-SA 3.0"},
                "typeset": {"file": "gan_core/assets/typeset_digits.npz",
                            "sha256": sha256_file(cycle_data.TYPESET_FILE),
                            "font": cycle_data.TYPESET_FONT_NAME, "licence": cycle_data.TYPESET_LICENCE}},
            "weights": "G and F in float16", "sha256": sha256_file(path)}
    sidecar_path(path).write_text(json.dumps(side, indent=2) + "\n", encoding="utf-8")
    with _lock:
        _loaded.pop(str(path.resolve()), None)
    side["quality"] = quality(load(path))
    log(f"quality: {side['quality']}")
    sidecar_path(path).write_text(json.dumps(side, indent=2) + "\n", encoding="utf-8")
    return path


# ---- files (the translate command) ------------------------------------------------------------
def read_grey(data: bytes) -> np.ndarray:
    """A picture's bytes -> uint8 28 x 28, white digit on black (a light background is inverted)."""
    from PIL import Image

    from gan_core.images import decode_image

    pixels = decode_image(data, animated="refuse").pixels.astype(np.float32).mean(axis=2)
    if pixels.shape != (28, 28):
        pixels = np.asarray(Image.fromarray(pixels.round().astype(np.uint8)).resize((28, 28), Image.LANCZOS),
                            dtype=np.float32)
    if np.median(pixels) > 127:
        pixels = 255 - pixels
    return pixels.round().clip(0, 255).astype(np.uint8)


def translate_paths(model_name: str, src: Path, dst: Path,
                    log: Callable[[str], None] | None = None) -> list[Path]:
    """Translate a 28 x 28 grey PNG (or every picture in a folder) with G or F; PNGs out."""
    from PIL import Image

    from gan_core.cyclegan.inference import _targets
    from gan_core.images import ImageError

    targets = _targets(src, dst)
    model = load()
    written = []
    for path, out in targets:
        try:
            digit = read_grey(path.read_bytes())
        except ImageError as err:
            raise ValueError(f"{path}: {err.sentence()}") from None
        result = model.run(DIGIT_MODELS[model_name], digit[None])[0]
        out.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(result).save(out)  # uint8 H x W: a grey picture
        written.append(out)
        if log:
            log(f"{path} -> {out} (28x28)")
    return written
