"""Training Lab: pick settings (or a preset), press Train, watch a real GAN learn."""
import streamlit as st

from gan_core.config import (
    DATASETS,
    IMAGE_ARCHS,
    IMAGE_DATASETS,
    LOSSES,
    LR_SCHEDULES,
    PRESETS,
    SPECS,
    TOY_ARCHS,
    from_dict,
)
from ui import atlas_view, cgan_view, code_view, lab_quality, latent_view, params, present, run_view
from ui.i18n import option_label, t

P = "lab"  # widget key prefix
K = lambda name: params.widget_key(P, name)  # noqa: E731

st.title(t("lab.title"))
st.caption(t("lab.intro"))
run_view.storage_notice()

# ---- first visit: settings from the URL (a shared link), validated -------------------------
if "lab_url_loaded" not in st.session_state:
    preset, cfg, messages = params.config_from_url(default_preset="quick")
    st.session_state["lab_preset"] = preset
    params.load_into_widgets(P, cfg)
    st.session_state["lab_url_messages"] = messages
    st.session_state["lab_url_loaded"] = True
    opened = run_view.pool().peek(cfg)
    if opened is not None and opened.state == "done":  # shipped or trained here: show it at once
        st.session_state["lab_cfg"] = cfg.to_dict()
for msg in st.session_state.pop("lab_url_messages", []):
    st.warning(msg, icon=":material/link_off:")


def _load_preset() -> None:
    params.load_into_widgets(P, PRESETS[st.session_state["lab_preset"]])


def _open_preset(name: str) -> None:
    st.session_state["lab_preset"] = name
    _load_preset()


def _spec_range(name: str) -> dict:
    s = SPECS[name]
    return {"min_value": s.kind(s.lo), "max_value": s.kind(s.hi)}


settings, results = present.split([1, 2], gap="large")

with settings:
    st.subheader(t("lab.settings"))
    st.selectbox(t("lab.preset"), list(PRESETS), key="lab_preset", on_change=_load_preset,
                 format_func=params.preset_labeller(), help=t("lab.preset_help"))
    if st.session_state.get(K("clusters")) and not st.session_state.get(K("conditional")):
        # the opening recipe adds something the course's plain GAN doesn't have: say so
        st.caption(t("lab.selfcond_note"))
        st.button(t("lab.try_plain"), key="lab_try_plain", icon=":material/filter_none:",
                  on_click=_open_preset, args=("quick-plain",))
    # a drawing is made on the mode-collapse page; the Lab offers it only for a run that has one
    shown = [d for d in DATASETS if d != "drawn" or st.session_state.get(K("dataset")) == "drawn"]
    st.selectbox(t("lab.dataset"), shown, key=K("dataset"), format_func=option_label("lab.ds_"))
    is_image = st.session_state[K("dataset")] in IMAGE_DATASETS
    arch_options = IMAGE_ARCHS if is_image else TOY_ARCHS
    if st.session_state.get(K("arch")) not in arch_options:
        st.session_state[K("arch")] = arch_options[0]
    if not is_image:
        st.session_state[K("conditional")] = False
        st.session_state[K("clusters")] = 0
    st.selectbox(t("lab.arch"), arch_options, key=K("arch"), format_func=option_label("lab.arch_"))
    st.selectbox(t("lab.loss"), LOSSES, key=K("loss"), format_func=option_label("lab.loss_"),
                 help=t("lab.loss_help"))
    c1, c2 = st.columns(2)
    c1.number_input(t("lab.lr_g"), **_spec_range("lr_g"), step=1e-4, format="%.5f", key=K("lr_g"))
    c2.number_input(t("lab.lr_d"), **_spec_range("lr_d"), step=1e-4, format="%.5f", key=K("lr_d"))
    st.slider(t("lab.k"), **_spec_range("k"), key=K("k"), help=t("lab.k_help"))
    st.slider(t("lab.nz"), **_spec_range("nz"), key=K("nz"), help=t("lab.nz_help"))
    c1, c2 = st.columns(2)
    c1.number_input(t("lab.batch"), **_spec_range("batch"), step=32, key=K("batch"))
    c2.number_input(t("lab.steps"), **_spec_range("steps"), step=100, key=K("steps"),
                    help=t("lab.steps_help"))
    if st.session_state[K("snapshots")] > st.session_state[K("steps")] + 1:
        st.session_state[K("snapshots")] = max(2, st.session_state[K("steps")] + 1)
    st.number_input(t("lab.seed"), **_spec_range("seed"), step=1, key=K("seed"), help=t("lab.seed_help"))
    with st.expander(t("lab.advanced")):
        c1, c2 = st.columns(2)
        c1.number_input(t("lab.beta1"), **_spec_range("beta1"), step=0.05, format="%.2f", key=K("beta1"))
        c2.number_input(t("lab.beta2"), **_spec_range("beta2"), step=0.001, format="%.4f", key=K("beta2"))
        st.number_input(t("lab.ema"), **_spec_range("ema"), step=0.001, format="%.4f", key=K("ema"),
                        help=t("lab.ema_help"))
        st.slider(t("lab.snapshots"), **_spec_range("snapshots"), key=K("snapshots"))
        if is_image:
            st.checkbox(t("lab.conditional"), key=K("conditional"), help=t("lab.conditional_help"))
            if st.session_state[K("conditional")]:  # the labels already say which group
                st.session_state[K("clusters")] = 0
            st.slider(t("lab.clusters"), **_spec_range("clusters"), key=K("clusters"),
                      disabled=st.session_state[K("conditional")], help=t("lab.clusters_help"))
        else:
            st.slider(t("lab.hidden"), **_spec_range("hidden"), key=K("hidden"))
        c1, c2, c3 = st.columns(3)
        c1.number_input(t("lab.pack"), **_spec_range("pack"), step=1, key=K("pack"), help=t("lab.pack_help"))
        c2.number_input(t("lab.unroll"), **_spec_range("unroll"), step=1, key=K("unroll"),
                        help=t("lab.unroll_help"))
        c3.checkbox(t("lab.mbstd"), key=K("mbstd"), help=t("lab.mbstd_help"))
        c1, c2 = st.columns(2)
        c1.selectbox(t("lab.lr_schedule"), LR_SCHEDULES, key=K("lr_schedule"),
                     format_func=option_label("lab.lr_schedule_"), help=t("lab.lr_schedule_help"))
        c2.number_input(t("lab.r1"), **_spec_range("r1"), step=0.5, format="%.2f", key=K("r1"),
                        help=t("lab.r1_help"))

    chosen, problem = params.config_from_widgets(P, PRESETS[st.session_state["lab_preset"]])
    atlas_view.marker(chosen)
    if st.button(t("lab.train"), type="primary", icon=":material/play_arrow:", width="stretch"):
        if chosen is None:
            st.error(problem)
        elif run_view.start(chosen):
            st.session_state["lab_cfg"] = chosen.to_dict()
            params.write_url(st.session_state["lab_preset"], chosen)

with results:
    saved = st.session_state.get("lab_cfg")
    if saved is None:
        st.info(t("lab.press_train"), icon=":material/arrow_back:")
    else:
        cfg = from_dict(saved)
        job = run_view.pool().peek(cfg)
        if job is None:
            st.info(t("lab.not_on_server"))
        elif not job.done:
            run_view.live_view(cfg, forget_key="lab_cfg")
        else:
            run_view.finished_view(job, "labrun")
            if job.result is not None:
                lab_quality.quality_panel(job.result, "labrun")  # score, FD, digits covered vs real data
                cgan_view.show(job.result)  # conditional runs: one row per digit, "draw digit d"
                if job.result.generator:
                    latent_view.show(job.result)  # image runs: interpolation strips, coordinate sweeps
                elif cfg.is_image:
                    st.caption(t("run.no_weights"))
            run_view.share_link(params.url_params(st.session_state["lab_preset"], cfg))
    code_view.lab_code(from_dict(saved) if saved else chosen)  # its models, its step, as a notebook
    lab_quality.book_run_section()  # the book's long run, shipped in pretrained/
