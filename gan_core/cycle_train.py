"""The CycleGAN engine: networks, the four loss groups, training and the round trip.

Two generators, G: X -> Y and F: Y -> X, and two discriminators, D_X (real x or F(y)?) and
D_Y (real y or G(x)?). One training step:

1. G and F together, on ``w_adv_g * adv_g + w_adv_f * adv_f + lambda_cycle * cycle +
   lambda_id * identity`` (``loss_terms`` computes the four terms; a weight of 0 switches one
   off, yet it is still measured and logged so the curves show what happens without it);
2. D_X and D_Y on real samples and the fakes of step 1.

The adversarial losses are least squares, as in the CycleGAN paper (Zhu et al., 2017): a
generator wants its fakes scored 1, a discriminator wants reals at 1 and fakes at 0. Cycle and
identity losses are mean absolute differences (L1). The networks live in ``gan_core.cycle_nets``.
With aligned generators a fifth term may join (``lambda_shape``): how much each generator's
editor changed the 7 x 7 outline of the digit it was given, logged as ``shape``.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from gan_core import cycle_data
from gan_core.cycle_config import CycleConfig, check
from gan_core.cycle_nets import PATCHES, Nets, build_generator, build_nets, shape_change

HISTORY_COLUMNS = ("step", "seconds", "adv_g", "adv_f", "cycle", "identity", "d_x", "d_y")
ROUND_TRIP_POINTS = 1000
ROUND_TRIP_IMAGES = 500
SHOW_POINTS = 120  # points drawn with arrows on the page


# ---- the four loss groups --------------------------------------------------------------------
def ls_real(score: torch.Tensor, w_whole: float = 1.0) -> torch.Tensor:
    """Least squares towards 'real' (1); a whole-digit score (column 50) adds its own mean,
    weighed by ``w_whole``."""
    return ls_to(score, 1.0, w_whole)


def ls_fake(score: torch.Tensor, w_whole: float = 1.0) -> torch.Tensor:
    """Least squares towards 'fake' (0)."""
    return ls_to(score, 0.0, w_whole)


def ls_to(score: torch.Tensor, target: float, w_whole: float) -> torch.Tensor:
    if score.dim() == 2 and score.shape[1] == PATCHES + 1:
        patch, whole = score[:, :PATCHES], score[:, PATCHES]
        return ((patch - target) ** 2).mean() + w_whole * ((whole - target) ** 2).mean()
    return ((score - target) ** 2).mean()


def loss_terms(nets: Nets, x: torch.Tensor, y: torch.Tensor, w_whole: float = 0.0,
               shape: bool = False) -> dict[str, torch.Tensor]:
    """The generators' four loss groups on one batch, unweighted, plus the fakes (for the Ds).

    adv_g = mean (D_Y(G(x)) - 1)^2, adv_f = mean (D_X(F(y)) - 1)^2 (plus ``w_whole`` times the
    whole-digit score's, when the Ds have one),
    cycle = mean |F(G(x)) - x| + mean |G(F(y)) - y|, identity = mean |F(x) - x| + mean |G(y) - y|.
    With ``shape`` (aligned generators): shape = the outline change of G's edit of x plus F's of y.
    """
    if shape:
        aligned_x, fake_y = nets.g.parts(x)
        aligned_y, fake_x = nets.f.parts(y)
        extra = {"shape": shape_change(aligned_x, fake_y) + shape_change(aligned_y, fake_x)}
    else:
        fake_y, fake_x = nets.g(x), nets.f(y)
        extra = {}
    return extra | {
        "adv_g": ls_real(nets.d_y(fake_y), w_whole),
        "adv_f": ls_real(nets.d_x(fake_x), w_whole),
        "cycle": (nets.f(fake_y) - x).abs().mean() + (nets.g(fake_x) - y).abs().mean(),
        "identity": (nets.f(x) - x).abs().mean() + (nets.g(y) - y).abs().mean(),
        "fake_x": fake_x,
        "fake_y": fake_y,
    }


def generator_loss(cfg: CycleConfig, terms: dict[str, torch.Tensor]) -> torch.Tensor:
    loss = (cfg.w_adv_g * terms["adv_g"] + cfg.w_adv_f * terms["adv_f"]
            + cfg.lambda_cycle * terms["cycle"] + cfg.lambda_id * terms["identity"])
    if "shape" in terms:
        loss = loss + cfg.lambda_shape * terms["shape"]
    return loss


def history_columns(cfg: CycleConfig) -> tuple[str, ...]:
    """HISTORY_COLUMNS, and ``shape`` after them when the run has the shape term."""
    return HISTORY_COLUMNS + (("shape",) if cfg.lambda_shape > 0 else ())


def discriminator_loss(d: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """0.5 * (mean (D(real) - 1)^2 + mean D(fake)^2), the whole-digit score (if any) at full weight."""
    return 0.5 * (ls_real(d(real)) + ls_fake(d(fake.detach())))


# ---- data -----------------------------------------------------------------------------------
def to_flat(images_uint8: np.ndarray) -> torch.Tensor:
    """uint8 N x 28 x 28 -> float N x 784 in [-1, 1]."""
    return torch.from_numpy(images_uint8.reshape(len(images_uint8), 784).astype(np.float32) / 127.5 - 1.0)


def to_images(flat: torch.Tensor) -> np.ndarray:
    """float N x 784 in [-1, 1] -> uint8 N x 28 x 28."""
    arr = ((flat.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    return arr.reshape(-1, 28, 28)


class Sampler:
    """Batches of each domain: fresh 2D points every time, or digits drawn without pairing."""

    def __init__(self, cfg: CycleConfig):
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        if cfg.is_image:
            self.pool = {name: to_flat(cycle_data.digit_images(name)[0])
                         for name in (cfg.domain_x, cfg.domain_y)}

    def draw(self, name: str, n: int) -> torch.Tensor:
        if self.cfg.is_image:
            data = self.pool[name]
            return data[torch.from_numpy(self.rng.integers(0, len(data), n))]
        return torch.from_numpy(cycle_data.sample_points(name, n, self.rng))


# ---- training -------------------------------------------------------------------------------
@dataclass
class CycleRun:
    """A finished run: its config, per-loss history, both generators' weights, numbers, views."""

    config: CycleConfig
    history: dict[str, np.ndarray]
    g_state: dict[str, torch.Tensor]
    f_state: dict[str, torch.Tensor]
    metrics: dict[str, float] = field(default_factory=dict)
    views: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0
    status: str = "ok"  # "ok" or "stopped"

    def generators(self) -> tuple[nn.Module, nn.Module]:
        """(G, F) rebuilt from the weights, in eval mode."""
        g, f = build_generator(self.config), build_generator(self.config)
        g.load_state_dict(self.g_state)
        f.load_state_dict(self.f_state)
        return g.eval(), f.eval()


Callback = Callable[[int, dict[str, float]], None]


def train_cycle(cfg: CycleConfig, callback: Callback | None = None,
                should_stop: Callable[[], bool] | None = None, rows: int = 100) -> CycleRun:
    """Train ``cfg``; the history holds about ``rows`` rows, each the mean over its steps."""
    cfg = check(cfg)
    nets = build_nets(cfg)
    sampler = Sampler(cfg)
    opt_gen = torch.optim.Adam([*nets.g.parameters(), *nets.f.parameters()], lr=cfg.lr_g, betas=(0.5, 0.999))
    opt_dis = torch.optim.Adam([*nets.d_x.parameters(), *nets.d_y.parameters()], lr=cfg.lr_d,
                               betas=(0.5, 0.999))
    every = max(1, cfg.steps // rows)
    columns = history_columns(cfg)
    losses = columns[2:]
    history: dict[str, list[float]] = {c: [] for c in columns}
    sums = dict.fromkeys(losses, 0.0)
    status, t0, count = "ok", time.perf_counter(), 0
    for step in range(1, cfg.steps + 1):
        x = sampler.draw(cfg.domain_x, cfg.batch)
        y = sampler.draw(cfg.domain_y, cfg.batch)
        terms = loss_terms(nets, x, y, cfg.w_whole, shape="shape" in losses)
        opt_gen.zero_grad(set_to_none=True)
        generator_loss(cfg, terms).backward()
        opt_gen.step()
        d_x = discriminator_loss(nets.d_x, x, terms["fake_x"])
        d_y = discriminator_loss(nets.d_y, y, terms["fake_y"])
        opt_dis.zero_grad(set_to_none=True)
        (d_x + d_y).backward()
        opt_dis.step()
        values = {k: float(terms[k].detach()) for k in ("adv_g", "adv_f", "cycle", "identity", "shape")
                  if k in terms}
        values.update(d_x=float(d_x.detach()), d_y=float(d_y.detach()))
        for k in losses:
            sums[k] += values[k]
        count += 1
        if step % every == 0 or step == cfg.steps:
            history["step"].append(step)
            history["seconds"].append(time.perf_counter() - t0)
            for k in losses:
                history[k].append(sums[k] / count)
            sums, count = dict.fromkeys(losses, 0.0), 0
            if callback:
                callback(step, {k: history[k][-1] for k in losses})
        if should_stop is not None and should_stop():
            status = "stopped"
            break
    run = CycleRun(cfg, {k: np.asarray(v, dtype=np.float64 if k == "seconds" else np.float32)
                         for k, v in history.items()},
                   {k: v.detach().clone() for k, v in nets.g.state_dict().items()},
                   {k: v.detach().clone() for k, v in nets.f.state_dict().items()},
                   seconds=time.perf_counter() - t0, status=status)
    run.metrics = round_trip(run)
    run.views = views(run)
    return run


# ---- after training: the round trip and what the page draws -------------------------------------
def evaluation_sets(cfg: CycleConfig, n_points: int = ROUND_TRIP_POINTS,
                    n_images: int = ROUND_TRIP_IMAGES) -> tuple[torch.Tensor, torch.Tensor]:
    """Fresh samples of X and Y the run never trained on (2D: another random stream; digits:
    the held-out handwritten digits and typeset variants drawn with a fixed seed)."""
    rng = np.random.default_rng(10**6 + cfg.seed)
    if not cfg.is_image:
        return (torch.from_numpy(cycle_data.sample_points(cfg.domain_x, n_points, rng)),
                torch.from_numpy(cycle_data.sample_points(cfg.domain_y, n_points, rng)))
    out = []
    for name in (cfg.domain_x, cfg.domain_y):
        images, _ = cycle_data.digit_images(name, "heldout")
        idx = rng.choice(len(images), size=min(n_images, len(images)), replace=False)
        out.append(to_flat(images[np.sort(idx)]))
    return out[0], out[1]


def round_trip(run: CycleRun) -> dict[str, float]:
    """round_trip_x: mean distance between x and F(G(x)); round_trip_y: between y and G(F(y)).

    2D: Euclidean distance in data units, over 1,000 fresh points of each set. Digits: mean
    absolute grey-level difference per pixel on the 0..1 scale, over 500 images of each set.
    """
    g, f = run.generators()
    x, y = evaluation_sets(run.config)
    with torch.inference_mode():
        back_x, back_y = f(g(x)), g(f(y))
    if run.config.is_image:
        dist_x = ((back_x - x).abs().mean(1) / 2).mean()
        dist_y = ((back_y - y).abs().mean(1) / 2).mean()
    else:
        dist_x = (back_x - x).norm(dim=1).mean()
        dist_y = (back_y - y).norm(dim=1).mean()
    return {"round_trip_x": round(float(dist_x), 5), "round_trip_y": round(float(dist_y), 5)}


def views(run: CycleRun) -> dict[str, np.ndarray]:
    """What the page draws. 2D: x, G(x), F(G(x)), y, F(y), G(F(y)) for SHOW_POINTS points each
    (float32). Digits: none here (``gan_core.cyclegan.digits`` shows chosen digits)."""
    if run.config.is_image:
        return {}
    g, f = run.generators()
    rng = np.random.default_rng(2 * 10**6 + run.config.seed)
    x = torch.from_numpy(cycle_data.sample_points(run.config.domain_x, SHOW_POINTS, rng))
    y = torch.from_numpy(cycle_data.sample_points(run.config.domain_y, SHOW_POINTS, rng))
    with torch.inference_mode():
        gx, fy = g(x), f(y)
        out = {"x": x, "g_x": gx, "f_g_x": f(gx), "y": y, "f_y": fy, "g_f_y": g(fy)}
    return {k: v.numpy().astype(np.float32) for k, v in out.items()}
