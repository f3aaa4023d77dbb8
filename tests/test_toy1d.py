"""The police-vs-counterfeiter game runs on a real 1D GAN that learns."""
import numpy as np
import pytest
import torch

from gan_core import toy1d
from gan_core.theory import Mixture
from gan_core.toy1d import Toy1D, Toy1DConfig


def test_police_learns_to_catch_the_first_fakes():
    game = Toy1D()
    start = game.view()
    assert start.fake_mean < -1.5  # the counterfeiter starts far from the real bills
    rec = game.play("police", 25)
    assert rec.d_real > 0.9 and rec.d_fake < 0.1 and rec.pass_rate < 0.05
    assert game.d_steps == 25 and game.g_steps == 0


def test_counterfeiter_learns_only_moves_g():
    game = Toy1D()
    game.play("police", 25)
    d_before = [p.detach().clone() for p in game.d_params]
    fake_before = game.view().fake_mean
    rec = game.play("counterfeiter", 25)
    assert all(torch.equal(a, b) for a, b in zip(d_before, game.d_params, strict=True))  # police frozen
    assert game.view().fake_mean > fake_before + 0.3  # fakes moved towards the real bills
    assert rec.d_fake > 0.05


def test_both_reaches_the_end_state_d_half():
    game = Toy1D()
    for _ in range(24):
        game.play("both", 25)
    v = game.view()
    assert abs(v.fake_mean - 2.0) < 0.3 and abs(v.fake_std - 0.6) < 0.25
    assert abs(v.d_real - 0.5) < 0.08 and abs(v.d_fake - 0.5) < 0.08
    assert v.d_gap < 0.2
    assert len(game.rounds) == 24 and game.rounds[-1].action == "both"


def test_round_steps_are_clamped_and_unknown_actions_refused():
    """A round is cut to MAX_ROUND_STEPS iterations (each k police updates and one counterfeiter
    update) and takes at least one; bench/concept_clicks.py prints how long a round takes."""
    game = Toy1D()
    assert game.play("both", 10_000).steps == toy1d.MAX_ROUND_STEPS
    assert (game.d_steps, game.g_steps) == (game.cfg.k * toy1d.MAX_ROUND_STEPS, toy1d.MAX_ROUND_STEPS)
    assert game.play("police", 0).steps == 1
    with pytest.raises(ValueError):
        game.play("bribe", 1)
    assert [r.action for r in game.rounds] == ["both", "police"]


def test_view_densities_are_densities():
    game = Toy1D(Toy1DConfig(data=Mixture((1, 1), (-1.0, 3.0), (0.4, 0.4))))
    game.play("both", 20)
    v = game.view()
    dx = v.xs[1] - v.xs[0]
    assert abs(v.p_data.sum() * dx - 1) < 0.01
    assert 0.9 < v.p_g.sum() * dx <= 1.0 + 1e-6
    assert v.d_curve.min() >= 0 and v.d_curve.max() <= 1
    assert np.all(np.diff(v.z_lines) > 0) and v.x_lines.shape == v.z_lines.shape


def test_snapshots_and_same_seed_same_game():
    a, b = Toy1D(), Toy1D()
    va = toy1d.train_with_snapshots(a, 60, 20)
    vb = toy1d.train_with_snapshots(b, 60, 20)
    assert [v.step for v in va] == [20, 40, 60]
    assert np.allclose(va[-1].d_curve, vb[-1].d_curve)


def test_minimax_loss_variant_runs_and_bad_loss_refused():
    game = Toy1D(Toy1DConfig(loss="minimax"))
    game.play("both", 5)
    with pytest.raises(ValueError):
        Toy1D(Toy1DConfig(loss="hinge"))
