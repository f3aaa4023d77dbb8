"""GAN losses, all computed from D's logits (sigmoid folded in, so no log(0)).

With D(x) = sigmoid(l):  -log D(x) = softplus(-l)  and  -log(1 - D(x)) = softplus(l).

* discriminator (minimax and non-saturating alike): maximise log D(x) + log(1 - D(G(z))),
  i.e. minimise BCE(real, 1) + BCE(fake, 0) -- the textbook's loop sums the two BCE terms the same way.
* generator, ``minimax``: minimise log(1 - D(G(z))) = -softplus(l_fake)  (saturating form).
* generator, ``nonsat``: maximise log D(G(z)), i.e. minimise softplus(-l_fake).
* ``hinge`` and ``wgan-gp``: the usual hinge and Wasserstein losses (gradient penalty is added
  in the training step, which owns D).
* R1 (any loss): a penalty on the slope of D's logit at real data, added in D's step.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def d_loss(kind: str, logit_real: torch.Tensor, logit_fake: torch.Tensor) -> torch.Tensor:
    """Discriminator loss (to minimise) for a batch of real and fake logits."""
    if kind in ("minimax", "nonsat"):
        return F.softplus(-logit_real).mean() + F.softplus(logit_fake).mean()
    if kind == "hinge":
        return F.relu(1.0 - logit_real).mean() + F.relu(1.0 + logit_fake).mean()
    if kind == "wgan-gp":
        return logit_fake.mean() - logit_real.mean()
    raise ValueError(f"unknown loss {kind!r}")


def g_loss(kind: str, logit_fake: torch.Tensor) -> torch.Tensor:
    """Generator loss (to minimise) for a batch of fake logits."""
    if kind == "minimax":
        return -F.softplus(logit_fake).mean()
    if kind == "nonsat":
        return F.softplus(-logit_fake).mean()
    if kind in ("hinge", "wgan-gp"):
        return -logit_fake.mean()
    raise ValueError(f"unknown loss {kind!r}")


def gradient_penalty(d, real: torch.Tensor, fake: torch.Tensor, y=None, weight: float = 10.0):
    """WGAN-GP: weight * E[(||grad_x D(x_hat)|| - 1)^2] on random interpolates x_hat."""
    shape = [real.shape[0]] + [1] * (real.dim() - 1)
    eps = torch.rand(shape, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = d(x_hat, y) if y is not None else d(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).norm(dim=1)
    return weight * ((norm - 1) ** 2).mean()


def r1_penalty(logit_real: torch.Tensor, real: torch.Tensor, weight: float) -> torch.Tensor:
    """R1 (Mescheder, Geiger and Nowozin, 2018): weight / 2 * E[|grad_x D(x)|^2] at real data.

    ``real`` must have been made to require grad before D saw it. A D that is flat around the
    real points cannot push G's samples past them: they settle on the data instead of
    circling it, which is why the penalty helps a GAN converge."""
    (grad,) = torch.autograd.grad(logit_real.sum(), real, create_graph=True)
    return 0.5 * weight * grad.pow(2).flatten(1).sum(1).mean()
