"""2D data a student draws: cells of a square lattice, a short code for links, and its modes.

The plane from -4 to 4 is cut into a ``SIDE`` x ``SIDE`` lattice (spacing 0.25). A drawing is
the set of lattice cells the student filled. Samples of the drawn set are filled cells picked
uniformly at random plus Gaussian noise of std ``SIGMA``, so a single cell is a small round
blob and neighbouring cells merge into one shape.

**Modes of a drawing**: filled cells that touch (the 8 cells around a cell count as touching)
form one mode, so three separate blobs are three modes, whatever their shapes. A generated
point belongs to the mode of its nearest filled cell and is high quality within 3 * SIGMA of
that cell, the same rule as for the ring and the grid.

**The code**: the lattice as a bitmap (one bit per cell), compressed with zlib and written in
URL-safe base64. A drawing of any size fits in about 200 characters, short enough for a link.
No torch and no numpy at import: the config module validates codes before the engine loads.
"""
from __future__ import annotations

import base64
import binascii
import zlib

SIDE = 33  # lattice cells per side
EXTENT = 4.0  # the lattice spans -EXTENT..EXTENT on both axes
SPACING = 2 * EXTENT / (SIDE - 1)
SIGMA = 0.08  # noise around a filled cell (a single cell's blob)
MAX_CODE = 400  # characters; longer text is not a drawing
NBYTES = (SIDE * SIDE + 7) // 8  # the bitmap's size
NAME_PREFIX = "drawn:"  # toy-set name of a drawing: "drawn:<code>"


class DrawingError(ValueError):
    """Text that is not a drawing's code (reason: 'empty', 'too_long', 'unreadable')."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"not a drawing ({reason})")


def encode(cells) -> str:
    """Code of the filled cells ``cells`` (pairs (i, j), 0 <= i, j < SIDE; i along x)."""
    bits = bytearray(NBYTES)
    for i, j in cells:
        if not (0 <= i < SIDE and 0 <= j < SIDE):
            raise ValueError(f"cell {(i, j)} is outside the {SIDE} x {SIDE} lattice")
        n = int(j) * SIDE + int(i)
        bits[n // 8] |= 1 << (n % 8)
    return base64.urlsafe_b64encode(zlib.compress(bytes(bits), 9)).decode().rstrip("=")


def decode(code: str) -> list[tuple[int, int]]:
    """Filled cells of a code, sorted; raises DrawingError for anything else (never crashes)."""
    text = str(code).strip()
    if not text:
        raise DrawingError("empty")
    if len(text) > MAX_CODE:
        raise DrawingError("too_long")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        bits = zlib.decompressobj().decompress(raw, NBYTES + 1)  # capped: no zip bombs
    except (binascii.Error, ValueError, zlib.error):
        raise DrawingError("unreadable") from None
    if len(bits) != NBYTES:
        raise DrawingError("unreadable")
    cells = [(n % SIDE, n // SIDE) for n in range(SIDE * SIDE) if bits[n // 8] >> (n % 8) & 1]
    if not cells:
        raise DrawingError("empty")
    return sorted(cells)


def cell_xy(i: int, j: int) -> tuple[float, float]:
    """The plane coordinates of a cell's centre."""
    return -EXTENT + i * SPACING, -EXTENT + j * SPACING


def nearest_cell(x: float, y: float) -> tuple[int, int]:
    """The lattice cell closest to a point of the plane (clamped to the lattice)."""
    def idx(v: float) -> int:
        return min(SIDE - 1, max(0, round((v + EXTENT) / SPACING)))

    return idx(x), idx(y)


def groups(cells) -> list[int]:
    """Mode index of every cell (in the order given): cells that touch share a mode; modes are
    numbered by their first cell in that order."""
    cells = [tuple(c) for c in cells]
    index = {c: n for n, c in enumerate(cells)}
    label = [-1] * len(cells)
    next_label = 0
    for start in range(len(cells)):
        if label[start] >= 0:
            continue
        label[start] = next_label
        stack = [cells[start]]
        while stack:
            i, j = stack.pop()
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    n = index.get((i + di, j + dj))
                    if n is not None and label[n] < 0:
                        label[n] = next_label
                        stack.append(cells[n])
        next_label += 1
    return label


def is_drawn(name: str) -> bool:
    return name.startswith(NAME_PREFIX)


def set_name(code: str) -> str:
    """The toy-set name the data and mode functions take for a drawing."""
    return NAME_PREFIX + code
