"""Be the counterfeiter: a student's digit is judged by a trained discriminator and read by the
digit classifier, beside a real digit and one of the book run's generated digits.

The picture comes from a drawing canvas (the ``streamlit-drawable-canvas`` component), or,
where drawing is not possible (a touch screen that will not draw, Streamlit's AppTest, where
components do not render), from a held-out real digit, a shipped generated digit or an
uploaded image. Every source goes through ``gan_core.mnistify`` so the networks see an
MNIST-style 28 x 28, and the page shows that picture. Strings: ui/locales/*/counterfeit.json.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gan_core import mnistify
from ui import uploads
from ui.figures import D_COLOUR
from ui.i18n import option_label, t
from ui.params import guard_choice

SOURCES = ("draw", "real", "fake", "upload")
CANVAS_PX, STROKE_PX = 280, 20  # a 20 px pen on 280 px is MNIST's stroke once scaled to 28
PASS, CAUGHT = 0.7, 0.3  # D(x) at or above PASS: it passes; below CAUGHT: caught
SHOW_PX = 140  # the 28 x 28 pictures are shown 5x, pixel for pixel


@st.cache_resource(show_spinner=False)
def _references() -> dict:
    """The held-out real digits and the book run's last shipped samples, each with D(x) and the
    classifier's reading (computed once per process: 564 small pictures)."""
    from gan_core import judge
    from gan_core.bookrun import NPZ
    from gan_core.classifier import predict_proba
    from gan_core.data import mnist5k_split
    from gan_core.files import PRETRAINED

    _, held = mnist5k_split()
    with np.load(PRETRAINED / NPZ, allow_pickle=False) as z:
        fakes = z["snapshots"][-1]  # the final generator's fixed-noise samples
    out = {}
    for name, images in (("real", held.images), ("fake", fakes)):
        probs = predict_proba(images)
        out[name] = {"images": images, "d": judge.score(images), "read": probs.argmax(1),
                     "sure": probs.max(1)}
    return out


@st.cache_data(max_entries=64, show_spinner=False)
def _judge(picture_bytes: bytes) -> tuple[float, np.ndarray]:
    """D(x) and the classifier's 10 probabilities for one 28 x 28 picture (cached on its bytes)."""
    from gan_core import judge
    from gan_core.classifier import predict_proba

    pic = np.frombuffer(picture_bytes, dtype=np.uint8).reshape(1, 28, 28)
    return float(judge.score(pic)[0]), predict_proba(pic)[0]


def _canvas() -> np.ndarray | None:
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # the package is missing or cannot register its component here
        st.info(t("counterfeit.no_canvas"), icon=":material/draw:")
        return None
    result = st_canvas(stroke_width=STROKE_PX, stroke_color="#000000", background_color="#ffffff",
                       height=CANVAS_PX, width=CANVAS_PX, drawing_mode="freedraw",
                       return_image_data=True, key="cf_canvas")
    st.caption(t("counterfeit.draw_help"))
    rgba = result.image_data
    return None if rgba is None else mnistify.to_mnist(mnistify.ink_from_rgba(rgba))


def _picked(name: str) -> np.ndarray:
    images = _references()[name]["images"]
    key = f"cf_{name}_no"
    n = st.slider(t(f"counterfeit.pick_{name}"), 1, len(images), 1, key=key)
    return images[int(n) - 1]  # already a 28 x 28 digit as the networks know them


def _uploaded() -> np.ndarray | None:
    img = uploads.image_uploader(t("counterfeit.upload"), key="cf_upload")
    if img is None:
        return None
    picture = mnistify.to_mnist(mnistify.ink_from_rgb(img.pixels))
    if picture is None:
        st.warning(t("counterfeit.upload_blank"), icon=":material/image_not_supported:")
    return picture


def _picture(source: str) -> np.ndarray | None:
    if source == "draw":
        return _canvas()
    if source == "upload":
        return _uploaded()
    return _picked(source)


def _big(picture: np.ndarray) -> np.ndarray:
    return np.kron(picture, np.ones((SHOW_PX // 28, SHOW_PX // 28), dtype=np.uint8))


def _card(picture: np.ndarray, d: float, read: int, caption: str) -> None:
    st.image(_big(picture), caption=caption, width=SHOW_PX)  # as the networks see it
    st.progress(min(max(d, 0.0), 1.0), text=t("counterfeit.how_real", d=f"{d:.2f}"))
    st.caption(t("counterfeit.reads", digit=read))


def _reference(name: str, digit: int) -> tuple[np.ndarray, float, int]:
    """The reference picture the classifier reads as ``digit`` most surely (else the surest one)."""
    ref = _references()[name]
    i = int(np.argmax(np.where(ref["read"] == digit, ref["sure"], ref["sure"] - 1.0)))
    return ref["images"][i], float(ref["d"][i]), int(ref["read"][i])


def probs_figure(probs: np.ndarray) -> go.Figure:
    """The classifier's ten probabilities, the chosen digit in the police colour."""
    top = int(np.argmax(probs))
    fig = go.Figure(go.Bar(x=[str(i) for i in range(10)], y=probs,
                           marker_color=[D_COLOUR if i == top else "#9aa5b1" for i in range(10)],
                           hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    fig.update_layout(title=dict(text=t("counterfeit.probs_title"), x=0.01, font=dict(size=15)),
                      height=260, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title=t("counterfeit.probs_x"), yaxis=dict(range=[0, 1], tickformat=".0%"))
    return fig


def verdict_text(d: float, digit: int, p: float) -> tuple[str, str]:
    """(st function name, sentence) for D(x) and the classifier's reading."""
    if d >= PASS:
        kind, key = "success", "v_pass"
    else:
        kind, key = ("error", "v_caught") if d < CAUGHT else ("warning", "v_unsure")
    return kind, t(f"counterfeit.{key}", d=f"{d:.2f}", digit=digit, p=f"{100 * p:.0f}")


def _verdict(picture: np.ndarray) -> None:
    d, probs = _judge(picture.tobytes())
    digit = int(np.argmax(probs))
    kind, sentence = verdict_text(d, digit, float(probs[digit]))
    getattr(st, kind)(sentence)
    cols = st.columns(3)
    with cols[0]:
        _card(picture, d, digit, t("counterfeit.yours"))
    for col, name in zip(cols[1:], ("real", "fake"), strict=True):
        with col:
            _card(*_reference(name, digit), t(f"counterfeit.ref_{name}"))
    st.plotly_chart(probs_figure(probs), width="stretch", key="cf_probs")


def section() -> None:
    """The whole 'be the counterfeiter' section (call it from the analogy page)."""
    from gan_core.judge import judge_available, judge_info

    st.subheader(t("counterfeit.title"))
    st.markdown(t("counterfeit.intro"))
    if not judge_available():
        st.warning(t("counterfeit.missing"), icon=":material/warning:")
        return
    guard_choice("cf_source", SOURCES, SOURCES[0])
    st.radio(t("counterfeit.source"), SOURCES, key="cf_source", horizontal=True,
             format_func=option_label("counterfeit.source_"), help=t("counterfeit.source_help"))
    left, right = st.columns([5, 7], gap="large")
    with left:
        source = st.session_state["cf_source"]
        picture = _picture(source)
        if picture is not None:
            st.image(_big(picture), caption=t("counterfeit.seen"), width=SHOW_PX)
    with right:
        if picture is None:
            empty = "counterfeit.empty_upload" if source == "upload" else "counterfeit.empty"
            st.info(t(empty), icon=":material/edit:")
        else:
            _verdict(picture)
    q = judge_info().get("quality", {})
    with st.expander(t("counterfeit.about_title")):
        st.markdown(t("counterfeit.about_body", acc=f"{100 * q.get('heldout_accuracy', 0):.1f}",
                      real=f"{q.get('mean_d_real', 0):.2f}", fake=f"{q.get('mean_d_generated', 0):.2f}"))
