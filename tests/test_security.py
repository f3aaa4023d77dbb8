"""The security review in the README, one test per claim that no other test file already backs."""
from __future__ import annotations

import ast
import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan_core import cyclegan
from tests.apptest import open_page
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("gan_core", "ui", "pages", "bench", "cloud")


def _python_files():
    yield ROOT / "streamlit_app.py"
    for d in SOURCE_DIRS:
        yield from (ROOT / d).rglob("*.py")


def test_every_torch_load_is_weights_only():
    calls = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "load"):
                base = node.func.value
                if isinstance(base, ast.Name) and base.id == "torch":
                    kw = {k.arg: k.value for k in node.keywords}
                    ok = isinstance(kw.get("weights_only"), ast.Constant) and kw["weights_only"].value is True
                    calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", ok))
    # the places that read weights: a new one is reviewed here before it is added to the list
    assert sorted({c.split(":")[0] for c, _ in calls}) == [
        "gan_core/bookrun.py",  # the book's long run in pretrained/
        "gan_core/classifier.py",  # the digit classifier
        "gan_core/cycle_runs.py",  # CycleGAN runs: cache entries and the shipped 2D defaults
        "gan_core/cyclegan/checkpoints.py",  # CycleGAN checkpoints
        "gan_core/cyclegan/digits.py",  # the shipped digits CycleGAN
        "gan_core/judge.py",  # the counterfeit page's discriminator
        "gan_core/payload.py",  # runs and snapshots sent back by the training process
        "gan_core/progressive.py",  # the shipped progressive, style-based generator
        "gan_core/store.py",  # cache entries
        "gan_core/superres.py",  # the shipped digit upscalers
    ]
    assert [c for c, ok in calls if not ok] == []


def test_no_pickle_or_eval_on_data():
    banned = {"pickle.load", "pickle.loads", "eval", "exec", "marshal.loads", "yaml.load", "np.load"}
    hits = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name):
                name = f.id
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                name = f"{f.value.id}.{f.attr}"
            else:
                name = ""
            if name in banned:
                kw = {k.arg: k.value for k in node.keywords}
                no_pickle = kw.get("allow_pickle")
                if name == "np.load" and isinstance(no_pickle, ast.Constant) and no_pickle.value is False:
                    continue
                hits.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert hits == []


def _png(w=96, h=64) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (h, w, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _snapshot(folders) -> dict[str, float]:
    seen = {}
    for folder in folders:
        for p in Path(folder).rglob("*"):
            try:
                seen[str(p)] = p.stat().st_mtime
            except OSError:
                pass
    return seen


def test_uploads_never_touch_the_disk(tmp_path, monkeypatch, clear_st_caches):
    """An upload goes through the CycleGAN page; no file appears or changes anywhere we can see,
    and no file is opened for writing while the page handles it."""
    import tempfile

    monkeypatch.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)
    at = open_page("cyclegan", state={"cg_tab": t("cyclegan.tab_photos", lang="en")}, timeout=240)
    at.radio(key="cg_source").set_value("upload").run()
    watched = [tmp_path, ROOT]
    before = _snapshot(watched)

    import builtins

    writes = []  # builtins.open and io.open (pathlib's write_bytes goes through the latter)
    real_open = builtins.open

    def spy_open(file, mode="r", *a, **k):
        if any(m in str(mode) for m in "wax+"):
            writes.append(str(file))
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    secret = _png()
    at.file_uploader(key="cg_upload").set_value(("private-photo.png", secret, "image/png")).run()
    monkeypatch.setattr(builtins, "open", real_open)
    monkeypatch.setattr(io, "open", real_open)
    assert not at.exception and len(at.image) == 2  # the photo and its translation
    after = _snapshot(watched)
    changed = sorted(p for p in after if before.get(p) != after[p] and "__pycache__" not in p
                     and "/.pytest_cache" not in p and "/artifacts/" not in p)
    assert changed == []
    assert [w for w in writes if "__pycache__" not in w] == []


@pytest.mark.parametrize("model", ["../../etc/passwd", "/etc/passwd", "horse2zebra/../../x", "http://evil.example/x.pth",
                                   "file:///etc/passwd", "vintage\x00.pth"])
def test_url_cannot_name_a_file(model, clear_st_caches):
    """?model= picks among fixed names only; nothing it says becomes a path or a download."""
    with pytest.raises(cyclegan.ModelError):
        cyclegan.check_name(model)
    with pytest.raises(cyclegan.ModelError):
        cyclegan.zoo_url(model)
    at = open_page("cyclegan", query={"model": model})
    assert at.selectbox(key="cg_model").value == cyclegan.DEFAULT_MODEL
    # the bad name is explained, shown only inside a code span and cut short
    text = model.replace("`", "'").replace("\n", " ")
    name = f"`{text}`" if len(text) <= 40 else f"`{text[:39]}…`"
    expected = t("cyclegan.err_unknown_model", lang="en", name=name, default=cyclegan.DEFAULT_MODEL)
    assert [w.value for w in at.warning] == [expected]


def test_zoo_urls_are_the_fixed_pattern_only():
    for name in cyclegan.ZOO_MODELS:
        url = cyclegan.zoo_url(name)
        assert url == cyclegan.ZOO_URL.format(name=name)
        assert url.startswith("http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/")
        assert "/" not in name and ".." not in name


def test_error_details_are_hidden_from_the_page():
    text = (ROOT / ".streamlit" / "config.toml").read_text()
    assert 'showErrorDetails = "none"' in text
    assert "maxUploadSize = 20" in text


def test_shared_links_cannot_change_the_cache_folder_or_workers(fresh_pool, clear_st_caches):
    """Only config fields are read from a Lab link; environment-like keys are ignored with a message."""
    query = {"GAN_CLASSROOM_CACHE": "/tmp/evil", "workers": "64", "cache": "/"}
    at = open_page("lab", query=query)
    assert [w.value for w in at.warning] == [t("params.unknown_key", lang="en", key=f"`{k}`") for k in query]
    assert os.environ.get("GAN_CLASSROOM_CACHE") != "/tmp/evil"
    assert fresh_pool.workers == 1
