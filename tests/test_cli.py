"""The CLI: ``python -m gan_core train`` on tiny configs, its files, its cache reuse, its errors."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_core.config import PRESETS, from_dict

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, cache: Path, timeout=300) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAN_CLASSROOM_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gan_core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_train_tiny_writes_every_file_and_reuses_the_cache(tmp_path):
    out = tmp_path / "out"
    args = ["train", "--preset", "tiny", "--set", "steps=5", "--set", "snapshots=3", "--samples", "40",
            "--out", str(out)]
    r = cli(*args, cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: 5 steps")
    meta = json.loads((out / "config.json").read_text())
    cfg = from_dict(meta["config"])
    assert meta["key"] == cfg.key and meta["status"] == "ok" and "score" in meta["metrics"]
    assert cfg == PRESETS["tiny"].replace(steps=5, snapshots=3)
    with open(out / "history.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["step", "wall", "loss_d", "loss_g", "d_real", "d_fake"]
    assert [int(r[0]) for r in rows[1:]] == [1, 2, 3, 4, 5]
    assert all(0 <= float(r[4]) <= 1 and 0 <= float(r[5]) <= 1 for r in rows[1:])
    samples = np.load(out / "samples.npy", allow_pickle=False)
    assert samples.shape == (40, 28, 28) and samples.dtype == np.uint8
    state = torch.load(out / "generator.pt", weights_only=True)
    from gan_core.train import load_generator

    g = load_generator(cfg, state)
    assert g(torch.randn(2, cfg.nz)).shape == (2, 1, 28, 28)
    assert len(list((tmp_path / "cache" / "runs").glob("*.pt"))) == 1

    # second call: served from the cache (the history's wall times are the first run's)
    out2 = tmp_path / "out2"
    r2 = cli(*args[:-1], str(out2), cache=tmp_path / "cache")
    assert r2.returncode == 0, r2.stderr
    assert (out2 / "history.csv").read_text() == (out / "history.csv").read_text()
    np.testing.assert_array_equal(np.load(out2 / "samples.npy"), samples)


def test_toy_preset_writes_float_points(tmp_path):
    out = tmp_path / "toy"
    r = cli("train", "--preset", "ring8", "--set", "steps=3", "--set", "snapshots=2", "--samples", "25",
            "--out", str(out), cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    pts = np.load(out / "samples.npy")
    assert pts.shape == (25, 2) and pts.dtype == np.float32 and np.isfinite(pts).all()


@pytest.mark.parametrize("setting,named", [
    ("lr_g=5", "lr_g must be number from 1e-06 to 0.1"),
    ("k=0", "k must be integer from 1 to 10"),
    ("k=2.5", "k must be integer from 1 to 10"),
    ("nz=abc", "nz must be integer from 1 to 256"),
    ("dataset=cifar", "dataset must be one of mnist5k"),
    ("colour=red", "colour must be a known setting"),
    ("steps", "--set expects key=value"),
])
def test_bad_set_is_one_line_naming_the_key_and_exit_2(tmp_path, setting, named):
    r = cli("train", "--preset", "tiny", "--set", setting, "--out", str(tmp_path / "o"), cache=tmp_path / "c")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], r.stderr
    assert not (tmp_path / "o").exists()


def test_unknown_preset_and_bad_sample_count(tmp_path):
    r = cli("train", "--preset", "nope", "--out", str(tmp_path / "o"), cache=tmp_path)
    assert r.returncode == 2 and "unknown preset 'nope'" in r.stderr and "quick" in r.stderr
    r = cli("train", "--preset", "tiny", "--samples", "0", "--out", str(tmp_path / "o"), cache=tmp_path)
    assert r.returncode == 2 and "--samples must be from 1 to 100000" in r.stderr
