"""GAN Classroom entry point: page config, language switch, navigation.

Kept free of torch so the first page is served quickly; pages import the engine themselves.
"""
import streamlit as st

from ui import present, warmup
from ui.i18n import LANG_KEY, LANG_LABELS, LANGS, lang_from_locale, t
from ui.nav import available_pages

st.set_page_config(page_title="GAN Classroom", page_icon=":material/school:", layout="wide")

if LANG_KEY not in st.session_state:
    # A shared link may carry ?lang=ko; otherwise follow the browser's language.
    wanted = st.query_params.get("lang")
    st.session_state[LANG_KEY] = wanted if wanted in LANGS else lang_from_locale(st.context.locale)
present.start()  # ?present=1 / ?present=0: presenter mode for the projector, kept for the session

with st.sidebar:
    st.radio(t("nav.language"), options=list(LANGS), format_func=LANG_LABELS.get, key=LANG_KEY,
             horizontal=True)

pages = [
    st.Page(str(spec.path), title=t(spec.title_key), icon=spec.icon, url_path=spec.slug, default=(i == 0))
    for i, spec in enumerate(available_pages())
]
try:
    st.navigation(pages, position=present.nav_position(), expanded=True).run()  # every page listed
finally:
    # The engine loads on another thread once this page is drawn (a page that needs it sooner
    # imports it itself; started earlier, the import would slow the page it is meant to help).
    warmup.start()
