"""Look inside the Lab's networks: every layer's output shape and parameter count, measured by
running a dummy batch through the real model (so the table can never drift from the code)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gan_core.config import TrainConfig
from gan_core.models import build


@dataclass(frozen=True)
class LayerRow:
    name: str  # module path inside the network, e.g. "main.0"
    kind: str  # class name, e.g. "ConvTranspose2d"
    shape: tuple[int, ...]  # output shape without the batch dimension
    params: int  # trainable parameters of this layer


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def layer_table(module: nn.Module, *inputs: torch.Tensor | None) -> list[LayerRow]:
    """Output shape of every leaf layer, in the order the forward pass reaches them."""
    rows: list[LayerRow] = []
    hooks = []
    for name, m in module.named_modules():
        if name and not list(m.children()):
            def hook(mod, _inp, out, name=name):
                rows.append(LayerRow(name, type(mod).__name__, tuple(out.shape[1:]), count_params(mod)))
            hooks.append(m.register_forward_hook(hook))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(*inputs)
    finally:
        module.train(was_training)
        for h in hooks:
            h.remove()
    return rows


@dataclass(frozen=True)
class Anatomy:
    arch: str
    g_rows: list[LayerRow]
    d_rows: list[LayerRow]
    g_params: int
    d_params: int


def anatomy(arch: str, nz: int = 64, conditional: bool = False) -> Anatomy:
    """G's and D's layer tables for an image architecture ("dcgan" or "mlp-book")."""
    cfg = TrainConfig(dataset="mnist5k", arch=arch, nz=nz, conditional=conditional)
    g, d = build(cfg)
    batch = 2  # BatchNorm needs more than one sample only in train mode; eval is fine either way
    z = torch.zeros(batch, nz)
    y = torch.zeros(batch, dtype=torch.long) if conditional else None
    g_rows = layer_table(g, z, y)
    x = torch.zeros(batch, 1, 28, 28)
    d_rows = layer_table(d, x, y)
    return Anatomy(arch, g_rows, d_rows, count_params(g), count_params(d))
