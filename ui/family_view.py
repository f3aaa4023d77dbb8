"""Pieces of the GAN family page: the Lab's networks as measured tables, links to live parts."""
from __future__ import annotations

import streamlit as st

from ui import nav
from ui.i18n import t


@st.cache_data(show_spinner=False)
def anatomy_rows(arch: str, nz: int) -> dict:
    """{"g": rows, "d": rows, "g_params": int, "d_params": int} measured on the real models."""
    from gan_core.anatomy import anatomy

    a = anatomy(arch, nz)

    def rows(layers):
        return [{"name": r.name, "kind": r.kind, "shape": " × ".join(str(s) for s in r.shape),
                 "params": r.params} for r in layers]

    return {"g": rows(a.g_rows), "d": rows(a.d_rows), "g_params": a.g_params, "d_params": a.d_params}


def layer_table(rows: list[dict]) -> None:
    st.dataframe(
        [{t("family.col_layer"): r["name"], t("family.col_kind"): r["kind"],
          t("family.col_shape"): r["shape"], t("family.col_params"): f"{r['params']:,}"} for r in rows],
        hide_index=True, width="stretch",
    )


def link(slug: str, label_key: str, icon: str = ":material/arrow_forward:",
         query: dict | None = None) -> None:
    """A link to a page of the app, or plain text if that page is not installed."""
    label = t(label_key)
    if any(p.slug == slug for p in nav.available_pages()):
        st.page_link(nav.page_file(slug), label=label, icon=icon, query_params=query)
    else:
        st.caption(label)


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
