"""What students read says one thing one way: the same CycleGAN losses everywhere, one
explanation of saturation, no project file names, and one Korean word per idea."""
from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from ui.i18n import LANGS, catalogue, t

# ---- CycleGAN's four losses ----------------------------------------------------------------------
# The names the CycleGAN page gives them (cyclegan.losses_text), per language.
CYCLE_LOSSES = {
    "en": ("adversarial loss for g", "adversarial loss for f", "cycle-consistency loss", "identity loss"),
    "ko": ("g의 적대적 손실", "f의 적대적 손실", "사이클 일관성 손실", "항등 손실"),
}
# Names of a different split (generator / discriminator loss) that the page does not use.
OTHER_SPLIT = {"en": ("generator loss", "discriminator loss", "generator (adversarial)"),
               "ko": ("생성자 손실", "판별자 손실", "생성자(적대적)")}


@pytest.mark.parametrize("lang", LANGS)
def test_cyclegan_losses_named_alike_on_page_family_and_quiz(lang):
    cat = catalogue(lang)
    for key in ("cyclegan.losses_text", "family.cyc_losses", "quizbank.cycle_not_one_why"):
        text = cat[key].lower()
        assert [n for n in CYCLE_LOSSES[lang] if n not in text] == [], key
        assert [n for n in OTHER_SPLIT[lang] if n in text] == [], key


@pytest.mark.parametrize("lang", LANGS)
def test_quiz_cyclegan_options_use_the_pages_loss_names(lang):
    from gan_core import quiz

    cat = catalogue(lang)
    word = "loss" if lang == "en" else "손실"
    for q in quiz.QUESTIONS:
        if q.concept != "cycle_losses":
            continue
        for i in range(q.options):
            text = cat[f"quizbank.{q.qid}_o{i}"].lower()
            if word not in text or (q.qid == "cycle_not_one" and i == q.answer):
                continue  # the one loss that is not CycleGAN's is the right answer there
            assert any(n in text for n in CYCLE_LOSSES[lang]), f"{q.qid}_o{i}: {text}"
    # the page's four are the quiz's four: each name is an option of "which is not one of them"
    options = " ".join(cat[f"quizbank.cycle_not_one_o{i}"].lower() for i in range(4))
    options += " " + cat["quizbank.cycle_which_o2"].lower()
    assert all(n in options for n in CYCLE_LOSSES[lang])


# ---- other contradictions ------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_saturation_explained_once_through_the_logit(lang):
    """The minimax page and the quiz give the same reason: through the sigmoid G's signal is
    −d for log(1 − d) and −(1 − d) for −log d."""
    for key in ("minimax.why_saturate", "quizbank.nonsat_flat_curve_why"):
        text = t(key, lang=lang)
        assert "d = σ(l)" in text and "−(1 − d)" in text and "d(1 − d) ≈ d" in text, key


@pytest.mark.parametrize("d", ["0.020", "0.500", "0.900"])
def test_signal_reading_never_says_a_fraction_times_larger(d):
    ratio = (1 - float(d)) / float(d)
    en = t("minimax.signal_reading", lang="en", d=d, sat=d, ns="x", ratio=f"{ratio:.1f}")
    ko = t("minimax.signal_reading", lang="ko", d=d, sat=d, ns="x", ratio=f"{ratio:.1f}")
    assert "times larger" not in en and "배 큽" not in ko
    assert f"(1 − d) / d = {ratio:.1f}" in en and f"(1 − d) / d = {ratio:.1f}" in ko


def test_equilibrium_value_is_max_over_d_not_the_smallest_v():
    en = t("quizbank.value_at_equilibrium_why", lang="en")
    ko = t("quizbank.value_at_equilibrium_why", lang="ko")
    assert "smallest value the game can reach" not in en
    assert "max over D of V" in en and "max_D V" in ko


def test_home_says_training_runs_on_the_server():
    assert "on the server" in t("home.card_lab", lang="en")
    assert "서버에서" in t("home.card_lab", lang="ko")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("loss", ["wgan-gp", "hinge"])
def test_critic_runs_do_not_plot_a_probability(lang, loss, monkeypatch):
    from ui import figures

    monkeypatch.setattr("ui.i18n.current_lang", lambda: lang)
    hist = {"step": np.arange(1, 11), "d_real": np.full(10, 0.7), "d_fake": np.full(10, 0.2)}
    fig = figures.dprob_figure(hist, 5, loss)
    assert len(fig.data) == 0 and not fig.layout.shapes  # no curves, no ½ line
    assert [a.text for a in fig.layout.annotations] == [t("figures.dprob_critic", lang=lang, loss=loss)]
    assert len(figures.dprob_figure(hist, 5, "nonsat").data) == 2
    runs = [("a", hist, "#000"), ("b", hist, "#111")]
    over = figures.overlay_figure("dprob", runs, None, critics={"b": loss})
    assert {tr.name.split(" · ")[0] for tr in over.data} == {"a"}
    assert t("figures.dprob_left_out", lang=lang, runs="b") in [a.text for a in over.layout.annotations]


def test_figure_one_uses_the_analogy_pages_colours():
    from ui import concept_figures as cf
    from ui.figures import D_COLOUR, G_COLOUR, REAL_COLOUR

    xs = np.linspace(-3, 3, 40)
    view = SimpleNamespace(xs=xs, p_data=np.exp(-xs ** 2), p_g=np.exp(-(xs - 1) ** 2), d_curve=0.5 + 0 * xs,
                           z_lines=np.linspace(-1, 1, 5), x_lines=np.linspace(-1, 1, 5), step=0, d_steps=0)
    fig1, game = cf.fig1_figure(view), cf.game_figure(view)
    assert fig1.data[0].marker.color == game.data[0].line.color == REAL_COLOUR  # real data
    assert fig1.data[1].line.color == game.data[1].line.color == G_COLOUR  # the generator's fakes
    assert fig1.data[2].line.color == game.data[2].line.color == D_COLOUR  # D(x)


# ---- words from our own files never reach students ----------------------------------------------
INTERNAL = re.compile(r"seed 0\d\d|seed-book|the seeds|seeds'|seed code|시드 0\d\d|시드 코드|시드 파일",
                      re.IGNORECASE)


@pytest.mark.parametrize("lang", LANGS)
def test_no_project_file_names_in_student_text(lang):
    hits = {k: v for k, v in catalogue(lang).items() if INTERNAL.search(v)}
    assert hits == {}


# ---- one Korean term per idea ---------------------------------------------------------------------
# (not allowed, the word the app uses instead). Justified exceptions are spelled out:
# 학습률 is the standard term for the learning rate (a compound, not "training");
# the glossary lists other textbooks' words on purpose (glossary.*_syn).
NOT_USED = (
    (r"학습(?!률)", "훈련 (training a network)"),
    (r"그래디언트", "기울기"),
    (r"잡음", "노이즈"),
    (r"갱신", "업데이트"),
    (r"스냅숏", "스냅샷"),
    (r"위조범", "위조지폐범"),
    (r"네트워크", "신경망"),
    # 해요체 endings: the app speaks 합니다체 (polite imperatives end in -십시오)
    (r"[가-힣](?:세요|해요|어요|아요|여요|에요|예요|네요|거든요|죠|까요)(?=[\s.!?,)\"'*:]|$)", "합니다체"),
    (r"데워 두", "a word-for-word 'warm the cache'"),
)


def _student_korean() -> dict[str, str]:
    return {k: v for k, v in catalogue("ko").items() if not k.endswith("_syn")}


@pytest.mark.parametrize("pattern,instead", NOT_USED, ids=[p for p, _ in NOT_USED])
def test_korean_uses_one_term_per_idea(pattern, instead):
    hits = {k: v for k, v in _student_korean().items() if re.search(pattern, v)}
    assert hits == {}, f"use {instead}"


def test_korean_keeps_the_chosen_terms():
    text = " ".join(_student_korean().values())
    for word in ("훈련", "학습률", "기울기", "노이즈", "업데이트", "스냅샷", "위조지폐범", "신경망"):
        assert word in text


def test_korean_number_is_not_digit():
    """숫자 means a digit (손글씨 숫자): where the English speaks of a number and no digit, the
    Korean says 수 / 값 / 수치."""
    en = catalogue("en")
    number, digit = re.compile(r"\bnumbers?\b", re.I), re.compile(r"digit", re.I)
    hits = [k for k, v in _student_korean().items()
            if "숫자" in v and number.search(en[k]) and not digit.search(en[k])]
    assert hits == []
