"""Quiz: questions on every idea of the course, graded at once, each linked to its page."""
import streamlit as st

from gan_core import quiz
from ui import quiz_view
from ui.i18n import option_label, t

st.title(t("quiz.title"))
st.caption(t("quiz.intro", n=len(quiz.QUESTIONS)))

quiz_view.score_bar()
quiz_view.download_button()

topic = st.selectbox(t("quiz.topic"), ("all",) + quiz.CONCEPTS, key="quiz_topic",
                     format_func=option_label("quiz.concept_"))
shown = [q for q in quiz.QUESTIONS if topic == "all" or q.concept == topic]
for number, q in enumerate(shown, start=1):
    quiz_view.question(q, number)
