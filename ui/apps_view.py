"""What GANs are used for: a super-resolution demo on held-out digits (a pixel-loss net against the
same net trained with an adversarial loss as well, SRGAN's idea), then the application cards, each
tied to a part of the app to try or marked as read-only with its paper named.

The nets are loaded once per process (``st.cache_resource``); one digit's pictures are cached per
choice (``st.cache_data``). The numbers over all held-out digits come from the shipped sidecar,
which tests/test_superres.py recomputes from the shipped nets.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from gan_core import superres
from gan_core.config import PRESETS
from gan_core.vae import grey_share
from ui.family_view import link
from ui.i18n import option_label, t

SHOWN = 168  # screen pixels of each picture's side (shown at that size: no smoothing by the browser)
DEFAULT_DIGIT = 297  # the held-out digit (1-based) shown on a first visit: a 5, blurred vs crisp
HELD = 500  # held-out digits (gan_core.data.mnist5k_split)
COLUMNS = ("low", "bicubic", "pixel", "gan", "original")
DEFAULT_KIND = "pool4"  # the hardest damage, where the two nets differ most
DIGIT_KEY, KIND_KEY = "apps_digit", "apps_kind"

# (catalogue key stem, where to try it: "demo" = the demo above, a page slug, or None = read-only,
#  Lab preset or None). Old cards keep their family.app_* keys; the new ones live in apps.json.
CARDS = (
    ("apps.card_superres", "demo", None),
    ("family.app_restore", "demo", None),
    ("apps.card_faces", "lab", "quick"),
    ("family.app_translation", "cyclegan", None),
    ("family.app_sketch", "lab", "cgan"),  # pix2pix is paired: a conditional GAN, not the unpaired studio
    ("family.app_text", "lab", "cgan"),
    ("family.app_medical", "cyclegan", None),
    ("family.app_style", "cyclegan", None),
    ("apps.card_ganimal", None, None),
)


@st.cache_resource(show_spinner=False)
def model() -> superres.Upscalers:
    return superres.load()


def enlarge(img: np.ndarray) -> np.ndarray:
    """uint8 s x s -> about SHOWN x SHOWN, each pixel a visible square (no smoothing)."""
    k = max(1, SHOWN // img.shape[0])
    return np.kron(img, np.ones((k, k), dtype=np.uint8))


@st.cache_data(max_entries=64, show_spinner=False)
def digit_row(index: int, kind: str) -> dict:
    """One held-out digit through ``kind`` with every restoration, its PSNR and the classifier's read."""
    from gan_core.classifier import predict_proba

    ex = superres.example(model(), index, kind)
    pics = np.stack([ex[k] for k in COLUMNS[1:]])
    probs = predict_proba(pics)
    reads = {k: (int(p.argmax()), float(p.max())) for k, p in zip(COLUMNS[1:], probs, strict=True)}
    psnr = superres.psnr(pics[:3], np.repeat(ex["original"][None], 3, 0))
    return {**ex, "reads": reads, "psnr": {k: float(v) for k, v in zip(COLUMNS[1:4], psnr, strict=True)},
            "grey": {k: grey_share(ex[k]) for k in COLUMNS[1:]}}


def _reroll() -> None:
    current = int(st.session_state.get(DIGIT_KEY, DEFAULT_DIGIT))
    pick = int(np.random.default_rng().integers(1, HELD))
    st.session_state[DIGIT_KEY] = pick if pick != current else pick % HELD + 1


def controls() -> tuple[int, str]:
    c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
    kind = c1.segmented_control(t("apps.kind"), superres.KINDS, default=DEFAULT_KIND, key=KIND_KEY,
                                format_func=option_label("apps.kind_"))
    kind = kind or DEFAULT_KIND  # a click on the active option clears it
    number = c2.number_input(t("apps.digit"), 1, HELD, DEFAULT_DIGIT, key=DIGIT_KEY)
    c3.button(t("apps.reroll"), icon=":material/casino:", key="apps_reroll", on_click=_reroll)
    return int(number) - 1, kind


def pictures(row: dict, kind: str) -> None:
    cols = st.columns(len(COLUMNS))
    for col, key in zip(cols, COLUMNS, strict=True):
        caption = t(f"apps.input_{kind}") if key == "low" else t(f"apps.pic_{key}")
        col.image(enlarge(row[key]), caption=caption, output_format="PNG", width=SHOWN)
        lines = [t("apps.pic_grey", share=f"{100 * row['grey'][key]:.0f}")] if key != "low" else []
        if key in row["psnr"]:
            lines.append(t("apps.pic_psnr", db=f"{row['psnr'][key]:.1f}"))
        if key in row["reads"]:
            digit, p = row["reads"][key]
            lines.append(t("apps.pic_reads", digit=digit, p=f"{100 * p:.0f}"))
        if lines:
            col.caption("  \n".join(lines))
    st.caption(t("apps.pic_label", label=row["label"]))


def numbers(info: dict, kind: str) -> None:
    q = info.get("quality", {}).get(kind)
    if not q:
        return
    st.markdown(t("apps.table_title", n=info["data"]["heldout"]))
    pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    st.dataframe([{t("apps.col_picture"): t(f"apps.row_{name}"),
                   t("apps.col_psnr"): f"{row['psnr']:.2f}" if "psnr" in row else "—",
                   t("apps.col_grey"): pct(row["grey"]), t("apps.col_accuracy"): pct(row["accuracy"]),
                   t("apps.col_confidence"): pct(row["confidence"])} for name, row in q.items()],
                 hide_index=True, width="stretch")
    px, gan, real = q["pixel"], q["gan"], q["original"]
    st.info(t("apps.lesson", pixel_psnr=f"{px['psnr']:.1f}", gan_psnr=f"{gan['psnr']:.1f}",
              pixel_grey=f"{100 * px['grey']:.1f}", gan_grey=f"{100 * gan['grey']:.1f}",
              real_grey=f"{100 * real['grey']:.1f}", pixel_conf=f"{100 * px['confidence']:.0f}",
              gan_conf=f"{100 * gan['confidence']:.0f}"), icon=":material/lightbulb:")
    cfg = info["config"]
    st.caption(t("apps.how_trained", steps=f"{cfg['steps']:,}", batch=cfg["batch"], adv=cfg["adv_weight"],
                 seconds=f"{info['train_seconds']:.0f}", command=info["command"]))


def demo() -> None:
    st.subheader(t("apps.sr_title"))
    st.markdown(t("apps.sr_text"))
    try:
        m = model()
    except superres.SuperResError:
        st.warning(t("apps.sr_missing"), icon=":material/warning:")
        return
    index, kind = controls()
    pictures(digit_row(index, kind), kind)
    numbers(m.info, kind)


def cards() -> None:
    st.subheader(t("apps.cards_title"))
    st.caption(t("apps.cards_intro"))
    cols = st.columns(2)
    for i, (stem, where, preset) in enumerate(CARDS):
        with cols[i % 2].container(border=True):
            st.markdown(f"**{t(stem)}**")
            if where is None:
                st.badge(t("apps.badge_read"), icon=":material/menu_book:", color="gray")
            else:
                st.badge(t("apps.badge_try"), icon=":material/touch_app:", color="green")
            st.write(t(f"{stem}_text"))
            st.caption(t(f"apps.paper_{stem.split('_', 1)[1]}"))
            if where == "demo":
                st.caption(t("apps.try_demo"))
            if where is not None and where != "demo" or stem == "family.app_restore":
                slug = where if where != "demo" else "cyclegan"
                link(slug, f"{stem}_link", query={"preset": preset} if preset in PRESETS else None)
            if where is None:
                st.caption(t(f"{stem}_nearest"))


def show() -> None:
    """The applications section of The GAN family: the demo on top, then the cards."""
    st.header(t("apps.title"))
    st.caption(t("apps.intro"))
    demo()
    cards()
