"""One training function shared by the UI, the CLI, the benches and the tests.

``train(cfg, callback, should_stop)`` runs ``cfg.steps`` generator updates, each preceded by
``cfg.k`` discriminator updates, reports every step through ``callback("step", StepStats)``
and every fixed-noise snapshot through ``callback("snapshot", Snapshot)``, and returns a
``RunResult``. A step whose losses are NaN/inf ends the run with status ``"diverged"``; the
result keeps everything up to the last good snapshot.

One D update: real batch labelled 1, fakes from a frozen G labelled 0 (``fake.detach()``).
One G update: fresh fakes (or, when k = 1, the same fakes) pushed through a frozen D with
label 1. D's parameters are frozen during G's update (no wasted weight gradients).
"""
from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from gan_core import losses, toyviz
from gan_core.batches import training_batches
from gan_core.config import TrainConfig, check
from gan_core.models import build, build_generator, group_of

SAMPLE_GRID = 64  # fixed-noise images per snapshot (8 x 8)
TOY_SNAPSHOT = 2500  # fixed-noise points per toy snapshot (the metrics' sample size)
GP_WEIGHT = 10.0
# R1 is applied lazily (Karras et al., StyleGAN2, 2020): on every R1_EVERY-th D update, with
# R1_EVERY times the weight, so it costs a fraction of a second derivative per step on average
R1_EVERY = 4

CONV_ARCHS = ("dcgan", "dcgan-s")
HISTORY_COLUMNS = ("step", "wall", "loss_d", "loss_g", "d_real", "d_fake", "grad_d", "grad_g")
_BUILD_LOCK = threading.Lock()  # model init seeds the global RNG


@dataclass
class StepStats:
    step: int  # generator updates done (1-based)
    wall: float  # seconds since the run started
    loss_d: float  # mean over this step's k discriminator updates
    loss_g: float
    d_real: float  # mean D(x) on the last real batch
    d_fake: float  # mean D(G(z)) on the fakes G was trained with
    grad_d: float  # L2 norm of D's parameter gradient (last D update)
    grad_g: float  # L2 norm of G's parameter gradient


@dataclass
class Snapshot:
    step: int
    wall: float
    samples: np.ndarray  # uint8 N x 28 x 28 (images) or float32 N x 2 (toy sets)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    config: TrainConfig
    status: str  # "ok" | "diverged" | "cancelled"
    message: str  # "" or a machine-readable reason, e.g. "nan_at_step:37"
    history: dict[str, np.ndarray]
    snapshots: list[Snapshot]
    generator: dict[str, torch.Tensor]  # state dict of the (EMA) generator, fp32
    labels: np.ndarray | None = None  # class of each fixed-noise sample (conditional runs)
    seconds: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def final_samples(self) -> np.ndarray:
        return self.snapshots[-1].samples


Callback = Callable[[str, Any], None]


def snapshot_steps(steps: int, count: int) -> list[int]:
    """``count`` distinct steps from 0 to ``steps``, log-spaced (early training changes fastest)."""
    count = max(2, min(count, steps + 1))
    raw = np.unique(np.round(np.geomspace(1, steps + 1, 4 * count)).astype(int) - 1)
    # pick evenly among the unique log-spaced candidates, always keeping 0 and steps
    pick = np.unique(np.round(np.linspace(0, len(raw) - 1, count)).astype(int))
    chosen = set(int(s) for s in raw[pick]) | {0, steps}
    extra = iter(s for s in range(steps + 1) if s not in chosen)
    while len(chosen) < count:
        chosen.add(next(extra))
    return sorted(chosen)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """G output in [-1, 1] (B x 1 x 28 x 28) -> uint8 B x 28 x 28."""
    img = images.detach().float().clamp(-1, 1).add(1).mul(127.5).round()
    return img.squeeze(1).to(torch.uint8).numpy()


# ---- the run ------------------------------------------------------------------------------
def _grad_norm(params: list[nn.Parameter]) -> float:
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    return float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))))


def _has_batchnorm(m: nn.Module) -> bool:
    return any(isinstance(x, nn.modules.batchnorm._BatchNorm) for x in m.modules())


def divergence_hint(cfg: TrainConfig) -> str:
    """A short machine-readable reason for a NaN run; the UI translates it."""
    if max(cfg.lr_g, cfg.lr_d) > 2e-3:
        return "lr_high"
    if cfg.loss == "minimax":
        return "minimax"
    return "unstable"


class Trainer:
    """Holds one run's networks, optimisers and noise; ``run()`` does the training."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = check(cfg)
        with _BUILD_LOCK:
            self.g, self.d = build(cfg)
        if cfg.arch in CONV_ARCHS:
            # NHWC convolutions: oneDNN's preferred layout, faster steps on CPU
            self.g = self.g.to(memory_format=torch.channels_last)
            self.d = self.d.to(memory_format=torch.channels_last)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        # fused Adam: one kernel per tensor instead of a dozen small ops
        betas = (cfg.beta1, cfg.beta2)
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=cfg.lr_g, betas=betas, fused=True)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=cfg.lr_d, betas=betas, fused=True)
        self.g_params = list(self.g.parameters())
        self.d_params = list(self.d.parameters())
        self.steps_done = 0  # G updates so far (the lr schedule reads it)
        self.r1_clock = 0  # D updates so far (lazy R1 reads it)
        self.ema_g = copy.deepcopy(self.g).eval() if cfg.ema > 0 else None
        # one forward of D over real+fake together is faster, but only where batch statistics
        # don't couple the two halves
        self.joint_d = not (_has_batchnorm(self.d) or cfg.mbstd)
        self.batches, cdf, self.note = training_batches(cfg, self.gen)
        if cdf is not None:  # G picks a look-alike group with the data's shares
            for g in (self.g, self.ema_g):
                if g is not None:
                    g.group_cdf.copy_(cdf)
        n_fixed = SAMPLE_GRID if cfg.is_image else TOY_SNAPSHOT
        if cfg.conditional:
            n_fixed = 80  # 10 classes x 8
        self.fixed_z = torch.randn(n_fixed, cfg.nz, generator=self.gen)
        self.fixed_y = (torch.arange(10).repeat_interleave(n_fixed // 10) if cfg.conditional else None)

    # -- pieces -------------------------------------------------------------------------------
    def noise(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        z = torch.randn(n, self.cfg.nz, generator=self.gen)
        y = torch.randint(0, 10, (n,), generator=self.gen) if self.cfg.conditional else None
        if self.cfg.clusters:
            y = group_of(z, self.g.group_cdf)  # D is told the group G was asked for
        return z, y

    def d_logits(self, real, y_real, fake, y_fake) -> tuple[torch.Tensor, torch.Tensor]:
        if self.joint_d and (y_real is None) == (y_fake is None):
            both = torch.cat([real, fake])
            yy = None if y_real is None else torch.cat([y_real, y_fake])
            out = self.d(both, yy)
            n_real = out.shape[0] * real.shape[0] // both.shape[0]
            return out[:n_real], out[n_real:]
        return self.d(real, y_real), self.d(fake, y_fake)

    def d_update(self, real, y_real, fake, y_fake) -> tuple[float, float, float]:
        """One discriminator step. Returns (loss, mean D(x), grad norm)."""
        cfg = self.cfg
        penalise = cfg.r1 > 0 and self.r1_clock % R1_EVERY == 0
        self.r1_clock += 1
        if penalise:
            real = real.detach().requires_grad_(True)  # R1 needs D's slope at the real points
        lr_, lf_ = self.d_logits(real, y_real, fake, y_fake)
        loss = losses.d_loss(cfg.loss, lr_, lf_)
        if cfg.loss == "wgan-gp":
            loss = loss + losses.gradient_penalty(self.d, real, fake, y_real, GP_WEIGHT)
        if penalise:
            loss = loss + losses.r1_penalty(lr_, real, cfg.r1 * R1_EVERY)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return float(loss.detach()), float(torch.sigmoid(lr_.detach()).mean()), _grad_norm(self.d_params)

    def unrolled_d(self, fake: torch.Tensor, y_fake) -> nn.Module:
        """A throw-away copy of D advanced ``cfg.unroll`` extra steps (Unrolled GAN, Metz et al.).

        The copy starts from D's weights *and* Adam state, then trains on fresh real batches
        against the current G's fakes (detached). G's next update looks through this future D,
        so G is pushed away from a spot that D is about to punish instead of chasing the
        present D into one mode. First-order version: gradients do not flow back through the
        unrolled steps. The real D and its optimiser are untouched; the copy is dropped.
        """
        cfg = self.cfg
        d2 = copy.deepcopy(self.d)
        opt2 = torch.optim.Adam(d2.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2), fused=True)
        opt2.load_state_dict(copy.deepcopy(self.opt_d.state_dict()))
        fake = fake.detach()
        for _ in range(cfg.unroll):
            real, y_real = self.batches.next()
            n = min(len(real), len(fake))
            loss = losses.d_loss(cfg.loss, d2(real[:n], y_real), d2(fake[:n], y_fake))
            if cfg.loss == "wgan-gp":
                loss = loss + losses.gradient_penalty(d2, real[:n], fake[:n], y_real, GP_WEIGHT)
            opt2.zero_grad(set_to_none=True)
            loss.backward()
            opt2.step()
        return d2

    def g_update(self, fake, y_fake) -> tuple[float, float, float]:
        """One generator step through a frozen D (or its unrolled copy when ``cfg.unroll``).

        Returns (loss, mean D(G(z)), grad norm)."""
        d = self.unrolled_d(fake, y_fake) if self.cfg.unroll > 0 else self.d
        d_params = self.d_params if d is self.d else list(d.parameters())
        for p in d_params:
            p.requires_grad_(False)
        try:
            lf_ = d(fake, y_fake)
            loss = losses.g_loss(self.cfg.loss, lf_)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
        finally:
            for p in d_params:
                p.requires_grad_(True)
        if self.ema_g is not None:
            with torch.no_grad():
                ema_p = list(self.ema_g.parameters())
                torch._foreach_lerp_(ema_p, self.g_params, 1.0 - self.cfg.ema)
                for b_ema, b in zip(self.ema_g.buffers(), self.g.buffers(), strict=True):
                    b_ema.copy_(b)
        return float(loss.detach()), float(torch.sigmoid(lf_.detach()).mean()), _grad_norm(self.g_params)

    def step(self) -> tuple[float, float, float, float, float, float]:
        """k D updates then one G update: (loss_d, loss_g, d_real, d_fake, grad_d, grad_g)."""
        cfg = self.cfg
        if cfg.lr_schedule == "cosine":  # both lrs fall from their set values to 0 over the run
            f = 0.5 * (1.0 + math.cos(math.pi * self.steps_done / cfg.steps))
            for opt, lr in ((self.opt_g, cfg.lr_g), (self.opt_d, cfg.lr_d)):
                for group in opt.param_groups:
                    group["lr"] = lr * f
        self.steps_done += 1
        loss_d_sum = 0.0
        fake = y_fake = None
        for j in range(cfg.k):
            real, y_real = self.batches.next()
            z, y_fake = self.noise(real.shape[0])
            if j == cfg.k - 1:
                fake = self.g(z, y_fake)  # kept with its graph: G's update reuses it
                fake_d = fake.detach()
            else:
                with torch.no_grad():
                    fake_d = self.g(z, y_fake)
            ld, d_real, grad_d = self.d_update(real, y_real, fake_d, y_fake)
            loss_d_sum += ld
        lg, d_fake, grad_g = self.g_update(fake, y_fake)
        return loss_d_sum / cfg.k, lg, d_real, d_fake, grad_d, grad_g

    def sampler(self) -> nn.Module:
        return self.ema_g if self.ema_g is not None else self.g

    @torch.no_grad()
    def sample(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        g = self.sampler()
        was_training = g.training
        g.eval()
        try:
            return g(z, y)
        finally:
            g.train(was_training)

    def snapshot(self, step: int, wall: float) -> Snapshot:
        out = self.sample(self.fixed_z, self.fixed_y)
        if self.cfg.is_image:
            return Snapshot(step, wall, to_uint8(out))
        # toy runs also keep D's heatmap, G's warped grid and G's pull (gan_core.toyviz)
        return Snapshot(step, wall, out.numpy().astype(np.float32), toyviz.snapshot_extras(self))

    def generator_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.sampler().state_dict().items()}

    # -- the loop -----------------------------------------------------------------------------
    def run(self, callback: Callback | None = None,
            should_stop: Callable[[], bool] | None = None) -> RunResult:
        cfg = self.cfg
        cb = callback or (lambda kind, payload: None)
        hist = {c: [] for c in HISTORY_COLUMNS}
        snaps: list[Snapshot] = []
        snap_at = set(snapshot_steps(cfg.steps, cfg.snapshots))
        t0 = time.perf_counter()
        good_state = self.generator_state()
        status, message = "ok", ""

        def take(step: int) -> None:
            nonlocal good_state
            snap = self.snapshot(step, time.perf_counter() - t0)
            snaps.append(snap)
            good_state = self.generator_state()
            cb("snapshot", snap)

        self.g.train()
        self.d.train()
        take(0)
        for step in range(1, cfg.steps + 1):
            if should_stop is not None and should_stop():
                status, message = "cancelled", f"cancelled_at_step:{step - 1}"
                break
            values = self.step()
            if not all(math.isfinite(v) for v in values) or not self._params_finite():
                status, message = "diverged", f"nan_at_step:{step}:{divergence_hint(cfg)}"
                break
            stats = StepStats(step, time.perf_counter() - t0, *values)
            for c in HISTORY_COLUMNS:
                hist[c].append(getattr(stats, c))
            cb("step", stats)
            if step in snap_at:
                take(step)
        labels = None if self.fixed_y is None else self.fixed_y.numpy().astype(np.uint8)
        history = {c: np.asarray(v, dtype=np.float64) for c, v in hist.items()}
        return RunResult(
            config=cfg, status=status, message=message, history=history, snapshots=snaps,
            generator=good_state, labels=labels, seconds=time.perf_counter() - t0,
            metrics={"data_note": self.note} if self.note else {},
        )

    def _params_finite(self) -> bool:
        # checking one weight tensor per network is enough to catch a blown-up update cheaply
        return bool(torch.isfinite(self.g_params[-1]).all() and torch.isfinite(self.d_params[-1]).all())


def train(cfg: TrainConfig, callback: Callback | None = None,
          should_stop: Callable[[], bool] | None = None) -> RunResult:
    """Train one config from scratch and return its result (see module docstring)."""
    return Trainer(cfg).run(callback, should_stop)


def load_generator(result_or_cfg, state: dict[str, torch.Tensor] | None = None) -> nn.Module:
    """A generator in eval mode with a run's weights."""
    cfg = result_or_cfg.config if isinstance(result_or_cfg, RunResult) else result_or_cfg
    state = state if state is not None else result_or_cfg.generator
    with _BUILD_LOCK:
        g = build_generator(cfg)
    g.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return g.eval()


@torch.no_grad()
def generate(result: RunResult, n: int, seed: int = 1234, labels: np.ndarray | None = None) -> np.ndarray:
    """n fresh samples from a finished run (uint8 N x 28 x 28 or float32 N x 2)."""
    cfg = result.config
    g = load_generator(result)
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, cfg.nz, generator=gen)
    y = None
    if cfg.conditional:
        y = torch.as_tensor(labels, dtype=torch.long) if labels is not None else torch.arange(n) % 10
    out = torch.cat([g(z[i : i + 500], None if y is None else y[i : i + 500]) for i in range(0, n, 500)])
    return to_uint8(out) if cfg.is_image else out.numpy().astype(np.float32)
