"""Streamlit helpers for the three concept pages: state in st.session_state, URL settings
validated with a translated message, the auto-play fragments and the detail panels.

The engine (gan_core.toy1d, gan_core.procedure, gan_core.theory) is imported inside the
functions that need it so the app's entry point stays free of torch.
"""
from __future__ import annotations

import math

import streamlit as st

from gan_core.config import parse_number
from ui import concept_figures as cf
from ui.i18n import t
from ui.params import safe_value

BILLS = ("one", "two")
AUTO_SECONDS = 0.8
AUTO_MAX_ROUNDS = 200
STEP_SECONDS = 1.5  # slow motion for the stepper
FIG1_CHUNK = 25  # iterations per live tick / per button press (~0.2 s here)
FIG1_MAX = 1500


# ---- URL settings ----------------------------------------------------------------------------
def url_number(key: str, lo: float, hi: float, kind: type = float) -> tuple[float | None, str | None]:
    """A number from ``?key=`` checked against [lo, hi]: (value or None, message or None).

    Missing: (None, None). Not a number: refused. Out of range: clamped. Either way a message."""
    raw = st.query_params.get(key)
    if raw is None:
        return None, None
    try:
        value, clamped = parse_number(raw, kind, lo, hi, clamp=True)
    except (TypeError, ValueError, OverflowError):
        return None, t("procedure.url_refused", key=key, value=safe_value(raw), lo=f"{lo:g}", hi=f"{hi:g}")
    if clamped:
        return value, t("procedure.url_clamped", key=key, value=safe_value(raw), lo=f"{lo:g}", hi=f"{hi:g}",
                        used=f"{value:g}")
    return value, None


def url_choice(key: str, choices: tuple[str, ...]) -> tuple[str | None, str | None]:
    raw = st.query_params.get(key)
    if raw is None:
        return None, None
    if raw in choices:
        return raw, None
    return None, t("procedure.url_choice", key=key, value=safe_value(raw), options=", ".join(choices))


def guard(key: str, lo: float, hi: float, default, kind: type = float) -> None:
    """Keep a widget's stored value inside [lo, hi] (a bad value would make the widget raise)."""
    value = st.session_state.get(key, default)
    try:
        value = float(value)
        if not math.isfinite(value):
            raise ValueError
    except (TypeError, ValueError):
        value = default
    st.session_state[key] = kind(min(max(value, lo), hi))


def guard_choice(key: str, choices: tuple, default) -> None:
    if st.session_state.get(key) not in choices:
        st.session_state[key] = default


def show_messages(state_key: str) -> None:
    for msg in st.session_state.get(state_key, []):
        st.warning(msg, icon=":material/link_off:")


# ---- police vs counterfeiter -------------------------------------------------------------------
def mapping_table() -> str:
    """The analogy as a markdown table (story, GAN, meaning)."""
    rows = ("counterfeiter", "police", "real", "fake", "caught", "fooled", "end")
    head = f"| {t('analogy.map_story')} | {t('analogy.map_gan')} | {t('analogy.map_meaning')} |\n|---|---|---|\n"
    body = "".join(
        f"| {t(f'analogy.map_{r}_story')} | {t(f'analogy.map_{r}_gan')} | {t(f'analogy.map_{r}_meaning')} |\n"
        for r in rows)
    return head + body


def analogy_settings() -> None:
    """Defaults and guards for the game's widgets (call before drawing them)."""
    guard_choice("analogy_bills", BILLS, BILLS[0])
    guard("analogy_steps", 1, 100, 25, int)


def _game_config(bills: str):
    from gan_core.theory import Mixture
    from gan_core.toy1d import Toy1DConfig

    if bills == "two":
        return Toy1DConfig(data=Mixture((1.0, 1.0), (0.5, 3.5), (0.4, 0.4)))
    return Toy1DConfig()


def game():
    """This session's game (created on first use, kept across pages and reruns)."""
    bills = st.session_state.get("analogy_bills")
    bills = bills if bills in BILLS else BILLS[0]
    g = st.session_state.get("analogy_game")
    if g is None or st.session_state.get("analogy_game_bills") != bills:
        from gan_core.toy1d import Toy1D

        g = Toy1D(_game_config(bills))
        st.session_state["analogy_game"] = g
        st.session_state["analogy_game_bills"] = bills
    return g


def reset_game() -> None:
    st.session_state.pop("analogy_game", None)
    st.session_state["analogy_playing"] = False


def set_playing(on: bool) -> None:
    st.session_state["analogy_playing"] = bool(on)


def _steps() -> int:
    try:
        n = int(st.session_state.get("analogy_steps", 25))
    except (TypeError, ValueError):
        n = 25
    return min(max(n, 1), 100)


def play(action: str) -> None:
    try:
        game().play(action, _steps())
    except Exception:  # noqa: BLE001 - the page must keep working
        st.session_state["analogy_error"] = t("analogy.error")


def _verdict(g, v) -> tuple[str, str]:
    if not g.rounds:
        return "info", t("analogy.v_start")
    if v.d_gap < 0.1 and g.g_steps > 0:
        return "success", t("analogy.v_end", gap=f"{v.d_gap:.3f}")
    if v.pass_rate < 0.05:
        return "error", t("analogy.v_caught")
    if v.pass_rate > 0.6 and v.d_gap >= 0.1:
        return "warning", t("analogy.v_fooled")
    return "info", t("analogy.v_close")


def game_board() -> None:
    """The board; while auto-play is on it plays one 'both' round per tick."""
    playing = bool(st.session_state.get("analogy_playing"))

    @st.fragment(run_every=AUTO_SECONDS if playing else None)
    def _board():
        try:
            g = game()
        except Exception:  # noqa: BLE001
            st.session_state["analogy_playing"] = False
            st.error(t("analogy.error"))
            return
        if st.session_state.get("analogy_playing"):
            if len(g.rounds) >= AUTO_MAX_ROUNDS:
                st.session_state["analogy_playing"] = False
                st.rerun()
            play("both")
        err = st.session_state.pop("analogy_error", None)
        if err:
            st.error(err)
        v = g.view()
        c = st.columns(4)
        c[0].metric(t("analogy.m_round"), len(g.rounds))
        c[1].metric(t("analogy.m_pass"), f"{100 * v.pass_rate:.0f}%", help=t("analogy.m_pass_help"))
        c[2].metric(t("analogy.m_d_real"), f"{v.d_real:.2f}", help=t("analogy.m_d_real_help"))
        c[3].metric(t("analogy.m_d_fake"), f"{v.d_fake:.2f}", help=t("analogy.m_d_fake_help"))
        kind, text = _verdict(g, v)
        getattr(st, kind)(text)
        st.plotly_chart(cf.game_figure(v), width="stretch", key="analogy_fig")
        if g.rounds:
            st.plotly_chart(cf.rounds_figure(g.rounds), width="stretch", key="analogy_rounds")

    _board()


# ---- the training stepper ------------------------------------------------------------------------
PROC_LR = (1e-5, 1e-2)
PROC_LR_DEFAULT = 2e-3  # big enough that one update visibly moves D on the toy set


def procedure_settings() -> None:
    """Widget defaults, from a shared link on the first visit (validated)."""
    from gan_core.procedure import DATASETS, K_MAX

    if "procedure_url_loaded" in st.session_state:
        guard_choice("procedure_data", DATASETS, "ring8")
        guard("procedure_k", 1, K_MAX, 1, int)
        guard("procedure_lr", *PROC_LR, PROC_LR_DEFAULT)
        return
    msgs = []
    data, m = url_choice("data", DATASETS)
    msgs += [m] if m else []
    k, m = url_number("k", 1, K_MAX, int)
    msgs += [m] if m else []
    lr, m = url_number("lr", *PROC_LR)
    msgs += [m] if m else []
    st.session_state["procedure_data"] = data or "ring8"
    st.session_state["procedure_k"] = int(k) if k is not None else 1
    st.session_state["procedure_lr"] = float(lr) if lr is not None else PROC_LR_DEFAULT
    st.session_state["procedure_url_messages"] = msgs
    st.session_state["procedure_url_loaded"] = True


def stepper():
    """This session's stepper for the chosen settings (made on first use)."""
    from gan_core.procedure import stepper_config, Stepper

    wanted = (st.session_state["procedure_data"], int(st.session_state["procedure_k"]),
              float(st.session_state["procedure_lr"]))
    s = st.session_state.get("procedure_stepper")
    if s is None or st.session_state.get("procedure_stepper_key") != wanted:
        s = Stepper(stepper_config(wanted[0], k=wanted[1], lr=wanted[2]))
        st.session_state["procedure_stepper"] = s
        st.session_state["procedure_stepper_key"] = wanted
        st.session_state.pop("procedure_last", None)
    return s


def settings_changed() -> None:
    st.session_state["procedure_playing"] = False
    st.session_state.pop("procedure_stepper", None)
    st.session_state.pop("procedure_last", None)
    st.query_params["data"] = st.session_state["procedure_data"]
    st.query_params["k"] = str(st.session_state["procedure_k"])
    st.query_params["lr"] = f"{st.session_state['procedure_lr']:g}"


def sub_step() -> None:
    try:
        st.session_state["procedure_last"] = stepper().next()
    except Exception:  # noqa: BLE001
        st.session_state["procedure_error"] = t("procedure.error")


def finish_iteration() -> None:
    try:
        st.session_state["procedure_last"] = stepper().finish_iteration()[-1]
    except Exception:  # noqa: BLE001
        st.session_state["procedure_error"] = t("procedure.error")


def set_stepper_playing(on: bool) -> None:
    st.session_state["procedure_playing"] = bool(on)


def reset_stepper() -> None:
    st.session_state["procedure_playing"] = False
    st.session_state.pop("procedure_stepper", None)
    st.session_state.pop("procedure_last", None)


def step_title(kind: str, repeat: int, k: int) -> str:
    if kind == "g":
        return t("procedure.s_g")
    return t(f"procedure.s_{kind}", j=repeat, k=k)


def sequence_line(s) -> str:
    """The iteration's sub-steps as a row of chips; the next one highlighted."""
    chips = []
    for i, (kind, repeat) in enumerate(s.sequence()):
        label = t("procedure.chip_g") if kind == "g" else t(f"procedure.chip_{kind}", j=repeat)
        if i == s.cursor:
            colour = "violet" if kind == "g" else "red"
            chips.append(f":{colour}-background[**▶ {label}**]")
        elif i < s.cursor:
            chips.append(f":gray[~~{label}~~]")
        else:
            chips.append(f":gray[{label}]")
    return " → ".join(chips)


def _badges(step) -> str:
    d = (":red-badge[" + t("procedure.badge_d_update") + "]" if step.updates == "D"
         else ":gray-badge[" + (t("procedure.badge_d_grad") if step.kind == "d_real" else t("procedure.badge_d_frozen")) + "]")
    g = (":violet-badge[" + t("procedure.badge_g_update") + "]" if step.updates == "G"
         else ":gray-badge[" + t("procedure.badge_g_frozen") + "]")
    return f"{d} {g}"


def step_panel(step, s) -> None:
    """Everything about one finished sub-step."""
    st.markdown(f"#### {t('procedure.iteration', i=step.iteration)} · "
                f"{step_title(step.kind, step.repeat, step.k)}")
    st.markdown(_badges(step))
    st.caption(t(f"procedure.explain_{step.kind}"))
    c = st.columns(4)
    c[0].metric(t("procedure.m_label"), f"{step.label:g}")
    c[1].metric(t("procedure.m_loss"), f"{step.loss:.4f}")
    c[2].metric(t("procedure.m_d"), f"{step.d_after.mean():.3f}",
                delta=f"{step.d_after.mean() - step.d_before.mean():+.4f}", delta_color="off")
    c[3].metric(t("procedure.m_moved"), f"{step.moved:.4f}", help=t("procedure.m_moved_help"))
    if step.kind == "d_fake":
        st.markdown(t("procedure.applied", real=f"{step.extra['loss_real']:.4f}", fake=f"{step.loss:.4f}",
                      total=f"{step.applied_loss:.4f}",
                      rb=f"{step.extra['real_before'].mean():.3f}", ra=f"{step.extra['real_after'].mean():.3f}"))
    left, right = st.columns([1, 1], gap="medium")
    with left:
        if s.cfg.is_image:
            from gan_core.export import tile

            st.markdown(f"**{t('procedure.batch_images')}**")
            st.image(tile(step.batch[:16], ncol=8, scale=3), clamp=True)
            if step.kind == "g":
                st.markdown(f"**{t('procedure.batch_after')}**")
                st.image(tile(step.extra["batch_after"][:16], ncol=8, scale=3), clamp=True)
        else:
            st.plotly_chart(cf.toy_step_figure(step, _ring_ref()), width="stretch",
                            key="procedure_map")
    with right:
        st.plotly_chart(cf.d_shift_figure(step), width="stretch", key="procedure_shift")
        st.plotly_chart(cf.grad_figure(step), width="stretch", key="procedure_grads")


@st.cache_data(show_spinner=False)
def _ring_ref():
    import numpy as np

    from gan_core.data import sample_toy

    return sample_toy("ring8", 600, np.random.default_rng(0))


def stepper_board() -> None:
    """Sequence chips and the last sub-step; in slow-motion auto-play one sub-step per tick."""
    playing = bool(st.session_state.get("procedure_playing"))

    @st.fragment(run_every=STEP_SECONDS if playing else None)
    def _board():
        try:
            s = stepper()
        except Exception:  # noqa: BLE001 - e.g. the digits file is missing: say so, keep the page
            st.session_state["procedure_playing"] = False
            st.error(t("procedure.error"))
            return
        if st.session_state.get("procedure_playing"):
            sub_step()
        err = st.session_state.pop("procedure_error", None)
        if err:
            st.error(err)
        st.markdown(t("procedure.next_up", i=s.iteration, n=len(s.sequence())) + "  \n" + sequence_line(s))
        last = st.session_state.get("procedure_last")
        if last is None:
            st.info(t("procedure.press_next"))
            return
        step_panel(last, s)
        with st.expander(t("procedure.log_title")):
            rows = [{t("procedure.col_iter"): x.iteration, t("procedure.col_step"): step_title(x.kind, x.repeat, x.k),
                     t("procedure.col_updates"): x.updates, t("procedure.col_label"): x.label,
                     t("procedure.col_loss"): round(x.loss, 5)} for x in reversed(s.log[-12:])]
            st.dataframe(rows, hide_index=True, width="stretch")

    _board()


# ---- minimax ---------------------------------------------------------------------------------------
D_RANGE = (0.001, 0.999)
DENSITY_KINDS = ("gaussian", "mixture")
DENSITY_FIELDS = ("kind", "m1", "s1", "m2", "s2", "w")
DENSITY_DEFAULTS = {
    "pd": {"kind": "mixture", "m1": -1.5, "s1": 0.6, "m2": 1.5, "s2": 0.8, "w": 0.4},
    "pg": {"kind": "gaussian", "m1": 0.5, "s1": 1.2, "m2": 2.0, "s2": 0.5, "w": 0.5},
}


DENSITY_LIMITS = {"m1": (-5.0, 5.0), "m2": (-5.0, 5.0), "s1": (0.1, 3.0), "s2": (0.1, 3.0), "w": (0.0, 1.0)}


def minimax_settings() -> None:
    if "minimax_url_loaded" in st.session_state:
        guard("minimax_d", *D_RANGE, 0.02)
        guard("minimax_bce_seed", 0, 10_000, 0, int)
        for who, vals in DENSITY_DEFAULTS.items():
            guard_choice(f"minimax_{who}_kind", DENSITY_KINDS, vals["kind"])
            for f, (lo, hi) in DENSITY_LIMITS.items():
                guard(f"minimax_{who}_{f}", lo, hi, vals[f])
        return
    d, m = url_number("d", *D_RANGE)
    st.session_state["minimax_d"] = float(d) if d is not None else 0.02
    st.session_state["minimax_url_messages"] = [m] if m else []
    st.session_state["minimax_bce_seed"] = 0
    for who, vals in DENSITY_DEFAULTS.items():
        for f, v in vals.items():
            st.session_state[f"minimax_{who}_{f}"] = v
    st.session_state["minimax_url_loaded"] = True


def set_marker(d: float) -> None:
    st.session_state["minimax_d"] = d
    st.query_params["d"] = f"{d:g}"


def marker_changed() -> None:
    st.query_params["d"] = f"{st.session_state['minimax_d']:g}"


def copy_pdata_to_pg() -> None:
    for f in DENSITY_FIELDS:
        st.session_state[f"minimax_pg_{f}"] = st.session_state[f"minimax_pd_{f}"]


def density_from_state(who: str):
    """(Mixture, None) or (None, translated message) from the density widgets."""
    from gan_core.theory import Mixture

    g = lambda f: st.session_state.get(f"minimax_{who}_{f}")  # noqa: E731
    try:
        if g("kind") == "mixture":
            w = float(g("w"))
            return Mixture((w, 1.0 - w), (float(g("m1")), float(g("m2"))), (float(g("s1")), float(g("s2")))), None
        return Mixture.gaussian(float(g("m1")), float(g("s1"))), None
    except (TypeError, ValueError):
        return None, t("minimax.bad_density")


def fig1_game():
    from gan_core.toy1d import Toy1D, Toy1DConfig
    from gan_core.theory import Mixture

    g = st.session_state.get("fig1_game")
    if g is None:
        g = Toy1D(Toy1DConfig(data=Mixture.gaussian(1.0, 0.5), g_start=-2.0, x_lo=-4.0, x_hi=4.0, seed=1,
                                lr_g=1e-3, lr_d=1e-3))  # slow enough to watch over ~500 iterations)
        st.session_state["fig1_game"] = g
        st.session_state["fig1_views"] = [g.view()]
        st.session_state["fig1_pick"] = 0
    return g


def fig1_advance(n: int = FIG1_CHUNK) -> None:
    from gan_core.toy1d import train_with_snapshots

    g = fig1_game()
    if g.g_steps >= FIG1_MAX:
        st.session_state["fig1_playing"] = False
        return
    views = st.session_state.setdefault("fig1_views", [])
    views += train_with_snapshots(g, n, n)
    st.session_state["fig1_pick"] = len(views) - 1


def fig1_reset() -> None:
    for key in ("fig1_game", "fig1_views", "fig1_pick"):
        st.session_state.pop(key, None)
    st.session_state["fig1_playing"] = False


def set_fig1_playing(on: bool) -> None:
    st.session_state["fig1_playing"] = bool(on)


def fig1_board() -> None:
    playing = bool(st.session_state.get("fig1_playing"))

    @st.fragment(run_every=AUTO_SECONDS if playing else None)
    def _board():
        fig1_game()
        if st.session_state.get("fig1_playing"):
            fig1_advance()
            if fig1_game().g_steps >= FIG1_MAX:
                st.session_state["fig1_playing"] = False
                st.rerun()
        views = st.session_state["fig1_views"]
        pick = min(max(int(st.session_state.get("fig1_pick", 0)), 0), len(views) - 1)
        st.session_state["fig1_pick"] = pick
        if len(views) > 1:
            steps = [v.step for v in views]
            st.select_slider(t("minimax.fig1_slider"), options=list(range(len(views))), key="fig1_pick",
                             format_func=lambda i: str(steps[i]), help=t("minimax.fig1_slider_help"))
        v = views[st.session_state["fig1_pick"]]
        st.plotly_chart(cf.fig1_figure(v), width="stretch", key="fig1_chart")
        c = st.columns(3)
        c[0].metric(t("minimax.fig1_iters"), v.step)
        c[1].metric(t("minimax.fig1_gap"), f"{v.d_gap:.3f}", help=t("minimax.fig1_gap_help"))
        c[2].metric(t("minimax.fig1_spread"), f"{v.fake_mean:.2f} ± {v.fake_std:.2f}",
                    help=t("minimax.fig1_spread_help"))

    _board()


def bce_rows() -> list[dict]:
    """BCE with labels 1/0 next to the value V on one real batch of this session's game."""
    from gan_core import losses, theory
    from gan_core.threads import single_thread

    g = game()
    seed = int(st.session_state.get("minimax_bce_seed", 0) or 0)
    with single_thread():
        lr_, lf_ = g.batch_logits(256, seed=seed)
        bv = theory.batch_value(lr_, lf_)
        engine = float(losses.d_loss("nonsat", lr_, lf_))
    rows = [
        ("bce_log_real", bv.mean_log_d_real),
        ("bce_log_fake", bv.mean_log_1m_d_fake),
        ("bce_value", bv.value),
        ("bce_real", bv.bce_real),
        ("bce_fake", bv.bce_fake),
        ("bce_total", bv.bce_total),
        ("bce_engine", engine),
        ("bce_sum_check", bv.bce_total + bv.value),
    ]
    return [{t("minimax.bce_col_q"): t(f"minimax.{k}"), t("minimax.bce_col_v"): f"{v:.6f}"} for k, v in rows]
