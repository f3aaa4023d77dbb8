"""The VAE set beside the textbook's GAN: its loss by hand, its training, the shipped run."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_core import vae
from gan_core.files import PRETRAINED, sha256_file


def test_loss_terms_by_hand():
    x = torch.full((3, 784), 0.5)
    zeros = torch.zeros(3, vae.LATENT)
    rebuild, kl = vae.loss_terms(torch.zeros(3, 784), x, zeros, zeros)
    assert rebuild.item() == pytest.approx(784 * math.log(2), rel=1e-5)  # sigmoid(0) = 1/2 everywhere
    assert kl.item() == pytest.approx(0.0, abs=1e-6)  # the code is exactly N(0, 1)
    _, kl = vae.loss_terms(torch.zeros(3, 784), x, torch.ones(3, vae.LATENT), zeros)
    assert kl.item() == pytest.approx(0.5 * vae.LATENT)  # each unit shifted by 1: 1/2 each


def test_grey_share_counts_pixels_that_are_neither_ink_nor_paper():
    img = np.zeros((1, 2, 2), dtype=np.uint8)
    img[0, 0, 0], img[0, 0, 1], img[0, 1, 0] = 255, 128, 200  # ink, grey, ink-ish (above 0.75)
    assert vae.grey_share(img) == 0.25


def test_a_short_training_learns_to_rebuild():
    run = vae.train_vae(steps=120, batch=128, seed=0)
    h = run["history"]["rebuild"]
    assert h[-20:].mean() < 0.8 * h[:5].mean()
    out = vae.sample(run["model"], 4, seed=1)
    assert out.shape == (4, 28, 28) and out.dtype == np.uint8
    assert np.array_equal(out, vae.sample(run["model"], 4, seed=1))  # fixed noise, same digits


def test_the_shipped_run_is_what_its_sidecar_says_and_blurrier_than_the_gan():
    from gan_core.bookrun import story

    run = vae.shipped()
    assert run is not None
    info = run["info"]
    assert info["sha256"] == sha256_file(PRETRAINED / vae.NPZ)
    assert "python -m gan_core vae-run" in info["command"]
    assert run["samples"].shape == (64, 28, 28) and run["rebuilt"].shape == run["originals"].shape
    assert len(run["hist_rebuild"]) == info["config"]["steps"]
    assert 1.0 <= info["quality"]["score"] <= 10.0
    gan = story(steps=(20000,), per=64)[0]["images"]
    assert vae.grey_share(run["samples"]) > 1.3 * vae.grey_share(gan)  # the blur the page shows
