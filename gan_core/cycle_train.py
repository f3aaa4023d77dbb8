"""The CycleGAN engine: networks, the four loss groups, training and the round trip.

Two generators, G: X -> Y and F: Y -> X, and two discriminators, D_X (real x or F(y)?) and
D_Y (real y or G(x)?). One training step:

1. G and F together, on ``w_adv_g * adv_g + w_adv_f * adv_f + lambda_cycle * cycle +
   lambda_id * identity`` (``loss_terms`` computes the four terms; a weight of 0 switches one
   off, yet it is still measured and logged so the curves show what happens without it);
2. D_X and D_Y on real samples and the fakes of step 1.

The adversarial losses are least squares, as in the CycleGAN paper (Zhu et al., 2017): a
generator wants its fakes scored 1, a discriminator wants reals at 1 and fakes at 0. Cycle and
identity losses are mean absolute differences (L1). 2D points go in and out of small MLPs as
they are; digits are 784 grey values in [-1, 1], with MLP generators around a skip
(``DigitGenerator``) and small convolutional patch discriminators (``PatchDiscriminator``);
as options, convolutional generators (``ConvDigitGenerator``) and a whole-digit score next to
the patch scores (``w_whole``), tried for a G(x) that looks typeset (see the cycle-digits preset).
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

HISTORY_COLUMNS = ("step", "seconds", "adv_g", "adv_f", "cycle", "identity", "d_x", "d_y")
LOSS_COLUMNS = HISTORY_COLUMNS[2:]
ROUND_TRIP_POINTS = 1000
ROUND_TRIP_IMAGES = 500
SHOW_POINTS = 120  # points drawn with arrows on the page


# ---- networks -------------------------------------------------------------------------------
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


class DigitGenerator(nn.Module):
    """784 -> h -> h -> 784 around a skip: out = tanh(net(x) + atanh(0.99 x)). The last layer
    starts at zero, so a fresh generator returns its input (to within 1%); training learns
    what to change. Digits are 784 grey values in [-1, 1]."""

    def __init__(self, hidden: int):
        super().__init__()
        self.net = mlp([784, hidden, hidden, 784])
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(x) + torch.atanh(0.99 * x))


class ConvDigitGenerator(nn.Module):
    """A small encoder-decoder around the same skip: 28 x 28 -> 14 x 14 -> 7 x 7, one residual
    block, and back up. Each output pixel sees only its neighbourhood (about half the digit),
    so G restyles strokes where they are instead of drawing a digit anywhere; ``width`` channels
    at 14 x 14, twice that at 7 x 7. The last layer starts at zero, as in ``DigitGenerator``."""

    def __init__(self, width: int):
        super().__init__()
        c = width
        self.down = nn.Sequential(nn.Conv2d(1, c, 4, 2, 1), nn.LeakyReLU(0.2),
                                  nn.Conv2d(c, 2 * c, 4, 2, 1), nn.LeakyReLU(0.2))
        self.block = nn.Sequential(nn.Conv2d(2 * c, 2 * c, 3, 1, 1), nn.LeakyReLU(0.2),
                                   nn.Conv2d(2 * c, 2 * c, 3, 1, 1))
        self.up = nn.Sequential(nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.LeakyReLU(0.2),
                                nn.ConvTranspose2d(c, 1, 4, 2, 1))
        nn.init.zeros_(self.up[-1].weight)
        nn.init.zeros_(self.up[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.down(x.view(-1, 1, 28, 28))
        h = h + self.block(h)
        return torch.tanh(self.up(h).flatten(1) + torch.atanh(0.99 * x))


def build_generator(cfg: CycleConfig) -> nn.Module:
    """2D: 2 -> h -> h -> h -> 2. Digits: ``DigitGenerator`` or, with ``generator="conv"``,
    ``ConvDigitGenerator`` (``hidden`` channels)."""
    if cfg.is_image:
        return ConvDigitGenerator(cfg.hidden) if cfg.generator == "conv" else DigitGenerator(cfg.hidden)
    h = cfg.hidden
    return mlp([2, h, h, h, 2])


PATCHES = 49  # patch scores per digit; a 50th column, when present, scores the whole digit


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


def loss_terms(nets: Nets, x: torch.Tensor, y: torch.Tensor, w_whole: float = 0.0) -> dict[str, torch.Tensor]:
    """The generators' four loss groups on one batch, unweighted, plus the fakes (for the Ds).

    adv_g = mean (D_Y(G(x)) - 1)^2, adv_f = mean (D_X(F(y)) - 1)^2 (plus ``w_whole`` times the
    whole-digit score's, when the Ds have one),
    cycle = mean |F(G(x)) - x| + mean |G(F(y)) - y|, identity = mean |F(x) - x| + mean |G(y) - y|.
    """
    fake_y, fake_x = nets.g(x), nets.f(y)
    return {
        "adv_g": ls_real(nets.d_y(fake_y), w_whole),
        "adv_f": ls_real(nets.d_x(fake_x), w_whole),
        "cycle": (nets.f(fake_y) - x).abs().mean() + (nets.g(fake_x) - y).abs().mean(),
        "identity": (nets.f(x) - x).abs().mean() + (nets.g(y) - y).abs().mean(),
        "fake_x": fake_x,
        "fake_y": fake_y,
    }


def generator_loss(cfg: CycleConfig, terms: dict[str, torch.Tensor]) -> torch.Tensor:
    return (cfg.w_adv_g * terms["adv_g"] + cfg.w_adv_f * terms["adv_f"]
            + cfg.lambda_cycle * terms["cycle"] + cfg.lambda_id * terms["identity"])


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
    history: dict[str, list[float]] = {c: [] for c in HISTORY_COLUMNS}
    sums = dict.fromkeys(LOSS_COLUMNS, 0.0)
    status, t0, count = "ok", time.perf_counter(), 0
    for step in range(1, cfg.steps + 1):
        x = sampler.draw(cfg.domain_x, cfg.batch)
        y = sampler.draw(cfg.domain_y, cfg.batch)
        terms = loss_terms(nets, x, y, cfg.w_whole)
        opt_gen.zero_grad(set_to_none=True)
        generator_loss(cfg, terms).backward()
        opt_gen.step()
        d_x = discriminator_loss(nets.d_x, x, terms["fake_x"])
        d_y = discriminator_loss(nets.d_y, y, terms["fake_y"])
        opt_dis.zero_grad(set_to_none=True)
        (d_x + d_y).backward()
        opt_dis.step()
        values = {k: float(terms[k].detach()) for k in ("adv_g", "adv_f", "cycle", "identity")}
        values.update(d_x=float(d_x.detach()), d_y=float(d_y.detach()))
        for k in LOSS_COLUMNS:
            sums[k] += values[k]
        count += 1
        if step % every == 0 or step == cfg.steps:
            history["step"].append(step)
            history["seconds"].append(time.perf_counter() - t0)
            for k in LOSS_COLUMNS:
                history[k].append(sums[k] / count)
            sums, count = dict.fromkeys(LOSS_COLUMNS, 0.0), 0
            if callback:
                callback(step, {k: history[k][-1] for k in LOSS_COLUMNS})
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
