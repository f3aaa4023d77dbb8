"""Neural style transfer on the GAN family page: pick a content photo and a style picture, weight
the three losses, optimise, watch the curves; then compare the method with CycleGAN.

``show()`` draws the whole section. A first visit shows the shipped example (astronaut x swirls,
made by ``python -m gan_core style-example``) without pressing anything. A run goes to the
server's ``StyleRunner`` (a background thread, one torch thread, one unfinished run per session,
a few at a time for the whole class); the job lives in session_state, so a rerun in the middle
(a slider moved, another button) neither stops it nor loses its picture.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gan_core import style_jobs as sj
from gan_core import style_transfer as stx
from gan_core.style_paintings import PAINTINGS, painting
from ui import present, session, uploads
from ui.family_view import link
from ui.i18n import current_lang, option_label, t

JOB = "stx_job"  # session_state: the session's latest StyleJob
SHOWN = "stx_shown"  # session_state: the finished result on show (dict), else the shipped example
POLL_SECONDS = 0.7
COLOURS = {"content": "#4c78a8", "style": "#e45756", "tv": "#54a24b", "total": "#6b6b6b"}
UPLOAD_SIDE = 1024  # JPEGs are decoded at a reduced scale: the run uses 160 px at most


@st.cache_data(show_spinner=False, max_entries=16)
def _painting(name: str) -> np.ndarray:
    return painting(name, 256)


@st.cache_data(show_spinner=False, max_entries=8)
def _sample_bytes(name: str) -> bytes:
    return (sj.SAMPLES_DIR / name).read_bytes()


@st.cache_data(show_spinner=False)
def _example() -> dict | None:
    """The shipped example with its inputs at working size, or None if it is missing."""
    ex = sj.shipped_example()
    if ex is None:
        return None
    content, style = sj.example_inputs()
    size = ex["config"].size
    return {"image": ex["image"], "history": ex["history"], "config": ex["config"], "status": "ok",
            "content": stx.fit_content(content, size), "style": stx.fit_style(style, size),
            "seconds": ex["seconds"], "example": True}


def _pictures() -> tuple[np.ndarray | None, np.ndarray | None]:
    """The content and style pickers; (content pixels, style pixels), None where missing."""
    lang = current_lang()
    st.markdown(t("style.content_pick"))
    src = st.radio(t("style.source"), ["sample", "upload"], key="stx_content_src", horizontal=True,
                   format_func=option_label("style.content_src_"), label_visibility="collapsed")
    if src == "upload":
        img = uploads.image_uploader(t("style.upload_content"), key="stx_upload_content",
                                     reduce_to=UPLOAD_SIDE)
        content = None if img is None else img.pixels
    else:
        name = st.selectbox(t("style.sample"), sj.CONTENT_SAMPLES, key="stx_sample",
                            format_func=lambda f, lang=lang: t(f"style.sample_{f.split('.')[0]}", lang=lang))
        img = uploads.read_image(_sample_bytes(name), show_notices=False)
        content = None if img is None else img.pixels
    st.markdown(t("style.style_pick"))
    src = st.radio(t("style.source"), ["painting", "upload"], key="stx_style_src", horizontal=True,
                   format_func=option_label("style.style_src_"), label_visibility="collapsed")
    if src == "upload":
        img = uploads.image_uploader(t("style.upload_style"), key="stx_upload_style", reduce_to=UPLOAD_SIDE)
        style = None if img is None else img.pixels
    else:
        name = st.selectbox(t("style.painting"), PAINTINGS, key="stx_painting",
                            format_func=option_label("style.painting_"), help=t("style.painting_help"))
        style = _painting(name)
    return content, style


def _settings(busy: bool) -> stx.StyleConfig | None:
    """Sliders for the three weights and the steps; the config when Paint is pressed."""
    d = stx.StyleConfig()
    with st.form("stx_form", border=True):
        wc = st.slider(t("style.w_content"), 0.0, 10.0, d.content_weight, 0.5, key="stx_wc",
                       help=t("style.w_content_help"))
        ws = st.slider(t("style.w_style"), 0.0, 50.0, d.style_weight, 0.5, key="stx_ws",
                       help=t("style.w_style_help"))
        wt = st.slider(t("style.w_tv"), 0.0, 2.0, d.tv_weight, 0.05, key="stx_wt", help=t("style.w_tv_help"))
        steps = st.slider(t("style.steps"), 10, stx.MAX_STEPS, d.steps, 10, key="stx_steps",
                          help=t("style.steps_help", most=stx.MAX_STEPS))
        c1, c2 = st.columns(2)
        init = c1.radio(t("style.init"), stx.INITS, key="stx_init", format_func=option_label("style.init_"))
        size = c2.radio(t("style.size"), stx.SIZES, index=stx.SIZES.index(d.size), key="stx_size",
                        format_func=lambda s: f"{s} px")
        pressed = st.form_submit_button(t("style.run"), icon=":material/brush:", type="primary",
                                        disabled=busy)
    if not pressed:
        return None
    cfg = d.replace(content_weight=wc, style_weight=ws, tv_weight=wt, steps=int(steps), init=init, size=size)
    try:
        return stx.validate(cfg)
    except stx.StyleError as err:
        st.error(t("style.err_setting", key=t(f"style.key_{err.key}")), icon=":material/error:")
        return None


def _start(content, style, cfg: stx.StyleConfig) -> None:
    if content is None or style is None:
        st.warning(t("style.pick_both"), icon=":material/image:")
        return
    try:
        job = sj.default_runner().submit(session.session_id(), content, style, cfg)
    except sj.Busy:
        st.warning(t("style.busy"), icon=":material/hourglass_top:")
        return
    st.session_state[JOB] = job
    st.session_state["stx_inputs"] = (stx.fit_content(content, cfg.size), stx.fit_style(style, cfg.size))
    st.session_state.pop("stx_seen", None)


def _collect() -> None:
    """A finished job's result becomes the one on show (once), with its inputs."""
    job = st.session_state.get(JOB)
    if job is None or not job.finished or st.session_state.get("stx_seen") is job:
        return
    st.session_state["stx_seen"] = job
    content, style = st.session_state.get("stx_inputs", (None, None))
    r = job.result
    if r is not None and r.steps_done:
        st.session_state[SHOWN] = {"image": r.image, "history": r.history, "config": r.config,
                                   "status": r.status, "content": content, "style": style,
                                   "seconds": r.seconds, "example": False}


def loss_figure(history: dict[str, np.ndarray], cfg: stx.StyleConfig) -> go.Figure:
    """The three losses (unweighted: a loss weighted 0 is still measured) and the weighted total."""
    fig = go.Figure()
    weights = {"content": cfg.content_weight, "style": cfg.style_weight, "tv": cfg.tv_weight}
    for name in (*stx.LOSSES, "total"):
        label = t(f"style.loss_{name}")
        if name in weights:
            label = t("style.legend_weighted", name=label, w=f"{weights[name]:g}")
        y = np.asarray(history[name], dtype=np.float64)
        y = np.where(y > 0, y, np.nan)  # a log axis has no 0 (the content loss of the first step)
        fig.add_scatter(x=history["step"], y=y, mode="lines", name=label,
                        line=dict(color=COLOURS[name], width=2 if name != "total" else 1.4,
                                  dash="dot" if name == "total" else None))
    fig.update_yaxes(type="log", title=t("style.loss_axis"))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10), xaxis_title=t("style.step_axis"),
                      title=dict(text=t("style.curves_title"), x=0.01, font=dict(size=14)),
                      legend=dict(orientation="h", yanchor="top", y=-0.25, font=dict(size=11)))
    return fig


def _pictures_row(content, style, result, result_caption: str) -> None:
    c1, c2, c3 = st.columns(3)
    if content is not None:
        c1.image(content, caption=t("style.content_caption"), width="stretch")
    if style is not None:
        c2.image(style, caption=t("style.style_caption"), width="stretch")
    if result is not None:
        c3.image(result, caption=result_caption, width="stretch")


def _shown() -> None:
    """The finished result on show (or the shipped example), its curves and one line about it."""
    shown = st.session_state.get(SHOWN) or _example()
    if shown is None:
        st.info(t("style.no_example"), icon=":material/info:")
        return
    cfg, h = shown["config"], shown["history"]
    caption = t("style.result_example") if shown["example"] else t("style.result_caption")
    _pictures_row(shown["content"], shown["style"], shown["image"], caption)
    steps = int(h["step"][-1]) if len(h["step"]) else 0
    if shown["status"] == "diverged":
        st.warning(t("style.diverged", step=steps + 1), icon=":material/warning:")
    elif shown["status"] == "stopped":
        st.info(t("style.stopped", step=steps, steps=cfg.steps), icon=":material/stop_circle:")
    key = "style.example_line" if shown["example"] else "style.done_line"
    st.caption(t(key, steps=steps, seconds=f"{shown['seconds']:.1f}", size=cfg.size,
                 first=f"{h['total'][0]:.3g}", last=f"{h['total'][-1]:.3g}") + " "
               + t("style.features_caption", seed=stx.NET_SEED))
    st.plotly_chart(loss_figure(h, cfg), width="stretch", key="stx_curves")


@st.fragment(run_every=POLL_SECONDS)
def _live() -> None:
    """While the session's run is queued or running: its place, progress, preview and curves."""
    job = st.session_state.get(JOB)
    if job is None or job.finished:
        st.rerun()  # the whole section: show the finished result and stop polling
    if job.state == "queued":
        st.info(t("style.queued", ahead=sj.default_runner().ahead(job)), icon=":material/hourglass_top:")
    else:
        st.progress(job.step / job.config.steps, text=t("style.progress", step=job.step,
                                                        steps=job.config.steps))
    if st.button(t("style.stop"), icon=":material/stop:", key="stx_stop", disabled=job.stop_event.is_set()):
        job.stop()
    content, style = st.session_state.get("stx_inputs", (None, None))
    _pictures_row(content, style, job.preview, t("style.preview_caption", step=job.step))
    h = job.history()
    if len(h["step"]):
        st.plotly_chart(loss_figure(h, job.config), width="stretch", key="stx_live_curves")


def comparison() -> None:
    """Style transfer vs CycleGAN, row by row, and the way to the CycleGAN studio."""
    st.subheader(t("style.vs_title"))
    rows = ("what", "data", "time", "losses", "network", "gan")
    st.table({"": [t(f"style.row_{r}") for r in rows],
              t("style.col_nst"): [t(f"style.nst_{r}") for r in rows],
              "CycleGAN": [t(f"style.cyc_{r}") for r in rows]})
    link("cyclegan", "style.try_cyclegan", ":material/sync_alt:")


def show() -> None:
    """The whole style-transfer section of the family page."""
    st.header(t("style.title"))
    st.markdown(t("style.intro"))
    _collect()
    job = st.session_state.get(JOB)
    running = job is not None and not job.finished
    settings, main = present.split([1, 2])
    with settings:
        content, style = _pictures()
        cfg = _settings(busy=running)
        if cfg is not None:
            _start(content, style, cfg)
            job = st.session_state.get(JOB)
            running = job is not None and not job.finished
        st.caption(t("style.fair_note", steps=stx.MAX_STEPS, size=max(stx.SIZES)))
    with main:
        if job is not None and job.finished and job.error is not None:
            st.error(t("style.failed"), icon=":material/error:")
        if running:
            _live()
        else:
            _shown()
    comparison()
