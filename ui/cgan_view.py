"""After a conditional run in the Lab: one row per digit, and "draw digit d" on demand."""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.i18n import t

PER_ROW = 8
DRAW_N = 16


@st.cache_data(max_entries=32, show_spinner=False)
def _grid(run_key: str, per_class: int, seed: int, _result) -> np.ndarray:
    from gan_core.conditional import class_grid
    from gan_core.export import tile

    images, _ = class_grid(_result, per_class, seed)
    return tile(images, ncol=per_class, scale=3)


@st.cache_data(max_entries=64, show_spinner=False)
def _digit(run_key: str, digit: int, n: int, seed: int, _result) -> np.ndarray:
    from gan_core.conditional import digit_samples
    from gan_core.export import tile

    return tile(digit_samples(_result, digit, n, seed), ncol=8, scale=3)


@st.cache_data(max_entries=16, show_spinner=False)
def _agreement(run_key: str, _result) -> list[float] | None:
    """Per-digit rate at which the shipped classifier reads the asked-for digit (None if absent)."""
    try:
        from gan_core.conditional import label_agreement

        return [float(v) for v in label_agreement(_result, per_class=100)["per_digit"]]
    except (ImportError, FileNotFoundError):
        return None


def show(result, key_prefix: str = "cgan") -> None:
    """The conditional panel for a finished conditional image run."""
    cfg = result.config
    if not (cfg.conditional and cfg.is_image):
        return
    st.subheader(t("cgan.title"))
    st.caption(t("cgan.intro"))
    seed_key = f"{key_prefix}_seed"
    st.session_state.setdefault(seed_key, 0)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(t("cgan.grid_title"))
        if st.button(t("cgan.new_noise"), key=f"{key_prefix}_reseed", icon=":material/casino:"):
            st.session_state[seed_key] += 1
        grid = _grid(cfg.key, PER_ROW, st.session_state[seed_key], result)
        st.image(grid, caption=t("cgan.grid_caption", n=PER_ROW), width="stretch")
    with right:
        digit = st.segmented_control(t("cgan.pick"), list(range(10)), default=7, key=f"{key_prefix}_digit",
                                     required=True)
        digit = 7 if digit is None else int(digit)
        pic = _digit(cfg.key, digit, DRAW_N, 100 + st.session_state[seed_key], result)
        st.image(pic, caption=t("cgan.digit_caption", d=digit, n=DRAW_N), width="stretch")
    rates = _agreement(cfg.key, result)
    if rates is None:
        st.caption(t("cgan.no_classifier"))
    else:
        st.caption(t("cgan.agreement", mean=f"{100 * np.mean(rates):.0f}",
                     worst=int(np.argmin(rates)), worst_rate=f"{100 * min(rates):.0f}"))
