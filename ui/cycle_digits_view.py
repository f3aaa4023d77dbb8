"""The shipped digits CycleGAN (handwritten <-> typeset): the cycle, the identity mapping, the
per-loss curves of its training, its measured quality, and where it hides the handwriting.

The model is loaded once per process (``st.cache_resource``; used only under inference mode);
pictures are cached per choice (``st.cache_data``), so a rerun costs a lookup.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from gan_core.cyclegan import digits
from ui.i18n import current_lang, t

SCALE = 3  # screen pixels per digit pixel
HIDDEN_GAIN = 10  # how much the difference from the mean typeset digit is amplified
PROBE_NOISE = 4  # grey levels of faint noise added to G(x) before F (the hiding test)
STYLES = 6  # handwritten examples of one digit in the hiding section


@st.cache_resource(show_spinner=False)
def model() -> digits.DigitsModel:
    return digits.load()


def strip(images: np.ndarray) -> np.ndarray:
    """uint8 N x 28 x 28 -> one row, each digit SCALE x larger, one grey pixel between them."""
    big = np.kron(images, np.ones((SCALE, SCALE), dtype=np.uint8))
    gap = np.full((big.shape[1], SCALE), 70, dtype=np.uint8)
    parts = []
    for img in big:
        parts += [img, gap]
    return np.concatenate(parts[:-1], axis=1)


@st.cache_data(max_entries=32, show_spinner=False)
def cycle_rows(pick: int) -> dict[str, np.ndarray]:
    """One held-out handwritten digit and one typeset digit per class (chosen by ``pick``),
    with both cycles and both identity outputs."""
    from gan_core import cycle_data

    m = model()
    rng = np.random.default_rng(pick)
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    ty, ty_labels = cycle_data.typeset()
    x = np.stack([held[rng.choice(np.flatnonzero(labels == d))] for d in range(10)])
    y = np.stack([ty[rng.choice(np.flatnonzero(ty_labels == d))] for d in range(10)])
    gx, fy = m.run("g", x), m.run("f", y)
    return {"x": x, "g_x": gx, "f_g_x": m.run("f", gx), "f_x": m.run("f", x),
            "y": y, "f_y": fy, "g_f_y": m.run("g", fy), "g_y": m.run("g", y)}


@st.cache_data(max_entries=20, show_spinner=False)
def hiding(digit: int) -> dict:
    """STYLES handwritten ``digit``s, G(x), G(x) minus the mean typeset ``digit`` amplified,
    F(G(x)); and the numbers: how alike the G(x) are, and how F fares when faint noise is
    added to G(x)."""
    from gan_core import cycle_data

    m = model()
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    ty, ty_labels = cycle_data.typeset()
    x = held[np.flatnonzero(labels == digit)[:STYLES]]
    gx = m.run("g", x)
    back = m.run("f", gx)
    mean_ty = ty[ty_labels == digit].astype(np.float32).mean(0)
    diff = gx.astype(np.float32) - mean_ty
    amplified = np.clip(128 + HIDDEN_GAIN * diff, 0, 255).astype(np.uint8)
    rng = np.random.default_rng(0)
    noisy = np.clip(gx.astype(np.float32) + rng.uniform(-PROBE_NOISE, PROBE_NOISE, gx.shape), 0, 255)
    back_noisy = m.run("f", noisy.round().astype(np.uint8))
    clean = m.run("f", mean_ty.round().astype(np.uint8)[None])[0]  # no hidden detail at all
    grey = lambda a, b: float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())  # noqa: E731
    pairs = [(i, j) for i in range(len(x)) for j in range(i + 1, len(x))]
    return {"x": x, "g_x": gx, "hidden": amplified, "f_g_x": back, "f_noisy": back_noisy,
            "spread_x": np.mean([grey(x[i], x[j]) for i, j in pairs]),
            "spread_g": np.mean([grey(gx[i], gx[j]) for i, j in pairs]),
            "back": grey(x, back), "back_noisy": grey(x, back_noisy), "clean": grey(x, clean[None])}


def hiding_verdict(h: dict) -> str:
    """Whether faint noise undid a fair share of what F recovers beyond the clean digit."""
    gained = h["clean"] - h["back"]  # what G(x)'s detail tells F, beyond the digit itself
    lost = h["back_noisy"] - h["back"]
    return "faint" if gained > 0 and lost >= 0.25 * gained else "plain"


def cycle_section(pick: int) -> None:
    rows = cycle_rows(pick)
    st.markdown(f"**{t('cycledigits.row_x_title')}**")
    for key in ("x", "g_x", "f_g_x", "f_x"):
        st.image(strip(rows[key]), caption=t(f"cycledigits.row_{key}"), output_format="PNG")
    st.markdown(f"**{t('cycledigits.row_y_title')}**")
    for key in ("y", "f_y", "g_f_y", "g_y"):
        st.image(strip(rows[key]), caption=t(f"cycledigits.row_{key}"), output_format="PNG")


def quality_section(m: digits.DigitsModel) -> None:
    q = m.info.get("quality", {})
    if not q:
        return
    c1, c2, c3 = st.columns(3)
    c1.metric(t("cycledigits.q_typeset"), f"{100 * q['typeset_accuracy']:.1f}%")
    c2.metric(t("cycledigits.q_keep_g"), f"{100 * q['keep_g']:.1f}%")
    c3.metric(t("cycledigits.q_keep_fg"), f"{100 * q['keep_fg']:.1f}%")
    st.caption(t("cycledigits.q_caption", n=q["heldout_digits"]))


def hiding_section() -> None:
    st.subheader(t("cycledigits.hide_title"))
    st.markdown(t("cycledigits.hide_text"))
    digit = st.segmented_control(t("cycledigits.hide_digit"), list(range(10)), default=3, key="cd_digit")
    digit = 3 if digit is None else int(digit)  # a click on the active option clears it
    h = hiding(digit)
    for key in ("x", "g_x", "hidden", "f_g_x"):
        st.image(strip(h[key]), caption=t(f"cycledigits.hide_{key}", gain=HIDDEN_GAIN), output_format="PNG")
    finding = t("cycledigits.hide_finding", spread_x=f"{h['spread_x']:.0f}", spread_g=f"{h['spread_g']:.1f}",
                back=f"{h['back']:.0f}", clean=f"{h['clean']:.0f}", noise=PROBE_NOISE,
                back_noisy=f"{h['back_noisy']:.0f}")
    st.info(finding + " " + t(f"cycledigits.hide_verdict_{hiding_verdict(h)}"), icon=":material/visibility:")
    st.image(strip(h["f_noisy"]), caption=t("cycledigits.hide_f_noisy", noise=PROBE_NOISE),
             output_format="PNG")
    st.caption(t("cycledigits.hide_source"))


def show() -> None:
    """The digits section: the model's cycle and identity outputs, quality, curves, hiding."""
    from ui.cycle2d_view import losses_figure

    st.markdown(t("cycledigits.intro"))
    try:
        m = model()
    except digits.DigitsModelError:
        st.error(t("cycledigits.err_model"), icon=":material/error:")
        return
    pick = int(st.session_state.get("cd_pick", 0))
    if st.button(t("cycledigits.other_examples"), icon=":material/shuffle:", key="cd_shuffle"):
        pick += 1
        st.session_state["cd_pick"] = pick
    cycle_section(pick)
    quality_section(m)
    st.subheader(t("cycledigits.curves_title"))
    st.plotly_chart(losses_figure(m.history, t("cycledigits.curves_run", steps=m.config.steps)),
                    width="stretch", key=f"cd_curves_{current_lang()}")
    st.caption(t("cycledigits.curves_caption", seconds=f"{m.info.get('train_seconds', 0):.0f}"))
    hiding_section()
