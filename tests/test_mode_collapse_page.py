"""AppTest of the mode-collapse page in both languages, with runs pre-filled in the cache."""
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gan_core import modes
from gan_core.config import PRESETS
from gan_core.runs import run_sync
from tests.apptest import open_page
from tests.apptest import plotly_array as _arr



def _open(lang: str, lab_cfg=None) -> AppTest:
    return open_page("mode_collapse", lang, state=None if lab_cfg is None else {"lab_cfg": lab_cfg})


def _texts(at) -> str:
    return "\n".join(str(m.value) for m in at.markdown) + "\n".join(str(i.value) for i in at.info)


@pytest.fixture
def small_ring_study(monkeypatch):
    """The ring study shrunk to a few steps so the test can train it."""
    for name, _ in modes.STUDIES["ring8"]:
        small = PRESETS[name].replace(steps=30, snapshots=4, batch=64, hidden=PRESETS[name].hidden // 4)
        monkeypatch.setitem(PRESETS, name, small)
    return [(n, PRESETS[n]) for n, _ in modes.STUDIES["ring8"]]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_without_runs(lang, fresh_pool, clear_st_caches):
    at = _open(lang)
    text = _texts(at)
    from ui.i18n import t

    assert t("mode_collapse.press_run", lang=lang) in text
    assert t("mode_collapse.state_missing", lang=lang) in text
    assert fresh_pool.trainings_started == 0  # opening the page trains nothing
    assert at.title[0].value == t("mode_collapse.title", lang=lang)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_with_finished_runs(lang, fresh_pool, clear_st_caches, small_ring_study):
    from ui.i18n import t

    results = {n: run_sync(cfg, fresh_pool) for n, cfg in small_ring_study}
    at = _open(lang)
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    layered = [c for c in charts if c.get("frames")]
    assert len(layered) == 1
    fig = layered[0]
    assert len(fig["frames"]) == 4  # one frame per snapshot
    assert fig["layout"]["sliders"][0]["steps"][-1]["label"] == str(results["ring8-minimax-highlr"].snapshots[-1].step)
    assert fig["layout"]["updatemenus"][0]["buttons"][0]["method"] == "animate"
    kinds = {tr["type"] for tr in fig["data"]}
    assert {"heatmap", "scattergl"} <= kinds  # default layers: real, generated, D's heatmap
    # findings: filled with the measured numbers of the runs
    text = _texts(at)
    for name, r in results.items():
        s = modes.toy_stats("ring8", r.final_samples())
        assert f"{s.captured}" in text and name in text
    base = modes.toy_stats("ring8", results["ring8-minimax-highlr"].final_samples())
    s = modes.toy_stats("ring8", results["ring8-nonsat"].final_samples())
    expected = t("mode_collapse.finding_vs", lang=lang, name="ring8-nonsat", base="ring8-minimax-highlr",
                 changes="`loss` minimax → nonsat, `lr_g` 0.005 → 0.001, `lr_d` 0.005 → 0.001",
                 base_captured=base.captured, captured=s.captured, modes=8, base_hq=f"{100 * base.hq_share:.0f}",
                 hq=f"{100 * s.hq_share:.0f}", verdict=t(f"mode_collapse.verdict_{modes.verdict(s)}", lang=lang))
    assert expected in text
    assert fresh_pool.trainings_started == len(results)  # rendering trained nothing more

    # turn on every layer: the manifold and arrows appear in the figure and in every frame
    at.pills(key="mc_layers").set_value(["real", "fake", "heat", "manifold", "arrows"]).run() \
        if hasattr(at, "pills") else at.get("button_group")[0].set_value(
            ["real", "fake", "heat", "manifold", "arrows"]).run()
    assert not at.exception
    fig = [json.loads(el.proto.spec) for el in at.get("plotly_chart") if json.loads(el.proto.spec).get("frames")][0]
    assert len(fig["data"]) == 5
    assert all(len(f["data"]) == 4 for f in fig["frames"])  # everything but the static real samples


@pytest.fixture
def fake_classifier(monkeypatch):
    """A stand-in for the shipped digit classifier: labels a digit by its ink (deterministic)."""
    from gan_core import classifier
    from ui import mode_view

    def proba(images, model=None):
        ink = np.asarray(images, dtype=np.float64).reshape(len(images), -1).mean(1)
        cls = np.clip((ink / 12).astype(int), 0, 9)
        return np.eye(10)[cls]

    monkeypatch.setattr(classifier, "predict_proba", proba)
    monkeypatch.setattr(mode_view, "classifier_ready", lambda: True)
    monkeypatch.setattr(classifier, "classifier_info", lambda: {"heldout_accuracy": 0.987, "data": {"heldout": 500}})
    return proba


def test_bad_lab_config_gives_a_message(fresh_pool, clear_st_caches, fake_classifier):
    at = _open("en", lab_cfg={"lr_g": "fast", "dataset": "mnist5k"})
    assert any("lr_g" in e.value for e in at.error)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_digit_view_for_the_lab_run(lang, fresh_pool, clear_st_caches, fake_classifier):
    from gan_core.metrics import EVAL_SAMPLES, EVAL_SEED
    from gan_core.train import generate
    from ui.i18n import t

    cfg = PRESETS["tiny"].replace(steps=5, snapshots=2)
    r = run_sync(cfg, fresh_pool)
    at = _open(lang, lab_cfg=cfg.to_dict())
    hist = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    hist = [h for h in hist if h["data"] and h["data"][0]["type"] == "bar" and len(h["data"][0]["x"]) == 10]
    assert len(hist) == 1
    shares = _arr(hist[0]["data"][0]["y"])
    expected = modes.digit_report(*(lambda x: (x, fake_classifier(x)))(generate(r, EVAL_SAMPLES, seed=EVAL_SEED)))
    np.testing.assert_allclose(shares, 100 * np.asarray(expected["hist"]))
    line = t("mode_collapse.digit_line", lang=lang, name=t("mode_collapse.lab_run", lang=lang),
             covered=expected["covered"], tv=f"{expected['tv_uniform']:.2f}", dup=f"{100 * expected['near_dup']:.1f}")
    assert line in _texts(at)
    assert "98.7" in "\n".join(c.value for c in at.caption)  # the classifier's held-out accuracy is shown
