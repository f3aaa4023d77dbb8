"""CycleGAN fast preview: is "a lower working size, then upscaling" close enough to fp32?

    python bench/experiments/cyclegan_lowres.py [SCALE ...]

For each bundled sample photo at working sizes 256 and 512, runs the vintage generator at
SCALE x the working size (fast mode), upsizes the result (bicubic) and prints the PSNR against
the fp32 output at the full working size: plain upsizing, and with the input's lost detail
added back (out + input - upsize(downsize(input))). Goal: PSNR >= 30 dB.
"""
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from gan_core import cyclegan as cg


def upsize(a: np.ndarray, wh: tuple[int, int]) -> np.ndarray:
    return a if (a.shape[1], a.shape[0]) == wh else np.asarray(Image.fromarray(a).resize(wh, Image.BICUBIC))


def main() -> None:
    scales = [float(s) for s in sys.argv[1:]] or [0.9, 0.8, 0.7]
    torch.set_num_threads(2)
    gen = cg.load_generator("vintage")
    fast = cg.fast_mode("vintage").generator
    for size in (256, 512):
        for path in sorted(cg.SAMPLES_DIR.glob("*.jpg")):
            ref = cg.translate(gen, np.asarray(Image.open(path).convert("RGB")), size)
            wh = (ref.input.shape[1], ref.input.shape[0])
            row = [f"{path.stem:10s}", size]
            for s in scales:
                lwh = (max(4, int(round(wh[0] * s)) // 4 * 4), max(4, int(round(wh[1] * s)) // 4 * 4))
                small = cg.resize(ref.input, lwh)
                plain = upsize(cg.to_pixels(cg.run(fast, cg.to_tensor(small))), wh)
                detail = ref.input.astype(np.float32) - upsize(small, wh).astype(np.float32)
                guided = np.clip(plain.astype(np.float32) + detail, 0, 255).round().astype(np.uint8)
                row += [f"x{s}: {cg.psnr(plain, ref.output):.1f} / {cg.psnr(guided, ref.output):.1f} dB"]
            print(*row, flush=True)


main()
