"""Data the student draws: the code in links, the modes of a drawing, training on it, the page."""
from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest
import torch

from gan_core import ENGINE_VERSION, drawing, losses, modes
from gan_core.config import LATE_FIELDS, PRESETS, ConfigError, apply_overrides, check, from_dict
from gan_core.data import sample_toy, toy_modes, toy_support
from gan_core.train import Trainer, train
from tests.apptest import open_page

THREE = [(4, 4), (5, 4), (4, 5), (16, 28), (28, 16), (29, 17)]  # blobs of 3, 1 and 2 cells


# ---- the code ------------------------------------------------------------------------------
def test_code_round_trips_and_stays_short():
    assert drawing.decode(drawing.encode(THREE)) == sorted(THREE)
    everything = [(i, j) for i in range(drawing.SIDE) for j in range(drawing.SIDE)]
    rng = np.random.default_rng(0)
    half = [c for c in everything if rng.random() < 0.5]  # the least compressible drawing
    assert len(drawing.encode(everything)) < 40
    assert len(drawing.encode(half)) <= 200
    assert drawing.decode(drawing.encode(half)) == sorted(half)


@pytest.mark.parametrize("text,reason", [("", "empty"), ("   ", "empty"), ("not a drawing!", "unreadable"),
                                         ("QUJD", "unreadable"), ("x" * 500, "too_long"),
                                         (drawing.encode([]), "empty")])
def test_bad_codes_raise_one_kind_of_error(text, reason):
    with pytest.raises(drawing.DrawingError) as err:
        drawing.decode(text)
    assert err.value.reason == reason


def test_a_zip_bomb_is_refused_without_inflating_it():
    import base64
    import zlib

    bomb = base64.urlsafe_b64encode(zlib.compress(b"\xff" * 10_000_000)).decode()
    with pytest.raises(drawing.DrawingError):
        drawing.decode(bomb[: drawing.MAX_CODE])
    big = base64.urlsafe_b64encode(zlib.compress(b"\xff" * 1000)).decode()  # more than one lattice
    with pytest.raises(drawing.DrawingError):
        drawing.decode(big)


def test_touching_cells_make_one_mode_diagonals_included():
    assert drawing.groups([(0, 0), (1, 1), (3, 3), (3, 4), (10, 0)]) == [0, 0, 1, 1, 2]
    assert drawing.groups(THREE) == [0, 0, 0, 1, 2, 2]


def test_cells_and_plane_coordinates_agree():
    assert drawing.cell_xy(0, 0) == (-4.0, -4.0)
    assert drawing.cell_xy(32, 16) == (4.0, 0.0)
    assert drawing.nearest_cell(0.1, -3.9) == (16, 0)
    assert drawing.nearest_cell(99, -99) == (32, 0)  # clamped to the lattice


# ---- config --------------------------------------------------------------------------------
def test_a_drawing_goes_with_the_drawn_dataset_only():
    code = drawing.encode(THREE)
    cfg = PRESETS["drawn-r1"].replace(drawn=code)
    assert check(cfg).toy_set == "drawn:" + code
    with pytest.raises(ConfigError):
        check(PRESETS["ring8"].replace(drawn=code))
    with pytest.raises(ConfigError):
        check(PRESETS["drawn-r1"].replace(drawn=""))
    with pytest.raises(ConfigError) as err:
        apply_overrides(PRESETS["drawn-r1"], {"drawn": "garbage"})
    assert err.value.key == "drawn"
    # a link that names another set drops the drawing; one with nothing drawn opens the ring
    assert apply_overrides(PRESETS["drawn-r1"], {"dataset": "grid25"}, clamp=True)[0].drawn == ""
    assert apply_overrides(PRESETS["drawn-r1"], {"drawn": ""}, clamp=True)[0].dataset == "ring8"


def test_settings_added_later_leave_earlier_keys_alone():
    cfg = PRESETS["quick"]
    old = {k: v for k, v in cfg.to_dict().items() if k not in LATE_FIELDS}  # the config before them
    expected = hashlib.sha256(f"{ENGINE_VERSION}|{json.dumps(old, sort_keys=True)}".encode()).hexdigest()[:20]
    assert cfg.key == expected
    assert cfg.replace(r1=1.0).key != cfg.key and cfg.replace(lr_schedule="cosine").key != cfg.key
    assert from_dict(old) == cfg  # a config saved before them still reads


# ---- modes of a drawing --------------------------------------------------------------------
def test_modes_of_a_drawing_are_its_blobs():
    name = drawing.set_name(drawing.encode(THREE))
    centres = toy_modes(name)
    np.testing.assert_allclose(centres[0], np.mean([drawing.cell_xy(*c) for c in THREE[:3]], 0))
    np.testing.assert_allclose(centres[1], drawing.cell_xy(16, 28))
    points, group = toy_support(name)
    assert len(points) == 6 and group.tolist() == [0, 0, 0, 1, 2, 2]
    # points on cells of two blobs: 2 of 3 modes; one point far away is low quality
    pts = np.array([drawing.cell_xy(5, 4), drawing.cell_xy(4, 5), drawing.cell_xy(29, 17), (0.0, 0.0)])
    s = modes.toy_stats(name, pts)
    assert (s.n_modes, s.captured, s.counts.tolist(), s.hq_share) == (3, 2, [2, 0, 1], 0.75)
    real = sample_toy(name, 3000, np.random.default_rng(0))
    s = modes.toy_stats(name, real)
    assert s.captured == 3 and s.hq_share > 0.98  # the data itself: every mode, 3 sigma


# ---- the remedies' two new settings --------------------------------------------------------
def test_r1_penalty_of_a_linear_d_is_half_gamma_times_its_slope_squared():
    w = torch.tensor([3.0, -4.0])
    real = torch.randn(7, 2).requires_grad_(True)
    assert losses.r1_penalty(real @ w, real, weight=2.0).item() == pytest.approx(0.5 * 2.0 * 25.0)


def test_cosine_schedule_takes_both_lrs_to_zero_along_half_a_cosine():
    cfg = PRESETS["ring8"].replace(steps=8, snapshots=2, lr_schedule="cosine", lr_g=1e-3, lr_d=2e-3)
    tr = Trainer(cfg)
    for i in range(8):
        tr.step()
        f = 0.5 * (1 + math.cos(math.pi * i / 8))
        assert tr.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3 * f)
        assert tr.opt_d.param_groups[0]["lr"] == pytest.approx(2e-3 * f)


# ---- training on a drawing -----------------------------------------------------------------
@pytest.mark.slow
def test_three_drawn_blobs_train_and_all_three_modes_are_found():
    code = drawing.encode([(6, 6), (7, 6), (6, 7), (7, 7), (26, 8), (27, 8), (26, 9), (27, 9),
                           (12, 26), (13, 26), (12, 27), (13, 27)])
    cfg = PRESETS["drawn-r1"].replace(drawn=code)
    result = train(cfg)
    assert result.status == "ok"
    s = modes.toy_stats(cfg.toy_set, result.final_samples())
    assert s.n_modes == 3 and s.captured == 3 and s.hq_share > 0.8


# ---- the page ------------------------------------------------------------------------------
def test_a_link_with_a_drawing_opens_the_board_on_it():
    code = drawing.encode(THREE)
    at = open_page("mode_collapse", "en", query={"drawn": code})
    assert at.session_state["mc_dataset"] == "drawn"
    assert at.session_state["mc_drawing"] == code
    assert any("6 filled cells making 3 modes" in c.value for c in at.caption)
    assert code in str(at.query_params["drawn"])  # the link still carries it


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_broken_drawing_link_gets_one_sentence_and_the_example(lang):
    from gan_core.config import EXAMPLE_DRAWING
    from ui.i18n import t

    at = open_page("mode_collapse", lang, query={"drawn": "%%%not-a-drawing"})
    assert [w.value for w in at.warning] == [t("mode_collapse.draw_bad_link", lang=lang)]
    assert at.session_state["mc_drawing"] == EXAMPLE_DRAWING


def test_clearing_the_board_says_to_draw_and_trains_nothing():
    from ui.i18n import t

    at = open_page("mode_collapse", "en", query={"drawn": drawing.encode(THREE)})
    at.button(key="mc_draw_clear").click().run()
    assert not at.exception
    assert t("mode_collapse.draw_nothing", lang="en") in [i.value for i in at.info]
    assert "drawn" not in at.query_params
    assert not any(b.key == "mc_run" for b in at.button)


def test_a_stroke_fills_or_erases_the_cells_under_it():
    from ui.draw_view import apply_stroke

    code = drawing.encode([(0, 0)])
    box = [{"x": x, "y": y} for x, y in (drawing.cell_xy(10, 10), drawing.cell_xy(11, 10))]
    added = apply_stroke(code, box + [{"bad": 1}, "junk"], erase=False)
    assert drawing.decode(added) == [(0, 0), (10, 10), (11, 10)]
    assert drawing.decode(apply_stroke(added, box, erase=True)) == [(0, 0)]
    assert apply_stroke(code, [{"x": -4.0, "y": -4.0}], erase=True) == ""
