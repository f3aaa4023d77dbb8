"""Auto-play for the concept pages' boards: one play/stop button and one self-refreshing board.

Three boards advance on their own while a flag in ``st.session_state`` is on: the police game
(one round a tick), the training stepper (one sub-step a tick, in slow motion) and the minimax
page's figure 1 (a chunk of iterations a tick). They share this skeleton: an ``st.fragment`` that
reruns every few seconds while playing, plays one tick, stops (and reruns the whole page, so the
button turns back into "play") when there is nothing left to play, shows an error a callback left
behind, and draws. Only the page's own parts (what to load, what a tick does, what to draw) differ.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

TICK_SECONDS = 0.8


def playing(flag: str) -> bool:
    return bool(st.session_state.get(flag))


def set_playing(flag: str, on: bool) -> None:
    st.session_state[flag] = bool(on)


def toggle(flag: str, play_label: str, stop_label: str, play_icon: str, *, play_help: str | None = None,
           stop_type: str = "secondary", where=st) -> None:
    """The button that starts auto-play, or stops it while it runs (drawn in ``where``)."""
    if playing(flag):
        where.button(stop_label, on_click=set_playing, args=(flag, False), icon=":material/stop:",
                     type=stop_type, width="stretch")
    else:
        where.button(play_label, on_click=set_playing, args=(flag, True), icon=play_icon, width="stretch",
                     help=play_help)


def board(flag: str, load: Callable[[], Any], tick: Callable[[Any], bool], draw: Callable[[Any], None], *,
          every: float = TICK_SECONDS, error_text: str | None = None, error_key: str | None = None) -> None:
    """Draw a board that plays itself while ``flag`` is on.

    ``load()`` gives the thing to play with; ``tick(thing)`` plays one tick and says whether there
    is more to play; ``draw(thing)`` shows it. With ``error_text`` a failing ``load`` stops the
    play and shows that text instead of a traceback; ``error_key`` names a session_state entry
    where callbacks leave a message to show once.
    """

    @st.fragment(run_every=every if playing(flag) else None)
    def _board():
        try:
            thing = load()
        except Exception:  # any failure: the page must keep working
            if error_text is None:
                raise
            set_playing(flag, False)
            st.error(error_text)
            return
        if playing(flag) and not tick(thing):
            set_playing(flag, False)
            st.rerun()
        err = st.session_state.pop(error_key, None) if error_key else None
        if err:
            st.error(err)
        draw(thing)

    _board()
