"""The two domains of a CycleGAN run: 2D point sets, and handwritten or typeset digits.

* 2D sets (float32 n x 2, in data units): a ring of radius 1.5, two interleaved moons, a
  spiral arm and a slanted line, each with a little Gaussian noise.
* Handwritten digits: the shipped MNIST digits (``gan_core.data.mnist5k``), split into 4,000
  for training (the first 400 of each class) and 1,000 held out (the last 100 of each class).
* Typeset digits: the ten digits of one typeface, NanumGothic (SIL Open Font License 1.1),
  rendered once by ``python -m gan_core typeset-digits`` into ``assets/typeset_digits.npz``
  (an oblique: a few sizes, stroke weights and one-pixel shifts of each digit, placed like MNIST: a 20-pixel
  box centred on its centre of mass in 28 x 28). The app reads the file, so it needs no font.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from gan_core.data import ASSETS, mnist5k
from gan_core.files import sha256_file

TYPESET_FILE = ASSETS / "typeset_digits.npz"
TYPESET_FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"  # Debian's fonts-nanum
TYPESET_FONT_NAME = "NanumGothic"
TYPESET_LICENCE = "SIL Open Font License 1.1 (NAVER Corporation)"
HANDWRITTEN_TRAIN_PER_CLASS = 400
NOISE = 0.05


# ---- 2D point sets ------------------------------------------------------------------------
def sample_points(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points (float32, n x 2) of the 2D set ``name``."""
    if name == "ring":
        ang = rng.uniform(0, 2 * math.pi, n)
        pts = 1.5 * np.stack([np.cos(ang), np.sin(ang)], 1)
    elif name == "moons":
        t = rng.uniform(0, math.pi, n)
        upper = rng.random(n) < 0.5
        x = np.where(upper, np.cos(t), 1 - np.cos(t)) - 0.5
        y = np.where(upper, np.sin(t), 0.5 - np.sin(t)) - 0.25
        pts = 1.5 * np.stack([x, y], 1)
    elif name == "spiral":
        t = rng.uniform(0.3, 1.0, n)
        ang = 3 * math.pi * t
        pts = 2.0 * t[:, None] * np.stack([np.cos(ang), np.sin(ang)], 1)
    elif name == "line":
        s = rng.uniform(-1, 1, n)
        pts = np.stack([2.0 * s, 1.0 * s], 1)
    else:
        raise ValueError(f"unknown 2D set {name!r}")
    return (pts + rng.normal(0, NOISE, (n, 2))).astype(np.float32)


# ---- handwritten digits -------------------------------------------------------------------
def handwritten_split() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((train images, labels), (held-out images, labels)): 4,000 and 1,000 uint8 digits."""
    data = mnist5k()
    train = np.zeros(len(data), dtype=bool)
    for c in range(10):
        train[np.flatnonzero(data.labels == c)[:HANDWRITTEN_TRAIN_PER_CLASS]] = True
    return (data.images[train], data.labels[train]), (data.images[~train], data.labels[~train])


# ---- typeset digits -----------------------------------------------------------------------
def _glyph(digit: int, stroke: int, font_path: str):
    """One digit drawn large (96 px) in white on black, leaning right by TYPESET_SLANT (an
    oblique of the typeface: the classifier, trained on slanted handwriting, reads it better),
    cropped to its ink."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path, 96)
    img = Image.new("L", (160, 160), 0)
    ImageDraw.Draw(img).text((30, 10), str(digit), fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    img = img.crop(img.getbbox())
    w, h = img.size
    slanted = img.transform((w + int(TYPESET_SLANT * h) + 1, h), Image.AFFINE,
                            (1, TYPESET_SLANT, -TYPESET_SLANT * h, 0, 1, 0), resample=Image.BICUBIC)
    return slanted.crop(slanted.getbbox())


def _place(glyph, box: int, dx: int, dy: int) -> np.ndarray:
    """MNIST's placement: the long side scaled to ``box`` pixels, the centre of mass at the
    centre of 28 x 28, then shifted by (dx, dy)."""
    from PIL import Image

    w, h = glyph.size
    s = box / max(w, h)
    small = np.asarray(glyph.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS),
                       dtype=np.float32)
    ys, xs = np.mgrid[: small.shape[0], : small.shape[1]]
    cy, cx = (small * ys).sum() / small.sum(), (small * xs).sum() / small.sum()
    top = min(max(int(round(14 - cy)) + dy, 0), 28 - small.shape[0])
    left = min(max(int(round(14 - cx)) + dx, 0), 28 - small.shape[1])
    out = np.zeros((28, 28), np.float32)
    out[top : top + small.shape[0], left : left + small.shape[1]] = small
    return out.clip(0, 255).astype(np.uint8)


TYPESET_BOXES = (17, 18, 19)  # smaller boxes than MNIST's 20: the classifier reads the 6 better
TYPESET_SLANT = 0.2
TYPESET_STROKES = (3, 4, 5)
TYPESET_SHIFTS = (-1, 0, 1)


def render_typeset(font_path: str = TYPESET_FONT) -> tuple[np.ndarray, np.ndarray]:
    """Every variant of the ten digits: 3 sizes x 3 stroke weights x 9 shifts = 810 images."""
    images, labels = [], []
    for digit in range(10):
        for stroke in TYPESET_STROKES:
            glyph = _glyph(digit, stroke, font_path)
            for box in TYPESET_BOXES:
                for dy in TYPESET_SHIFTS:
                    for dx in TYPESET_SHIFTS:
                        images.append(_place(glyph, box, dx, dy))
                        labels.append(digit)
    return np.stack(images), np.asarray(labels, dtype=np.uint8)


def write_typeset(out: Path = TYPESET_FILE, font_path: str = TYPESET_FONT, command: str = "") -> Path:
    """Render the typeset set into ``out`` (npz) with a JSON sidecar naming font and licence."""
    images, labels = render_typeset(font_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, images=images, labels=labels)
    meta = {"what": "typeset digits for the handwritten <-> typeset CycleGAN", "command": command,
            "font": TYPESET_FONT_NAME, "font_file": Path(font_path).name,
            "font_sha256": sha256_file(font_path), "licence": TYPESET_LICENCE, "boxes": TYPESET_BOXES,
            "strokes": TYPESET_STROKES, "shifts": TYPESET_SHIFTS, "slant": TYPESET_SLANT,
            "images": len(labels), "sha256": sha256_file(out)}
    out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    typeset.cache_clear()
    return out


@lru_cache(maxsize=1)
def typeset() -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 N x 28 x 28, labels) of the shipped typeset set."""
    with np.load(TYPESET_FILE, allow_pickle=False) as z:
        return z["images"], z["labels"]


def digit_images(name: str, part: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images, labels) of a digit domain; ``part``: "train" or "heldout" (handwritten)."""
    if name == "typeset":
        return typeset()
    if name == "handwritten":
        train, held = handwritten_split()
        return train if part == "train" else held
    raise ValueError(f"unknown digit set {name!r}")
