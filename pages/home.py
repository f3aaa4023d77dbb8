"""Home: what a GAN is, the course path in teaching order, and a note for teachers.

No torch here (start-up time): gan_core.config is torch-free.
"""
import streamlit as st

from gan_core.config import PRESETS
from ui import course
from ui.i18n import t

course.story_strip()  # the idea in one picture, before any words
st.title(t("home.title"))
st.markdown(" ".join(t(f"home.what_{i}") for i in (1, 2, 3)))

st.header(t("home.path_title"))
st.caption(t("home.path_intro"))
course.path_cards()

st.header(t("home.teacher_title"))
course.classroom_note(list(PRESETS))
