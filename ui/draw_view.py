"""The mode-collapse page's drawing board: the student fills cells of a lattice to make 2D data.

A Plotly chart of the lattice with selection turned on: a click on a dot, a box or a lasso
fills the cells under it (or empties them with the eraser). Each stroke reruns the page, the
drawing (gan_core.drawing's short code) goes into the session and the page's link, and the
chart is drawn again under a new key so the stroke's selection is gone.
"""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from gan_core import drawing
from gan_core.config import EXAMPLE_DRAWING
from ui.figures import G_COLOUR, REAL_COLOUR
from ui.i18n import option_label, t

CODE_KEY = "mc_drawing"  # the drawing in use (its code; "" when everything was erased)
STROKES_KEY = "mc_strokes"  # strokes so far: part of the canvas's key
TOOL_KEY = "mc_draw_tool"
TOOLS = ("add", "erase")
URL_PARAM = "drawn"
PALETTE = (REAL_COLOUR, G_COLOUR, "#f39c12", "#8e44ad", "#16a085", "#c0392b", "#2c3e50", "#d35400")


def link_code() -> tuple[str | None, bool]:
    """(the link's drawing or None, whether the link held text that is not a drawing)."""
    raw = st.query_params.get(URL_PARAM)
    if raw is None:
        return None, False
    try:
        return drawing.encode(drawing.decode(raw)), False
    except drawing.DrawingError:
        return None, True


def opens_on_drawing() -> bool:
    """A link with a drawing opens the page on it (one that can't be read: on the example,
    with a sentence saying so)."""
    return URL_PARAM in st.query_params


def current_code() -> str:
    """The session's drawing; on the first visit the link's, else the example (three blobs)."""
    if CODE_KEY not in st.session_state:
        code, bad = link_code()
        if bad:
            st.warning(t("mode_collapse.draw_bad_link"), icon=":material/warning:")
        st.session_state[CODE_KEY] = code or EXAMPLE_DRAWING
    return st.session_state[CODE_KEY]


def _cells(code: str) -> list[tuple[int, int]]:
    try:
        return drawing.decode(code) if code else []
    except drawing.DrawingError:
        return []


def canvas_figure(cells: list[tuple[int, int]]) -> go.Figure:
    """Every lattice point as a faint dot, the filled cells coloured by the mode they make."""
    grid = [drawing.cell_xy(i, j) for j in range(drawing.SIDE) for i in range(drawing.SIDE)]
    fig = go.Figure()
    fig.add_scatter(x=[p[0] for p in grid], y=[p[1] for p in grid], mode="markers",
                    hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>",
                    marker=dict(size=7, color="rgba(120,120,120,0.22)"), name=t("mode_collapse.draw_empty"),
                    showlegend=False)
    labels = drawing.groups(cells)
    colours = [PALETTE[m % len(PALETTE)] for m in labels]
    xy = [drawing.cell_xy(i, j) for i, j in cells]
    fig.add_scatter(x=[p[0] for p in xy], y=[p[1] for p in xy], mode="markers", hoverinfo="none",
                    marker=dict(size=13, color=colours, line=dict(color="white", width=1)),
                    name=t("mode_collapse.draw_filled"), showlegend=False)
    e = drawing.EXTENT + 0.3
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=10, b=10), dragmode="select",
                      clickmode="event+select", showlegend=False,
                      xaxis=dict(range=[-e, e], zeroline=False, constrain="domain", fixedrange=True),
                      yaxis=dict(range=[-e, e], zeroline=False, scaleanchor="x", fixedrange=True))
    return fig


def apply_stroke(code: str, points: list[dict], erase: bool) -> str:
    """The drawing after a stroke: the cells under the selected points filled (or emptied)."""
    cells = set(_cells(code))
    touched = {drawing.nearest_cell(float(p["x"]), float(p["y"])) for p in points
               if isinstance(p, dict) and "x" in p and "y" in p}
    cells = cells - touched if erase else cells | touched
    return drawing.encode(sorted(cells)) if cells else ""


def _set(code: str) -> None:
    st.session_state[CODE_KEY] = code
    st.session_state[STROKES_KEY] = st.session_state.get(STROKES_KEY, 0) + 1


def editor() -> str:
    """The board with its tools; returns the drawing's code ("" when nothing is drawn)."""
    code = current_code()
    st.markdown(t("mode_collapse.draw_intro"))
    c1, c2, c3 = st.columns([2, 1, 1])
    tool = c1.segmented_control(t("mode_collapse.draw_tool"), TOOLS, default="add", key=TOOL_KEY,
                                format_func=option_label("mode_collapse.draw_tool_"))
    if c2.button(t("mode_collapse.draw_example"), icon=":material/scatter_plot:", key="mc_draw_example"):
        _set(EXAMPLE_DRAWING)
        st.rerun()
    if c3.button(t("mode_collapse.draw_clear"), icon=":material/delete:", key="mc_draw_clear"):
        _set("")
        st.rerun()
    key = f"mc_canvas_{st.session_state.get(STROKES_KEY, 0)}"
    event = st.plotly_chart(canvas_figure(_cells(code)), key=key, on_select="rerun",
                            selection_mode=("points", "box", "lasso"), width="stretch",
                            config={"displaylogo": False})
    points = event.get("selection", {}).get("points", []) if event else []
    if points:
        new = apply_stroke(code, points, erase=(tool == "erase"))
        if new != code:
            _set(new)
            st.rerun()
    if code:
        st.query_params[URL_PARAM] = code
    elif URL_PARAM in st.query_params:
        del st.query_params[URL_PARAM]
    return code


def forget_link() -> None:
    """Another data set is shown: the link no longer carries a drawing."""
    if URL_PARAM in st.query_params:
        del st.query_params[URL_PARAM]


def geometry_caption(code: str) -> str:
    cells = _cells(code)
    n_modes = max(drawing.groups(cells), default=-1) + 1
    return t("mode_collapse.geometry_drawn", modes=n_modes, cells=len(cells), sigma=f"{drawing.SIGMA:g}",
             radius=f"{3 * drawing.SIGMA:g}")
