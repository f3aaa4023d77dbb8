"""The minimax page's numbers: curves, slopes, D*, the JSD identity, BCE = -V."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gan_core import theory
from gan_core.theory import Mixture

PAIRS = [
    (Mixture.gaussian(0.0, 1.0), Mixture.gaussian(1.0, 1.0)),
    (Mixture.gaussian(0.0, 1.0), Mixture.gaussian(0.0, 3.0)),
    (Mixture.gaussian(-2.0, 0.5), Mixture.gaussian(3.0, 0.7)),  # almost disjoint
    (Mixture((0.3, 0.7), (-2.0, 2.0), (0.5, 1.0)), Mixture.gaussian(0.0, 1.5)),
    (Mixture((1, 1, 1), (-3.0, 0.0, 3.0), (0.4, 0.4, 0.4)), Mixture((2, 1), (-1.0, 2.5), (1.0, 0.2))),
]


@pytest.mark.parametrize("p,q", PAIRS)
def test_value_at_optimum_is_minus_log4_plus_2jsd(p, q):
    rep = theory.optimum(p, q)
    assert abs(rep.mass_data - 1) < 1e-9 and abs(rep.mass_g - 1) < 1e-9
    assert abs(rep.v_star - (-math.log(4) + 2 * rep.jsd)) < 1e-6
    assert 0 <= rep.jsd <= math.log(2) + 1e-9
    assert rep.v_star > -math.log(4)  # distributions differ, so strictly above the floor


def test_jsd_known_values():
    far = theory.optimum(Mixture.gaussian(-50, 0.5), Mixture.gaussian(50, 0.5))
    assert abs(far.jsd - math.log(2)) < 1e-6 and abs(far.v_star) < 1e-6  # D* perfect: V = 0


@pytest.mark.parametrize("p", [PAIRS[0][0], PAIRS[3][0], PAIRS[4][1]])
def test_equal_densities_reach_minus_log4(p):
    rep = theory.optimum(p, p)
    assert np.allclose(rep.d_star, 0.5)
    assert abs(rep.v_star + math.log(4)) < 1e-9
    assert abs(rep.jsd) < 1e-12


def test_d_star_beats_other_discriminators():
    p, q = PAIRS[3]
    rep = theory.optimum(p, q)
    for other in (np.full_like(rep.x, 0.5), np.clip(rep.d_star + 0.05, 0, 1), 1 / (1 + np.exp(-rep.x))):
        assert theory.value(rep.p_data, rep.p_g, other, rep.x) < rep.v_star


@settings(max_examples=30, deadline=None)
@given(st.floats(-3, 3), st.floats(0.3, 2), st.floats(-3, 3), st.floats(0.3, 2))
def test_identity_random_gaussians(m1, s1, m2, s2):
    rep = theory.optimum(Mixture.gaussian(m1, s1), Mixture.gaussian(m2, s2))
    assert abs(rep.gap) < 1e-6


@pytest.mark.parametrize("name", theory.CURVES)
@pytest.mark.parametrize("d", [0.01, 0.1, 0.5, 0.9, 0.99])
def test_slopes_match_finite_differences(name, d):
    h = 1e-6
    fd = (theory.curve(name, d + h) - theory.curve(name, d - h)) / (2 * h)
    assert abs(theory.slope(name, d) - fd) < 1e-5 * max(1, abs(fd))
    # through the logit: d = sigmoid(logit)
    logit = math.log(d / (1 - d))

    def sig(v: float) -> float:
        return 1 / (1 + math.exp(-v))

    fd_l = (theory.curve(name, sig(logit + h)) - theory.curve(name, sig(logit - h))) / (2 * h)
    assert abs(theory.logit_slope(name, d) - fd_l) < 1e-5 * max(1, abs(fd_l))


def test_saturating_loss_starves_g_early():
    early = theory.read_marker(0.01)  # D rejects the fakes easily
    assert abs(early.logit_slopes["log_1md"]) == pytest.approx(0.01, rel=1e-6)
    assert abs(early.logit_slopes["neg_log_d"]) == pytest.approx(0.99, rel=1e-6)
    assert early.ratio == pytest.approx(99, rel=1e-6)
    assert theory.read_marker(0.5).ratio == pytest.approx(1.0)


def test_bad_densities_refused():
    with pytest.raises(ValueError):
        Mixture.gaussian(0, 0)
    with pytest.raises(ValueError):
        Mixture.gaussian(float("nan"), 1)
    with pytest.raises(ValueError):
        Mixture((0.0,), (0.0,), (1.0,))


def test_bce_is_minus_value_on_a_real_batch():
    import torch

    from gan_core import losses
    from gan_core.toy1d import Toy1D

    game = Toy1D()
    game.play("police", 10)
    lr_, lf_ = game.batch_logits(256)
    bv = theory.batch_value(lr_, lf_)
    assert abs(bv.bce_total + bv.value) < 1e-9
    assert abs(bv.bce_real + bv.mean_log_d_real) < 1e-9
    assert abs(bv.bce_fake + bv.mean_log_1m_d_fake) < 1e-9
    # and the engine's discriminator loss is the same number
    assert abs(float(losses.d_loss("nonsat", lr_, lf_)) - bv.bce_total) < 1e-5
    assert bv.value < 0 and torch.is_tensor(lr_)
