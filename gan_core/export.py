"""Turn run results into pictures and files: sample grids, PNG/GIF bytes, weight files."""
from __future__ import annotations

import io
import json
import math

import numpy as np
from PIL import Image, ImageDraw

TOY_EXTENT = 5.0  # toy plots show [-5, 5]^2 (the grid of 25 spans [-4, 4])
GRID_GREY = 60  # the padding between the cells of a sample grid


def tile(samples: np.ndarray, ncol: int | None = None, pad: int = 2, scale: int = 1) -> np.ndarray:
    """uint8 N x H x W images -> one uint8 grid image, ``ncol`` cells a row (default about
    square), ``pad`` grey pixels around every cell; empty cells of the last row stay grey.
    ``scale`` > 1 enlarges every pixel to a scale x scale block."""
    import torch
    from torchvision.utils import make_grid  # torchvision is slow to import: only when drawing

    n, h, w = samples.shape
    ncol = ncol or math.ceil(math.sqrt(n))
    cells = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.uint8)).unsqueeze(1)
    if n < ncol:  # make_grid narrows a short grid to n columns; keep the ncol asked for
        cells = torch.cat([cells, torch.full((ncol - n, 1, h, w), GRID_GREY, dtype=torch.uint8)])
    if len(cells) > 1:
        grid = make_grid(cells, nrow=ncol, padding=pad, pad_value=GRID_GREY)[0].numpy()
    else:  # make_grid hands a single image back unpadded
        grid = np.pad(samples[0], pad, constant_values=GRID_GREY)
    if scale > 1:
        grid = np.kron(grid, np.ones((scale, scale), dtype=np.uint8))
    return grid


def toy_picture(points: np.ndarray, real: np.ndarray | None = None, size: int = 360) -> np.ndarray:
    """A small RGB scatter of 2D samples (real in grey, generated in purple) as uint8 H x W x 3."""
    img = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(img)

    def to_px(p: np.ndarray) -> np.ndarray:
        return (p + TOY_EXTENT) / (2 * TOY_EXTENT) * (size - 1)

    for pts, colour, rad in ((real, (170, 170, 170), 1), (points, (91, 75, 219), 1)):
        if pts is None:
            continue
        px = to_px(np.asarray(pts, dtype=np.float64))
        px = px[np.isfinite(px).all(1)]
        for x, y in px:
            yy = size - 1 - y
            draw.ellipse([x - rad, yy - rad, x + rad, yy + rad], fill=colour)
    return np.asarray(img)


def snapshot_picture(samples: np.ndarray, scale: int = 3, ncol: int | None = None) -> np.ndarray:
    """A displayable uint8 picture for one snapshot (image grid or toy scatter)."""
    if samples.dtype == np.uint8 and samples.ndim == 3:
        return tile(samples, ncol=ncol, scale=scale)
    return toy_picture(samples)


def png_bytes(picture: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def gif_bytes(pictures: list[np.ndarray], frame_ms: int = 400, last_ms: int = 1500) -> bytes:
    """An animated GIF of the pictures (the last frame lingers)."""
    frames = [Image.fromarray(p).convert("P", palette=Image.Palette.ADAPTIVE) for p in pictures]
    durations = [frame_ms] * (len(frames) - 1) + [last_ms]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return buf.getvalue()


def timeline_gif(result, scale: int = 3) -> bytes:
    """GIF over all snapshots of a run."""
    ncol = 8 if result.config.conditional else None
    return gif_bytes([snapshot_picture(s.samples, scale, ncol) for s in result.snapshots])


def weights_bytes(result) -> bytes:
    """The generator's state dict as a torch file (load with weights_only=True)."""
    import torch

    buf = io.BytesIO()
    torch.save({k: v.contiguous() for k, v in result.generator.items()}, buf)
    return buf.getvalue()


def config_bytes(result) -> bytes:
    meta = {"config": result.config.to_dict(), "key": result.config.key, "status": result.status,
            "message": result.message, "seconds": round(result.seconds, 3), "metrics": result.metrics}
    return json.dumps(meta, indent=2, ensure_ascii=False, default=float).encode("utf-8")
