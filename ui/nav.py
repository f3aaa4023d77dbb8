"""The app's pages in teaching order. A page file that does not exist yet is skipped."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    slug: str  # URL path segment, stable for links
    file: str  # script under pages/
    icon: str
    course: bool = True  # one of the course's steps (a card on the home page)

    @property
    def title_key(self) -> str:
        return f"nav.{self.slug}"

    @property
    def path(self) -> Path:
        return ROOT / "pages" / self.file


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "home.py", ":material/home:"),
    PageSpec("analogy", "analogy.py", ":material/local_police:"),
    PageSpec("procedure", "procedure.py", ":material/footprint:"),
    PageSpec("minimax", "minimax.py", ":material/functions:"),
    PageSpec("lab", "lab.py", ":material/science:"),
    PageSpec("compare", "compare.py", ":material/compare:"),
    PageSpec("curves", "curves.py", ":material/show_chart:"),
    PageSpec("mode_collapse", "mode_collapse.py", ":material/scatter_plot:"),
    PageSpec("cyclegan", "cyclegan.py", ":material/sync_alt:"),
    PageSpec("family", "family.py", ":material/family_history:"),
    PageSpec("quiz", "quiz.py", ":material/quiz:"),
    PageSpec("glossary", "glossary.py", ":material/menu_book:", course=False),
    PageSpec("teacher", "teacher.py", ":material/admin_panel_settings:", course=False),
)


def available_pages() -> list[PageSpec]:
    return [p for p in PAGES if p.path.exists()]


def course_pages() -> list[PageSpec]:
    """The course's steps: every available page but the teacher's view."""
    return [p for p in available_pages() if p.course]


def page_file(slug: str) -> str:
    """Path for st.page_link / st.switch_page, relative to the running entrypoint's folder.

    That is ``pages/<file>`` for ``streamlit_app.py``, and ``../pages/<file>`` when the app is
    started from ``cloud/streamlit_app.py`` (Streamlit resolves page paths from the entrypoint).
    """
    spec = next(p for p in PAGES if p.slug == slug)
    base = ROOT
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is not None and getattr(ctx, "main_script_path", ""):
            base = Path(ctx.main_script_path).resolve().parent
    except ImportError:
        pass
    return Path(os.path.relpath(spec.path, base)).as_posix()
