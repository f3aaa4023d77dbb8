"""Mode metrics on sample sets whose answer is known, plus the toy views and unrolled D."""
import numpy as np
import pytest

from gan_core import modes
from gan_core.data import sample_toy, toy_modes, toy_sigma


def _around(centres: np.ndarray, n: int, spread: float, rng) -> np.ndarray:
    idx = rng.integers(0, len(centres), size=n)
    return centres[idx] + rng.normal(0, spread, size=(n, 2))


@pytest.mark.parametrize("dataset, n_modes", [("ring8", 8), ("grid25", 25)])
def test_real_data_captures_every_mode_with_high_quality(dataset, n_modes):
    pts = sample_toy(dataset, 2500, np.random.default_rng(1))
    s = modes.toy_stats(dataset, pts)
    assert s.n_modes == n_modes and s.captured == n_modes
    # within 3 sigma in 2D holds 1 - exp(-4.5) = 98.9% of a Gaussian's mass
    assert 0.98 <= s.hq_share <= 0.995
    assert s.counts.sum() == round(s.hq_share * 2500)


@pytest.mark.parametrize("dataset", ["ring8", "grid25"])
def test_one_mode_only(dataset):
    centre = toy_modes(dataset)[3]
    pts = centre + np.random.default_rng(2).normal(0, toy_sigma(dataset), size=(2500, 2))
    s = modes.toy_stats(dataset, pts)
    assert s.captured == 1
    assert s.counts.argmax() == 3
    assert s.hq_share > 0.98
    assert modes.verdict(s) == "collapsed"


def test_off_mode_noise_captures_nothing():
    rng = np.random.default_rng(3)
    # points on a circle of radius 1: 1.0 away from every ring mode (3 sigma = 0.06)
    ang = rng.uniform(0, 2 * np.pi, 2500)
    pts = np.stack([np.cos(ang), np.sin(ang)], 1)
    s = modes.toy_stats("ring8", pts)
    assert s.captured == 0 and s.hq_share == 0.0
    assert modes.verdict(s) == "failed"


def test_blurry_samples_reach_modes_but_are_not_high_quality():
    rng = np.random.default_rng(4)
    pts = _around(toy_modes("ring8"), 2500, 0.2, rng)  # 10 sigma wide blobs
    s = modes.toy_stats("ring8", pts)
    assert s.captured == 8
    assert 0.03 < s.hq_share < 0.15  # 1 - exp(-0.06^2 / (2 * 0.2^2)) = 4.4%
    assert modes.verdict(s) == "blurry"


def test_hq_boundary_and_nan_points():
    sigma = toy_sigma("ring8")
    m = toy_modes("ring8")[0]
    inside = m + np.array([2.99 * sigma, 0])
    outside = m + np.array([3.01 * sigma, 0])
    pts = np.stack([inside, outside, [np.nan, 0.0]])
    s = modes.toy_stats("ring8", pts)
    assert s.counts.tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert s.hq_share == pytest.approx(1 / 3)


def test_nearest_mode_assignment():
    m = toy_modes("grid25")
    idx, dist = modes.nearest_mode(np.array([[-4.1, -3.9], [0.9, 0.1], [3.7, 4.4]]), m)
    assert [tuple(m[i]) for i in idx] == [(-4, -4), (0, 0), (4, 4)]
    assert dist[1] == pytest.approx(np.hypot(0.9, 0.1))


def test_half_the_modes_is_partial_and_mode_hops_are_counted():
    from gan_core.train import Snapshot

    ring = toy_modes("ring8")
    rng = np.random.default_rng(5)
    s = modes.toy_stats("ring8", _around(ring[:4], 2500, 0.01, rng))
    assert s.captured == 4 and modes.verdict(s) == "partial"
    snaps = [Snapshot(i, 0.0, (ring[m] + rng.normal(0, 0.01, (500, 2))).astype(np.float32))
             for i, m in enumerate([0, 0, 2, 5, 5])]
    hops, seq = modes.mode_hops("ring8", snaps)
    assert seq == [1, 1, 3, 6, 6] and hops == 2
    series = modes.run_mode_series("ring8", snaps)
    assert series["captured"].tolist() == [1] * 5 and series["counts"].shape == (5, 8)


def test_near_duplicate_rate():
    rng = np.random.default_rng(6)
    distinct = rng.integers(0, 256, size=(200, 28, 28), dtype=np.uint8)
    assert modes.near_duplicate_rate(distinct) == 0.0
    one = np.repeat(distinct[:1], 100, 0)
    assert modes.near_duplicate_rate(one) == 1.0
    half = np.concatenate([distinct[:100], np.repeat(distinct[100:101], 100, 0)])
    assert modes.near_duplicate_rate(half) == pytest.approx(0.5)


def test_tv_from_uniform():
    assert modes.tv_from_uniform(np.ones(10)) == pytest.approx(0.0)
    assert modes.tv_from_uniform(np.eye(10)[3]) == pytest.approx(0.9)


def test_config_changes_ignore_seed():
    from gan_core.config import TrainConfig

    a = TrainConfig(dataset="ring8", arch="toy-mlp", seed=1)
    b = a.replace(seed=7, pack=2, loss="hinge")
    assert {k for k, _, _ in modes.config_changes(a, b)} == {"pack", "loss"}


def test_every_study_preset_exists_and_bases_are_in_the_study():
    from gan_core.config import PRESETS

    assert {"ring8", "grid25"} <= set(modes.STUDIES)
    for dataset, study in modes.STUDIES.items():
        names = [n for n, _ in study]
        for name, base in study:
            assert PRESETS[name].dataset == dataset
            assert PRESETS[name].steps <= 8000  # a minute at most on 2 cores (bench/mode_collapse.py)
            assert base is None or base in names
    for name in modes.DIGIT_PRESETS:
        assert PRESETS[name].is_image


# ---- engine pieces the page relies on: per-snapshot views and the remedies -----------------
def _toy_cfg(**kw):
    from gan_core.config import TrainConfig

    base = dict(dataset="ring8", arch="toy-mlp", nz=2, batch=64, steps=12, snapshots=3, hidden=32, lr_g=1e-3,
                lr_d=1e-3)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("kw", [dict(), dict(pack=4, mbstd=True), dict(loss="wgan-gp", unroll=2),
                                dict(loss="hinge", dataset="grid25", nz=4), dict(dataset="spiral", ema=0.9)])
def test_toy_run_stores_heatmap_manifold_and_arrows(kw):
    from gan_core import toyviz
    from gan_core.train import train

    r = train(_toy_cfg(**kw))
    assert r.ok and len(r.snapshots) == 3
    for snap in r.snapshots:
        ex = snap.extras
        assert ex["heat"].shape == (toyviz.HEAT, toyviz.HEAT)
        assert ex["manifold"].shape == (toyviz.LINES, toyviz.LINES, 2)
        assert ex["arrow_xy"].shape == ex["arrow_uv"].shape
        assert 0 < len(ex["arrow_xy"]) <= toyviz.ARROWS and len(ex["arrow_xy"]) % r.config.pack == 0
        assert all(np.isfinite(v).all() for v in ex.values())
        # the arrows start at the snapshot's own samples
        np.testing.assert_allclose(ex["arrow_xy"], snap.samples[: len(ex["arrow_xy"])], atol=1e-5)
    if r.config.loss in ("minimax", "nonsat"):
        assert 0 <= r.snapshots[-1].extras["heat"].min() and r.snapshots[-1].extras["heat"].max() <= 1


def test_heatmap_agrees_with_d_on_single_points():
    import torch

    from gan_core import toyviz
    from gan_core.train import Trainer

    tr = Trainer(_toy_cfg())
    heat = toyviz.snapshot_extras(tr)["heat"]
    axis = toyviz.plane_axis("ring8")
    with torch.no_grad():
        p = torch.sigmoid(tr.d(torch.tensor([[axis[5], axis[40]]], dtype=torch.float32))).item()
    assert heat[40, 5] == pytest.approx(p, rel=1e-5)  # row = y, column = x


def test_unrolled_step_leaves_the_real_d_alone_and_changes_g():
    import torch

    from gan_core.train import Trainer

    def after_one_step(unroll):
        tr = Trainer(_toy_cfg(unroll=unroll))
        d_before = [p.detach().clone() for p in tr.d.parameters()]
        real, _ = tr.batches.next()
        z, _ = tr.noise(len(real))
        fake = tr.g(z)
        tr.g_update(fake, None)
        assert all(torch.equal(a, b) for a, b in zip(d_before, tr.d.parameters(), strict=True))
        assert all(p.requires_grad for p in tr.d.parameters())
        return [p.detach().clone() for p in tr.g.parameters()]

    plain, unrolled = after_one_step(0), after_one_step(3)
    assert not all(torch.equal(a, b) for a, b in zip(plain, unrolled, strict=True))


def test_evaluate_toy_run_counts_the_final_snapshot():
    from gan_core.train import RunResult, Snapshot, train

    ring = toy_modes("ring8")
    sigma = toy_sigma("ring8")
    # final snapshot: 3 points on mode 5, 1 point 2 sigma from mode 1, 4 points 10 sigma off
    # mode 0; the first snapshot (everything on mode 2) must not count
    final = np.concatenate([np.repeat(ring[5:6], 3, 0), ring[1:2] + [2 * sigma, 0],
                            np.repeat(ring[0:1] + [0, 10 * sigma], 4, 0)]).astype(np.float32)
    snaps = [Snapshot(0, 0.0, np.repeat(ring[2:3], 8, 0).astype(np.float32)), Snapshot(9, 1.0, final)]
    result = RunResult(_toy_cfg(), "ok", "", {}, snaps, {})
    assert modes.evaluate_toy_run(result) == {"modes": 8, "modes_captured": 2, "hq_share": 0.5}
    # a trained run: the numbers are those of its last snapshot's samples
    r = train(_toy_cfg(steps=3, snapshots=2))
    s = modes.toy_stats("ring8", r.snapshots[-1].samples)
    assert modes.evaluate_toy_run(r) == {"modes": 8, "modes_captured": s.captured,
                                         "hq_share": round(s.hq_share, 4)}


def test_digit_report_on_a_collapsed_and_a_varied_set():
    rng = np.random.default_rng(7)
    one = np.repeat(rng.integers(0, 256, (1, 28, 28), dtype=np.uint8), 300, 0)
    probs_one = np.tile(np.eye(10)[4], (300, 1))
    rep = modes.digit_report(one, probs_one)
    assert rep["covered"] == 1 and rep["tv_uniform"] == pytest.approx(0.9) and rep["near_dup"] == 1.0
    assert rep["hist"][4] == 1.0
    varied = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8)
    rep = modes.digit_report(varied, np.eye(10)[np.arange(300) % 10])
    assert rep["covered"] == 10 and rep["tv_uniform"] == pytest.approx(0.0) and rep["near_dup"] == 0.0
