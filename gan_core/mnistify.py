"""A picture of a digit made to look like an MNIST digit (numpy and Pillow, no torch).

MNIST's makers took each digit's ink, fitted it into a 20 x 20 box keeping its proportions
(anti-aliased, so edges are grey), and placed that box in a 28 x 28 picture so that the
centre of mass of the ink sits at the centre. A drawing from a browser canvas or an uploaded
photo goes through the same steps here, so the networks trained on MNIST see the kind of
picture they know:

1. ``ink_from_rgba`` / ``ink_from_rgb``: how much ink each pixel holds, 0 (paper) to 1 (ink);
2. ``to_mnist``: crop to the ink's bounding box, scale its longer side to 20 pixels, centre by
   mass in 28 x 28, stretch so the darkest pixel is full ink; uint8, 0 = background (the
   project's convention for digits). ``None`` when there is no ink at all.

The networks then read uint8 / 127.5 - 1, in [-1, 1], as every digit model here does.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

SIZE, BOX = 28, 20  # MNIST's picture and the box the digit is fitted into
INK_MIN = 0.1  # a pixel with less ink than this is paper when finding the bounding box
MIN_INK_PIXELS = 3  # fewer inked pixels than this: an empty canvas (a stray click)


def ink_from_rgba(rgba: np.ndarray) -> np.ndarray:
    """Ink per pixel of an RGBA drawing (dark strokes on a light or transparent background):
    the picture is laid on white paper, then ink = 1 - brightness. float32 H x W in [0, 1]."""
    arr = np.asarray(rgba, dtype=np.float32) / 255.0
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"expected H x W x 3 or 4 pixels, got shape {arr.shape}")
    rgb = arr[..., :3]
    if arr.shape[2] == 4:
        alpha = arr[..., 3:4]
        rgb = rgb * alpha + (1.0 - alpha)  # over white paper
    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.clip(1.0 - grey, 0.0, 1.0)


def ink_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """Ink per pixel of a photo or scan: dark on light (pen on paper) or light on dark (an
    MNIST-style picture). The border decides: the background is what most of the border is."""
    ink = ink_from_rgba(rgb)
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    if np.median(border) > 0.5:  # a dark background: light strokes are the ink
        ink = 1.0 - ink
    # what the paper itself reads as (a grey photo background) is not ink
    paper = float(np.median(np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])))
    return np.clip((ink - paper) / max(1.0 - paper, 1e-6), 0.0, 1.0)


def bounding_box(ink: np.ndarray, threshold: float = INK_MIN) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the inked pixels, bottom/right exclusive; None if empty."""
    rows, cols = np.nonzero(np.asarray(ink) > threshold)
    if len(rows) < MIN_INK_PIXELS:
        return None
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, pixel centres at integer positions."""
    img = np.asarray(img, dtype=np.float64)
    total = img.sum()
    if total <= 0:
        raise ValueError("no ink")
    r, c = np.indices(img.shape)
    return float((r * img).sum() / total), float((c * img).sum() / total)


def to_mnist(ink: np.ndarray) -> np.ndarray | None:
    """An ink map (float H x W in [0, 1]) as an MNIST-style uint8 28 x 28; None if empty."""
    ink = np.asarray(ink, dtype=np.float32)
    box = bounding_box(ink)
    if box is None:
        return None
    top, bottom, left, right = box
    crop = ink[top:bottom, left:right]
    h, w = crop.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray(crop).resize((nw, nh), Image.Resampling.LANCZOS))
    small = np.clip(small, 0.0, None)
    if small.max() <= 0:
        return None
    small = small / small.max()  # the darkest pixel is full ink, as in MNIST
    # place the box so that its centre of mass lands on the picture's centre
    cr, cc = centre_of_mass(small)
    centre = (SIZE - 1) / 2
    r0, c0 = int(round(centre - cr)), int(round(centre - cc))
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    # clip the paste to the picture (a very lopsided stroke can reach past an edge)
    sr0, sc0 = max(0, -r0), max(0, -c0)
    dr0, dc0 = max(0, r0), max(0, c0)
    hh, ww = min(nh - sr0, SIZE - dr0), min(nw - sc0, SIZE - dc0)
    out[dr0:dr0 + hh, dc0:dc0 + ww] = small[sr0:sr0 + hh, sc0:sc0 + ww]
    return np.round(out * 255.0).astype(np.uint8)


def net_input(images_uint8: np.ndarray) -> np.ndarray:
    """uint8 (N x) 28 x 28, 0 = background -> float32 in [-1, 1] as the networks read them."""
    return np.asarray(images_uint8, dtype=np.float32) / 127.5 - 1.0
