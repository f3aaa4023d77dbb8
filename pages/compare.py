"""Compare runs: change one knob (learning rate, k or nz) and see the runs side by side."""
import streamlit as st

from ui import compare_view, run_view
from ui.i18n import t

st.title(t("compare.title"))
st.caption(t("compare.intro"))
run_view.storage_notice()
state = compare_view.state()
compare_view.controls(state)
compare_view.show_notice()
compare_view.comparison(state)
compare_view.link(state)
