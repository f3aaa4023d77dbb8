"""The training-procedure page's controller: a real model trained one sub-step at a time (D on
real data, D on fakes, ..., then G), with what each sub-step changed.

Kept apart from the page script so the page only lays out widgets. The settings come from a
shared link on the first visit (validated by ui.params) and go back into the address bar when
changed. The engine (gan_core.procedure) is imported inside the functions that need it so the
app's entry point stays free of torch.
"""
from __future__ import annotations

import streamlit as st

from ui import autoplay, code_view
from ui import concept_figures as cf
from ui.i18n import t
from ui.params import guard, guard_choice, url_choice, url_number, write_params

LR = (1e-5, 1e-2)
LR_DEFAULT = 2e-3  # big enough that one update visibly moves D on the toy set
PLAYING = "procedure_playing"  # session_state flag of the auto-play
STEP_SECONDS = 1.5  # slow motion


def settings() -> None:
    """Widget defaults, from a shared link on the first visit (validated)."""
    from gan_core.procedure import DATASETS, K_MAX

    if "procedure_url_loaded" in st.session_state:
        guard_choice("procedure_data", DATASETS, "ring8")
        guard("procedure_k", 1, K_MAX, 1, int)
        guard("procedure_lr", *LR, LR_DEFAULT)
        return
    data, m_data = url_choice("data", DATASETS)
    k, m_k = url_number("k", 1, K_MAX, int)
    lr, m_lr = url_number("lr", *LR)
    st.session_state["procedure_data"] = data or "ring8"
    st.session_state["procedure_k"] = int(k) if k is not None else 1
    st.session_state["procedure_lr"] = float(lr) if lr is not None else LR_DEFAULT
    st.session_state["procedure_url_messages"] = [m for m in (m_data, m_k, m_lr) if m]
    st.session_state["procedure_url_loaded"] = True


def stepper():
    """This session's stepper for the chosen settings (made on first use)."""
    from gan_core.procedure import Stepper, stepper_config

    wanted = (st.session_state["procedure_data"], int(st.session_state["procedure_k"]),
              float(st.session_state["procedure_lr"]))
    s = st.session_state.get("procedure_stepper")
    if s is None or st.session_state.get("procedure_stepper_key") != wanted:
        s = Stepper(stepper_config(wanted[0], k=wanted[1], lr=wanted[2]))
        st.session_state["procedure_stepper"] = s
        st.session_state["procedure_stepper_key"] = wanted
        st.session_state.pop("procedure_last", None)
    return s


def reset() -> None:
    """Back to iteration 1 with fresh models (auto-play off)."""
    autoplay.set_playing(PLAYING, False)
    st.session_state.pop("procedure_stepper", None)
    st.session_state.pop("procedure_last", None)


def settings_changed() -> None:
    reset()
    write_params({"data": st.session_state["procedure_data"], "k": st.session_state["procedure_k"],
                  "lr": float(st.session_state["procedure_lr"])})


def sub_step() -> None:
    try:
        st.session_state["procedure_last"] = stepper().next()
    except Exception:  # any failure: say so, the page must keep working
        st.session_state["procedure_error"] = t("procedure.error")


def finish_iteration() -> None:
    try:
        st.session_state["procedure_last"] = stepper().finish_iteration()[-1]
    except Exception:  # any failure: say so, the page must keep working
        st.session_state["procedure_error"] = t("procedure.error")


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
    if step.updates == "D":
        d = ":red-badge[" + t("procedure.badge_d_update") + "]"
    else:
        d_key = "procedure.badge_d_grad" if step.kind == "d_real" else "procedure.badge_d_frozen"
        d = ":gray-badge[" + t(d_key) + "]"
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
        x = step.extra
        st.markdown(t("procedure.applied", real=f"{x['loss_real']:.4f}", fake=f"{step.loss:.4f}",
                      total=f"{step.applied_loss:.4f}",
                      rb=f"{x['real_before'].mean():.3f}", ra=f"{x['real_after'].mean():.3f}"))
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
    code_view.substep_code(step.kind, s.cfg.loss)


@st.cache_data(show_spinner=False)
def _ring_ref():
    import numpy as np

    from gan_core.data import sample_toy

    return sample_toy("ring8", 600, np.random.default_rng(0))


def _tick(_s) -> bool:
    sub_step()
    return True


def _draw(s) -> None:
    st.markdown(t("procedure.next_up", i=s.iteration, n=len(s.sequence())) + "  \n" + sequence_line(s))
    last = st.session_state.get("procedure_last")
    if last is None:
        st.info(t("procedure.press_next"))
        return
    step_panel(last, s)
    with st.expander(t("procedure.log_title")):
        rows = [{t("procedure.col_iter"): x.iteration,
                 t("procedure.col_step"): step_title(x.kind, x.repeat, x.k),
                 t("procedure.col_updates"): x.updates, t("procedure.col_label"): x.label,
                 t("procedure.col_loss"): round(x.loss, 5)} for x in reversed(s.log[-12:])]
        st.dataframe(rows, hide_index=True, width="stretch")


def board() -> None:
    """Sequence chips and the last sub-step; in slow-motion auto-play one sub-step per tick.

    A stepper that cannot be made (e.g. the digits file is missing) is a message, not a traceback."""
    autoplay.board(PLAYING, stepper, _tick, _draw, every=STEP_SECONDS, error_text=t("procedure.error"),
                   error_key="procedure_error")
