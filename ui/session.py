"""Who is asking: one id per browser session, so the pool knows whose runs are whose."""
from __future__ import annotations

import uuid

import streamlit as st

KEY = "session_id"


def session_id() -> str:
    """A random id made on this session's first call and kept in its session_state."""
    if KEY not in st.session_state:
        st.session_state[KEY] = uuid.uuid4().hex
    return st.session_state[KEY]
