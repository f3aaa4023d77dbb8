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


def dcgan() -> None:
    """DCGAN: the Lab's convolutional networks measured layer by layer beside the book's MLP."""
    from gan_core.config import PRESETS

    st.header(t("family.dcgan_title"))
    st.markdown(t("family.dcgan_text"))
    lab_dcgan = PRESETS["quick"] if "dcgan" in PRESETS["quick"].arch else PRESETS["cgan"]  # the Lab's default
    dc = anatomy_rows(lab_dcgan.arch, lab_dcgan.nz)
    mlp = anatomy_rows("mlp-book", PRESETS["seed-book"].nz)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("family.params_dcgan_g"), f"{dc['g_params']:,}")
    c2.metric(t("family.params_dcgan_d"), f"{dc['d_params']:,}")
    c3.metric(t("family.params_mlp_g"), f"{mlp['g_params']:,}")
    c4.metric(t("family.params_mlp_d"), f"{mlp['d_params']:,}")
    st.caption(t("family.params_note", ratio=f"{mlp['d_params'] / dc['d_params']:.0f}"))
    g_col, d_col = st.columns(2)
    with g_col:
        st.markdown(t("family.g_table"))
        layer_table(dc["g"])
    with d_col:
        st.markdown(t("family.d_table"))
        layer_table(dc["d"])
    stem = int(dc["g"][0]["shape"].split(" ")[0])
    st.caption(t("family.tables_note", n=stem, maps=stem // 49))
    link("lab", "family.try_dcgan", ":material/science:", {"preset": "quick"})


def cgan() -> None:
    """The conditional GAN in words, and the Lab's labelled preset one click away."""
    from gan_core.config import PRESETS

    st.header(t("family.cgan_title"))
    st.markdown(t("family.cgan_text"))
    link("lab", "family.try_cgan", ":material/science:", {"preset": "cgan"} if "cgan" in PRESETS else None)


def pix2pix_vs_cyclegan() -> None:
    """Paired and unpaired image-to-image translation side by side."""
    st.header(t("family.pair_title"))
    st.markdown(t("family.pair_text"))
    rows = ("data", "nets", "losses", "example")
    st.table({"": [t(f"family.row_{r}") for r in rows],
              "pix2pix": [t(f"family.p2p_{r}") for r in rows],
              "CycleGAN": [t(f"family.cyc_{r}") for r in rows]})
    link("cyclegan", "family.try_cyclegan", ":material/sync_alt:")
