"""Lab add-ons: quality numbers of finished digit runs, and the book's long run (the textbook's
configuration trained long, shipped in pretrained/).

The numbers come from gan_core.metrics (computed by the job pool when a run finishes); the
"real data" reference comes from the classifier's sidecar. Nothing here trains.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui import figures
from ui.i18n import t

BOOK_KEY = "lab_book_open"


@st.cache_resource(show_spinner=False)
def _real_reference() -> dict:
    from gan_core.classifier import classifier_info

    return dict(classifier_info().get("real_reference", {}))


def class_histogram_figure(hist: list[int], real_share: float = 0.1) -> go.Figure:
    """Bars: how many samples the classifier puts in each digit class; dashed line: real data."""
    counts = np.asarray(hist, dtype=float)
    share = counts / max(1.0, counts.sum())
    fig = figures._base(t("quality.hist_title"), t("quality.hist_y"), height=260)
    fig.add_bar(x=[str(d) for d in range(10)], y=share, marker_color=figures.G_COLOUR,
                name=t("quality.this_run"))
    fig.add_hline(y=real_share, line=dict(color=figures.REAL_COLOUR, dash="dash", width=2),
                  annotation_text=t("quality.real_line"), annotation_position="top left")
    fig.add_hline(y=0.05, line=dict(color="#999", dash="dot", width=1),
                  annotation_text=t("quality.min_line"), annotation_position="bottom right")
    fig.update_layout(xaxis_title=t("quality.hist_x"), yaxis_tickformat=".0%", showlegend=False)
    return fig


def quality_panel(result, key: str) -> None:
    """Score, FD and classes covered of a finished digit run, next to real digits' values."""
    m = getattr(result, "metrics", None) or {}
    if not result.config.is_image or "score" not in m:
        return
    ref = _real_reference()
    st.subheader(t("quality.title"))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("quality.score"), f"{m['score']:.2f}", help=t("quality.score_help"))
    c2.metric(t("quality.fd"), f"{m['fd']:.1f}", help=t("quality.fd_help"))
    c3.metric(t("quality.classes"), f"{m['classes_covered']} / 10", help=t("quality.classes_help"))
    if ref:
        c1.caption(t("quality.real_value", value=f"{ref['score']:.2f}"))
        c2.caption(t("quality.real_value", value=f"{ref['fd']:.1f}"))
        c3.caption(t("quality.real_value", value=f"{ref['classes_covered']} / 10"))
    hist = figures.memo(("class_hist", result.config.key), lambda: class_histogram_figure(m["class_hist"]))
    st.plotly_chart(hist, width="stretch", key=f"{key}_quality_hist")
    st.caption(t("quality.note", n=m.get("n_eval", 2000)))


@st.cache_resource(show_spinner=False)
def _book_run():
    from gan_core.bookrun import load_book_run

    return load_book_run()


def _book_available() -> bool:
    from gan_core.bookrun import book_run_available

    return book_run_available()


def book_run_section() -> None:
    """A button that opens the shipped long run with its timeline, curves and quality."""
    if not _book_available():
        return
    st.divider()
    if not st.session_state.get(BOOK_KEY):
        st.caption(t("quality.book_intro"))
        if st.button(t("quality.book_load"), icon=":material/menu_book:", key="lab_book_load"):
            st.session_state[BOOK_KEY] = True
            st.rerun()
        return
    from gan_core.bookrun import STEPS_PER_EPOCH
    from gan_core.jobs import Job

    result = _book_run()
    cfg = result.config
    st.subheader(t("quality.book_title"))
    st.caption(t("quality.book_caption", steps=f"{cfg.steps:,}", epochs=f"{cfg.steps / STEPS_PER_EPOCH:.0f}",
                 images=f"{cfg.steps * cfg.batch:,}", minutes=f"{result.seconds / 60:.0f}"))
    job = Job(cfg, state="done", step=cfg.steps, result=result, cached=True, snapshots=list(result.snapshots))
    job.history = {k: list(v) for k, v in result.history.items()}
    from ui import run_view

    run_view.finished_view(job, "book")
    quality_panel(result, "book")
    if st.button(t("quality.book_close"), icon=":material/close:", key="lab_book_close"):
        st.session_state[BOOK_KEY] = False
        st.rerun()
