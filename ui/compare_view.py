"""The Compare page: runs that differ in one knob, side by side at the same training step:
sample grids, quality numbers and overlaid curves, driven by one timeline.

What is compared (``ui.compare_state``) is kept in ``st.session_state[STATE]``, read from the
link on the first visit and written back to it. The runs come from the shared job pool:
shipped atlas runs and cached runs open at once; the others train in the pool when the
student asks (never on the script thread) and fill in when done.
"""
from __future__ import annotations

import streamlit as st

from gan_core import atlas
from gan_core.config import SPECS, TrainConfig, from_dict
from ui import compare_state as cs
from ui import figures, run_view
from ui.i18n import option_label, t

STATE = "cmp"
STEP_KEY = "cmp_step"
KNOB_KEY = "cmp_knob"
NOTICE_KEY = "cmp_notice"
MD_COLOURS = ("blue", "orange", "green", "violet", "red")  # figures.RUN_COLOURS, as markdown names
POLL_SECONDS = 1.5


def state() -> dict:
    """The comparison of this session: from the link on the first visit, then kept."""
    if STATE not in st.session_state:
        query = {k: st.query_params.get(k) for k in st.query_params.keys()}
        st.session_state[STATE], messages = cs.from_query(query)
        if messages:
            st.session_state[NOTICE_KEY] = ("warning", " ".join(messages))
    return st.session_state[STATE]


def write_url(query: dict[str, str]) -> None:
    """Put the comparison in the address bar, keeping the parameters other features own."""
    current = {k: st.query_params.get(k) for k in st.query_params.keys() if k not in cs.PASSIVE_KEYS}
    if current == query:
        return
    kept = {k: st.query_params.get(k) for k in cs.PASSIVE_KEYS if k in st.query_params}
    st.query_params.clear()
    st.query_params.update({**query, **kept})


def link(s: dict) -> None:
    """Mirror the comparison into the address bar and show the link that reopens it."""
    from urllib.parse import urlencode

    query = cs.to_query(s)
    write_url(query)
    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # no browser context (tests)
        base = ""
    st.caption(t("compare.share_help"))
    st.code(f"{base}?{urlencode(query)}", language=None)


def notice(kind: str | None, text: str = "") -> None:
    if kind:
        st.session_state[NOTICE_KEY] = (kind, text)


def show_notice() -> None:
    kind, text = st.session_state.pop(NOTICE_KEY, (None, ""))
    if kind == "warning":
        st.warning(text, icon=":material/link_off:")
    elif kind == "error":
        st.error(text, icon=":material/block:")
    elif kind == "info":
        st.info(text, icon=":material/info:")


# ---- changing the comparison (widget callbacks) -----------------------------------------------
def _set_knob() -> None:
    s = st.session_state[STATE]
    s["knob"] = st.session_state[KNOB_KEY]
    s["values"] = list(atlas.KNOBS[s["knob"]])


def _add_value(value: float) -> None:
    notice(*cs.add_value(st.session_state[STATE], value))


def _add_run(cfg: TrainConfig) -> None:
    notice(*cs.add_run(st.session_state[STATE], cfg))


def _remove(value: float) -> None:
    s = st.session_state[STATE]
    s["values"] = [v for v in s["values"] if v != value]


def _reset() -> None:
    st.session_state[STATE] = cs.default_state()


def submit_missing(cfgs: list[TrainConfig]) -> None:
    """Ask the pool for every run not trained yet; a class limit ends it with one sentence."""
    from gan_core.jobs import LimitError
    from ui.session import session_id

    pool = run_view.pool()
    for cfg in cfgs:
        try:
            pool.submit(cfg, session=session_id())
        except LimitError as err:
            notice("error", t(f"compare.limit_{err.kind}", limit=err.limit))
            return


def _add_link() -> None:
    cfg, problem = cs.config_from_link(st.session_state.get("cmp_link", ""))
    if cfg is None:
        notice("error", problem)
    else:
        _add_run(cfg)
        st.session_state["cmp_link"] = ""


# ---- drawing ----------------------------------------------------------------------------------
def controls(s: dict) -> None:
    """The knob, what every run shares, and ways to add runs."""
    st.session_state[KNOB_KEY] = s["knob"]
    st.radio(t("compare.knob"), list(cs.FIELDS), key=KNOB_KEY, on_change=_set_knob, horizontal=True,
             format_func=option_label("compare.knob_"), help=t("compare.knob_help"))
    st.caption(cs.base_line(s))
    with st.expander(t("compare.add_title")):
        knob = s["knob"]
        spec = SPECS[cs.FIELDS[knob][0]]
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        if knob == "lr":
            c1.number_input(t("compare.new_value", knob=knob), float(spec.lo), float(spec.hi), value=0.001,
                            step=1e-4, format="%.5f", key="cmp_new_lr")
        else:
            c1.number_input(t("compare.new_value", knob=knob), int(spec.lo), int(spec.hi), value=int(spec.lo),
                            step=1, key=f"cmp_new_{knob}")
        c2.button(t("compare.add"), icon=":material/add:", key="cmp_add", on_click=lambda: _add_value(
            spec.kind(st.session_state[f"cmp_new_{knob}"])))
        lab = st.session_state.get("lab_cfg")
        try:
            lab_cfg = from_dict(lab) if isinstance(lab, dict) else None
        except (TypeError, ValueError):  # not a config the Lab could have stored
            lab_cfg = None
        if lab_cfg is not None:
            st.button(t("compare.add_lab", run=cs.label(knob, atlas.knob_value(lab_cfg, knob))),
                      icon=":material/science:", key="cmp_add_lab", on_click=_add_run, args=(lab_cfg,))
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        c1.text_input(t("compare.link"), key="cmp_link", placeholder="?preset=tiny&lr_g=0.001",
                      help=t("compare.link_help"))
        c2.button(t("compare.add"), icon=":material/link:", key="cmp_add_link", on_click=_add_link)
        st.button(t("compare.reset"), icon=":material/restart_alt:", key="cmp_reset", on_click=_reset)


@st.fragment(run_every=POLL_SECONDS)
def _progress(cfg: TrainConfig) -> None:
    """A run still training: its place in line or its progress; the page redraws when it is done."""
    pool = run_view.pool()
    job = pool.peek(cfg)
    if job is None or job.done:
        st.rerun()
    if job.state == "queued":
        st.caption(t("compare.queued", n=pool.queue_position(job)))
        st.progress(0.0)
    else:
        st.progress(job.fraction, text=t("compare.running", step=job.step, total=job.total))


@st.cache_data(show_spinner=False, max_entries=256)
def _png(key: str, step: int, _cfg: TrainConfig, _samples) -> bytes:
    from gan_core.export import png_bytes

    return png_bytes(run_view.picture(_cfg, _samples, scale=2))


def _quality(result) -> None:
    m = result.metrics or {}
    if "score" in m:
        st.metric(t("quality.score"), f"{m['score']:.2f}", help=t("quality.score_help"))
        st.metric(t("quality.fd"), f"{m['fd']:.1f}", help=t("quality.fd_help"))
        st.metric(t("quality.classes"), f"{m['classes_covered']} / 10", help=t("quality.classes_help"))
    elif "modes" in m:
        st.metric(t("compare.modes"), f"{m['modes_captured']} / {m['modes']}", help=t("compare.modes_help"))


def _cell(i: int, knob: str, value: float, cfg: TrainConfig, job, step: int | None) -> None:
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.markdown(f":{MD_COLOURS[i]}[●] **{cs.label(knob, value)}**")
    c2.button("", icon=":material/close:", key=f"cmp_rm_{i}", type="tertiary", on_click=_remove,
              args=(value,), help=t("compare.remove"))
    if job is None or job.state == "cancelled":
        st.caption(t("compare.missing"))
    elif not job.done:
        _progress(cfg)
    elif job.state == "failed" or job.result is None or not job.result.snapshots:
        st.error(t("compare.failed"))
    else:
        r = job.result
        snap = r.snapshots[cs.snapshot_at(r, step)]
        st.image(_png(cfg.key, snap.step, cfg, snap.samples), caption=t("compare.at_step", step=snap.step),
                 width="stretch")
        if r.status == "diverged":
            st.caption(t("compare.diverged", step=r.message.split(":")[1] if ":" in r.message else "?"))
        _quality(r)


def timeline(results: list) -> int | None:
    """One slider over every snapshot step of the finished runs (default: the last)."""
    steps = sorted({s.step for r in results for s in r.snapshots})
    if len(steps) <= 1:
        return steps[0] if steps else None
    if st.session_state.get(STEP_KEY) not in steps:
        st.session_state[STEP_KEY] = steps[-1]
    return st.select_slider(t("compare.timeline"), options=steps, key=STEP_KEY,
                            help=t("compare.timeline_help"))


def comparison(s: dict) -> None:
    """Small multiples at one step, then the overlaid curves; a button trains what is missing."""
    knob, base = s["knob"], TrainConfig(**s["base"])
    if not s["values"]:
        st.info(t("compare.empty"), icon=":material/add:")
        return
    cfgs = [cs.run_config(base, knob, v) for v in s["values"]]
    pool = run_view.pool()
    jobs = [pool.peek(c) for c in cfgs]
    missing = [c for c, j in zip(cfgs, jobs, strict=True) if j is None or j.state in ("failed", "cancelled")]
    if missing:
        st.button(t("compare.train_missing", n=len(missing)), type="primary", icon=":material/play_arrow:",
                  key="cmp_train", on_click=submit_missing, args=(missing,))
    done = {i: j.result for i, j in enumerate(jobs)
            if j is not None and j.state == "done" and j.result is not None and j.result.snapshots}
    step = timeline(list(done.values()))
    for i, col in enumerate(st.columns(len(cfgs))):
        with col:
            _cell(i, knob, s["values"][i], cfgs[i], jobs[i], step)
    if any("score" in (r.metrics or {}) for r in done.values()):
        ref = _real_reference()
        if ref:
            st.caption(t("compare.real_ref", score=f"{ref['score']:.2f}", fd=f"{ref['fd']:.1f}"))
    if done:
        runs = [(cs.label(knob, s["values"][i]), r.history, figures.RUN_COLOURS[i]) for i, r in done.items()]
        critics = {cs.label(knob, s["values"][i]): r.config.loss for i, r in done.items()
                   if r.config.loss not in figures.PROBABILITY_LOSSES}
        shown = (tuple((i, cs.label(knob, s["values"][i]), r.config.key) for i, r in done.items()), step)
        loss = figures.memo(("cmp_loss", *shown), lambda: figures.overlay_figure("loss", runs, step))
        dprob = figures.memo(("cmp_dprob", *shown),
                             lambda: figures.overlay_figure("dprob", runs, step, critics))
        left, right = st.columns(2)
        left.plotly_chart(loss, width="stretch", key="cmp_loss")
        right.plotly_chart(dprob, width="stretch", key="cmp_dprob")
        st.caption(t("compare.curves_help"))


@st.cache_resource(show_spinner=False)
def _real_reference() -> dict:
    from gan_core.classifier import classifier_info

    return dict(classifier_info().get("real_reference", {}))
