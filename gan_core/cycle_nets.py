"""The CycleGAN's networks: generators G and F, discriminators D_X and D_Y, for both kinds of data.

2D points go in and out of small MLPs as they are. Digits are 784 grey values in [-1, 1]; every
digit generator works around a skip (out = tanh(change + atanh(0.99 x)), the change starting at
zero), so a fresh generator returns its input and training learns what to change:

* ``DigitGenerator`` ("mlp"): 784 -> h -> h -> 784. Any pixel may depend on any other, so G is
  free to redraw a digit as another one.
* ``ConvDigitGenerator`` ("conv"): a small encoder-decoder down to 7 x 7.
* ``AlignedDigitGenerator`` ("aligned", the shipped model): first a learned affine transform
  (a spatial transformer, Jaderberg et al. 2015) that may straighten, scale and move the whole
  digit, then a ``LocalEditor`` that restyles strokes where they are. Both parts keep what a
  digit is: the transform moves every stroke alike, the editor sees only its neighbourhood, and
  a shape term (``shape_change``) asks the editor to leave the 7 x 7 outline alone.

Discriminators: ``PatchDiscriminator`` scores 7 x 7 overlapping patches (a small PatchGAN), and
with ``whole`` one more score for the digit as a whole.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gan_core.cycle_config import CycleConfig

PATCHES = 49  # patch scores per digit; a 50th column, when present, scores the whole digit
SHAPE_POOL = 4  # the shape term compares 28 x 28 pictures averaged over 4 x 4 cells (7 x 7)


def mlp(sizes: list[int], out_act: nn.Module | None = None, slope: float = 0.2) -> nn.Sequential:
    """Linear layers of ``sizes`` with LeakyReLU between them (and ``out_act`` at the end)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(slope))
    if out_act is not None:
        layers.append(out_act)
    return nn.Sequential(*layers)


def around_skip(change: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The digit generators' output: ``x`` plus a learned ``change`` (both N x 784)."""
    return torch.tanh(change + torch.atanh(0.99 * x))


def zero_last(layer: nn.Module) -> None:
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)


class DigitGenerator(nn.Module):
    """784 -> h -> h -> 784 around the skip; the last layer starts at zero."""

    def __init__(self, hidden: int):
        super().__init__()
        self.net = mlp([784, hidden, hidden, 784])
        zero_last(self.net[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return around_skip(self.net(x), x)


class ConvDigitGenerator(nn.Module):
    """28 x 28 -> 14 x 14 -> 7 x 7, one residual block, and back up, around the skip; ``width``
    channels at 14 x 14, twice that at 7 x 7. Each output pixel sees about half the digit."""

    def __init__(self, width: int):
        super().__init__()
        c = width
        self.down = nn.Sequential(nn.Conv2d(1, c, 4, 2, 1), nn.LeakyReLU(0.2),
                                  nn.Conv2d(c, 2 * c, 4, 2, 1), nn.LeakyReLU(0.2))
        self.block = nn.Sequential(nn.Conv2d(2 * c, 2 * c, 3, 1, 1), nn.LeakyReLU(0.2),
                                   nn.Conv2d(2 * c, 2 * c, 3, 1, 1))
        self.up = nn.Sequential(nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.LeakyReLU(0.2),
                                nn.ConvTranspose2d(c, 1, 4, 2, 1))
        zero_last(self.up[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.down(x.view(-1, 1, 28, 28))
        h = h + self.block(h)
        return around_skip(self.up(h).flatten(1), x)


class LocalEditor(nn.Module):
    """Restyles strokes in place: 28 x 28 -> 14 x 14 (``width`` channels), ``blocks`` residual
    blocks of two 3 x 3 convolutions, and back up, around the skip. With two blocks each output
    pixel sees a window of about 20 x 20 pixels around it."""

    def __init__(self, width: int, blocks: int = 2):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2))
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.LeakyReLU(0.2),
                          nn.Conv2d(width, width, 3, 1, 1))
            for _ in range(blocks))
        self.up = nn.ConvTranspose2d(width, 1, 4, 2, 1)
        zero_last(self.up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.down(x.view(-1, 1, 28, 28))
        for block in self.blocks:
            h = h + block(h)
        return around_skip(self.up(h).flatten(1), x)


class AlignedDigitGenerator(nn.Module):
    """A learned affine transform of the whole digit, then a ``LocalEditor``.

    The transform's six numbers come from a small net on the digit at 14 x 14; they start at
    the identity and each moves at most ``reach`` from it. ``parts(x)`` returns the aligned
    digit and the output, for the shape term."""

    def __init__(self, width: int, blocks: int = 2, reach: float = 0.5):
        super().__init__()
        self.reach = reach
        self.locate = nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(1, 8, 3, 2, 1), nn.LeakyReLU(0.2),
                                    nn.Flatten(), nn.Linear(8 * 49, 32), nn.LeakyReLU(0.2), nn.Linear(32, 6))
        zero_last(self.locate[-1])
        self.edit = LocalEditor(width, blocks)
        self.register_buffer("identity", torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))

    def align(self, x: torch.Tensor) -> torch.Tensor:
        img = x.view(-1, 1, 28, 28)
        theta = self.identity + self.reach * torch.tanh(self.locate(img)).view(-1, 2, 3)
        grid = nn.functional.affine_grid(theta, list(img.shape), align_corners=False)
        # sample (x + 1), which is 0 on the black background, so what comes in from outside is black
        return (nn.functional.grid_sample(img + 1, grid, align_corners=False) - 1).flatten(1)

    def parts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        aligned = self.align(x)
        return aligned, self.edit(aligned)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.parts(x)[1]


def shape_change(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """Mean |difference| of two batches of digits averaged over 4 x 4 cells: how much the 7 x 7
    outline changed (strokes thickened or redrawn in place change it little)."""
    def outline(v: torch.Tensor) -> torch.Tensor:
        return nn.functional.avg_pool2d(v.view(-1, 1, 28, 28), SHAPE_POOL)

    return (outline(after) - outline(before)).abs().mean()


def build_generator(cfg: CycleConfig) -> nn.Module:
    """2D: 2 -> h -> h -> h -> 2. Digits: by ``cfg.generator``, ``hidden`` wide (channels for
    the convolutional ones)."""
    if not cfg.is_image:
        h = cfg.hidden
        return mlp([2, h, h, h, 2])
    if cfg.generator == "aligned":
        return AlignedDigitGenerator(cfg.hidden)
    return ConvDigitGenerator(cfg.hidden) if cfg.generator == "conv" else DigitGenerator(cfg.hidden)


class PatchDiscriminator(nn.Module):
    """Scores for 7 x 7 overlapping patches of a 28 x 28 digit (a small PatchGAN, as in the
    CycleGAN paper): local strokes and specks matter, which a flat MLP judges poorly. With
    ``whole``, one more score from all 7 x 7 patch features together: does the digit as a whole
    look like the set's (a typeface has one 7; patches alone cannot tell)."""

    def __init__(self, width: int = 16, whole: bool = False):
        super().__init__()
        self.net = nn.Sequential(
            # input. 1 x 28 x 28
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
            # state size. width x 14 x 14
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            # state size. (2*width) x 7 x 7
            nn.Conv2d(2 * width, 1, 3, 1, 1),
            # state size. 1 x 7 x 7: one score per patch
        )
        self.whole = nn.Linear(2 * width * PATCHES, 1) if whole else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.whole is None:
            return self.net(x.view(-1, 1, 28, 28)).flatten(1)
        features = self.net[:-1](x.view(-1, 1, 28, 28))
        return torch.cat([self.net[-1](features).flatten(1), self.whole(features.flatten(1))], 1)


def build_discriminator(cfg: CycleConfig) -> nn.Module:
    """Scores, no sigmoid (least squares). 2D: 2 -> h -> h -> 1; digits: ``PatchDiscriminator``
    (with a whole-digit score when ``w_whole`` > 0)."""
    if cfg.is_image:
        return PatchDiscriminator(whole=cfg.w_whole > 0)
    return mlp([2, cfg.hidden, cfg.hidden, 1])


@dataclass
class Nets:
    g: nn.Module  # X -> Y
    f: nn.Module  # Y -> X
    d_x: nn.Module
    d_y: nn.Module


def build_nets(cfg: CycleConfig) -> Nets:
    torch.manual_seed(cfg.seed)
    g, f = build_generator(cfg), build_generator(cfg)
    return Nets(g, f, build_discriminator(cfg), build_discriminator(cfg))
