"""A short digits CycleGAN run of one's own on the CycleGAN page: the loss switches, what is
measured, and the page (trained once, kept on rerun)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_core import cycle_data, cycle_runs
from gan_core.classifier import predict_proba
from gan_core.cycle_config import CYCLE_PRESETS
from gan_core.cyclegan import digits
from tests.apptest import open_page
from ui.i18n import t


def test_live_config_is_the_preset_with_three_switches():
    preset = CYCLE_PRESETS["cycle-digits"]
    cfg = digits.live_config(0, 2, adversarial=False)
    assert (cfg.lambda_cycle, cfg.lambda_id, cfg.w_adv_g, cfg.w_adv_f) == (0.0, 2.0, 0.0, 0.0)
    assert cfg.steps == digits.LIVE_STEPS == 300
    back = cfg.replace(lambda_cycle=5.0, lambda_id=1.0, w_adv_g=1.0, w_adv_f=1.0, steps=preset.steps)
    assert back == preset
    assert digits.live_config(5, 1, adversarial=True, steps=7).w_adv_g == 1.0


def test_live_measure_of_generators_that_change_nothing():
    same = torch.nn.Identity()
    n = digits.live_measure(same, same)
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    pick = np.concatenate([np.flatnonzero(labels == c)[:20] for c in range(10)])
    read = (predict_proba(held[pick]).argmax(1) == labels[pick]).mean()
    assert n["digits"] == 200 and n["keep_g"] == n["keep_fg"] == pytest.approx(read)
    assert n["g_change"] == n["back"] == 0.0
    assert n["x"].shape == n["g_x"].shape == (10, 28, 28) and np.array_equal(n["x"], n["f_g_x"])
    assert np.array_equal(n["x"][3], held[pick[60]])  # the first 3 of the twenty


def test_page_trains_a_short_run_and_keeps_it(clear_st_caches, monkeypatch, tmp_path):
    from gan_core import cyclegan

    monkeypatch.setattr(cyclegan, "zoo_reachable", lambda timeout=1.5: False)
    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path))
    monkeypatch.setattr(digits, "LIVE_STEPS", 6)
    cycle_runs.forget()
    at = open_page("cyclegan", "ko")
    labels = [m.label for m in at.metric]
    at.select_slider(key="cd_lc").set_value(0.0)
    at.toggle(key="cd_adv").set_value(False)
    at.button(key="cd_live_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    live = [m for m in at.metric][len(labels):]
    want = [t(f"cycledigits.{k}", lang="ko") for k in ("q_keep_g", "q_keep_fg", "live_change")]
    assert [m.label for m in live] == want
    cfg = digits.live_config(0, 1, adversarial=False, steps=6)
    run = cycle_runs.cached(cfg, need_weights=True)
    assert run is not None and run.history["step"][-1] == 6  # trained with the switches set
    n = digits.live_measure(*run.generators())
    assert live[0].value == f"{100 * n['keep_g']:.0f}%" and live[2].value == f"{n['g_change']:.1f}"
    off = t("cycledigits.live_off", lang="ko")
    secs = f"{run.seconds:.0f}"
    settings = t("cycledigits.live_settings", lang="ko", cyc="0", id="1", adv=off, seconds=secs)
    assert settings in [m.value for m in at.markdown]
    at.run()  # a rerun shows the same run, not a new one
    assert [m.value for m in at.metric][len(labels):] == [m.value for m in live]
    assert cycle_runs.cached(cfg, need_weights=True) is run
