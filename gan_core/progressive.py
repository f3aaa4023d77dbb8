"""High resolution step by step: a small style-based generator grown progressively on the digits.

Two ideas of Karras et al. in one model, kept small enough to train on one CPU thread:

* **Progressive growing** (PGGAN, "Progressive Growing of GANs for Improved Quality, Stability,
  and Variation", ICLR 2018): G and D start at 7 x 7 and grow to 14 x 14, then 28 x 28. When a
  resolution is added, its layers fade in: G's picture is ``(1 - alpha) * up(old) + alpha * new``,
  where ``old`` is the previous resolution's output layer (``to_img``) enlarged (nearest
  neighbour) and ``new`` the new block's output layer; alpha rises from 0 to 1 during training.
  D mirrors this on its input side (``from_img`` of the new resolution blended with the old
  one's on the half-size picture).
* **A style-based generator** (StyleGAN, "A Style-Based Generator Architecture for Generative
  Adversarial Networks", CVPR 2019): a mapping network turns the noise z into a style vector w;
  the synthesis network starts from a learned constant and receives w at every layer through
  AdaIN (normalise each feature map, then scale and shift it by an affine function of w). Each
  resolution has its own two styles, so *style mixing* (the coarse layers' styles from one w,
  the fine layers' from another) is a choice of which w each layer gets. StyleGAN's per-pixel
  noise inputs are left out: every picture here is fixed by its z.

Both networks use equalised learning rates (weights drawn from N(0, 1) and scaled at run time by
He's constant), as both papers do. Training, the shipped file and its sidecar live in
``gan_core.progressive_run``; this module holds the networks and loads the shipped file.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gan_core.files import PRETRAINED, SidecarMismatch, checked_sidecar

STAGES = (7, 14, 28)  # the resolutions the networks grow through
STYLES_PER_STAGE = 2  # one style per AdaIN; each resolution has two
N_STYLES = STYLES_PER_STAGE * len(STAGES)
WEIGHTS, SIDECAR = "progressive.pt", "progressive.json"  # G and how it was made, measured
TIMELINE, TIMELINE_SIDECAR = "progressive_timeline.npz", "progressive_timeline.json"  # its growth


@dataclass(frozen=True)
class ProgressiveConfig:
    """Sizes of the networks and the training recipe (``gan_core.progressive_run`` reads the
    recipe). Phases are counted in generator updates: a stable phase at 7 x 7, then for each
    new resolution a fade-in (alpha 0 -> 1) and a stable phase."""

    z_dim: int = 32
    w_dim: int = 32
    map_hidden: int = 64
    map_layers: int = 3
    map_lr_mul: float = 0.01  # StyleGAN's mapping network learns 100 x slower than the rest
    g_channels: tuple[int, ...] = (32, 32, 16)  # per stage 7, 14, 28
    d_channels: tuple[int, ...] = (32, 32, 16)
    steps_stable: tuple[int, ...] = (800, 1000, 600)  # per stage
    steps_fade: tuple[int, ...] = (800, 500)  # into 14, into 28
    batch: tuple[int, ...] = (64, 32, 32)  # per stage (PGGAN too takes smaller batches when larger)
    lr: float = 0.002
    betas: tuple[float, float] = (0.0, 0.99)
    r1: float = 1.0
    mixing: float = 0.5  # share of G's batches trained with two styles (mixing regularisation)
    ema_half_life: int = 5000  # images (G's running average, which is what ships)
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> ProgressiveConfig:
        tuples = {k: tuple(v) for k, v in d.items() if isinstance(v, list)}
        return ProgressiveConfig(**{**d, **tuples})


# ---- equalised learning rate ---------------------------------------------------------------------
class EqLinear(nn.Module):
    """A fully connected layer whose weights are N(0, 1) and scaled by lr_mul / sqrt(fan_in)."""

    def __init__(self, n_in: int, n_out: int, lr_mul: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.w_scale, self.lr_mul = lr_mul / math.sqrt(n_in), lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.w_scale, self.bias * self.lr_mul)


class EqConv(nn.Module):
    """A k x k convolution (same padding) with equalised learning rate."""

    def __init__(self, c_in: int, c_out: int, k: int = 3):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, k, k))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.scale, self.pad = 1 / math.sqrt(c_in * k * k), k // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.pad)


def act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2)


def up(x: torch.Tensor) -> torch.Tensor:
    """Twice the size, each pixel copied into a 2 x 2 block (nearest neighbour, as in PGGAN)."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


def down_to(x: torch.Tensor, res: int) -> torch.Tensor:
    """Average-pool a square picture batch down to ``res`` x ``res``."""
    return F.avg_pool2d(x, x.shape[-1] // res) if x.shape[-1] != res else x


def fade(old: torch.Tensor, new: torch.Tensor, alpha: float) -> torch.Tensor:
    """The fade-in: (1 - alpha) * old + alpha * new (alpha 0: all old, 1: all new)."""
    return old + alpha * (new - old) if alpha < 1 else new


def real_view(x: torch.Tensor, stage: int, alpha: float = 1.0) -> torch.Tensor:
    """Real 28 x 28 pictures as D sees them at ``stage``: reduced to its size and, during a
    fade-in, blended from the previous size the same way G's output is (PGGAN does this too, so
    D is never shown sharper reals than G can draw yet)."""
    res = STAGES[stage]
    x = down_to(x, res)
    return fade(up(down_to(x, res // 2)), x, alpha) if alpha < 1 else x


# ---- the generator --------------------------------------------------------------------------------
class AdaIN(nn.Module):
    """Adaptive instance normalisation: each map normalised to mean 0, std 1, then scaled by
    ``1 + s(w)`` and shifted by ``b(w)``, where (s, b) is an affine function of the style w."""

    def __init__(self, w_dim: int, channels: int):
        super().__init__()
        self.affine = EqLinear(w_dim, 2 * channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        scale, shift = self.affine(w)[:, :, None, None].chunk(2, dim=1)
        return F.instance_norm(x) * (1 + scale) + shift


class StyleGenerator(nn.Module):
    """z -> mapping network -> w; a learned 7 x 7 constant -> blocks at 7, 14, 28, each with two
    AdaIN styles; ``to_img[i]`` (a 1 x 1 conv) makes the grey picture of stage i (no tanh: the
    fade-in blends these linear outputs, as PGGAN does; pictures are clamped to [-1, 1] to show)."""

    def __init__(self, cfg: ProgressiveConfig):
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        for i in range(cfg.map_layers):
            n_in = cfg.z_dim if i == 0 else cfg.map_hidden
            n_out = cfg.w_dim if i == cfg.map_layers - 1 else cfg.map_hidden
            layers.append(EqLinear(n_in, n_out, lr_mul=cfg.map_lr_mul))
        self.mapping = nn.ModuleList(layers)
        c = cfg.g_channels
        self.const = nn.Parameter(torch.randn(1, c[0], STAGES[0], STAGES[0]))
        self.conv = nn.ModuleList()  # conv[2 i], conv[2 i + 1]: the two convolutions of stage i
        for i in range(len(STAGES)):
            # stage 0: state size c0 x 7 x 7 (the constant); stage i: c[i-1] x 2r x 2r after up()
            self.conv.append(EqConv(c[i - 1], c[i]) if i else nn.Identity())
            self.conv.append(EqConv(c[i], c[i]))
        self.style = nn.ModuleList(AdaIN(cfg.w_dim, c[i // STYLES_PER_STAGE]) for i in range(N_STYLES))
        self.to_img = nn.ModuleList(EqConv(ch, 1, k=1) for ch in c)

    def map(self, z: torch.Tensor) -> torch.Tensor:
        """The mapping network: z (normalised to unit mean square) -> w."""
        x = z * torch.rsqrt(z.pow(2).mean(1, keepdim=True) + 1e-8)
        for i, layer in enumerate(self.mapping):
            x = layer(x)
            x = act(x) if i < len(self.mapping) - 1 else x
        return x

    def features(self, ws: torch.Tensor, stage: int) -> list[torch.Tensor]:
        """Feature maps of stages 0..stage; ``ws`` is N x N_STYLES x w_dim (one w per AdaIN)."""
        out: list[torch.Tensor] = []
        x = self.const.expand(len(ws), -1, -1, -1)
        for i in range(stage + 1):
            if i:
                x = act(self.conv[2 * i](up(x)))
            x = self.style[2 * i](x, ws[:, 2 * i])
            x = self.style[2 * i + 1](act(self.conv[2 * i + 1](x)), ws[:, 2 * i + 1])
            out.append(x)
        return out

    def branches(self, ws: torch.Tensor, stage: int) -> tuple[torch.Tensor | None, torch.Tensor]:
        """(old, new) at ``stage``: the previous stage's picture enlarged to this size (None at
        stage 0) and this stage's own picture. The output is fade(old, new, alpha)."""
        feats = self.features(ws, stage)
        new = self.to_img[stage](feats[stage])
        return (up(self.to_img[stage - 1](feats[stage - 1])) if stage else None), new

    def synthesis(self, ws: torch.Tensor, stage: int = len(STAGES) - 1, alpha: float = 1.0) -> torch.Tensor:
        if alpha >= 1:  # fully grown: the old branch is not needed
            return self.to_img[stage](self.features(ws, stage)[stage])
        old, new = self.branches(ws, stage)
        return new if old is None else fade(old, new, alpha)

    def forward(self, z: torch.Tensor, stage: int = len(STAGES) - 1, alpha: float = 1.0) -> torch.Tensor:
        """N x z_dim noise -> N x 1 x R x R pictures, R = STAGES[stage]."""
        return self.synthesis(broadcast(self.map(z)), stage, alpha)


def broadcast(w: torch.Tensor) -> torch.Tensor:
    """One w for every layer: N x w_dim -> N x N_STYLES x w_dim."""
    return w[:, None, :].expand(-1, N_STYLES, -1)


def first_style(res: int) -> int:
    """Index of the first style used at resolution ``res`` (N_STYLES above the last stage)."""
    return STYLES_PER_STAGE * STAGES.index(res) if res in STAGES else N_STYLES


def mix(w_a: torch.Tensor, w_b: torch.Tensor, crossover: int) -> torch.Tensor:
    """Style mixing: layers before style index ``crossover`` take w_a (coarse), the rest w_b
    (fine). crossover 0: all from B; N_STYLES: all from A."""
    ws = broadcast(w_a).clone()
    ws[:, crossover:] = w_b[:, None, :]
    return ws


# ---- the discriminator -----------------------------------------------------------------------------
class ProgressiveDiscriminator(nn.Module):
    """Mirror of G: ``from_img[i]`` (1 x 1 conv) reads a picture at stage i; blocks at 28 and 14
    halve the size; at 7 x 7 the minibatch standard deviation (PGGAN) is added as one more map,
    then a conv and a linear layer give one logit."""

    def __init__(self, cfg: ProgressiveConfig):
        super().__init__()
        c = cfg.d_channels  # per stage 7, 14, 28
        self.from_img = nn.ModuleList(EqConv(1, ch, k=1) for ch in c)
        self.block = nn.ModuleList([nn.Identity()] + [
            nn.ModuleList([EqConv(c[i], c[i]), EqConv(c[i], c[i - 1])]) for i in range(1, len(STAGES))])
        self.final_conv = EqConv(c[0] + 1, c[0])
        self.final = EqLinear(c[0] * STAGES[0] ** 2, 1)

    def _down(self, i: int, x: torch.Tensor) -> torch.Tensor:
        a, b = self.block[i]
        return F.avg_pool2d(act(b(act(a(x)))), 2)

    def forward(self, img: torch.Tensor, stage: int = len(STAGES) - 1, alpha: float = 1.0) -> torch.Tensor:
        x = act(self.from_img[stage](img))
        for i in range(stage, 0, -1):
            x = self._down(i, x)
            if i == stage and alpha < 1:  # the new block fades in over the old input layer
                x = fade(act(self.from_img[i - 1](F.avg_pool2d(img, 2))), x, alpha)
        # + 1e-8: the corners of every digit are equally black, and sqrt'(0) would be infinite
        std = (x.var(0, unbiased=False) + 1e-8).sqrt().mean().expand(len(x), 1, *x.shape[2:])
        x = act(self.final_conv(torch.cat([x, std], 1)))
        return self.final(x.flatten(1)).squeeze(1)


# ---- pictures and the shipped file -----------------------------------------------------------------
def to_uint8(x: torch.Tensor) -> np.ndarray:
    """N x 1 x R x R pictures in [-1, 1] (clamped) -> uint8 N x R x R (0 = black background)."""
    return ((x.detach().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)[:, 0].numpy()


def to_tensor(images_uint8: np.ndarray) -> torch.Tensor:
    """uint8 N x R x R -> float N x 1 x R x R in [-1, 1] (the inverse of ``to_uint8``)."""
    return torch.from_numpy(np.asarray(images_uint8, dtype=np.float32) / 127.5 - 1).unsqueeze(1)


def frame_picture(frame: dict[str, np.ndarray], alpha: float | None = None) -> np.ndarray:
    """One moment of the growth timeline as uint8 N x R x R: during a fade-in, its two branches
    blended at ``alpha`` (default: the alpha of that moment) exactly as G blends them."""
    if "old" not in frame:
        return frame["new"]
    a = float(frame["alpha"] if alpha is None else alpha)
    old = np.kron(frame["old"].astype(np.float32), np.ones((2, 2), np.float32))  # up(): 2 x 2 blocks
    return np.clip(np.round(old + a * (frame["new"].astype(np.float32) - old)), 0, 255).astype(np.uint8)


def noise(seeds, z_dim: int) -> torch.Tensor:
    """One z per seed, each drawn from its own generator: a seed always gives the same digit."""
    return torch.stack([torch.randn(z_dim, generator=torch.Generator().manual_seed(int(s))) for s in seeds])


class ProgressiveModelError(RuntimeError):
    """The shipped model is missing or does not match its sidecar."""


@dataclass(frozen=True)
class Shipped:
    g: StyleGenerator  # eval mode, no gradients
    info: dict  # the sidecar
    timeline: dict[str, np.ndarray]  # the growth snapshots (see gan_core.progressive_run)

    def frames(self) -> list[dict]:
        """The timeline's moments in order: step, images seen, stage, alpha, ``new`` and (during
        a fade-in) ``old``."""
        tl = self.timeline
        return [{"step": int(tl["step"][i]), "images": int(tl["images"][i]), "stage": int(tl["stage"][i]),
                 "alpha": float(tl["alpha"][i]),
                 **{k: tl[f"{k}_{i}"] for k in ("new", "old") if f"{k}_{i}" in tl}}
                for i in range(len(tl["step"]))]


def load(folder: Path | str | None = None) -> Shipped:
    """The shipped generator and its growth timeline, checked against the sidecar's SHA-256s and
    read with ``torch.load(weights_only=True)`` / ``np.load(allow_pickle=False)``."""
    folder = Path(folder) if folder is not None else PRETRAINED
    try:
        info = checked_sidecar(folder / WEIGHTS, folder / SIDECAR)
        checked_sidecar(folder / TIMELINE, folder / TIMELINE_SIDECAR)
        raw = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True)
        g = StyleGenerator(ProgressiveConfig.from_dict(json.loads(raw["config"])))
        g.load_state_dict({k: v.float() for k, v in raw["g"].items()})
        with np.load(folder / TIMELINE, allow_pickle=False) as z:
            timeline = {k: z[k] for k in z.files}
    except SidecarMismatch as err:
        raise ProgressiveModelError(str(err)) from None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        raise ProgressiveModelError(f"{WEIGHTS} could not be read ({type(err).__name__})") from None
    g.requires_grad_(False)
    return Shipped(g.eval(), info, timeline)
