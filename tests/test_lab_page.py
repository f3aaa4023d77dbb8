"""AppTest of the app entry and the Training Lab: a tiny run end to end, in Korean and English."""
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gan_core.config import PRESETS, SPECS
from tests.apptest import APP, open_page
from tests.apptest import plotly_array as _arr
from ui.i18n import LANG_LABELS, LANGS, t


def _open_lab(lang="en", query=None) -> AppTest:
    return open_page("lab", lang, query, timeout=180)


def _texts(at) -> str:
    parts = [str(x.value) for kind in ("markdown", "caption", "info", "success", "warning", "error")
             for x in getattr(at, kind)]
    return "\n".join(parts)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_entry_shows_language_switch_and_navigation(lang, clear_st_caches):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    radio = at.sidebar.radio[0]
    assert radio.value == lang and list(radio.options) == [LANG_LABELS[code] for code in LANGS]
    assert at.title[0].value == t("home.title", lang=lang)


def test_language_follows_the_browser_then_the_switch(clear_st_caches):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "ko"
    at.run()
    assert at.sidebar.radio[0].value == "ko"
    assert at.title[0].value == t("home.title", lang="ko")
    at.sidebar.radio[0].set_value("en").run()
    # (AppTest drops sidebar widgets from its tree on reruns under st.navigation; the page shows
    # the switch took effect)
    assert not at.exception
    assert at.title[0].value == t("home.title", lang="en")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_tiny_run_end_to_end(lang, fresh_pool, clear_st_caches):
    at = _open_lab(lang)
    assert at.title[0].value == t("lab.title", lang=lang)
    assert t("lab.press_train", lang=lang) in _texts(at)
    at.selectbox(key="lab_preset").set_value("tiny").run()
    at.number_input(key="lab_steps").set_value(8)
    at.slider(key="lab_snapshots").set_value(3)
    at.run()
    train = [b for b in at.button if b.label == t("lab.train", lang=lang)][0]
    train.click().run()
    assert not at.exception, at.exception
    cfg = PRESETS["tiny"].replace(steps=8, snapshots=3)
    job = fresh_pool.peek(cfg)
    assert job is not None and fresh_pool.trainings_started == 1
    fresh_pool.wait(job, timeout=120)
    at.run()
    assert not at.exception, at.exception
    # samples, loss figure with one point per step, D(x)/D(G(z)) figure, downloads, share link
    assert len(at.image) == 3  # the snapshot's samples; the latent explorer's strip and sweep
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    loss = charts[0]
    assert len(loss["data"]) == 4  # D and G: the raw curve (faint) and the smoothed one
    for trace in loss["data"][:2]:
        xs, ys = _arr(trace["x"]), _arr(trace["y"])
        assert len(xs) == 8 and np.isfinite(ys.astype(float)).all()
    loss_d = _arr(loss["data"][0]["y"]).astype(float)
    np.testing.assert_allclose(loss_d, job.result.history["loss_d"], rtol=1e-6)
    dprob = charts[1]
    assert all(0 <= v <= 1 for tr in dprob["data"][:2] for v in _arr(tr["y"]).astype(float))
    labels = {d.proto.label for d in at.get("download_button")}  # the Code view's come when it is opened
    assert labels == {t(f"run.dl_{k}", lang=lang) for k in ("png", "gif", "weights", "config")}
    assert t("run.done", lang=lang, seconds=f"{job.result.seconds:.1f}") in _texts(at)
    link = [c.value for c in at.code if "preset=tiny" in c.value]
    assert link and "steps=8" in link[0] and "snapshots=3" in link[0]
    steps = [s for s in at.select_slider if s.label == t("run.timeline", lang=lang)][0]
    assert [int(o) for o in steps.options] == [s.step for s in job.result.snapshots]
    steps.set_value(steps.options[0]).run()  # replay the first snapshot
    assert not at.exception

    # pressing Train again with the same settings: no new training, shown at once
    [b for b in at.button if b.label == t("lab.train", lang=lang)][0].click().run()
    assert fresh_pool.trainings_started == 1 and not at.exception


def test_shared_link_reopens_the_same_settings(fresh_pool, clear_st_caches):
    at = _open_lab("en", {"preset": "tiny", "steps": "12", "lr_g": "0.0005", "k": "3"})
    assert at.selectbox(key="lab_preset").value == "tiny"
    assert at.number_input(key="lab_steps").value == 12
    assert at.slider(key="lab_k").value == 3
    assert at.number_input(key="lab_lr_g").value == pytest.approx(5e-4)
    assert not at.warning  # a clean link gives no message


def _shown(value: str) -> str:
    """A link's value as the page shows it: in a code span, cut to 40 characters."""
    return f"`{value}`" if len(value) <= 40 else f"`{value[:39]}…`"


def _range(key: str) -> str:
    spec = SPECS[key]
    kind = t("params.integer", lang="en") if spec.kind is int else t("params.number", lang="en")
    return t("params.range", lang="en", kind=kind, lo=f"{spec.lo:g}", hi=f"{spec.hi:g}")


@pytest.mark.parametrize("query", [
    {"lr_g": "5"},  # clamped to the top of its range
    {"k": "abc"},  # refused, preset value kept
    {"preset": "<script>"},
    {"hack": "1"},
    {"steps": "9" * 500},  # the value is shown cut short, not echoed whole
])
def test_bad_link_values_give_a_message_and_a_working_page(query, fresh_pool, clear_st_caches):
    at = _open_lab("en", query)
    (key, value), = query.items()
    if key == "preset":
        expected = t("params.unknown_preset", lang="en", value=_shown(value), options=", ".join(PRESETS))
    elif key not in SPECS:
        expected = t("params.unknown_key", lang="en", key=_shown(key))
    else:
        expected = t("params.bad_value", lang="en", key=key, value=_shown(value), allowed=_range(key))
    assert [w.value for w in at.warning] == [expected]
    if "lr_g" in query:
        assert at.number_input(key="lab_lr_g").value == pytest.approx(0.1)
    if "k" in query:
        assert at.slider(key="lab_k").value == PRESETS["quick"].k
    assert fresh_pool.trainings_started == 0


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_look_alike_groups_control(lang, fresh_pool, clear_st_caches):
    """quick opens with its 100 groups; a conditional run turns them off (labels already pick
    the digit) and the slider is disabled; a link asking for both is repaired, not refused."""
    at = _open_lab(lang)
    groups = at.slider(key="lab_clusters")
    assert groups.label == t("lab.clusters", lang=lang)
    assert groups.value == PRESETS["quick"].clusters == 100 and not groups.disabled
    at.checkbox(key="lab_conditional").check().run()
    assert at.slider(key="lab_clusters").value == 0 and at.slider(key="lab_clusters").disabled
    assert not at.exception and not at.error
    at = _open_lab(lang, {"conditional": "true", "clusters": "30"})
    assert not at.exception and not at.error
    assert at.slider(key="lab_clusters").value == 0 and at.checkbox(key="lab_conditional").value
    assert fresh_pool.trainings_started == 0


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_opening_recipe_names_what_it_adds_and_the_plain_gan_is_one_click_away(lang, fresh_pool,
                                                                                   clear_st_caches):
    at = _open_lab(lang)
    note = t("lab.selfcond_note", lang=lang)
    assert note in _texts(at) and "Liu" in note and "2020" in note
    at.button(key="lab_try_plain").click().run()
    assert not at.exception
    assert at.session_state["lab_preset"] == "quick-plain"
    assert at.slider(key="lab_clusters").value == 0
    assert note not in _texts(at)  # the plain GAN adds nothing to explain
    assert PRESETS["quick-plain"] == PRESETS["quick"].replace(clusters=0)
    assert fresh_pool.trainings_started == 0


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_unwritable_cache_shows_a_notice_and_runs_still_work(lang, tmp_path, monkeypatch, clear_st_caches):
    """A cache folder that can't be written: the Lab says runs stay in memory, and a run works."""
    from gan_core.pool import JobPool, reset_default_pool
    from gan_core.store import RunStore

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    pool = JobPool(RunStore(blocker / "runs"), workers=1)
    reset_default_pool(pool)
    try:
        at = _open_lab(lang, {"preset": "tiny", "steps": "5", "snapshots": "2"})
        assert t("run.cache_unwritable", lang=lang) in _texts(at)
        [b for b in at.button if b.label == t("lab.train", lang=lang)][0].click().run()
        job = pool.peek(PRESETS["tiny"].replace(steps=5, snapshots=2))
        pool.wait(job, timeout=120)
        at.run()
        assert not at.exception and job.result.ok
        assert len(at.image) == 3  # the snapshot's samples; the latent explorer's strip and sweep
    finally:
        pool.shutdown()
        reset_default_pool(None)


def test_live_view_while_training_and_frames_shared_between_sessions(fresh_pool, clear_st_caches,
                                                                      held_steps):
    """A run held after step 3: the page shows progress, the latest snapshot and 3-point curves;
    two sessions watching get the very same frame object (built once)."""

    from ui import run_view

    held_steps.after = 3
    gate, reached = held_steps.gate, held_steps.reached
    cfg = PRESETS["tiny"].replace(steps=10, snapshots=11)  # a snapshot after every step
    try:
        job = fresh_pool.submit(cfg)
        assert reached.wait(60)
        frames = []
        for lang in ("en", "en", "ko"):
            at = open_page("lab", lang, state={"lab_cfg": cfg.to_dict()})
            # the progress text up to its elapsed time, which the test cannot know
            before_elapsed = t("run.progress", lang=lang, step=3, total=10, elapsed="\0").split("\0")[0]
            assert at.get("progress")[0].proto.text.startswith(before_elapsed)
            assert len(at.image) == 1
            loss = json.loads(at.get("plotly_chart")[0].proto.spec)
            assert len(_arr(loss["data"][0]["x"])) == 3
            frames.append(run_view.live_frame(job, lang))
        assert frames[0] is frames[1]  # two English sessions: one build
        assert frames[2] is not frames[0] and frames[2].step == 3  # Korean labels: its own frame
    finally:
        gate.set()
    fresh_pool.wait(job, timeout=120)
    assert job.state == "done"
