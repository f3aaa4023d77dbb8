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
from gan_core.cycle_nets import build_generator
from gan_core.cycle_train import history_columns, to_flat, to_images, train_cycle
from gan_core.data import MNIST5K_FILE
from gan_core.files import PRETRAINED, SidecarMismatch, checked_sidecar, sha256_file

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
        return _on_digits(self.g if which == "g" else self.f, images_uint8)

    def aligned(self, which: str, images_uint8: np.ndarray) -> np.ndarray | None:
        """The first of an aligned generator's two steps (its affine transform alone) on uint8
        digits; None for generators without one."""
        net = self.g if which == "g" else self.f
        return _on_digits(net.align, images_uint8) if hasattr(net, "align") else None


def _on_digits(step: Callable[[torch.Tensor], torch.Tensor], images_uint8: np.ndarray) -> np.ndarray:
    """``step`` (a generator or one of its parts) on uint8 digits, without gradients -> uint8."""
    with torch.inference_mode():
        return to_images(step(to_flat(np.asarray(images_uint8, dtype=np.uint8))))


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
            info = checked_sidecar(path, sidecar_path(path))
            raw = torch.load(path, map_location="cpu", weights_only=True)
            cfg = from_dict(json.loads(raw["config"]))
            g, f = build_generator(cfg), build_generator(cfg)
            g.load_state_dict({k: v.float() for k, v in raw["g"].items()})
            f.load_state_dict({k: v.float() for k, v in raw["f"].items()})
        except SidecarMismatch as err:
            raise DigitsModelError(str(err)) from None
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
    (mean absolute grey-level difference on the 0..1 scale) of those digits and of the typeset set;
    and how typeset G(x) looks and where the handwriting hides (``typeface_and_hiding``).
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
        **typeface_and_hiding(model, held, labels),
    }


# ---- how much G(x) looks like the typeface, and where it hides the handwriting ------------------
HIDE_NOISE = (2, 4, 8)  # grey levels (of 255) of uniform noise added to G(x) before F
HIDE_LEVELS = 8  # G(x) rounded to this many grey levels before F


def grey_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean |a_i - b_j| per pixel, in grey levels (0..255), for every pair: len(a) x len(b)."""
    flat = lambda v: torch.from_numpy(v.reshape(len(v), -1).astype(np.float32))  # noqa: E731
    return (torch.cdist(flat(a), flat(b), p=1) / a[0].size).numpy()


def class_spread(images: np.ndarray, labels: np.ndarray) -> float:
    """How much digits of one class differ from one another: the mean grey-level distance over
    all pairs of different pictures of a class, averaged over the ten classes."""
    out = []
    for c in range(10):
        d = grey_distances(images[labels == c], images[labels == c])
        out.append(d.sum() / (len(d) * (len(d) - 1)))
    return float(np.mean(out))


def nearest_typeset(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each picture, the typeset digit of its class closest to it: (grey-level distances,
    indices into ``cycle_data.typeset()``)."""
    ty, ty_labels = cycle_data.typeset()
    dist, index = np.empty(len(images)), np.empty(len(images), dtype=np.int64)
    for c in range(10):
        mine, theirs = labels == c, np.flatnonzero(ty_labels == c)
        if not mine.any():
            continue
        d = grey_distances(images[mine], ty[theirs])
        dist[mine], index[mine] = d.min(1), theirs[d.argmin(1)]
    return dist, index


def judged_typeset(images: np.ndarray) -> float:
    """Share of pictures whose nearest neighbour (Euclidean, on the pixels) among the 4,000
    handwritten training digits and the typeset set is a typeset digit: a judge that only
    compares pixels, and knows nothing of CycleGANs."""
    (hand, _), _ = cycle_data.handwritten_split()
    ty, _ = cycle_data.typeset()
    flat = lambda v: torch.from_numpy(v.reshape(len(v), -1).astype(np.float32))  # noqa: E731
    near = lambda ref: torch.cdist(flat(images), flat(ref)).min(1).values  # noqa: E731
    return float((near(ty) < near(hand)).float().mean())


def noisy(images: np.ndarray, amplitude: float, seed: int = 0) -> np.ndarray:
    """uint8 pictures plus uniform noise of at most +-amplitude grey levels."""
    rng = np.random.default_rng(seed)
    return np.clip(images + rng.uniform(-amplitude, amplitude, images.shape), 0, 255).round().astype(np.uint8)


def quantised(images: np.ndarray, levels: int = HIDE_LEVELS) -> np.ndarray:
    """uint8 pictures rounded to ``levels`` grey levels (a faint-detail eraser)."""
    step = 255 / (levels - 1)
    return (np.round(images / step) * step).round().astype(np.uint8)


def typeface_and_hiding(model: DigitsModel, held: np.ndarray, labels: np.ndarray) -> dict:
    """In grey levels (0..255) per pixel, on the held-out handwritten digits x:

    typeface: how far from the typeface x and G(x) are (``near_*``: the nearest typeset digit of
    the same class), how alike the pictures of one class are (``spread_*``, with the typeset
    set's own spread, from its sizes, weights and shifts) and the share a pixel judge calls
    typeset (``judged_*``). hiding: F(G(x)) against x (``back``); F applied to the nearest
    typeset digit instead of G(x) (``back_nearest``: what F could do if G(x) carried only the
    digit); and F after faint noise or after rounding to a few grey levels."""
    ty, ty_labels = cycle_data.typeset()
    gx = model.run("g", held)
    near_gx, index = nearest_typeset(gx, labels)
    r3 = lambda v: round(float(v), 3)  # noqa: E731
    back = lambda imgs: r3(grey_distances_pairwise(held, model.run("f", imgs)))  # noqa: E731
    typeface = {"near_x": r3(nearest_typeset(held, labels)[0].mean()), "near_gx": r3(near_gx.mean()),
                "spread_x": r3(class_spread(held, labels)), "spread_gx": r3(class_spread(gx, labels)),
                "spread_typeset": r3(class_spread(ty, ty_labels)),
                "judged_x": r3(judged_typeset(held)), "judged_gx": r3(judged_typeset(gx))}
    hiding = {"g_change": r3(grey_distances_pairwise(held, gx)), "back": back(gx),
              "back_nearest": back(ty[index]),
              **{f"back_noise_{a}": back(noisy(gx, a)) for a in HIDE_NOISE},
              f"back_levels_{HIDE_LEVELS}": back(quantised(gx))}
    return {"typeface": typeface, "hiding": hiding}


def grey_distances_pairwise(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a_i - b_i| per pixel in grey levels, over matching pairs."""
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


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
                            for k in history_columns(cfg)}}, path)
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


# ---- a short run of one's own (the page's loss switches) ----------------------------------------
LIVE_STEPS = 300  # a few hundred steps of the preset: about 45 s on one thread (the aligned generators)
LIVE_DIGITS = 200  # held-out handwritten digits a short run is measured on (20 per class)


def live_config(lambda_cycle: float, lambda_id: float, adversarial: bool,
                steps: int | None = None) -> CycleConfig:
    """The shipped preset, cut to ``steps`` (LIVE_STEPS unless given), with the page's three
    loss switches."""
    w = 1.0 if adversarial else 0.0
    return CYCLE_PRESETS["cycle-digits"].replace(lambda_cycle=float(lambda_cycle), lambda_id=float(lambda_id),
                                                 w_adv_g=w, w_adv_f=w, steps=int(steps or LIVE_STEPS))


def live_measure(g: torch.nn.Module, f: torch.nn.Module) -> dict:
    """A short run's G and F on LIVE_DIGITS held-out digits: how often the classifier still reads
    x's digit in G(x) and in F(G(x)), how far F(G(x)) and G(x) land from x (grey levels), and one
    digit of each class (x, G(x), F(G(x))) to draw."""
    classifier = load_classifier()
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    pick = np.concatenate([np.flatnonzero(labels == c)[: LIVE_DIGITS // 10] for c in range(10)])
    x, lab = held[pick], labels[pick]
    with torch.inference_mode():
        gx = to_images(g(to_flat(x)))
        fgx = to_images(f(to_flat(gx)))
    read = predict_proba(np.concatenate([gx, fgx]), classifier).argmax(1)
    first = np.searchsorted(lab, np.arange(10))
    return {"keep_g": float((read[: len(x)] == lab).mean()), "keep_fg": float((read[len(x):] == lab).mean()),
            "back": grey_distances_pairwise(x, fgx), "g_change": grey_distances_pairwise(x, gx),
            "x": x[first], "g_x": gx[first], "f_g_x": fgx[first], "digits": len(x)}


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
