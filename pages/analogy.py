"""Police vs counterfeiter: the GAN analogy as a game played by a real 1D GAN."""
import streamlit as st

from ui import analogy_view as view
from ui import autoplay, counterfeit_view
from ui.i18n import option_label, t

st.title(t("analogy.title"))
st.markdown(t("analogy.intro"))

with st.expander(t("analogy.map_title"), expanded=True):
    st.markdown(view.mapping_table())
    st.info(t("analogy.end_state"), icon=":material/balance:")

st.subheader(t("analogy.game_title"))
st.caption(t("analogy.game_intro"))

view.settings()
controls, board_col = st.columns([1, 2], gap="large")
with controls:
    st.selectbox(t("analogy.bills"), view.BILLS, key="analogy_bills",
                 format_func=option_label("analogy.bills_"),
                 on_change=view.reset_game, help=t("analogy.bills_help"))
    st.slider(t("analogy.steps"), view.STEPS[0], view.STEPS[1], key="analogy_steps",
              help=t("analogy.steps_help"))
    st.button(t("analogy.police"), on_click=view.play, args=("police",), icon=":material/local_police:",
              width="stretch", help=t("analogy.police_help"))
    st.button(t("analogy.counterfeiter"), on_click=view.play, args=("counterfeiter",),
              icon=":material/print:", width="stretch", help=t("analogy.counterfeiter_help"))
    st.button(t("analogy.both"), on_click=view.play, args=("both",), icon=":material/sync:",
              width="stretch", help=t("analogy.both_help"))
    autoplay.toggle(view.PLAYING, t("analogy.autoplay"), t("analogy.stop"), ":material/play_arrow:",
                    play_help=t("analogy.autoplay_help"), stop_type="primary")
    st.button(t("analogy.reset"), on_click=view.reset_game, icon=":material/restart_alt:", width="stretch")

with board_col:
    view.board()

with st.expander(t("analogy.how_title")):
    st.markdown(t("analogy.how_body"))

st.divider()
counterfeit_view.section()
