"""Be the counterfeiter in a real browser: a 7 dragged with the mouse on the drawing canvas
reaches the server, is read as a 7 and gets a verdict, in both languages."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import page_problems, shot
from tests.e2e.test_browser import open_page
from ui.i18n import t

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SEVEN = [(70, 60), (210, 60), (130, 240)]  # canvas pixels (the canvas is 280 x 280)


def _drag(page, box, points) -> None:
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for (xa, ya), (xb, yb) in zip(points[:-1], points[1:], strict=True):
        for i in range(1, 21):
            page.mouse.move(box["x"] + xa + (xb - xa) * i / 20, box["y"] + ya + (yb - ya) * i / 20)
    page.mouse.up()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_seven_drawn_with_the_mouse_is_read_and_judged(app_server, page, lang):
    open_page(page, app_server, "analogy", lang)
    page.get_by_text(t("counterfeit.empty", lang=lang)).wait_for(timeout=60_000)
    canvas = page.locator(".canvas-root canvas").last
    canvas.scroll_into_view_if_needed()
    _drag(page, canvas.bounding_box(), SEVEN)
    page.get_by_text(t("counterfeit.reads", lang=lang, digit=7)).first.wait_for(timeout=60_000)
    verdict = page.locator('[data-testid="stAlert"]').last.inner_text()
    assert "7" in verdict and "D(x) = " in verdict
    assert page_problems(page) == []
    shot(page, f"{lang}-counterfeit-drawn")
