"""Be the counterfeiter: MNIST-style preprocessing of a drawing, the shipped discriminator (its
file, its sidecar, its verdicts) and the section on the analogy page, in both languages."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core import judge, mnistify
from gan_core.files import PRETRAINED, sha256_file
from tests.apptest import open_page, plotly_array
from ui.i18n import t


def _stroke_canvas() -> np.ndarray:
    """A 280 x 280 RGBA canvas (transparent, as the browser's is) with one black bar: rows
    40..199, columns 200..239, drawn off-centre on purpose."""
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[40:200, 200:240] = (0, 0, 0, 255)
    return rgba


# ---- preprocessing ---------------------------------------------------------------------------
def test_ink_is_one_on_the_stroke_and_zero_on_paper_transparent_or_white():
    ink = mnistify.ink_from_rgba(_stroke_canvas())
    assert ink[100, 220] == 1.0 and ink[10, 10] == 0.0  # transparent counts as white paper
    white = np.full((4, 4, 4), 255, dtype=np.uint8)
    white[0, 0] = (0, 0, 0, 255)
    assert mnistify.ink_from_rgba(white)[0, 0] == 1.0 and mnistify.ink_from_rgba(white)[1, 1] == 0.0


def test_a_bar_is_cropped_scaled_to_20_pixels_and_centred_by_mass():
    pic = mnistify.to_mnist(mnistify.ink_from_rgba(_stroke_canvas()))
    assert pic.shape == (28, 28) and pic.dtype == np.uint8 and pic.max() == 255
    top, bottom, left, right = mnistify.bounding_box(pic / 255.0)
    # the 160 x 40 bar keeps its proportions: its long side becomes 20 pixels, its short side 5
    assert bottom - top == 20 and right - left == 5
    r, c = mnistify.centre_of_mass(pic)
    assert abs(r - 13.5) <= 0.5 and abs(c - 13.5) <= 0.5  # where the stroke was drawn no longer matters
    x = mnistify.net_input(pic)
    assert x.min() == -1.0 and x.max() == 1.0  # the networks read [-1, 1], background -1


def test_an_empty_canvas_or_a_stray_click_gives_no_picture():
    assert mnistify.to_mnist(mnistify.ink_from_rgba(np.zeros((280, 280, 4), np.uint8))) is None
    click = np.zeros((280, 280, 4), np.uint8)
    click[5, 5] = (0, 0, 0, 255)
    assert mnistify.to_mnist(mnistify.ink_from_rgba(click)) is None


def test_a_photo_of_pen_on_grey_paper_reads_as_ink_on_black():
    photo = np.full((100, 80, 3), 200, dtype=np.uint8)  # grey paper
    photo[20:80, 35:45] = 30  # dark pen
    ink = mnistify.ink_from_rgb(photo)
    # the paper's own darkness (55 of 255) is taken off: (225 - 55) / (255 - 55) = 0.85
    assert ink[50, 40] == pytest.approx(0.85, abs=1e-6) and ink[5, 5] == 0.0
    light_on_dark = 255 - photo  # an MNIST-style picture: the border decides which is the ink
    assert np.allclose(mnistify.ink_from_rgb(light_on_dark), ink)


# ---- the shipped discriminator -------------------------------------------------------------
def test_the_sidecar_describes_the_shipped_weights():
    side = judge.judge_info()
    assert side["sha256"] == sha256_file(PRETRAINED / judge.WEIGHTS)
    assert side["data"]["generated"]["sha256"] == sha256_file(PRETRAINED / "book_run_generator.pt")
    assert side["command"] == "python -m gan_core judge-run --out pretrained/"
    assert side["dtype"] == "float16" and side["train_seconds"] > 0
    assert (PRETRAINED / judge.WEIGHTS).stat().st_size + (PRETRAINED / judge.SIDECAR).stat().st_size < 250_000


def test_the_weights_load_with_weights_only_and_are_float16():
    state = torch.load(PRETRAINED / judge.WEIGHTS, map_location="cpu", weights_only=True)
    floats = [v for v in state.values() if v.is_floating_point()]
    assert floats and all(v.dtype == torch.float16 for v in floats)
    d = judge.load_judge()
    assert not d.training and not any(p.requires_grad for p in d.parameters())


def test_real_held_out_digits_look_more_real_than_noise_and_than_the_counterfeiter():
    from gan_core.data import mnist5k_split

    _, held = mnist5k_split()
    real = judge.score(held.images[::5])  # 100 digits D never trained on
    noise = judge.score(np.random.default_rng(1).integers(0, 256, (100, 28, 28), dtype=np.uint8))
    g, nz = judge.book_generator()
    fakes = judge.score(judge.generated(g, nz, 100, seed=judge.EVAL_SEED + 1))
    assert real.min() >= 0.0 and real.max() <= 1.0
    assert real.mean() > noise.mean() + 0.5
    assert real.mean() > fakes.mean() + 0.5
    side = judge.judge_info()["quality"]
    assert side["mean_d_real"] > side["mean_d_generated"] and side["heldout_accuracy"] > 0.8


def test_the_sidecar_quality_is_what_the_shipped_file_measures():
    from gan_core.data import mnist5k_split

    _, held = mnist5k_split()
    g, nz = judge.book_generator()
    fakes = judge.generated(g, nz, judge.EVAL_FAKES, judge.EVAL_SEED)
    q = judge.measure(judge.load_judge(), held.images, fakes)
    assert q == judge.judge_info()["quality"]


def test_negatives_are_made_of_real_strokes_but_are_no_digit():
    images = torch.zeros(20, 1, 28, 28)
    images[:10] = 0.25  # class 0: one grey level
    images[10:] = -0.5  # class 2: another, with ink down its left column
    images[10:, :, :, 0] = 1.0
    labels = torch.tensor([0] * 10 + [2] * 10)
    out = judge.not_digits(images, labels, 4, torch.Generator().manual_seed(0))
    assert out.shape == (4, 1, 28, 28)
    for h in out[:2]:  # top half of one class over the bottom half of the other
        assert {h[0, 0, 5].item(), h[0, 27, 5].item()} == {0.25, -0.5}
    for o in out[2:]:  # a class-2 digit turned a quarter: its left column is now a top or bottom row
        assert bool((o[0, 0] == 1.0).all()) != bool((o[0, 27] == 1.0).all())
        assert not bool((o[0, :, 0] == 1.0).all())


# ---- the page --------------------------------------------------------------------------------
def _infos(at) -> list[str]:
    return [e.value for e in at.info]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_page_from_an_empty_canvas_to_a_verdict(lang, clear_st_caches):
    from gan_core.classifier import predict_proba
    from gan_core.data import mnist5k_split

    at = open_page("analogy", lang)
    assert t("counterfeit.title", lang=lang) in [h.value for h in at.subheader]
    assert t("counterfeit.empty", lang=lang) in _infos(at)  # AppTest draws no component: no ink

    at.radio(key="cf_source").set_value("real").run()  # the fallback: a held-out real digit
    assert not at.exception, [e.value for e in at.exception]
    first = mnist5k_split()[1].images[:1]  # the slider starts at real digit no. 1
    d, probs = float(judge.score(first)[0]), predict_proba(first)[0]
    digit = int(probs.argmax())
    assert d >= 0.7  # a real digit the police officer never saw passes
    said = t("counterfeit.v_pass", lang=lang, d=f"{d:.2f}", digit=digit, p=f"{100 * probs[digit]:.0f}")
    assert said in [e.value for e in at.success]
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    bars = next(s for s in specs if s["layout"]["title"]["text"] == t("counterfeit.probs_title", lang=lang))
    assert np.allclose(plotly_array(bars["data"][0]["y"]), probs)
    if lang == "ko":
        return
    at.radio(key="cf_source").set_value("fake").run()  # a shipped counterfeit
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("progress")) == 3  # how real: yours, the real reference, the counterfeit one
    at.radio(key="cf_source").set_value("upload").run()
    assert t("counterfeit.empty_upload") in _infos(at)
    photo = np.full((120, 100), 230, dtype=np.uint8)
    photo[20:100, 45:55] = 20  # a dark "1" on light paper
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, format="PNG")
    at.file_uploader(key="cf_upload").upload("one.png", buf.getvalue(), "image/png").run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("counterfeit.reads", digit=1) in [c.value for c in at.caption]
