"""A run taken home: the exported .py / .ipynb, run on their own in an empty folder, write the
app's history.csv; the CLI writes the same files; configs the exporter can't reproduce say so."""
import contextlib
import csv
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from gan_core import batches, data, drawing, losses, models, notebook, train
from gan_core.config import PRESETS
from gan_core.train import Trainer
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["step", "wall", "loss_d", "loss_g", "d_real", "d_fake"]  # what `gan_core train` writes
VALUES = ("loss_d", "loss_g", "d_real", "d_fake")


def text(lang):
    return lambda key, /, **fmt: t(f"notebook.{key}", lang=lang, **fmt)


def _history(folder: Path) -> tuple[list[str], np.ndarray]:
    with open(folder / "history.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], np.array([[float(x) for x in r] for r in rows[1:]])


def _check_same_numbers(folder: Path, cfg) -> None:
    header, got = _history(folder)
    assert header == COLUMNS
    want = Trainer(cfg).run().history
    assert got[:, 0].tolist() == list(range(1, cfg.steps + 1))
    for i, col in enumerate(VALUES, start=2):
        np.testing.assert_allclose(got[:, i], want[col], rtol=0, atol=1e-4, err_msg=col)
    assert (folder / "samples.png").stat().st_size > 0


def _exec_notebook(nb_bytes: bytes, folder: Path) -> None:
    """Run the notebook's code cells in order, as Jupyter would, in ``folder``."""
    nb = nbformat.reads(nb_bytes.decode("utf-8"), as_version=4)
    nbformat.validate(nb)
    source = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
    old = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(open(os.devnull, "w")):
            exec(compile(source, "notebook", "exec"), {"__name__": "__main__"})
    finally:
        os.chdir(old)


def test_tiny_py_run_alone_in_an_empty_folder_writes_the_apps_history(tmp_path):
    cfg = PRESETS["tiny"]
    script = tmp_path / "tiny.py"
    script.write_bytes(notebook.script_bytes(cfg, text("en"), "tiny"))
    run_dir = tmp_path / "empty"
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no gan_core to lean on
    r = subprocess.run([sys.executable, str(script)], cwd=run_dir, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith(t("notebook.done", lang="en"))
    _check_same_numbers(run_dir, cfg)


def test_tiny_notebook_cells_write_the_apps_history(tmp_path):
    cfg = PRESETS["tiny"]
    _exec_notebook(notebook.notebook_bytes(cfg, text("ko"), "tiny"), tmp_path)
    _check_same_numbers(tmp_path, cfg)


THREE_BLOBS = drawing.encode([(8, 8), (9, 8), (24, 9), (16, 25), (16, 26)])


@pytest.mark.parametrize("name,changes", [
    ("quick", dict(steps=4, snapshots=2)),  # look-alike groups (k-means), half-width DCGAN, EMA
    ("cgan", dict(steps=3, snapshots=2, k=2, loss="wgan-gp", unroll=1)),  # labels, k, GP, unrolled D
    ("seed-book", dict(steps=3, snapshots=2, batch=64, pack=2, mbstd=True, loss="minimax")),
    ("ring8-unrolled", dict(steps=6, snapshots=2, ema=0.9)),  # a 2D set: numpy's pool, toy MLPs
    ("grid25-pacgan", dict(steps=4, snapshots=2, dataset="spiral")),
    ("ring8", dict(steps=5, snapshots=2, r1=1.0, lr_schedule="cosine")),  # R1 and the lr schedule
    ("ring8", dict(steps=4, snapshots=2, dataset="drawn", drawn=THREE_BLOBS)),  # a drawing
])
def test_other_recipes_reproduce_too(tmp_path, name, changes):
    cfg = PRESETS[name].replace(**changes)
    _exec_notebook(notebook.notebook_bytes(cfg, text("en"), name), tmp_path)
    _check_same_numbers(tmp_path, cfg)


def test_the_code_is_the_engines_source_and_the_comments_the_pages_language():
    cfg = PRESETS["quick"]
    en = notebook.script_bytes(cfg, text("en"), "quick").decode()
    ko = notebook.script_bytes(cfg, text("ko"), "quick").decode()
    for obj in (train.Trainer.step, train.Trainer.d_update, train.Trainer.g_update, train.Trainer.__init__,
                losses.d_loss, losses.g_loss, models.DCGANGenerator, models.DCGANDiscriminator, models.build,
                batches.Batches, batches.kmeans, batches.training_batches):
        assert inspect.getsource(obj) in en and inspect.getsource(obj) in ko, obj
    assert "class SeedGenerator" not in en and "def gradient_penalty" not in en  # only what this run uses
    for key in ("loop_comment", "settings_comment", "data_comment"):
        assert f"# {t('notebook.' + key, lang='ko')}" in ko and f"# {t('notebook.' + key, lang='en')}" in en
    nb = nbformat.reads(notebook.notebook_bytes(cfg, text("ko"), "quick").decode(), as_version=4)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert md[0] == t("notebook.title", lang="ko", name="quick") + "\n\n" + t("notebook.intro", lang="ko")
    assert t("notebook.groups_md", lang="ko", n=100) in md


def test_a_toy_run_carries_its_point_set_and_not_the_digits():
    py = notebook.script_bytes(PRESETS["ring8"], text("en"), "ring8").decode()
    assert inspect.getsource(data.sample_toy) in py and "class ToyGenerator" in py
    assert "mnist_5k.npz" not in py and "def kmeans" not in py
    assert f"# {t('notebook.data_toy_comment', lang='en')}" in py


def cli(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gan_core", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_writes_the_same_files(tmp_path):
    cfg = PRESETS["seed-book"].replace(k=2)
    r = cli("notebook", "--preset", "seed-book", "--set", "k=2", "--out", str(tmp_path / "b.ipynb"),
            "--lang", "ko")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "b.ipynb").read_bytes() == notebook.notebook_bytes(cfg, text("ko"))
    r = cli("notebook", "--preset", "tiny", "--out", str(tmp_path / "t.py"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "t.py").read_bytes() == notebook.script_bytes(PRESETS["tiny"], text("en"), "tiny")
    assert json.loads((tmp_path / "b.ipynb").read_text(encoding="utf-8"))["nbformat"] == 4


@pytest.mark.parametrize("args,named", [
    (["--set", "k=0"], "k must be integer from 1 to 10"),
    (["--set", "steps"], "--set expects key=value"),
    (["--preset", "ring9"], "unknown preset 'ring9'"),
    (["--out-suffix", ".txt"], "--out must end in .ipynb or .py"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, args, named):
    out = tmp_path / ("o.txt" if "--out-suffix" in args else "o.ipynb")
    preset = args[1] if args[0] == "--preset" else "tiny"
    extra = args if args[0] == "--set" else []
    r = cli("notebook", "--preset", preset, *extra, "--out", str(out))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], r.stderr
    assert not out.exists()
