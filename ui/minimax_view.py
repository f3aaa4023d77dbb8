"""The minimax page's controller: the marker on the loss curves (kept in the link as ``?d=``),
the two densities of the optimal-discriminator tab, the BCE = -V table and figure 1 trained live.

Kept apart from the page script so the page only lays out widgets and formulas. The engine
(gan_core.theory, gan_core.toy1d, gan_core.losses) is imported inside the functions that need it
so the app's entry point stays free of torch.
"""
from __future__ import annotations

import streamlit as st

from ui import analogy_view, autoplay
from ui import concept_figures as cf
from ui.i18n import t
from ui.params import guard, guard_choice, url_number, write_params

D_RANGE = (0.001, 0.999)
D_DEFAULT = 0.02
DENSITY_KINDS = ("gaussian", "mixture")
DENSITY_FIELDS = ("kind", "m1", "s1", "m2", "s2", "w")
DENSITY_DEFAULTS = {
    "pd": {"kind": "mixture", "m1": -1.5, "s1": 0.6, "m2": 1.5, "s2": 0.8, "w": 0.4},
    "pg": {"kind": "gaussian", "m1": 0.5, "s1": 1.2, "m2": 2.0, "s2": 0.5, "w": 0.5},
}
DENSITY_LIMITS = {"m1": (-5.0, 5.0), "m2": (-5.0, 5.0), "s1": (0.1, 3.0), "s2": (0.1, 3.0), "w": (0.0, 1.0)}
FIG1_CHUNK = 25  # iterations per live tick / per button press (~0.2 s here)
FIG1_MAX = 1500
FIG1_PLAYING = "fig1_playing"  # session_state flag of figure 1's live training


def settings() -> None:
    """Widget defaults (the marker from a shared link) on the first visit, guards afterwards."""
    if "minimax_url_loaded" in st.session_state:
        guard("minimax_d", *D_RANGE, D_DEFAULT)
        guard("minimax_bce_seed", 0, 10_000, 0, int)
        for who, vals in DENSITY_DEFAULTS.items():
            guard_choice(f"minimax_{who}_kind", DENSITY_KINDS, vals["kind"])
            for f, (lo, hi) in DENSITY_LIMITS.items():
                guard(f"minimax_{who}_{f}", lo, hi, vals[f])
        return
    d, m = url_number("d", *D_RANGE)
    st.session_state["minimax_d"] = float(d) if d is not None else D_DEFAULT
    st.session_state["minimax_url_messages"] = [m] if m else []
    st.session_state["minimax_bce_seed"] = 0
    for who, vals in DENSITY_DEFAULTS.items():
        for f, v in vals.items():
            st.session_state[f"minimax_{who}_{f}"] = v
    st.session_state["minimax_url_loaded"] = True


def set_marker(d: float) -> None:
    st.session_state["minimax_d"] = d
    write_params({"d": float(d)})


def marker_changed() -> None:
    write_params({"d": float(st.session_state["minimax_d"])})


def copy_pdata_to_pg() -> None:
    for f in DENSITY_FIELDS:
        st.session_state[f"minimax_pg_{f}"] = st.session_state[f"minimax_pd_{f}"]


def density_from_state(who: str):
    """(Mixture, None) or (None, translated message) from the density widgets."""
    from gan_core.theory import Mixture

    v = {f: st.session_state.get(f"minimax_{who}_{f}") for f in DENSITY_FIELDS}
    try:
        if v["kind"] == "mixture":
            w = float(v["w"])
            means, stds = (float(v["m1"]), float(v["m2"])), (float(v["s1"]), float(v["s2"]))
            return Mixture((w, 1.0 - w), means, stds), None
        return Mixture.gaussian(float(v["m1"]), float(v["s1"])), None
    except (TypeError, ValueError):
        return None, t("minimax.bad_density")


def bce_rows() -> list[dict]:
    """BCE with labels 1/0 next to the value V on one real batch of this session's police game."""
    from gan_core import losses, theory
    from gan_core.threads import single_thread

    g = analogy_view.game()
    seed = int(st.session_state.get("minimax_bce_seed", 0) or 0)
    with single_thread():
        lr_, lf_ = g.batch_logits(256, seed=seed)
        bv = theory.batch_value(lr_, lf_)
        engine = float(losses.d_loss("nonsat", lr_, lf_))
    rows = [
        ("bce_log_real", bv.mean_log_d_real),
        ("bce_log_fake", bv.mean_log_1m_d_fake),
        ("bce_value", bv.value),
        ("bce_real", bv.bce_real),
        ("bce_fake", bv.bce_fake),
        ("bce_total", bv.bce_total),
        ("bce_engine", engine),
        ("bce_sum_check", bv.bce_total + bv.value),
    ]
    return [{t("minimax.bce_col_q"): t(f"minimax.{k}"), t("minimax.bce_col_v"): f"{v:.6f}"} for k, v in rows]


# ---- figure 1, trained live ----------------------------------------------------------------------
def fig1_game():
    """Figure 1's own 1D GAN and its snapshots (made on first use)."""
    from gan_core.theory import Mixture
    from gan_core.toy1d import Toy1D, Toy1DConfig

    g = st.session_state.get("fig1_game")
    if g is None:
        g = Toy1D(Toy1DConfig(data=Mixture.gaussian(1.0, 0.5), g_start=-2.0, x_lo=-4.0, x_hi=4.0, seed=1,
                              lr_g=1e-3, lr_d=1e-3))  # slow enough to watch over ~500 iterations
        st.session_state["fig1_game"] = g
        st.session_state["fig1_views"] = [g.view()]
        st.session_state["fig1_pick"] = 0
    return g


def fig1_advance(n: int = FIG1_CHUNK) -> None:
    """Train ``n`` more iterations and show the newest snapshot (nothing past FIG1_MAX)."""
    from gan_core.toy1d import train_with_snapshots

    g = fig1_game()
    if g.g_steps >= FIG1_MAX:
        autoplay.set_playing(FIG1_PLAYING, False)
        return
    views = st.session_state.setdefault("fig1_views", [])
    views += train_with_snapshots(g, n, n)
    st.session_state["fig1_pick"] = len(views) - 1


def fig1_reset() -> None:
    for key in ("fig1_game", "fig1_views", "fig1_pick"):
        st.session_state.pop(key, None)
    autoplay.set_playing(FIG1_PLAYING, False)


def _fig1_tick(g) -> bool:
    fig1_advance()
    return g.g_steps < FIG1_MAX


def _fig1_draw(_g) -> None:
    views = st.session_state["fig1_views"]
    pick = min(max(int(st.session_state.get("fig1_pick", 0)), 0), len(views) - 1)
    st.session_state["fig1_pick"] = pick
    if len(views) > 1:
        steps = [v.step for v in views]
        st.select_slider(t("minimax.fig1_slider"), options=list(range(len(views))), key="fig1_pick",
                         format_func=lambda i: str(steps[i]), help=t("minimax.fig1_slider_help"))
    v = views[st.session_state["fig1_pick"]]
    st.plotly_chart(cf.fig1_figure(v), width="stretch", key="fig1_chart")
    c = st.columns(3)
    c[0].metric(t("minimax.fig1_iters"), v.step)
    c[1].metric(t("minimax.fig1_gap"), f"{v.d_gap:.3f}", help=t("minimax.fig1_gap_help"))
    c[2].metric(t("minimax.fig1_spread"), f"{v.fake_mean:.2f} ± {v.fake_std:.2f}",
                help=t("minimax.fig1_spread_help"))


def fig1_board() -> None:
    """Figure 1 with a slider over its snapshots; while live, FIG1_CHUNK iterations per tick."""
    autoplay.board(FIG1_PLAYING, fig1_game, _fig1_tick, _fig1_draw)
