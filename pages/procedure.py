"""The training procedure, one sub-step at a time, on a real model (2D toy set or MNIST)."""
import streamlit as st

from ui import concept
from ui.i18n import option_label, t

st.title(t("procedure.title"))
st.markdown(t("procedure.intro"))
with st.expander(t("procedure.recipe_title"), expanded=False):
    st.markdown(t("procedure.recipe"))

concept.procedure_settings()
concept.show_messages("procedure_url_messages")

from gan_core.procedure import DATASETS, K_MAX  # noqa: E402  (torch: after the page's first text)

settings, board = st.columns([1, 3], gap="large")
with settings:
    st.selectbox(t("procedure.data"), DATASETS, key="procedure_data", format_func=option_label("procedure.data_"),
                 on_change=concept.settings_changed)
    st.slider(t("procedure.k"), 1, K_MAX, key="procedure_k", on_change=concept.settings_changed,
              help=t("procedure.k_help"))
    st.number_input(t("procedure.lr"), min_value=concept.PROC_LR[0], max_value=concept.PROC_LR[1], step=1e-4,
                    format="%.5f", key="procedure_lr", on_change=concept.settings_changed, help=t("procedure.lr_help"))
    st.button(t("procedure.next"), on_click=concept.sub_step, type="primary", icon=":material/skip_next:",
              width="stretch")
    st.button(t("procedure.finish"), on_click=concept.finish_iteration, icon=":material/fast_forward:",
              width="stretch", help=t("procedure.finish_help"))
    if st.session_state.get("procedure_playing"):
        st.button(t("procedure.stop"), on_click=concept.set_stepper_playing, args=(False,), icon=":material/stop:",
                  width="stretch")
    else:
        st.button(t("procedure.autoplay"), on_click=concept.set_stepper_playing, args=(True,),
                  icon=":material/slow_motion_video:", width="stretch", help=t("procedure.autoplay_help"))
    st.button(t("procedure.reset"), on_click=concept.reset_stepper, icon=":material/restart_alt:",
              width="stretch")
    st.caption(t("procedure.eval_note"))

with board:
    concept.stepper_board()
