"""The shipped digits CycleGAN (handwritten <-> typeset) against the issue's goals.

Loads pretrained/cycle_digits.pt (checked against its sidecar's SHA-256) and measures, with the
app's digit classifier (pretrained/digit_classifier.pt):

* the classifier on the typeset set itself (goal >= 95%: otherwise the next two mean little);
* G(x) keeps its digit for >= 85% of 1,000 held-out handwritten digits (the last 100 of each
  class of the shipped MNIST digits, which the CycleGAN never trained on);
* F(G(x)) keeps its digit for >= 90% of them;

and prints the round trips (mean absolute grey-level difference, 0..1 scale) and how long the
shipped run trained (from its sidecar).

    python bench/cycle_digits.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    import torch

    torch.set_num_threads(2)
    from gan_core.cyclegan import digits

    t0 = time.perf_counter()
    model = digits.load()
    q = digits.quality(model)
    took = time.perf_counter() - t0
    goals = [("classifier reads the typeset set", q["typeset_accuracy"], 0.95),
             (f"G(x) keeps its digit ({q['heldout_digits']} held-out handwritten)", q["keep_g"], 0.85),
             (f"F(G(x)) keeps its digit ({q['heldout_digits']} held-out handwritten)", q["keep_fg"], 0.90)]
    for label, value, goal in goals:
        verdict = "met" if value >= goal else "MISSED"
        print(f"{label}: {100 * value:.1f}% (goal >= {100 * goal:.0f}%): {verdict}")
    print(f"round trip x -> F(G(x)): {q['round_trip_x']:.4f}; y -> G(F(y)): {q['round_trip_y']:.4f} "
          "(mean |difference| per pixel, 0..1)")
    side = model.info
    print(f"shipped run: {side['config']['steps']} steps, trained in {side['train_seconds']} s on "
          f"{side.get('torch_threads', '?')} threads; file {digits.DIGITS_FILE.stat().st_size / 1e6:.2f} MB; "
          f"measured in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
