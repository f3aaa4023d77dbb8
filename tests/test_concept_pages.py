"""AppTest for the three concept pages, in both languages, with clicks and bad input."""
import json
import math

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_page
from ui.i18n import t

# the game board; nothing before the first sub-step; curves, signal, optimum, figure 1
CHARTS_ON_OPEN = {"analogy": 1, "procedure": 0, "minimax": 4}


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
    assert len(charts(at)) == CHARTS_ON_OPEN[page]


def test_analogy_game_round_by_round(clear_st_caches):
    at = open_page("analogy", "ko")
    cols = ("story", "gan", "meaning")
    rows = ("counterfeiter", "police", "real", "fake", "caught", "fooled", "end")

    def row(prefix: str) -> str:
        return "| " + " | ".join(t(f"analogy.map_{prefix}{c}", lang="ko") for c in cols) + " |"

    assert at.markdown[1].value.splitlines() == [row(""), "|---|---|---|", *(row(f"{r}_") for r in rows)]
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
    gap = at.session_state["analogy_game"].view().d_gap
    assert gap < 0.1
    assert [s.value for s in at.success] == [t("analogy.v_end", gap=f"{gap:.3f}")]


def test_analogy_bad_state_is_repaired(clear_st_caches):
    at = open_page("analogy", state={"analogy_steps": 999, "analogy_bills": "forged"})
    assert at.slider(key="analogy_steps").value == 100
    assert at.selectbox(key="analogy_bills").value == "one"


def test_procedure_k3_walks_seven_sub_steps(clear_st_caches):
    at = open_page("procedure", "ko")
    at.slider(key="procedure_k").set_value(3).run()
    assert dict(at.query_params) == {"data": "ring8", "k": "3", "lr": "0.002"}  # the link reproduces the run
    chips = next(m.value for m in at.markdown if "→" in m.value)
    assert chips.count("→") == 6  # 7 sub-steps: (D real, D fake) x 3, then G
    kinds = []
    for _ in range(7):
        button(at, "procedure.next", "ko").click().run()
        assert not at.exception
        kinds.append(at.session_state["procedure_last"].kind)
    assert kinds == ["d_real", "d_fake"] * 3 + ["g"]
    badges = next(m.value for m in at.markdown if "badge" in m.value)
    assert badges == (f":gray-badge[{t('procedure.badge_d_frozen', lang='ko')}] "
                      f":violet-badge[{t('procedure.badge_g_update', lang='ko')}]")
    assert at.session_state["procedure_stepper"].iteration == 2
    assert len(charts(at)) == 3  # D's map with G's push arrows, D before/after, gradient per layer


def test_procedure_mnist_shows_images(clear_st_caches):
    at = open_page("procedure", query={"data": "mnist5k", "k": "1"})
    button(at, "procedure.next").click().run()
    assert not at.exception and len(at.image) == 1  # the real batch
    assert metric(at, "procedure.m_label") == "1"
    button(at, "procedure.finish").click().run()
    last = at.session_state["procedure_last"]
    assert last.kind == "g" and last.updates == "G"
    assert len(at.image) == 2  # G's fakes before and after its update


def test_procedure_bad_url_values(clear_st_caches):
    at = open_page("procedure", query={"k": "999", "lr": "abc", "data": "cifar"})
    assert [w.value for w in at.warning] == [
        t("procedure.url_choice", key="data", value="`cifar`", options="ring8, mnist5k"),
        t("procedure.url_clamped", key="k", value="`999`", lo="1", hi="5", used="5"),
        t("procedure.url_refused", key="lr", value="`abc`", lo="1e-05", hi="0.01"),
    ]
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
    assert len(at.get("latex")) == 2  # V(D, G), and V(D*, G) in terms of the JSD
    button(at, "minimax.early", "ko").click().run()
    # at d = 0.02 the logit slopes are -d and -(1 - d), their ratio (1 - d) / d
    assert [i.value for i in at.info] == [t("minimax.signal_reading", lang="ko", d="0.020", sat="0.020",
                                            ns="0.980", ratio="49.0")]
    assert dict(at.query_params) == {"d": "0.02"}
    fig = next(c for c in charts(at) if c["layout"]["title"]["text"] == t("minimax.curves_title", lang="ko"))
    assert len(fig["data"]) == 9  # 3 curves, 3 tangents, 3 markers


@pytest.mark.parametrize("raw,expect,message", [("0.25", 0.25, None), ("5", 0.999, "procedure.url_clamped"),
                                                ("abc", 0.02, "procedure.url_refused"),
                                                ("nan", 0.02, "procedure.url_refused")])
def test_minimax_marker_from_url(raw, expect, message, clear_st_caches):
    at = open_page("minimax", query={"d": raw})
    assert at.slider(key="minimax_d").value == pytest.approx(expect)
    want = [t(message, key="d", value=f"`{raw}`", lo="0.001", hi="0.999", used="0.999")] if message else []
    assert [w.value for w in at.warning] == want


def test_minimax_optimum_identity_on_page(clear_st_caches):
    at = open_page("minimax")
    v = float(next(m.value for m in at.metric if m.label == "V(D*, G)"))
    rhs = float(next(m.value for m in at.metric if m.label == "−log 4 + 2·JSD"))
    assert v == pytest.approx(rhs, abs=2e-6) and v > -math.log(4)
    button(at, "minimax.copy").click().run()
    v = float(next(m.value for m in at.metric if m.label == "V(D*, G)"))
    assert v == pytest.approx(-math.log(4), abs=1e-6)
    assert [s.value for s in at.success] == [t("minimax.equal", v=f"{-math.log(4):.6f}")]


def test_minimax_bce_table_and_bad_density(clear_st_caches):
    state = {"minimax_url_loaded": True, "minimax_pd_s1": 0.0, "minimax_bce_seed": -5}
    at = open_page("minimax", state=state)
    df = at.dataframe[0].value
    names = ("log_real", "log_fake", "value", "real", "fake", "total", "engine", "sum_check")
    assert list(df.iloc[:, 0]) == [t(f"minimax.bce_{n}") for n in names]
    values = dict(zip(df.iloc[:, 0], df.iloc[:, 1].astype(float), strict=True))
    assert values[t("minimax.bce_total")] == pytest.approx(-values[t("minimax.bce_value")], abs=1e-6)
    assert abs(values[t("minimax.bce_sum_check")]) < 1e-6
    assert at.number_input(key="minimax_pd_s1").value == pytest.approx(0.1)  # repaired, not a crash
    assert at.number_input(key="minimax_bce_seed").value == 0
    assert not at.error


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
    assert [e.value for e in at.error] == [t("procedure.error")]
    button(at, "procedure.next").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("procedure.error")]


def test_autoplay_stops_when_nothing_is_left_to_play(monkeypatch, clear_st_caches):
    from ui import analogy_view, minimax_view

    monkeypatch.setattr(analogy_view, "MAX_ROUNDS", 1)
    monkeypatch.setattr(minimax_view, "FIG1_MAX", 50)
    at = open_page("analogy")
    button(at, "analogy.autoplay").click().run()
    assert at.session_state["analogy_playing"] is True and len(at.session_state["analogy_game"].rounds) == 1
    at.run()  # the next tick finds the last round played: play stops, the button is "auto-play" again
    assert at.session_state["analogy_playing"] is False and len(at.session_state["analogy_game"].rounds) == 1
    assert [b.label for b in at.button].count(t("analogy.autoplay")) == 1
    at.switch_page("pages/minimax.py").run()
    button(at, "minimax.fig1_live").click().run()
    assert at.session_state["fig1_playing"] is True and at.session_state["fig1_game"].g_steps == 25
    at.run()  # this tick trains to FIG1_MAX and stops
    assert at.session_state["fig1_playing"] is False and at.session_state["fig1_game"].g_steps == 50
    assert metric(at, "minimax.fig1_iters") == "50"
    assert [b.label for b in at.button].count(t("minimax.fig1_live")) == 1
