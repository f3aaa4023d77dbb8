"""CycleGAN studio: the shipped digits CycleGAN (handwritten <-> typeset) with its cycle, identity
mapping and hidden detail; a mini-CycleGAN on 2D points trained live; a real pretrained CycleGAN
on a photo. The four training losses are explained with a diagram."""
import streamlit as st

from gan_core import cyclegan
from gan_core.images import encode_png
from ui import cycle2d_view, cycle_digits_view, uploads
from ui import cyclegan_view as view
from ui.i18n import current_lang, option_label, t
from ui.params import safe_value

st.title(t("cyclegan.title"))
st.caption(t("cyclegan.intro"))

# A shared link may name a model (?model=horse2zebra); a bad name is explained, not fatal.
if "cg_url_loaded" not in st.session_state:
    st.session_state["cg_url_loaded"] = True
    wanted = st.query_params.get("model")
    if wanted in cyclegan.MODELS:
        st.session_state["cg_model"] = wanted
    elif wanted is not None:
        st.session_state["cg_bad_model"] = wanted
if (bad := st.session_state.pop("cg_bad_model", None)) is not None:
    st.warning(t("cyclegan.err_unknown_model", name=safe_value(bad), default=cyclegan.DEFAULT_MODEL))

# Tabs that track their state: only the open one runs (the photo studio translates a photo on
# every visit; the 2D section draws its runs). Offline, the page opens on the digits model,
# which ships with the app: both generators, the cycle and the identity mapping, no download.
# A link naming a photo model opens the photos.
online = view.zoo_online()
labels = [t("cycledigits.tab"), t("cycle2d.tab"), t("cyclegan.tab_photos")]
photos_first = online or st.query_params.get("model") is not None
tab_digits, tab_points, tab_photos = st.tabs(labels, key="cg_tab", on_change="rerun",
                                             default=labels[2] if photos_first else labels[0])

with tab_digits:
    if tab_digits.open:
        if not online:
            st.caption(t("cycledigits.tab_offline_note"))
        cycle_digits_view.show()

with tab_points:
    if tab_points.open:
        cycle2d_view.show()

with tab_photos:
    if tab_photos.open:
        settings, results = st.columns([1, 2], gap="large")
        lang = current_lang()

        with settings:
            source = st.radio(t("cyclegan.source"), ["sample", "upload"], key="cg_source", horizontal=True,
                              format_func=option_label("cyclegan.source_"))
            if source == "upload":
                img = uploads.image_uploader(t("cyclegan.upload"), key="cg_upload",
                                             reduce_to=2 * cyclegan.MAX_ORIGINAL_SIDE)
                name_stem = "upload"
            else:
                sample = st.selectbox(t("cyclegan.sample"), cyclegan.SAMPLES, key="cg_sample",
                                      format_func=lambda f, lang=lang: t(f"cyclegan.sample_{f.split('.')[0]}",
                                                                         lang=lang))
                img = uploads.read_image((cyclegan.SAMPLES_DIR / sample).read_bytes())
                name_stem = sample.split(".")[0]
            model = st.selectbox(t("cyclegan.model"), cyclegan.MODELS, key="cg_model",
                                 format_func=option_label("cyclegan.model_"), help=t("cyclegan.model_help"))
            size = st.radio(t("cyclegan.size"), cyclegan.SIZES, key="cg_size", horizontal=True,
                            format_func=option_label("cyclegan.size_"),
                            help=t("cyclegan.size_help", cap=cyclegan.MAX_ORIGINAL_SIDE))
            preview = st.toggle(t("cyclegan.preview"), value=cyclegan.openvino_installed(), key="cg_preview",
                                help=t("cyclegan.preview_help"))
            ready = view.model_ready(model, key="cg_dl_model")

        with results:
            if img is None:
                st.info(t("cyclegan.pick_image"))
            elif ready:
                res, wall = view.translated(img, model, size, preview)
                if res is not None:
                    left, right = st.columns(2)
                    left.image(res.input, caption=t("cyclegan.input"), width="stretch")
                    out_caption = t("cyclegan.output_preview") if preview else t("cyclegan.output")
                    right.image(res.output, caption=out_caption, width="stretch")
                    view.latency(res, wall, model, preview)
                    st.download_button(t("cyclegan.download_result"), data=encode_png(res.output),
                                       file_name=f"{name_stem}_{model}.png", mime="image/png",
                                       icon=":material/download:", key="cg_download")
                    st.subheader(t("cyclegan.diff_title"))
                    st.caption(t("cyclegan.diff_caption"))
                    st.plotly_chart(view.difference_figure(cyclegan.difference(res.input, res.output)),
                                    width="stretch", key="cg_diff")
                    view.cycle_section(img, model, size)

st.divider()
st.subheader(t("cyclegan.losses_title"))
diagram, text = st.columns([3, 2], gap="large")
diagram.graphviz_chart(view.losses_dot(), width="stretch")
text.markdown(t("cyclegan.losses_text"))
st.divider()
st.caption(t("cyclegan.credits"))
