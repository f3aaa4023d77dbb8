"""AppTest for the three concept pages, in both languages, with clicks and bad input."""
import json
import math

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_page
from ui.i18n import t

def button(at: AppTest, key: str, lang: str = "en"):
    label = t(key, lang=lang)
    return next(b for b in at.button if b.label == label)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def metric(at: AppTest, key: str, lang: str = "en") -> str:
    return next(m.value for m in at.metric if m.label == t(key, lang=lang))


@pytest.mark.parametrize("page", ["analogy", "procedure", "minimax"])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_renders_in_both_languages(page, lang, clear_st_caches):
    at = open_page(page, lang)
    assert at.title[0].value == t(f"{page}.title", lang=lang)
    assert not at.error
    if page != "procedure":
        assert charts(at)


def test_analogy_game_round_by_round(clear_st_caches):
    at = open_page("analogy", "ko")
    assert "|" in at.markdown[1].value and t("analogy.map_end_gan", lang="ko") in at.markdown[1].value
    button(at, "analogy.police", "ko").click().run()
    assert not at.exception
    assert metric(at, "analogy.m_round", "ko") == "1"
    assert metric(at, "analogy.m_pass", "ko") == "0%"  # the police catch the first clumsy fakes
    game = at.session_state["analogy_game"]
    assert game.d_steps == 25 and game.g_steps == 0
    button(at, "analogy.counterfeiter", "ko").click().run()
    assert game.g_steps == 25
    button(at, "analogy.both", "ko").click().run()
    assert len(game.rounds) == 3 and game.rounds[-1].action == "both"
    fig = charts(at)[0]
    names = [tr.get("name") for tr in fig["data"]]
    assert t("analogy.fig_police", lang="ko") in names
    # state survives a visit to another page
    at.switch_page("pages/minimax.py").run()
    at.switch_page("pages/analogy.py").run()
    assert at.session_state["analogy_game"] is game and metric(at, "analogy.m_round", "ko") == "3"


def test_analogy_autoplay_and_stop(clear_st_caches):
    at = open_page("analogy")
    button(at, "analogy.autoplay").click().run()
    assert at.session_state["analogy_playing"] is True
    assert len(at.session_state["analogy_game"].rounds) == 1  # the fragment played a round
    button(at, "analogy.stop").click().run()
    assert at.session_state["analogy_playing"] is False
    button(at, "analogy.reset").click().run()
    assert metric(at, "analogy.m_round") == "0"


def test_analogy_reaches_end_state(clear_st_caches):
    at = open_page("analogy")
    at.slider(key="analogy_steps").set_value(100).run()
    for _ in range(6):
        button(at, "analogy.both").click().run()
    assert not at.exception
    assert any(s.value == t("analogy.v_end", gap=f"{at.session_state['analogy_game'].view().d_gap:.3f}")
               for s in at.success)


def test_analogy_bad_state_is_repaired(clear_st_caches):
    at = open_page("analogy", state={"analogy_steps": 999, "analogy_bills": "forged"})
    assert at.slider(key="analogy_steps").value == 100
    assert at.selectbox(key="analogy_bills").value == "one"


def test_procedure_k3_walks_seven_sub_steps(clear_st_caches):
    at = open_page("procedure", "ko")
    at.slider(key="procedure_k").set_value(3).run()
    assert at.query_params["k"] in ("3", ["3"])  # the link now reproduces k
    chips = next(m.value for m in at.markdown if "→" in m.value)
    assert chips.count("→") == 6  # 7 sub-steps: (D real, D fake) x 3, then G
    kinds = []
    for _ in range(7):
        button(at, "procedure.next", "ko").click().run()
        assert not at.exception
        kinds.append(at.session_state["procedure_last"].kind)
    assert kinds == ["d_real", "d_fake"] * 3 + ["g"]
    badges = next(m.value for m in at.markdown if "badge" in m.value)
    assert t("procedure.badge_g_update", lang="ko") in badges and t("procedure.badge_d_frozen", lang="ko") in badges
    assert at.session_state["procedure_stepper"].iteration == 2
    assert len(charts(at)) == 3  # D's map with G's push arrows, D before/after, gradient per layer


def test_procedure_mnist_shows_images(clear_st_caches):
    at = open_page("procedure", query={"data": "mnist5k", "k": "1"})
    button(at, "procedure.next").click().run()
    assert not at.exception and len(at.image) >= 1
    assert metric(at, "procedure.m_label") == "1"
    button(at, "procedure.finish").click().run()
    last = at.session_state["procedure_last"]
    assert last.kind == "g" and last.updates == "G"


def test_procedure_bad_url_values(clear_st_caches):
    at = open_page("procedure", query={"k": "999", "lr": "abc", "data": "cifar"})
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 3
    assert any("999" in w for w in warnings) and any("abc" in w for w in warnings)
    assert at.slider(key="procedure_k").value == 5
    assert at.number_input(key="procedure_lr").value == pytest.approx(2e-3)
    assert at.selectbox(key="procedure_data").value == "ring8"


def test_procedure_autoplay_advances(clear_st_caches):
    at = open_page("procedure")
    button(at, "procedure.autoplay").click().run()
    assert at.session_state["procedure_playing"] and at.session_state["procedure_last"].kind == "d_real"
    button(at, "procedure.stop").click().run()
    assert not at.session_state["procedure_playing"]


def test_minimax_marker_and_explanation(clear_st_caches):
    at = open_page("minimax", "ko")
    assert at.get("latex")
    button(at, "minimax.early", "ko").click().run()
    info = " ".join(i.value for i in at.info)
    assert "0.020" in info and "49.0" in info  # (1 - d) / d at d = 0.02, computed
    fig = next(c for c in charts(at) if c["layout"]["title"]["text"] == t("minimax.curves_title", lang="ko"))
    assert len(fig["data"]) == 9  # 3 curves, 3 tangents, 3 markers


@pytest.mark.parametrize("raw,expect,warn", [("0.25", 0.25, False), ("5", 0.999, True), ("abc", 0.02, True),
                                             ("nan", 0.02, True)])
def test_minimax_marker_from_url(raw, expect, warn, clear_st_caches):
    at = open_page("minimax", query={"d": raw})
    assert at.slider(key="minimax_d").value == pytest.approx(expect)
    assert bool(at.warning) is warn


def test_minimax_optimum_identity_on_page(clear_st_caches):
    at = open_page("minimax")
    v = float(next(m.value for m in at.metric if m.label == "V(D*, G)"))
    rhs = float(next(m.value for m in at.metric if m.label == "−log 4 + 2·JSD"))
    assert v == pytest.approx(rhs, abs=2e-6) and v > -math.log(4)
    button(at, "minimax.copy").click().run()
    v = float(next(m.value for m in at.metric if m.label == "V(D*, G)"))
    assert v == pytest.approx(-math.log(4), abs=1e-6)
    assert at.success and f"{-math.log(4):.6f}" in at.success[0].value


def test_minimax_bce_table_and_bad_density(clear_st_caches):
    at = open_page("minimax", state={"minimax_url_loaded": True, "minimax_pd_s1": 0.0, "minimax_bce_seed": -5})
    df = at.dataframe[0].value
    values = dict(zip(df.iloc[:, 0], df.iloc[:, 1].astype(float)))
    assert values[t("minimax.bce_total")] == pytest.approx(-values[t("minimax.bce_value")], abs=1e-6)
    assert abs(values[t("minimax.bce_sum_check")]) < 1e-6
    assert at.number_input(key="minimax_pd_s1").value == pytest.approx(0.1)  # repaired, not a crash


def test_minimax_fig1_training_and_slider(clear_st_caches):
    at = open_page("minimax")
    label = t("minimax.fig1_step", n=25)
    next(b for b in at.button if b.label == label).click().run()
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception
    assert metric(at, "minimax.fig1_iters") == "50"
    slider = at.select_slider(key="fig1_pick")
    assert slider.value == 2
    slider.set_value(0).run()
    assert metric(at, "minimax.fig1_iters") == "0"
    button(at, "minimax.fig1_live").click().run()
    assert at.session_state["fig1_playing"] and at.session_state["fig1_game"].g_steps == 75


def test_procedure_engine_failure_is_a_message_not_a_traceback(monkeypatch, clear_st_caches):
    import gan_core.procedure as proc

    def broken(*a, **k):
        raise OSError("digits file missing")

    monkeypatch.setattr(proc, "Stepper", broken)
    at = open_page("procedure")
    assert at.error and at.error[0].value == t("procedure.error")
    button(at, "procedure.next").click().run()
    assert not at.exception
