"""How typeset the shipped digits CycleGAN's G(x) looks, and where it hides the handwriting.

Loads pretrained/cycle_digits.pt (checked against its sidecar) and prints, on the 1,000 held-out
handwritten digits x (grey levels per pixel, of 255):

* the distance from x and from G(x) to the nearest typeset digit of the same class;
* the within-class spread (mean distance between two pictures of one digit) of x, of G(x) and of
  the typeset set itself;
* the share of x and of G(x) that a pixel judge (nearest neighbour among the handwritten training
  digits and the typeset set) calls typeset;
* the hide test: how far F lands from x when given G(x), G(x) plus faint noise, G(x) rounded to
  8 grey levels, or the typeset digit nearest to G(x) (nothing hidden).

    python bench/cycle_digits_typeface.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    import torch

    torch.set_num_threads(1)
    from gan_core import cycle_data
    from gan_core.cyclegan import digits

    t0 = time.perf_counter()
    model = digits.load()
    held, labels = cycle_data.digit_images("handwritten", "heldout")
    m = digits.typeface_and_hiding(model, held, labels)
    face, hide = m["typeface"], m["hiding"]
    print(f"nearest typeset digit of the same class: x {face['near_x']:.1f}, G(x) {face['near_gx']:.1f}")
    print(f"within-class spread: x {face['spread_x']:.1f}, G(x) {face['spread_gx']:.1f}, "
          f"typeset set {face['spread_typeset']:.1f}")
    print(f"pixel judge says typeset: x {100 * face['judged_x']:.1f}%, G(x) {100 * face['judged_gx']:.1f}%")
    print(f"G changes x by {hide['g_change']:.1f}; F lands from x, given:")
    print(f"  G(x) {hide['back']:.2f}")
    for a in digits.HIDE_NOISE:
        print(f"  G(x) + noise up to +-{a} {hide[f'back_noise_{a}']:.2f}")
    print(f"  G(x) at {digits.HIDE_LEVELS} grey levels {hide[f'back_levels_{digits.HIDE_LEVELS}']:.2f}")
    print(f"  the nearest typeset digit {hide['back_nearest']:.2f}")
    print(f"measured in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
