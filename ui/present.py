"""Presenter mode for the projector: ``?present=1`` on any link, ``?present=0`` to leave it.

The entry point calls :func:`start` on every run: the query parameter, when a link carries
one, is copied into session_state, so the mode survives page switches (which drop the query).
While it is on, injected CSS hides the sidebar, widens the main block and enlarges text and
images, and the page list moves to the top bar so pages can still be switched.

Pages that lay out a settings column next to their results use :func:`split` (or test
:func:`active` themselves): in presenter mode the settings fold into a closed expander above
the results, which then get the whole width.
"""
from __future__ import annotations

import streamlit as st

from ui.i18n import t

KEY = "present_mode"  # session_state
PARAM = "present"  # query parameter
MARK = "gan-classroom-presenter"
_ON = frozenset({"1", "true", "on", "yes"})
_OFF = frozenset({"0", "false", "off", "no"})

CSS = f"""<style>
/* {MARK}: larger text, no sidebar, the whole width for figures */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {{ display: none !important; }}
html {{ font-size: 125% !important; }}
[data-testid="stMainBlockContainer"], .block-container {{
  max-width: 100% !important; padding-left: 2.5rem !important; padding-right: 2.5rem !important;
}}
[data-testid="stImage"] img {{ min-width: min(100%, 28rem); image-rendering: pixelated; }}
</style>"""


def _wanted(raw: object) -> bool | None:
    text = str(raw).strip().lower()
    if text in _ON:
        return True
    if text in _OFF:
        return False
    return None  # anything else leaves the mode as it was


def active() -> bool:
    """True while this browser session is in presenter mode."""
    try:
        return bool(st.session_state.get(KEY, False))
    except Exception:  # no script run context (imported outside a page)
        return False


def start() -> bool:
    """Read ``?present=`` into session_state and add the CSS when the mode is on (entry point)."""
    raw = st.query_params.get(PARAM)
    if raw is not None:
        wanted = _wanted(raw)
        if wanted is not None:
            st.session_state[KEY] = wanted
    if active():
        st.html(CSS)
    return active()


def nav_position() -> str:
    """Where st.navigation puts the page list: the top bar while the sidebar is hidden."""
    return "top" if active() else "sidebar"


def split(spec, gap: str = "large"):
    """``settings, main = present.split([1, 2])``: two columns normally; in presenter mode a
    closed settings expander above a full-width main container."""
    if not active():
        return st.columns(spec, gap=gap)
    return st.expander(t("nav.present_settings"), icon=":material/tune:"), st.container()
