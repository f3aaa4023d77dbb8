"""Plotly figure builders shared by the pages (no training logic here)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from ui.i18n import current_lang, t

# Every figure of the app uses Plotly's white theme. It is the default once, here: naming it in
# each figure made Plotly check and copy the whole theme again, about 20 ms a figure.
pio.templates.default = "plotly_white"

D_COLOUR = "#d1495b"  # discriminator / police
G_COLOUR = "#5b4bdb"  # generator / counterfeiter
REAL_COLOUR = "#2e8b57"
MAX_POINTS = 1500
# Losses whose D ends in a probability (as gan_core.toyviz.score_is_probability): for hinge and
# WGAN-GP, D is a critic whose raw scores have no ½ line, so sigmoid(score) would mean nothing.
PROBABILITY_LOSSES = ("minimax", "nonsat")


def _thin(x: np.ndarray, *ys: np.ndarray):
    """Keep at most MAX_POINTS points (evenly spaced) so long runs stay light in the browser."""
    n = len(x)
    if n <= MAX_POINTS:
        return (x, *ys)
    idx = np.unique(np.linspace(0, n - 1, MAX_POINTS).astype(int))
    return (x[idx], *(y[idx] for y in ys))


def smooth(y: np.ndarray, window: int | None = None) -> np.ndarray:
    """Trailing moving average (window ~ 2% of the run, at least 1)."""
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return y
    window = window or max(1, len(y) // 50)
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(len(y))
    lo = np.maximum(0, idx + 1 - window)
    return (c[idx + 1] - c[lo]) / (idx + 1 - lo)


def _base(title: str, ytitle: str, height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title=dict(text=title, x=0.01, font=dict(size=15)), height=height,
        margin=dict(l=10, r=10, t=40, b=10), xaxis_title=t("figures.step"), yaxis_title=ytitle,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    return fig


MEMO_SIZE = 256  # entries kept; a finished run at one step is four (picture, three curves)
_memo: OrderedDict[tuple, object] = OrderedDict()
_memo_lock = threading.Lock()
T = TypeVar("T")


def memo(key: tuple, build: Callable[[], T]) -> T:
    """What ``build()`` makes (a figure, a picture), built once per ``key`` and language for
    every session.

    For things that can't change under their key, such as a finished run's curves at one step
    (a run's config key names its numbers). When a class presses Train together, each rerun
    then sends figures instead of rebuilding them. The result is shared: don't modify it.
    """
    full = (*key, current_lang())
    with _memo_lock:
        if full in _memo:
            _memo.move_to_end(full)
            return _memo[full]
    value = build()
    with _memo_lock:
        _memo[full] = value
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return value


def _marker(fig: go.Figure, step: int | None) -> None:
    if step is not None:
        fig.add_vline(x=step, line=dict(color="#888", dash="dot", width=1))


def loss_figure(history: dict, step: int | None = None) -> go.Figure:
    """D and G losses per step (faint raw values, bold moving average)."""
    x = np.asarray(history["step"])
    ld, lg = np.asarray(history["loss_d"]), np.asarray(history["loss_g"])
    fig = _base(t("figures.losses"), t("figures.loss"))
    if len(x):
        sd, sg = smooth(ld), smooth(lg)
        x, ld, lg, sd, sg = _thin(x, ld, lg, sd, sg)
        curves = ((ld, sd, D_COLOUR, t("figures.loss_d")), (lg, sg, G_COLOUR, t("figures.loss_g")))
        for y, s, colour, name in curves:
            fig.add_scatter(x=x, y=y, mode="lines", line=dict(color=colour, width=1), opacity=0.25,
                            showlegend=False, hoverinfo="skip")
            fig.add_scatter(x=x, y=s, mode="lines", line=dict(color=colour, width=2.5), name=name)
    _marker(fig, step)
    return fig


def _not_a_probability(fig: go.Figure, loss: str) -> None:
    fig.add_annotation(text=t("figures.dprob_critic", loss=loss), x=0.5, y=0.5, xref="paper",
                       yref="paper", showarrow=False, align="center", font=dict(size=13))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)


def dprob_figure(history: dict, step: int | None = None, loss: str = "nonsat") -> go.Figure:
    """Mean D(x) on real data and mean D(G(z)) on fakes; 0.5 is where D can't tell.

    For a critic (hinge, WGAN-GP) there is no probability to plot: the figure says so instead.
    """
    x = np.asarray(history["step"])
    dr, df = np.asarray(history["d_real"]), np.asarray(history["d_fake"])
    fig = _base(t("figures.dprob"), t("figures.probability"))
    if loss not in PROBABILITY_LOSSES:
        _not_a_probability(fig, loss)
        return fig
    if len(x):
        x, dr, df = _thin(x, smooth(dr), smooth(df))
        fig.add_scatter(x=x, y=dr, mode="lines", line=dict(color=REAL_COLOUR, width=2.5),
                        name=t("figures.d_real"))
        fig.add_scatter(x=x, y=df, mode="lines", line=dict(color=G_COLOUR, width=2.5),
                        name=t("figures.d_fake"))
    fig.add_hline(y=0.5, line=dict(color="#888", dash="dash", width=1),
                  annotation_text=t("figures.half"), annotation_position="bottom right")
    fig.update_yaxes(range=[0, 1])
    _marker(fig, step)
    return fig


def grad_figure(history: dict, step: int | None = None) -> go.Figure:
    """Gradient norms of D and G per step (log scale)."""
    x = np.asarray(history["step"])
    gd, gg = np.asarray(history["grad_d"]), np.asarray(history["grad_g"])
    fig = _base(t("figures.grads"), t("figures.grad_norm"), height=260)
    if len(x):
        x, gd, gg = _thin(x, smooth(gd), smooth(gg))
        fig.add_scatter(x=x, y=gd, mode="lines", line=dict(color=D_COLOUR, width=2), name="‖∇D‖")
        fig.add_scatter(x=x, y=gg, mode="lines", line=dict(color=G_COLOUR, width=2), name="‖∇G‖")
        fig.update_yaxes(type="log")
    _marker(fig, step)
    return fig


RUN_COLOURS = ("#1c83e1", "#ff8700", "#21c354", "#803df5", "#ff2b2b")  # Streamlit's blue .. red
OVERLAYS = {
    "loss": ("figures.losses", "figures.loss", (("loss_d", "figures.loss_d"), ("loss_g", "figures.loss_g"))),
    "dprob": ("figures.dprob", "figures.probability",
              (("d_real", "figures.d_real"), ("d_fake", "figures.d_fake"))),
}


def overlay_figure(kind: str, runs: list[tuple[str, dict, str]], step: int | None = None,
                   critics: dict[str, str] | None = None) -> go.Figure:
    """Several runs in one figure, one colour per run: ``kind`` "loss" draws each run's D loss
    (solid) and G loss (dashed), "dprob" its D(x) (solid) and D(G(z)) (dashed), smoothed.

    ``runs``: (label, history, colour) per run; traces are named ``label · curve``.
    ``critics``: label -> loss for runs whose D is a critic (hinge, WGAN-GP); "dprob" leaves
    them out and says why.
    """
    title, ytitle, curves = OVERLAYS[kind]
    fig = _base(t(title), t(ytitle), height=340)
    critics = critics or {}
    if kind == "dprob" and critics:
        fig.add_annotation(text=t("figures.dprob_left_out", runs=", ".join(critics)), x=0.5, y=0.02,
                           xref="paper", yref="paper", showarrow=False, font=dict(size=12))
    for label, history, colour in runs:
        x = np.asarray(history["step"])
        if not len(x) or (kind == "dprob" and label in critics):
            continue
        for (column, name), dash in zip(curves, ("solid", "dash"), strict=True):
            xs, ys = _thin(x, smooth(history[column]))
            fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=2, dash=dash),
                            name=f"{label} · {t(name)}", legendgroup=label)
    if kind == "dprob":
        fig.add_hline(y=0.5, line=dict(color="#888", dash="dash", width=1),
                      annotation_text=t("figures.half"), annotation_position="bottom right")
        fig.update_yaxes(range=[0, 1])
    _marker(fig, step)
    return fig
