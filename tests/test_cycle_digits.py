"""The digits CycleGAN (handwritten <-> typeset): its data, its generator, the shipped file and
sidecar, the translate command, and the page that opens on it offline."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core import cycle_data
from gan_core.classifier import predict_proba
from gan_core.cycle_config import CYCLE_PRESETS
from gan_core.cycle_nets import DigitGenerator
from gan_core.cycle_train import to_flat, to_images
from gan_core.cyclegan import digits
from gan_core.files import sha256_file
from tests.apptest import open_page
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent
# measured on the shipped model (pretrained/cycle_digits.json, quality.typeface and .hiding): see
# bench/cycle_digits_typeface.py. x / G(x): nearest typeset digit 28.2 / about 15 grey levels,
# within-digit spread 35.6 / about 26.6 (the typeset set's own: 24.2), judged typeset 1.7% / about 65%
NEAR_GX_MAX = 18.0
SPREAD_MARGIN = 6.0
JUDGED_GX_MIN = 0.5
NEAREST_MARGIN = 8.0


@pytest.fixture(scope="module")
def model() -> digits.DigitsModel:
    return digits.load()


def test_typeset_set_is_one_typeface_read_correctly():
    images, labels = cycle_data.typeset()
    assert images.shape == (810, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [81] * 10
    assert images[:, 0, :].max() == 0 and images[:, :, 0].max() == 0  # MNIST-like margins
    assert (predict_proba(images).argmax(1) == labels).mean() >= 0.95
    side = json.loads(cycle_data.TYPESET_FILE.with_suffix(".json").read_text())
    assert side["sha256"] == sha256_file(cycle_data.TYPESET_FILE) and "Open Font License" in side["licence"]


def test_handwritten_split_never_overlaps():
    (train, train_labels), (held, held_labels) = cycle_data.handwritten_split()
    assert len(train) == 4000 and len(held) == 1000
    assert np.bincount(held_labels).tolist() == [100] * 10
    seen = {img.tobytes() for img in train}
    assert sum(img.tobytes() in seen for img in held) <= 5  # MNIST repeats a digit now and then


def test_a_fresh_digit_generator_returns_its_input():
    torch.manual_seed(0)
    gen = DigitGenerator(32)
    x = torch.tensor([[-1.0, 0.0, 0.5, 1.0] * 196])
    with torch.no_grad():
        out = gen(x)
    assert out.shape == (1, 784)
    assert torch.allclose(out, 0.99 * x, atol=1e-6)  # tanh(atanh(0.99 x)), the last layer is zero


def test_pixels_round_trip_through_the_network_scale():
    imgs = np.array([[[0, 128, 255] + [0] * 25] * 28], dtype=np.uint8)
    flat = to_flat(imgs)
    assert flat.shape == (1, 784) and float(flat.min()) == -1.0 and float(flat.max()) == 1.0
    assert np.array_equal(to_images(flat), imgs)


# ---- the shipped model ------------------------------------------------------------------------
def test_shipped_file_is_small_checked_and_described(model):
    size = digits.DIGITS_FILE.stat().st_size
    assert size < 400_000
    side = model.info
    assert side["sha256"] == sha256_file(digits.DIGITS_FILE)
    assert side["command"].startswith("python -m gan_core cycle-digits")
    assert side["config"] == CYCLE_PRESETS["cycle-digits"].to_dict()
    assert "Open Font License" in side["data"]["typeset"]["licence"]
    assert side["data"]["typeset"]["sha256"] == sha256_file(cycle_data.TYPESET_FILE)
    assert tuple(model.history) == ("step", "seconds", "adv_g", "adv_f", "cycle", "identity", "d_x", "d_y",
                                    "shape")
    assert int(model.history["step"][-1]) == model.config.steps


def test_sidecar_quality_is_what_the_model_measures(model):
    """The page shows the sidecar's numbers: they must be this file's, measured again here."""
    assert digits.quality(model) == model.info["quality"]


def test_a_changed_file_is_refused(tmp_path):
    copy = tmp_path / "cycle_digits.pt"
    shutil.copy(digits.DIGITS_FILE, copy)
    shutil.copy(digits.DIGITS_FILE.with_suffix(".json"), tmp_path / "cycle_digits.json")
    with open(copy, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(digits.DigitsModelError, match="SHA-256"):
        digits.load(copy)


def test_g_turns_handwriting_into_the_typeface_and_f_brings_it_back(model):
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    x = held[::10]
    gx = model.run("g", x)
    back = model.run("f", gx)
    assert gx.shape == back.shape == x.shape and gx.dtype == np.uint8
    ty, _ = cycle_data.typeset()
    mean_ty = ty.astype(np.float32).mean(0)
    far = lambda a, b: float(np.abs(a.astype(np.float32) - b).mean())  # noqa: E731
    # G(x) is closer to typeset digits than x was; F(G(x)) is closer to x than G(x) is
    assert far(gx, mean_ty) < far(x, mean_ty)
    assert far(back, x.astype(np.float32)) < far(gx, x.astype(np.float32))


# ---- the typeface and the hidden detail -------------------------------------------------------
def test_spread_nearest_and_noise_helpers_on_hand_made_pictures():
    a = np.zeros((3, 28, 28), np.uint8)
    a[1] += 10
    a[2] += 40
    # pairs of one class: |0-10|, |0-40|, |10-40| -> mean 80/3 grey levels; one class per label
    labels = np.array([0, 0, 0])
    spread_one = digits.grey_distances(a, a).sum() / 6
    assert spread_one == pytest.approx(80 / 3)
    assert digits.grey_distances(a[:1], a[1:]).tolist() == [[10.0, 40.0]]
    ty, ty_labels = cycle_data.typeset()
    dist, index = digits.nearest_typeset(ty[:5], ty_labels[:5])
    assert dist.tolist() == [0.0] * 5 and index.tolist() == [0, 1, 2, 3, 4]  # each finds itself
    n = digits.noisy(np.full((2, 28, 28), 100, np.uint8), 4)
    assert n.min() >= 96 and n.max() <= 104 and n.std() > 1
    q = digits.quantised(np.array([[0, 20, 40, 127, 250]], np.uint8), levels=8)
    assert q.tolist() == [[0, 36, 36, 109, 255]]
    assert labels.size == 3


@pytest.fixture(scope="module")
def measured(model):
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    return digits.typeface_and_hiding(model, held, labels)


def test_g_x_of_one_digit_look_alike_and_typeset(measured):
    """Many handwritings -> one typeface: measured on the 1,000 held-out digits."""
    face = measured["typeface"]
    # G(x) lies much closer to the typeset digits than x does ...
    assert face["near_gx"] <= NEAR_GX_MAX < face["near_x"]
    # ... the G(x) of one digit differ from one another less than the handwriting does ...
    assert face["spread_gx"] <= face["spread_x"] - SPREAD_MARGIN
    # ... and a judge comparing pixels takes most G(x) for type, almost no x
    assert face["judged_gx"] >= JUDGED_GX_MIN and face["judged_x"] <= 0.05


def test_g_x_carries_the_handwriting_back(measured):
    """The hide test: G(x) holds what F needs to find x again, which the typeset digit nearest
    to it does not; faint noise or rounding to 8 grey levels never helps F."""
    hide = measured["hiding"]
    # the way back from G(x) beats the way back from the nearest typeset digit by far
    assert hide["back"] <= hide["back_nearest"] - NEAREST_MARGIN
    assert hide["back"] <= hide["back_noise_2"] <= hide["back_noise_4"] <= hide["back_noise_8"]
    assert hide["back_levels_8"] >= hide["back"]


# ---- the translate command --------------------------------------------------------------------
def translate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gan_core", "translate", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_translate_reads_and_writes_28x28_grey_pngs(tmp_path, model):
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    x = held[7]
    Image.fromarray(x).save(tmp_path / "in.png")
    res = translate("--model", "digits-typeset", str(tmp_path / "in.png"), str(tmp_path / "typeset.png"))
    assert res.returncode == 0, res.stderr
    out = Image.open(tmp_path / "typeset.png")
    assert out.size == (28, 28) and out.mode == "L"
    assert np.array_equal(np.asarray(out), model.run("g", x[None])[0])
    res = translate("--model", "digits-handwritten", str(tmp_path / "typeset.png"), str(tmp_path / "b.png"))
    assert res.returncode == 0, res.stderr
    back = np.asarray(Image.open(tmp_path / "b.png"))
    assert np.array_equal(back, model.run("f", np.asarray(out)[None])[0])


def test_train_cycle_digits_preset_writes_its_files(tmp_path):
    import os

    env = {**os.environ, "GAN_CLASSROOM_CACHE": str(tmp_path)}
    args = ["train-cycle", "--preset", "cycle-digits", "--set", "steps=20", "--set", "hidden=32",
            "--out", str(tmp_path / "o")]
    res = subprocess.run([sys.executable, "-m", "gan_core", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert set(metrics) == {"round_trip_x", "round_trip_y"} and all(0 < v < 1 for v in metrics.values())
    assert (tmp_path / "o" / "history.csv").read_text().splitlines()[-1].startswith("20,")


def test_translate_bad_input_is_one_line(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a picture")
    res = translate("--model", "digits-typeset", str(tmp_path / "bad.png"), str(tmp_path / "o.png"))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and res.stderr.startswith("error: ")


def test_read_grey_inverts_a_light_background_and_resizes():
    img = Image.new("RGB", (56, 56), "white")
    img.paste((0, 0, 0), (20, 10, 36, 46))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    grey = digits.read_grey(buf.getvalue())
    assert grey.shape == (28, 28) and grey[0, 0] == 0 and grey[14, 14] == 255


# ---- the page ---------------------------------------------------------------------------------
def test_offline_page_opens_on_the_digits(clear_st_caches, monkeypatch, model):
    from gan_core import cyclegan

    monkeypatch.setattr(cyclegan, "zoo_reachable", lambda timeout=1.5: False)
    at = open_page("cyclegan", "ko")
    assert not at.error
    assert t("cycledigits.tab_offline_note", lang="ko") in [c.value for c in at.caption]
    captions = [c for i in at.image for c in i.captions]
    for key in ("x", "g_x", "f_g_x", "f_x", "y", "f_y", "g_f_y", "g_y"):
        assert t(f"cycledigits.row_{key}", lang="ko") in captions, key
    # the generators' two steps, on the same ten digits as the cycle
    assert t("cycledigits.build_title", lang="ko") in [h.value for h in at.subheader]
    for key in ("build_aligned", "build_edited"):
        assert t(f"cycledigits.{key}", lang="ko") in captions, key
    assert [m.label for m in at.metric] == [t(f"cycledigits.q_{k}", lang="ko") for k in ("typeset", "keep_g",
                                                                                         "keep_fg")]
    assert at.metric[1].value == f"{100 * model.info['quality']['keep_g']:.1f}%"
    assert len(at.get("plotly_chart")) == 1  # the shipped run's curves
    assert any("Steganography" in c.value for c in at.caption)  # the paper is named
    for key in ("x", "g_x", "nearest", "hidden", "f_g_x", "f_nearest"):
        assert t(f"cycledigits.hide_{key}", lang="ko", gain=8) in captions, key
    face = model.info["quality"]["typeface"]
    tables = " ".join(m.value for m in at.markdown)
    assert f"| {face['near_x']:.1f} | {face['near_gx']:.1f} |" in tables  # the measured typeface table
    hide = model.info["quality"]["hiding"]
    assert f"| {hide['back_noise_8']:.1f} |" in tables  # the hide test on every held-out digit
    assert len(at.info) == 1  # the measured sentence on the six shown


def test_the_hide_test_follows_the_noise_slider(clear_st_caches, monkeypatch, model):
    """No noise: no verdict; 16 grey levels: the page reports F's way back measured here."""
    from gan_core import cyclegan
    from ui import cycle_digits_view as view

    monkeypatch.setattr(cyclegan, "zoo_reachable", lambda timeout=1.5: False)
    at = open_page("cyclegan", "en")
    at.select_slider(key="cd_noise").set_value(0).run()
    assert t("cycledigits.hide_verdict_none", lang="en") in at.info[0].value
    at.select_slider(key="cd_noise").set_value(16).run()
    assert not at.exception
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    x = held[np.flatnonzero(labels == 7)[: view.STYLES]]
    gx = model.run("g", x)
    grey = digits.grey_distances_pairwise
    back, back_noisy = grey(x, model.run("f", gx)), grey(x, model.run("f", digits.noisy(gx, 16)))
    assert back_noisy >= back  # noise never helps F find x
    text = at.info[0].value
    assert f"ends {back_noisy:.0f} away" in text and f"within {back:.0f} of its own x" in text
    near = model.run("f", cycle_data.typeset()[0][digits.nearest_typeset(gx, np.full(len(x), 7))[1]])
    verdict = view.hiding_verdict(back, back_noisy, grey(x, near))
    assert t(f"cycledigits.hide_verdict_{verdict}", lang="en") in text
    assert t("cycledigits.hide_f_noisy", lang="en", noise=16) in [c for i in at.image for c in i.captions]
