"""AppTest of the mode-collapse page in both languages, with runs pre-filled in the cache."""
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gan_core import modes
from gan_core.config import PRESETS
from gan_core.pool import run_sync
from tests.apptest import open_page
from tests.apptest import plotly_array as _arr


def _open(lang: str, lab_cfg=None, tab: str = "toy") -> AppTest:
    """The page with its 2D-sets tab or (``tab="digits"``) its digits tab open."""
    from ui.i18n import t

    state = {"mc_tab": t(f"mode_collapse.tab_{tab}", lang=lang)}
    if lab_cfg is not None:
        state["lab_cfg"] = lab_cfg
    return open_page("mode_collapse", lang, state=state)


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
    # the digits tab, closed, is not made (its classifier work waits until it is opened)
    assert t("mode_collapse.digits_intro", lang=lang) not in text
    assert t("mode_collapse.digits_intro", lang=lang) in _texts(_open(lang, tab="digits"))
    assert at.title[0].value == t("mode_collapse.title", lang=lang)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_with_finished_runs(lang, fresh_pool, clear_st_caches, small_ring_study):
    from ui import mode_view
    from ui.i18n import t

    results = {n: run_sync(cfg, fresh_pool) for n, cfg in small_ring_study}
    at = _open(lang)
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    layered = [c for c in charts if c.get("frames")]
    assert len(layered) == 1
    fig = layered[0]
    assert len(fig["frames"]) == 4  # one frame per snapshot
    last_step = results["ring8-minimax-highlr"].snapshots[-1].step
    assert fig["layout"]["sliders"][0]["steps"][-1]["label"] == str(last_step)
    assert fig["layout"]["updatemenus"][0]["buttons"][0]["method"] == "animate"
    # default layers: the real samples (static), then per frame D's heatmap and the generated points
    assert [tr["type"] for tr in fig["data"]] == ["scattergl", "heatmap", "scattergl"]
    # D's belief travels as bytes (0..255 for 0..1) and the colour bar still reads 0 / 0.5 / 1
    heat, shown = fig["data"][1], results["ring8-minimax-highlr"].snapshots[-1]
    assert heat["z"]["dtype"] == "u1" and (heat["zmin"], heat["zmax"]) == (0, 255)
    want = np.round(255 * shown.extras["heat"]).astype(np.uint8)
    np.testing.assert_array_equal(_arr(heat["z"]).reshape(want.shape), want)
    assert heat["colorbar"]["ticktext"] == ["0", "0.5", "1"]
    xs = _arr(fig["data"][2]["x"])  # the generated points as float32, as sampled
    np.testing.assert_array_equal(xs, np.asarray(shown.samples)[: len(xs), 0].astype(np.float32))
    # findings: one sentence per run, filled with the measured numbers of the runs
    text = _texts(at)
    stats = {name: modes.toy_stats("ring8", r.final_samples()) for name, r in results.items()}

    def common(name):
        s = stats[name]
        verdict = t(f"mode_collapse.verdict_{modes.verdict(s)}", lang=lang)
        return dict(lang=lang, name=mode_view.label(name, lang), captured=s.captured, modes=s.n_modes,
                    hq=f"{100 * s.hq_share:.0f}", verdict=verdict)

    # the settings that differ between the first two presets, spelt out once
    first, nonsat = PRESETS["ring8-minimax-highlr"], PRESETS["ring8-nonsat"]
    assert mode_view.change_text(first, nonsat) == (
        f"`loss` {first.loss} → {nonsat.loss}, `lr_g` {first.lr_g:g} → {nonsat.lr_g:g}, "
        f"`lr_d` {first.lr_d:g} → {nonsat.lr_d:g}")
    for name, base in modes.STUDIES["ring8"]:
        if base is None:
            expected = t("mode_collapse.finding_first", **common(name))
        else:
            expected = t("mode_collapse.finding_vs", base=mode_view.label(base, lang),
                         base_captured=stats[base].captured,
                         changes=mode_view.change_text(results[base].config, results[name].config),
                         base_hq=f"{100 * stats[base].hq_share:.0f}", **common(name))
        assert expected in text, name
    assert fresh_pool.trainings_started == len(results)  # rendering trained nothing more

    # turn on every layer: the manifold and arrows appear in the figure and in every frame
    at.pills(key="mc_layers").set_value(["real", "fake", "heat", "manifold", "arrows"]).run() \
        if hasattr(at, "pills") else at.get("button_group")[0].set_value(
            ["real", "fake", "heat", "manifold", "arrows"]).run()
    assert not at.exception
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    fig = [c for c in charts if c.get("frames")][0]
    assert len(fig["data"]) == 5
    assert all(len(f["data"]) == 4 for f in fig["frames"])  # everything but the static real samples


HELDOUT_ACCURACY, HELDOUT_DIGITS = 0.987, 500  # what the stand-in classifier's sidecar says


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
    info = {"heldout_accuracy": HELDOUT_ACCURACY, "data": {"heldout": HELDOUT_DIGITS}}
    monkeypatch.setattr(classifier, "classifier_info", lambda: info)
    return proba


def test_bad_lab_config_gives_a_message(fresh_pool, clear_st_caches, fake_classifier):
    from gan_core.config import ConfigError, from_dict
    from ui.i18n import t
    from ui.params import explain

    bad = {"lr_g": "fast", "dataset": "mnist5k"}
    with pytest.raises(ConfigError) as err:
        from_dict(bad)
    assert "lr_g" in explain(err.value)
    at = _open("en", lab_cfg=bad, tab="digits")
    assert [e.value for e in at.error] == [t("mode_collapse.lab_bad", lang="en", problem=explain(err.value))]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_digit_view_for_the_lab_run(lang, fresh_pool, clear_st_caches, fake_classifier):
    from gan_core.metrics import EVAL_SAMPLES, EVAL_SEED
    from gan_core.train import generate
    from ui.i18n import t

    cfg = PRESETS["tiny"].replace(steps=5, snapshots=2)
    r = run_sync(cfg, fresh_pool)
    at = _open(lang, lab_cfg=cfg.to_dict(), tab="digits")
    hist = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    hist = [h for h in hist if h["data"] and h["data"][0]["type"] == "bar" and len(h["data"][0]["x"]) == 10]
    assert len(hist) == 1
    shares = _arr(hist[0]["data"][0]["y"])
    samples = generate(r, EVAL_SAMPLES, seed=EVAL_SEED)
    expected = modes.digit_report(samples, fake_classifier(samples))
    np.testing.assert_allclose(shares, 100 * np.asarray(expected["hist"]))
    line = t("mode_collapse.digit_line", lang=lang, name=t("mode_collapse.lab_run", lang=lang),
             covered=expected["covered"], tv=f"{expected['tv_uniform']:.2f}",
             dup=f"{100 * expected['near_dup']:.1f}")
    assert line in _texts(at)
    # the classifier's held-out accuracy is shown
    acc = f"{100 * HELDOUT_ACCURACY:.1f}"
    info = t("mode_collapse.classifier_info", lang=lang, acc=acc, n=HELDOUT_DIGITS)
    assert info in [c.value for c in at.caption]
