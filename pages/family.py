"""The GAN family: DCGAN (measured on the Lab's own networks), conditional GAN, pix2pix vs
CycleGAN, and what GANs are used for, each linked to the part of the app that shows it."""
import streamlit as st

from gan_core.config import PRESETS
from ui import family_view as fv
from ui import vae_view
from ui.i18n import t

st.title(t("family.title"))
st.caption(t("family.intro"))

# ---- GAN vs VAE: two generative models ----------------------------------------------------------
vae_view.vae_vs_gan()
vae_view.vae_live()

# ---- DCGAN ------------------------------------------------------------------------------------
st.header(t("family.dcgan_title"))
st.markdown(t("family.dcgan_text"))
LAB_DCGAN = PRESETS["quick"] if "dcgan" in PRESETS["quick"].arch else PRESETS["cgan"]  # the Lab's default
dc = fv.anatomy_rows(LAB_DCGAN.arch, LAB_DCGAN.nz)
mlp = fv.anatomy_rows("mlp-book", PRESETS["seed-book"].nz)
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("family.params_dcgan_g"), f"{dc['g_params']:,}")
c2.metric(t("family.params_dcgan_d"), f"{dc['d_params']:,}")
c3.metric(t("family.params_mlp_g"), f"{mlp['g_params']:,}")
c4.metric(t("family.params_mlp_d"), f"{mlp['d_params']:,}")
st.caption(t("family.params_note", ratio=f"{mlp['d_params'] / dc['d_params']:.0f}"))
g_col, d_col = st.columns(2)
with g_col:
    st.markdown(t("family.g_table"))
    fv.layer_table(dc["g"])
with d_col:
    st.markdown(t("family.d_table"))
    fv.layer_table(dc["d"])
stem = int(dc["g"][0]["shape"].split(" ")[0])
st.caption(t("family.tables_note", n=stem, maps=stem // 49))
fv.link("lab", "family.try_dcgan", ":material/science:", {"preset": "quick"})

# ---- conditional GAN --------------------------------------------------------------------------
st.header(t("family.cgan_title"))
st.markdown(t("family.cgan_text"))
fv.link("lab", "family.try_cgan", ":material/science:", {"preset": "cgan"} if "cgan" in PRESETS else None)

# ---- pix2pix vs CycleGAN ------------------------------------------------------------------------
st.header(t("family.pair_title"))
st.markdown(t("family.pair_text"))
st.table({
    "": [t("family.row_data"), t("family.row_nets"), t("family.row_losses"), t("family.row_example")],
    "pix2pix": [t("family.p2p_data"), t("family.p2p_nets"), t("family.p2p_losses"), t("family.p2p_example")],
    "CycleGAN": [t("family.cyc_data"), t("family.cyc_nets"), t("family.cyc_losses"), t("family.cyc_example")],
})
fv.link("cyclegan", "family.try_cyclegan", ":material/sync_alt:")

# ---- applications -----------------------------------------------------------------------------
st.header(t("family.apps_title"))
st.caption(t("family.apps_intro"))
APPS = (  # (catalogue stem, page that shows the mechanism live, Lab preset to open)
    ("translation", "cyclegan", None),
    ("sketch", "lab", "cgan"),  # pix2pix is paired: a conditional GAN, not the unpaired studio
    ("text", "lab", "cgan"),
    ("restore", "cyclegan", None),
    ("medical", "cyclegan", None),
    ("style", "cyclegan", None),
)
cols = st.columns(2)
for i, (stem, slug, preset) in enumerate(APPS):
    with cols[i % 2].container(border=True):
        st.markdown(f"**{t(f'family.app_{stem}')}**")
        st.write(t(f"family.app_{stem}_text"))
        query = {"preset": preset} if preset in PRESETS else None
        fv.link(slug, f"family.app_{stem}_link", query=query)
