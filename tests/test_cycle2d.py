"""The mini-CycleGAN on 2D points: each loss term by hand, switches, the round trip, the run
cache, the train-cycle CLI and the page's 2D tab."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gan_core import cycle_runs
from gan_core.config import ConfigError
from gan_core.cycle_config import CYCLE_PRESETS, apply_overrides
from gan_core.cycle_nets import Nets, build_nets
from gan_core.cycle_train import (
    HISTORY_COLUMNS,
    CycleRun,
    discriminator_loss,
    generator_loss,
    loss_terms,
    round_trip,
    train_cycle,
)
from tests.apptest import open_page
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent
TINY = CYCLE_PRESETS["cycle-2d"].replace(steps=30, batch=32, hidden=16)


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, v):
        return self.fn(v)


def hand_nets() -> Nets:
    """G(v) = v + 1, F(v) = v - 0.5, D_X(v) = v0 + v1, D_Y(v) = v0 / 2."""
    return Nets(Fn(lambda v: v + 1), Fn(lambda v: v - 0.5), Fn(lambda v: v.sum(1, keepdim=True)),
                Fn(lambda v: v[:, :1] / 2))


X = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
Y = torch.tensor([[1.0, 1.0], [-1.0, 0.0]])


def test_each_loss_term_on_a_hand_made_batch():
    terms = loss_terms(hand_nets(), X, Y)
    # G(x) = (1,1), (2,3); D_Y scores 0.5, 1.0: ((0.5-1)^2 + 0) / 2
    assert float(terms["adv_g"]) == pytest.approx(0.125)
    # F(y) = (0.5,0.5), (-1.5,-0.5); D_X scores 1, -2: (0 + 9) / 2
    assert float(terms["adv_f"]) == pytest.approx(4.5)
    # F(G(x)) = x + 0.5 and G(F(y)) = y + 0.5: 0.5 + 0.5
    assert float(terms["cycle"]) == pytest.approx(1.0)
    # F(x) = x - 0.5 and G(y) = y + 1: 0.5 + 1
    assert float(terms["identity"]) == pytest.approx(1.5)
    cfg = TINY.replace(w_adv_g=2.0, w_adv_f=0.0, lambda_cycle=3.0, lambda_id=0.5)
    assert float(generator_loss(cfg, terms)) == pytest.approx(2 * 0.125 + 3 * 1.0 + 0.5 * 1.5)
    # D_Y on real y scores 0.5, -0.5 and on G(x) 0.5, 1.0: 0.5 * ((0.25 + 2.25) / 2 + (0.25 + 1) / 2)
    d_y = hand_nets().d_y
    assert float(discriminator_loss(d_y, Y, terms["fake_y"])) == pytest.approx(0.9375)


def test_all_generator_losses_off_leaves_g_and_f_untouched():
    cfg = TINY.replace(w_adv_g=0.0, w_adv_f=0.0, lambda_cycle=0.0, lambda_id=0.0, steps=5)
    start = build_nets(cfg)
    run = train_cycle(cfg)
    assert all(torch.equal(v, start.g.state_dict()[k]) for k, v in run.g_state.items())
    assert all(torch.equal(v, start.f.state_dict()[k]) for k, v in run.f_state.items())
    assert run.history["d_x"][-1] != run.history["d_x"][0]  # the discriminators still train


def test_round_trip_is_a_distance_in_data_units(monkeypatch):
    """G shifts by (1, 0) and F is the identity: every round trip is exactly 1 long."""
    run = CycleRun(TINY, {}, {}, {})
    monkeypatch.setattr(CycleRun, "generators", lambda self: (Fn(lambda v: v + torch.tensor([1.0, 0.0])),
                                                             Fn(lambda v: v)))
    assert round_trip(run) == {"round_trip_x": 1.0, "round_trip_y": 1.0}


def test_a_short_run_logs_every_loss_and_is_deterministic():
    a, b = train_cycle(TINY, rows=10), train_cycle(TINY, rows=10)
    assert tuple(a.history) == HISTORY_COLUMNS
    assert list(a.history["step"]) == [3 * i for i in range(1, 11)]
    assert np.all(np.diff(a.history["seconds"]) >= 0)
    assert all(np.isfinite(a.history[c]).all() and (a.history[c] >= 0).all() for c in HISTORY_COLUMNS[2:])
    assert a.metrics == b.metrics and set(a.metrics) == {"round_trip_x", "round_trip_y"}
    assert a.views["x"].shape == a.views["f_g_x"].shape == (120, 2)


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="lambda_cycle"):
        apply_overrides(TINY, {"lambda_cycle": "-1"})
    with pytest.raises(ConfigError, match="domain_y"):
        apply_overrides(TINY, {"domain_y": "typeset"})  # points on one side, digits on the other
    with pytest.raises(ConfigError, match="domain_y"):
        apply_overrides(TINY, {"domain_y": "ring"})
    with pytest.raises(ConfigError, match="known setting"):
        apply_overrides(TINY, {"lambda": "1"})
    assert apply_overrides(TINY, {"lambda_id": "0.5"}).lambda_id == 0.5


def test_runs_are_cached_in_memory_and_on_disk(tmp_cache):
    cycle_runs.forget()
    run = cycle_runs.get_or_train(TINY)
    path = tmp_cache / "cycle_runs" / f"{TINY.key}.pt"
    assert path.is_file() and cycle_runs.get_or_train(TINY) is run
    cycle_runs.forget()
    again = cycle_runs.cached(TINY)
    assert again is not None and again.metrics == run.metrics
    cycle_runs.forget()
    path.write_bytes(b"damaged")
    assert cycle_runs.cached(TINY) is None and not path.exists()


def test_shipped_default_pair_shows_what_the_cycle_loss_buys():
    cycle_runs.forget()
    with_c, without = (cycle_runs.shipped_runs()[c.key] for c in cycle_runs.default_pair())
    trip = lambda r: (r.metrics["round_trip_x"] + r.metrics["round_trip_y"]) / 2  # noqa: E731
    assert with_c.config == CYCLE_PRESETS["cycle-2d"] and without.config.lambda_cycle == 0
    assert trip(with_c) <= 0.25 * trip(without)


def test_shipped_runs_carry_no_weights_so_exports_train_them(tmp_cache):
    cycle_runs.forget()
    cfg = cycle_runs.default_pair()[0]
    shipped = cycle_runs.cached(cfg)
    assert shipped is not None and shipped.g_state == {} and len(shipped.views["x"]) == 120
    assert cycle_runs.cached(cfg, need_weights=True) is None  # the CLI's export trains instead


# ---- the CLI ----------------------------------------------------------------------------------
def cli(*args: str, env_cache: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "GAN_CLASSROOM_CACHE": str(env_cache)}
    return subprocess.run([sys.executable, "-m", "gan_core", "train-cycle", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_writes_config_history_and_metrics(tmp_path):
    out = tmp_path / "out"
    res = cli("--preset", "cycle-2d", "--set", "steps=40", "--set", "hidden=16", "--out", str(out),
              env_cache=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads((out / "config.json").read_text())["steps"] == 40
    with open(out / "history.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == HISTORY_COLUMNS and rows[-1][0] == "40"
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == {"round_trip_x", "round_trip_y"} and all(v > 0 for v in metrics.values())
    weights = torch.load(out / "generators.pt", weights_only=True)
    assert set(weights) == {"g", "f"}


@pytest.mark.parametrize("args", [("--set", "lambda_cycle=x"), ("--set", "nope=1"), ("--set", "steps")])
def test_cli_bad_setting_is_one_line_and_exit_2(tmp_path, args):
    res = cli("--preset", "cycle-2d", *args, "--out", str(tmp_path / "o"), env_cache=tmp_path)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and res.stderr.startswith("error: ")
    assert not (tmp_path / "o").exists()


def test_cli_unknown_preset(tmp_path):
    res = cli("--preset", "horse", "--out", str(tmp_path / "o"), env_cache=tmp_path)
    assert res.returncode == 2 and "cycle-2d" in res.stderr


# ---- the page ---------------------------------------------------------------------------------
def points_tab(lang: str) -> dict:
    return {"cg_tab": t("cycle2d.tab", lang=lang)}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_opens_on_the_shipped_pair_with_the_measured_finding(clear_st_caches, lang):
    cycle_runs.forget()
    at = open_page("cyclegan", lang, state=points_tab(lang))
    with_c, without = (cycle_runs.shipped_runs()[c.key] for c in cycle_runs.default_pair())
    trip = lambda r: (r.metrics["round_trip_x"] + r.metrics["round_trip_y"]) / 2  # noqa: E731
    expected = t("cycle2d.finding", lang=lang, with_c=f"{trip(with_c):.2f}", without=f"{trip(without):.2f}",
                 ratio=f"{trip(without) / trip(with_c):.0f}", lam="5")
    assert [i.value for i in at.info] == [expected] and not at.error
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 4  # arrows with and without the cycle loss, and both runs' curves
    names = {tr.get("name") for tr in charts[0]["data"]}
    assert {"x → G(x)", "G(x) → F(G(x))", "F(G(x))"} <= names
    curves = {tr["name"] for tr in charts[2]["data"]}
    assert t("cycle2d.loss_cycle", lang=lang) in curves and len(curves) == 6


def test_page_trains_new_settings_once_when_train_is_pressed(clear_st_caches, tmp_cache):
    cycle_runs.forget()
    at = open_page("cyclegan", "en", state=points_tab("en"))
    at.number_input(key="c2_lambda_id").set_value(1.0)
    at.slider(key="c2_steps").set_value(100)
    assert not list((tmp_cache / "cycle_runs").glob("*.pt"))  # nothing trains before Train
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert len(list((tmp_cache / "cycle_runs").glob("*.pt"))) == 2  # the run and its twin
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert titles[0].startswith(t("cycle2d.title_with", lang="en", lam="5", trip="")[:20])
    at.run()  # a plain rerun trains nothing new
    assert len(list((tmp_cache / "cycle_runs").glob("*.pt"))) == 2


def test_page_same_set_on_both_sides_is_one_sentence(clear_st_caches, tmp_cache):
    at = open_page("cyclegan", "ko", state=points_tab("ko"))
    at.selectbox(key="c2_dy").set_value("ring")
    at.button[0].click().run()
    assert not at.exception and [e.value for e in at.error] == [t("cycle2d.err_same_set", lang="ko")]
    assert not list((tmp_cache / "cycle_runs").glob("*.pt"))
    assert len(at.get("plotly_chart")) == 4  # the runs on show stay
