"""One GAN iteration taken apart, sub-step by sub-step, on a real model.

The seeds describe an iteration as: D looks at real data (label 1), D looks at fakes from a
frozen G (label 0, detached) -- k times -- then G is trained through a frozen D (label 1).
``Stepper`` walks exactly that sequence on a ``gan_core.train.Trainer`` (a 2D toy set or the
offline MNIST digits) and records, for every sub-step, the batch, the labels, the loss, the
gradient norm of every layer and D's output before and after.

The updates themselves are ``Trainer.d_update`` and ``Trainer.g_update``: one D update uses
the gradient of BCE(real, 1) + BCE(fake, 0) (collected over the two D sub-steps, applied at
the end of the second), one G update the gradient of G's loss. After a full iteration the
networks hold exactly what ``Trainer.step`` would have produced (tests check this).

D runs in eval mode here (dropout off) so "before" and "after" differ only by the update.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gan_core import losses
from gan_core.config import TrainConfig, check
from gan_core.threads import single_thread
from gan_core.train import Trainer, to_uint8

DATASETS = ("ring8", "mnist5k")
K_MAX = 5
HEAT_N = 48  # D's decision map on a HEAT_N x HEAT_N grid (toy sets)
HEAT_LIM = 3.0


def stepper_config(dataset: str = "ring8", k: int = 1, lr: float = 1e-3, seed: int = 0,
                   loss: str = "nonsat") -> TrainConfig:
    """A small, valid TrainConfig for the stepper (raises ConfigError on bad values)."""
    if dataset not in DATASETS:
        raise ValueError(f"the stepper runs on {', '.join(DATASETS)}, not {dataset!r}")
    if not 1 <= int(k) <= K_MAX:
        raise ValueError(f"k must be 1..{K_MAX}")
    common = dict(loss=loss, lr_g=lr, lr_d=lr, beta1=0.5, k=int(k), seed=seed, steps=1000, snapshots=2)
    if dataset == "mnist5k":
        return check(TrainConfig(dataset="mnist5k", arch="mlp-book", nz=64, batch=32, **common))
    return check(TrainConfig(dataset="ring8", arch="toy-mlp", nz=2, batch=64, hidden=64, **common))


@dataclass
class SubStep:
    """The record of one sub-step (what the page shows)."""

    iteration: int  # 1-based GAN iteration
    index: int  # position inside the iteration: 0 .. 2k
    kind: str  # "d_real" | "d_fake" | "g"
    repeat: int  # which of the k D updates (1..k); 0 for G
    k: int
    updates: str  # whose parameters changed in this sub-step: "none" | "D" | "G"
    frozen: str  # the network held still: "G" | "D"
    label: float  # the target label used in this sub-step's loss
    loss: float  # this sub-step's loss term on its batch
    applied_loss: float | None  # the loss whose gradient the optimiser applied (None: no update)
    layer_grads: list[tuple[str, float]]  # (layer, L2 norm of this sub-step's gradient)
    applied_grads: list[tuple[str, float]]  # (layer, L2 norm of the gradient actually applied)
    batch: np.ndarray  # N x 2 float32 points, or N x 28 x 28 uint8 images
    d_before: np.ndarray  # D(x) on the batch before this sub-step
    d_after: np.ndarray  # ... and after it (equal when nothing changed)
    moved: float  # L2 norm of the change in the updated network's parameters
    heat: np.ndarray | None = None  # D's map after the sub-step (toy sets)
    arrows: np.ndarray | None = None  # for G on toy sets: the direction G's loss pushes each fake
    extra: dict = field(default_factory=dict)


def layer_names(module: nn.Module) -> list[tuple[str, list[nn.Parameter]]]:
    """(readable name, parameters) of every layer that has parameters, in forward order."""
    out = []
    i = 0
    for m in module.modules():
        own = list(m.parameters(recurse=False))
        if not own:
            continue
        i += 1
        if isinstance(m, nn.Linear):
            name = f"{i}· Linear {m.in_features}→{m.out_features}"
        else:
            name = f"{i}· {type(m).__name__}"
        out.append((name, own))
    return out


def _norms(groups, grads: dict[int, torch.Tensor | None]) -> list[tuple[str, float]]:
    rows = []
    for name, params in groups:
        sq = 0.0
        for p in params:
            g = grads.get(id(p))
            if g is not None:
                sq += float(g.detach().double().pow(2).sum())
        rows.append((name, sq ** 0.5))
    return rows


def _flat(params) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in params]).clone()


class Stepper:
    """Walks GAN iterations one sub-step at a time on a real Trainer."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        with single_thread():
            self.trainer = Trainer(cfg)
        self.trainer.d.eval()  # dropout off: before/after differ only by the update
        self.trainer.g.train()
        self.d_groups = layer_names(self.trainer.d)
        self.g_groups = layer_names(self.trainer.g)
        self.iteration = 1
        self.cursor = 0  # index of the next sub-step in ``sequence()``
        self._real = self._z = self._fake = None
        self._loss_real = 0.0
        self._z_last = None
        self.log: list[SubStep] = []
        if not cfg.is_image:
            ax = np.linspace(-HEAT_LIM, HEAT_LIM, HEAT_N, dtype=np.float32)
            gx, gy = np.meshgrid(ax, ax)
            self._heat_pts = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1))

    # -- the plan ------------------------------------------------------------------------------
    def sequence(self) -> list[tuple[str, int]]:
        """The sub-steps of one iteration: (d_real, 1), (d_fake, 1), ..., (d_fake, k), (g, 0)."""
        seq = []
        for j in range(1, self.cfg.k + 1):
            seq += [("d_real", j), ("d_fake", j)]
        return seq + [("g", 0)]

    @property
    def next_kind(self) -> tuple[str, int]:
        return self.sequence()[self.cursor]

    # -- helpers -------------------------------------------------------------------------------
    @torch.no_grad()
    def _d_prob(self, x: torch.Tensor) -> np.ndarray:
        return torch.sigmoid(self.trainer.d(x)).double().numpy()

    def _batch_view(self, x: torch.Tensor) -> np.ndarray:
        if self.cfg.is_image:
            return to_uint8(x)
        return x.detach().numpy().astype(np.float32)

    @torch.no_grad()
    def _heat(self) -> np.ndarray | None:
        if self.cfg.is_image:
            return None
        return self._d_prob(self._heat_pts).reshape(HEAT_N, HEAT_N)

    def _record(self, **kw) -> SubStep:
        kind, repeat = self.next_kind
        step = SubStep(iteration=self.iteration, index=self.cursor, kind=kind, repeat=repeat,
                       k=self.cfg.k, heat=self._heat(), **kw)
        self.log.append(step)
        del self.log[:-64]
        self.cursor += 1
        if self.cursor == len(self.sequence()):
            self.cursor = 0
            self.iteration += 1
        return step

    # -- the three kinds of sub-step -------------------------------------------------------------
    def _d_real(self) -> SubStep:
        tr = self.trainer
        real, _ = tr.batches.next()
        z, _ = tr.noise(real.shape[0])
        self._real, self._z = real, z
        logits = tr.d(real)
        loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        grads = torch.autograd.grad(loss, tr.d_params)
        self._loss_real = float(loss.detach())
        prob = torch.sigmoid(logits.detach()).double().numpy()
        return self._record(
            updates="none", frozen="G", label=1.0, loss=self._loss_real, applied_loss=None,
            layer_grads=_norms(self.d_groups, dict(zip(map(id, tr.d_params), grads, strict=True))),
            applied_grads=[], batch=self._batch_view(real), d_before=prob, d_after=prob, moved=0.0,
        )

    def _d_fake(self) -> SubStep:
        tr = self.trainer
        real, z = self._real, self._z
        with torch.no_grad():  # G is frozen: its fakes are plain numbers for D (detached)
            fake = tr.g(z)
        logits = tr.d(fake)
        loss = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
        grads = torch.autograd.grad(loss, tr.d_params)
        before = torch.sigmoid(logits.detach()).double().numpy()
        real_before = self._d_prob(real)
        theta = _flat(tr.d_params)
        applied, _, _ = tr.d_update(real, None, fake, None)  # the one D update of the engine
        moved = float((_flat(tr.d_params) - theta).norm())
        after = self._d_prob(fake)
        if self.next_kind[1] == self.cfg.k:
            self._z_last = z  # Trainer.step trains G on the last D update's fakes
        return self._record(
            updates="D", frozen="G", label=0.0, loss=float(loss.detach()), applied_loss=applied,
            layer_grads=_norms(self.d_groups, dict(zip(map(id, tr.d_params), grads, strict=True))),
            applied_grads=_norms(self.d_groups, {id(p): p.grad for p in tr.d_params}),
            batch=self._batch_view(fake), d_before=before, d_after=after, moved=moved,
            extra={"real_before": real_before, "real_after": self._d_prob(real),
                   "loss_real": self._loss_real},
        )

    def _g(self) -> SubStep:
        tr = self.trainer
        z = self._z_last
        fake = tr.g(z)  # with its graph: G's gradient flows back through D
        before = self._d_prob(fake.detach())
        arrows = None
        if not self.cfg.is_image:
            x = fake.detach().clone().requires_grad_(True)
            (gx,) = torch.autograd.grad(losses.g_loss(self.cfg.loss, tr.d(x)), x)
            arrows = (-gx * x.shape[0]).numpy()  # per-point push (undo the batch mean)
        theta = _flat(tr.g_params)
        applied, _, _ = tr.g_update(fake, None)  # the one G update of the engine
        moved = float((_flat(tr.g_params) - theta).norm())
        with torch.no_grad():
            new_fake = tr.g(z)
        grads = _norms(self.g_groups, {id(p): p.grad for p in tr.g_params})
        return self._record(
            updates="G", frozen="D", label=1.0, loss=applied, applied_loss=applied,
            layer_grads=grads, applied_grads=grads, batch=self._batch_view(fake),
            d_before=before, d_after=self._d_prob(new_fake), moved=moved, arrows=arrows,
            extra={"batch_after": self._batch_view(new_fake)},
        )

    # -- public ----------------------------------------------------------------------------------
    def next(self) -> SubStep:
        """Run the next sub-step and return its record."""
        kind = self.next_kind[0]
        with single_thread():
            return {"d_real": self._d_real, "d_fake": self._d_fake, "g": self._g}[kind]()

    def finish_iteration(self) -> list[SubStep]:
        """Run the remaining sub-steps of the current iteration."""
        out = [self.next()]
        while self.cursor != 0:
            out.append(self.next())
        return out
