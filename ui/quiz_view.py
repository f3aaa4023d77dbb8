"""Quiz widgets: one question with its answer box, grading, explanation and link; live figures;
the question set with answers as a Markdown file for teachers.

Grading and the figure data come from ``gan_core.quiz``; the words from ``quizbank.json``.
The score lives in ``st.session_state[ANSWERS]`` (question id -> right or not), a plain
session key, so it survives page changes; the options are shown in an order shuffled from
``st.session_state[SEED]``, drawn once per session.
"""
from __future__ import annotations

import secrets

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gan_core import quiz
from ui import figures, nav
from ui.i18n import current_lang, t

ANSWERS = "quiz_answers"  # qid -> bool (the latest checked answer)
FEEDBACK = "quiz_feedback"  # qid -> "right" | "wrong" | "empty" | "not_number"
WIDGET = "quiz_q_"  # widget key prefix
SEED = "quiz_seed"  # the session's shuffle seed


def widget_key(qid: str) -> str:
    return f"{WIDGET}{qid}"


def check_key(qid: str) -> str:
    return f"quiz_check_{qid}"


def session_seed() -> int:
    """The seed the options are shuffled with: drawn once, then kept for the session."""
    if SEED not in st.session_state:
        st.session_state[SEED] = secrets.randbelow(2**31)
    return int(st.session_state[SEED])


def _state() -> tuple[dict, dict]:
    answers = st.session_state.setdefault(ANSWERS, {})
    feedback = st.session_state.setdefault(FEEDBACK, {})
    return answers, feedback


def grade(qid: str) -> None:
    """Button callback: read the answer widget, record right/wrong (the score updates at once)."""
    q = quiz.BY_ID[qid]
    answers, feedback = _state()
    raw = st.session_state.get(widget_key(qid))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        feedback[qid] = "empty"
        return
    if q.kind == "number" and quiz.parse_number(raw) is None:
        feedback[qid] = "not_number"
        return
    ok = quiz.is_correct(q, raw)
    answers[qid] = ok
    feedback[qid] = "right" if ok else "wrong"


def reset() -> None:
    """Button callback: forget the score and every typed or chosen answer."""
    st.session_state[ANSWERS] = {}
    st.session_state[FEEDBACK] = {}
    for key in [k for k in st.session_state if str(k).startswith(WIDGET)]:
        del st.session_state[key]


def score_bar() -> None:
    answers, _ = _state()
    right, answered = quiz.score(answers)
    total = len(quiz.QUESTIONS)
    c1, c2, c3 = st.columns([1, 1, 1])
    c1.metric(t("quiz.score"), f"{right} / {total}")
    c2.metric(t("quiz.answered"), f"{answered} / {total}")
    c3.button(t("quiz.reset"), on_click=reset, icon=":material/restart_alt:", key="quiz_reset")
    st.progress(right / total)


def _number_text(q: quiz.Question, lang: str | None = None) -> str:
    value = f"{q.answer:.3f}".rstrip("0").rstrip(".")
    return value if q.tol == 0 else t("quiz.approx", lang=lang, value=value, tol=f"{q.tol:g}")


def _answer_text(q: quiz.Question) -> str:
    if q.kind == "choice":
        return t(f"quizbank.{q.qid}_o{int(q.answer)}")
    return _number_text(q)


def _page_link(slug: str) -> None:
    title = t(f"nav.{slug}")
    if any(p.slug == slug for p in nav.available_pages()):
        st.page_link(nav.page_file(slug), label=t("quiz.learn_more", page=title), icon=":material/school:")
    else:
        st.caption(t("quiz.learn_more", page=title))


def question(q: quiz.Question, number: int) -> None:
    """One question in a bordered box."""
    lang = current_lang()
    with st.container(border=True):
        st.markdown(f"**{number}.** {t(f'quizbank.{q.qid}')}")
        st.caption(t(f"quiz.concept_{q.concept}"))
        if q.figure:
            st.plotly_chart(figure(q.figure), width="stretch", key=f"quiz_fig_{q.qid}")
        if q.kind == "choice":
            order = quiz.option_order(q.qid, q.options, session_seed())
            st.radio(t("quiz.your_answer"), order, index=None, key=widget_key(q.qid),
                     format_func=lambda i, qid=q.qid, lang=lang: t(f"quizbank.{qid}_o{i}", lang=lang),
                     label_visibility="collapsed")
        else:
            st.text_input(t("quiz.your_number"), key=widget_key(q.qid), placeholder=t("quiz.number_hint"))
        st.button(t("quiz.check"), key=check_key(q.qid), on_click=grade, args=(q.qid,))
        _, feedback = _state()
        state = feedback.get(q.qid)
        if state == "empty":
            st.warning(t("quiz.empty"), icon=":material/edit:")
        elif state == "not_number":
            st.warning(t("quiz.not_number"), icon=":material/pin:")
        elif state in ("right", "wrong"):
            if state == "right":
                st.success(t("quiz.right"), icon=":material/check_circle:")
            else:
                st.error(t("quiz.wrong", answer=_answer_text(q)), icon=":material/cancel:")
            st.info(t(f"quizbank.{q.qid}_why"), icon=":material/lightbulb:")
            _page_link(q.page)


# ---- the question set for teachers ----------------------------------------------------------------
def bank_markdown(lang: str) -> str:
    """Every question with its options (in the bank's order), the answer, why, and where it is
    taught: a Markdown file in ``lang``."""
    lines = [f"# {t('quiz.title', lang=lang)}: {t('quiz.export_title', lang=lang)}", "",
             t("quiz.export_intro", lang=lang, n=len(quiz.QUESTIONS)), ""]
    for number, q in enumerate(quiz.QUESTIONS, start=1):
        lines += [f"## {number}. {t(f'quizbank.{q.qid}', lang=lang)}", "",
                  f"*{t(f'quiz.concept_{q.concept}', lang=lang)} · {t(f'nav.{q.page}', lang=lang)}*", ""]
        if q.kind == "choice":
            lines += [f"{'ABCDEFGH'[i]}. {t(f'quizbank.{q.qid}_o{i}', lang=lang)}" for i in range(q.options)]
            answer = f"{'ABCDEFGH'[int(q.answer)]}. {t(f'quizbank.{q.qid}_o{int(q.answer)}', lang=lang)}"
        else:
            answer = _number_text(q, lang)
        lines += ["", f"**{t('quiz.export_answer', lang=lang)}:** {answer}", "",
                  t(f"quizbank.{q.qid}_why", lang=lang), ""]
    return "\n".join(lines)


def download_button() -> None:
    lang = current_lang()
    st.download_button(t("quiz.download"), bank_markdown(lang), file_name=f"gan-quiz-{lang}.md",
                       mime="text/markdown", icon=":material/download:", key="quiz_download",
                       help=t("quiz.download_help"))


# ---- live figures ------------------------------------------------------------------------------
def figure(fig_id: str) -> go.Figure:
    data = quiz.figure_data(fig_id)
    if fig_id == "saturation":
        return saturation_figure(data)
    return ring_figure(data)


def saturation_figure(data: dict[str, np.ndarray]) -> go.Figure:
    """G's minimax loss log(1-d) and non-saturating loss -log d over d = D(G(z))."""
    fig = go.Figure()
    fig.add_scatter(x=data["d"], y=data["minimax"], mode="lines", name="log(1 − d)",
                    line=dict(color=figures.D_COLOUR, width=3))
    fig.add_scatter(x=data["d"], y=data["nonsat"], mode="lines", name="−log d",
                    line=dict(color=figures.G_COLOUR, width=3))
    fig.add_vrect(x0=0, x1=0.1, fillcolor="#bbb", opacity=0.25, line_width=0,
                  annotation_text=t("quiz.fig_early"), annotation_position="top left")
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis_title=t("quiz.fig_d"), yaxis_title=t("quiz.fig_loss"),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0))
    fig.update_yaxes(range=[-5, 5])
    return fig


def ring_figure(data: dict[str, np.ndarray]) -> go.Figure:
    """The ring of eight real clusters (grey) and a collapsed generator's samples (purple)."""
    fig = go.Figure()
    real, fake = data["real"], data["fake"]
    fig.add_scatter(x=real[:, 0], y=real[:, 1], mode="markers", name=t("quiz.fig_real"),
                    marker=dict(color="#999", size=5, opacity=0.5))
    fig.add_scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name=t("quiz.fig_fake"),
                    marker=dict(color=figures.G_COLOUR, size=5, opacity=0.6))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0))
    fig.update_xaxes(range=[-2.8, 2.8])
    fig.update_yaxes(range=[-2.8, 2.8], scaleanchor="x", scaleratio=1)
    return fig
