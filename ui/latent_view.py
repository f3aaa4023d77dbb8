"""Latent space explorer for a finished image run: interpolation strips and coordinate sweeps."""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.i18n import option_label, t

SWEEP_STEPS = 9


@st.cache_data(max_entries=64, show_spinner=False)
def _strip(run_key: str, seed_a: int, seed_b: int, frames: int, mode: str, label, _result) -> np.ndarray:
    from gan_core.export import tile
    from gan_core.latent import interpolation_strip

    return tile(interpolation_strip(_result, seed_a, seed_b, frames, mode, label), ncol=frames, scale=3)


@st.cache_data(max_entries=32, show_spinner=False)
def _active(run_key: str, seed: int, label, _result) -> list[int]:
    from gan_core.latent import most_active_dims

    return most_active_dims(_result, seed, k=4, label=label)


@st.cache_data(max_entries=64, show_spinner=False)
def _sweep(run_key: str, seed: int, dims: tuple[int, ...], label, _result) -> np.ndarray:
    from gan_core.export import tile
    from gan_core.latent import coordinate_sweep

    rows = coordinate_sweep(_result, seed, list(dims), SWEEP_STEPS, label=label)
    return tile(rows.reshape(-1, 28, 28), ncol=SWEEP_STEPS, scale=3)


def show(result, key_prefix: str = "latent") -> None:
    """The explorer; silently absent for 2D toy runs."""
    cfg = result.config
    if not cfg.is_image:
        return
    from gan_core.latent import MAX_FRAMES, MODES

    def k(name: str) -> str:  # widget keys per run
        return f"{key_prefix}_{name}_{cfg.key}"

    with st.expander(t("latent.title", nz=cfg.nz), icon=":material/linear_scale:"):
        st.caption(t("latent.intro", nz=cfg.nz))
        if cfg.clusters:  # self-conditioned: coordinate 0 also picks the look-alike group
            st.caption(t("latent.groups_note", n=cfg.clusters))
        label = None
        if cfg.conditional:
            label = int(st.number_input(t("latent.label"), 0, 9, 3, key=k("label")))
        st.markdown(t("latent.interp_title"))
        c1, c2, c3, c4 = st.columns(4)
        seed_a = int(c1.number_input(t("latent.seed_a"), 0, 10**6, 1, key=k("a")))
        seed_b = int(c2.number_input(t("latent.seed_b"), 0, 10**6, 2, key=k("b")))
        frames = int(c3.slider(t("latent.frames"), 3, min(16, MAX_FRAMES), 10, key=k("frames")))
        mode = c4.radio(t("latent.mode"), MODES, index=1, key=k("mode"),
                        format_func=option_label("latent.mode_"))
        st.image(_strip(cfg.key, seed_a, seed_b, frames, mode, label, result), width="stretch",
                 caption=t("latent.interp_caption", a=seed_a, b=seed_b))
        st.caption(t("latent.mode_help"))
        st.markdown(t("latent.sweep_title"))
        active = _active(cfg.key, seed_a, label, result)
        dims = st.multiselect(t("latent.dims"), list(range(cfg.nz)), default=active,
                              max_selections=6, key=k("dims"))
        if not dims:
            st.info(t("latent.pick_dims"))
            return
        st.image(_sweep(cfg.key, seed_a, tuple(int(d) for d in dims), label, result), width="stretch",
                 caption=t("latent.sweep_caption", dims=", ".join(str(d) for d in dims), seed=seed_a))
