"""The quiz: which questions exist, what counts as right, and the data behind live figures.

The words of every question (Korean and English) live in the string catalogues
``ui/locales/<lang>/quizbank.json`` under ``<id>``, ``<id>_o0``..``<id>_o{n-1}`` (the choices)
and ``<id>_why`` (the explanation); this module holds only the structure and the grading, so
the answers are checked by code and not by comparing translated text. No torch, no streamlit.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

# Every concept the course teaches; each must be asked at least once (tests check).
CONCEPTS = (
    "analogy", "roles", "procedure", "value_function", "nonsat", "mode_collapse",
    "balance", "loss_curves", "evaluation", "dcgan", "cgan", "pix2pix_cyclegan", "cycle_losses",
    "applications", "vae", "high_res", "style_transfer",
)


@dataclass(frozen=True)
class Question:
    """One quiz question.

    Args:
        qid: catalogue key stem (``quizbank.<qid>``).
        concept: one of CONCEPTS.
        page: nav slug of the page that teaches it (``ui.nav.PAGES``).
        kind: "choice" (answer = index of the right option) or "number" (answer = value).
        answer: right option index, or the numeric value.
        options: number of choices (choice questions).
        tol: absolute tolerance for numeric answers.
        figure: id of a live figure shown with the question (see ``figure_data``), or None.
    """

    qid: str
    concept: str
    page: str
    kind: str
    answer: float
    options: int = 0
    tol: float = 0.0
    figure: str | None = None


def _c(qid, concept, page, answer, options=4, figure=None) -> Question:
    return Question(qid, concept, page, "choice", answer, options, figure=figure)


def _n(qid, concept, page, answer, tol, figure=None) -> Question:
    return Question(qid, concept, page, "number", float(answer), tol=tol, figure=figure)


RING_COLLAPSED = (0, 3, 5)  # the modes the "collapsed generator" of the ring figure still covers

QUESTIONS: tuple[Question, ...] = (
    _c("analogy_who", "analogy", "analogy", 1),
    _c("analogy_end", "analogy", "analogy", 2),
    _c("roles_g_input", "roles", "procedure", 0),
    _c("roles_d_output", "roles", "procedure", 3),
    _c("nz_what", "roles", "lab", 1),
    _c("range_tanh", "roles", "family", 1),
    _c("range_sigmoid", "roles", "minimax", 1),
    _c("proc_d_labels", "procedure", "procedure", 1),
    _c("proc_g_target", "procedure", "procedure", 0),
    _c("proc_frozen", "procedure", "procedure", 2),
    _c("proc_detach", "procedure", "procedure", 1),
    _c("k_meaning", "procedure", "procedure", 1),
    _c("k_one", "procedure", "procedure", 1),
    _c("value_who_max", "value_function", "minimax", 0),
    _n("value_at_equilibrium", "value_function", "minimax", -math.log(4.0), 0.01),
    _n("value_example", "value_function", "minimax", 2 * math.log(0.8), 0.01),
    _n("dstar_value", "value_function", "minimax", 0.75, 0.01),
    _c("dstar_no_fakes", "value_function", "minimax", 1),
    _c("nonsat_flat_curve", "nonsat", "minimax", 0, figure="saturation"),
    _n("nonsat_slope", "nonsat", "minimax", 100.0, 1.0, figure="saturation"),
    _c("nonsat_change", "nonsat", "minimax", 3),
    _c("collapse_what", "mode_collapse", "mode_collapse", 2),
    _n("collapse_count", "mode_collapse", "mode_collapse", len(RING_COLLAPSED), 0.0, figure="ring_modes"),
    _c("collapse_cause", "mode_collapse", "mode_collapse", 1),
    _c("balance_d_wins", "balance", "lab", 0),
    _c("balance_lr", "balance", "lab", 2),
    _n("balance_d_loss", "balance", "lab", 2 * math.log(2.0), 0.01),
    _c("curves_d_wins", "loss_curves", "lab", 1),
    _c("curves_healthy", "loss_curves", "lab", 2),
    _c("curves_unstable", "loss_curves", "compare", 1),
    _c("eval_score", "evaluation", "lab", 1),
    _c("eval_fd", "evaluation", "lab", 1),
    _c("eval_classes", "evaluation", "mode_collapse", 1),
    _c("dcgan_avoid", "dcgan", "family", 3),
    _n("dcgan_size", "dcgan", "family", 14, 0.0),
    _c("cgan_input", "cgan", "lab", 1),
    _c("cgan_seven", "cgan", "lab", 0),
    _c("pair_horse_zebra", "pix2pix_cyclegan", "family", 2),
    _c("pair_pix2pix_needs", "pix2pix_cyclegan", "family", 1),
    _c("cycle_which", "cycle_losses", "cyclegan", 2),
    _c("cycle_identity", "cycle_losses", "cyclegan", 0),
    _c("cycle_not_one", "cycle_losses", "cyclegan", 3),
    _c("cycle_flip", "cycle_losses", "cyclegan", 0),
    _c("app_mri_ct", "applications", "family", 1),
    _c("app_superres", "applications", "family", 2),
    _c("vae_blur", "vae", "family", 0),
    _c("vae_beta_zero", "vae", "family", 1),
    _c("prog_why", "high_res", "family", 2),
    _n("prog_alpha", "high_res", "family", 0.25, 0.0),
    _c("style_mixing", "high_res", "family", 0),
    _c("nst_gram", "style_transfer", "family", 1),
    _c("nst_vs_cycle", "style_transfer", "family", 3),
)

BY_ID = {q.qid: q for q in QUESTIONS}
assert len(BY_ID) == len(QUESTIONS), "question ids must be unique"


def catalogue_keys(q: Question) -> list[str]:
    """The catalogue keys (without the ``quizbank.`` area) a question needs in every language."""
    keys = [q.qid, f"{q.qid}_why"]
    keys += [f"{q.qid}_o{i}" for i in range(q.options)]
    return keys


def option_order(qid: str, n: int, seed: int) -> list[int]:
    """The order a question's ``n`` options are shown in: shuffled, the same for one ``seed``
    (kept per session) and different from question to question."""
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(qid.encode())])
    return [int(i) for i in rng.permutation(n)]


def parse_number(text: str) -> float | None:
    """A typed number ("-1.39", "−1,386", " 14 ") or None when it isn't one."""
    if text is None:
        return None
    s = str(text).strip().replace("\u2212", "-").replace(" ", "")
    if s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")
    if not s or len(s) > 32:
        return None
    try:
        value = float(s)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def is_correct(q: Question, response) -> bool:
    """Grade a response: an option index for choice questions, a number (or text) for numbers."""
    if q.kind == "choice":
        return response is not None and int(response) == int(q.answer)
    value = response if isinstance(response, (int, float)) else parse_number(response)
    if value is None or not math.isfinite(float(value)):
        return False
    return abs(float(value) - q.answer) <= q.tol + 1e-9


def score(answers: dict[str, bool]) -> tuple[int, int]:
    """(right, answered) over a dict qid -> was it right."""
    return sum(1 for ok in answers.values() if ok), len(answers)


# ---- live figures ------------------------------------------------------------------------------
def saturation_curves(n: int = 200) -> dict[str, np.ndarray]:
    """G's two losses over d = D(G(z)) (from gan_core.theory): minimax log(1-d) and
    non-saturating -log d, with their slopes. Near d = 0 (a weak G) the first is flat."""
    from gan_core import theory

    d = np.linspace(0.001, 0.999, n)
    return {
        "d": d,
        "minimax": theory.curve("log_1md", d),
        "nonsat": theory.curve("neg_log_d", d),
        "minimax_slope": theory.slope("log_1md", d),
        "nonsat_slope": theory.slope("neg_log_d", d),
    }


def ring_collapse_points(n: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    """The ring of 8 real modes and samples of a generator that collapsed onto RING_COLLAPSED."""
    from gan_core.data import sample_toy, toy_modes, toy_sigma

    rng = np.random.default_rng(seed)
    modes = toy_modes("ring8")
    which = rng.choice(np.asarray(RING_COLLAPSED), size=n)
    fake = modes[which] + rng.normal(0.0, toy_sigma("ring8"), (n, 2))
    return {"modes": modes, "real": sample_toy("ring8", n, rng), "fake": fake.astype(np.float32)}


def figure_data(fig_id: str) -> dict[str, np.ndarray]:
    if fig_id == "saturation":
        return saturation_curves()
    if fig_id == "ring_modes":
        return ring_collapse_points()
    raise ValueError(f"unknown quiz figure {fig_id!r}")
