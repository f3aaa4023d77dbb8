"""Progressive growing and the style-based generator: the fade-in by hand, style mixing, the
training phases, the shipped file against its sidecar, and the family page's section."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_core import progressive as pg
from gan_core import progressive_run as pr
from gan_core.files import PRETRAINED, sha256_file
from ui.i18n import t

SHIPPED = [PRETRAINED / name for name in (pg.WEIGHTS, pg.SIDECAR, pg.TIMELINE, pg.TIMELINE_SIDECAR)]
TINY = pg.ProgressiveConfig(steps_stable=(2, 2, 2), steps_fade=(4, 4), batch=(4, 4, 4))


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    cfg = pg.ProgressiveConfig()
    return pg.StyleGenerator(cfg).eval(), pg.ProgressiveDiscriminator(cfg)


# ---- shapes and the fade-in ----------------------------------------------------------------------
def test_each_stage_draws_and_judges_its_own_size(nets):
    g, d = nets
    z = torch.randn(3, g.cfg.z_dim)
    for stage, res in enumerate(pg.STAGES):
        for alpha in (0.0, 0.5, 1.0):
            img = g(z, stage, alpha)
            assert img.shape == (3, 1, res, res)
            assert d(img, stage, alpha).shape == (3,)
    assert pg.STAGES == (7, 14, 28)


def test_fade_by_hand():
    old, new = torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)
    assert pg.fade(old, new, 0.0).sum() == 0 and pg.fade(old, new, 1.0).sum() == 4
    assert torch.allclose(pg.fade(old, new, 0.25), torch.full((1, 1, 2, 2), 0.25))
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])  # up() copies each pixel into a 2 x 2 block
    assert pg.up(x)[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    assert pg.down_to(pg.up(x), 2).equal(x)


@pytest.mark.parametrize("stage", [1, 2])
def test_alpha_0_is_the_previous_stage_enlarged_and_alpha_1_the_new_layers(nets, stage):
    g, _ = nets
    z = torch.randn(4, g.cfg.z_dim)
    with torch.no_grad():
        previous = g(z, stage - 1, 1.0)  # the smaller network, fully grown
        assert torch.equal(g(z, stage, 0.0), F.interpolate(previous, scale_factor=2, mode="nearest"))
        ws = pg.broadcast(g.map(z))
        own = g.to_img[stage](g.features(ws, stage)[stage])  # the new block's own output layer
        assert torch.equal(g(z, stage, 1.0), own)
        mid = g(z, stage, 0.3)
        assert torch.allclose(mid, 0.7 * pg.up(previous) + 0.3 * own, atol=1e-6)


@pytest.mark.parametrize("stage", [1, 2])
def test_d_at_alpha_0_reads_the_half_size_picture_with_its_old_input_layer(nets, stage):
    _, d = nets
    img = torch.randn(5, 1, pg.STAGES[stage], pg.STAGES[stage])
    with torch.no_grad():
        assert torch.allclose(d(img, stage, 0.0), d(F.avg_pool2d(img, 2), stage - 1, 1.0), atol=1e-6)


def test_reals_fade_in_like_g_and_the_timeline_blends_like_g():
    x = pg.to_tensor(np.random.default_rng(0).integers(0, 256, (2, 28, 28), dtype=np.uint8))
    assert torch.equal(pg.real_view(x, 2, 0.0), pg.up(pg.down_to(x, 14)))
    assert torch.equal(pg.real_view(x, 2, 1.0), x) and pg.real_view(x, 0).shape == (2, 1, 7, 7)
    frame = {"alpha": 0.5, "old": np.array([[[0, 100], [200, 255]]], np.uint8),
             "new": np.full((1, 4, 4), 50, np.uint8)}
    assert pg.frame_picture(frame, 0.0)[0].tolist() == np.kron(frame["old"][0], np.ones((2, 2))).tolist()
    assert (pg.frame_picture(frame, 1.0) == 50).all()
    assert pg.frame_picture(frame)[0, 0].tolist() == [25, 25, 75, 75]  # the moment's own alpha, 0.5
    assert pg.frame_picture({"new": frame["new"], "alpha": 1.0}) is frame["new"]


# ---- style mixing -------------------------------------------------------------------------------
def test_style_mixing_ends_are_a_and_b_and_coarse_layers_keep_a(nets):
    g, _ = nets
    with torch.no_grad():
        w_a, w_b = g.map(pg.noise([1, 2], g.cfg.z_dim)), g.map(pg.noise([3, 4], g.cfg.z_dim))
        a, b = g.synthesis(pg.broadcast(w_a)), g.synthesis(pg.broadcast(w_b))
        top = g.synthesis(pg.mix(w_a, w_b, pg.first_style(56)))  # crossover above the last layer
        bottom = g.synthesis(pg.mix(w_a, w_b, pg.first_style(7)))  # B from the first layer on
        assert torch.equal(top, a) and torch.equal(bottom, b)
        assert pg.first_style(56) == pg.N_STYLES and pg.first_style(7) == 0 and pg.first_style(28) == 4
        mixed = pg.mix(w_a, w_b, pg.first_style(14))
        assert torch.equal(g.features(mixed, 0)[0], g.features(pg.broadcast(w_a), 0)[0])  # 7x7 all A
        picture = g.synthesis(mixed)
        assert not torch.equal(picture, a) and not torch.equal(picture, b)


def test_a_seed_always_gives_the_same_noise():
    assert torch.equal(pg.noise([5, 9], 8), pg.noise([5, 9], 8))
    assert torch.equal(pg.noise([9], 8)[0], pg.noise([5, 9], 8)[1])


# ---- training ------------------------------------------------------------------------------------
def test_a_tiny_run_goes_through_every_phase_and_records_the_timeline(tmp_path):
    assert [(s, k) for s, k, _ in pr.phases(TINY)] == [
        (0, "stable"), (1, "fade"), (1, "stable"), (2, "fade"), (2, "stable")]
    side = json.loads(pr.make(tmp_path, "test", TINY, log=lambda m: None).read_text())
    shipped = pg.load(tmp_path)
    frames = shipped.frames()
    assert [f["step"] for f in frames] == sorted(pr.moments(TINY))
    for f in frames:
        res = pg.STAGES[f["stage"]]
        assert f["new"].shape == (16, res, res)
        assert ("old" in f) == (f["stage"] > 0 and f["step"] in _fade_steps(TINY))
        if "old" in f:
            assert f["old"].shape == (16, res // 2, res // 2)
    assert [f["alpha"] for f in frames if "old" in f] == list(pr.FADE_MOMENTS) * 2
    assert side["sha256"] == sha256_file(tmp_path / pg.WEIGHTS)
    timeline = json.loads((tmp_path / pg.TIMELINE_SIDECAR).read_text())
    assert timeline["sha256"] == sha256_file(tmp_path / pg.TIMELINE)
    assert np.isfinite(list(side["last_losses"].values())).all()
    assert set(side["quality"]["score_by_stage"]) == {"7", "14", "28"}
    assert side["quality"]["mixing"]["7"]["as_b"] == 1.0  # B from the first layer: the mix is B


def _fade_steps(cfg) -> set[int]:
    return {s for s, (_, _, fading) in pr.moments(cfg).items() if fading}


def test_the_command_is_registered():
    from gan_core.__main__ import build_parser

    args = build_parser().parse_args(["progressive-run", "--out", "somewhere"])
    assert args.func is pr.cli and args.threads == 1


# ---- the shipped file ----------------------------------------------------------------------------
def test_shipped_files_match_their_sidecar_and_the_budget():
    info = json.loads((PRETRAINED / pg.SIDECAR).read_text())
    timeline = json.loads((PRETRAINED / pg.TIMELINE_SIDECAR).read_text())
    assert info["sha256"] == sha256_file(PRETRAINED / pg.WEIGHTS)
    assert timeline["sha256"] == sha256_file(PRETRAINED / pg.TIMELINE)
    assert info["bytes"] == sum((PRETRAINED / name).stat().st_size for name in (pg.WEIGHTS, pg.TIMELINE))
    assert sum(p.stat().st_size for p in SHIPPED) <= 300_000  # the topic's budget, sidecars included
    assert info["command"] == timeline["command"]
    assert info["command"].startswith("python -m gan_core progressive-run --out ")
    assert info["data"]["sha256"] == sha256_file(PRETRAINED.parent / info["data"]["file"])
    assert pg.ProgressiveConfig.from_dict(info["config"]) == pg.ProgressiveConfig()  # the defaults shipped
    assert 1.0 <= info["quality"]["score"] <= 10.0 and info["train_seconds"] > 0
    raw = torch.load(PRETRAINED / pg.WEIGHTS, weights_only=True)
    assert {v.dtype for v in raw["g"].values()} == {torch.float16}


def test_loading_is_weights_only_and_the_model_is_the_timelines_last(monkeypatch):
    seen = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: seen.append(k) or real_load(*a, **k))
    shipped = pg.load()
    assert seen and all(k.get("weights_only") is True for k in seen)
    last = shipped.frames()[-1]
    with torch.no_grad():
        now = pg.to_uint8(shipped.g(pg.noise(pr.TIMELINE_SEEDS, shipped.g.cfg.z_dim)))
    # the timeline's last moment was drawn by the same weights in float32; they ship in float16
    assert np.abs(now.astype(int) - last["new"].astype(int)).mean() < 2


@pytest.mark.parametrize("damage", ["missing", "flipped", "sidecar", "timeline sidecar"])
def test_a_missing_or_damaged_file_is_one_error(tmp_path, damage):
    for p in SHIPPED:
        shutil.copy(p, tmp_path / p.name)
    if damage == "missing":
        (tmp_path / pg.WEIGHTS).unlink()
    elif damage == "flipped":
        data = bytearray((tmp_path / pg.TIMELINE).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (tmp_path / pg.TIMELINE).write_bytes(bytes(data))
    else:
        name = pg.SIDECAR if damage == "sidecar" else pg.TIMELINE_SIDECAR
        (tmp_path / name).write_text("{not json", encoding="utf-8")
    with pytest.raises(pg.ProgressiveModelError):
        pg.load(tmp_path)


# ---- the family page's section -------------------------------------------------------------------
def _section():
    from ui import progressive_view

    progressive_view.show()


def _open(lang: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_section, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_section_shows_real_pictures_on_first_visit(lang, clear_st_caches):
    at = _open(lang)
    assert at.header[0].value == t("progressive.title", lang=lang)
    assert len(at.image) >= 4  # the film strip, a moment of the timeline, the mixing grid
    captions = [c for image in at.image for c in image.captions]
    assert t("progressive.strip_caption", lang=lang) in captions
    assert "Karras" in " ".join(m.value for m in at.markdown)
    moment = at.select_slider(key="pg_moment")
    fade_start = next(i for i, f in enumerate(pg.load().frames()) if "old" in f and f["alpha"] == 0)
    moment.set_value(fade_start).run()
    assert not at.exception
    assert t("progressive.fade_note_start", lang=lang, old=7, res=14) in " ".join(c.value for c in at.caption)
    at.slider(key=f"pg_alpha_{fade_start}").set_value(1.0).run()
    at.number_input(key="pg_seed_a").set_value(123).run()
    at.select_slider(key="pg_cross").set_value(28).run()
    assert not at.exception
    said = " ".join(c.value for c in at.caption)
    assert "123, 124" in said and t("progressive.mix_measured", lang=lang)[:8] in said


def test_the_section_says_one_sentence_without_the_model(tmp_path, monkeypatch, clear_st_caches):
    monkeypatch.setattr(pg, "PRETRAINED", tmp_path)
    at = _open("en")
    assert [i.value for i in at.info] == [t("progressive.missing", lang="en")]
