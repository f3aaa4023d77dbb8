"""Reading loss curves: the numbers each case's sentences use, and the page on shipped runs."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from gan_core import curves
from gan_core.shipped import shipped_packs
from tests.apptest import open_page
from ui.i18n import LANGS, t


def test_reading_is_the_mean_of_the_last_and_first_fifth():
    n = 10
    hist = {"step": np.arange(1, n + 1), "loss_d": np.arange(n, dtype=float), "loss_g": np.full(n, 2.0),
            "d_real": np.linspace(0, 0.9, n), "d_fake": np.zeros(n)}
    r = curves.reading(SimpleNamespace(history=hist))
    assert r["loss_d"] == pytest.approx((8 + 9) / 2) and r["loss_d_start"] == pytest.approx(0.5)
    assert r["loss_g"] == 2.0 and r["d_real"] == pytest.approx((0.8 + 0.9) / 2) and r["steps"] == 10
    assert curves.BALANCED_D_LOSS == pytest.approx(-2 * math.log(0.5))  # D outputs 1/2 on both
    with pytest.raises(ValueError):
        curves.reading(SimpleNamespace(history={k: np.zeros(0) for k in hist}))


def test_every_case_ships_and_tells_its_story():
    packs = shipped_packs()
    found = {}
    for c in curves.CASES:
        pack = next(p for p in packs if c.config.key in p)  # opens at once on any server
        found[c.name] = (curves.reading(pack.get(c.config.key)), pack.get(c.config.key).metrics)
    healthy, d_wins = found["healthy"][0], found["d_wins"][0]
    assert abs(healthy["loss_d"] - curves.BALANCED_D_LOSS) < 0.3 and 0.2 < healthy["d_fake"] < 0.5
    assert d_wins["d_fake"] < 0.1 and d_wins["loss_g"] > 2 * healthy["loss_g"]
    assert found["d_wins"][1]["score"] < found["healthy"][1]["score"] - 3
    flat, metrics = found["no_signal"]
    assert flat["d_fake"] < 0.01 and abs(flat["loss_g"]) < 0.01 and metrics["modes_captured"] <= 1
    hidden, metrics = found["hidden_collapse"]
    assert abs(hidden["loss_d"] - curves.BALANCED_D_LOSS) < 0.3  # looks balanced ...
    assert metrics["modes_captured"] <= metrics["modes"] * 0.6  # ... with modes missing


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_shows_four_shipped_runs_with_their_numbers(lang, tmp_path, clear_st_caches):
    from gan_core.pool import JobPool, reset_default_pool
    from gan_core.store import RunStore

    pool = JobPool(RunStore(tmp_path, shipped=shipped_packs()), workers=1)
    reset_default_pool(pool)
    try:
        at = open_page("curves", lang)
        assert len(at.get("plotly_chart")) == 2 * len(curves.CASES) and len(at.image) == len(curves.CASES)
        said = " ".join(m.value for m in at.markdown)
        for c in curves.CASES:
            assert t(f"curves.{c.name}_title", lang=lang) in [h.value for h in at.subheader]
            num = curves.reading(pool.peek(c.config).result)
            assert f"**{num['d_fake']:.2f}**" in said or f"= {num['d_fake']:.2f}" in said
        assert t("curves.outcome_modes", lang=lang, captured=13, modes=25) in said
        assert pool.trainings_started == 0
    finally:
        pool.shutdown()
        reset_default_pool(None)


def test_a_missing_run_offers_training_instead_of_an_empty_page(fresh_pool, clear_st_caches):
    at = open_page("curves", "en")  # a pool that knows no shipped runs
    assert [i.value for i in at.info].count(t("curves.not_here", lang="en")) == len(curves.CASES)
    at.button(key="curves_train_no_signal").click().run()
    assert not at.exception and fresh_pool.trainings_started == 1
