"""Engine unit tests: models, losses, the training loop, determinism, NaN handling."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from gan_core import losses
from gan_core.config import PRESETS, TrainConfig
from gan_core.models import SeedDiscriminator, SeedGenerator, build
from gan_core.train import Trainer, generate, snapshot_steps, train

TINY = PRESETS["tiny"].replace(steps=6, snapshots=3, batch=32)


# ---- models ---------------------------------------------------------------------------------
def test_seed_mlps_match_the_book():
    g, d = SeedGenerator(128), SeedDiscriminator()
    lin_g = [(m.in_features, m.out_features) for m in g.main if isinstance(m, nn.Linear)]
    lin_d = [(m.in_features, m.out_features) for m in d.main if isinstance(m, nn.Linear)]
    assert lin_g == [(128, 256), (256, 512), (512, 1024), (1024, 784)]
    assert lin_d == [(784, 1024), (1024, 512), (512, 256), (256, 1)]
    assert [m.negative_slope for m in g.main if isinstance(m, nn.LeakyReLU)] == [0.2] * 3
    assert [m.p for m in d.main if isinstance(m, nn.Dropout)] == [0.3] * 3
    assert isinstance(g.main[-1], nn.Tanh)
    # the book's D ends in Sigmoid; ours returns the logit and the loss applies the sigmoid
    assert isinstance(d.main[-1], nn.Linear)


@pytest.mark.parametrize("arch,dataset", [("mlp-book", "mnist5k"), ("dcgan", "mnist5k"),
                                          ("toy-mlp", "ring8")])
def test_model_shapes_and_ranges(arch, dataset):
    cfg = TrainConfig(dataset=dataset, arch=arch, nz=16 if arch != "toy-mlp" else 2)
    g, d = build(cfg)
    z = torch.randn(8, cfg.nz)
    x = g(z)
    if arch == "toy-mlp":
        assert x.shape == (8, 2)
    else:
        assert x.shape == (8, 1, 28, 28)
        assert x.min() >= -1 and x.max() <= 1
    assert d(x).shape == (8,)


def test_conditional_models_take_labels():
    cfg = TrainConfig(conditional=True, nz=8)
    g, d = build(cfg)
    y = torch.arange(4)
    x = g(torch.randn(4, 8), y)
    assert x.shape == (4, 1, 28, 28) and d(x, y).shape == (4,)
    with pytest.raises(ValueError):
        g(torch.randn(4, 8))


# ---- losses against hand-computed values ----------------------------------------------------
def test_losses_hand_computed():
    real = torch.tensor([0.0])  # D(x) = 0.5
    fake = torch.tensor([math.log(3.0)])  # D(G(z)) = 0.75
    # D: -log 0.5 - log(1 - 0.75) = log 2 + log 4
    assert losses.d_loss("nonsat", real, fake).item() == pytest.approx(math.log(2) + math.log(4), abs=1e-6)
    assert losses.d_loss("minimax", real, fake).item() == pytest.approx(2.0794415, abs=1e-6)
    # G non-saturating: -log 0.75; minimax: log(1 - 0.75) = -log 4
    assert losses.g_loss("nonsat", fake).item() == pytest.approx(-math.log(0.75), abs=1e-6)
    assert losses.g_loss("minimax", fake).item() == pytest.approx(-math.log(4), abs=1e-6)
    # hinge: relu(1 - 0) + relu(1 + log 3)
    assert losses.d_loss("hinge", real, fake).item() == pytest.approx(1 + 1 + math.log(3), abs=1e-6)


def test_losses_are_stable_for_extreme_logits():
    big = torch.tensor([80.0, -80.0])
    for kind in ("nonsat", "minimax"):
        assert torch.isfinite(losses.d_loss(kind, big, big)) and torch.isfinite(losses.g_loss(kind, big))
    # saturation: the minimax G gradient vanishes when D confidently rejects the fake
    logit = torch.tensor([-8.0], requires_grad=True)
    losses.g_loss("minimax", logit).backward()
    g_minimax = logit.grad.abs().item()
    logit.grad = None
    losses.g_loss("nonsat", logit).backward()
    assert g_minimax < 1e-3 < logit.grad.abs().item()


# ---- the loop -------------------------------------------------------------------------------
def test_k_means_k_discriminator_updates_per_generator_update():
    cfg = TINY.replace(k=3, steps=5)
    tr = Trainer(cfg)
    counts = {"d": 0, "g": 0}
    d_step, g_step = tr.opt_d.step, tr.opt_g.step

    def count_d(*a, **kw):
        counts["d"] += 1
        return d_step(*a, **kw)

    def count_g(*a, **kw):
        counts["g"] += 1
        return g_step(*a, **kw)

    tr.opt_d.step, tr.opt_g.step = count_d, count_g
    result = tr.run()
    assert counts == {"d": 15, "g": 5}
    assert len(result.history["step"]) == 5


def test_history_and_snapshots():
    events = []
    result = train(TINY, callback=lambda kind, payload: events.append(kind))
    assert result.ok
    assert events.count("step") == TINY.steps
    assert events.count("snapshot") == len(result.snapshots) == TINY.snapshots
    assert [s.step for s in result.snapshots] == snapshot_steps(TINY.steps, TINY.snapshots)
    s = result.final_samples()
    assert s.shape == (64, 28, 28) and s.dtype == np.uint8
    h = result.history
    assert np.all((h["d_real"] > 0) & (h["d_real"] < 1)) and np.all((h["d_fake"] > 0) & (h["d_fake"] < 1))
    assert np.all(h["grad_d"] > 0) and np.all(h["grad_g"] > 0)
    assert np.all(np.diff(h["wall"]) >= 0)


def test_same_config_same_numbers():
    a, b = train(TINY), train(TINY)
    for col in ("loss_d", "loss_g", "d_real", "d_fake"):
        np.testing.assert_array_equal(a.history[col], b.history[col])
    np.testing.assert_array_equal(a.final_samples(), b.final_samples())
    c = train(TINY.replace(seed=1))
    assert not np.array_equal(a.history["loss_d"], c.history["loss_d"])


def test_toy_run_and_generate():
    cfg = PRESETS["ring8"].replace(steps=20, snapshots=3)
    result = train(cfg)
    assert result.final_samples().shape == (2500, 2)
    pts = generate(result, 100)
    assert pts.shape == (100, 2) and pts.dtype == np.float32


def test_nan_run_stops_and_keeps_last_good_snapshot():
    cfg = TINY.replace(steps=10, snapshots=11)
    tr = Trainer(cfg)

    def poison(kind, payload):
        if kind == "step" and payload.step == 4:
            with torch.no_grad():
                tr.d_params[0].fill_(float("nan"))

    result = tr.run(callback=poison)
    assert result.status == "diverged"
    assert result.message.startswith("nan_at_step:5:")
    assert len(result.history["step"]) == 4  # the NaN step is not recorded
    assert result.snapshots[-1].step == 4
    assert all(torch.isfinite(v).all() for v in result.generator.values() if v.is_floating_point())


def test_divergence_hint_names_high_learning_rate():
    from gan_core.train import divergence_hint

    assert divergence_hint(TINY.replace(lr_g=0.05)) == "lr_high"
    assert divergence_hint(TINY.replace(loss="minimax")) == "minimax"


def test_snapshot_steps_are_log_spaced_and_bounded():
    s = snapshot_steps(1000, 16)
    assert s[0] == 0 and s[-1] == 1000 and len(s) == 16 and s == sorted(set(s))
    assert s[1] < 20  # dense early, when samples change fastest
    assert snapshot_steps(3, 16) == [0, 1, 2, 3]


def test_should_stop_cancels():
    result = Trainer(TINY.replace(steps=50)).run(should_stop=lambda: True)
    assert result.status == "cancelled" and len(result.history["step"]) == 0


def test_tile_places_cells_in_rows_with_grey_padding():
    from gan_core.export import GRID_GREY, tile

    cells = np.stack([np.full((3, 4), 10 * (i + 1), np.uint8) for i in range(5)])  # 5 cells of 3 x 4
    grid = tile(cells, ncol=3, pad=1)
    # 2 rows of 3 cells: 2 * (3 + 1) + 1 rows, 3 * (4 + 1) + 1 columns
    assert grid.shape == (9, 16) and grid.dtype == np.uint8
    expected = np.full((9, 16), GRID_GREY, np.uint8)
    for i in range(5):
        r, c = divmod(i, 3)
        expected[1 + 4 * r : 4 + 4 * r, 1 + 5 * c : 5 + 5 * c] = 10 * (i + 1)
    np.testing.assert_array_equal(grid, expected)  # the sixth cell stays grey
    np.testing.assert_array_equal(tile(cells, ncol=3, pad=1, scale=2), np.kron(expected, np.ones((2, 2))))
    # fewer cells than columns keeps the width asked for; one cell is padded all round
    assert tile(cells[:2], ncol=4, pad=1).shape == (5, 21)
    np.testing.assert_array_equal(tile(cells[:1], pad=2), np.pad(cells[0], 2, constant_values=GRID_GREY))
