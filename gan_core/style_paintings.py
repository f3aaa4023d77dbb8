"""Style pictures made by code: procedural "paintings" drawn from a seed (no files, no licences).

Neural style transfer needs a style picture whose textures and colours it can copy. Shipping
paintings would cost bytes and licence checks; these are drawn on demand in a few milliseconds
with Pillow from a fixed seed, so every server draws the same picture:

swirls   short curved brush strokes along a swirling flow, night blues and yellows
mosaic   stained glass: Voronoi tiles in warm colours with dark lead lines
waves    bands of stylised waves in indigo and cream, like a woodblock print
dots     pointillism: thousands of small dots of pure colour on a light ground

``painting(name, size, seed)`` returns RGB uint8 pixels (size x size x 3).
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

PAINTINGS = ("swirls", "mosaic", "waves", "dots")
DEFAULT_SEED = 7

PALETTES = {
    "swirls": ((18, 36, 92), (38, 72, 150), (78, 120, 196), (150, 186, 224), (238, 206, 80), (250, 236, 170)),
    "mosaic": ((176, 38, 34), (226, 120, 32), (240, 192, 58), (54, 120, 84), (40, 84, 150), (120, 52, 120)),
    "waves": ((20, 40, 86), (46, 84, 140), (110, 152, 190), (236, 228, 204), (250, 246, 234)),
    "dots": ((222, 74, 60), (244, 170, 48), (250, 222, 90), (92, 168, 92), (60, 120, 200), (150, 96, 180)),
}


def _jitter(rng: np.random.Generator, colour: tuple[int, ...], amount: int = 14) -> tuple[int, ...]:
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in colour)


def _swirls(size: int, rng: np.random.Generator) -> Image.Image:
    pal = PALETTES["swirls"]
    im = Image.new("RGB", (size, size), pal[0])
    draw = ImageDraw.Draw(im)
    centres = rng.uniform(0, size, (4, 2))
    spins = rng.choice([-1.0, 1.0], 4)
    width = max(2, size // 64)
    for _ in range(int(2.2 * size * size / 100)):
        x, y = rng.uniform(0, size, 2)
        d = np.hypot(centres[:, 0] - x, centres[:, 1] - y)
        near = int(np.argmin(d))
        # the nearest whirl's centre decides the colour: bright near it, dark blue far out
        tone = np.clip(1.0 - d[near] / (0.45 * size), 0, 1) + rng.normal(0, 0.18)
        colour = _jitter(rng, pal[int(np.clip(tone * len(pal), 1, len(pal) - 1))])
        pts = [(x, y)]
        for _ in range(5):  # follow the swirl: perpendicular to the way to the nearest centre
            dx, dy = x - centres[near, 0], y - centres[near, 1]
            norm = np.hypot(dx, dy) + 1e-6
            x += spins[near] * -dy / norm * size / 60 + 0.3 * np.sin(y / size * 9)
            y += spins[near] * dx / norm * size / 60 + 0.3 * np.cos(x / size * 9)
            pts.append((x, y))
        draw.line(pts, fill=colour, width=width, joint="curve")
    return im


def _mosaic(size: int, rng: np.random.Generator) -> Image.Image:
    pal = PALETTES["mosaic"]
    n = max(12, size * size // 700)
    seeds = rng.uniform(0, size, (n, 2))
    colours = np.array([_jitter(rng, pal[i], 24) for i in rng.integers(0, len(pal), n)], dtype=np.uint8)
    yy, xx = np.mgrid[0:size, 0:size]
    d = (xx[..., None] - seeds[:, 0]) ** 2 + (yy[..., None] - seeds[:, 1]) ** 2
    part = np.partition(d, 1, axis=2)
    owner = np.argmin(d, axis=2)
    edge = np.sqrt(part[..., 1]) - np.sqrt(part[..., 0]) < max(1.5, size / 110)  # between two tiles: lead
    shade = 0.82 + 0.18 * np.sin(xx / size * 11 + yy / size * 7)[..., None]  # a little glass texture
    pixels = (colours[owner] * shade).clip(0, 255).astype(np.uint8)
    pixels[edge] = (24, 20, 22)
    return Image.fromarray(pixels)


def _waves(size: int, rng: np.random.Generator) -> Image.Image:
    pal = PALETTES["waves"]
    im = Image.new("RGB", (size, size), pal[4])
    draw = ImageDraw.Draw(im)
    band = size / 9
    xs = np.linspace(-4, size + 4, 96)
    for row in range(-1, 11):
        phase, amp = rng.uniform(0, 2 * np.pi), band * rng.uniform(0.25, 0.45)
        base = row * band
        for k, colour in enumerate((pal[0], pal[1], pal[2], pal[3])):
            off = base + k * band / 4.5
            ys = off + amp * np.sin(xs / size * 2 * np.pi * 2.5 + phase)
            draw.line(list(zip(xs, ys, strict=True)), fill=_jitter(rng, colour, 8),
                      width=max(2, int(band / 4.2)))
        for x0 in rng.uniform(0, size, 3):  # foam: white crests with small curls
            y0 = base + amp * np.sin(x0 / size * 2 * np.pi * 2.5 + phase)
            r = band * 0.22
            draw.arc((x0 - r, y0 - r, x0 + r, y0 + r), 180, 360, fill=pal[4], width=max(1, size // 128))
    return im


def _dots(size: int, rng: np.random.Generator) -> Image.Image:
    pal = PALETTES["dots"]
    im = Image.new("RGB", (size, size), (246, 240, 224))
    draw = ImageDraw.Draw(im)
    yy = rng.uniform(0, size, int(1.1 * size * size / 16))
    xx = rng.uniform(0, size, yy.size)
    # the colour follows a soft landscape: warm sky above, green and blue below
    for x, y in zip(xx, yy, strict=True):
        zone = y / size + 0.12 * np.sin(x / size * 6) + rng.normal(0, 0.12)
        idx = int(np.clip(zone * 4.2, 0, 3.99)) + (2 if zone > 0.5 else 0)
        colour = _jitter(rng, pal[min(idx, len(pal) - 1)], 20)
        r = rng.uniform(0.9, 1.6) * size / 128
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return im


_MAKERS = {"swirls": _swirls, "mosaic": _mosaic, "waves": _waves, "dots": _dots}


def painting(name: str, size: int = 256, seed: int = DEFAULT_SEED) -> np.ndarray:
    """RGB uint8 pixels (size x size x 3) of the named procedural painting."""
    if name not in _MAKERS:
        raise ValueError(f"unknown painting {name!r}: choose one of {', '.join(PAINTINGS)}")
    if not 16 <= size <= 1024:
        raise ValueError("size must be from 16 to 1024")
    rng = np.random.default_rng([seed, PAINTINGS.index(name)])
    im = _MAKERS[name](size, rng)
    if name != "mosaic":
        im = im.filter(ImageFilter.SMOOTH)  # soften the pixel steps of Pillow's lines
    return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
