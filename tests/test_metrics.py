"""Quality metrics: hand-computed scores and distances, the shipped classifier's accuracy."""
import json
import math

import numpy as np
import pytest

from gan_core import classifier, evaluate, files, metrics
from gan_core.data import mnist5k_split


# ---- classifier score ----------------------------------------------------------------------
def test_score_is_ten_for_confident_uniform_classes():
    probs = np.eye(10)[np.arange(200) % 10]
    assert metrics.classifier_score(probs) == pytest.approx(10.0, rel=1e-9)


def test_score_is_one_for_a_single_class():
    probs = np.tile(np.eye(10)[3], (50, 1))
    assert metrics.classifier_score(probs) == pytest.approx(1.0, abs=1e-9)


def test_score_hand_computed_two_soft_classes():
    # p(y) = (1/2, 1/2); KL of (3/4, 1/4) from it = 3/4 ln(3/2) + 1/4 ln(1/2), same for the mirror
    probs = np.array([[0.75, 0.25] + [0] * 8, [0.25, 0.75] + [0] * 8])
    expected = math.exp(0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    assert metrics.classifier_score(probs) == pytest.approx(expected, rel=1e-9)


# ---- Frechet distance ----------------------------------------------------------------------
def test_fd_zero_for_identical_sets():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(300, 16)) @ rng.normal(size=(16, 16))
    assert metrics.frechet_distance(f, f) == pytest.approx(0.0, abs=1e-7)


def test_fd_hand_computed_1d():
    # a: mean 1, var 2 (N-1); b: mean 3, var 4 -> 4 + 2 + 4 - 2*sqrt(8)
    a = np.array([[0.0], [2.0]])
    b = np.array([[1.0], [3.0], [5.0]])
    assert metrics.frechet_distance(a, b) == pytest.approx(10 - 2 * math.sqrt(8), rel=1e-12)


def test_fd_hand_computed_2d():
    # a: corners of a 2x2 square -> mean (1,1), cov 4/3 I; b = 3a + (1,0) -> mean (4,3), cov 12 I
    # FD = |(3,2)|^2 + tr(4/3 I + 12 I) - 2 tr(sqrt(16 I)) = 13 + 80/3 - 16 = 71/3
    a = np.array([[0, 0], [2, 0], [0, 2], [2, 2]], dtype=float)
    b = 3 * a + np.array([1.0, 0.0])
    assert metrics.frechet_distance(a, b) == pytest.approx(71 / 3, rel=1e-12)


def test_fd_matches_eigenvalues_of_the_product_for_non_commuting_covariances():
    rng = np.random.default_rng(1)
    m1, m2 = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    c1, c2 = m1 @ m1.T + 0.1 * np.eye(4), m2 @ m2.T + 0.1 * np.eye(4)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    # Tr((C1 C2)^1/2) = sum of square roots of the (real, positive) eigenvalues of C1 C2
    tr_root = np.sqrt(np.linalg.eigvals(c1 @ c2).real).sum()
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(c1) + np.trace(c2) - 2 * tr_root
    assert metrics.frechet_from_stats(mu1, c1, mu2, c2) == pytest.approx(expected, rel=1e-9)


def test_class_coverage_counts_classes_above_five_percent():
    labels = np.array([0] * 50 + [1] * 45 + [2] * 4 + [3] * 1)  # shares .50 .45 .04 .01
    cov = metrics.class_coverage(np.eye(10)[labels])
    assert cov["classes_covered"] == 2
    assert cov["classes_present"] == 4
    assert cov["class_hist"][:4] == [50, 45, 4, 1]


# ---- the shipped classifier ----------------------------------------------------------------
def test_shipped_classifier_is_accurate_on_held_out_digits():
    info = json.loads(classifier.sidecar_path(classifier.CLASSIFIER_FILE).read_text())
    assert info["sha256"] == files.sha256_file(classifier.CLASSIFIER_FILE)
    _, held = mnist5k_split()
    acc = classifier.accuracy(classifier.load_classifier(), held.images, held.labels)
    assert acc >= 0.95
    assert acc == pytest.approx(info["heldout_accuracy"], abs=1e-4)


def test_real_digits_score_high_and_sit_at_distance_zero_from_themselves():
    _, held = mnist5k_split()
    out = metrics.evaluate_images(held.images)
    assert out["score"] > 8.5
    assert out["classes_covered"] == 10
    assert out["fd"] == pytest.approx(0.0, abs=1e-6)
    blank = metrics.evaluate_images(np.zeros((100, 28, 28), np.uint8))
    assert blank["score"] == pytest.approx(1.0, abs=1e-6)  # one picture -> one class
    assert blank["fd"] > 10 * classifier.classifier_info()["real_reference"]["fd"]


def test_evaluate_images_with_a_classifier_whose_answers_are_known(monkeypatch):
    # four images: the stand-in classifier reads 3, 3, 3, 7 with certainty and gives the
    # corners of a 2 x 2 square as features; the "real" features are N(0, I) in 2D
    monkeypatch.setattr(classifier, "load_classifier", lambda: "model")
    monkeypatch.setattr(classifier, "predict_proba", lambda images, model: np.eye(10)[[3, 3, 3, 7]])
    square = np.array([[0, 0], [2, 0], [0, 2], [2, 2]], dtype=float)
    monkeypatch.setattr(classifier, "features", lambda images, model: square)
    monkeypatch.setattr(metrics, "_heldout_stats", lambda model: (np.zeros(2), np.eye(2)))
    out = metrics.evaluate_images(np.zeros((4, 28, 28), np.uint8))
    # p(y) = (3/4 on 3, 1/4 on 7): KL is ln(4/3) for the threes and ln 4 for the seven
    assert out["score"] == round((4 / 3) ** 0.75 * 4**0.25, 4)
    # mean (1, 1), covariance 4/3 I against (0, 0), I: 2 + 8/3 + 2 - 2 * 2 * sqrt(4/3)
    assert out["fd"] == round(20 / 3 - 8 / math.sqrt(3), 4)
    assert out["class_hist"] == [0, 0, 0, 3, 0, 0, 0, 1, 0, 0] and out["n_eval"] == 4
    assert out["classes_covered"] == out["classes_present"] == 2 and out["min_class_share"] == 0.0


def test_evaluate_run_scores_the_runs_fixed_noise_samples():
    from gan_core.config import PRESETS
    from gan_core.train import generate, train

    result = train(PRESETS["tiny"].replace(steps=5, snapshots=2))
    out = evaluate.evaluate_run(result)
    samples = generate(result, metrics.EVAL_SAMPLES, seed=metrics.EVAL_SEED)
    assert out == metrics.evaluate_images(samples)  # the same 2,000 samples, the same numbers
    assert sum(out["class_hist"]) == metrics.EVAL_SAMPLES == out["n_eval"]
    json.dumps(out)  # JSON-able


def test_evaluate_run_gives_toy_runs_their_mode_numbers():
    from gan_core.config import TrainConfig
    from gan_core.data import toy_modes
    from gan_core.train import RunResult, Snapshot

    # two points on each of modes 0, 1 and 2 of the ring, two points far from every mode
    pts = np.concatenate([np.repeat(toy_modes("ring8")[:3], 2, 0), [[0.0, 0.0], [9.0, 9.0]]])
    cfg = TrainConfig(dataset="ring8", arch="toy-mlp")
    result = RunResult(cfg, "ok", "", {}, [Snapshot(0, 0.0, pts.astype(np.float32))], {})
    assert evaluate.evaluate_run(result) == {"modes": 8, "modes_captured": 3, "hq_share": 0.75}
