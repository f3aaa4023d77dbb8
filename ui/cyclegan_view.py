"""Streamlit side of the CycleGAN studio: shared model/result caches and figure builders.

Standard generators are loaded once per process (``st.cache_resource``, shared by every
session, used only under ``torch.inference_mode``); the fast mode keeps its own per-process
cache in ``gan_core.cyclegan.fast``. Results are cached by (image SHA-256, model, size, fast)
with ``st.cache_data``, so a rerun with the same choices costs a dictionary lookup.
"""
from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gan_core import cyclegan
from ui.i18n import t


@st.cache_resource(max_entries=4, show_spinner=False)
def generator(name: str):
    """The generator ``name`` (must be on disk), loaded once per process."""
    return cyclegan.load_generator(name)


@st.cache_data(max_entries=48, show_spinner=False)
def translation(digest: str, model: str, size: str, preview: bool,
                _pixels: np.ndarray) -> cyclegan.Translation:
    """``cyclegan.translate`` keyed on the image's SHA-256 (the pixels themselves are not hashed)."""
    gen = cyclegan.fast_mode(model).generator if preview else generator(model)
    return cyclegan.translate(gen, _pixels, size)


@st.cache_data(max_entries=16, show_spinner=False)
def cycle(digest: str, model: str, reverse: str, size: str, _pixels: np.ndarray) -> cyclegan.Cycle:
    return cyclegan.cycle(generator(model), generator(reverse), _pixels, size)


@st.cache_resource(ttl=600, show_spinner=False)
def zoo_online() -> bool:
    """Whether the model zoo answers, asked at most once per 10 minutes per process."""
    return cyclegan.zoo_reachable()


def model_error(err: cyclegan.ModelError) -> str:
    return t(f"cyclegan.err_{err.code}", name=err.params.get("name", ""), default=cyclegan.DEFAULT_MODEL)


def difference_figure(diff: np.ndarray) -> go.Figure:
    """Heatmap of |output - input| per pixel (0 = unchanged, 1 = black <-> white)."""
    fig = go.Figure(go.Heatmap(z=diff, colorscale="Inferno", zmin=0, zmax=max(0.05, float(diff.max())),
                               colorbar=dict(title=t("cyclegan.diff_scale"), thickness=12),
                               hovertemplate="x=%{x} y=%{y}<br>%{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(height=320, margin=dict(l=0, r=0, t=10, b=0), template="plotly_white")
    return fig


def losses_dot() -> str:
    """Graphviz DOT: both cycles (X -> Y -> X, Y -> X -> Y), the two discriminators and where
    each of the four losses is measured; horse <-> zebra as the example."""
    q = lambda key: t(f"cyclegan.{key}").replace('"', "'")  # noqa: E731
    return f"""digraph cyclegan {{
  rankdir=LR; bgcolor="transparent"; nodesep=0.3; ranksep=0.5;
  node [fontname="sans-serif", fontsize=11, shape=box, style="rounded,filled"];
  edge [fontname="sans-serif", fontsize=10];
  x [label="{q('dia_x')}", fillcolor="#f3e9d2"];
  gx [label="G(x)", fillcolor="#dfe7f5"];
  fgx [label="F(G(x))", fillcolor="#f3e9d2"];
  y [label="{q('dia_y')}", fillcolor="#dfe7f5"];
  fy [label="F(y)", fillcolor="#f3e9d2"];
  gfy [label="G(F(y))", fillcolor="#dfe7f5"];
  fx [label="F(x) ≈ x", fillcolor="#fff6d6"];
  gy [label="G(y) ≈ y", fillcolor="#fff6d6"];
  dy [label="D_Y", shape=diamond, fillcolor="#f8d7dc"];
  dx [label="D_X", shape=diamond, fillcolor="#f8d7dc"];
  {{ rank=same; x; y; }}
  x -> y [style=invis];
  x -> gx [label="G", color="#5b4bdb"]; gx -> fgx [label="F", color="#5b4bdb"];
  y -> fy [label="F", color="#5b4bdb"]; fy -> gfy [label="G", color="#5b4bdb"];
  gx -> dy [label="{q('dia_adv_y')}", color="#d1495b", fontcolor="#d1495b"];
  fy -> dx [label="{q('dia_adv_x')}", color="#d1495b", fontcolor="#d1495b"];
  fgx -> x [label="{q('dia_cycle')}", style=dashed, color="#2e8b57", fontcolor="#2e8b57", constraint=false];
  gfy -> y [label="{q('dia_cycle')}", style=dashed, color="#2e8b57", fontcolor="#2e8b57", constraint=false];
  x -> fx [label="F: {q('dia_identity')}", color="#b8860b", fontcolor="#b8860b"];
  y -> gy [label="G: {q('dia_identity')}", color="#b8860b", fontcolor="#b8860b"];
}}"""


# ---- page blocks ------------------------------------------------------------------------------
def download_with_progress(name: str) -> bool:
    """Download a zoo model with an st.progress bar; a translated error on failure."""
    bar = st.progress(0.0, text=t("cyclegan.downloading", name=name))
    shown = [-1]

    def progress(done: int, total: int | None) -> None:
        frac = min(done / total, 1.0) if total else 0.0
        if int(frac * 100) != shown[0]:  # at most ~100 updates to the browser
            shown[0] = int(frac * 100)
            bar.progress(frac, text=t("cyclegan.downloading_mb", name=name, mb=f"{done / 2**20:.1f}"))

    try:
        cyclegan.download(name, progress=progress)
    except cyclegan.ModelError as err:
        bar.empty()
        st.error(model_error(err), icon=":material/cloud_off:")
        return False
    bar.progress(1.0, text=t("cyclegan.downloaded", name=name))
    return True


def model_ready(name: str, key: str) -> bool:
    """True when ``name`` is on disk; otherwise offer a download button (zoo models only)."""
    if cyclegan.is_available(name):
        return True
    if name == cyclegan.DEFAULT_MODEL:
        st.error(model_error(cyclegan.ModelError("missing_package")))
        return False
    st.info(t("cyclegan.needs_download", name=name), icon=":material/cloud_download:")
    if st.button(t("cyclegan.download_model", name=name), key=key, icon=":material/download:"):
        return download_with_progress(name)
    return False


def translated(img, model: str, size: str, preview: bool):
    """(Translation, wall seconds) from the cache or a fresh run; (None, 0) after an error."""
    t0 = time.perf_counter()
    try:
        if preview:  # converted once per model and process: the first time takes seconds
            with st.spinner(t("cyclegan.preparing_fast")):
                cyclegan.fast_mode(model)
        with st.spinner(t("cyclegan.running", size=size)):
            res = translation(img.sha256, model, size, preview, img.pixels)
    except cyclegan.ModelError as err:
        st.error(model_error(err), icon=":material/error:")
        return None, 0.0
    except Exception:  # out of memory or an engine failure: say so, keep the page
        st.error(t("cyclegan.err_failed"), icon=":material/error:")
        return None, 0.0
    return res, time.perf_counter() - t0


def latency(res: cyclegan.Translation, wall: float, model: str, preview: bool) -> None:
    """Time per photo, working size, whether this came from the cache, and in fast mode which
    engine ran (engine details such as GFLOP/s are for the bench, not the page)."""
    h, w = res.output.shape[:2]
    c1, c2 = st.columns(2)
    c1.metric(t("cyclegan.latency"), f"{res.seconds:.2f} s")
    c2.metric(t("cyclegan.working_size"), f"{w}×{h}")
    if wall < 0.1 and res.seconds > wall:
        st.caption(t("cyclegan.from_cache", ms=f"{wall * 1000:.0f}"))
    if res.engine == "openvino":
        st.caption(t("cyclegan.preview_note"))
    elif preview:  # fell back to PyTorch: say why (cheap then: nothing was compiled)
        st.caption(t(f"cyclegan.fast_{cyclegan.fast_mode(model).reason}"))


def cycle_section(img, model: str, size: str) -> None:
    """x -> G(x) -> F(G(x)) and the identity mapping F(x), when the reverse model exists."""
    reverse = cyclegan.REVERSE.get(model)
    if reverse is None:
        return
    st.subheader(t("cyclegan.cycle_title"))
    st.caption(t("cyclegan.cycle_caption", g=model, f=reverse))
    if not model_ready(reverse, key="cg_dl_reverse"):
        return
    try:
        with st.spinner(t("cyclegan.running", size=size)):
            cyc = cycle(img.sha256, model, reverse, size, img.pixels)
    except cyclegan.ModelError as err:
        st.error(model_error(err), icon=":material/error:")
        return
    except Exception:  # as above
        st.error(t("cyclegan.err_failed"), icon=":material/error:")
        return
    cols = st.columns(4)
    cols[0].image(cyc.x, caption="x", width="stretch")
    cols[1].image(cyc.g_x, caption=f"G(x) · {model}", width="stretch")
    cols[2].image(cyc.f_g_x, caption=f"F(G(x)) · {reverse}", width="stretch")
    cols[3].image(cyc.f_x, caption=t("cyclegan.identity_caption"), width="stretch")
    c1, c2 = st.columns(2)
    c1.metric(t("cyclegan.recon_error"), f"{cyc.recon_error:.1f} / 255")
    c2.metric(t("cyclegan.identity_error"), f"{cyc.identity_error:.1f} / 255")
    st.caption(t("cyclegan.cycle_explain"))
