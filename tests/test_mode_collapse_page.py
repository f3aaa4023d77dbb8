"""AppTest of the mode-collapse page in both languages, with runs pre-filled in the cache."""
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gan_core import modes
from gan_core.config import PRESETS
from gan_core.runs import run_sync

PAGE = "pages/mode_collapse.py"
APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def _open(lang: str, lab_cfg=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    if lab_cfg is not None:
        at.session_state["lab_cfg"] = lab_cfg
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def _charts(at) -> dict:
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out[el.proto.id.split("-")[-1] if False else len(out)] = spec
    return out


def _texts(at) -> str:
    return "\n".join(str(m.value) for m in at.markdown) + "\n".join(str(i.value) for i in at.info)


@pytest.fixture
def small_ring_study(monkeypatch):
    """The ring study shrunk to a few steps so the test can train it."""
    for name, _ in modes.STUDIES["ring8"]:
        monkeypatch.setitem(PRESETS, name, PRESETS[name].replace(steps=30, snapshots=4, batch=64, hidden=32))
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


def test_bad_lab_config_gives_a_message(fresh_pool, clear_st_caches):
    from ui import mode_view

    if not mode_view.classifier_ready():
        pytest.skip("digit classifier not built yet")
    at = _open("en", lab_cfg={"lr_g": "fast", "dataset": "mnist5k"})
    assert any("lr_g" in e.value for e in at.error)


def test_digit_view_for_the_lab_run(fresh_pool, clear_st_caches):
    from ui import mode_view

    if not mode_view.classifier_ready():
        pytest.skip("digit classifier not built yet")
    cfg = PRESETS["tiny"].replace(steps=5, snapshots=2)
    run_sync(cfg, fresh_pool)
    at = _open("ko", lab_cfg=cfg.to_dict())
    hist = [json.loads(el.proto.spec) for el in at.get("plotly_chart")
            if json.loads(el.proto.spec)["data"] and json.loads(el.proto.spec)["data"][0]["type"] == "bar"
            and len(json.loads(el.proto.spec)["data"][0]["x"]) == 10]
    assert hist
    shares = np.asarray(hist[0]["data"][0]["y"])
    assert shares.sum() == pytest.approx(100.0)
