"""Neural style transfer: the three losses against hand-computed values, the optimisation, the
class's runner (one run per session, a queue), the shipped example, and the view in both languages."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from gan_core import style_jobs as sj
from gan_core import style_transfer as stx
from gan_core.files import PRETRAINED, sha256_file
from gan_core.style_paintings import PAINTINGS, painting
from tests.test_terms import CYCLE_LOSSES
from ui.i18n import LANGS, t

QUICK = stx.StyleConfig(steps=20, size=96)


@pytest.fixture(scope="module")
def pair():
    """(content, style) pixels: the astronaut and the swirls painting."""
    return sj.example_inputs()


# ---- the losses, by hand ------------------------------------------------------------------------
def test_gram_matrix_of_a_hand_computed_two_by_two_map():
    # two feature maps on a 2x2 grid: f1 = [[1, 0], [2, 1]], f2 = [[0, 1], [1, 3]]
    f = torch.tensor([[[[1.0, 0.0], [2.0, 1.0]], [[0.0, 1.0], [1.0, 3.0]]]])
    # f1.f1 = 1 + 0 + 4 + 1 = 6, f1.f2 = 0 + 0 + 2 + 3 = 5, f2.f2 = 0 + 1 + 1 + 9 = 11; / 4 positions
    assert torch.allclose(stx.gram(f), torch.tensor([[[1.5, 1.25], [1.25, 2.75]]]))
    # it forgets where a feature fired: the same values at shuffled positions give the same matrix
    shuffled = f.reshape(1, 2, 4)[..., [3, 1, 0, 2]].reshape(1, 2, 2, 2)
    assert torch.allclose(stx.gram(shuffled), stx.gram(f))


def test_total_variation_of_a_hand_made_image():
    img = torch.zeros(1, 3, 2, 2)
    img[0, 0] = torch.tensor([[0.0, 1.0], [0.0, 1.0]])  # red steps up from left to right
    # across: |1 - 0| in both rows of the red channel, 0 elsewhere: 2 / 6 values; down: all 0
    assert stx.tv_loss(img).item() == pytest.approx(2 / 6)
    assert stx.tv_loss(torch.full((1, 3, 5, 7), 0.4)).item() == 0.0
    img[0, 0] = torch.tensor([[0.0, 0.0], [1.0, 0.5]])  # down: 1 and 0.5 -> 1.5 / 6; across: 0.5 / 6
    assert stx.tv_loss(img).item() == pytest.approx(2 / 6)


def test_content_loss_is_zero_for_the_content_itself(pair):
    content, style = pair
    targets = stx.Targets(content, style, 96)
    losses = targets.losses(targets.content)
    assert losses["content"].item() == 0.0
    assert losses["style"].item() > 0 and losses["tv"].item() > 0
    a, b = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.0, 3.0])
    assert stx.content_loss(a, b).item() == pytest.approx(4 / 3)


def test_style_loss_is_zero_for_the_style_picture_itself(pair):
    _, style = pair
    targets = stx.Targets(style, style, 96)  # the content is the style too: a square of it
    assert targets.losses(stx.to_tensor(stx.fit_style(style, 96)))["style"].item() < 1e-10


# ---- the optimisation -----------------------------------------------------------------------------
def test_a_short_optimisation_lowers_the_total_loss(pair):
    content, style = pair
    seen = []
    r = stx.optimise(content, style, QUICK, callback=lambda s, v, p: seen.append((s, v, p)))
    h = r.history
    assert r.status == "ok" and r.steps_done == 20 and list(h["step"]) == list(range(1, 21))
    assert h["total"][-1] < 0.5 * h["total"][0]
    assert h["style"][-1] < h["style"][0] and h["content"][0] == 0.0  # started from the content
    w = QUICK
    assert h["total"][5] == pytest.approx(w.content_weight * h["content"][5] + w.style_weight * h["style"][5]
                                          + w.tv_weight * h["tv"][5], rel=1e-6)
    assert [s for s, _, p in seen if p is not None] == [1, 10, 20] and len(seen) == 20
    # shape and range: the content's working size, 8-bit RGB, and not the content unchanged
    assert r.image.shape == stx.fit_content(content, 96).shape == (96, 96, 3)
    assert r.image.dtype == np.uint8 and 0 <= r.image.min() < r.image.max() <= 255
    assert np.abs(r.image.astype(int) - stx.fit_content(content, 96)).mean() > 3


def test_noise_start_and_an_oblong_photo(pair):
    _, style = pair
    photo = np.random.default_rng(0).integers(0, 256, (60, 150, 3), dtype=np.uint8)
    r = stx.optimise(photo, style, QUICK.replace(init="noise", steps=8))
    assert r.image.shape == (40, 96, 3)  # long side 96, both sides multiples of 8
    assert r.history["content"][0] > 0 and r.history["total"][-1] < r.history["total"][0]


def test_stop_flag_and_a_diverging_run(pair, monkeypatch):
    content, style = pair
    calls = []
    r = stx.optimise(content, style, QUICK, callback=lambda s, v, p: calls.append(s),
                     should_stop=lambda: len(calls) >= 3)
    assert r.status == "stopped" and r.steps_done == 3 and r.image.shape == (96, 96, 3)
    real = stx.tv_loss
    monkeypatch.setattr(stx, "tv_loss", lambda img: real(img) if len(calls) < 7 else real(img) * float("nan"))
    r = stx.optimise(content, style, QUICK, callback=lambda s, v, p: calls.append(s))
    assert r.status == "diverged" and r.steps_done == 4  # the last finite picture is kept
    assert np.isfinite(r.history["total"]).all()


@pytest.mark.parametrize("change", [{"steps": 0}, {"steps": stx.MAX_STEPS + 1}, {"size": 512},
                                    {"style_weight": -1.0}, {"tv_weight": float("nan")}, {"init": "photo"},
                                    {"content_weight": 0.0, "style_weight": 0.0, "tv_weight": 0.0}])
def test_settings_outside_the_caps_are_refused(change):
    with pytest.raises(stx.StyleError):
        stx.validate(stx.StyleConfig().replace(**change))


def test_paintings_are_drawn_the_same_every_time():
    pictures = [painting(name, 64) for name in PAINTINGS]
    assert all(p.shape == (64, 64, 3) and p.dtype == np.uint8 for p in pictures)
    assert np.array_equal(painting("waves", 64), pictures[PAINTINGS.index("waves")])
    assert not np.array_equal(painting("waves", 64, seed=1), pictures[PAINTINGS.index("waves")])
    assert len({p.tobytes() for p in pictures}) == len(PAINTINGS)


# ---- the class's runner ---------------------------------------------------------------------------
def _wait(job, seconds=60):
    end = time.time() + seconds
    while not job.finished and time.time() < end:
        time.sleep(0.02)
    assert job.finished


def test_one_run_per_session_and_a_queue(pair):
    content, style = pair
    runner = sj.StyleRunner(slots=1)
    first = runner.submit("ann", content, style, QUICK.replace(steps=stx.MAX_STEPS))
    with pytest.raises(sj.Busy):  # the same student cannot start a second one
        runner.submit("ann", content, style, QUICK)
    other = runner.submit("bob", content, style, QUICK.replace(steps=5))
    while first.state == "queued":
        time.sleep(0.01)
    assert other.state == "queued" and runner.ahead(other) == 1 and runner.active("ann") is first
    first.stop()
    _wait(first)
    _wait(other)
    assert first.result.status == "stopped" and first.result.steps_done < stx.MAX_STEPS
    assert other.result.status == "ok" and other.history()["step"][-1] == 5 and other.preview is not None
    again = runner.submit("ann", content, style, QUICK.replace(steps=2))  # free again once finished
    _wait(again)
    assert again.result.steps_done == 2 and runner.active("ann") is None


# ---- the shipped example --------------------------------------------------------------------------
def test_shipped_example_matches_its_sidecar_and_fits_the_budget():
    side = json.loads((PRETRAINED / "style_example.json").read_text(encoding="utf-8"))
    png = PRETRAINED / sj.EXAMPLE_FILE
    assert side["sha256"] == sha256_file(png)
    assert side["command"].startswith("python -m gan_core style-example")
    assert png.stat().st_size + (PRETRAINED / "style_example.json").stat().st_size < 150_000
    ex = sj.shipped_example()
    assert ex is not None and ex["config"] == sj.EXAMPLE_CONFIG and ex["status"] == "ok"
    assert ex["image"].shape == (128, 128, 3)
    h = ex["history"]
    assert len(h["step"]) == sj.EXAMPLE_CONFIG.steps and h["total"][-1] < 0.1 * h["total"][0]


def test_a_tampered_example_is_not_shown(tmp_path):
    for name in (sj.EXAMPLE_FILE, "style_example.json"):
        (tmp_path / name).write_bytes((PRETRAINED / name).read_bytes())
    assert sj.shipped_example(tmp_path) is not None
    (tmp_path / sj.EXAMPLE_FILE).write_bytes(b"not the picture")
    assert sj.shipped_example(tmp_path) is None


# ---- the view -------------------------------------------------------------------------------------
def _script():
    import streamlit as st

    from ui import nav, style_transfer_view

    # the app's pages, so the link to the CycleGAN studio resolves as on the family page
    st.navigation([st.Page(str(p.path), url_path=p.slug) for p in nav.available_pages()], position="hidden")
    style_transfer_view.show()


def _open(lang: str) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", LANGS)
def test_view_opens_on_the_shipped_example_and_compares_with_cyclegan(lang):
    at = _open(lang)
    assert len(at.image) == 3 and not at.error  # content, style, result: no button pressed
    captions = [c.value for c in at.caption]
    assert any(c.startswith(t("style.example_line", lang=lang).split(":")[0]) for c in captions)
    assert len(at.get("plotly_chart")) == 1
    table = at.table[0].value
    cyc = " ".join(str(v) for v in table["CycleGAN"]).lower()
    assert all(name in cyc for name in CYCLE_LOSSES[lang])
    assert t("style.loss_content", lang=lang).lower() in " ".join(map(str, table.iloc[:, 1])).lower()
    assert [p.proto.label for p in at.get("page_link")] == [t("style.try_cyclegan", lang=lang)]


def test_a_live_run_from_the_view_survives_reruns_and_shows_its_result():
    at = _open("en")
    at.slider(key="stx_steps").set_value(20)
    at.radio(key="stx_size").set_value(96)
    at.selectbox(key="stx_painting").set_value("mosaic")
    paint = [b for b in at.button if b.label == t("style.run", lang="en")]
    paint[0].click().run()
    assert not at.exception
    job = at.session_state["stx_job"]
    assert job.config.steps == 20 and job.config.size == 96
    at.run()  # a rerun in the middle: the run goes on, it is the same job
    assert at.session_state["stx_job"] is job
    _wait(job)
    at.run()
    assert not at.exception and not at.error
    shown = at.session_state["stx_shown"]
    assert shown["example"] is False and shown["image"].shape == (96, 96, 3)
    assert any(c.value.startswith("Your run: 20 steps at 96 px") for c in at.caption)


def test_uploaded_pictures_go_through_the_safe_decoder():
    import io

    from PIL import Image

    at = _open("en")
    at.radio(key="stx_content_src").set_value("upload").run()
    at.file_uploader(key="stx_upload_content").set_value(("notes.png", b"not a picture", "image/png")).run()
    assert not at.exception and [e.value for e in at.error] == [t("uploads.err_not_image", lang="en")]
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (80, 120, 3), dtype=np.uint8)).save(buf, "PNG")
    at.file_uploader(key="stx_upload_content").set_value(("mine.png", buf.getvalue(), "image/png")).run()
    at.slider(key="stx_steps").set_value(10)
    at.radio(key="stx_size").set_value(96)
    [b for b in at.button if b.label == t("style.run", lang="en")][0].click().run()
    job = at.session_state["stx_job"]
    _wait(job)
    at.run()
    assert not at.exception and at.session_state["stx_shown"]["image"].shape == (64, 96, 3)
