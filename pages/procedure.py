"""The training procedure, one sub-step at a time, on a real model (2D toy set or MNIST)."""
import streamlit as st

from ui import autoplay, code_view, params
from ui import procedure_view as view
from ui.i18n import option_label, t

st.title(t("procedure.title"))
st.markdown(t("procedure.intro"))
with st.expander(t("procedure.recipe_title"), expanded=False):
    st.markdown(t("procedure.recipe"))

view.settings()
params.show_messages("procedure_url_messages")

from gan_core.procedure import DATASETS, K_MAX  # (imports torch: after the page's first text)

settings, board = st.columns([1, 3], gap="large")
with settings:
    st.selectbox(t("procedure.data"), DATASETS, key="procedure_data",
                 format_func=option_label("procedure.data_"), on_change=view.settings_changed)
    st.slider(t("procedure.k"), 1, K_MAX, key="procedure_k", on_change=view.settings_changed,
              help=t("procedure.k_help"))
    st.number_input(t("procedure.lr"), min_value=view.LR[0], max_value=view.LR[1], step=1e-4, format="%.5f",
                    key="procedure_lr", on_change=view.settings_changed, help=t("procedure.lr_help"))
    st.button(t("procedure.next"), on_click=view.sub_step, type="primary", icon=":material/skip_next:",
              width="stretch")
    st.button(t("procedure.finish"), on_click=view.finish_iteration, icon=":material/fast_forward:",
              width="stretch", help=t("procedure.finish_help"))
    autoplay.toggle(view.PLAYING, t("procedure.autoplay"), t("procedure.stop"),
                    ":material/slow_motion_video:", play_help=t("procedure.autoplay_help"))
    st.button(t("procedure.reset"), on_click=view.reset, icon=":material/restart_alt:", width="stretch")
    st.caption(t("procedure.eval_note"))

with board:
    view.board()

code_view.book_downloads()  # the textbook's recipe as a notebook to take home
