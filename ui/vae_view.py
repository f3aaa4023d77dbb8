"""The GAN family page's VAE: the shipped VAE beside the textbook's GAN, and a student's own VAE
(code size and KL weight) trained live on the server, one training per setting for the class."""
from __future__ import annotations

import streamlit as st

from ui.i18n import t

POLL_SECONDS = 1.0


def _grid(images, scale: int = 2):
    from gan_core.export import snapshot_picture

    return snapshot_picture(images, scale=scale)


@st.cache_data(show_spinner=False)
def _vae_and_gan() -> dict | None:
    """The shipped VAE run and the book GAN's final samples, with what the page measures on them."""
    from gan_core import bookrun, vae
    from gan_core.data import mnist5k_split

    run = vae.shipped()
    if run is None or not bookrun.book_run_available():
        return None
    book = bookrun.book_run_info()
    gan = bookrun.story(steps=(book["config"]["steps"],), per=64)[0]
    _, held = mnist5k_split()
    return {"vae": run, "gan_samples": gan["images"], "gan_score": book["metrics"]["score"],
            "grey": {"real": vae.grey_share(held.images), "vae": vae.grey_share(run["samples"]),
                     "gan": vae.grey_share(gan["images"])}}


def vae_vs_gan() -> None:
    """VAE vs GAN on the same digits with the same budget: rebuilt digits, new digits, numbers."""
    st.header(t("family.vae_title"))
    st.markdown(t("family.vae_text"))
    both = _vae_and_gan()
    if both is None:
        st.info(t("family.vae_missing"))
        return
    run, info = both["vae"], both["vae"]["info"]
    st.markdown(t("family.vae_rebuild"))
    c1, c2 = st.columns(2)
    c1.image(_grid(run["originals"], 3), caption=t("family.vae_originals"), width="stretch")
    c2.image(_grid(run["rebuilt"], 3), caption=t("family.vae_rebuilt"), width="stretch")
    st.markdown(t("family.vae_new", steps=f"{info['config']['steps']:,}"))
    c1, c2 = st.columns(2)
    c1.image(_grid(run["samples"]), caption=t("family.vae_samples"), width="stretch")
    c2.image(_grid(both["gan_samples"]), caption=t("family.gan_samples"), width="stretch")
    grey = both["grey"]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("family.vae_score"), f"{info['quality']['score']:.1f}")
    m2.metric(t("family.gan_score"), f"{both['gan_score']:.1f}")
    m3.metric(t("family.vae_grey"), f"{100 * grey['vae']:.0f}%")
    m4.metric(t("family.gan_grey"), f"{100 * grey['gan']:.0f}%")
    st.caption(t("family.vae_numbers", real=f"{100 * grey['real']:.0f}"))


def _settings() -> tuple[int, float]:
    from gan_core import vae

    c1, c2 = st.columns(2)
    latent = c1.select_slider(t("family.vae_live_latent"), vae.LIVE_LATENTS, value=vae.LATENT,
                              key="vae_live_latent", help=t("family.vae_live_latent_help"))
    beta = c2.select_slider(t("family.vae_live_beta"), vae.LIVE_BETAS, value=1.0, key="vae_live_beta",
                            help=t("family.vae_live_beta_help"))
    return latent, beta


def vae_live() -> None:
    """A student's own VAE: pick the code size and the KL weight, train it (in the background, so
    leaving the page mid-run loses nothing), then see rebuilds, new digits and the numbers next to
    every setting the class has tried on this server."""
    from gan_core import vae

    st.subheader(t("family.vae_live_title"))
    st.markdown(t("family.vae_live_text", steps=f"{vae.LIVE_STEPS:,}", batch=vae.LIVE_BATCH))
    latent, beta = _settings()
    state, value = vae.live_status(latent, beta)
    if state == "idle":
        st.button(t("family.vae_live_train"), icon=":material/play_arrow:", type="primary",
                  on_click=vae.start_live, args=(latent, beta))
    elif state == "running":
        _wait(latent, beta)
    elif state == "failed":
        st.error(t("family.vae_live_failed"))
        st.button(t("family.vae_live_retry"), icon=":material/refresh:",
                  on_click=vae.start_live, args=(latent, beta))
    else:
        _result(value)
    _class_table()


def _wait(latent: int, beta: float) -> None:
    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        from gan_core import vae

        state, value = vae.live_status(latent, beta)
        if state != "running":
            st.rerun(scope="app")
        st.progress(float(value), text=t("family.vae_live_running", pct=f"{100 * value:.0f}"))

    poll()


def _result(run: dict) -> None:
    c1, c2 = st.columns(2)
    c1.image(_grid(run["rebuilt"], 3), caption=t("family.vae_live_rebuilt"), width="stretch")
    c2.image(_grid(run["samples"], 3), caption=t("family.vae_live_samples"), width="stretch")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("family.vae_live_rebuild"), f"{run['rebuild_error']:.1f}",
              help=t("family.vae_live_rebuild_help"))
    m2.metric(t("family.vae_live_kl"), f"{run['kl']:.1f}", help=t("family.vae_live_kl_help"))
    m3.metric(t("family.vae_score"), f"{run['score']:.1f}")
    m4.metric(t("family.vae_grey"), f"{100 * run['grey']:.0f}%")
    if "map" in run:
        st.markdown(t("family.vae_live_map"))
        st.image(_grid(run["map"], 2), width=520)
    st.caption(t("family.vae_live_seconds", s=f"{run['seconds']:.0f}"))


def _class_table() -> None:
    """Every setting trained on this server so far: the class's own experiment, side by side."""
    from gan_core import vae

    states = [vae.live_status(lat, b) for lat in vae.LIVE_LATENTS for b in vae.LIVE_BETAS]
    done = [run for state, run in states if state == "done"]
    if len(done) < 2:
        return
    st.markdown(t("family.vae_live_table"))
    st.dataframe([{t("family.vae_live_latent"): r["latent"], t("family.vae_live_beta"): r["beta"],
                   t("family.vae_live_rebuild"): round(r["rebuild_error"], 1),
                   t("family.vae_live_kl"): round(r["kl"], 1), t("family.vae_score"): round(r["score"], 2),
                   t("family.vae_grey"): f"{100 * r['grey']:.0f}%"} for r in done],
                 hide_index=True, width="stretch")
