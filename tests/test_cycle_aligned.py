"""The digits CycleGAN's aligned generators (an affine transform, then a local editor) and the
shape term that keeps the editor from redrawing a digit's outline."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_core.config import ConfigError
from gan_core.cycle_config import CYCLE_PRESETS, apply_overrides
from gan_core.cycle_nets import AlignedDigitGenerator, LocalEditor, build_nets, shape_change
from gan_core.cycle_train import HISTORY_COLUMNS, generator_loss, history_columns, loss_terms, train_cycle

DIGITS = CYCLE_PRESETS["cycle-digits"]


def digit_batch(n: int = 3) -> torch.Tensor:
    """n pictures in [-1, 1]: black, with a white bar at a different place in each."""
    x = -torch.ones(n, 28, 28)
    for i in range(n):
        x[i, 6 + 3 * i : 20 + 3 * i, 10 + 2 * i : 13 + 2 * i] = 1.0
    return x.view(n, 784)


def test_a_fresh_aligned_generator_returns_its_input():
    torch.manual_seed(0)
    gen = AlignedDigitGenerator(8)
    x = digit_batch()
    with torch.no_grad():
        aligned, out = gen.parts(x)
    # the transform starts at the identity, and sampling at the pixel centres gives them back
    assert torch.allclose(aligned, x, atol=1e-5)
    # the editor's last layer starts at zero: out = tanh(atanh(0.99 x))
    assert torch.allclose(out, 0.99 * x, atol=1e-5)
    assert torch.equal(gen(x), out)


def test_the_transform_moves_every_stroke_alike():
    """A transform with only a shift moves the bar whole: same ink, two columns further."""
    gen = AlignedDigitGenerator(8)
    with torch.no_grad():
        # theta = identity + reach * tanh(bias); x-shift of -4/28 in [-1, 1] units: sample 2 px left
        gen.locate[-1].bias[2] = float(np.arctanh(-(4 / 28) / gen.reach))
    x = digit_batch(1)
    with torch.no_grad():
        moved = gen.align(x).view(28, 28)
    want = -torch.ones(28, 28)
    want[6:20, 12:15] = 1.0
    assert torch.allclose(moved, want, atol=1e-4)


def test_local_editor_parameters_by_hand():
    ed = LocalEditor(8, blocks=2)
    # 1->8 (4x4) with bias, two blocks of two 8->8 (3x3), 8->1 transposed (4x4)
    by_hand = (16 * 8 + 8) + 2 * 2 * (8 * 8 * 9 + 8) + (8 * 16 + 1)
    assert sum(p.numel() for p in ed.parameters()) == by_hand == 2_601


def test_shape_change_by_hand():
    before = -torch.ones(1, 784)
    after = before.clone().view(1, 28, 28)
    after[0, 4:8, 8:12] = 1.0  # exactly one 4 x 4 cell goes from -1 to 1
    assert float(shape_change(before, after.view(1, 784))) == pytest.approx(2 / 49)
    after = before.clone().view(1, 28, 28)
    after[0, 4:6, 8:12] = 1.0  # half a cell: its mean moves by 1
    assert float(shape_change(before, after.view(1, 784))) == pytest.approx(1 / 49)
    # moving ink within one cell leaves the outline as it was
    a, b = before.clone().view(1, 28, 28), before.clone().view(1, 28, 28)
    a[0, 4, 8], b[0, 7, 11] = 1.0, 1.0
    assert float(shape_change(a.view(1, 784), b.view(1, 784))) == 0.0


def test_shape_term_is_logged_and_weighted():
    cfg = DIGITS.replace(hidden=8, batch=4)
    nets = build_nets(cfg)
    x, y = digit_batch(), -digit_batch()
    with torch.no_grad():
        terms = loss_terms(nets, x, y, cfg.w_whole, shape=True)
    # a fresh editor returns 0.99 of what it is given, so each outline moves by 1% of its size
    pooled = torch.nn.functional.avg_pool2d(x.view(-1, 1, 28, 28), 4).abs().mean()
    assert float(terms["shape"]) == pytest.approx(2 * 0.01 * float(pooled), rel=1e-3)
    without = generator_loss(cfg.replace(lambda_shape=0.0), {k: v for k, v in terms.items() if k != "shape"})
    terms["shape"] = torch.tensor(0.5)
    weighted = float(without) + cfg.lambda_shape * 0.5
    assert float(generator_loss(cfg, terms)) == pytest.approx(weighted, rel=1e-5)
    assert history_columns(cfg) == (*HISTORY_COLUMNS, "shape")
    assert history_columns(cfg.replace(lambda_shape=0.0)) == HISTORY_COLUMNS


def test_a_short_aligned_run_trains_and_logs_the_shape_term():
    torch.set_num_threads(1)
    cfg = DIGITS.replace(hidden=8, steps=4, batch=8)
    run = train_cycle(cfg, rows=4)
    assert tuple(run.history) == history_columns(cfg)
    assert run.history["step"].tolist() == [1, 2, 3, 4]
    assert np.isfinite(run.history["shape"]).all() and (run.history["shape"] >= 0).all()
    g, _ = run.generators()
    assert isinstance(g, AlignedDigitGenerator)


def test_shape_term_needs_aligned_generators():
    with pytest.raises(ConfigError) as err:
        apply_overrides(DIGITS, {"generator": "mlp"})
    assert err.value.key == "lambda_shape"
    assert apply_overrides(DIGITS, {"generator": "mlp", "lambda_shape": "0"}).generator == "mlp"
