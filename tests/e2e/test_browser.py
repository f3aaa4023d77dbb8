"""Every page in a real browser, in Korean and English, against a real ``streamlit run`` server.

Each page must render its own title and show no exception box or traceback text; a short
training finishes and its figures appear; an upload on the CycleGAN page returns an image; the
quiz scores. A screenshot of each page lands in artifacts/screenshots/.
"""
from __future__ import annotations

import re

import pytest

from gan_core import cyclegan
from tests.e2e.conftest import page_problems, shot, wait_idle
from ui.i18n import LANG_LABELS, t
from ui.nav import PAGES

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TITLE_KEY = {p.slug: f"{p.slug}.title" for p in PAGES}


def open_page(pg, server, slug: str, lang: str, query: str = "") -> None:
    path = "" if slug == "home" else slug
    pg.goto(f"{server.url}/{path}?lang={lang}{'&' + query if query else ''}", wait_until="domcontentloaded")
    pg.wait_for_selector("h1", timeout=60_000)
    wait_idle(pg, 120_000)


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", [p.slug for p in PAGES])
def test_every_page_renders_its_title_without_errors(app_server, page, slug, lang):
    open_page(page, app_server, slug, lang)
    want = t(TITLE_KEY[slug], lang=lang)
    page.wait_for_selector(f"h1:has-text({want!r})", timeout=60_000)
    assert page_problems(page) == []
    # the sidebar lists every page in this language, and the language switch is there
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert all(t(f"nav.{p.slug}", lang=lang) in nav for p in PAGES)
    assert page.get_by_text(LANG_LABELS["ko"]).count() and page.get_by_text(LANG_LABELS["en"]).count()
    shot(page, f"{lang}-{slug}")


def test_language_switch_changes_the_page(app_server, page):
    open_page(page, app_server, "lab", "en")
    page.get_by_text(LANG_LABELS["ko"], exact=True).click()
    page.wait_for_selector(f"h1:has-text({t('lab.title', lang='ko')!r})", timeout=60_000)
    assert page_problems(page) == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_short_training_finishes_with_its_figures(app_server, page, lang):
    # a link with the tiny preset, a few steps and its own seed (so each language trains)
    seed = 101 if lang == "ko" else 102
    open_page(page, app_server, "lab", lang, f"preset=tiny&steps=30&snapshots=4&seed={seed}")
    page.get_by_role("button", name=t("lab.train", lang=lang), exact=True).click()
    # live view, then the finished view: "Finished in … s"
    done = t("run.done", lang=lang, seconds="").split("{")[0].strip()
    page.get_by_text(re.compile(re.escape(done[:8]))).first.wait_for(timeout=180_000)
    wait_idle(page)
    assert page_problems(page) == []
    assert page.locator('[data-testid="stImage"] img').count() >= 1
    assert page.locator(".js-plotly-plot").count() >= 2  # loss curves and D(x) / D(G(z))
    assert page.locator('[data-testid="stDownloadButton"]').count() >= 4
    # the share link reproduces the settings
    code = page.locator('[data-testid="stCode"]').first.inner_text()
    assert "preset=tiny" in code and "steps=30" in code and f"seed={seed}" in code
    shot(page, f"{lang}-lab-finished")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_cyclegan_upload_returns_an_image(app_server, page, lang):
    open_page(page, app_server, "cyclegan", lang)
    page.get_by_role("tab", name=t("cyclegan.tab_photos", lang=lang)).click()  # offline it opens on digits
    wait_idle(page)
    page.get_by_text(t("cyclegan.source_upload", lang=lang), exact=True).click()
    wait_idle(page)
    photo = cyclegan.SAMPLES_DIR / "cat.jpg"
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo))
    # the page opens in the fast mode where OpenVINO is installed: either caption is the output's
    captions = {t("cyclegan.output", lang=lang), t("cyclegan.output_preview", lang=lang)}
    pattern = re.compile("^(" + "|".join(re.escape(c) for c in captions) + ")$")
    page.get_by_text(pattern).first.wait_for(timeout=120_000)
    wait_idle(page, 120_000)
    assert page_problems(page) == []
    imgs = page.locator('[data-testid="stImage"] img')
    assert imgs.count() >= 2  # input and output side by side
    assert page.locator('[data-testid="stDownloadButton"]').count() >= 1
    shot(page, f"{lang}-cyclegan-upload")

    # a broken upload: one clear message, the page keeps working
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not really"}])
    wait_idle(page, 60_000)
    assert page.locator('[data-testid="stAlert"]').count() >= 1
    assert page_problems(page) == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_quiz_scores(app_server, page, lang):
    from gan_core import quiz

    open_page(page, app_server, "quiz", lang)
    q = quiz.QUESTIONS[0]
    assert q.kind == "choice"
    right_text = t(f"quizbank.{q.qid}_o{int(q.answer)}", lang=lang)
    assert page.get_by_text(t(f"quizbank.{q.qid}", lang=lang)).count() == 1
    first_question = page.locator('[data-testid="stMain"] [role="radiogroup"]').first
    first_question.get_by_text(right_text, exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name=t("quiz.check", lang=lang)).first.click()
    wait_idle(page)
    page.get_by_text(t("quiz.right", lang=lang)).first.wait_for(timeout=30_000)
    score = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert score.replace(" ", "").startswith("1/")
    assert page_problems(page) == []
    shot(page, f"{lang}-quiz-scored")


def test_a_box_dragged_on_the_drawing_board_fills_cells_and_goes_into_the_link(app_server, page):
    from urllib.parse import parse_qs, urlparse

    from gan_core import drawing

    code = drawing.encode([(4, 4), (28, 28)])
    open_page(page, app_server, "mode_collapse", "en", f"drawn={code}")
    board = page.locator(".st-key-mc_canvas_0 .nsewdrag").first
    board.wait_for(timeout=60_000)
    box = board.bounding_box()
    reach = drawing.EXTENT + 0.3  # the board's axes run from -reach to reach

    def pixel(i: int, j: int) -> tuple[float, float]:
        x, y = drawing.cell_xy(i, j)
        return (box["x"] + (x + reach) / (2 * reach) * box["width"],
                box["y"] + (reach - y) / (2 * reach) * box["height"])

    (x0, y0), (x1, y1) = pixel(8, 22), pixel(10, 20)
    page.mouse.move(x0 - 4, y0 - 4)
    page.mouse.down()
    page.mouse.move(x1 + 4, y1 + 4, steps=8)
    page.mouse.up()
    page.wait_for_function(f"() => !location.href.includes('{code}')", timeout=60_000)
    drawn = parse_qs(urlparse(page.evaluate("location.href")).query)["drawn"][0]
    box_cells = {(i, j) for i in (8, 9, 10) for j in (20, 21, 22)}
    assert set(drawing.decode(drawn)) == {(4, 4), (28, 28)} | box_cells
    page.get_by_text("11 filled cells making 3 modes").wait_for(timeout=60_000)
    assert page_problems(page) == []
    shot(page, "mode_collapse_drawing_en")
