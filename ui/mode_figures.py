"""Plotly figures for the mode-collapse page: the layered 2D view, mode metrics, coverage.

Only drawing here; the numbers come from gan_core.modes and gan_core.toyviz. The module loads
without PyTorch (gan_core.toyviz is imported by the views that need it), so the page can draw
its comparison before the engine has loaded.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from gan_core.data import toy_modes, toy_sigma
from gan_core.modes import HQ_SIGMAS
from ui.figures import D_COLOUR, G_COLOUR, REAL_COLOUR
from ui.i18n import t

LAYERS = ("real", "fake", "heat", "manifold", "arrows")
DEFAULT_LAYERS = ("real", "fake", "heat")
MAX_FAKE_POINTS = 1200  # generated points drawn per frame (of 2,500) to keep the page light
HEAT_TOP = 255  # the heatmap's 1.0
MANIFOLD_COLOUR = "rgba(91, 75, 219, 0.45)"
ARROW_COLOUR = "#f39c12"


def _heat_values(heat: np.ndarray, loss: str) -> np.ndarray:
    """Probabilities as they are; critic scores squashed to 0..1 around their own median."""
    h = np.asarray(heat, dtype=np.float64)
    from gan_core.toyviz import score_is_probability

    if score_is_probability(loss):
        return h
    spread = float(np.std(h)) or 1.0
    return 0.5 + 0.5 * np.tanh((h - np.median(h)) / (2 * spread))


def _manifold_xy(grid: np.ndarray) -> tuple[list, list]:
    """Grid lines (rows then columns) as one polyline with None breaks."""
    xs: list = []
    ys: list = []
    for lines in (grid, np.transpose(grid, (1, 0, 2))):
        for line in lines:
            xs.extend(line[:, 0].tolist() + [None])
            ys.extend(line[:, 1].tolist() + [None])
    return xs, ys


def _arrow_xy(xy: np.ndarray, uv: np.ndarray, length: float) -> tuple[list, list]:
    """Segments from each point along its (normalised) pull; longer pulls draw longer arrows."""
    norm = np.linalg.norm(uv, axis=1)
    top = float(np.percentile(norm, 95)) if len(norm) else 0.0
    if top <= 0:
        return [], []
    scale = np.clip(norm / top, 0.15, 1.0) * length / np.maximum(norm, 1e-12)
    end = xy + uv * scale[:, None]
    xs, ys = [], []
    for (x0, y0), (x1, y1) in zip(xy.tolist(), end.tolist(), strict=True):
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    return xs, ys


def _frame_traces(snap, cfg, layers: set, heat_axis: np.ndarray) -> list[go.BaseTraceType]:
    """The per-snapshot traces, always in the same order (frames replace them one to one)."""
    from gan_core.toyviz import plane_extent

    ex = snap.extras or {}
    traces: list = []
    if "heat" in layers:
        heat = ex.get("heat")
        # 0..1 sent as 0..255 bytes: an eighth of the page's weight per frame, and 256 shades
        # of a smooth colour scale look the same
        z = (np.round(255 * _heat_values(heat, cfg.loss)).astype(np.uint8) if heat is not None
             else np.full((2, 2), np.nan))
        traces.append(go.Heatmap(
            x=heat_axis, y=heat_axis, z=z, zmin=0, zmax=HEAT_TOP, colorscale="RdBu", reversescale=True,
            opacity=0.55, showscale=True, hoverinfo="skip",
            colorbar=dict(title=dict(text=t("mode_collapse.heat_bar"), side="right"), thickness=10, len=0.6,
                          tickvals=[0, HEAT_TOP / 2, HEAT_TOP], ticktext=["0", "0.5", "1"]),
        ))
    if "manifold" in layers:
        grid = ex.get("manifold")
        xs, ys = _manifold_xy(grid) if grid is not None else ([], [])
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=MANIFOLD_COLOUR, width=1),
                                 name=t("mode_collapse.layer_manifold"), hoverinfo="skip"))
    if "fake" in layers:
        pts = np.asarray(snap.samples, dtype=np.float32)[:MAX_FAKE_POINTS]  # float32: half the bytes
        traces.append(go.Scattergl(x=pts[:, 0], y=pts[:, 1], mode="markers",
                                   name=t("mode_collapse.layer_fake"),
                                   marker=dict(color=G_COLOUR, size=4, opacity=0.7), hoverinfo="skip"))
    if "arrows" in layers:
        xy, uv = ex.get("arrow_xy"), ex.get("arrow_uv")
        xs, ys = _arrow_xy(np.asarray(xy), np.asarray(uv), 0.06 * 2 * plane_extent(cfg.dataset)) \
            if xy is not None and uv is not None else ([], [])
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=ARROW_COLOUR, width=1.5),
                                 name=t("mode_collapse.layer_arrows"), hoverinfo="skip"))
    return traces


def layered_figure(result, layers, real: np.ndarray, start: int | None = None) -> go.Figure:
    """The 2D view of a toy run with one animation frame per snapshot, a slider and Play.

    ``layers`` picks from LAYERS; ``real`` is a sample of the data; ``start`` is the snapshot
    shown first (default: the last).
    """
    from gan_core.toyviz import plane_axis, plane_extent

    cfg, snaps = result.config, result.snapshots
    layers = set(layers)
    start = len(snaps) - 1 if start is None else max(0, min(start, len(snaps) - 1))
    e = plane_extent(cfg.dataset)
    heat_axis = plane_axis(cfg.dataset).astype(np.float32)
    real = np.asarray(real, dtype=np.float32)
    fig = go.Figure()
    n_static = 0
    if "real" in layers:
        fig.add_trace(go.Scattergl(x=real[:, 0], y=real[:, 1], mode="markers",
                                   name=t("mode_collapse.layer_real"),
                                   marker=dict(color=REAL_COLOUR, size=3, opacity=0.5), hoverinfo="skip"))
        n_static = 1
    moving = _frame_traces(snaps[start], cfg, layers, heat_axis)
    for tr in moving:
        fig.add_trace(tr)
    ids = list(range(n_static, n_static + len(moving)))
    def label(snapshot) -> str:
        return t("mode_collapse.frame_label", step=snapshot.step)

    if moving and len(snaps) > 1:
        fig.frames = [go.Frame(data=_frame_traces(s, cfg, layers, heat_axis), traces=ids, name=str(i),
                               layout=dict(title=dict(text=label(s))))
                      for i, s in enumerate(snaps)]
        play = dict(label="▶", method="animate",
                    args=[None, dict(frame=dict(duration=450, redraw=True), fromcurrent=True,
                                     transition=dict(duration=0))])
        pause = dict(label="❚❚", method="animate",
                     args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                        transition=dict(duration=0))])
        steps = [dict(method="animate", label=str(s.step),
                      args=[[str(i)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                            transition=dict(duration=0))])
                 for i, s in enumerate(snaps)]
        fig.update_layout(
            sliders=[dict(active=start, steps=steps, x=0.08, len=0.92, y=0, yanchor="top",
                          currentvalue=dict(prefix=t("mode_collapse.slider_prefix") + " "), pad=dict(t=30))],
            updatemenus=[dict(type="buttons", direction="left", x=0.0, y=0, xanchor="left", yanchor="top",
                              pad=dict(t=40, r=10), showactive=False, buttons=[play, pause])],
        )
    fig.update_layout(
        title=dict(text=label(snaps[start]), x=0.01, font=dict(size=15)), height=560,
        margin=dict(l=10, r=10, t=40, b=90),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        xaxis=dict(range=[-e, e], zeroline=False, constrain="domain"),
        yaxis=dict(range=[-e, e], zeroline=False, scaleanchor="x", scaleratio=1),
    )
    return fig


def metrics_figure(series: dict, n_modes: int, step: int | None = None) -> go.Figure:
    """Modes captured (left axis) and high-quality share (right axis) against the step."""
    fig = go.Figure()
    fig.add_scatter(x=series["step"], y=series["captured"], mode="lines+markers",
                    name=t("mode_collapse.captured"), line=dict(color=G_COLOUR, width=2.5))
    fig.add_scatter(x=series["step"], y=100 * np.asarray(series["hq_share"]), mode="lines+markers",
                    name=t("mode_collapse.hq_share"), yaxis="y2",
                    line=dict(color=REAL_COLOUR, width=2, dash="dot"))
    fig.update_layout(
        title=dict(text=t("mode_collapse.metrics_title"), x=0.01, font=dict(size=15)), height=320,
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title=t("figures.step")),
        yaxis=dict(title=t("mode_collapse.captured"), range=[0, n_modes + 0.5]),
        yaxis2=dict(title=t("mode_collapse.hq_share_pct"), overlaying="y", side="right", range=[0, 100],
                    showgrid=False),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    if step is not None:
        fig.add_vline(x=step, line=dict(color="#888", dash="dot", width=1))
    return fig


def coverage_figure(dataset: str, counts: np.ndarray, n_points: int) -> go.Figure:
    """Mode centres: filled and sized by their high-quality samples, an x where a mode is missed."""
    from gan_core.toyviz import plane_extent

    modes = toy_modes(dataset)
    counts = np.asarray(counts)
    hit = counts > 0
    radius = HQ_SIGMAS * toy_sigma(dataset)
    share = counts / max(1, n_points)
    fig = go.Figure()
    size = 10 + 40 * np.sqrt(share / max(share.max(), 1e-9))
    fig.add_scatter(x=modes[hit, 0], y=modes[hit, 1], mode="markers", name=t("mode_collapse.mode_hit"),
                    marker=dict(size=size[hit], color=REAL_COLOUR, line=dict(color="white", width=1)),
                    customdata=np.stack([counts[hit], 100 * share[hit]], 1) if hit.any() else None,
                    hovertemplate=t("mode_collapse.mode_hover") + "<extra></extra>")
    fig.add_scatter(x=modes[~hit, 0], y=modes[~hit, 1], mode="markers", name=t("mode_collapse.mode_missed"),
                    marker=dict(size=12, symbol="x-thin", color=D_COLOUR, line=dict(width=2, color=D_COLOUR)),
                    hoverinfo="skip")
    e = plane_extent(dataset)
    fig.update_layout(
        title=dict(text=t("mode_collapse.coverage_title", r=f"{radius:g}"), x=0.01, font=dict(size=15)),
        height=340, margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(range=[-e, e], zeroline=False, constrain="domain"),
        yaxis=dict(range=[-e, e], zeroline=False, scaleanchor="x", scaleratio=1),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    return fig


def occupancy_figure(series: dict, n_points: int) -> go.Figure:
    """Which mode holds the generator's high-quality samples at each snapshot (mode x step)."""
    counts = np.asarray(series["counts"], dtype=np.float64)  # S x M
    z = (100 * counts / max(1, n_points)).T  # M x S
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(s) for s in series["step"]], y=[str(i + 1) for i in range(z.shape[0])],
        colorscale="Greens", zmin=0, colorbar=dict(title=dict(text="%", side="right"), thickness=10),
        hovertemplate=t("mode_collapse.occupancy_hover") + "<extra></extra>",
    ))
    fig.update_layout(
        title=dict(text=t("mode_collapse.occupancy_title"), x=0.01, font=dict(size=15)), height=320,
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title=t("figures.step"), type="category"), yaxis=dict(title=t("mode_collapse.mode_axis")),
    )
    return fig


def compare_figure(names: list[str], captured: list[float], hq: list[float], n_modes: int) -> go.Figure:
    """Side-by-side bars: modes captured and high-quality share per preset."""
    fig = go.Figure()
    fig.add_bar(x=names, y=captured, name=t("mode_collapse.captured"), marker_color=G_COLOUR,
                text=[f"{c:g}/{n_modes}" for c in captured], textposition="outside")
    fig.add_bar(x=names, y=[h * n_modes for h in hq], name=t("mode_collapse.hq_share_scaled"),
                marker_color=REAL_COLOUR, text=[f"{100 * h:.0f}%" for h in hq], textposition="outside")
    fig.update_layout(
        title=dict(text=t("mode_collapse.compare_title"), x=0.01, font=dict(size=15)), height=340,
        barmode="group",
        margin=dict(l=10, r=10, t=40, b=10),
        yaxis=dict(title=t("mode_collapse.captured"), range=[0, n_modes * 1.18]),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    return fig


def class_histogram_figure(rows: list[tuple[str, np.ndarray]]) -> go.Figure:
    """Share of generated digits per predicted class, one bar group per run, uniform = 10%."""
    fig = go.Figure()
    palette = (G_COLOUR, D_COLOUR, REAL_COLOUR, "#f39c12", "#16a085")
    for i, (name, hist) in enumerate(rows):
        fig.add_bar(x=[str(c) for c in range(10)], y=100 * np.asarray(hist), name=name,
                    marker_color=palette[i % len(palette)])
    fig.add_hline(y=10, line=dict(color="#555", dash="dash", width=1.5),
                  annotation_text=t("mode_collapse.uniform"), annotation_position="top right")
    fig.update_layout(
        title=dict(text=t("mode_collapse.hist_title"), x=0.01, font=dict(size=15)), height=320,
        barmode="group",
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title=t("mode_collapse.digit_class")), yaxis=dict(title=t("mode_collapse.share_pct")),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    return fig
