"""Neural style transfer (Gatys, Ecker and Bethge, CVPR 2016), small enough for a class's CPU.

Nothing is trained. The pixels of ONE picture are optimised so that three losses fall:

content loss    mean squared difference between the picture's features and the content photo's
                features at one layer (where things are, not how they are painted)
style loss      mean squared difference between Gram matrices (feature-by-feature correlations,
                which forget where a feature fired) of the picture and of the style picture,
                averaged over several layers (brush strokes, colours, textures at many scales)
variation loss  total variation: the mean distance between neighbouring pixels (keeps it smooth)

Features come from a fixed convolutional network with random filters drawn from a seed (no
weights to download or ship): random-filter networks carry texture statistics well
(Ustyuzhaninov et al. 2017, "What does it take to generate natural textures?"; He, Wang and
Hopcroft 2016). Each layer's loss is divided by the size of its target, so the three weights
are comparable and no layer dominates by scale alone.

``optimise(content, style, cfg, callback, should_stop) -> StyleResult`` runs Adam on the pixels.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from gan_core.threads import single_thread

SIZES = (96, 128, 160)  # long side of the content picture, pixels
MAX_STEPS = 300  # the most Adam steps one run may take (a class of thirty shares the server)
INITS = ("content", "noise")
NET_SEED = 20160627  # the random filters' seed (any fixed number; Gatys et al. was at CVPR 2016)
STYLE_LAYERS = (0, 1, 2, 3)  # every block's ReLU output: 4 scales
CONTENT_LAYER = 2  # a middle block: the layout survives, the exact colours do not
FEATURES = "random"  # the only feature network here (a caption says so)


class StyleError(ValueError):
    """Settings outside the allowed ranges (``key`` names the setting)."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(message)


@dataclass(frozen=True)
class StyleConfig:
    content_weight: float = 1.0
    style_weight: float = 5.0
    tv_weight: float = 0.1
    steps: int = 150
    size: int = 128
    lr: float = 0.03
    init: str = "content"  # start from the content photo, or from noise as Gatys et al. did
    seed: int = 0  # the noise start's seed (the network's filters are fixed: NET_SEED)

    def replace(self, **kw) -> StyleConfig:
        return replace(self, **kw)

    def as_dict(self) -> dict:
        return asdict(self)


def validate(cfg: StyleConfig) -> StyleConfig:
    """The config back, or StyleError naming the first bad setting."""
    for key in ("content_weight", "style_weight", "tv_weight"):
        value = getattr(cfg, key)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value <= 100):
            raise StyleError(key, f"{key} must be from 0 to 100")
    if cfg.content_weight + cfg.style_weight + cfg.tv_weight <= 0:
        raise StyleError("content_weight", "at least one loss weight must be above 0")
    if not (isinstance(cfg.steps, int) and 1 <= cfg.steps <= MAX_STEPS):
        raise StyleError("steps", f"steps must be from 1 to {MAX_STEPS}")
    if cfg.size not in SIZES:
        raise StyleError("size", f"size must be one of {SIZES}")
    if not (math.isfinite(cfg.lr) and 0 < cfg.lr <= 0.5):
        raise StyleError("lr", "lr must be above 0 and at most 0.5")
    if cfg.init not in INITS:
        raise StyleError("init", f"init must be one of {INITS}")
    return cfg


# ---- the three losses ----------------------------------------------------------------------------
def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrices of B x C x H x W features: G[b, i, j] = mean over positions of f_i * f_j."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the features at the content layer."""
    return F.mse_loss(features, target)


def style_loss(feature_list: list[torch.Tensor], target_grams: list[torch.Tensor]) -> torch.Tensor:
    """Mean over layers of the mean squared difference between Gram matrices."""
    losses = [F.mse_loss(gram(f), g) for f, g in zip(feature_list, target_grams, strict=True)]
    return torch.stack(losses).mean()


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Total variation of B x 3 x H x W pixels: mean |right - left| + mean |below - above|."""
    dx = (image[..., :, 1:] - image[..., :, :-1]).abs().mean()
    dy = (image[..., 1:, :] - image[..., :-1, :]).abs().mean()
    return dx + dy


# ---- the feature network: fixed random filters ---------------------------------------------------
class RandomFeatures(torch.nn.Module):
    """Four blocks of 3x3 convolutions + ReLU, each block at half the previous resolution
    (average pooling), filters drawn from ``seed``. Returns every block's output."""

    CHANNELS = (3, 32, 64, 96, 128)

    def __init__(self, seed: int = NET_SEED):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.convs = torch.nn.ModuleList()
        for cin, cout in zip(self.CHANNELS[:-1], self.CHANNELS[1:], strict=True):
            conv = torch.nn.Conv2d(cin, cout, 3, padding=1, padding_mode="reflect")
            w = torch.randn(cout, cin, 3, 3, generator=gen) * math.sqrt(2.0 / (cin * 9))
            conv.weight.data.copy_(w)
            conv.bias.data.copy_(torch.randn(cout, generator=gen) * 0.1)
            self.convs.append(conv)
        self.requires_grad_(False)
        self.eval()
        # pixels in [0, 1] are centred on mid-grey first
        self.register_buffer("shift", torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        x = (image - self.shift) * 4.0
        out = []
        for i, conv in enumerate(self.convs):
            if i:
                x = F.avg_pool2d(x, 2)
            x = F.relu(conv(x))
            out.append(x)
        return out


_NET: RandomFeatures | None = None


def feature_net() -> RandomFeatures:
    """The one shared network (its filters never change, so every run and thread can use it)."""
    global _NET
    if _NET is None:
        _NET = RandomFeatures()
    return _NET


# ---- pictures in and out ---------------------------------------------------------------------------
def working_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(W, H) with the long side ``size`` and both sides multiples of 8 (three poolings)."""
    scale = size / max(width, height)
    return (max(16, round(width * scale / 8) * 8), max(16, round(height * scale / 8) * 8))


def fit_content(pixels: np.ndarray, size: int) -> np.ndarray:
    """The content photo at its working size (aspect ratio kept), RGB uint8."""
    from PIL import Image

    w, h = working_size(pixels.shape[1], pixels.shape[0], size)
    return np.asarray(Image.fromarray(pixels).resize((w, h), Image.LANCZOS), dtype=np.uint8)


def fit_style(pixels: np.ndarray, size: int) -> np.ndarray:
    """The style picture as a size x size square: short side scaled to ``size``, centre cut."""
    from PIL import Image

    im = Image.fromarray(pixels)
    scale = size / min(im.size)
    im = im.resize((max(size, round(im.width * scale)), max(size, round(im.height * scale))), Image.LANCZOS)
    left, top = (im.width - size) // 2, (im.height - size) // 2
    return np.asarray(im.crop((left, top, left + size, top + size)), dtype=np.uint8)


def to_tensor(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(pixels, dtype=np.float32)).permute(2, 0, 1)[None] / 255.0


def to_pixels(image: torch.Tensor) -> np.ndarray:
    return (image[0].detach().clamp(0, 1).permute(1, 2, 0).numpy() * 255.0).round().astype(np.uint8)


# ---- the optimisation --------------------------------------------------------------------------------
LOSSES = ("content", "style", "tv")
HISTORY = ("step", *LOSSES, "total")


@dataclass
class StyleResult:
    image: np.ndarray  # RGB uint8, the content's working size
    history: dict[str, np.ndarray]  # HISTORY columns: the unweighted losses and the weighted total
    config: StyleConfig
    status: str = "ok"  # ok | stopped (the student pressed Stop) | diverged (a loss became NaN/inf)
    seconds: float = 0.0
    features: str = FEATURES
    meta: dict = field(default_factory=dict)

    @property
    def steps_done(self) -> int:
        return len(self.history["step"])


class Targets:
    """What the content and style pictures ask for, measured once: the content layer's features,
    the style layers' Gram matrices, and the scale each loss is divided by."""

    def __init__(self, content: np.ndarray, style: np.ndarray, size: int):
        net = feature_net()
        self.content = to_tensor(fit_content(content, size))
        with torch.no_grad():
            self.features = net(self.content)[CONTENT_LAYER]
            style_feats = net(to_tensor(fit_style(style, size)))
            self.grams = [gram(style_feats[i]) for i in STYLE_LAYERS]
        self.content_scale = self.features.pow(2).mean().clamp_min(1e-8)
        self.style_scales = [g.pow(2).mean().clamp_min(1e-8) for g in self.grams]

    def losses(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """The three losses of a picture, each divided by its target's size."""
        feats = feature_net()(image)
        style = torch.stack([F.mse_loss(gram(feats[i]), g) / s
                             for i, g, s in zip(STYLE_LAYERS, self.grams, self.style_scales, strict=True)])
        return {"content": content_loss(feats[CONTENT_LAYER], self.features) / self.content_scale,
                "style": style.mean(), "tv": tv_loss(image)}


def start_image(targets: Targets, cfg: StyleConfig) -> torch.Tensor:
    if cfg.init == "content":
        return targets.content.clone()
    gen = torch.Generator().manual_seed(cfg.seed)
    return torch.rand(targets.content.shape, generator=gen)


Callback = Callable[[int, dict, "np.ndarray | None"], None]


def optimise(content: np.ndarray, style: np.ndarray, cfg: StyleConfig = StyleConfig(),
             callback: Callback | None = None, should_stop: Callable[[], bool] | None = None,
             preview_every: int = 10) -> StyleResult:
    """Adam on the pixels of one picture for ``cfg.steps`` steps, on one CPU thread.

    ``callback(step, losses, preview)`` runs after every step with that step's losses (floats,
    ``total`` weighted); ``preview`` is the picture (uint8) after the first step, every
    ``preview_every`` steps and the last, else None. ``should_stop()`` is asked before each
    step. A loss that turns NaN or infinite ends the run with status "diverged" and the last
    finite picture.
    """
    validate(cfg)
    weights = {"content": cfg.content_weight, "style": cfg.style_weight, "tv": cfg.tv_weight}
    rows: list[tuple[float, ...]] = []
    status, t0 = "ok", time.perf_counter()
    with single_thread():
        targets = Targets(content, style, cfg.size)
        x = start_image(targets, cfg).requires_grad_(True)
        best = x.detach().clone()
        opt = torch.optim.Adam([x], lr=cfg.lr)
        for step in range(1, cfg.steps + 1):
            if should_stop is not None and should_stop():
                status = "stopped"
                break
            parts = targets.losses(x)
            total = sum(weights[k] * parts[k] for k in LOSSES)
            if not torch.isfinite(total):
                status = "diverged"
                break
            best = x.detach().clone()
            opt.zero_grad(set_to_none=True)
            total.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(0.0, 1.0)
            values = {k: float(parts[k].detach()) for k in LOSSES} | {"total": float(total.detach())}
            rows.append((step, *(values[k] for k in HISTORY[1:])))
            if callback is not None:
                preview = to_pixels(x) if step % preview_every == 0 or step in (1, cfg.steps) else None
                callback(step, values, preview)
        if status == "ok":
            best = x.detach()
    cols = np.array(rows, dtype=np.float64).reshape(-1, len(HISTORY))
    history = {k: cols[:, i].astype(np.int64 if k == "step" else np.float64) for i, k in enumerate(HISTORY)}
    return StyleResult(image=to_pixels(best), history=history, config=cfg, status=status,
                       seconds=time.perf_counter() - t0)
