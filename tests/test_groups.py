"""Self-conditioning (``TrainConfig.clusters``): k-means groups of the unlabelled training images,
a group picked by G's own noise, and the engine and the Lab carrying it through."""
import math

import numpy as np
import pytest
import torch

from gan_core import batches, data
from gan_core.config import PRESETS, ConfigError, TrainConfig, apply_overrides, check
from gan_core.models import build, group_of
from gan_core.train import Trainer, generate, train

TINY_GROUPS = PRESETS["tiny"].replace(arch="dcgan-s", steps=4, snapshots=2, batch=32, nz=8, clusters=12)


# ---- k-means --------------------------------------------------------------------------------
def test_kmeans_finds_well_separated_blobs():
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    pts = np.concatenate([c + 0.3 * rng.standard_normal((40, 2)) for c in centres])
    found = batches.kmeans(pts, 3, seed=1)
    # every true centre has a found centre within 0.2 (the blobs' means, up to noise)
    dist = np.linalg.norm(found[:, None] - centres[None], axis=2)
    assert sorted(dist.argmin(0).tolist()) == [0, 1, 2] and dist.min(0).max() < 0.2
    lab = batches.assign(pts, found)
    # each blob lands in one group of its own
    groups = [set(lab[i * 40 : (i + 1) * 40].tolist()) for i in range(3)]
    assert all(len(g) == 1 for g in groups) and len(set.union(*groups)) == 3


def test_kmeans_hand_case_and_repeatability():
    # four points on a line, two groups: {0, 1} and {10, 11}; centres 0.5 and 10.5
    pts = np.array([[0.0], [1.0], [10.0], [11.0]])
    c = batches.kmeans(pts, 2, seed=0)
    assert sorted(c[:, 0].tolist()) == [0.5, 10.5]
    assert np.array_equal(batches.kmeans(pts, 2, seed=0), c)
    with pytest.raises(ValueError):
        batches.kmeans(pts, 5)


def test_group_labels_cover_the_digits_without_labels():
    labels, cdf = batches.group_labels("mnist5k", 20)
    assert labels.shape == (5000,) and labels.dtype == torch.int64
    assert int(labels.min()) >= 0 and int(labels.max()) == 19
    shares = np.bincount(labels.numpy(), minlength=20) / 5000
    assert np.allclose(np.cumsum(shares), cdf.numpy(), atol=1e-6) and cdf[-1] == 1.0
    # the groups are made from pixels only, yet mostly hold one digit each (purity well above 1/10)
    digits = data.mnist5k().labels
    purity = sum(np.bincount(digits[labels.numpy() == j]).max() for j in range(20)) / 5000
    assert purity > 0.6


# ---- the group a noise vector picks ----------------------------------------------------------
def test_group_of_hand_computed():
    cdf = torch.tensor([0.25, 0.75, 1.0])
    # z0 -> Phi(z0): -1 -> 0.159 (group 0); 0 -> 0.5 (group 1); 0.7 -> 0.758 (group 2); 3 -> 0.9987 (2)
    z = torch.tensor([[-1.0, 5.0], [0.0, -5.0], [0.7, 0.0], [3.0, 0.0], [-0.6745, 0.0]])
    assert group_of(z, cdf).tolist() == [0, 1, 2, 2, 0]  # Phi(-0.6745) = 0.24999...
    assert 0.5 * (1 + math.erf(0.7 / math.sqrt(2))) > 0.75  # the hand value behind row 3


def test_grouped_generator_is_a_function_of_z_alone():
    cfg = check(TINY_GROUPS)
    g, d = build(cfg)
    g.eval()
    z = torch.randn(6, cfg.nz)
    y = group_of(z, g.group_cdf)
    assert torch.equal(g(z), g(z, y))  # the group it picks itself is the one it is told
    other = (y + 1) % cfg.clusters
    assert not torch.equal(g(z), g(z, other))  # and the group does change the picture
    assert d(g(z), y).shape == (6,)
    with pytest.raises(ValueError):
        d(g(z))  # D must be told the group


# ---- config -----------------------------------------------------------------------------------
def test_clusters_config_rules():
    with pytest.raises(ConfigError):
        check(TrainConfig(dataset="ring8", arch="toy-mlp", clusters=10))
    with pytest.raises(ConfigError):
        check(TrainConfig(conditional=True, clusters=10))
    with pytest.raises(ConfigError):
        check(TrainConfig(clusters=201))
    # a shared link asking for both gets repaired, not refused
    cfg, problems = apply_overrides(PRESETS["quick"], {"conditional": "true", "clusters": "50"}, clamp=True)
    assert cfg.conditional and cfg.clusters == 0
    assert PRESETS["quick"].clusters > 0 and not PRESETS["quick"].conditional


# ---- the engine -------------------------------------------------------------------------------
def test_grouped_run_trains_saves_and_samples():
    res = train(TINY_GROUPS)
    assert res.status == "ok"
    cdf = res.generator["group_cdf"]
    assert torch.allclose(cdf, batches.group_labels("mnist5k", 12)[1])  # the data's shares travel with G
    a = generate(res, 40, seed=5)
    assert a.shape == (40, 28, 28) and a.dtype == np.uint8
    assert np.array_equal(a, generate(res, 40, seed=5))
    # a second run with the same config repeats the first exactly
    assert np.array_equal(train(TINY_GROUPS).snapshots[-1].samples, res.snapshots[-1].samples)


def test_trainer_tells_d_the_group_g_was_asked_for():
    tr = Trainer(TINY_GROUPS)
    z, y = tr.noise(64)
    assert torch.equal(y, group_of(z, tr.g.group_cdf))
    real, y_real = tr.batches.next()
    labels, _ = batches.group_labels("mnist5k", 12)
    assert y_real is not None and y_real.max() < 12
    # the real batch's groups are those k-means gave these very images
    x = tr.batches.x
    idx = [int((x == img).flatten(1).all(1).nonzero()[0]) for img in real[:5]]
    assert y_real[:5].tolist() == labels[idx].tolist()
