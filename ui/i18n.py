"""Korean / English string catalogues.

Every user-facing string lives in ``ui/locales/<lang>/<area>.json``; one file per area keeps
pages from editing the same file. Keys are ``"<area>.<name>"`` where ``<area>`` is the file's
stem, so ``t("lab.train")`` reads ``ui/locales/<lang>/lab.json["train"]``. Both languages must
hold exactly the same keys (tests/test_i18n.py checks this).

This module imports streamlit lazily so catalogues can be checked without it.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGS = ("ko", "en")
LANG_LABELS = {"ko": "한국어", "en": "English"}
DEFAULT_LANG = "en"
LOCALE_DIR = Path(__file__).parent / "locales"
LANG_KEY = "lang"  # st.session_state key of the sidebar switch


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All strings of one language, flattened to ``area.name`` keys."""
    out: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for name, text in data.items():
            out[f"{path.stem}.{name}"] = text
    return out


def lang_from_locale(locale: str | None) -> str:
    """Map a browser locale such as ``ko-KR`` to one of LANGS."""
    if locale and locale.lower().startswith("ko"):
        return "ko"
    return DEFAULT_LANG


def current_lang() -> str:
    """The language picked in the sidebar (falls back to English outside a session)."""
    try:
        import streamlit as st

        lang = st.session_state.get(LANG_KEY)
    except Exception:  # no script run context
        lang = None
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, /, lang: str | None = None, **fmt) -> str:
    """Translate ``key``; ``fmt`` fills ``{placeholders}``. A missing key shows itself."""
    lang = lang or current_lang()
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANG).get(key, key)
    if fmt:
        try:
            return text.format(**fmt)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def option_label(prefix: str, lang: str | None = None):
    """A ``format_func`` for selectboxes: value ``v`` -> ``t(prefix + v)`` (``-`` -> ``_``).

    The language is captured now, not looked up later: streamlit's AppTest calls format
    functions outside the script run, where the session's language can't be read.
    """
    lang = lang or current_lang()
    return lambda v: t(f"{prefix}{str(v).replace('-', '_')}", lang=lang)
