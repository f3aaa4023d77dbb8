"""The shipped digits CycleGAN (handwritten <-> typeset): the cycle, the identity mapping, the
per-loss curves of its training, its measured quality, where it hides the handwriting, and a
short training of one's own with the loss switches (``live_section``: cached by its settings).

The model is loaded once per process (``st.cache_resource``; used only under inference mode);
pictures are cached per choice (``st.cache_data``), so a rerun costs a lookup.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from gan_core.cyclegan import digits
from ui.i18n import current_lang, t

SCALE = 3  # screen pixels per digit pixel
HIDDEN_GAIN = 8  # how much G(x) - (the typeset digit nearest to it) is amplified
PROBE_NOISE = 4  # grey levels of faint noise added to G(x) before F (the hiding test), by default
NOISE_CHOICES = (0, 1, 2, 4, 8, 16)
STYLES = 6  # handwritten examples of one digit in the hiding section


@st.cache_resource(show_spinner=False)
def model() -> digits.DigitsModel:
    return digits.load()


def strip(images: np.ndarray) -> np.ndarray:
    """uint8 N x 28 x 28 -> one row, each digit SCALE x larger, one grey pixel between them."""
    big = np.kron(images, np.ones((SCALE, SCALE), dtype=np.uint8))
    gap = np.full((big.shape[1], SCALE), 70, dtype=np.uint8)
    parts = []
    for img in big:
        parts += [img, gap]
    return np.concatenate(parts[:-1], axis=1)


@st.cache_data(max_entries=32, show_spinner=False)
def cycle_rows(pick: int) -> dict[str, np.ndarray]:
    """One held-out handwritten digit and one typeset digit per class (chosen by ``pick``),
    with both cycles and both identity outputs."""
    from gan_core import cycle_data

    m = model()
    rng = np.random.default_rng(pick)
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    ty, ty_labels = cycle_data.typeset()
    x = np.stack([held[rng.choice(np.flatnonzero(labels == d))] for d in range(10)])
    y = np.stack([ty[rng.choice(np.flatnonzero(ty_labels == d))] for d in range(10)])
    gx, fy = m.run("g", x), m.run("f", y)
    return {"x": x, "g_x": gx, "f_g_x": m.run("f", gx), "f_x": m.run("f", x),
            "y": y, "f_y": fy, "g_f_y": m.run("g", fy), "g_y": m.run("g", y), "a_x": m.aligned("g", x)}


@st.cache_data(max_entries=20, show_spinner=False)
def hiding(digit: int, noise: int) -> dict:
    """STYLES held-out handwritten ``digit``s x; G(x); the typeset digit nearest to each G(x)
    (y*); G(x) - y* amplified; F(G(x)); F(y*) (the same way back with nothing hidden); and F
    after faint noise of at most +-``noise`` grey levels is added to G(x). Numbers in grey levels."""
    from gan_core import cycle_data

    m = model()
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    ty, _ = cycle_data.typeset()
    x = held[np.flatnonzero(labels == digit)[:STYLES]]
    gx = m.run("g", x)
    near, index = digits.nearest_typeset(gx, np.full(len(x), digit))
    nearest = ty[index]
    amplified = np.clip(128 + HIDDEN_GAIN * (gx.astype(np.float32) - nearest), 0, 255).astype(np.uint8)
    back, back_nearest = m.run("f", gx), m.run("f", nearest)
    back_noisy = m.run("f", digits.noisy(gx, noise)) if noise else back
    grey = digits.grey_distances_pairwise
    spread = lambda v: float(digits.grey_distances(v, v).sum() / (len(v) * (len(v) - 1)))  # noqa: E731
    return {"x": x, "g_x": gx, "nearest": nearest, "hidden": amplified, "f_g_x": back,
            "f_nearest": back_nearest, "f_noisy": back_noisy, "near": float(near.mean()),
            "spread_x": spread(x), "spread_g": spread(gx), "back": grey(x, back),
            "back_nearest": grey(x, back_nearest), "back_noisy": grey(x, back_noisy)}


def hiding_verdict(back: float, back_noisy: float, back_nearest: float) -> str:
    """'faint' when faint noise undid at least a quarter of what G(x)'s hidden detail buys F
    (the way back from the nearest typeset digit, minus the way back from G(x))."""
    gained = back_nearest - back
    return "faint" if gained > 0 and back_noisy - back >= 0.25 * gained else "plain"


def typeface_section(m: digits.DigitsModel) -> None:
    """How typeset G(x) looks, measured on the held-out digits (from the sidecar)."""
    q = m.info.get("quality", {}).get("typeface")
    if not q:
        return
    st.markdown(f"**{t('cycledigits.face_title')}**")
    rows = [(t("cycledigits.face_near"), f"{q['near_x']:.1f}", f"{q['near_gx']:.1f}", "0"),
            (t("cycledigits.face_spread"), f"{q['spread_x']:.1f}", f"{q['spread_gx']:.1f}",
             f"{q['spread_typeset']:.1f}"),
            (t("cycledigits.face_judged"), f"{100 * q['judged_x']:.0f}%", f"{100 * q['judged_gx']:.0f}%",
             "100%")]
    head = [t("cycledigits.face_measure"), "x", "G(x)", t("cycledigits.face_typeset")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    st.markdown("\n".join(lines))
    st.caption(t("cycledigits.face_caption", n=m.info["quality"]["heldout_digits"]))


def hide_test_section(m: digits.DigitsModel) -> None:
    """The hide test on all held-out digits (from the sidecar): noise and rounding before F."""
    q = m.info.get("quality", {}).get("hiding")
    if not q:
        return
    st.markdown(f"**{t('cycledigits.test_title')}**")
    rows = [(t("cycledigits.test_clean"), q["back"])]
    rows += [(t("cycledigits.test_noise", noise=a), q[f"back_noise_{a}"]) for a in digits.HIDE_NOISE]
    levels = digits.HIDE_LEVELS
    rows += [(t("cycledigits.test_levels", levels=levels), q[f"back_levels_{levels}"]),
             (t("cycledigits.test_nearest"), q["back_nearest"])]
    head = [t("cycledigits.test_input"), t("cycledigits.test_back")]
    lines = ["| " + " | ".join(head) + " |", "|---|---|"]
    lines += [f"| {label} | {value:.1f} |" for label, value in rows]
    st.markdown("\n".join(lines))
    st.caption(t("cycledigits.test_caption", n=m.info["quality"]["heldout_digits"],
                 change=f"{q['g_change']:.1f}"))


def cycle_section(pick: int) -> None:
    rows = cycle_rows(pick)
    st.markdown(f"**{t('cycledigits.row_x_title')}**")
    for key in ("x", "g_x", "f_g_x", "f_x"):
        st.image(strip(rows[key]), caption=t(f"cycledigits.row_{key}"), output_format="PNG")
    st.markdown(f"**{t('cycledigits.row_y_title')}**")
    for key in ("y", "f_y", "g_f_y", "g_y"):
        st.image(strip(rows[key]), caption=t(f"cycledigits.row_{key}"), output_format="PNG")


def build_section(pick: int) -> None:
    """Why G keeps the digit: its two steps (affine transform, then local edits) on the same x."""
    rows = cycle_rows(pick)
    if rows["a_x"] is None:  # a model whose generators have no transform
        return
    st.subheader(t("cycledigits.build_title"))
    st.markdown(t("cycledigits.build_text"))
    st.image(strip(rows["x"]), caption=t("cycledigits.row_x"), output_format="PNG")
    st.image(strip(rows["a_x"]), caption=t("cycledigits.build_aligned"), output_format="PNG")
    st.image(strip(rows["g_x"]), caption=t("cycledigits.build_edited"), output_format="PNG")


def quality_section(m: digits.DigitsModel) -> None:
    q = m.info.get("quality", {})
    if not q:
        return
    c1, c2, c3 = st.columns(3)
    c1.metric(t("cycledigits.q_typeset"), f"{100 * q['typeset_accuracy']:.1f}%")
    c2.metric(t("cycledigits.q_keep_g"), f"{100 * q['keep_g']:.1f}%")
    c3.metric(t("cycledigits.q_keep_fg"), f"{100 * q['keep_fg']:.1f}%")
    st.caption(t("cycledigits.q_caption", n=q["heldout_digits"]))


def hiding_section(m: digits.DigitsModel) -> None:
    st.subheader(t("cycledigits.hide_title"))
    st.markdown(t("cycledigits.hide_text"))
    typeface_section(m)
    c1, c2 = st.columns(2)
    digit = c1.segmented_control(t("cycledigits.hide_digit"), list(range(10)), default=7, key="cd_digit")
    digit = 7 if digit is None else int(digit)  # a click on the active option clears it
    noise = c2.select_slider(t("cycledigits.hide_noise"), NOISE_CHOICES, value=PROBE_NOISE, key="cd_noise")
    h = hiding(digit, int(noise))
    for key in ("x", "g_x", "nearest", "hidden", "f_g_x", "f_nearest"):
        st.image(strip(h[key]), caption=t(f"cycledigits.hide_{key}", gain=HIDDEN_GAIN), output_format="PNG")
    st.image(strip(h["f_noisy"]), caption=t("cycledigits.hide_f_noisy", noise=noise), output_format="PNG")
    finding = t("cycledigits.hide_finding", spread_x=f"{h['spread_x']:.0f}", spread_g=f"{h['spread_g']:.0f}",
                near=f"{h['near']:.0f}", back=f"{h['back']:.0f}", back_nearest=f"{h['back_nearest']:.0f}",
                noise=noise, back_noisy=f"{h['back_noisy']:.0f}")
    verdict = hiding_verdict(h["back"], h["back_noisy"], h["back_nearest"]) if noise else "none"
    st.info(finding + " " + t(f"cycledigits.hide_verdict_{verdict}"), icon=":material/visibility:")
    hide_test_section(m)


LIVE_CYCLE = (0.0, 1.0, 5.0, 10.0)
LIVE_ID = (0.0, 0.5, 1.0, 2.0)
LIVE_STATE = "cd_live_cfg"  # the config of this session's last short run


def live_run(cfg):
    """This session's short run: trained now with a progress bar, or from the cache."""
    from gan_core import cycle_runs

    run = cycle_runs.cached(cfg, need_weights=True)
    if run is not None:
        return run
    bar = st.progress(0.0, text=t("cycledigits.live_progress", step=0, steps=cfg.steps))

    def progress(step: int, values: dict[str, float]) -> None:
        bar.progress(step / cfg.steps, text=t("cycledigits.live_progress", step=step, steps=cfg.steps))

    run = cycle_runs.get_or_train(cfg, progress, need_weights=True)
    bar.empty()
    return run


@st.cache_data(max_entries=16, show_spinner=False)
def live_numbers(key: str, _run) -> dict:
    g, f = _run.generators()
    return digits.live_measure(g, f)


def live_section(m: digits.DigitsModel) -> None:
    """A short training of one's own with the loss switches: one run at a time, kept on rerun."""
    st.subheader(t("cycledigits.live_title"))
    st.markdown(t("cycledigits.live_text", steps=digits.LIVE_STEPS, shipped=m.config.steps))
    c1, c2, c3 = st.columns(3)
    lam_c = c1.select_slider(t("cycledigits.live_cycle"), LIVE_CYCLE, value=m.config.lambda_cycle,
                             key="cd_lc")
    lam_i = c2.select_slider(t("cycledigits.live_id"), LIVE_ID, value=m.config.lambda_id, key="cd_li")
    adv = c3.toggle(t("cycledigits.live_adv"), value=True, key="cd_adv")
    if st.button(t("cycledigits.live_train", steps=digits.LIVE_STEPS), icon=":material/play_arrow:",
                 key="cd_live_go"):
        st.session_state[LIVE_STATE] = digits.live_config(lam_c, lam_i, adv)
    cfg = st.session_state.get(LIVE_STATE)
    if cfg is None:
        return
    run = live_run(cfg)
    n = live_numbers(cfg.key, run)
    on = t("cycledigits.live_on") if cfg.w_adv_g else t("cycledigits.live_off")
    st.markdown(t("cycledigits.live_settings", cyc=f"{cfg.lambda_cycle:g}", id=f"{cfg.lambda_id:g}", adv=on,
                  seconds=f"{run.seconds:.0f}"))
    for key in ("x", "g_x", "f_g_x"):
        st.image(strip(n[key]), caption=t(f"cycledigits.row_{key}"), output_format="PNG")
    c1, c2, c3 = st.columns(3)
    c1.metric(t("cycledigits.q_keep_g"), f"{100 * n['keep_g']:.0f}%")
    c2.metric(t("cycledigits.q_keep_fg"), f"{100 * n['keep_fg']:.0f}%")
    c3.metric(t("cycledigits.live_change"), f"{n['g_change']:.1f}")
    st.caption(t("cycledigits.live_caption", n=n["digits"], back=f"{n['back']:.1f}"))


def show() -> None:
    """The digits section: the model's cycle and identity outputs, quality, curves, hiding."""
    from ui.cycle2d_view import losses_figure

    st.markdown(t("cycledigits.intro"))
    try:
        m = model()
    except digits.DigitsModelError:
        st.error(t("cycledigits.err_model"), icon=":material/error:")
        return
    pick = int(st.session_state.get("cd_pick", 0))
    if st.button(t("cycledigits.other_examples"), icon=":material/shuffle:", key="cd_shuffle"):
        pick += 1
        st.session_state["cd_pick"] = pick
    cycle_section(pick)
    quality_section(m)
    build_section(pick)
    st.subheader(t("cycledigits.curves_title"))
    st.plotly_chart(losses_figure(m.history, t("cycledigits.curves_run", steps=m.config.steps)),
                    width="stretch", key=f"cd_curves_{current_lang()}")
    st.caption(t("cycledigits.curves_caption", seconds=f"{m.info.get('train_seconds', 0):.0f}"))
    hiding_section(m)
    live_section(m)
