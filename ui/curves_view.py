"""The loss-curves page: each case of gan_core.curves as its curves, its samples and a reading
filled with the run's own numbers."""
from __future__ import annotations

import streamlit as st

from gan_core import curves
from ui import figures, run_view
from ui.i18n import t


def _outcome(result) -> str:
    """What the run made, in numbers: the classifier's score (digits) or modes captured (2D)."""
    m = result.metrics
    if result.config.is_image and isinstance(m.get("score"), (int, float)):
        return t("curves.outcome_score", score=f"{m['score']:.1f}")
    if "modes_captured" in m and "modes" in m:
        return t("curves.outcome_modes", captured=m["modes_captured"], modes=m["modes"])
    return ""


def case(c: curves.Case) -> None:
    """One case: title, the curves and the samples side by side, then what they say."""
    st.subheader(t(f"curves.{c.name}_title"))
    job = run_view.pool().peek(c.config)
    if job is None or not job.done or job.result is None or not job.result.snapshots:
        st.info(t("curves.not_here"), icon=":material/hourglass_empty:")
        if st.button(t("curves.train"), key=f"curves_train_{c.name}", icon=":material/play_arrow:"):
            run_view.start(c.config)
            st.rerun()
        return
    r = job.result
    cfg = r.config
    num = curves.reading(r)
    left, right = st.columns([3, 2])
    with left:
        loss = figures.memo(("loss", cfg.key, None), lambda: figures.loss_figure(r.history))
        dprob = figures.memo(("dprob", cfg.key, None),
                             lambda: figures.dprob_figure(r.history, None, cfg.loss))
        st.plotly_chart(loss, width="stretch", key=f"curves_{c.name}_loss")
        st.plotly_chart(dprob, width="stretch", key=f"curves_{c.name}_dprob")
    with right:
        final = r.snapshots[-1]
        st.image(run_view.picture(cfg, final.samples), width="stretch",
                 caption=t("curves.samples_caption", step=f"{final.step:,}"))
        shown = {k: f"{num[k]:.2f}" for k in ("loss_d", "loss_g", "d_real", "d_fake")}
        st.markdown(t(f"curves.{c.name}_reading", **shown, start=f"{num['loss_d_start']:.2f}",
                      balanced=f"{curves.BALANCED_D_LOSS:.2f}", steps=f"{num['steps']:,}"))
        outcome = _outcome(r)
        if outcome:
            st.markdown(outcome)
        st.caption(t(f"curves.{c.name}_settings"))


def render() -> None:
    st.title(t("curves.title"))
    st.markdown(t("curves.intro"))
    with st.expander(t("curves.how_title"), expanded=False):
        st.markdown(t("curves.how_body", balanced=f"{curves.BALANCED_D_LOSS:.2f}"))
    for c in curves.CASES:
        case(c)
    st.info(t("curves.diverge"), icon=":material/warning:")
