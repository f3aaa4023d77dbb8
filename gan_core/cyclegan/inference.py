"""Image in -> image out: working sizes, the network call, the cycle, and files or folders.

``translate(gen, pixels, size)`` resizes an RGB uint8 picture to a working size (multiples of
4), maps [0, 255] -> [-1, 1], runs ``gen`` under ``torch.inference_mode`` and maps back. With a
``ResnetGenerator`` this is the standard path, plain eager PyTorch in float32; with a fast-mode
generator (``fast_mode(name).generator``) the same call runs OpenVINO.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gan_core.cyclegan.checkpoints import check_name, download, is_available, load_generator
from gan_core.cyclegan.fast import fast_mode
from gan_core.files import ROOT

SIZES = ("256", "512", "original")
MAX_ORIGINAL_SIDE = 1024  # "original" is scaled down to this long side (time and memory)
SAMPLES_DIR = ROOT / "pretrained" / "samples"
SAMPLES = ("astronaut.jpg", "cat.jpg", "coffee.jpg", "rocket.jpg")  # credits: pretrained/samples/README.md
Generator = Callable[[torch.Tensor], torch.Tensor]


def working_size(width: int, height: int, size: str | int) -> tuple[int, int]:
    """(W, H) the network runs at: long side = size (256/512) or the original size capped at
    MAX_ORIGINAL_SIDE; aspect ratio kept; both sides multiples of 4 and at least 4."""
    if str(size) == "original":
        target = min(max(width, height), MAX_ORIGINAL_SIDE)
    else:
        try:
            target = int(size)
        except (TypeError, ValueError):
            target = 0
        if not 16 <= target <= 2048:
            raise ValueError(f"size must be 16..2048 or 'original', got {size!r}")
    scale = target / max(width, height)
    w = max(4, int(round(width * scale)) // 4 * 4)
    h = max(4, int(round(height * scale)) // 4 * 4)
    return w, h


def resize(pixels: np.ndarray, wh: tuple[int, int]) -> np.ndarray:
    if (pixels.shape[1], pixels.shape[0]) == wh:
        return pixels
    return np.asarray(Image.fromarray(pixels).resize(wh, Image.BICUBIC))


def to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """uint8 H x W x 3 -> float 1 x 3 x H x W in [-1, 1]."""
    x = torch.from_numpy(np.array(pixels, dtype=np.uint8, order="C")).permute(2, 0, 1).unsqueeze(0)
    return (x.float() / 127.5 - 1.0).contiguous()


def to_pixels(y: torch.Tensor) -> np.ndarray:
    """float 1 x 3 x H x W in [-1, 1] -> uint8 H x W x 3."""
    y = ((y[0].float() + 1.0) * 127.5).round_().clamp_(0, 255)
    return y.to(torch.uint8).permute(1, 2, 0).contiguous().numpy()


def run(gen: Generator, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return gen(x)


@dataclass(frozen=True)
class Translation:
    input: np.ndarray  # uint8 H x W x 3 at the working size
    output: np.ndarray  # uint8 H x W x 3
    seconds: float  # network time only
    engine: str = "pytorch"  # what ran the network: "pytorch" or "openvino" (the fast mode)


def translate(gen: Generator, pixels: np.ndarray, size: str | int = 256) -> Translation:
    """Run ``gen`` on an RGB uint8 image at the working size (see ``working_size``)."""
    small = resize(pixels, working_size(pixels.shape[1], pixels.shape[0], size))
    x = to_tensor(small)
    t0 = time.perf_counter()
    y = run(gen, x)
    seconds = time.perf_counter() - t0
    return Translation(small, to_pixels(y), seconds, getattr(gen, "engine", "pytorch"))


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a - b| of two uint8 images, in grey levels (0..255)."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel mean absolute difference of two uint8 RGB images, float32 in [0, 1]."""
    return (np.abs(a.astype(np.int16) - b.astype(np.int16)).mean(axis=2) / 255.0).astype(np.float32)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio (dB) of two uint8 images; inf when identical."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


@dataclass(frozen=True)
class Cycle:
    x: np.ndarray  # input at the working size
    g_x: np.ndarray  # G(x): translated
    f_g_x: np.ndarray  # F(G(x)): translated back
    f_x: np.ndarray  # F(x): identity mapping (x is already in F's target domain)
    recon_error: float  # mean |x - F(G(x))| in 0..255
    identity_error: float  # mean |x - F(x)| in 0..255
    seconds: float


def cycle(g: Generator, f: Generator, pixels: np.ndarray, size: str | int = 256) -> Cycle:
    """x -> G(x) -> F(G(x)) with the reconstruction error, and the identity mapping F(x)."""
    first = translate(g, pixels, size)
    x = first.input
    t0 = time.perf_counter()
    back = to_pixels(run(f, to_tensor(first.output)))
    same = to_pixels(run(f, to_tensor(x)))
    seconds = first.seconds + time.perf_counter() - t0
    return Cycle(x, first.output, back, same, mean_abs(x, back), mean_abs(x, same), seconds)


# ---- files and folders (CLI) ----------------------------------------------------------------
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")


def _targets(src: Path, dst: Path) -> list[tuple[Path, Path]]:
    """(input, output) pairs for one file or a folder; ValueError with one line when wrong."""
    if not src.exists():
        raise ValueError(f"{src}: no such file or folder")
    if src.is_dir():
        files = sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"{src}: no .jpg/.png/.webp images in this folder")
        if dst.exists() and not dst.is_dir():
            raise ValueError(f"{dst}: must be a folder when the input is a folder")
        targets = [(p, dst / f"{p.stem}.png") for p in files]
    else:
        targets = [(src, dst / f"{src.stem}.png" if dst.is_dir() else dst)]
    for _, out in targets:
        if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
            raise ValueError(f"{out}: output must end in .png, .jpg or .webp")
    return targets


def translate_paths(model: str, src: Path, dst: Path, size: str | int = 256, fast: bool = False,
                    log: Callable[[str], None] | None = None) -> list[Path]:
    """Translate one file or every image in a folder; returns the files written.

    A file -> ``dst`` (a file name, or a folder to put ``<stem>.png`` in). A folder -> ``dst``
    folder, one ``<stem>.png`` per image. Animated images are refused here (a batch should not
    silently pick a frame); the page uses their first frame and says so. ``fast``: the fast
    mode (``fast_mode``; where it falls back to PyTorch, ``log`` gets one line saying why).
    Raises ModelError or ValueError with a one-line message on bad input (the first bad image
    stops the run).
    """
    from gan_core.images import ImageError, decode_image, encode_for_path

    check_name(model)
    if str(size) != "original":
        working_size(4, 4, size)  # validates the number
    gen = None
    written = []
    for path, out in _targets(src, dst):
        try:  # decode before the (slow) model load, so a bad file fails fast
            img = decode_image(path.read_bytes(), animated="refuse", reduce_to=MAX_ORIGINAL_SIDE * 2)
        except ImageError as err:
            raise ValueError(f"{path}: {err.sentence()}") from None
        if gen is None:
            if not is_available(model):
                download(model)
            if fast:
                mode = fast_mode(model)
                gen = mode.generator
                if log and mode.reason is not None:
                    log(mode.sentence())
            else:
                gen = load_generator(model)
        result = translate(gen, img.pixels, size)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(encode_for_path(result.output, out.suffix))
        written.append(out)
        if log:
            h, w = result.output.shape[:2]
            log(f"{path} -> {out} ({w}x{h}, {result.seconds:.2f} s)")
    return written
