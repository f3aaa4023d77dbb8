"""CycleGAN's ResNet generator and the two checkpoint layouts it loads.

One ``ResnetGenerator`` class (ResNet-9, ngf 64, reflection padding, InstanceNorm, tanh) with
stock PyTorch modules, so running it is plain eager PyTorch. It loads both layouts we meet:

* the ``vintagify`` package's (modern -> vintage photos, MIT): affine InstanceNorm, residual
  convs under ``model.N.block.*``;
* the official junyanz zoo's (BSD): non-affine InstanceNorm, ``model.N.conv_block.*``, and in
  old files stale InstanceNorm buffers (``running_mean`` ...) that are dropped before loading.
"""
from __future__ import annotations

import re

import torch
from torch import nn


class ResnetBlock(nn.Module):
    """x + [pad, conv3x3, norm, ReLU, pad, conv3x3, norm](x).

    Args:
        dim: channels in and out.
        affine: InstanceNorm with learned scale/shift (vintagify) or without (zoo).
    """

    def __init__(self, dim: int, affine: bool):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3),
            nn.InstanceNorm2d(dim, affine=affine),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3),
            nn.InstanceNorm2d(dim, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's ResNet generator; indices match both checkpoint layouts.

    Args:
        affine: learned InstanceNorm parameters (vintagify) or none (zoo).
        ngf: channels of the first layer (64 in both).
        n_blocks: residual blocks (9 in both).
    Input B x 3 x H x W in [-1, 1] with H, W multiples of 4; output the same shape in [-1, 1].
    """

    def __init__(self, affine: bool = False, ngf: int = 64, n_blocks: int = 9):
        super().__init__()

        def norm(c: int) -> nn.Module:
            return nn.InstanceNorm2d(c, affine=affine)

        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), norm(ngf), nn.ReLU(True),  # 0-3: B x 64 x H x W
            nn.Conv2d(ngf, ngf * 2, 3, 2, 1), norm(ngf * 2), nn.ReLU(True),  # 4-6: B x 128 x H/2 x W/2
            nn.Conv2d(ngf * 2, ngf * 4, 3, 2, 1), norm(ngf * 4), nn.ReLU(True),  # 7-9: B x 256 x H/4 x W/4
        ]
        layers += [ResnetBlock(ngf * 4, affine) for _ in range(n_blocks)]  # 10-18: same shape
        layers += [
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 3, 2, 1, output_padding=1), norm(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 3, 2, 1, output_padding=1), norm(ngf), nn.ReLU(True),
            nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh(),  # 19-27: back to B x 3 x H x W
        ]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


STALE = ("running_mean", "running_var", "num_batches_tracked")


def normalize_state_dict(sd: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], bool]:
    """Bring either layout to ResnetGenerator's keys; returns (state dict, affine).

    Drops stale InstanceNorm buffers (old zoo files) and renames vintagify's ``.block.`` to
    ``.conv_block.``. Affine norms are recognised by the first norm's weight ``model.2.weight``.
    """
    out = {}
    for key, value in sd.items():
        key = key.removeprefix("module.")
        if key.rsplit(".", 1)[-1] in STALE:
            continue
        out[re.sub(r"^(model\.\d+)\.block\.", r"\1.conv_block.", key)] = value
    return out, "model.2.weight" in out


def generator_from_state_dict(sd: dict[str, torch.Tensor]) -> ResnetGenerator:
    """A ResnetGenerator in eval mode, no gradients, loaded strictly from either layout."""
    clean, affine = normalize_state_dict(sd)
    gen = ResnetGenerator(affine=affine)
    gen.load_state_dict(clean, strict=True)
    return gen.eval().requires_grad_(False)
