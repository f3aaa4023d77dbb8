"""Showing a training run: live progress while it trains, a replayable timeline when done.

The run itself lives in the process-wide JobPool (gan_core.runs), so clicking around, leaving
the page or a second student pressing Train never interrupts it; this module only looks.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from gan_core.config import TrainConfig
from ui import figures
from ui.cluster_view import failure_text, pool_notice
from ui.i18n import current_lang, t
from ui.session import session_id

POLL_SECONDS = 1.5


def pool():
    from gan_core.pool import default_pool

    return default_pool()


def start(cfg: TrainConfig) -> bool:
    """Ask the pool for ``cfg`` as this browser session; a class limit gets one sentence."""
    from gan_core.jobs import LimitError

    try:
        pool().submit(cfg, session=session_id())
    except LimitError as err:
        st.warning(t(f"run.limit_{err.kind}", limit=err.limit), icon=":material/block:")
        return False
    return True


def cancel_button(job, key: str) -> bool:
    """A Cancel button for an unfinished run; True when this session has left the run."""
    if job.done or not st.button(t("run.cancel"), icon=":material/stop_circle:", key=key):
        return False
    outcome = pool().cancel(job.key, session=session_id())
    if outcome == "cancelled":
        message = t("run.cancelled_shared") if job.owners else t("run.cancelled")
        st.toast(message, icon=":material/stop_circle:")
        return True
    st.info(t(f"run.cancel_{outcome}"))
    return outcome in ("not_found", "not_yours")


def storage_notice() -> None:
    """Say so when finished runs can only be kept in memory (cache folder full or read-only)."""
    if pool().store.notice == "cache_unwritable":
        st.info(t("run.cache_unwritable"), icon=":material/sd_card_alert:")
    pool_notice(pool())  # a configured cluster this server cannot use


def real_points(cfg: TrainConfig) -> np.ndarray | None:
    """Reference samples for toy scatter plots."""
    if cfg.is_image:
        return None
    from gan_core.data import sample_toy

    return sample_toy(cfg.toy_set, 1500, np.random.default_rng(0))


def picture(cfg: TrainConfig, samples: np.ndarray, scale: int = 3) -> np.ndarray:
    from gan_core.export import snapshot_picture, toy_picture

    if cfg.is_image:
        return snapshot_picture(samples, scale=scale, ncol=8 if cfg.conditional else None)
    return toy_picture(samples, real_points(cfg))


def _fmt_seconds(s: float) -> str:
    s = max(0, int(round(s)))
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else t("run.seconds", s=s)


def progress_block(job) -> None:
    """Queue position or progress bar with elapsed time and an estimate of what is left."""
    if job.state == "queued":
        ahead = pool().queue_position(job)
        eta = pool().eta(job)
        text = t("run.queued", n=ahead)
        if eta is not None:
            text += " " + t("run.queued_eta", left=_fmt_seconds(eta))
        st.info(text, icon=":material/hourglass_top:")
        st.progress(job.fraction)
        return
    elapsed = time.time() - (job.started or time.time())
    left = elapsed / job.fraction * (1 - job.fraction) if job.fraction > 0.02 else None
    text = t("run.progress", step=job.step, total=job.total, elapsed=_fmt_seconds(elapsed))
    if left is not None:
        text += " · " + t("run.eta", left=_fmt_seconds(left))
    st.progress(job.fraction, text=text)


@dataclass(frozen=True)
class LiveFrame:
    """What a live view shows at one moment: built once, shared by every session watching."""

    step: int
    snapshot_step: int | None
    picture_png: bytes | None
    loss: object  # plotly Figure
    dprob: object


_FRAMES: OrderedDict[tuple[str, str], tuple[float, LiveFrame]] = OrderedDict()
_FRAMES_LOCK = threading.Lock()
FRAME_MAX_AGE = 1.0  # seconds a frame is reused for other sessions watching the same run


def live_frame(job, lang: str) -> LiveFrame:
    """The current frame of a running job, rebuilt at most once a second per language.

    A class watching one run would otherwise build the same two figures and the same picture
    once per student per poll (about 0.2 s of CPU each): with 30 students that is more than
    two cores can give, and the server falls behind. Shared, it costs the same for 1 or 30.
    """
    key = (job.key, lang)
    now = time.monotonic()
    with _FRAMES_LOCK:
        hit = _FRAMES.get(key)
    if hit is not None and (hit[1].step == job.step or now - hit[0] < FRAME_MAX_AGE):
        return hit[1]
    from gan_core.export import png_bytes

    hist = {k: np.asarray(v) for k, v in job.history.items()}
    snap = job.snapshots[-1] if job.snapshots else None
    frame = LiveFrame(
        step=job.step,
        snapshot_step=None if snap is None else snap.step,
        picture_png=None if snap is None else png_bytes(picture(job.cfg, snap.samples)),
        loss=figures.loss_figure(hist),
        dprob=figures.dprob_figure(hist, loss=job.cfg.loss),
    )
    with _FRAMES_LOCK:
        _FRAMES[key] = (now, frame)
        _FRAMES.move_to_end(key)
        while len(_FRAMES) > 32:
            _FRAMES.popitem(last=False)
    return frame


def live_view(cfg: TrainConfig, forget_key: str | None = None) -> None:
    """Polls the job every POLL_SECONDS; hands over to the full page once it is finished.

    With ``forget_key``, a Cancel button leaves the run and drops that session_state entry."""

    @st.fragment(run_every=POLL_SECONDS)
    def _live() -> None:
        job = pool().peek(cfg)
        if job is None:
            st.warning(t("run.lost"))
            return
        if job.done:
            st.rerun()
        progress_block(job)
        if forget_key is not None and cancel_button(job, key="live_cancel"):
            st.session_state.pop(forget_key, None)
            st.rerun()
        if not job.snapshots:
            return  # nothing to draw yet
        frame = live_frame(job, current_lang())
        left, right = st.columns([1, 1])  # the samples matter most to a beginner: half the width
        with left:
            if frame.picture_png is not None:
                st.image(frame.picture_png, caption=t("run.snapshot_caption", step=frame.snapshot_step),
                         width="stretch")
        with right:
            st.plotly_chart(frame.loss, width="stretch", key="live_loss")
            st.plotly_chart(frame.dprob, width="stretch", key="live_dprob")

    _live()


def status_message(job) -> None:
    """One line saying how the run ended (and what to try if it went wrong)."""
    r = job.result
    if job.state == "cancelled":
        st.info(t("run.cancelled"), icon=":material/stop_circle:")
        return
    if job.state == "failed" or r is None:
        st.error(failure_text(job.error), icon=":material/error:")  # one sentence, its cause if known
        return
    note = r.metrics.get("data_note", "") if isinstance(r.metrics, dict) else ""
    if note.startswith("offline:"):
        st.info(t("run.offline_data", name=note.split(":", 1)[1]), icon=":material/cloud_off:")
    if r.status == "diverged":
        parts = r.message.split(":")
        step = parts[1] if len(parts) > 1 else "?"
        hint = parts[2] if len(parts) > 2 else "unstable"
        st.warning(t("run.diverged", step=step) + " " + t(f"run.hint_{hint}"), icon=":material/warning:")
    elif job.cached and pool().store.is_shipped(r.config.key):
        st.success(t("run.shipped", seconds=f"{r.seconds:.1f}"), icon=":material/bolt:")
    elif job.cached:
        st.success(t("run.cached", seconds=f"{r.seconds:.1f}"), icon=":material/bolt:")
    else:
        st.success(t("run.done", seconds=f"{r.seconds:.1f}"), icon=":material/check_circle:")


def timeline(result, key: str) -> int:
    """A slider over the run's snapshots; returns the index picked (default: the last)."""
    steps = [s.step for s in result.snapshots]
    if len(steps) == 1:
        return 0
    chosen = st.select_slider(t("run.timeline"), options=steps, value=steps[-1], key=key,
                              help=t("run.timeline_help"))
    return steps.index(chosen)


def finished_view(job, key_prefix: str) -> int | None:
    """The finished run: status, timeline, samples, curves and downloads. Returns the snapshot index."""
    from gan_core.export import png_bytes

    status_message(job)
    r = job.result
    if r is None or not r.snapshots:
        return None
    cfg = r.config
    idx = timeline(r, f"{key_prefix}_timeline_{cfg.key}")
    snap = r.snapshots[idx]
    left, right = st.columns([1, 1])  # the samples matter most to a beginner: half the width
    with left:
        # encoded once (PNG) for every session and for the download, not at each rerun
        png = figures.memo(("picture", cfg.key, snap.step), lambda: png_bytes(picture(cfg, snap.samples)))
        st.image(png, caption=t("run.snapshot_caption", step=snap.step), width="stretch")
    with right:
        # a finished run's curves at one step never change: built once for every session
        loss = figures.memo(("loss", cfg.key, snap.step), lambda: figures.loss_figure(r.history, snap.step))
        dprob = figures.memo(("dprob", cfg.key, snap.step),
                             lambda: figures.dprob_figure(r.history, snap.step, cfg.loss))
        st.plotly_chart(loss, width="stretch", key=f"{key_prefix}_loss")
        st.plotly_chart(dprob, width="stretch", key=f"{key_prefix}_dprob")
    box = st.expander(t("run.grads_title"), key=f"{key_prefix}_grads_open", on_change="rerun")
    if box.open:  # a chart made only for those who open it
        with box:
            st.caption(t("run.grads_help"))
            grads = figures.memo(("grads", cfg.key, snap.step),
                                 lambda: figures.grad_figure(r.history, snap.step))
            st.plotly_chart(grads, width="stretch", key=f"{key_prefix}_grads")
    downloads(r, png, snap.step, key_prefix)
    return idx


def downloads(result, png: bytes, step: int, key_prefix: str) -> None:
    from functools import partial

    from gan_core import export

    name = f"gan-{result.config.dataset}-{result.config.key[:8]}"
    cols = st.columns(2) + st.columns(2)  # two rows: the labels fit in Korean and English
    cols[0].download_button(t("run.dl_png"), png, f"{name}-step{step}.png",
                            "image/png", key=f"{key_prefix}_dl_png", icon=":material/image:",
                            on_click="ignore")
    cols[1].download_button(t("run.dl_gif"), partial(export.timeline_gif, result), f"{name}-timeline.gif",
                            "image/gif", key=f"{key_prefix}_dl_gif", icon=":material/movie:",
                            on_click="ignore")
    if result.generator:  # runs shipped with the app keep no weights
        cols[2].download_button(t("run.dl_weights"), partial(export.weights_bytes, result),
                                f"{name}-generator.pt", "application/octet-stream", key=f"{key_prefix}_dl_pt",
                                icon=":material/download:", on_click="ignore")
    cols[3].download_button(t("run.dl_config"), export.config_bytes(result), f"{name}-config.json",
                            "application/json", key=f"{key_prefix}_dl_json", icon=":material/data_object:",
                            on_click="ignore")


def share_link(params: dict[str, str]) -> None:
    """The address that reopens the page with these settings."""
    base = ""
    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:
        base = ""
    query = urlencode(params)
    st.caption(t("run.share_help"))
    st.code(f"{base}?{query}" if base else f"?{query}", language=None)
