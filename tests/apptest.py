"""One way for page tests to open the app at a page: ``open_page("lab", lang, query, state)``."""
from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def open_page(page: str, lang: str = "en", query: dict | None = None, state: dict | None = None,
              timeout: int = 120, check: bool = True, entry: str = APP) -> AppTest:
    """Run the entry point (language switch, navigation), then switch to ``pages/<page>.py``.

    ``query`` becomes the URL's query parameters and ``state`` is put in session_state first;
    with ``check`` the page must have rendered without an exception.
    """
    at = AppTest.from_file(entry, default_timeout=timeout)
    at.session_state["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    if check:
        assert not at.exception, [e.value for e in at.exception]
    return at


def plotly_array(v) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array {dtype, bdata (base64)}."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.asarray(v)
