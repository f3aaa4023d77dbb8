"""The course path (cards linking every page in teaching order) and the teacher's note."""
from __future__ import annotations

import streamlit as st

from ui import nav
from ui.i18n import t

CARDS_PER_ROW = 3


def path_cards() -> None:
    """One bordered card per page after home, in the order of ui.nav.PAGES (files that exist)."""
    steps = [p for p in nav.course_pages() if p.slug != "home"]
    for start in range(0, len(steps), CARDS_PER_ROW):
        row = steps[start : start + CARDS_PER_ROW]
        cols = st.columns(CARDS_PER_ROW)  # the last row may have fewer cards than columns
        for col, (i, spec) in zip(cols, enumerate(row, start=start + 1), strict=False):
            with col.container(border=True):
                st.caption(t("home.step", n=i))
                st.page_link(nav.page_file(spec.slug), label=t(spec.title_key), icon=spec.icon)
                st.write(t(f"home.card_{spec.slug}"))


def classroom_note(preset_names: list[str]) -> None:
    """How to warm the run cache before class and share a configured Lab link."""
    st.markdown(t("home.teacher_warm"))
    first = "quick" if "quick" in preset_names else preset_names[0]
    st.code(f"python -m gan_core train --preset {first} --out runs/{first}", language="bash")
    st.caption(t("home.teacher_all"))
    names = " ".join(preset_names)
    loop = f'for p in {names}; do\n  python -m gan_core train --preset "$p" --out "runs/$p"\ndone'
    st.code(loop, language="bash")
    st.caption(t("home.teacher_cache", presets=", ".join(preset_names)))
    st.markdown(t("home.teacher_share"))
    st.code("?preset=quick&lr_g=0.0002&lr_d=0.0002&steps=1200", language=None)
    if any(p.slug == "lab" for p in nav.available_pages()):
        st.page_link(nav.page_file("lab"), label=t("home.teacher_try"), icon=":material/science:",
                     query_params={"preset": "tiny"})
