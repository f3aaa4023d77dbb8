"""The teacher's view: the class's trainings on this server, cancelling, warming, limits and
presenter links. Behind a passcode (ui/teacher_gate.py); nothing of the server shows before it."""
import streamlit as st

from ui import cluster_view
from ui import teacher_gate as gate
from ui import teacher_view as view
from ui.i18n import t

st.title(t("teacher.title"))
st.caption(t("teacher.intro"))

if gate.gate():
    st.button(t("teacher.lock"), on_click=gate.lock, icon=":material/lock:")
    view.server_panel()
    cluster_view.teacher_panel()  # shows only where the app trains on a Ray cluster

    st.header(t("teacher.limits_title"))
    st.caption(t("teacher.limits_intro"))
    view.limits_panel()

    st.header(t("teacher.warm_title"))
    st.caption(t("teacher.warm_intro"))
    view.warm_panel()
    view.atlas_panel()

    st.header(t("teacher.present_title"))
    st.caption(t("teacher.present_intro"))
    view.presenter_links()
