"""Super-resolution on digits (The GAN family, "What GANs are used for"): the degradations by hand,
the nets' shapes and ranges, the shipped file against its sidecar, the sidecar's numbers measured
again on the held-out digits, the command, and the view in both languages."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from gan_core import superres
from gan_core.files import sha256_file
from ui import apps_view
from ui.i18n import LANGS, t

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def model() -> superres.Upscalers:
    return superres.load()


# ---- the degradations, checked by hand -----------------------------------------------------------
def test_average_pool_is_block_means():
    img = np.zeros((1, 28, 28), dtype=np.uint8)
    img[0, :4, :4] = 255  # one full 4 x 4 block
    img[0, 4:8, 0:2] = 255  # half of the block below it
    img[0, 27, 27] = 255  # one pixel of the last block
    low = superres.degrade(img, "pool7")
    assert low.shape == (1, 7, 7) and low.dtype == np.float32
    expect = np.zeros((7, 7), dtype=np.float32)
    expect[0, 0], expect[1, 0], expect[6, 6] = 1.0, 0.5, 1 / 16
    np.testing.assert_allclose(low[0], expect, atol=1e-7)
    half = superres.degrade(img, "pool14")
    assert half.shape == (1, 14, 14)
    assert half[0, 0, 0] == 1.0 and half[0, 2, 0] == 1.0 and half[0, 2, 1] == 0.0 and half[0, 13, 13] == 0.25
    quarter = superres.degrade(img, "pool4")  # 7 x 7 blocks: rows 0-6 hold 16 + 6 lit pixels, rows 7-13 two
    assert quarter.shape == (1, 4, 4)
    assert quarter[0, 0, 0] == pytest.approx(22 / 49) and quarter[0, 1, 0] == pytest.approx(2 / 49)
    assert quarter[0, 3, 3] == pytest.approx(1 / 49)
    assert quarter[0].sum() == pytest.approx(25 / 49)


def test_blur_keeps_the_ink_and_the_noise_is_the_digits_own():
    img = np.zeros((1, 28, 28), dtype=np.float32)
    img[0, 14, 14] = 1.0
    blurred = superres.gaussian_blur(img)
    assert blurred.sum() == pytest.approx(1.0, abs=1e-5)  # far from the edge nothing is lost
    assert blurred[0, 14, 14] == blurred.max() and blurred[0, 14, 13] == pytest.approx(blurred[0, 13, 14])
    digits = np.full((3, 28, 28), 128, dtype=np.uint8)
    a = superres.degrade(digits, "blur", np.random.default_rng(5))
    b = superres.degrade(digits, "blur", np.random.default_rng(5))
    c = superres.degrade(digits, "blur", np.random.default_rng(6))
    assert a.shape == (3, 28, 28) and a.min() >= 0 and a.max() <= 1
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert abs(float(a[:, 8:20, 8:20].std()) - superres.NOISE_STD) < 0.02  # the noise added, inside
    with pytest.raises(ValueError):
        superres.degrade(digits, "jpeg")


def test_bicubic_enlarges_to_28_and_keeps_a_flat_picture_flat():
    flat = np.full((2, 7, 7), 0.5, dtype=np.float32)
    up = superres.bicubic(flat)
    assert up.shape == (2, 28, 28)
    np.testing.assert_allclose(up, 0.5, atol=1e-6)
    assert superres.bicubic(np.ones((1, 14, 14), np.float32)).shape == (1, 28, 28)


def test_psnr_by_hand():
    a = np.zeros((1, 28, 28), dtype=np.uint8)
    b = a.copy()
    b[0, 3, 3] = 255  # one pixel of 784 is off by the full range: MSE = 1/784
    assert superres.psnr(a, b)[0] == pytest.approx(10 * np.log10(784), abs=1e-4)


# ---- the nets ----------------------------------------------------------------------------------------
def test_a_fresh_upscaler_returns_the_bicubic_guess():
    torch.manual_seed(0)
    net = superres.build_upscaler()
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    with torch.no_grad():
        out = net(x)
    assert out.shape == (2, 1, 28, 28)
    assert torch.allclose(out, 0.99 * x, atol=1e-6)  # the last layer starts at zero
    d = superres.build_discriminator()
    assert d(x).shape == (2, 1)


def test_shipped_nets_restore_28x28_digits(model):
    ex = superres.example(model, 3, "pool7")
    assert ex["low"].shape == (7, 7) and ex["low"].dtype == np.uint8
    for key in ("bicubic", "pixel", "gan", "original"):
        assert ex[key].shape == (28, 28) and ex[key].dtype == np.uint8
    assert superres.example(model, 3 + 500, "pool7")["index"] == 3  # wraps around the held-out set
    again = superres.example(model, 3, "blur")
    assert np.array_equal(again["low"], superres.example(model, 3, "blur")["low"])  # same digit, same noise


# ---- the shipped file ------------------------------------------------------------------------------
def test_shipped_file_is_small_float16_and_matches_its_sidecar(model):
    path = superres.SUPERRES_FILE
    assert path.stat().st_size + superres.sidecar_path(path).stat().st_size <= 200_000
    side = model.info
    assert side["sha256"] == sha256_file(path)
    assert side["command"].startswith("python -m gan_core superres-run --out")
    assert side["data"]["sha256"] == sha256_file(ROOT / side["data"]["file"])
    assert side["config"]["steps"] >= 1000 and side["train_seconds"] <= 330
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert set(raw) == set(superres.NETS)
    assert all(v.dtype == torch.float16 for sd in raw.values() for v in sd.values())


def test_sidecar_numbers_are_what_the_shipped_nets_measure(model):
    """The view shows the sidecar's numbers: recomputed here on the 500 held-out digits."""
    measured, shipped = superres.quality(model), model.info["quality"]
    assert set(measured) == set(shipped) == set(superres.KINDS)
    for kind, rows in shipped.items():
        for name, row in rows.items():
            for key, value in row.items():
                tol = 0.02 if key == "psnr" else 0.002
                assert measured[kind][name][key] == pytest.approx(value, abs=tol), (kind, name, key)


def test_the_lesson_holds_pixel_loss_wins_psnr_gan_wins_sharpness(model):
    """What the page says: the pixel-loss net is closer in pixels, the GAN net has fewer grey
    (blurred) pixels; where the input is small, its share is the nearer one to the real digits'."""
    for kind in superres.KINDS:
        q = model.info["quality"][kind]
        assert q["pixel"]["psnr"] > q["gan"]["psnr"] and q["pixel"]["psnr"] > q["bicubic"]["psnr"], kind
        assert q["gan"]["grey"] < q["pixel"]["grey"] < q["bicubic"]["grey"], kind
        if kind in ("pool4", "pool7"):
            real = q["original"]["grey"]
            assert abs(q["gan"]["grey"] - real) < abs(q["pixel"]["grey"] - real), kind


def test_a_changed_file_is_refused(tmp_path):
    copy = tmp_path / "superres.pt"
    shutil.copy(superres.SUPERRES_FILE, copy)
    shutil.copy(superres.sidecar_path(superres.SUPERRES_FILE), tmp_path / "superres.json")
    with open(copy, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(superres.SuperResError, match="SHA-256"):
        superres.load(copy)


def test_command_writes_the_pair_and_its_sidecar(tmp_path):
    run = [sys.executable, "-m", "gan_core", "superres-run", "--out", str(tmp_path), "--steps"]
    res = subprocess.run([*run, "3"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    side = json.loads((tmp_path / "superres.json").read_text())
    assert side["sha256"] == sha256_file(tmp_path / "superres.pt") and side["config"]["steps"] == 3
    assert side["command"].endswith("--steps 3") and set(side["quality"]) == set(superres.KINDS)
    bad = subprocess.run([*run, "0"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")


# ---- the view ------------------------------------------------------------------------------------
def _view():
    """The view as the default page of a navigation that also holds the app's pages, so its links
    resolve as they do inside The GAN family."""
    import streamlit as st

    from ui import apps_view, nav

    pages = [st.Page(nav.page_file(p.slug), url_path=p.slug) for p in nav.available_pages()]
    st.navigation([st.Page(apps_view.show, title="apps", default=True), *pages], position="hidden").run()


@pytest.mark.parametrize("lang", LANGS)
def test_view_opens_on_a_real_example_in_both_languages(lang, clear_st_caches):
    at = AppTest.from_function(_view, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.header[0].value == t("apps.title", lang=lang)
    assert len(at.image) == 5
    table = at.dataframe[0].value
    assert len(table) == 4  # bicubic, pixel net, GAN net, originals
    q = superres.load().info["quality"][apps_view.DEFAULT_KIND]
    assert table.iloc[1, 1] == f"{q['pixel']['psnr']:.2f}"
    titles = [m.value for m in at.markdown]
    for stem in ("apps.card_ganimal", "apps.card_faces", "family.app_sketch"):
        assert f"**{t(stem, lang=lang)}**" in titles
    at.segmented_control(key="apps_kind").set_value("blur").run()
    at.button(key="apps_reroll").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="apps_digit").value != apps_view.DEFAULT_DIGIT
