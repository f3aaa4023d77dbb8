"""Police vs counterfeiter: the GAN analogy as a game played by a real 1D GAN."""
import streamlit as st

from ui import concept
from ui.i18n import option_label, t

st.title(t("analogy.title"))
st.markdown(t("analogy.intro"))

with st.expander(t("analogy.map_title"), expanded=True):
    st.markdown(concept.mapping_table())
    st.info(t("analogy.end_state"), icon=":material/balance:")

st.subheader(t("analogy.game_title"))
st.caption(t("analogy.game_intro"))

concept.analogy_settings()
controls, board_col = st.columns([1, 2], gap="large")
with controls:
    st.selectbox(t("analogy.bills"), concept.BILLS, key="analogy_bills", format_func=option_label("analogy.bills_"),
                 on_change=concept.reset_game, help=t("analogy.bills_help"))
    st.slider(t("analogy.steps"), 1, 100, key="analogy_steps", help=t("analogy.steps_help"))
    st.button(t("analogy.police"), on_click=concept.play, args=("police",), icon=":material/local_police:",
              width="stretch", help=t("analogy.police_help"))
    st.button(t("analogy.counterfeiter"), on_click=concept.play, args=("counterfeiter",),
              icon=":material/print:", width="stretch", help=t("analogy.counterfeiter_help"))
    st.button(t("analogy.both"), on_click=concept.play, args=("both",), icon=":material/sync:",
              width="stretch", help=t("analogy.both_help"))
    if st.session_state.get("analogy_playing"):
        st.button(t("analogy.stop"), on_click=concept.set_playing, args=(False,), icon=":material/stop:",
                  type="primary", width="stretch")
    else:
        st.button(t("analogy.autoplay"), on_click=concept.set_playing, args=(True,), icon=":material/play_arrow:",
                  width="stretch", help=t("analogy.autoplay_help"))
    st.button(t("analogy.reset"), on_click=concept.reset_game, icon=":material/restart_alt:", width="stretch")

with board_col:
    concept.game_board()

with st.expander(t("analogy.how_title")):
    st.markdown(t("analogy.how_body"))
