"""Home, quiz and GAN-family pages: they render in both languages, the quiz grades and keeps
score, and the question bank is complete, covers every concept and links to real pages."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gan_core import quiz
from ui import nav
from ui.i18n import LANGS, catalogue, t

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


def _open(lang: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def _metric(at: AppTest, index: int) -> str:
    return at.metric[index].value


# ---- the bank -----------------------------------------------------------------------------------
def test_bank_is_big_enough_and_covers_every_concept():
    assert len(quiz.QUESTIONS) >= 40
    asked = {q.concept for q in quiz.QUESTIONS}
    assert asked == set(quiz.CONCEPTS)
    kinds = {q.kind for q in quiz.QUESTIONS}
    assert kinds == {"choice", "number"}
    assert any(q.figure for q in quiz.QUESTIONS), "some questions need a live figure"


@pytest.mark.parametrize("lang", LANGS)
def test_bank_text_complete_in_both_languages(lang):
    cat = catalogue(lang)
    for q in quiz.QUESTIONS:
        for key in quiz.catalogue_keys(q):
            assert cat.get(f"quizbank.{key}", "").strip(), f"{lang}: quizbank.{key} missing"
        assert cat.get(f"quiz.concept_{q.concept}"), f"{lang}: no name for concept {q.concept}"
        # no stray options beyond the ones the question declares
        assert f"quizbank.{q.qid}_o{q.options}" not in cat


def test_answers_and_links_are_valid():
    slugs = {p.slug for p in nav.PAGES}
    for q in quiz.QUESTIONS:
        assert q.page in slugs, f"{q.qid} links to unknown page {q.page}"
        if q.kind == "choice":
            assert 0 <= q.answer < q.options
        else:
            assert math.isfinite(q.answer) and q.tol >= 0
        if q.figure:
            assert quiz.figure_data(q.figure)


def test_numeric_answers_follow_from_the_maths():
    from gan_core import theory

    assert quiz.is_correct(quiz.BY_ID["value_at_equilibrium"], "-1.386")
    assert quiz.is_correct(quiz.BY_ID["value_at_equilibrium"], "−1,39")  # unicode minus, comma
    assert not quiz.is_correct(quiz.BY_ID["value_at_equilibrium"], "1.386")
    assert quiz.BY_ID["value_at_equilibrium"].answer == pytest.approx(-theory.LOG4)
    # slope of -log d at d = 0.01 read off the figure's own data
    d = quiz.figure_data("saturation")
    assert abs(theory.slope("neg_log_d", 0.01)) == pytest.approx(quiz.BY_ID["nonsat_slope"].answer)
    assert abs(d["nonsat_slope"][0]) > 100 * abs(d["minimax_slope"][0])  # which one saturates
    # the ring figure really covers the number of modes the answer says
    from gan_core.data import toy_modes

    pts = quiz.figure_data("ring_modes")["fake"]
    nearest = ((pts[:, None, :] - toy_modes("ring8")[None]) ** 2).sum(-1).argmin(1)
    assert len(set(nearest.tolist())) == quiz.BY_ID["collapse_count"].answer


def test_dcgan_size_answer_matches_the_lab_model():
    from gan_core.anatomy import anatomy

    rows = anatomy("dcgan").g_rows
    first_up = next(r for r in rows if r.kind == "ConvTranspose2d")
    assert first_up.shape[-1] == quiz.BY_ID["dcgan_size"].answer
    assert rows[-1].shape == (1, 28, 28)
    assert not any("Pool" in r.kind for r in rows + anatomy("dcgan").d_rows)


@pytest.mark.parametrize("lang", LANGS)
def test_right_option_is_rarely_the_longest(lang):
    """Guessing "the longest option" must not pay: it is right (ties count) in at most 30% of the
    choice questions."""
    cat = catalogue(lang)
    choice = [q for q in quiz.QUESTIONS if q.kind == "choice"]
    longest = []
    for q in choice:
        lengths = [len(cat[f"quizbank.{q.qid}_o{i}"]) for i in range(q.options)]
        right = lengths.pop(int(q.answer))
        if right >= max(lengths):
            longest.append(q.qid)
    assert len(longest) <= 0.3 * len(choice), longest


def test_option_order_is_a_repeatable_shuffle():
    orders = {q.qid: quiz.option_order(q.qid, q.options, 7) for q in quiz.QUESTIONS if q.kind == "choice"}
    for qid, order in orders.items():
        assert sorted(order) == list(range(quiz.BY_ID[qid].options))
        assert quiz.option_order(qid, len(order), 7) == order  # same seed, same order
    assert len({tuple(o) for o in orders.values()}) > 5  # not one order for every question
    assert sum(o != list(range(len(o))) for o in orders.values()) > len(orders) // 2  # really shuffled
    other = {qid: quiz.option_order(qid, len(o), 8) for qid, o in orders.items()}
    assert other != orders  # another session, another order


@pytest.mark.parametrize("lang", LANGS)
def test_teacher_download_holds_every_question_and_answer(lang):
    from ui.quiz_view import bank_markdown

    text = bank_markdown(lang)
    assert text.startswith(f"# {t('quiz.title', lang=lang)}: {t('quiz.export_title', lang=lang)}")
    answer = t("quiz.export_answer", lang=lang)
    for number, q in enumerate(quiz.QUESTIONS, start=1):
        assert f"## {number}. {t(f'quizbank.{q.qid}', lang=lang)}\n" in text
        assert t(f"quizbank.{q.qid}_why", lang=lang) in text
    q = quiz.BY_ID["cycle_which"]
    assert f"**{answer}:** C. {t('quizbank.cycle_which_o2', lang=lang)}" in text
    num = quiz.BY_ID["dstar_value"]
    assert f"**{answer}:** {t('quiz.approx', lang=lang, value='0.75', tol='0.01')}" in text
    assert text.count(f"**{answer}:**") == len(quiz.QUESTIONS) and q.answer == 2 and num.tol == 0.01


def test_parse_number_rejects_junk():
    for bad in ("", "abc", "1e999", "nan", "1.2.3", None):
        assert quiz.parse_number(bad) is None
    assert quiz.parse_number(" 14 ") == 14.0


# ---- pages --------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_home_renders_path_and_teacher_note(lang):
    at = _open(lang)
    text = " ".join(m.value for m in at.markdown)
    assert catalogue(lang)["home.what_1"] in text
    codes = " ".join(c.value for c in at.code)
    from gan_core.config import PRESETS

    assert "python -m gan_core train --preset quick --out runs/quick" in codes
    for name in PRESETS:
        assert f" {name}" in codes  # every preset in the warm-up loop
    assert "?preset=" in codes


@pytest.mark.parametrize("lang", LANGS)
def test_home_opens_on_the_shipped_run_from_noise_to_digits(lang):
    import numpy as np

    from gan_core.files import PRETRAINED

    at = _open(lang)
    assert len(at.image) == 5  # five moments of the run, before the title
    with np.load(PRETRAINED / "book_run.npz", allow_pickle=False) as z:
        steps, d_fake, d_real = z["history_step"], z["history_d_fake"], z["history_d_real"]
    window = (steps > 342 - 50) & (steps <= 342)  # the moment D is far ahead
    verdict = t("home.story_verdict", lang=lang, real=f"{d_real[window].mean():.2f}",
                fake=f"{d_fake[window].mean():.2f}")
    captions = [c.value for c in at.caption]
    assert verdict in captions and float(f"{d_fake[window].mean():.2f}") < 0.05
    assert t("home.story_untrained", lang=lang) in captions  # step 0: nothing learned yet


def test_home_does_not_import_torch():
    code = ("import sys; from streamlit.testing.v1 import AppTest; "
            f"at = AppTest.from_file({APP!r}, default_timeout=60); at.run(); "
            "assert not at.exception; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("False")


FAMILY_TABS = ("vae", "dcgan", "high_res", "cgan", "pair", "style", "uses")


@pytest.mark.parametrize("lang", LANGS)
def test_family_renders(lang, clear_st_caches):
    at = _open(lang, "pages/family.py")
    assert [tab.label for tab in at.tabs] == [t(f"family.tab_{name}", lang=lang) for name in FAMILY_TABS]
    titles = ("family.vae_title", "family.dcgan_title", "progressive.title", "family.cgan_title",
              "family.pair_title", "style.title", "apps.title")
    assert [h.value for h in at.header] == [t(k, lang=lang) for k in titles]  # one section per tab
    # VAE: digits, rebuilds, VAE and GAN samples (4); high resolution: the growth strip, a fade-in's
    # old / new / blended / real panels and the style-mixing grid (6); style transfer (3); uses (5)
    assert len(at.image) == 4 + 6 + 3 + 5
    assert len(at.metric) == 4 + 4 + 4  # VAE, DCGAN, high resolution (its score beside the Lab's, real, size)
    vae_grey, gan_grey = (float(m.value.rstrip("%")) for m in at.metric[2:4])
    assert vae_grey > gan_grey  # the VAE's blur, measured on the pictures shown
    g_params = int(at.metric[4].value.replace(",", ""))
    from gan_core.anatomy import anatomy
    from gan_core.config import PRESETS

    lab = PRESETS["quick"] if "dcgan" in PRESETS["quick"].arch else PRESETS["cgan"]
    assert g_params == anatomy(lab.arch, lab.nz).g_params


def test_paired_sketch_to_photo_is_not_sent_to_the_unpaired_studio(clear_st_caches):
    at = _open("en", "pages/family.py")
    links = {lk.proto.label: lk.proto for lk in at.get("page_link")}
    sketch = links[t("family.app_sketch_link", lang="en")]
    cyclegan = links[t("family.app_translation_link", lang="en")]
    lab = links[t("family.app_text_link", lang="en")]
    assert sketch.page_script_hash == lab.page_script_hash != cyclegan.page_script_hash
    assert sketch.query_string == "preset=cgan"


@pytest.mark.parametrize("lang", LANGS)
def test_quiz_right_and_wrong_change_the_score(lang):
    at = _open(lang, "pages/quiz.py")
    n = len(quiz.QUESTIONS)
    assert _metric(at, 0) == f"0 / {n}"
    q = quiz.BY_ID["analogy_who"]
    at.radio(key=f"quiz_q_{q.qid}").set_value(int(q.answer))
    at.button(key=f"quiz_check_{q.qid}").click()
    at.run()
    assert not at.exception
    assert _metric(at, 0) == f"1 / {n}" and _metric(at, 1) == f"1 / {n}"
    assert catalogue(lang)[f"quizbank.{q.qid}_why"] in [i.value for i in at.info]

    num = quiz.BY_ID["value_at_equilibrium"]
    at.text_input(key=f"quiz_q_{num.qid}").input("0.5")  # wrong
    at.button(key=f"quiz_check_{num.qid}").click()
    at.run()
    assert _metric(at, 0) == f"1 / {n}" and _metric(at, 1) == f"2 / {n}"
    # a wrong answer shows the right one, to three decimals, with the tolerance the bank allows
    assert num.tol > 0
    shown = t("quiz.approx", lang=lang, value=f"{num.answer:.3f}".rstrip("0").rstrip("."), tol=f"{num.tol:g}")
    assert [e.value for e in at.error] == [t("quiz.wrong", lang=lang, answer=shown)]

    at.text_input(key=f"quiz_q_{num.qid}").input("-1.386")  # now right
    at.button(key=f"quiz_check_{num.qid}").click()
    at.run()
    assert _metric(at, 0) == f"2 / {n}"

    at.text_input(key=f"quiz_q_{num.qid}").input("abc")  # not a number: message, score kept
    at.button(key=f"quiz_check_{num.qid}").click()
    at.run()
    assert catalogue(lang)["quiz.not_number"] in [w.value for w in at.warning]
    assert _metric(at, 0) == f"2 / {n}"

    at.button(key="quiz_reset").click()
    at.run()
    assert not at.exception
    assert _metric(at, 0) == f"0 / {n}" and _metric(at, 1) == f"0 / {n}"
    assert at.radio(key=f"quiz_q_{q.qid}").value is None


def test_quiz_shuffles_from_the_session_seed_and_keeps_score_across_pages():
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.session_state["quiz_seed"] = 1234
    at.run()
    at.switch_page("pages/quiz.py")
    at.run()
    assert not at.exception
    q = quiz.BY_ID["k_meaning"]
    radio = at.radio(key=f"quiz_q_{q.qid}")
    assert list(radio.options) == [t(f"quizbank.{q.qid}_o{i}", lang="en")
                                   for i in quiz.option_order(q.qid, q.options, 1234)]
    radio.set_value(int(q.answer))
    at.button(key=f"quiz_check_{q.qid}").click()
    at.run()
    n = len(quiz.QUESTIONS)
    assert _metric(at, 0) == f"1 / {n}"
    at.switch_page("pages/analogy.py")
    at.run()
    at.switch_page("pages/quiz.py")
    at.run()
    assert not at.exception
    assert _metric(at, 0) == f"1 / {n}" and _metric(at, 1) == f"1 / {n}"
    assert at.session_state["quiz_seed"] == 1234


def test_quiz_topic_filter_shows_only_that_topic():
    at = _open("en", "pages/quiz.py")
    at.selectbox(key="quiz_topic").set_value("cycle_losses")
    at.run()
    expected = sum(1 for q in quiz.QUESTIONS if q.concept == "cycle_losses")
    assert len(at.button) - 1 == expected  # one Check button each, plus the reset button
