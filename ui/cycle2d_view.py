"""The mini-CycleGAN on 2D points: settings, the run and its twin, arrows, curves, the finding.

A run is trained at most once per process and settings (``gan_core.cycle_runs``: memory, the
shipped default pair, then the disk cache); the page asks for one only when Train is pressed
(a form), never on a plain rerun. Every run is shown next to its twin that differs only in the
cycle loss (on <-> off), so the round trip with and without it is measured, not claimed.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gan_core import cycle_config
from gan_core.config import ConfigError
from gan_core.cycle_config import CYCLE_PRESETS, CycleConfig
from ui.i18n import current_lang, option_label, t

STATE = "c2_cfg"  # session_state: the settings of the run on show
WEIGHTS = ("w_adv_g", "w_adv_f", "lambda_cycle", "lambda_id")
LOSS_COLOURS = {"adv_g": "#5b4bdb", "adv_f": "#9b59b6", "cycle": "#2e8b57", "identity": "#b8860b",
                "d_x": "#d1495b", "d_y": "#e67e22", "shape": "#7f7f7f"}
X_COLOUR, Y_COLOUR = "#4c78a8", "#f58518"
ARROWS = 40  # points drawn with their round trip in each panel


def shown_config() -> CycleConfig:
    return st.session_state.get(STATE) or CYCLE_PRESETS["cycle-2d"]


def twin(cfg: CycleConfig) -> CycleConfig:
    """The same run with the cycle loss switched the other way (the preset's weight when off)."""
    on = cfg.lambda_cycle or CYCLE_PRESETS["cycle-2d"].lambda_cycle
    return cfg.replace(lambda_cycle=0.0 if cfg.lambda_cycle else on)


def settings() -> None:
    """The settings form; Train stores validated settings (or shows one sentence why not)."""
    cur = shown_config()
    with st.form("c2_form", border=True):
        c1, c2 = st.columns(2)
        dx = c1.selectbox(t("cycle2d.domain_x"), cycle_config.POINT_DOMAINS, key="c2_dx",
                          index=cycle_config.POINT_DOMAINS.index(cur.domain_x),
                          format_func=option_label("cycle2d.set_"))
        dy = c2.selectbox(t("cycle2d.domain_y"), cycle_config.POINT_DOMAINS, key="c2_dy",
                          index=cycle_config.POINT_DOMAINS.index(cur.domain_y),
                          format_func=option_label("cycle2d.set_"))
        values = {}
        cols = st.columns(4)
        for col, name in zip(cols, WEIGHTS, strict=True):
            top = 20.0 if name.startswith("lambda") else 5.0
            values[name] = col.number_input(t(f"cycle2d.w_{name}"), 0.0, top, float(getattr(cur, name)),
                                            step=0.5, key=f"c2_{name}", help=t(f"cycle2d.w_{name}_help"))
        c3, c4 = st.columns(2)
        steps = c3.slider(t("cycle2d.steps"), 100, 2000, cur.steps, step=100, key="c2_steps")
        seed = c4.number_input(t("cycle2d.seed"), 0, 999, cur.seed, key="c2_seed")
        pressed = st.form_submit_button(t("cycle2d.train"), icon=":material/play_arrow:", type="primary")
    st.caption(t("cycle2d.weights_note"))
    if pressed:
        try:
            cfg = cycle_config.apply_overrides(cur, {"domain_x": dx, "domain_y": dy, "steps": steps,
                                                     "seed": int(seed), **values})
        except ConfigError as err:
            same = err.key == "domain_y" and dx == dy
            st.error(t("cycle2d.err_same_set") if same else t("cycle2d.err_setting", key=err.key),
                     icon=":material/error:")
            return
        st.session_state[STATE] = cfg


def runs(cfg: CycleConfig):
    """(run, twin run): from a cache, or trained now (seconds) with a spinner."""
    from gan_core import cycle_runs

    pair = (cfg, twin(cfg))
    found = [cycle_runs.cached(c) for c in pair]
    if all(r is not None for r in found):
        return found[0], found[1]
    with st.spinner(t("cycle2d.training")):
        return cycle_runs.get_or_train(pair[0]), cycle_runs.get_or_train(pair[1])


def round_trip(run) -> float:
    return (run.metrics["round_trip_x"] + run.metrics["round_trip_y"]) / 2


def finding(run, other) -> str:
    """One measured sentence: the round trip with the cycle loss and without it."""
    with_c, without = (run, other) if run.config.lambda_cycle else (other, run)
    a, b = round_trip(with_c), round_trip(without)
    return t("cycle2d.finding", with_c=f"{a:.2f}", without=f"{b:.2f}", ratio=f"{b / max(a, 1e-9):.0f}",
             lam=f"{with_c.config.lambda_cycle:g}")


def _segments(a: np.ndarray, b: np.ndarray) -> tuple[list, list]:
    xs, ys = [], []
    for p, q in zip(a, b, strict=True):
        xs += [float(p[0]), float(q[0]), None]
        ys += [float(p[1]), float(q[1]), None]
    return xs, ys


def arrows_figure(run, title: str) -> go.Figure:
    """x (X's set) -> G(x) (should lie on Y's set) -> F(G(x)) (should be back at x)."""
    v = run.views
    x, gx, fgx = v["x"][:ARROWS], v["g_x"][:ARROWS], v["f_g_x"][:ARROWS]
    fig = go.Figure()
    fig.add_scatter(x=v["x"][:, 0], y=v["x"][:, 1], mode="markers", name=t("cycle2d.legend_x"),
                    marker=dict(color=X_COLOUR, size=4, opacity=0.35))
    fig.add_scatter(x=v["y"][:, 0], y=v["y"][:, 1], mode="markers", name=t("cycle2d.legend_y"),
                    marker=dict(color=Y_COLOUR, size=4, opacity=0.35))
    heads = dict(symbol="arrow", angleref="previous", size=[0, 9, 0] * len(x))  # a head at each end
    sx, sy = _segments(x, gx)
    fig.add_scatter(x=sx, y=sy, mode="lines+markers", name="x → G(x)", line=dict(color="#5b4bdb", width=1),
                    marker=dict(color="#5b4bdb", **heads))
    sx, sy = _segments(gx, fgx)
    fig.add_scatter(x=sx, y=sy, mode="lines+markers", name="G(x) → F(G(x))",
                    line=dict(color="#2e8b57", width=1, dash="dot"), marker=dict(color="#2e8b57", **heads))
    fig.add_scatter(x=gx[:, 0], y=gx[:, 1], mode="markers", name="G(x)",
                    marker=dict(color="#5b4bdb", size=6, symbol="diamond"))
    fig.add_scatter(x=fgx[:, 0], y=fgx[:, 1], mode="markers", name="F(G(x))",
                    marker=dict(color="#2e8b57", size=6, symbol="x"))
    fig.update_yaxes(scaleanchor="x", scaleratio=1, zeroline=False)
    fig.update_xaxes(zeroline=False)
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)), height=380,
                      margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.05, font=dict(size=10)))
    return fig


def losses_figure(history: dict[str, np.ndarray], title: str) -> go.Figure:
    """Every loss over training (unweighted values: a loss switched off is still measured)."""
    fig = go.Figure()
    for name, colour in LOSS_COLOURS.items():
        if name not in history:  # the shape term: only runs with aligned generators have it
            continue
        fig.add_scatter(x=history["step"], y=history[name], mode="lines", name=t(f"cycle2d.loss_{name}"),
                        line=dict(color=colour, width=1.6, dash="dot" if name.startswith("d_") else None))
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)), height=360,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title=t("cycle2d.step"),
                      legend=dict(orientation="h", yanchor="top", y=-0.3, font=dict(size=10)))
    fig.update_yaxes(type="log")
    return fig


def run_title(run) -> str:
    cfg = run.config
    key = "cycle2d.title_with" if cfg.lambda_cycle else "cycle2d.title_without"
    return t(key, lam=f"{cfg.lambda_cycle:g}", trip=f"{round_trip(run):.2f}")


def show() -> None:
    """The whole 2D section: settings, both runs' arrows, the finding, the curves."""
    st.markdown(t("cycle2d.intro"))
    settings()
    cfg = shown_config()
    try:
        run, other = runs(cfg)
    except Exception:  # a training failure: say so, keep the page
        st.error(t("cycle2d.err_failed"), icon=":material/error:")
        return
    first, second = (run, other) if run.config.lambda_cycle else (other, run)
    st.info(finding(run, other), icon=":material/straighten:")
    left, right = st.columns(2)
    lang = current_lang()
    left.plotly_chart(arrows_figure(first, run_title(first)), width="stretch", key=f"c2_arrows_a_{lang}")
    right.plotly_chart(arrows_figure(second, run_title(second)), width="stretch", key=f"c2_arrows_b_{lang}")
    st.caption(t("cycle2d.arrows_caption"))
    left, right = st.columns(2)
    left.plotly_chart(losses_figure(first.history, run_title(first)), width="stretch",
                      key=f"c2_loss_a_{lang}")
    right.plotly_chart(losses_figure(second.history, run_title(second)), width="stretch",
                       key=f"c2_loss_b_{lang}")
    st.caption(t("cycle2d.curves_caption", seconds=f"{run.seconds:.1f}"))
