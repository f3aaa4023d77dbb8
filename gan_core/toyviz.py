"""What a toy run looks like inside, per snapshot: D's map, G's warped grid and G's pull.

``snapshot_extras(trainer)`` is called by the trainer at every snapshot of a 2D run and
returns small numpy arrays that are stored with the snapshot (and in the run cache):

* ``heat``      HEAT x HEAT float32: D's verdict over the plane (probability "real" for the
                minimax / non-saturating losses, the raw critic score for hinge / WGAN-GP);
                row i is y = ys[i], column j is x = xs[j] (see ``plane_axis``).
* ``manifold``  LINES x LINES x 2 float32: G applied to a square grid of noise vectors
                (first two noise coordinates from -NOISE_SPAN to NOISE_SPAN, the rest 0), i.e.
                how G bends the noise plane onto the data plane.
* ``arrow_xy``  A x 2 float32: the first A fixed-noise samples of the snapshot;
* ``arrow_uv``  A x 2 float32: minus the gradient of G's loss with respect to each of those
                samples -- the direction D's verdict pulls each fake point.

PacGAN and minibatch-std discriminators judge groups, not points. For the heatmap each plane
point is shown to D as a pack of identical copies, and the minibatch-std feature is the one D
computes on a batch of G's current samples (what D sees when judging a fake there).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gan_core import losses
from gan_core.models import _pack  # the very helper D uses to group its input

HEAT = 48  # heatmap resolution per axis
LINES = 21  # manifold grid lines per axis
NOISE_SPAN = 2.5  # the manifold covers noise coordinates in [-NOISE_SPAN, NOISE_SPAN]
ARROWS = 160  # gradient arrows per snapshot (fewer when pack does not divide it)
EXTENT = {"ring8": 3.0, "grid25": 6.0, "spiral": 4.0}  # half-width of the plane shown


def plane_extent(dataset: str) -> float:
    """Half-width of the square of the plane the views cover."""
    return EXTENT.get(dataset, 4.0)


def plane_axis(dataset: str, n: int = HEAT) -> np.ndarray:
    """The n coordinates (x and y alike) where the heatmap is evaluated."""
    e = plane_extent(dataset)
    return np.linspace(-e, e, n)


def score_is_probability(loss: str) -> bool:
    """True when the heatmap holds a probability (minimax / nonsat), False for critic scores."""
    return loss in ("minimax", "nonsat")


def _d_on_points(d: torch.nn.Module, pts: torch.Tensor, fakes: torch.Tensor) -> torch.Tensor:
    """D's logit for each single point, respecting pack and minibatch-std (see module doc)."""
    pack = getattr(d, "pack", 1)
    h = pts.repeat_interleave(pack, 0) if pack > 1 else pts
    h = _pack(h, pack)
    if getattr(d, "mbstd", False):
        ref = _pack(fakes[: len(fakes) - len(fakes) % pack], pack)
        std = ref.std(dim=0, unbiased=False).mean() if len(ref) > 1 else ref.new_zeros(())
        h = torch.cat([h, std.expand(h.shape[0], 1)], 1)
        return d.main(h).view(-1)
    if hasattr(d, "main"):
        return d.main(h).view(-1)
    return d(pts)  # an unknown D: plain call


@torch.no_grad()
def _heat(trainer, fakes: torch.Tensor) -> np.ndarray:
    axis = torch.from_numpy(plane_axis(trainer.cfg.toy_set).astype(np.float32))
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    logit = _d_on_points(trainer.d, pts, fakes)
    out = torch.sigmoid(logit) if score_is_probability(trainer.cfg.loss) else logit
    return out.view(HEAT, HEAT).numpy().astype(np.float32)


@torch.no_grad()
def _manifold(trainer) -> np.ndarray:
    nz = trainer.cfg.nz
    u = torch.linspace(-NOISE_SPAN, NOISE_SPAN, LINES)
    a, b = torch.meshgrid(u, u, indexing="ij")
    z = torch.zeros(LINES * LINES, nz)
    z[:, 0] = a.reshape(-1)
    if nz > 1:
        z[:, 1] = b.reshape(-1)
    return trainer.sample(z).view(LINES, LINES, 2).numpy().astype(np.float32)


def _arrows(trainer, fakes: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    pack = trainer.cfg.pack
    n = min(ARROWS, len(fakes))
    n -= n % pack
    x = fakes[:n].detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = losses.g_loss(trainer.cfg.loss, trainer.d(x)) * n  # per-sample scale
        (grad,) = torch.autograd.grad(loss, x)
    return x.detach().numpy().astype(np.float32), (-grad).numpy().astype(np.float32)


def snapshot_extras(trainer) -> dict[str, Any]:
    """Heatmap, manifold and gradient arrows for the trainer's current G and D (numpy)."""
    fakes = trainer.sample(trainer.fixed_z[: max(ARROWS, 256)])
    xy, uv = _arrows(trainer, fakes)
    return {"heat": _heat(trainer, fakes), "manifold": _manifold(trainer), "arrow_xy": xy, "arrow_uv": uv}
