"""The engine's code on the pages: the lines behind each procedure sub-step, the Lab's Code view,
and a run (or the book's recipe) as a notebook or a .py to take home.

All code shown is read from gan_core's source when the page runs (``gan_core.source``); the
notebook's sentences come from the ``notebook`` catalogue in the page's language.
"""
from __future__ import annotations

from functools import partial

import streamlit as st

from gan_core.config import PRESETS
from ui.i18n import current_lang, t
from ui.params import preset_labeller

OPEN_KEY = "lab_code_open"  # the Lab's Code view is open (st.session_state)


def _text(lang: str):
    """The notebook's sentences in ``lang`` (captured now: downloads run outside the script)."""
    return lambda key, /, **fmt: t(f"notebook.{key}", lang=lang, **fmt)


def config_text(cfg) -> str:
    """The settings as Python, one field a line (what the notebook's settings cell builds)."""
    return "TrainConfig(\n" + "".join(f"    {k}={v!r},\n" for k, v in cfg.to_dict().items()) + ")"


def _where(code) -> str:
    return t("code.where", file=code.file, name=code.name, a=code.first_line, b=code.last_line)


def piece(p, nested: bool = False) -> None:
    """One excerpt: the lines that ran, where they are, and the whole function they belong to
    (its line numbers count from the function's first line; ``nested``: no expander)."""
    code = p.code()
    st.markdown(f"**{t('code.idea_' + p.idea)}**  \n" + _where(code))
    if code.text != code.full:
        st.code(code.text, language="python")
        last = code.offset + code.last_line - code.first_line
        label = t("code.whole", name=code.name, a=code.offset, b=last)
        if nested:
            st.caption(label)
            return
        with st.expander(label, icon=":material/code:"):
            st.code(code.full, language="python", line_numbers=True)
    else:
        st.code(code.full, language="python", line_numbers=True)


def substep_code(kind: str, loss: str) -> None:
    """The procedure page: the engine's lines that carry out the sub-step that just ran."""
    from gan_core.source import substep_pieces

    st.markdown(f"##### {t('code.substep_title')}")
    st.caption(t("code.substep_intro"))
    for p in substep_pieces(kind, loss):
        piece(p)


def _notebook(cfg, lang: str, name: str) -> bytes:
    """The run as a notebook, made when its button is pressed (about a tenth of a second)."""
    from gan_core.notebook import notebook_bytes

    return notebook_bytes(cfg, _text(lang), name)


def _script(cfg, lang: str, name: str) -> bytes:
    from gan_core.notebook import script_bytes

    return script_bytes(cfg, _text(lang), name)


def _digits() -> bytes:
    """The digits file, read when its button is pressed (Streamlit calls this on its own thread)."""
    from gan_core.data import MNIST5K_FILE

    return MNIST5K_FILE.read_bytes()


def downloads(cfg, key: str, title: str, stem: str) -> None:
    """Download buttons: the run as ``stem``.ipynb and ``stem``.py, plus the digits file they
    read (image runs)."""
    lang = current_lang()
    stem = stem.replace("-", "_")
    cols = st.columns(3)
    cols[0].download_button(t("code.dl_ipynb"), partial(_notebook, cfg, lang, title),
                            file_name=f"{stem}.ipynb", key=f"{key}_ipynb", mime="application/x-ipynb+json",
                            icon=":material/download:", on_click="ignore")
    cols[1].download_button(t("code.dl_py"), partial(_script, cfg, lang, title),
                            file_name=f"{stem}.py", key=f"{key}_py", mime="text/x-python",
                            icon=":material/download:", on_click="ignore")
    if cfg.dataset == "mnist5k":
        cols[2].download_button(t("code.dl_data"), _digits, file_name="mnist_5k.npz", key=f"{key}_npz",
                                mime="application/octet-stream", icon=":material/download:",
                                on_click="ignore", help=t("code.dl_data_help"))
    st.caption(t("code.dl_note"))


def lab_code(cfg) -> None:
    """The Lab's Code view for the run shown (or, before one, the chosen settings): its models,
    its training step, its settings, and the run as a notebook."""
    from gan_core.source import Piece, model_classes, step_pieces

    if cfg is None:  # settings that don't make a valid run yet
        return
    box = st.expander(t("code.lab_title"), icon=":material/code:", key=OPEN_KEY, on_change="rerun")
    if not box.open:  # made when opened: its twenty-odd pieces made every Lab rerun a fifth heavier
        return
    with box:
        st.caption(t("code.lab_intro"))
        models, step, home = st.tabs([t("code.tab_models"), t("code.tab_step"), t("code.tab_home")])
        with models:
            for cls, idea in zip(model_classes(cfg.arch), ("generator", "discriminator"), strict=True):
                piece(Piece(cls, idea=idea), nested=True)
        with step:
            left, right = st.columns([5, 2])
            with right:
                st.markdown(f"**{t('code.settings')}**")
                st.code(config_text(cfg), language="python", wrap_lines=True)
            with left:
                for p in step_pieces(cfg.loss):
                    piece(p, nested=True)
        with home:
            st.markdown(t("code.home_intro"))
            name = next((n for n, c in PRESETS.items() if c == cfg), None)
            title = preset_labeller()(name) if name else t("code.own_settings")
            downloads(cfg, "lab_code", title, f"gan_{name or 'run'}")


def book_downloads() -> None:
    """The book's recipe (the ``seed-book`` preset) as a notebook, for the procedure page."""
    with st.expander(t("code.book_title"), icon=":material/menu_book:"):
        cfg = PRESETS["seed-book"]
        st.markdown(t("code.book_intro", batch=cfg.batch, lr=f"{cfg.lr_g:g}"))
        downloads(cfg, "book_code", t("presets.seed-book"), "gan_book_recipe")
