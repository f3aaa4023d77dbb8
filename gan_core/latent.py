"""Walking through a trained generator's latent space (what nz means, made visible).

* ``interpolate(z0, z1, n, mode)`` -- n points from z0 to z1, straight ("linear") or along the
  great circle between them ("spherical", slerp). Gaussian noise of size nz lives near a sphere
  of radius sqrt(nz); the straight line cuts inside it (its midpoint is shorter), slerp keeps
  the length in between, so the midpoint frames look as typical as the ends.
* ``interpolation_strip(result, ...)`` -- those points pushed through the run's generator.
* ``coordinate_sweep(result, ...)`` -- one latent coordinate varied at a time, the rest fixed.

Images come back as uint8 (frames x 28 x 28), like every other sample in the engine.
"""
from __future__ import annotations

import numpy as np
import torch

from gan_core.train import RunResult, load_generator, to_uint8

MODES = ("linear", "spherical")
MAX_FRAMES = 64
SWEEP_RANGE = 3.0  # coordinates are swept over [-3, 3] standard deviations


def noise(nz: int, seed: int) -> np.ndarray:
    """One standard-normal latent vector (float32, length nz), reproducible from ``seed``."""
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randn(nz, generator=gen).numpy()


def lerp(z0: np.ndarray, z1: np.ndarray, n: int) -> np.ndarray:
    """n points on the straight segment from z0 to z1 (both ends included): n x nz."""
    t = np.linspace(0.0, 1.0, n, dtype=np.float64)[:, None]
    return ((1 - t) * z0[None].astype(np.float64) + t * z1[None].astype(np.float64)).astype(np.float32)


def slerp(z0: np.ndarray, z1: np.ndarray, n: int) -> np.ndarray:
    """n points along the arc from z0 to z1 (spherical interpolation, ends included): n x nz.

    The direction turns at a constant rate from z0's to z1's while the length changes linearly
    from |z0| to |z1|. Nearly parallel vectors fall back to the straight line.
    """
    a, b = z0.astype(np.float64), z1.astype(np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return lerp(z0, z1, n)
    ua, ub = a / na, b / nb
    omega = np.arccos(np.clip(np.dot(ua, ub), -1.0, 1.0))
    if omega < 1e-6:
        return lerp(z0, z1, n)
    t = np.linspace(0.0, 1.0, n)[:, None]
    direction = (np.sin((1 - t) * omega) * ua + np.sin(t * omega) * ub) / np.sin(omega)
    length = (1 - t) * na + t * nb
    out = direction * length
    out[0], out[-1] = a, b  # exact ends (no rounding drift)
    return out.astype(np.float32)


def interpolate(z0: np.ndarray, z1: np.ndarray, n: int, mode: str = "spherical") -> np.ndarray:
    if mode not in MODES:
        raise ValueError(f"unknown interpolation {mode!r}: use one of {', '.join(MODES)}")
    if not 2 <= n <= MAX_FRAMES:
        raise ValueError(f"frames must be from 2 to {MAX_FRAMES}")
    return slerp(z0, z1, n) if mode == "spherical" else lerp(z0, z1, n)


@torch.no_grad()
def render(result: RunResult, zs: np.ndarray, label: int | None = None) -> np.ndarray:
    """Push latent vectors (n x nz) through the run's generator: uint8 n x 28 x 28."""
    cfg = result.config
    if not cfg.is_image:
        raise ValueError("latent strips need an image run")
    zs = np.asarray(zs, dtype=np.float32)
    if zs.ndim != 2 or zs.shape[1] != cfg.nz:
        raise ValueError(f"expected n x {cfg.nz} latent vectors, got {zs.shape}")
    y = None
    if cfg.conditional:
        digit = 0 if label is None else int(label)
        if not 0 <= digit <= 9:
            raise ValueError("label must be a digit 0-9")
        y = torch.full((len(zs),), digit, dtype=torch.long)
    g = load_generator(result)
    return to_uint8(g(torch.from_numpy(zs), y))


def interpolation_strip(result: RunResult, seed_a: int, seed_b: int, frames: int = 10,
                        mode: str = "spherical", label: int | None = None) -> np.ndarray:
    """Frames from the image of noise ``seed_a`` to that of ``seed_b``: uint8 frames x 28 x 28."""
    nz = result.config.nz
    zs = interpolate(noise(nz, seed_a), noise(nz, seed_b), frames, mode)
    return render(result, zs, label)


def coordinate_sweep(result: RunResult, seed: int, dims: list[int], steps: int = 9,
                     span: float = SWEEP_RANGE, label: int | None = None) -> np.ndarray:
    """For each coordinate in ``dims``, set it to ``steps`` values in [-span, span] while the
    other coordinates keep the values of noise ``seed``: uint8 len(dims) x steps x 28 x 28."""
    nz = result.config.nz
    dims = [int(d) for d in dims]
    if not dims or any(not 0 <= d < nz for d in dims):
        raise ValueError(f"coordinates must be from 0 to {nz - 1}")
    if not 2 <= steps <= MAX_FRAMES:
        raise ValueError(f"steps must be from 2 to {MAX_FRAMES}")
    base = noise(nz, seed)
    values = np.linspace(-span, span, steps, dtype=np.float32)
    zs = np.repeat(base[None], len(dims) * steps, axis=0)
    for row, d in enumerate(dims):
        zs[row * steps : (row + 1) * steps, d] = values
    return render(result, zs, label).reshape(len(dims), steps, 28, 28)


def most_active_dims(result: RunResult, seed: int, k: int = 4, span: float = SWEEP_RANGE,
                     label: int | None = None) -> list[int]:
    """The k coordinates whose sweep from -span to +span changes the image most (pixel L1)."""
    nz = result.config.nz
    base = noise(nz, seed)
    lo = np.repeat(base[None], nz, axis=0)
    hi = lo.copy()
    idx = np.arange(nz)
    lo[idx, idx], hi[idx, idx] = -span, span
    a = render(result, lo, label).astype(np.int32)
    b = render(result, hi, label).astype(np.int32)
    change = np.abs(a - b).reshape(nz, -1).sum(1)
    return [int(i) for i in np.argsort(-change, kind="stable")[: min(k, nz)]]
