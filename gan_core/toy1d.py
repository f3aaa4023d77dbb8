"""A real, tiny 1D GAN: the police-vs-counterfeiter game and the 'figure 1' picture.

Real bills have one measurable feature x drawn from ``p_data`` (a Gaussian or a mixture).
The counterfeiter G maps noise z ~ N(0, 1) to a feature x = G(z) through a small MLP; the
police D is a small MLP that returns a logit for "real". Both are trained with the very same
update code as every other run in the app: ``Toy1D`` is a ``gan_core.train.Trainer`` whose
networks, data and noise are one-dimensional, so ``d_update`` / ``g_update`` / ``step`` (and
the losses in ``gan_core.losses``) are reused, not copied.

Everything here is small enough that one round of 25 updates takes a few milliseconds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from gan_core.config import TrainConfig
from gan_core.theory import Mixture
from gan_core.threads import single_thread
from gan_core.train import Trainer

ACTIONS = ("police", "counterfeiter", "both")
MAX_ROUND_STEPS = 200


@dataclass(frozen=True)
class Toy1DConfig:
    """Settings of one 1D game (``train_config`` gives the Trainer the fields it reads)."""

    data: Mixture = field(default_factory=lambda: Mixture.gaussian(2.0, 0.6))
    g_start: float = -2.0  # where the counterfeiter's first bills land
    g_hidden: int = 16
    d_hidden: int = 32
    lr_g: float = 5e-3
    lr_d: float = 5e-3
    beta1: float = 0.5
    batch: int = 128
    loss: str = "nonsat"
    k: int = 1
    seed: int = 0
    x_lo: float = -5.0  # the window the views are drawn on
    x_hi: float = 6.0

    def train_config(self) -> TrainConfig:
        """The TrainConfig ``Trainer.d_update`` / ``g_update`` / ``step`` read (loss, k, lr, betas,
        nz = 1; every other field keeps its default, so unroll / EMA stay off)."""
        return TrainConfig(loss=self.loss, k=self.k, nz=1, lr_g=self.lr_g, lr_d=self.lr_d,
                           beta1=self.beta1, batch=self.batch, seed=self.seed)


class Generator1D(nn.Module):
    """z (B x 1) -> x (B x 1): a one-hidden-layer tanh MLP plus a straight path a*z + b."""

    def __init__(self, hidden: int, start: float):
        super().__init__()
        self.n_classes = 0
        self.lin = nn.Linear(1, 1)  # the straight path: spread and position
        self.mlp = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        with torch.no_grad():
            self.lin.weight.fill_(0.3)  # a narrow, badly placed first batch of fakes
            self.lin.bias.fill_(start)
            self.mlp[2].weight.mul_(0.1)
            self.mlp[2].bias.zero_()

    def forward(self, z: torch.Tensor, y=None) -> torch.Tensor:
        return self.lin(z) + self.mlp(z)


class Discriminator1D(nn.Module):
    """x (B x 1) -> logit (B): two LeakyReLU hidden layers."""

    def __init__(self, hidden: int):
        super().__init__()
        self.n_classes = 0
        self.main = nn.Sequential(
            nn.Linear(1, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor, y=None) -> torch.Tensor:
        return self.main(x).view(-1)


class _RealBills:
    """Endless batches from p_data (the Trainer asks ``next()`` for (real, labels))."""

    def __init__(self, data: Mixture, batch: int, rng: np.random.Generator):
        self.data, self.batch, self.rng = data, batch, rng

    def next(self):
        x = self.data.sample(self.batch, self.rng).astype(np.float32)
        return torch.from_numpy(x).unsqueeze(1), None


@dataclass
class View1D:
    """What the pages draw at one moment of the game / of training."""

    step: int  # generator updates so far
    d_steps: int  # discriminator updates so far
    xs: np.ndarray
    p_data: np.ndarray
    p_g: np.ndarray  # estimated from fixed-noise fakes (kernel density)
    d_curve: np.ndarray  # D(x) on xs
    z_lines: np.ndarray  # evenly spaced z values ...
    x_lines: np.ndarray  # ... and where G sends them
    pass_rate: float  # share of fakes with D(G(z)) > 1/2 ("not caught")
    d_real: float  # mean D(x) on real bills
    d_fake: float  # mean D(G(z)) on fakes
    fake_mean: float
    fake_std: float

    @property
    def d_gap(self) -> float:
        """Largest |D(x) - 1/2| where the real bills live (the police's remaining edge)."""
        mask = self.p_data > 0.05 * self.p_data.max()
        return float(np.max(np.abs(self.d_curve[mask] - 0.5)))


@dataclass
class RoundRecord:
    round: int
    action: str
    steps: int
    loss_d: float
    loss_g: float
    pass_rate: float
    d_real: float
    d_fake: float


def kde(samples: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Gaussian kernel density of ``samples`` on the even grid ``xs`` (Silverman bandwidth,
    at least two grid steps), computed by binning and one convolution."""
    samples = np.asarray(samples, float).ravel()
    dx = float(xs[1] - xs[0])
    std = float(samples.std()) if samples.size > 1 else 0.0
    h = max(1.06 * std * samples.size ** (-0.2), 2.0 * dx)
    edges = np.concatenate([xs - dx / 2, [xs[-1] + dx / 2]])
    counts, _ = np.histogram(samples, bins=edges)
    half = int(math.ceil(4 * h / dx))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) * dx / h) ** 2)
    k /= k.sum()
    dens = np.convolve(counts.astype(float), k, mode="full")[half : half + len(xs)]
    return dens / (samples.size * dx)


class Toy1D(Trainer):
    """One 1D game. Uses ``Trainer.d_update``, ``Trainer.g_update`` and ``Trainer.step``."""

    def __init__(self, cfg: Toy1DConfig | None = None, view_samples: int = 4000):
        # Trainer.__init__ loads image / 2D data; here the same attributes are set for 1D.
        cfg = cfg or Toy1DConfig()
        if cfg.loss not in ("nonsat", "minimax"):
            raise ValueError(f"the 1D game uses 'nonsat' or 'minimax', not {cfg.loss!r}")
        self.game = cfg
        self.cfg = cfg.train_config()
        torch.manual_seed(cfg.seed)
        self.g = Generator1D(cfg.g_hidden, cfg.g_start)
        self.d = Discriminator1D(cfg.d_hidden)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        betas = (self.cfg.beta1, self.cfg.beta2)
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=cfg.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=cfg.lr_d, betas=betas)
        self.g_params = list(self.g.parameters())
        self.d_params = list(self.d.parameters())
        self.ema_g = None
        self.joint_d = True
        self.steps_done = self.r1_clock = 0  # counters Trainer.step / d_update keep
        self.note = ""
        self.batches = _RealBills(cfg.data, cfg.batch, np.random.default_rng(cfg.seed))
        self.fixed_z = torch.randn(view_samples, 1, generator=self.gen)
        view_real = cfg.data.sample(view_samples, np.random.default_rng(cfg.seed + 1))
        self.view_real = torch.from_numpy(view_real.astype(np.float32)).unsqueeze(1)
        self.fixed_y = None
        self.g_steps = 0
        self.d_steps = 0
        self.rounds: list[RoundRecord] = []

    # -- the three moves of the game -------------------------------------------------------------
    def train_police(self, steps: int) -> tuple[float, float]:
        """``steps`` discriminator updates against the current (frozen) counterfeiter."""
        loss = 0.0
        for _ in range(steps):
            real, _ = self.batches.next()
            z, _ = self.noise(real.shape[0])
            with torch.no_grad():
                fake = self.g(z)
            loss = self.d_update(real, None, fake, None)[0]
            self.d_steps += 1
        return loss, float("nan")

    def train_counterfeiter(self, steps: int) -> tuple[float, float]:
        """``steps`` generator updates through the current (frozen) police."""
        loss = 0.0
        for _ in range(steps):
            z, _ = self.noise(self.game.batch)
            loss = self.g_update(self.g(z), None)[0]
            self.g_steps += 1
        return float("nan"), loss

    def train_both(self, steps: int) -> tuple[float, float]:
        """``steps`` full GAN iterations: k police updates, then one counterfeiter update."""
        ld = lg = 0.0
        for _ in range(steps):
            ld, lg = self.step()[:2]
            self.d_steps += self.cfg.k
            self.g_steps += 1
        return ld, lg

    def play(self, action: str, steps: int) -> RoundRecord:
        """One round of the game; the record is appended to ``rounds``."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        steps = int(min(max(steps, 1), MAX_ROUND_STEPS))
        move = {"police": self.train_police, "counterfeiter": self.train_counterfeiter,
                "both": self.train_both}[action]
        with single_thread():
            ld, lg = move(steps)
            v = self._view(301, light=True)
        rec = RoundRecord(len(self.rounds) + 1, action, steps, ld, lg, v.pass_rate, v.d_real, v.d_fake)
        self.rounds.append(rec)
        return rec

    # -- looking ---------------------------------------------------------------------------------
    def view(self, n_grid: int = 301, light: bool = False) -> View1D:
        """The current state: densities, D's curve, the z -> x map and the catch numbers."""
        with single_thread():
            return self._view(n_grid, light)

    @torch.no_grad()
    def _view(self, n_grid: int, light: bool) -> View1D:
        cfg = self.game
        xs = np.linspace(cfg.x_lo, cfg.x_hi, n_grid)
        fakes = self.g(self.fixed_z)
        d_fake = torch.sigmoid(self.d(fakes))
        d_real = torch.sigmoid(self.d(self.view_real))
        f = fakes.numpy().ravel()
        if light:
            p_data = p_g = d_curve = z_lines = x_lines = np.empty(0)
        else:
            p_data = cfg.data.pdf(xs)
            p_g = kde(f, xs)
            x_column = torch.from_numpy(xs.astype(np.float32)).unsqueeze(1)
            d_curve = torch.sigmoid(self.d(x_column)).double().numpy()
            z_lines = np.linspace(-2.5, 2.5, 21)
            z_column = torch.from_numpy(z_lines.astype(np.float32)).unsqueeze(1)
            x_lines = self.g(z_column).double().numpy().ravel()
        return View1D(
            step=self.g_steps, d_steps=self.d_steps, xs=xs, p_data=p_data, p_g=p_g, d_curve=d_curve,
            z_lines=z_lines, x_lines=x_lines, pass_rate=float((d_fake > 0.5).float().mean()),
            d_real=float(d_real.mean()), d_fake=float(d_fake.mean()),
            fake_mean=float(f.mean()), fake_std=float(f.std()),
        )

    @torch.no_grad()
    def batch_logits(self, n: int = 256, seed: int = 7) -> tuple[torch.Tensor, torch.Tensor]:
        """D's logits on a fresh real batch and a fresh fake batch (for BCE <-> V)."""
        rng = np.random.default_rng(seed)
        real = torch.from_numpy(self.game.data.sample(n, rng).astype(np.float32)).unsqueeze(1)
        z = torch.from_numpy(rng.standard_normal((n, 1)).astype(np.float32))
        return self.d(real), self.d(self.g(z))


def train_with_snapshots(game: Toy1D, steps: int, every: int) -> list[View1D]:
    """Advance ``steps`` GAN iterations, taking a view every ``every`` iterations (and at the end)."""
    out = []
    done = 0
    while done < steps:
        n = min(every, steps - done)
        with single_thread():
            game.train_both(n)
        done += n
        out.append(game.view())
    return out
