"""The Compare page: runs that differ in one knob side by side, one timeline, a link that
round-trips, bad links explained; in Korean and English. Runs are tiny ones trained here, so
only the last test needs the shipped atlas pack."""
import json

import numpy as np
import pytest

from gan_core import atlas
from gan_core.config import PRESETS
from gan_core.files import PRETRAINED
from tests.apptest import open_page
from tests.apptest import plotly_array as _arr
from ui import compare_state as cs
from ui.figures import smooth
from ui.i18n import t

BASE = PRESETS["tiny"].replace(steps=6, snapshots=3)
LRS = (0.0001, 0.0002, 0.0005)
QUERY = {"knob": "lr", "values": "0.0001,0.0002,0.0005", "preset": "tiny", "steps": "6", "snapshots": "3"}


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """Three finished tiny runs that differ only in the learning rate of both networks."""
    from gan_core.pool import JobPool, run_sync
    from gan_core.store import RunStore

    pool = JobPool(RunStore(tmp_path_factory.mktemp("cmp") / "runs"), workers=1)
    cfgs = [BASE.replace(lr_g=lr, lr_d=lr) for lr in LRS]
    results = [run_sync(cfg, pool) for cfg in cfgs]
    yield pool, results
    pool.shutdown()


@pytest.fixture
def trained(three_runs, clear_st_caches):
    from gan_core.pool import reset_default_pool

    reset_default_pool(three_runs[0])
    yield three_runs[1]
    reset_default_pool(None)


def _loss_chart(at, lang) -> dict:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    losses = [c for c in charts if c["layout"]["title"]["text"] == t("figures.losses", lang=lang)]
    assert len(losses) == 1, [c["layout"]["title"]["text"] for c in charts]
    return losses[0]


def _captions(at) -> list[str]:
    return [cap for img in at.image for cap in img.captions]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_three_runs_side_by_side_on_one_timeline(lang, trained):
    at = open_page("compare", lang, QUERY)
    assert at.title[0].value == t("compare.title", lang=lang)
    assert not at.warning and not at.error
    assert len(at.image) == 3
    assert _captions(at) == [t("compare.at_step", lang=lang, step=6)] * 3
    # one overlay loss figure: one D-loss trace per run, each the run's smoothed D loss
    loss = _loss_chart(at, lang)
    d_name = t("figures.loss_d", lang=lang)
    d_traces = [tr for tr in loss["data"] if tr["name"].endswith(d_name)]
    assert [tr["name"] for tr in d_traces] == [f"lr = {lr:g} · {d_name}" for lr in LRS]
    assert len({tr["line"]["color"] for tr in d_traces}) == 3
    for tr, r in zip(d_traces, trained, strict=True):
        np.testing.assert_allclose(_arr(tr["y"]).astype(float), smooth(r.history["loss_d"]), rtol=1e-6)
    # the quality numbers of each run, as the Lab shows them
    scores = [m.value for m in at.metric if m.label == t("quality.score", lang=lang)]
    assert scores == [f"{r.metrics['score']:.2f}" for r in trained]
    covered = [m.value for m in at.metric if m.label == t("quality.classes", lang=lang)]
    assert covered == [f"{r.metrics['classes_covered']} / 10" for r in trained]
    # the one slider moves every run and the marker on both figures
    slider = at.select_slider(key="cmp_step")
    assert list(slider.options) == ["0", "3", "6"] and slider.value == 6
    slider.set_value(3).run()
    assert not at.exception, at.exception
    assert _captions(at) == [t("compare.at_step", lang=lang, step=3)] * 3
    shapes = [s for c in at.get("plotly_chart") for s in json.loads(c.proto.spec)["layout"].get("shapes", [])]
    assert [s["x0"] for s in shapes if s.get("x0") == s.get("x1")] == [3, 3]


def test_runs_with_other_snapshots_show_their_last_one_before_the_step():
    class R:
        def __init__(self, steps):
            self.snapshots = [type("S", (), {"step": s}) for s in steps]

    run = R([0, 2, 5, 9])
    assert [cs.snapshot_at(run, s) for s in (0, 1, 2, 4, 5, 8, 9, 100)] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert cs.snapshot_at(run, None) == 3


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_link_round_trips(lang, fresh_pool, clear_st_caches):
    at = open_page("compare", lang, QUERY)
    assert not at.warning
    assert dict(at.query_params) == QUERY
    assert len(at.image) == 0 and fresh_pool.trainings_started == 0  # nothing trained by looking
    assert [c.value for c in at.caption].count(t("compare.missing", lang=lang)) == 3
    at.radio(key="cmp_knob").set_value("nz").run()
    assert not at.exception, at.exception
    link = dict(at.query_params)
    assert link == {**QUERY, "knob": "nz", "values": "16,64,128"}
    again = open_page("compare", lang, {**link, "present": "0"})  # presenter mode's own parameter
    assert not again.warning
    state = again.session_state["cmp"]
    assert state["knob"] == "nz" and state["values"] == [16, 64, 128]
    runs = [cs.run_config(cs.TrainConfig(**state["base"]), "nz", v) for v in state["values"]]
    assert runs == [BASE.replace(nz=v) for v in (16, 64, 128)]
    assert dict(again.query_params) == {**link, "present": "0"}


def test_link_round_trips_any_base_and_exact_values():
    base = PRESETS["quick"].replace(lr_g=0.0003 + 1e-19, lr_d=0.0007, batch=96, seed=7)
    state = {"knob": "k", "values": [1, 4, 7], "base": base.to_dict()}
    query = cs.to_query(state)
    assert query["preset"] == "quick" and query["knob"] == "k" and query["values"] == "1,4,7"
    back, messages = cs.from_query({k: str(v) for k, v in query.items()})
    assert messages == []
    assert [cs.run_config(cs.TrainConfig(**back["base"]), "k", v) for v in back["values"]] == \
        [base.replace(k=v) for v in (1, 4, 7)]
    # the quick recipe itself writes no base settings at all
    assert cs.to_query(cs.default_state()) == {"knob": "lr", "values": "0.0002,0.0005,0.002,0.005"}


BAD_LINKS = [
    {"knob": "banana", "values": "1,2"},
    {"knob": "lr", "values": "abc,1e999,-5,nan"},
    {"knob": "k", "values": "1,2,3,4,5,6,7,8"},
    {"knob": "nz", "values": "64", "steps": "-5", "batch": "x" * 5000, "zzz": "1", "preset": "nope"},
    {"knob": "lr", "values": ",".join(["0.001"] * 10000)},
]


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("query", BAD_LINKS, ids=range(len(BAD_LINKS)))
def test_bad_links_get_one_message_and_a_sane_view(query, lang, fresh_pool, clear_st_caches):
    at = open_page("compare", lang, query)
    state = at.session_state["cmp"]
    assert 1 <= len(state["values"]) <= cs.MAX_RUNS
    base = cs.TrainConfig(**state["base"])
    if query is BAD_LINKS[-1]:
        assert not at.warning and state["values"] == [0.001]  # repeats are one run
        return
    assert len(at.warning) == 1
    if query is BAD_LINKS[0]:
        assert state["knob"] == "lr" and state["values"] == list(atlas.LRS)
        assert t("compare.bad_knob", lang=lang, value="`banana`", options="lr, k, nz") in at.warning[0].value
    elif query is BAD_LINKS[1]:
        assert state["values"] == list(atlas.LRS)
    elif query is BAD_LINKS[2]:
        assert state["values"] == [1, 2, 3, 4, 5]
        assert t("compare.too_many", lang=lang, n=5) in at.warning[0].value
    else:
        assert base == PRESETS["quick"] and state["values"] == [64]  # absurd values refused, not clamped
        assert "x" * 100 not in at.warning[0].value
        assert t("compare.more_problems", lang=lang, n=1) in at.warning[0].value
    assert fresh_pool.trainings_started == 0


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_train_the_missing_ones_and_the_class_limit(lang, fresh_pool, clear_st_caches):
    fresh_pool.set_limits(max_steps=5)
    at = open_page("compare", lang, QUERY)
    train = at.button(key="cmp_train")
    assert train.label == t("compare.train_missing", lang=lang, n=3)
    train.click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [t("compare.limit_steps", lang=lang, limit=5)]
    assert fresh_pool.trainings_started == 0
    fresh_pool.set_limits(max_steps=100, max_queued=2)
    at.button(key="cmp_train").click().run()
    assert [e.value for e in at.error] == [t("compare.limit_queued", lang=lang, limit=2)]
    assert fresh_pool.trainings_started == 2
    jobs = [fresh_pool.peek(BASE.replace(lr_g=lr, lr_d=lr)) for lr in LRS]
    assert jobs[2] is None and all(j.owners == {at.session_state["session_id"]} for j in jobs[:2])
    for job in jobs[:2]:
        fresh_pool.wait(job, timeout=300)
    at.run()
    assert not at.exception, at.exception
    assert len(at.image) == 2
    assert at.button(key="cmp_train").label == t("compare.train_missing", lang=lang, n=1)


def test_adding_the_lab_run_and_a_lab_link(fresh_pool, clear_st_caches):
    lab = BASE.replace(lr_g=0.001, lr_d=0.001, seed=3)
    at = open_page("compare", "en", QUERY, state={"lab_cfg": lab.to_dict()})
    at.button(key="cmp_add_lab").click().run()
    assert not at.exception, at.exception
    state = at.session_state["cmp"]
    assert state["values"] == [0.0001, 0.0002, 0.0005, 0.001]
    assert cs.TrainConfig(**state["base"]) == lab  # its other settings (seed 3) are now everyone's
    assert [i.value for i in at.info] == [t("compare.base_changed", lang="en")]
    assert at.query_params["seed"] == "3"
    at.text_input(key="cmp_link").input("https://x.org/lab?preset=tiny&lr_g=0.002&lr_d=0.001").run()
    at.button(key="cmp_add_link").click().run()
    assert [e.value for e in at.error] == [t("compare.lr_differ", lang="en", lr_g="0.002", lr_d="0.001")]
    at.text_input(key="cmp_link").input("?preset=tiny&steps=6&snapshots=3&seed=3&lr_g=0.003&lr_d=0.003").run()
    at.button(key="cmp_add_link").click().run()
    assert at.session_state["cmp"]["values"] == [0.0001, 0.0002, 0.0005, 0.001, 0.003]
    assert not at.error and not at.info
    at.text_input(key="cmp_link").input("?preset=tiny&lr_g=0.004&lr_d=0.004").run()
    at.button(key="cmp_add_link").click().run()
    assert [e.value for e in at.error] == [t("compare.too_many", lang="en", n=5)]
    assert fresh_pool.trainings_started == 0


@pytest.mark.skipif(not (PRETRAINED / atlas.ATLAS_FILE).is_file(),
                    reason="pretrained/atlas.npz is absent (made by `python -m gan_core atlas build`)")
def test_default_view_shows_the_shipped_atlas_without_training(tmp_path, clear_st_caches):
    from gan_core.pool import JobPool, reset_default_pool
    from gan_core.shipped import shipped_packs
    from gan_core.store import RunStore

    pool = JobPool(RunStore(tmp_path / "runs", shipped=shipped_packs()), workers=1)
    reset_default_pool(pool)
    try:
        at = open_page("compare", "en")
        assert not at.warning
        assert len(at.image) == 4 and pool.trainings_started == 0
        assert at.session_state["cmp"] == cs.default_state()
        loss = _loss_chart(at, "en")
        assert sum(tr["name"].endswith(t("figures.loss_d", lang="en")) for tr in loss["data"]) == 4
        assert not [b for b in at.button if b.key == "cmp_train"]
    finally:
        pool.shutdown()
        reset_default_pool(None)
