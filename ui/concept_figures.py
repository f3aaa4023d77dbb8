"""Plotly figures for the concept pages (police game, training stepper, minimax explorer).

Only drawing here: every number comes from gan_core.theory, gan_core.toy1d or
gan_core.procedure. Colours follow ui.figures (police/D red, counterfeiter/G purple, real green).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gan_core import theory
from ui.figures import D_COLOUR, G_COLOUR, REAL_COLOUR
from ui.i18n import t

GREY = "#888"


def _layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.01, y=0.985, yanchor="top", font=dict(size=15)), height=height,
        margin=dict(l=10, r=10, t=78, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0.0),
    )
    return fig


# ---- the police game / 1D GAN -----------------------------------------------------------------
def game_figure(view) -> go.Figure:
    """Real and fake feature densities, with the police's decision curve D(x) on the right axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=view.xs, y=view.p_data, name=t("analogy.fig_real"), fill="tozeroy",
                    line=dict(color=REAL_COLOUR, width=2), secondary_y=False)
    fig.add_scatter(x=view.xs, y=view.p_g, name=t("analogy.fig_fake"), fill="tozeroy",
                    line=dict(color=G_COLOUR, width=2), secondary_y=False)
    fig.add_scatter(x=view.xs, y=view.d_curve, name=t("analogy.fig_police"),
                    line=dict(color=D_COLOUR, width=3), secondary_y=True)
    fig.add_hline(y=0.5, line=dict(color=GREY, dash="dash", width=1), secondary_y=True)
    fig.update_yaxes(title_text=t("analogy.fig_density"), rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text=t("analogy.fig_d"), range=[0, 1.02], secondary_y=True, showgrid=False,
                     tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_xaxes(title_text=t("analogy.fig_feature"))
    return _layout(fig, t("analogy.fig_title", step=view.step, d_steps=view.d_steps), height=380)


def rounds_figure(rounds) -> go.Figure:
    """Per round: share of fakes that got through, mean D on real and on fake bills."""
    fig = go.Figure()
    x = [r.round for r in rounds]
    fig.add_scatter(x=x, y=[r.pass_rate for r in rounds], name=t("analogy.fig_pass"), mode="lines+markers",
                    line=dict(color=G_COLOUR, width=2))
    fig.add_scatter(x=x, y=[r.d_real for r in rounds], name=t("analogy.fig_d_real"), mode="lines",
                    line=dict(color=REAL_COLOUR, width=2))
    fig.add_scatter(x=x, y=[r.d_fake for r in rounds], name=t("analogy.fig_d_fake"), mode="lines",
                    line=dict(color=D_COLOUR, width=2, dash="dot"))
    fig.add_hline(y=0.5, line=dict(color=GREY, dash="dash", width=1))
    fig.update_yaxes(range=[0, 1.02])
    fig.update_xaxes(title_text=t("analogy.fig_round"), tickformat="d")
    return _layout(fig, t("analogy.fig_rounds"), height=260)


def fig1_figure(view) -> go.Figure:
    """Goodfellow et al. (2014), figure 1 style: p_data, p_g and D(x) above; the z -> x map below."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.04)
    # the analogy page's colours: real data green, the generator's fakes purple, D red
    fig.add_scatter(x=view.xs[::4], y=view.p_data[::4], mode="markers", name=t("minimax.fig1_data"),
                    marker=dict(color=REAL_COLOUR, size=4), row=1, col=1)
    fig.add_scatter(x=view.xs, y=view.p_g, mode="lines", name=t("minimax.fig1_g"),
                    line=dict(color=G_COLOUR, width=2.5), row=1, col=1)
    fig.add_scatter(x=view.xs, y=view.d_curve, mode="lines", name="D(x)",
                    line=dict(color=D_COLOUR, width=2.5, dash="dash"), row=1, col=1)
    xs_map, ys_map = [], []
    for z, x in zip(view.z_lines, view.x_lines, strict=True):
        xs_map += [float(z), float(x), None]
        ys_map += [0.0, 1.0, None]
    fig.add_scatter(x=xs_map, y=ys_map, mode="lines", line=dict(color=GREY, width=1),
                    name=t("minimax.fig1_map"), row=2, col=1)
    fig.add_scatter(x=view.z_lines, y=np.zeros_like(view.z_lines), mode="markers", showlegend=False,
                    marker=dict(color="black", size=5), row=2, col=1)
    fig.update_yaxes(range=[-0.15, 1.15], tickvals=[0, 1], ticktext=["z", "x"], row=2, col=1)
    top = max(1.0, float(np.max(view.p_data)), float(np.max(view.p_g)) if len(view.p_g) else 0.0)
    fig.update_yaxes(range=[0, top * 1.05], row=1, col=1)
    fig.update_xaxes(range=[float(view.xs[0]), float(view.xs[-1])])
    return _layout(fig, t("minimax.fig1_title", step=view.step), height=430)


# ---- the minimax explorer -------------------------------------------------------------------
CURVE_STYLE = {
    "log_d": (REAL_COLOUR, "solid"),
    "log_1md": (D_COLOUR, "solid"),
    "neg_log_d": (G_COLOUR, "dash"),
}


def curves_figure(d: float) -> go.Figure:
    """log d, log(1-d) and -log d over d in (0, 1), with the marker and each tangent at it."""
    grid = np.linspace(0.002, 0.998, 400)
    fig = go.Figure()
    reading = theory.read_marker(d)
    for name in theory.CURVES:
        colour, dash = CURVE_STYLE[name]
        label = t(f"minimax.curve_{name}")
        fig.add_scatter(x=grid, y=theory.curve(name, grid), name=label, mode="lines",
                        line=dict(color=colour, width=2.5, dash=dash))
        y0, m = reading.values[name], reading.slopes[name]
        half = 0.08
        xs = np.array([max(0.001, d - half), min(0.999, d + half)])
        fig.add_scatter(x=xs, y=y0 + m * (xs - d), mode="lines", showlegend=False, hoverinfo="skip",
                        line=dict(color=colour, width=1.5, dash="dot"))
        fig.add_scatter(x=[d], y=[y0], mode="markers", showlegend=False,
                        marker=dict(color=colour, size=10, line=dict(color="white", width=1)),
                        hovertemplate=f"{label}<br>d=%{{x:.3f}}<br>%{{y:.3f}}<extra></extra>")
    fig.add_vline(x=d, line=dict(color=GREY, dash="dot", width=1))
    fig.update_yaxes(range=[-6, 6], title_text=t("minimax.curve_y"))
    fig.update_xaxes(range=[0, 1], title_text=t("minimax.curve_x"))
    return _layout(fig, t("minimax.curves_title"), height=380)


def logit_signal_figure(d: float) -> go.Figure:
    """How much gradient reaches G through D's logit, for both G losses, over d."""
    grid = np.linspace(0.002, 0.998, 300)
    fig = go.Figure()
    for name in ("log_1md", "neg_log_d"):
        colour, dash = CURVE_STYLE[name]
        fig.add_scatter(x=grid, y=np.abs(theory.logit_slope(name, grid)), mode="lines",
                        name=t(f"minimax.signal_{name}"), line=dict(color=colour, width=2.5, dash=dash))
        fig.add_scatter(x=[d], y=[abs(float(theory.logit_slope(name, d)))], mode="markers",
                        showlegend=False, marker=dict(color=colour, size=10))
    fig.add_vline(x=d, line=dict(color=GREY, dash="dot", width=1))
    fig.update_yaxes(range=[0, 1.05], title_text=t("minimax.signal_y"))
    fig.update_xaxes(range=[0, 1], title_text=t("minimax.curve_x"))
    return _layout(fig, t("minimax.signal_title"), height=300)


def optimum_figure(rep) -> go.Figure:
    """p_data and p_g with the optimal discriminator D*(x) on the right axis."""
    x, step = rep.x, max(1, len(rep.x) // 1500)
    peak = np.maximum(rep.p_data, rep.p_g)
    seen = np.flatnonzero(peak > 1e-3 * peak.max())  # crop the far tails the integral still covers
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=x[::step], y=rep.p_data[::step], name="p_data", fill="tozeroy",
                    line=dict(color=REAL_COLOUR, width=2), secondary_y=False)
    fig.add_scatter(x=x[::step], y=rep.p_g[::step], name="p_g", fill="tozeroy",
                    line=dict(color=G_COLOUR, width=2), secondary_y=False)
    fig.add_scatter(x=x[::step], y=rep.d_star[::step], name="D*(x)", line=dict(color=D_COLOUR, width=3),
                    secondary_y=True)
    fig.add_hline(y=0.5, line=dict(color=GREY, dash="dash", width=1), secondary_y=True)
    fig.update_yaxes(title_text=t("analogy.fig_density"), rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="D*(x)", range=[0, 1.02], secondary_y=True, showgrid=False,
                     tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_xaxes(title_text="x", range=[float(x[seen[0]]), float(x[seen[-1]])])
    return _layout(fig, t("minimax.opt_title"), height=360)


# ---- the stepper ------------------------------------------------------------------------------
def toy_step_figure(step, real_ref: np.ndarray | None = None) -> go.Figure:
    """A 2D sub-step: D's map (after the sub-step), the batch coloured by its label, and for G the
    direction its loss pushes every fake."""
    from gan_core.procedure import HEAT_LIM, HEAT_N

    fig = go.Figure()
    if step.heat is not None:
        ax = np.linspace(-HEAT_LIM, HEAT_LIM, HEAT_N)
        fig.add_heatmap(x=ax, y=ax, z=step.heat, zmin=0, zmax=1, colorscale="RdBu", opacity=0.55,
                        colorbar=dict(title=t("procedure.fig_colorbar"), len=0.8), hoverinfo="skip")
    if real_ref is not None:
        fig.add_scatter(x=real_ref[:, 0], y=real_ref[:, 1], mode="markers", name=t("procedure.fig_all_real"),
                        marker=dict(color=REAL_COLOUR, size=3, opacity=0.25))
    pts = step.batch
    is_real = step.kind == "d_real"
    fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="markers",
                    name=t("procedure.fig_batch_real") if is_real else t("procedure.fig_batch_fake"),
                    marker=dict(color=REAL_COLOUR if is_real else G_COLOUR, size=8,
                                line=dict(color="white", width=1)))
    if step.arrows is not None:
        a = step.arrows
        scale = 0.6 / max(1e-12, float(np.linalg.norm(a, axis=1).max()))
        xs, ys = [], []
        for (x0, y0), (dx, dy) in zip(pts, a * scale, strict=True):
            xs += [float(x0), float(x0 + dx), None]
            ys += [float(y0), float(y0 + dy), None]
        fig.add_scatter(x=xs, y=ys, mode="lines", name=t("procedure.fig_push"),
                        line=dict(color="black", width=1.5))
        after = step.extra.get("batch_after")
        if after is not None:
            fig.add_scatter(x=after[:, 0], y=after[:, 1], mode="markers", name=t("procedure.fig_batch_after"),
                            marker=dict(color=G_COLOUR, size=6, symbol="x"))
    lim = HEAT_LIM
    fig.update_xaxes(range=[-lim, lim], constrain="domain")
    fig.update_yaxes(range=[-lim, lim], scaleanchor="x", scaleratio=1)
    _layout(fig, t("procedure.fig_map"), height=480)
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.08, xanchor="left", x=0.0))
    return fig


def d_shift_figure(step) -> go.Figure:
    """D's output on this sub-step's batch, before and after (sorted, one dot per sample)."""
    fig = go.Figure()
    idx = np.arange(len(step.d_before))
    order = np.argsort(step.d_before)
    fig.add_scatter(x=idx, y=step.d_before[order], mode="markers", name=t("procedure.before"),
                    marker=dict(color=GREY, size=6))
    fig.add_scatter(x=idx, y=step.d_after[order], mode="markers", name=t("procedure.after"),
                    marker=dict(color=D_COLOUR if step.updates == "D" else G_COLOUR, size=6,
                                symbol="diamond"))
    both = np.concatenate([step.d_before, step.d_after])
    lo, hi = float(both.min()), float(both.max())
    pad = max(0.02, 0.15 * (hi - lo))
    lo, hi = max(-0.01, lo - pad), min(1.01, hi + pad)  # zoomed: one update moves D only a little
    if lo <= step.label <= hi:
        fig.add_hline(y=step.label, line=dict(color=REAL_COLOUR, width=1.5))
    arrow = " ↑" if step.label > hi else " ↓" if step.label < lo else ""
    fig.add_annotation(text=t("procedure.target", label=f"{step.label:g}") + arrow,
                       xref="paper", yref="paper", x=0.0, y=1.0 if step.label >= 0.5 else 0.0,
                       showarrow=False, xanchor="left", yanchor="top" if step.label >= 0.5 else "bottom",
                       font=dict(color=REAL_COLOUR))
    fig.update_yaxes(range=[lo, hi], title_text="D(·)")
    fig.update_xaxes(title_text=t("procedure.fig_sample"), showticklabels=False)
    return _layout(fig, t("procedure.fig_shift"), height=300)


def grad_figure(step) -> go.Figure:
    """Gradient norm per layer: this sub-step's own gradient (and the one applied, for D)."""
    names = [n for n, _ in step.layer_grads]
    fig = go.Figure()
    colour = G_COLOUR if step.kind == "g" else D_COLOUR
    fig.add_bar(y=names, x=[v for _, v in step.layer_grads], orientation="h", marker_color=colour,
                name=t("procedure.grad_this"))
    if step.kind == "d_fake" and step.applied_grads:
        fig.add_bar(y=names, x=[v for _, v in step.applied_grads], orientation="h", marker_color=GREY,
                    name=t("procedure.grad_applied"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=t("procedure.grad_x"))
    return _layout(fig, t("procedure.grad_title"), height=260)
