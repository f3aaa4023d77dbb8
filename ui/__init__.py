"""Shared Streamlit helpers: i18n, figure builders, run views. Pages import from here."""


def _leave_legacy_pages_mode() -> None:
    """Make sure every request goes through streamlit_app.py's st.navigation.

    Streamlit decides once per process, at the first session, whether the app is a legacy
    "pages/ folder" app. If that first request is a deep link such as ``/lab?preset=quick``,
    the page script runs on its own (no language switch, no navigation) and the process stays
    in that mode. The first page script to import ``ui`` switches the flag off and reruns, so the
    entry point runs from then on. Uses a private flag, guarded so a future Streamlit that
    drops it just skips this.
    """
    try:
        import streamlit as st
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    except Exception:  # not running under streamlit
        return
    if get_script_run_ctx(suppress_warning=True) is None:
        return
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_pages_mode()
