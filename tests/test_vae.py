"""The VAE set beside the textbook's GAN: its loss by hand, its training, the shipped run."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_core import vae
from gan_core.files import PRETRAINED, sha256_file


def test_loss_terms_by_hand():
    x = torch.full((3, 784), 0.5)
    zeros = torch.zeros(3, vae.LATENT)
    rebuild, kl = vae.loss_terms(torch.zeros(3, 784), x, zeros, zeros)
    assert rebuild.item() == pytest.approx(784 * math.log(2), rel=1e-5)  # sigmoid(0) = 1/2 everywhere
    assert kl.item() == pytest.approx(0.0, abs=1e-6)  # the code is exactly N(0, 1)
    _, kl = vae.loss_terms(torch.zeros(3, 784), x, torch.ones(3, vae.LATENT), zeros)
    assert kl.item() == pytest.approx(0.5 * vae.LATENT)  # each unit shifted by 1: 1/2 each


def test_grey_share_counts_pixels_that_are_neither_ink_nor_paper():
    img = np.zeros((1, 2, 2), dtype=np.uint8)
    img[0, 0, 0], img[0, 0, 1], img[0, 1, 0] = 255, 128, 200  # ink, grey, ink-ish (above 0.75)
    assert vae.grey_share(img) == 0.25


def test_a_short_training_learns_to_rebuild():
    run = vae.train_vae(steps=120, batch=128, seed=0)
    h = run["history"]["rebuild"]
    assert h[-20:].mean() < 0.8 * h[:5].mean()
    out = vae.sample(run["model"], 4, seed=1)
    assert out.shape == (4, 28, 28) and out.dtype == np.uint8
    assert np.array_equal(out, vae.sample(run["model"], 4, seed=1))  # fixed noise, same digits


def test_the_shipped_run_is_what_its_sidecar_says_and_blurrier_than_the_gan():
    from gan_core.bookrun import story

    run = vae.shipped()
    assert run is not None
    info = run["info"]
    assert info["sha256"] == sha256_file(PRETRAINED / vae.NPZ)
    assert "python -m gan_core vae-run" in info["command"]
    assert run["samples"].shape == (64, 28, 28) and run["rebuilt"].shape == run["originals"].shape
    assert len(run["hist_rebuild"]) == info["config"]["steps"]
    assert 1.0 <= info["quality"]["score"] <= 10.0
    gan = story(steps=(20000,), per=64)[0]["images"]
    assert vae.grey_share(run["samples"]) > 1.3 * vae.grey_share(gan)  # the blur the page shows


# ---- a student's own VAE, trained live ----------------------------------------------------------
@pytest.fixture
def live(monkeypatch):
    """Empty live memo and a short budget, so each test trains its own small VAEs quickly."""
    for name in ("_live", "_live_locks", "_live_progress", "_live_failed"):
        monkeypatch.setattr(vae, name, {})
    monkeypatch.setattr(vae, "LIVE_STEPS", 200)
    return vae


def test_live_settings_off_the_offered_grid_are_refused(live):
    with pytest.raises(ValueError):
        live.live_run(3, 1.0)
    with pytest.raises(ValueError):
        live.start_live(20, 0.5)
    assert live.live_status(20, 0.5) == ("idle", None)


def test_without_the_kl_term_the_codes_drift_from_noise_and_a_2_number_code_gives_a_map(live):
    plain = live.live_run(20, 0.0)
    usual = live.live_run(20, 1.0)
    assert plain["kl"] > 2 * usual["kl"]  # nothing pulled the codes towards N(0, 1)
    assert plain["samples"].shape == (36, 28, 28) and plain["rebuilt"].shape == (16, 28, 28)
    assert len(plain["history"]["kl"]) == 200 and "map" not in plain
    tiny = live.live_run(2, 1.0)
    assert tiny["map"].shape == (live.MAP_SIDE ** 2, 28, 28) and tiny["map"].dtype == np.uint8
    assert tiny["rebuild_error"] > usual["rebuild_error"]  # 2 numbers keep less of each digit
    assert 1.0 <= usual["score"] <= 10.0 and 0.0 <= usual["grey"] <= 1.0


def test_two_students_asking_for_one_setting_share_one_training(live, monkeypatch):
    import threading

    calls = []
    real = live.train_vae
    monkeypatch.setattr(live, "train_vae", lambda *a, **k: calls.append(1) or real(*a, **k))
    out = []
    threads = [threading.Thread(target=lambda: out.append(live.live_run(8, 0.25))) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1 and out[0] is out[1]
    assert live.live_status(8, 0.25) == ("done", out[0])


def test_a_failed_live_training_reports_and_can_be_retried(live, monkeypatch):
    import time

    monkeypatch.setattr(live, "_measure_live", lambda key, progress: 1 / 0)
    live.start_live(2, 4.0)
    for _ in range(200):
        if live.live_status(2, 4.0)[0] != "running":
            break
        time.sleep(0.02)
    state, message = live.live_status(2, 4.0)
    assert state == "failed" and "ZeroDivisionError" in message


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_family_page_trains_a_vae_from_its_button_and_shows_the_numbers(live, lang, clear_st_caches):
    import time

    from tests.apptest import open_page
    from ui.i18n import t

    at = open_page("family", lang, state={"vae_live_latent": 2, "vae_live_beta": 1.0})
    button = [b for b in at.button if b.label == t("family.vae_live_train", lang=lang)]
    assert len(button) == 1
    button[0].click().run()
    for _ in range(600):
        if live.live_status(2, 1.0)[0] == "done":
            break
        time.sleep(0.1)
    at.run()
    assert not at.exception
    run = live.live_status(2, 1.0)[1]
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("family.vae_live_rebuild", lang=lang)] == f"{run['rebuild_error']:.1f}"
    assert shown[t("family.vae_live_kl", lang=lang)] == f"{run['kl']:.1f}"
    assert not [b for b in at.button if b.label == t("family.vae_live_train", lang=lang)]
