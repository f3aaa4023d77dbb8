"""Presenter mode: ``?present=1`` adds its CSS on every page and survives page switches,
``?present=0`` turns it off, and without it nothing is hidden.

These tests start the app from cloud/streamlit_app.py, which runs streamlit_app.py itself on
every rerun. (Started from streamlit_app.py, AppTest treats the folder's pages/ as a legacy
multipage app and, after the first run, runs only the page script, never the entry point.)
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import present
from ui.i18n import t

CLOUD = str(Path(__file__).resolve().parent.parent / "cloud" / "streamlit_app.py")


def _app(lang: str = "en", query: dict | None = None) -> AppTest:
    at = AppTest.from_file(CLOUD, default_timeout=120)
    at.session_state["lang"] = lang
    at.query_params.update(query or {})
    return at.run()


def _go(at: AppTest, page: str, query: dict | None = None) -> AppTest:
    at.query_params.clear()  # a page switch drops the query, as in the browser
    at.query_params.update(query or {})
    at.switch_page(f"../pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _presenter_css(at: AppTest) -> list[str]:
    event = at._tree.children[2]  # style-only st.html lands in the app's event container
    return [node.proto.body for node in event.children.values()
            if getattr(node, "type", "") == "html" and present.MARK in node.proto.body]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_present_link_styles_every_page_and_survives_switches(lang):
    at = _app(lang, {"present": "1"})
    assert at.title[0].value == t("home.title", lang=lang)
    css = _presenter_css(at)
    assert len(css) == 1 and '[data-testid="stSidebar"]' in css[0] and "font-size: 125%" in css[0]
    _go(at, "quiz")
    assert at.title[0].value == t("quiz.title", lang=lang) and _presenter_css(at) == css
    _go(at, "family")
    assert at.title[0].value == t("family.title", lang=lang) and _presenter_css(at) == css
    _go(at, "quiz", {"present": "0"})  # ?present=0 turns it off, and it stays off
    assert _presenter_css(at) == []
    _go(at, "family")
    assert _presenter_css(at) == [] and at.session_state[present.KEY] is False


def test_without_the_link_nothing_is_hidden():
    at = _app()
    assert _presenter_css(at) == [] and present.KEY not in at.session_state
    assert at.sidebar.radio[0].label == t("nav.language", lang="en")  # the sidebar is drawn as usual
    _go(at, "quiz")
    assert _presenter_css(at) == [] and at.sidebar.radio


@pytest.mark.parametrize("value,expect", [("true", True), ("on", True), ("banana", False), ("", False)])
def test_only_clear_values_change_the_mode(value, expect):
    at = _app(query={"present": value})
    assert bool(_presenter_css(at)) is expect
    assert (at.session_state[present.KEY] is True) if expect else (present.KEY not in at.session_state)


def _split_script():
    import streamlit as st

    from ui import present

    settings, main = present.split([1, 2])
    with settings:
        st.button("settings-button")
    with main:
        st.write("results")


@pytest.mark.parametrize("on", [True, False])
def test_split_folds_the_settings_column_in_presenter_mode(on):
    at = AppTest.from_function(_split_script)
    at.session_state[present.KEY] = on
    at.run()
    assert not at.exception
    assert at.button[0].label == "settings-button"  # the controls stay reachable either way
    assert len(at.expander) == (1 if on else 0) and len(at.columns) == (0 if on else 2)
    if on:
        assert at.expander[0].label == t("nav.present_settings", lang="en")
