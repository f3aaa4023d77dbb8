"""High resolution on the GAN family page: progressive growing and a style-based generator.

``show()`` draws the whole section from the shipped model (``gan_core.progressive``): why
growing helps, the growth timeline (7 x 7 -> 14 x 14 -> 28 x 28, with each fade-in's two
branches blended at any alpha), style mixing of two seeds at a chosen resolution, and the
measured numbers. The model is loaded once per process (``st.cache_resource``, inference only);
pictures are cached per choice (``st.cache_data``). A missing or damaged file gives one sentence.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.i18n import current_lang, t

SCALE = 3  # screen pixels per pixel of a 28 x 28 digit
GAP = 60  # grey between cells
GRID = (4, 4)  # rows, columns of the timeline's 16 digits
MIX_SOURCES = 4  # A seeds down the side, B seeds across the top of the mixing grid
SEED_MAX = 9999


@st.cache_resource(show_spinner=False)
def model():
    """The shipped model (raises ProgressiveModelError, which is not cached, if it can't be read)."""
    from gan_core import progressive as pg

    return pg.load()


def enlarge(images: np.ndarray, size: int = 28) -> np.ndarray:
    """uint8 N x R x R -> N x size x size, each pixel a block (so 7 x 7 pictures look blocky)."""
    k = size // images.shape[-1]
    return np.kron(images, np.ones((1, k, k), dtype=np.uint8)) if k > 1 else images


def tiles(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """rows x cols digits (uint8, 28 x 28 each) in one picture, SCALE x larger, grey gaps."""
    big = np.kron(enlarge(images), np.ones((1, SCALE, SCALE), dtype=np.uint8))
    cell = big.shape[-1]
    out = np.full((rows * (cell + 2) + 2, cols * (cell + 2) + 2), GAP, dtype=np.uint8)
    for i, img in enumerate(big[: rows * cols]):
        y, x = (2 + k * (cell + 2) for k in divmod(i, cols))
        out[y:y + cell, x:x + cell] = img
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def reals(stage: int, alpha: float) -> np.ndarray:
    """16 training digits as D saw the real data at that moment (same blend as G's)."""
    import torch

    from gan_core import progressive as pg
    from gan_core.data import mnist5k_split

    train, _ = mnist5k_split()
    pick = train.images[np.linspace(0, len(train.images) - 1, GRID[0] * GRID[1]).astype(int)]
    with torch.inference_mode():
        return pg.to_uint8(pg.real_view(pg.to_tensor(pick), stage, alpha))


def frame_label(frame: dict, lang: str) -> str:
    """The timeline slider's words for one moment: its size and step, or its fade-in and alpha."""
    from gan_core.progressive import STAGES

    res = STAGES[frame["stage"]]
    if "old" in frame:
        return t("progressive.frame_fade", lang=lang, old=res // 2, res=res, alpha=f"{frame['alpha']:.2f}")
    return t("progressive.frame_stable", lang=lang, res=res, step=f"{frame['step']:,}")


def growth(shipped) -> None:
    """The timeline: a film strip of three digits, then one moment in full with its fade-in."""
    from gan_core import progressive as pg

    frames = shipped.frames()
    st.subheader(t("progressive.grow_title"))
    st.markdown(t("progressive.grow_text"))
    strip = np.concatenate([enlarge(pg.frame_picture(f)[:3]) for f in frames])  # frame-major
    order = np.arange(len(strip)).reshape(len(frames), 3).T.ravel()  # one row per digit
    st.image(tiles(strip[order], 3, len(frames)), caption=t("progressive.strip_caption"), width="stretch")
    lang = current_lang()
    default = next((i for i, f in enumerate(frames) if "old" in f and f["stage"] == 2 and f["alpha"] == 0.5),
                   len(frames) - 1)
    i = st.select_slider(t("progressive.moment"), options=list(range(len(frames))), value=default,
                         format_func=lambda k, lang=lang: frame_label(frames[k], lang), key="pg_moment")
    frame = frames[i]
    res = pg.STAGES[frame["stage"]]
    st.caption(t("progressive.moment_caption", step=f"{frame['step']:,}", res=res,
                 images=f"{frame['images']:,}"))
    if "old" not in frame:
        c1, c2 = st.columns(2)
        c1.image(tiles(frame["new"], *GRID), caption=t("progressive.g_at", res=res), width="stretch")
        c2.image(tiles(reals(frame["stage"], 1.0), *GRID), caption=t("progressive.real_at", res=res),
                 width="stretch")
        return
    alpha = st.slider(t("progressive.alpha"), 0.0, 1.0, float(frame["alpha"]), 0.05, key=f"pg_alpha_{i}",
                      help=t("progressive.alpha_help"))
    c1, c2, c3, c4 = st.columns(4)
    c1.image(tiles(frame["old"], *GRID), caption=t("progressive.old", old=res // 2), width="stretch")
    c2.image(tiles(frame["new"], *GRID), caption=t("progressive.new", res=res), width="stretch")
    c3.image(tiles(pg.frame_picture(frame, alpha), *GRID), width="stretch",
             caption=t("progressive.blend", alpha=f"{alpha:.2f}"))
    c4.image(tiles(reals(frame["stage"], round(alpha, 2)), *GRID),
             caption=t("progressive.real_blend", alpha=f"{alpha:.2f}"), width="stretch")
    st.caption(t("progressive.fade_note_start" if frame["alpha"] == 0 else "progressive.fade_note",
                 old=res // 2, res=res))


@st.cache_data(max_entries=64, show_spinner=False)
def mixing_grid(seed_a: int, seed_b: int, res: int) -> tuple[np.ndarray, list[int], list[int]]:
    """The StyleGAN figure: B sources across the top, A sources down the side, each cell A's
    styles below ``res`` and B's from ``res`` on. Returns (rows x cols digits, seeds A, seeds B)."""
    import torch

    from gan_core import progressive as pg
    from gan_core.threads import single_thread

    g = model().g
    seeds_a = [(seed_a + k) % (SEED_MAX + 1) for k in range(MIX_SOURCES)]
    seeds_b = [(seed_b + k) % (SEED_MAX + 1) for k in range(MIX_SOURCES)]
    with single_thread(), torch.inference_mode():
        w_a, w_b = g.map(pg.noise(seeds_a, g.cfg.z_dim)), g.map(pg.noise(seeds_b, g.cfg.z_dim))
        a, b = pg.to_uint8(g.synthesis(pg.broadcast(w_a))), pg.to_uint8(g.synthesis(pg.broadcast(w_b)))
        n = MIX_SOURCES
        ws = pg.mix(w_a.repeat_interleave(n, 0), w_b.repeat(n, 1), pg.first_style(res))  # row r: A[r]
        mixes = pg.to_uint8(g.synthesis(ws))
    blank = np.full((1, 28, 28), GAP, dtype=np.uint8)
    rows = [np.concatenate([blank, b])]
    rows += [np.concatenate([a[r:r + 1], mixes[r * n:(r + 1) * n]]) for r in range(n)]
    return np.concatenate(rows), seeds_a, seeds_b


def mixing(shipped) -> None:
    st.subheader(t("progressive.mix_title"))
    st.markdown(t("progressive.mix_text"))
    lang = current_lang()
    c1, c2, c3 = st.columns([1, 1, 2])
    seed_a = int(c1.number_input(t("progressive.seed_a"), 0, SEED_MAX, 0, key="pg_seed_a"))
    seed_b = int(c2.number_input(t("progressive.seed_b"), 0, SEED_MAX, 4, key="pg_seed_b"))
    res = c3.select_slider(t("progressive.crossover"), options=[7, 14, 28], value=14, key="pg_cross",
                           format_func=lambda r, lang=lang: t(f"progressive.cross_{r}", lang=lang))
    cells, seeds_a, seeds_b = mixing_grid(seed_a, seed_b, res)
    n = MIX_SOURCES + 1
    left, right = st.columns([3, 2])
    left.image(tiles(cells, n, n), width="stretch")
    right.caption(t("progressive.mix_caption", a=", ".join(map(str, seeds_a)), b=", ".join(map(str, seeds_b)),
                    res=res))
    measured = shipped.info.get("quality", {}).get("mixing", {})
    if str(res) in measured and res != 7:
        m = measured[str(res)]
        right.caption(t("progressive.mix_measured", pairs=f"{measured['pairs']:,}", res=res,
                        a=f"{100 * m['as_a']:.0f}", b=f"{100 * m['as_b']:.0f}"))


def numbers(shipped) -> None:
    info = shipped.info
    q, cmp = info.get("quality", {}), info.get("quality", {}).get("compare", {})
    st.subheader(t("progressive.numbers_title"))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("progressive.score"), f"{q.get('score', float('nan')):.1f}")
    m2.metric(t("progressive.lab_score"), f"{cmp.get('lab_quick_score', float('nan')):.1f}")
    m3.metric(t("progressive.real_score"), f"{cmp.get('real_score', float('nan')):.1f}")
    m4.metric(t("progressive.size"), f"{info.get('g_params', 0):,}")
    st.caption(t("progressive.numbers_note", seconds=f"{info.get('train_seconds', 0):.0f}",
                 covered=q.get("classes_covered", "?"), command=info.get("command", "")))
    by_stage = q.get("score_by_stage", {})
    if by_stage:
        st.dataframe({t("progressive.col_res"): [f"{r} × {r}" for r in by_stage],
                      t("progressive.col_generated"): [f"{v['generated']:.1f}" for v in by_stage.values()],
                      t("progressive.col_real"): [f"{v['real']:.1f}" for v in by_stage.values()]},
                     hide_index=True)
        st.caption(t("progressive.by_stage_note"))


def show() -> None:
    """The whole section (header included); the family page calls it."""
    st.header(t("progressive.title"))
    st.markdown(t("progressive.why"))
    from gan_core.progressive import ProgressiveModelError

    try:
        shipped = model()
    except ProgressiveModelError:
        st.info(t("progressive.missing"))
        return
    growth(shipped)
    mixing(shipped)
    numbers(shipped)
    with st.expander(t("progressive.more_title")):
        st.markdown(t("progressive.more_text"))
