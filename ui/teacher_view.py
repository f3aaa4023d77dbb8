"""The teacher's view once unlocked (ui/teacher_gate.py): the server's trainings, cancelling,
warming, the atlas check, class limits and presenter links.

Nothing here runs before the gate opens, so nothing of the server is read or shown to someone
without the passcode. The pool is process-wide: a cancelled job, a warmed preset or a new limit
applies to every student at once.
"""
from __future__ import annotations

import dataclasses
import time
from functools import cache

import streamlit as st

from ui.i18n import current_lang, t
from ui.teacher_gate import configured_passcode, is_unlocked, say, show

CAP_MB_RANGE = (1, 10**6)
POLL_SECONDS = 3
K_STEPS, K_QUEUED, K_CAP, K_WARM = "teacher_max_steps", "teacher_max_queued", "teacher_cap_mb", "teacher_warm"


# ---- describing runs ------------------------------------------------------------------------------
@cache
def _atlas_keys() -> frozenset[str]:
    from gan_core import atlas

    return frozenset(c.key for c in atlas.configs())


def _preset_like(cfg, lang: str | None) -> str:
    from gan_core.config import PRESETS

    for name, preset in PRESETS.items():
        if preset == cfg:
            return name
    if cfg.key in _atlas_keys():
        return t("teacher.atlas_point", lang=lang)
    names = [f.name for f in dataclasses.fields(cfg)]
    diffs = {n: [f for f in names if getattr(p, f) != getattr(cfg, f)] for n, p in PRESETS.items()}
    nearest = min(diffs, key=lambda n: len(diffs[n]))
    shown = diffs[nearest][:3] + (["…"] if len(diffs[nearest]) > 3 else [])
    return t("teacher.like", lang=lang, preset=nearest, fields=", ".join(shown))


def describe(cfg, lang: str | None = None) -> str:
    """A preset-like one-line summary: the preset it is (or is closest to) and its main knobs."""
    lr = f"{cfg.lr_g:g}" if cfg.lr_g == cfg.lr_d else f"{cfg.lr_g:g}/{cfg.lr_d:g}"
    knobs = f"{cfg.dataset} · {cfg.arch} · lr {lr} · k {cfg.k} · nz {cfg.nz}"
    return f"{_preset_like(cfg, lang)} · {knobs} · {t('teacher.steps', lang=lang, n=cfg.steps)}"


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "–"
    s = max(0, int(round(s)))
    return f"{s // 60}:{s % 60:02d}"


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.1f}"


# ---- the server ---------------------------------------------------------------------------------
def _pool():
    from gan_core.pool import default_pool

    return default_pool()


def _cancel(key: str) -> None:
    outcome = _pool().cancel(key, session=None)
    level = "success" if outcome == "cancelled" else "warning"
    say("queue", level, f"teacher.cancel_{outcome}")


def _job_row(pool, number: int, job) -> None:
    with st.container(border=True):
        text, button = st.columns([6, 1], vertical_alignment="center")
        text.markdown(f"**{number}.** {describe(job.cfg)}")
        parts = [t(f"teacher.state_{job.state}")]
        if job.state == "queued":
            parts.append(t("teacher.ahead", n=pool.queue_position(job)))
        parts.append(t("teacher.step_of", step=job.step, total=job.total))
        parts.append(t("teacher.eta", left=fmt_seconds(pool.eta(job))))
        n = len(job.owners)
        parts.append(t("teacher.asked", n=n) if n else t("teacher.asked_teacher"))
        text.progress(job.fraction, text=" · ".join(parts))
        button.button(t("teacher.cancel"), key=f"teacher_cancel_{job.key}", on_click=_cancel,
                      args=(job.key,), icon=":material/cancel:", width="stretch")


def _recent_rows(pool) -> list[dict]:
    rows = []
    for job in pool.recent():
        result = job.result
        rows.append({
            t("teacher.col_settings"): describe(job.cfg),
            t("teacher.col_state"): t(f"teacher.state_{job.state}"),
            t("teacher.col_finished"): time.strftime("%H:%M:%S", time.localtime(job.finished or 0)),
            t("teacher.col_seconds"): round(result.seconds, 1) if result is not None else None,
            t("teacher.col_sessions"): len(job.owners),
        })
    return rows


def server_panel() -> None:
    """Workers, cache, limits, the queue (with cancel buttons) and recent runs; refreshed every
    POLL_SECONDS while the page is open."""

    @st.fragment(run_every=POLL_SECONDS)
    def _panel() -> None:
        if not is_unlocked(configured_passcode()):  # locked (or a new passcode) since the page was drawn
            st.rerun()
        pool = _pool()
        jobs = pool.active()
        c = st.columns(5)
        c[0].metric(t("teacher.workers"), pool.workers)
        c[1].metric(t("teacher.active"), len(jobs))
        c[2].metric(t("teacher.cache"), t("teacher.cache_of", used=_mb(pool.store.disk_bytes()),
                                              cap=_mb(pool.store.cap_bytes)))
        c[3].metric(t("teacher.max_steps"), pool.limits.max_steps)
        c[4].metric(t("teacher.max_queued"), pool.limits.max_queued)
        st.subheader(t("teacher.queue_title"))
        show("queue")
        if not jobs:
            st.caption(t("teacher.queue_empty"))
        for number, job in enumerate(jobs, start=1):
            _job_row(pool, number, job)
        st.subheader(t("teacher.recent_title"))
        rows = _recent_rows(pool)
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
        else:
            st.caption(t("teacher.recent_empty"))

    _panel()


# ---- warming, the atlas, limits --------------------------------------------------------------------
def _warm() -> None:
    from gan_core.config import PRESETS

    pool = _pool()
    started = ready = 0
    for name in st.session_state.get(K_WARM) or []:
        cfg = PRESETS.get(name)
        if cfg is None:
            continue
        job = pool.peek(cfg)
        if job is not None and job.state not in ("failed", "cancelled"):
            ready += 1
            continue
        pool.submit(cfg, session=None)
        started += 1
    say("warm", "success" if started or ready else "info",
         "teacher.warm_done" if started or ready else "teacher.warm_none", started=started, ready=ready)


def warm_panel() -> None:
    from gan_core.config import PRESETS
    from ui.params import preset_labeller

    st.multiselect(t("teacher.warm_pick"), list(PRESETS), key=K_WARM, format_func=preset_labeller())
    st.button(t("teacher.warm"), on_click=_warm, icon=":material/local_fire_department:")
    show("warm")


def atlas_panel() -> None:
    from gan_core import atlas

    store = _pool().store
    total = len(atlas.configs())
    shipped = sum(store.is_shipped(cfg.key) for cfg in atlas.configs())
    if shipped == total:
        st.success(t("teacher.atlas_ok", n=shipped), icon=":material/check_circle:")
    else:
        st.warning(t("teacher.atlas_missing", n=shipped, total=total), icon=":material/warning:")
        st.code("python -m gan_core atlas build", language="bash")


def _cap_text(pool) -> str:
    return f"{pool.store.cap_bytes / 2**20:g}"


def _apply_limits() -> None:
    from gan_core.config import parse_number
    from gan_core.jobs import LIMIT_RANGES, ClassLimits

    pool = _pool()
    try:
        limits = ClassLimits.checked(max_steps=st.session_state.get(K_STEPS, ""),
                                     max_queued=st.session_state.get(K_QUEUED, ""))
    except ValueError as err:
        name = str(err) if str(err) in LIMIT_RANGES else "max_steps"
        lo, hi = LIMIT_RANGES[name]
        say("limits", "error", f"teacher.bad_{name}", lo=lo, hi=hi)
        return
    cap_raw = str(st.session_state.get(K_CAP, "")).strip()
    cap = None
    if cap_raw != _cap_text(pool):
        try:
            cap = parse_number(cap_raw.replace(",", ""), float, *CAP_MB_RANGE)[0]
        except (TypeError, ValueError, OverflowError):
            say("limits", "error", "teacher.bad_cap", lo=CAP_MB_RANGE[0], hi=f"{CAP_MB_RANGE[1]:,}")
            return
    pool.set_limits(max_steps=limits.max_steps, max_queued=limits.max_queued)
    evicted = pool.store.evicted
    if cap is not None:
        pool.store.set_cap_mb(cap)
    st.session_state[K_STEPS], st.session_state[K_QUEUED] = str(limits.max_steps), str(limits.max_queued)
    st.session_state[K_CAP] = _cap_text(pool)
    removed = pool.store.evicted - evicted
    say("limits", "success", "teacher.limits_set_evicted" if removed else "teacher.limits_set",
         steps=limits.max_steps, queued=limits.max_queued, cap=_cap_text(pool), n=removed)


def limits_panel() -> None:
    from gan_core.jobs import LIMIT_RANGES

    pool = _pool()
    for key, value in ((K_STEPS, pool.limits.max_steps), (K_QUEUED, pool.limits.max_queued),
                       (K_CAP, _cap_text(pool))):
        st.session_state.setdefault(key, str(value))
    with st.form("teacher_limits"):
        c1, c2, c3 = st.columns(3)
        lo, hi = LIMIT_RANGES["max_steps"]
        c1.text_input(t("teacher.max_steps"), key=K_STEPS, help=t("teacher.range", lo=lo, hi=hi))
        lo, hi = LIMIT_RANGES["max_queued"]
        c2.text_input(t("teacher.max_queued"), key=K_QUEUED, help=t("teacher.range", lo=lo, hi=hi))
        c3.text_input(t("teacher.cap_mb"), key=K_CAP,
                      help=t("teacher.range", lo=CAP_MB_RANGE[0], hi=f"{CAP_MB_RANGE[1]:,}"))
        st.form_submit_button(t("teacher.apply"), on_click=_apply_limits, type="primary")
    show("limits")


def presenter_links() -> None:
    """A link to every page in presenter mode, and one back to the normal view."""
    from ui import nav

    lang = current_lang()
    cols = st.columns(3)
    for i, spec in enumerate(p for p in nav.available_pages() if p.slug != "teacher"):
        cols[i % 3].page_link(nav.page_file(spec.slug), label=t(spec.title_key, lang=lang), icon=spec.icon,
                              query_params={"present": "1", "lang": lang})
    st.page_link(nav.page_file("teacher"), label=t("teacher.present_off"), icon=":material/desktop_windows:",
                 query_params={"present": "0"})
