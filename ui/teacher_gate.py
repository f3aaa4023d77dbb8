"""The teacher's passcode: where it comes from, how it is checked, and the lockout.

* The passcode is ``st.secrets["teacher_passcode"]`` or else ``$GAN_CLASSROOM_TEACHER_PASSCODE``
  (a missing or unreadable secrets file is no error). It is typed into a password field,
  compared in constant time (``hmac.compare_digest`` on bytes) and never put in a URL; the typed
  text is cleared at once, and an unlocked session keeps only a fingerprint of the passcode in
  its session_state, so a changed passcode locks every session again.
* MAX_TRIES wrong tries in a row lock that browser session out for LOCKOUT_SECONDS.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import os
import time

import streamlit as st

from ui.i18n import t

SECRET = "teacher_passcode"
ENV = "GAN_CLASSROOM_TEACHER_PASSCODE"
MAX_TRIES = 5
LOCKOUT_SECONDS = 300
INPUT = "teacher_passcode_input"
UNLOCKED = "teacher_unlocked"  # fingerprint of the passcode that unlocked this session
FAILS = "teacher_fails"  # wrong tries in a row
LOCKED_UNTIL = "teacher_locked_until"  # monotonic time
MSG = "teacher_msg_"  # + area: (level, catalogue key, format values)


def _now() -> float:
    return time.monotonic()


# ---- the passcode -------------------------------------------------------------------------------
def configured_passcode() -> str:
    """The teacher's passcode ("" when none is set): secrets first, then the environment."""
    try:
        value = st.secrets[SECRET]
    except (KeyError, FileNotFoundError):  # no secrets file, an unreadable one, or no such key
        value = None
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        value = os.environ.get(ENV, "")
    return str(value).strip()


def check_passcode(entered: str, passcode: str) -> bool:
    """Constant-time comparison of what was typed with the configured passcode."""
    if not passcode:
        return False
    return hmac.compare_digest(str(entered).strip().encode("utf-8"), passcode.encode("utf-8"))


def _fingerprint(passcode: str) -> str:
    return hashlib.sha256(b"gan-classroom-teacher\0" + passcode.encode("utf-8")).hexdigest()


def is_unlocked(passcode: str) -> bool:
    held = st.session_state.get(UNLOCKED)
    return bool(passcode) and isinstance(held, str) and hmac.compare_digest(
        held.encode("ascii", "replace"), _fingerprint(passcode).encode("ascii"))


def lockout_left() -> float:
    return max(0.0, float(st.session_state.get(LOCKED_UNTIL, 0.0)) - _now())


def say(area: str, level: str, key: str, **fmt) -> None:
    st.session_state[MSG + area] = (level, key, fmt)


def show(area: str) -> None:
    said = st.session_state.pop(MSG + area, None)
    if said is not None:
        level, key, fmt = said
        getattr(st, level)(t(key, **fmt))


def _try_passcode() -> None:
    entered = st.session_state.get(INPUT, "")
    st.session_state[INPUT] = ""  # the typed passcode does not stay in the session
    if lockout_left() > 0:
        return
    passcode = configured_passcode()
    if check_passcode(entered, passcode):
        st.session_state[UNLOCKED] = _fingerprint(passcode)
        st.session_state[FAILS] = 0
        return
    fails = int(st.session_state.get(FAILS, 0)) + 1
    if fails >= MAX_TRIES:
        st.session_state[LOCKED_UNTIL] = _now() + LOCKOUT_SECONDS
        fails = 0
    st.session_state[FAILS] = fails
    if fails:
        say("gate", "error", "teacher.wrong", left=MAX_TRIES - fails, minutes=LOCKOUT_SECONDS // 60)


def lock() -> None:
    st.session_state.pop(UNLOCKED, None)


def gate() -> bool:
    """Draw the passcode form (or why there is none); True once this session is unlocked."""
    passcode = configured_passcode()
    if not passcode:
        st.info(t("teacher.no_passcode", env=ENV, secret=SECRET), icon=":material/lock:")
        return False
    if is_unlocked(passcode):
        return True
    left = lockout_left()
    if left > 0:
        st.warning(t("teacher.locked_out", minutes=math.ceil(left / 60)), icon=":material/timer:")
        return False
    with st.form("teacher_login", border=True):
        st.text_input(t("teacher.passcode"), type="password", key=INPUT, autocomplete="off")
        st.form_submit_button(t("teacher.unlock"), on_click=_try_passcode, type="primary",
                              icon=":material/lock_open:")
    show("gate")
    return False

