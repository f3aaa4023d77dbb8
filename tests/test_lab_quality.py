"""The book's long run (files -> RunResult) and the Lab's quality numbers and book-run button."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from gan_core import bookrun, classifier, files
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory):
    """A 6-step 'long run' written by the same code as the shipped one."""
    out = tmp_path_factory.mktemp("book")
    bookrun.make_book_run(out, 6, "test", log=lambda m: None)
    return out


def test_book_run_files_round_trip(tiny_book):
    info = bookrun.book_run_info(tiny_book)
    for name, digest in info["files"].items():
        assert files.sha256_file(tiny_book / name) == digest
    weights_side = json.loads((tiny_book / bookrun.WEIGHTS_SIDECAR).read_text())
    assert weights_side["sha256"] == files.sha256_file(tiny_book / bookrun.WEIGHTS)
    assert weights_side["config"] == info["config"] and weights_side["command"] == "test"
    r = bookrun.load_book_run(tiny_book)
    assert r.config.steps == 6 and r.config.batch == 512 and r.ok
    assert [s.step for s in r.snapshots] == list(range(7))  # 7 snapshots fit in 6 steps
    assert r.snapshots[-1].samples.shape == (64, 28, 28) and r.snapshots[-1].samples.dtype == np.uint8
    assert list(r.history["step"]) == [1, 2, 3, 4, 5, 6]
    assert r.metrics["score"] == info["metrics"]["score"]
    state = torch.load(tiny_book / bookrun.WEIGHTS, weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values())
    # the fp32 weights handed back are exactly the fp16 values
    assert all(torch.equal(r.generator[k], v.float()) for k, v in state.items())
    with np.load(tiny_book / bookrun.NPZ, allow_pickle=False) as z:
        assert z["snapshots"].shape == (7, 64, 28, 28)


def _lab(monkeypatch, folder=None):
    if folder is not None:
        monkeypatch.setattr(bookrun, "BOOK_DIR", folder)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("pages/lab.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_lab_opens_the_book_run_with_timeline_and_quality(tiny_book, monkeypatch, clear_st_caches,
                                                          fresh_pool):
    at = _lab(monkeypatch, tiny_book)
    load = [b for b in at.button if b.label == t("quality.book_load", lang="en")]
    assert len(load) == 1, [b.label for b in at.button]
    load[0].click().run()
    assert not at.exception, at.exception
    r = bookrun.load_book_run(tiny_book)
    sliders = [s for s in at.select_slider if s.label == t("run.timeline", lang="en")]
    assert len(sliders) == 1 and list(sliders[0].options) == [str(s.step) for s in r.snapshots]
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("quality.score", lang="en")] == f"{r.metrics['score']:.2f}"
    assert shown[t("quality.classes", lang="en")] == f"{r.metrics['classes_covered']} / 10"
    real = classifier.classifier_info()["real_reference"]
    assert t("quality.real_value", lang="en", value=f"{real['score']:.2f}") in [c.value for c in at.caption]


def test_finished_digit_run_shows_score_fd_and_classes(monkeypatch, clear_st_caches, fresh_pool):
    from gan_core.config import PRESETS
    from gan_core.pool import run_sync

    cfg = PRESETS["tiny"].replace(steps=5, snapshots=2)
    result = run_sync(cfg, fresh_pool)  # the pool adds the metrics
    assert {"score", "fd", "classes_covered", "class_hist"} <= set(result.metrics)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
    at.session_state["lang"] = "en"
    at.session_state["lab_cfg"] = cfg.to_dict()
    at.run()
    at.switch_page("pages/lab.py")
    at.run()
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("quality.score", lang="en")] == f"{result.metrics['score']:.2f}"
    assert shown[t("quality.fd", lang="en")] == f"{result.metrics['fd']:.1f}"
    json.dumps(result.metrics)


def test_shipped_book_run_matches_its_sidecars():
    """The files in pretrained/ are the ones their sidecars describe (made by the book-run command)."""
    info = bookrun.book_run_info()
    for name, digest in info["files"].items():
        assert files.sha256_file(bookrun.BOOK_DIR / name) == digest, name
    weights_side = json.loads((bookrun.BOOK_DIR / bookrun.WEIGHTS_SIDECAR).read_text())
    assert weights_side["sha256"] == info["files"][bookrun.WEIGHTS]
    assert weights_side["command"] == info["command"] and "book-run" in info["command"]
    r = bookrun.load_book_run()
    assert r.config.steps == info["config"]["steps"] and r.snapshots[-1].step == r.config.steps
