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
from gan_core.cycle_train import DigitGenerator, to_flat, to_images
from gan_core.cyclegan import digits
from gan_core.files import sha256_file
from tests.apptest import open_page
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent


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
    assert size < 2_000_000
    side = model.info
    assert side["sha256"] == sha256_file(digits.DIGITS_FILE)
    assert side["command"].startswith("python -m gan_core cycle-digits")
    assert side["config"] == CYCLE_PRESETS["cycle-digits"].to_dict()
    assert "Open Font License" in side["data"]["typeset"]["licence"]
    assert side["data"]["typeset"]["sha256"] == sha256_file(cycle_data.TYPESET_FILE)
    assert tuple(model.history) == ("step", "seconds", "adv_g", "adv_f", "cycle", "identity", "d_x", "d_y")
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
    assert [m.label for m in at.metric] == [t(f"cycledigits.q_{k}", lang="ko") for k in ("typeset", "keep_g",
                                                                                         "keep_fg")]
    assert at.metric[1].value == f"{100 * model.info['quality']['keep_g']:.1f}%"
    assert len(at.get("plotly_chart")) == 1  # the shipped run's curves
    assert any("Steganography" in c.value for c in at.caption)  # the paper is named
    assert len(at.info) == 1  # the measured hiding sentence


def test_online_page_opens_on_the_photos(clear_st_caches, monkeypatch):
    from gan_core import cyclegan

    monkeypatch.setattr(cyclegan, "zoo_reachable", lambda timeout=1.5: True)
    at = open_page("cyclegan", "en", state={"cg_preview": False}, timeout=240)
    assert at.selectbox(key="cg_model").value == cyclegan.DEFAULT_MODEL
    assert not [c.value for c in at.caption if c.value == t("cycledigits.tab_offline_note", lang="en")]
