"""CycleGAN speed: the fast mode (OpenVINO) against the standard path (eager PyTorch).

    python bench/cyclegan.py                  # 256 and 512, best of 2 per photo, 2 threads
    python bench/cyclegan.py --rounds 3 --sizes 256 --threads 1
    python bench/cyclegan.py --memory         # also the forward pass's peak memory at 1024 x 768

Both paths go through the code ``python -m gan_core translate [--fast]`` uses:
``load_generator`` + ``translate`` for the standard path, ``fast_mode`` + ``translate`` for the
fast one. On every bundled photo (pretrained/samples/), at each size, the two run in turn
(interleaved, so a busy CPU slows both alike) and the best of the rounds is kept. Printed: the
engine (OpenVINO version, inference precision, conversion time), seconds and GFLOP/s per photo,
the speed ratio standard / fast at each size (goal >= 2.5x), and the PSNR of the fast output
against the standard one on every photo (goal >= 45 dB). The first call at a new size (each
engine prepares for that shape) is printed apart and left out of the ratio.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_RATIO, GOAL_PSNR = 2.5, 45.0


def gflop(width: int, height: int) -> float:
    """Multiply-adds x 2 of one ResNet-9 forward pass at W x H (convolutions only), in GFLOP."""
    hw, q, e = width * height, (width // 2) * (height // 2), (width // 4) * (height // 4)
    macs = 49 * 3 * 64 * hw + 9 * 64 * 128 * q + 9 * 128 * 256 * e  # in, two downsamplings
    macs += 18 * 9 * 256 * 256 * e  # residual blocks
    macs += 9 * 256 * 128 * e + 9 * 128 * 64 * q + 49 * 64 * 3 * hw  # two upsamplings, out
    return 2.0 * macs / 1e9


def engine_line(mode, seconds: float) -> str:
    if mode.engine != "openvino":
        return f"fast mode: {mode.sentence()}"
    import openvino

    compiled = mode.generator.compiled
    precision = compiled.get_property("INFERENCE_PRECISION_HINT")
    threads = compiled.get_property("INFERENCE_NUM_THREADS")
    return (f"fast mode: OpenVINO {openvino.get_version()}, precision {precision}, {threads} threads; "
            f"converted and compiled in {seconds:.1f} s (once per model and process)")


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field)) / 1024


def memory_child(mode_name: str) -> None:
    """In a fresh process: the resident memory one forward pass at 1024 x 768 adds at its peak."""
    import torch

    from gan_core import cyclegan

    torch.set_num_threads(2)
    gen = cyclegan.load_generator("vintage")
    if mode_name == "fast":
        gen = cyclegan.fast_mode("vintage").generator
    x = torch.rand(1, 3, 768, 1024) * 2 - 1
    cyclegan.run(gen, x[..., :64, :64])  # first call: lazy set-up is not the pass
    base = _status_mb("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # resets the peak (VmHWM) to the current size
    cyclegan.run(gen, x)
    print(f"{mode_name}: {base:.0f} MB before the pass, +{_status_mb('VmHWM') - base:.0f} MB at its peak")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sizes", nargs="+", type=int, default=[256, 512])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", action="store_true", help="also the peak memory of one pass at 1024x768")
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    import torch

    from gan_core import cyclegan
    from gan_core.images import decode_image

    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {torch.backends.cpu.get_cpu_capability()}")
    standard = cyclegan.load_generator("vintage")
    t0 = time.perf_counter()
    mode = cyclegan.fast_mode("vintage")
    print(engine_line(mode, time.perf_counter() - t0), flush=True)
    photos = {f: decode_image((cyclegan.SAMPLES_DIR / f).read_bytes()).pixels for f in cyclegan.SAMPLES}

    summary = []
    for size in args.sizes:
        total_std = total_fast = 0.0
        psnrs = []
        for name, pixels in photos.items():
            # the first call at a new size includes each engine's set-up for that shape: shown apart
            first = [cyclegan.translate(g, pixels, size).seconds for g in (standard, mode.generator)]
            runs = [tuple(cyclegan.translate(g, pixels, size) for g in (standard, mode.generator))
                    for _ in range(args.rounds)]
            std = min(s.seconds for s, _ in runs)
            quick = min(f.seconds for _, f in runs)
            ref, out = runs[0][0].output, runs[0][1].output
            h, w = ref.shape[:2]
            psnrs.append(cyclegan.psnr(ref, out))
            total_std, total_fast = total_std + std, total_fast + quick
            print(f"  {size} {name:14s} {w}x{h}: standard {std:.3f} s ({gflop(w, h) / std:.0f} GFLOP/s), "
                  f"fast {quick:.3f} s ({gflop(w, h) / quick:.0f} GFLOP/s), {std / quick:.2f}x; "
                  f"PSNR {psnrs[-1]:.1f} dB, max |diff| {abs(ref.astype(int) - out.astype(int)).max()}; "
                  f"first call {first[0]:.3f} s / {first[1]:.3f} s", flush=True)
        n = len(photos)
        summary.append((size, total_std / n, total_fast / n, total_std / total_fast, psnrs))

    print("\n==== CycleGAN fast mode vs standard (vintage, bundled photos) ====")
    ok = True
    for size, std, quick, ratio, psnrs in summary:
        ok &= ratio >= GOAL_RATIO and min(psnrs) >= GOAL_PSNR
        print(f"{size}: standard {std:.3f} s, fast {quick:.3f} s per photo: {ratio:.2f}x "
              f"(goal {GOAL_RATIO}x); PSNR {' / '.join(f'{p:.1f}' for p in psnrs)} dB (goal {GOAL_PSNR:.0f})")
    print("goals met" if ok else "goals NOT met")
    if args.memory:
        for name in ("standard", "fast"):
            out = subprocess.run([sys.executable, __file__, "--memory-child", name],
                                 capture_output=True, text=True, timeout=600)
            print(f"peak memory of one pass at 1024x768, {out.stdout.strip() or out.stderr.strip()[-200:]}")


if __name__ == "__main__":
    main()
