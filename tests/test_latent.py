"""Latent-space walks: interpolation maths, strips from a real (tiny) run, coordinate sweeps."""
from __future__ import annotations

import numpy as np
import pytest

from gan_core import latent
from gan_core.config import PRESETS
from gan_core.train import generate, load_generator, to_uint8


@pytest.fixture(scope="module")
def tiny_run():
    from gan_core.train import train

    return train(PRESETS["tiny"].replace(steps=5, snapshots=2))


@pytest.fixture(scope="module")
def tiny_cond_run():
    from gan_core.train import train

    return train(PRESETS["tiny"].replace(steps=3, snapshots=2, conditional=True))


def test_interpolation_endpoints_are_the_two_vectors():
    z0, z1 = latent.noise(16, 1), latent.noise(16, 2)
    for mode in latent.MODES:
        path = latent.interpolate(z0, z1, 7, mode)
        assert path.shape == (7, 16) and path.dtype == np.float32
        np.testing.assert_allclose(path[0], z0, atol=1e-6)
        np.testing.assert_allclose(path[-1], z1, atol=1e-6)


def test_slerp_keeps_the_norm_and_lerp_cuts_inside():
    z0 = latent.noise(64, 3)
    z1 = latent.noise(64, 4)
    z1 = z1 / np.linalg.norm(z1) * np.linalg.norm(z0)  # equal lengths
    r = np.linalg.norm(z0)
    s = latent.slerp(z0, z1, 9)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), r, rtol=1e-5)
    mid = latent.lerp(z0, z1, 9)[4]
    assert np.linalg.norm(mid) < 0.9 * r  # two random directions: the chord's middle is short
    # unequal lengths: slerp's length moves linearly from |z0| to |z1|
    z2 = 2.0 * latent.noise(64, 5)
    s2 = latent.slerp(z0, z2, 5)
    lengths = np.linalg.norm(s2, axis=1)
    np.testing.assert_allclose(lengths, np.linspace(r, np.linalg.norm(z2), 5), rtol=1e-5)
    # steps along the arc are equal (constant angular speed)
    u = s / np.linalg.norm(s, axis=1, keepdims=True)
    angles = np.arccos(np.clip((u[:-1] * u[1:]).sum(1), -1, 1))
    np.testing.assert_allclose(angles, angles.mean(), rtol=1e-4)


def test_parallel_vectors_fall_back_to_a_line():
    z = latent.noise(8, 1)
    np.testing.assert_allclose(latent.slerp(z, 2 * z, 3)[1], 1.5 * z, rtol=1e-5)


def test_bad_arguments_are_refused():
    z = latent.noise(4, 0)
    with pytest.raises(ValueError):
        latent.interpolate(z, z, 5, "cubic")
    with pytest.raises(ValueError):
        latent.interpolate(z, z, 1)


def test_strip_shapes_ranges_and_endpoints(tiny_run):
    strip = latent.interpolation_strip(tiny_run, 10, 20, frames=6, mode="spherical")
    assert strip.shape == (6, 28, 28) and strip.dtype == np.uint8
    g = load_generator(tiny_run)
    import torch

    for seed, frame in ((10, strip[0]), (20, strip[-1])):
        z = torch.from_numpy(latent.noise(tiny_run.config.nz, seed))[None]
        with torch.no_grad():
            np.testing.assert_array_equal(to_uint8(g(z))[0], frame)
    assert strip.std() > 0  # not a blank strip


def test_coordinate_sweep(tiny_run):
    nz = tiny_run.config.nz
    grid = latent.coordinate_sweep(tiny_run, seed=3, dims=[0, nz - 1], steps=5)
    assert grid.shape == (2, 5, 28, 28) and grid.dtype == np.uint8
    assert not np.array_equal(grid[0, 0], grid[0, -1])  # moving a coordinate changes the image
    dims = latent.most_active_dims(tiny_run, seed=3, k=3)
    assert len(dims) == 3 and len(set(dims)) == 3 and all(0 <= d < nz for d in dims)
    with pytest.raises(ValueError):
        latent.coordinate_sweep(tiny_run, seed=3, dims=[nz])


def test_conditional_run_uses_the_label(tiny_cond_run):
    a = latent.interpolation_strip(tiny_cond_run, 1, 2, frames=3, label=3)
    b = latent.interpolation_strip(tiny_cond_run, 1, 2, frames=3, label=8)
    assert a.shape == (3, 28, 28) and not np.array_equal(a, b)
    with pytest.raises(ValueError):
        latent.interpolation_strip(tiny_cond_run, 1, 2, frames=3, label=12)


def test_conditional_helpers(tiny_cond_run):
    from gan_core.conditional import class_grid, digit_samples, label_agreement

    images, labels = class_grid(tiny_cond_run, 4, seed=0)
    assert images.shape == (40, 28, 28) and list(labels[:4]) == [0] * 4 and labels[-1] == 9
    sevens = digit_samples(tiny_cond_run, 7, 5)
    assert sevens.shape == (5, 28, 28)
    np.testing.assert_array_equal(sevens, generate(tiny_cond_run, 5, seed=0, labels=np.full(5, 7)))

    def oracle(imgs):  # a fake classifier that "reads" digit 7 always
        p = np.zeros((len(imgs), 10))
        p[:, 7] = 1.0
        return p

    out = label_agreement(tiny_cond_run, per_class=3, predict=oracle)
    assert out["per_digit"][7] == 1.0 and out["per_digit"].sum() == 1.0
    assert out["mean"] == pytest.approx(0.1)


def _lab_showing(cfg, lang: str):
    """The app's Lab page (AppTest) in ``lang``, showing the finished run of ``cfg``."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    at.session_state["lab_cfg"] = cfg.to_dict()
    at.switch_page("pages/lab.py")
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_lab_shows_digit_rows_picker_and_latent_explorer(lang, fresh_pool, clear_st_caches):
    """A finished conditional run in the Lab: the 10-row grid, 'draw digit d', the latent strip."""
    from gan_core.pool import run_sync
    from ui.i18n import catalogue

    cfg = PRESETS["tiny"].replace(steps=3, snapshots=2, conditional=True)
    run_sync(cfg, fresh_pool)
    at = _lab_showing(cfg, lang)
    cat = catalogue(lang)
    assert cat["cgan.title"] in [s.value for s in at.subheader]
    captions = " ".join(c.value for c in at.caption)
    # run snapshot, digit rows, digit d, interpolation strip, coordinate sweep
    assert len(at.image) == 5
    assert cat["latent.intro"].format(nz=cfg.nz) in captions
    at.button(key="cgan_reseed").click()
    at.run()
    assert not at.exception


def test_lab_explains_the_group_coordinate_of_a_grouped_run(fresh_pool, clear_st_caches):
    """A finished self-conditioned run: no digit picker (it has no labels), the latent explorer
    says coordinate 0 also picks the group, in both languages."""
    from gan_core.pool import run_sync
    from ui.i18n import catalogue

    cfg = PRESETS["tiny"].replace(arch="dcgan-s", steps=3, snapshots=2, clusters=15)
    run_sync(cfg, fresh_pool)
    for lang in ("ko", "en"):
        at = _lab_showing(cfg, lang)
        cat = catalogue(lang)
        captions = " ".join(c.value for c in at.caption)
        assert cat["latent.groups_note"].format(n=15) in captions
        assert cat["cgan.title"] not in [s.value for s in at.subheader]
        assert len(at.image) == 3  # snapshot grid, interpolation strip, coordinate sweep
