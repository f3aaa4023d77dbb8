"""The police-vs-counterfeiter page's controller: the analogy table, and the game played by a
real 1D GAN whose state lives in ``st.session_state`` (so it survives reruns and other pages).

Kept apart from the page script so the page only lays out widgets, and from the other concept
pages because the minimax page reuses this session's game (``game()``) for its BCE table.
The engine (gan_core.toy1d, gan_core.theory) is imported inside the functions that need it so
the app's entry point stays free of torch.
"""
from __future__ import annotations

import streamlit as st

from ui import autoplay
from ui import concept_figures as cf
from ui.i18n import t
from ui.params import guard, guard_choice

BILLS = ("one", "two")
MAX_ROUNDS = 200  # auto-play stops here
PLAYING = "analogy_playing"  # session_state flag of the auto-play
STEPS = (1, 100, 25)  # updates per press: min, max, default


def mapping_table() -> str:
    """The analogy as a markdown table (story, GAN, meaning)."""
    rows = ("counterfeiter", "police", "real", "fake", "caught", "fooled", "end")
    cols = (t("analogy.map_story"), t("analogy.map_gan"), t("analogy.map_meaning"))
    head = "| " + " | ".join(cols) + " |\n|---|---|---|\n"
    body = "".join(
        f"| {t(f'analogy.map_{r}_story')} | {t(f'analogy.map_{r}_gan')} | {t(f'analogy.map_{r}_meaning')} |\n"
        for r in rows)
    return head + body


def settings() -> None:
    """Defaults and guards for the game's widgets (call before drawing them)."""
    guard_choice("analogy_bills", BILLS, BILLS[0])
    guard("analogy_steps", STEPS[0], STEPS[1], STEPS[2], int)


def _game_config(bills: str):
    from gan_core.theory import Mixture
    from gan_core.toy1d import Toy1DConfig

    if bills == "two":
        return Toy1DConfig(data=Mixture((1.0, 1.0), (0.5, 3.5), (0.4, 0.4)))
    return Toy1DConfig()


def game():
    """This session's game (created on first use, kept across pages and reruns)."""
    bills = st.session_state.get("analogy_bills")
    bills = bills if bills in BILLS else BILLS[0]
    g = st.session_state.get("analogy_game")
    if g is None or st.session_state.get("analogy_game_bills") != bills:
        from gan_core.toy1d import Toy1D

        g = Toy1D(_game_config(bills))
        st.session_state["analogy_game"] = g
        st.session_state["analogy_game_bills"] = bills
    return g


def reset_game() -> None:
    st.session_state.pop("analogy_game", None)
    autoplay.set_playing(PLAYING, False)


def _steps() -> int:
    try:
        n = int(st.session_state.get("analogy_steps", STEPS[2]))
    except (TypeError, ValueError):
        n = STEPS[2]
    return min(max(n, STEPS[0]), STEPS[1])


def play(action: str) -> None:
    """One round: ``police``, ``counterfeiter`` or ``both`` learn for the chosen number of updates."""
    try:
        game().play(action, _steps())
    except Exception:  # any failure: say so, the page must keep working
        st.session_state["analogy_error"] = t("analogy.error")


def _verdict(g, v) -> tuple[str, str]:
    if not g.rounds:
        return "info", t("analogy.v_start")
    if v.d_gap < 0.1 and g.g_steps > 0:
        return "success", t("analogy.v_end", gap=f"{v.d_gap:.3f}")
    if v.pass_rate < 0.05:
        return "error", t("analogy.v_caught")
    if v.pass_rate > 0.6 and v.d_gap >= 0.1:
        return "warning", t("analogy.v_fooled")
    return "info", t("analogy.v_close")


def _tick(g) -> bool:
    if len(g.rounds) >= MAX_ROUNDS:
        return False
    play("both")
    return True


def _draw(g) -> None:
    v = g.view()
    c = st.columns(4)
    c[0].metric(t("analogy.m_round"), len(g.rounds))
    c[1].metric(t("analogy.m_pass"), f"{100 * v.pass_rate:.0f}%", help=t("analogy.m_pass_help"))
    c[2].metric(t("analogy.m_d_real"), f"{v.d_real:.2f}", help=t("analogy.m_d_real_help"))
    c[3].metric(t("analogy.m_d_fake"), f"{v.d_fake:.2f}", help=t("analogy.m_d_fake_help"))
    kind, text = _verdict(g, v)
    getattr(st, kind)(text)
    st.plotly_chart(cf.game_figure(v), width="stretch", key="analogy_fig")
    if g.rounds:
        st.plotly_chart(cf.rounds_figure(g.rounds), width="stretch", key="analogy_rounds")


def board() -> None:
    """The board; while auto-play is on it plays one 'both' round per tick."""
    autoplay.board(PLAYING, game, _tick, _draw, error_text=t("analogy.error"), error_key="analogy_error")
