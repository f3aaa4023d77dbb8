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
