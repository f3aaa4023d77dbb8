"""The runs shipped in pretrained/: the hyperparameter atlas and the mode-collapse defaults are
what the engine gives, match their sidecars, and open at once on an empty cache."""
import json

import numpy as np
import pytest
import torch

from gan_core import atlas, modes
from gan_core.config import PRESETS
from gan_core.files import PRETRAINED, sha256_file
from gan_core.pool import JobPool
from gan_core.shipped import Pack, shipped_packs
from gan_core.store import RunStore
from gan_core.train import HISTORY_COLUMNS, Trainer
from tests.apptest import open_page
from ui.i18n import t

ATLAS = PRETRAINED / atlas.ATLAS_FILE
MODES = PRETRAINED / atlas.MODES_FILE


@pytest.mark.parametrize("path", [ATLAS, MODES], ids=["atlas", "mode_defaults"])
def test_pack_matches_its_sidecar_and_holds_every_run(path):
    side = json.loads(path.with_suffix(".json").read_text())
    assert side["sha256"] == sha256_file(path) and side["bytes"] == path.stat().st_size
    pack = Pack(path)
    assert not pack.stale
    wanted = atlas.configs() if path == ATLAS else atlas.mode_default_configs()
    assert sorted(pack.keys()) == sorted(c.key for c in wanted) == sorted(side["runs"])
    assert side["command"].startswith("python -m gan_core ")


def test_atlas_grid_is_the_course_knobs_on_the_labs_opening_recipe():
    cfgs = atlas.configs()
    assert len(cfgs) == len(atlas.LRS) * len(atlas.KS) * len(atlas.NZS) >= 36
    assert PRESETS["quick"] in cfgs  # the Lab opens on an atlas point
    assert {(c.lr_g, c.lr_d) for c in cfgs} == {(lr, lr) for lr in atlas.LRS}
    others = {c.replace(lr_g=0.002, lr_d=0.002, k=1, nz=64) for c in cfgs}
    assert others == {PRESETS["quick"]}  # nothing but the three knobs varies
    lines = [atlas.query(c) for c in cfgs]
    assert lines[0] == "preset=quick&lr_g=0.0002&lr_d=0.0002&k=1&nz=16" and len(set(lines)) == len(cfgs)


ATLAS_THREADS = 2  # torch's threads when `atlas build` made the shipped runs (2 cores, the default)


def test_the_shipped_quick_run_is_exactly_what_training_gives():
    """Retrain the Lab's opening run for its first 120 steps (a sixth of it, to keep CI short):
    the same losses, D outputs, gradient norms and pictures as the shipped run, to the bit. With
    the thread count the atlas was built with: another count sums in another order."""
    torch.set_num_threads(ATLAS_THREADS)  # the autouse fixture puts the old count back
    shipped = Pack(ATLAS).get(PRESETS["quick"].key)
    steps, seen = 120, []
    fresh = Trainer(PRESETS["quick"]).run(
        callback=lambda kind, payload: seen.append(payload) if kind == "step" else None,
        should_stop=lambda: len(seen) >= steps)
    assert fresh.status == "cancelled" and len(fresh.history["step"]) == steps
    for c in set(HISTORY_COLUMNS) - {"wall"}:
        np.testing.assert_array_equal(shipped.history[c][:steps], fresh.history[c])
    early = [s for s in shipped.snapshots if s.step <= steps]
    assert len(early) >= 8 and [s.step for s in early] == [s.step for s in fresh.snapshots]
    for a, b in zip(early, fresh.snapshots, strict=True):
        np.testing.assert_array_equal(a.samples, b.samples)
    assert shipped.generator.keys() == fresh.generator.keys()  # the opening run keeps its weights
    assert 7.0 < shipped.metrics["score"] <= 10.0 and shipped.metrics["classes_covered"] == 10


def test_empty_cache_serves_every_shipped_run_without_training(tmp_path):
    pool = JobPool(RunStore(tmp_path, shipped=shipped_packs()), workers=1)
    try:
        for cfg in atlas.configs() + atlas.mode_default_configs():
            job = pool.submit(cfg, session="student")
            assert job.cached and job.state == "done" and job.result.ok, cfg
        assert pool.trainings_started == 0 and list(tmp_path.iterdir()) == []
    finally:
        pool.shutdown()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_first_visits_show_real_runs_at_once(lang, tmp_path, clear_st_caches):
    from gan_core.pool import reset_default_pool

    pool = JobPool(RunStore(tmp_path, shipped=shipped_packs()), workers=1)
    reset_default_pool(pool)
    try:
        lab = open_page("lab", lang)
        texts = " ".join(m.value for m in lab.success)
        assert t("run.shipped", lang=lang, seconds="")[:12] in texts
        assert len(lab.image) == 3  # samples, a latent walk and a coordinate sweep (weights kept)
        mc = open_page("mode_collapse", lang)
        shown = [c for c in mc.get("plotly_chart") if "mc_compare" in str(c.proto.id)]
        assert len(shown) == 1
        said = " ".join(m.value for m in mc.markdown)
        ring = len(modes.STUDIES["ring8"])
        assert said.count(t("mode_collapse.state_shipped", lang=lang)) == ring  # every ring preset
        mc.session_state["mc_tab"] = t("mode_collapse.tab_digits", lang=lang)  # open the digits tab
        mc.run()
        said = " ".join(m.value for m in mc.markdown)
        assert said.count(t("mode_collapse.state_shipped", lang=lang)) == ring + 1  # and quick
        # the digit presets by their names in the course, not the app's ids
        assert t("presets.seed-book", lang=lang) in said and "seed-book" not in said
        assert pool.trainings_started == 0
    finally:
        pool.shutdown()
        reset_default_pool(None)
