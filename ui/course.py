"""The home page's first picture (a real run from noise to digits), the course path (cards
linking every page in teaching order) and the teacher's note."""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui import nav
from ui.i18n import t

CARDS_PER_ROW = 3


def _tile(images: np.ndarray, scale: int = 3) -> np.ndarray:
    """n x 28 x 28 digits as one square grid (white gaps), each pixel ``scale`` x ``scale``."""
    n = len(images)
    side = int(np.ceil(np.sqrt(n)))
    cell = 28 * scale + 2
    out = np.full((side * cell, side * cell), 255, dtype=np.uint8)
    block = np.ones((scale, scale), np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, side)
        out[r * cell:r * cell + 28 * scale, c * cell:c * cell + 28 * scale] = np.kron(img, block)
    return out


@st.cache_data(show_spinner=False)
def _story() -> list[dict]:
    from gan_core.bookrun import story

    return story()


def story_strip() -> None:
    """The idea in one picture: the textbook's GAN turning noise into digits, with D's verdict
    at each moment (the shipped long run; nothing is shown if its file is missing)."""
    try:
        moments = _story()
    except (OSError, KeyError, ValueError):
        return
    cols = st.columns(len(moments))
    for col, m in zip(cols, moments, strict=True):
        col.image(_tile(m["images"]), width="stretch")
        col.markdown(t("home.story_step", step=f"{m['step']:,}"))
        if m["d_fake"] is None:
            col.caption(t("home.story_untrained"))
        else:
            col.caption(t("home.story_verdict", real=f"{m['d_real']:.2f}", fake=f"{m['d_fake']:.2f}"))
    st.caption(t("home.story_caption"))


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
