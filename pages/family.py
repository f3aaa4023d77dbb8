"""The GAN family, one tab per relative: the VAE, DCGAN (measured on the Lab's own networks),
high resolution (progressive growing, StyleGAN), the conditional GAN, pix2pix vs CycleGAN, neural
style transfer, and what GANs are used for; each runs something real or links to where it does."""
import streamlit as st

from ui import apps_view, progressive_view, style_transfer_view, vae_view
from ui import family_view as fv
from ui.i18n import t

st.title(t("family.title"))
st.caption(t("family.intro"))

TABS = ("vae", "dcgan", "high_res", "cgan", "pair", "style", "uses")
vae_tab, dcgan_tab, high_tab, cgan_tab, pair_tab, style_tab, uses_tab = st.tabs(
    [t(f"family.tab_{name}") for name in TABS])

with vae_tab:
    vae_view.vae_vs_gan()
    vae_view.vae_live()

with dcgan_tab:
    fv.dcgan()

with high_tab:
    progressive_view.show()

with cgan_tab:
    fv.cgan()

with pair_tab:
    fv.pix2pix_vs_cyclegan()

with style_tab:
    style_transfer_view.show()

with uses_tab:
    apps_view.show()
