"""Generators and discriminators.

Every discriminator returns *logits* (one per sample); the sigmoid lives in the losses, where
it can be computed stably. ``build(cfg)`` turns a TrainConfig into a (G, D) pair and fails
loudly on an unknown architecture.
"""
from __future__ import annotations

import torch
from torch import nn

from gan_core.config import TrainConfig

IMG = 28
N_CLASSES = 10


class SeedGenerator(nn.Module):
    """The textbook's MLP generator: nz -> 256 -> 512 -> 1024 -> 784, LeakyReLU(0.2), Tanh.

    Args:
        nz: latent size (the book uses 128).
        n_classes: if > 0, a one-hot label is appended to z (conditional GAN).
        grouped: the label is a look-alike group that z picks itself (see ``group_of``).
    """

    def __init__(self, nz: int = 128, n_classes: int = 0, grouped: bool = False):
        super().__init__()
        self.nz, self.n_classes = nz, n_classes
        _register_groups(self, n_classes, grouped)
        self.main = nn.Sequential(
            nn.Linear(nz + n_classes, 256),  # B x 256
            nn.LeakyReLU(0.2),
            nn.Linear(256, 512),  # B x 512
            nn.LeakyReLU(0.2),
            nn.Linear(512, 1024),  # B x 1024
            nn.LeakyReLU(0.2),
            nn.Linear(1024, IMG * IMG),  # B x 784
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        z = _with_labels(z, y, self.n_classes, self.group_cdf)
        return self.main(z).view(-1, 1, IMG, IMG)  # B x 1 x 28 x 28


class SeedDiscriminator(nn.Module):
    """The textbook's MLP discriminator: 784 -> 1024 -> 512 -> 256 -> 1, LeakyReLU(0.2), Dropout(0.3).

    The book's D ends with Sigmoid; here the last layer's logit is returned and the sigmoid is part
    of the loss (same maths, no overflow).
    """

    def __init__(self, n_classes: int = 0, mbstd: bool = False, pack: int = 1):
        super().__init__()
        self.n_classes, self.mbstd, self.pack = n_classes, mbstd, pack
        n_in = (IMG * IMG + n_classes) * pack + (1 if mbstd else 0)
        self.main = nn.Sequential(
            nn.Linear(n_in, 1024),  # B x 1024
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(1024, 512),  # B x 512
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(512, 256),  # B x 256
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(256, 1),  # B x 1 (logit)
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = _with_labels(x.flatten(1), y, self.n_classes)  # B x (784 + classes)
        h = _pack(h, self.pack)  # B/pack x (784 + classes)*pack
        if self.mbstd:
            h = _append_mbstd(h)
        return self.main(h).view(-1)


class DCGANGenerator(nn.Module):
    """A small DCGAN generator for 28 x 28: a linear stem then two stride-2 transposed convs.

    Args:
        nz: latent size. ngf: base channel count. n_classes: one-hot labels appended to z.
        grouped: the label is a look-alike group that z picks itself (see ``group_of``).
    """

    def __init__(self, nz: int = 64, ngf: int = 64, n_classes: int = 0, grouped: bool = False):
        super().__init__()
        self.nz, self.n_classes, self.ngf = nz, n_classes, ngf
        _register_groups(self, n_classes, grouped)
        self.stem = nn.Sequential(
            nn.Linear(nz + n_classes, ngf * 2 * 7 * 7, bias=False),  # B x (ngf*2*49)
            nn.BatchNorm1d(ngf * 2 * 7 * 7),
            nn.ReLU(True),
        )
        self.main = nn.Sequential(
            # state size. (ngf*2) x 7 x 7
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. ngf x 14 x 14
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1),
            nn.Tanh(),
            # state size. 1 x 28 x 28
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        z = _with_labels(z, y, self.n_classes, self.group_cdf)
        h = self.stem(z).view(-1, self.ngf * 2, 7, 7)
        return self.main(h)


class DCGANDiscriminator(nn.Module):
    """A small DCGAN discriminator for 28 x 28: two stride-2 convs, no pooling, a linear head."""

    def __init__(self, ndf: int = 64, n_classes: int = 0, mbstd: bool = False, pack: int = 1):
        super().__init__()
        self.n_classes, self.mbstd, self.pack = n_classes, mbstd, pack
        c_in = (1 + (1 if n_classes else 0)) * pack
        self.label_map = nn.Embedding(n_classes, IMG * IMG) if n_classes else None
        self.main = nn.Sequential(
            # input. c_in x 28 x 28
            nn.Conv2d(c_in, ndf, 4, 2, 1),
            nn.LeakyReLU(0.2, True),
            # state size. ndf x 14 x 14
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, True),
            # state size. (ndf*2) x 7 x 7
            nn.Flatten(),
        )
        self.head = nn.Linear(ndf * 2 * 7 * 7 + (1 if mbstd else 0), 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.label_map is not None:
            if y is None:
                raise ValueError("conditional discriminator needs labels")
            x = torch.cat([x, self.label_map(y).view(-1, 1, IMG, IMG)], 1)
        if self.pack > 1:
            b, c, hgt, wid = x.shape
            x = x.view(b // self.pack, c * self.pack, hgt, wid)
        h = self.main(x)  # B x (ndf*2*49)
        if self.mbstd:
            h = _append_mbstd(h)
        return self.head(h).view(-1)


class ToyGenerator(nn.Module):
    """MLP generator for 2D sets: nz -> hidden -> hidden -> hidden -> 2, ReLU."""

    def __init__(self, nz: int = 2, hidden: int = 128):
        super().__init__()
        self.nz, self.n_classes = nz, 0
        self.main = nn.Sequential(
            nn.Linear(nz, hidden),  # B x hidden
            nn.ReLU(),
            nn.Linear(hidden, hidden),  # B x hidden
            nn.ReLU(),
            nn.Linear(hidden, hidden),  # B x hidden
            nn.ReLU(),
            nn.Linear(hidden, 2),  # B x 2
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(z)


class ToyDiscriminator(nn.Module):
    """MLP discriminator for 2D sets: 2*pack (+1 mbstd) -> hidden -> hidden -> hidden -> 1."""

    def __init__(self, hidden: int = 128, mbstd: bool = False, pack: int = 1):
        super().__init__()
        self.n_classes, self.mbstd, self.pack = 0, mbstd, pack
        self.main = nn.Sequential(
            nn.Linear(2 * pack + (1 if mbstd else 0), hidden),  # B x hidden
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),  # B x hidden
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),  # B x hidden
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),  # B x 1 (logit)
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = _pack(x, self.pack)
        if self.mbstd:
            h = _append_mbstd(h)
        return self.main(h).view(-1)


# ---- helpers ------------------------------------------------------------------------------
def group_of(z: torch.Tensor, cdf: torch.Tensor) -> torch.Tensor:
    """The look-alike group each noise vector picks (self-conditioning, ``cfg.clusters``).

    z[:, 0] goes through the standard normal CDF to a number u in (0, 1); the group is the
    first k with u < cdf[k], where ``cdf`` holds the cumulative shares of the groups in the
    data. So groups come out as often as in the training set, and G stays a function of z
    alone: the same noise always gives the same picture, with or without a label passed in.
    """
    u = 0.5 * (1.0 + torch.erf(z[:, 0].float() * (0.5**0.5)))
    return torch.searchsorted(cdf, u.contiguous(), right=True).clamp_(max=cdf.numel() - 1)


def _register_groups(g: nn.Module, n_classes: int, grouped: bool) -> None:
    """``group_cdf``: cumulative group shares (uniform until the trainer sets the data's), or
    None for generators whose label, if any, comes from outside."""
    if grouped and n_classes < 1:
        raise ValueError("a grouped generator needs n_classes >= 1")
    cdf = torch.arange(1, n_classes + 1, dtype=torch.float32) / n_classes if grouped else None
    g.register_buffer("group_cdf", cdf)


def _with_labels(h: torch.Tensor, y: torch.Tensor | None, n_classes: int,
                 group_cdf: torch.Tensor | None = None) -> torch.Tensor:
    if not n_classes:
        return h
    if y is None:
        if group_cdf is None:
            raise ValueError("conditional model needs labels")
        y = group_of(h, group_cdf)
    return torch.cat([h, nn.functional.one_hot(y.long(), n_classes).to(h.dtype)], 1)


def _pack(h: torch.Tensor, pack: int) -> torch.Tensor:
    """PacGAN: join ``pack`` consecutive samples into one row (B x F -> B/pack x F*pack)."""
    if pack == 1:
        return h
    return h.reshape(h.shape[0] // pack, -1)


def _append_mbstd(h: torch.Tensor) -> torch.Tensor:
    """Minibatch standard deviation: append the batch's mean feature std to every row."""
    std = h.std(dim=0, unbiased=False).mean() if h.shape[0] > 1 else h.new_zeros(())
    return torch.cat([h, std.expand(h.shape[0], 1)], 1)


def init_weights(module: nn.Module) -> None:
    """DCGAN-style init for conv nets: N(0, 0.02) weights, BatchNorm gamma N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def build(cfg: TrainConfig) -> tuple[nn.Module, nn.Module]:
    """(G, D) for a config. Seeds torch's RNG from ``cfg.seed`` first so weights repeat."""
    torch.manual_seed(cfg.seed)
    classes = N_CLASSES if cfg.conditional else cfg.clusters  # cfg.check: never both
    grouped = cfg.clusters > 0
    if cfg.arch == "mlp-book":
        g = SeedGenerator(cfg.nz, classes, grouped)
        d = SeedDiscriminator(classes, cfg.mbstd, cfg.pack)
    elif cfg.arch in ("dcgan", "dcgan-s"):
        width = 64 if cfg.arch == "dcgan" else 32  # dcgan-s: half the channels, ~1/3 the cost
        g = DCGANGenerator(cfg.nz, width, classes, grouped)
        d = DCGANDiscriminator(width, classes, cfg.mbstd, cfg.pack)
        init_weights(g)
        init_weights(d)
    elif cfg.arch == "toy-mlp":
        g = ToyGenerator(cfg.nz, cfg.hidden)
        d = ToyDiscriminator(cfg.hidden, cfg.mbstd, cfg.pack)
    else:
        raise ValueError(f"unknown architecture {cfg.arch!r}")
    return g, d


def build_generator(cfg: TrainConfig) -> nn.Module:
    """Just G (to load saved weights for sampling)."""
    return build(cfg)[0]
