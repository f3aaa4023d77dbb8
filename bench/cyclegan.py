"""Speed and memory of the CycleGAN generator (issue 7). The figures are the last lines printed.

    python bench/cyclegan.py                 # 256 and 512, 5 interleaved rounds, + memory
    python bench/cyclegan.py --rounds 3 --sizes 256
    python bench/cyclegan.py --compile       # also try torch.compile (minutes to compile)

What it measures, all in one process so the numbers compare (the CPU may be shared: rounds are
interleaved and the best of each is kept, medians are printed too):
* the matmul ceiling: a 2048^3 fp32 matmul timed in every round (GFLOP/s);
* the generator at each size in several variants: ``eager`` (stock PyTorch modules,
  contiguous memory), ``channels_last`` (stock modules, NHWC memory), ``app`` (what
  gan_core.cyclegan uses: NHWC memory + its InstanceNorm inference path), each under
  ``torch.inference_mode``; max |output - eager| for each;
* the fast mode (``preview_generator``: the 18 residual 3x3 convolutions by Winograd
  F(4x4, 3x3), with the compiled kernels of gan_core/native where they build, else PyTorch
  alone; ``GAN_CLASSROOM_NATIVE=0`` measures the latter) against the app's fp32 output:
  speed-up (goal 2x) and PSNR (goal 30 dB) on the bundled photos;
* peak resident memory of the app process (streamlit_app.py run by AppTest in a fresh process,
  CycleGAN page, a 4000 x 3000 JPEG uploaded) translating at 512 and at "original" (capped).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def big_photo_jpeg(path: Path) -> None:
    """A 4000 x 3000 JPEG (a phone-sized photo) made from a bundled sample."""
    from PIL import Image

    from gan_core.cyclegan import SAMPLES_DIR

    photo = Image.open(SAMPLES_DIR / "rocket.jpg").convert("RGB").resize((4000, 3000), Image.BICUBIC)
    photo.save(path, format="JPEG", quality=90)


def rss_child(size: str, photo: str, mode: str = "fp32") -> None:
    """In a fresh process: the app itself (streamlit_app.py under AppTest, CycleGAN page) gets
    the photo as an upload and translates it at ``size`` (``mode`` "fast": the fast-mode toggle
    on); prints the peak RSS in MB."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    at.session_state["lang"] = "en"
    at.session_state["cg_source"] = "upload"
    at.session_state["cg_size"] = size
    at.session_state["cg_preview"] = mode == "fast"
    at.run()
    at.switch_page("pages/cyclegan.py").run()
    at.file_uploader(key="cg_upload").set_value(("photo.jpg", Path(photo).read_bytes(), "image/jpeg")).run()
    assert not at.exception and not at.error and len(at.image) >= 2, "the page did not translate"
    shape = next(m.value for m in at.metric if m.label == "Working size")
    print(f"{size} {shape.replace('×', 'x')} {peak_rss_mb():.0f}")


def peak_rss_mb() -> float:
    """This process's own peak resident set in MB (VmHWM; see ``tests.appserver.status_mb``)."""
    import resource

    from tests.appserver import status_mb

    try:
        return status_mb("VmHWM")
    except OSError:  # no /proc
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_lines() -> list[str]:
    import tempfile

    mem_lines = []
    photo = Path(tempfile.mkdtemp()) / "photo.jpg"
    big_photo_jpeg(photo)
    for mode in ("fp32", "fast"):
        for size in ("512", "original"):
            out = subprocess.run([sys.executable, __file__, "--rss-child", size, str(photo), mode],
                                 capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                mem_lines.append(f"peak RSS at {size} ({mode}): failed ({out.stderr.strip().splitlines()[-1:]})")
                continue
            s, shape, mb = out.stdout.split()[-3:]
            mem_lines.append(f"peak RSS of the app (AppTest, CycleGAN page, {mode}) translating an uploaded "
                             f"4000x3000 JPEG at {s} ({shape}): {float(mb):.0f} MB (limit 1200)")
    return mem_lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sizes", nargs="+", type=int, default=[256, 512])
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (slow to build)")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--memory-only", action="store_true", help="only the peak-RSS figures")
    ap.add_argument("--rss-child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return
    if args.memory_only:
        print("\n".join(memory_lines()))
        return

    import torch

    from gan_core import cyclegan
    from gan_core.images import decode_image

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{torch.backends.cpu.get_cpu_capability()}", flush=True)
    app = cyclegan.load_generator("vintage")
    eager = cyclegan.eager_reference(app)
    cl = cyclegan.eager_reference(app).to(memory_format=torch.channels_last)  # stock norms, NHWC

    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    mm_flop = 2 * n**3 * 4

    def matmul():
        for _ in range(4):
            torch.mm(a, b)

    summary = []
    for size in args.sizes:
        x = torch.rand(1, 3, size, size) * 2 - 1
        xcl = x.contiguous(memory_format=torch.channels_last)
        variants = {
            "eager": lambda: eager(x),
            "channels_last": lambda: cl(xcl),
            "app": lambda: app(xcl),
        }
        if args.compile:
            compiled = torch.compile(app)
            t0 = time.perf_counter()
            with torch.inference_mode():
                compiled(xcl)
            print(f"torch.compile build at {size}: {time.perf_counter() - t0:.0f} s", flush=True)
            variants["compile"] = lambda: compiled(xcl)
        flop = cyclegan.flops(size, size)
        with torch.inference_mode():
            ref = eager(x)
            diffs = {k: float((f() - ref).abs().max()) for k, f in variants.items()}  # also warms up
            times = {k: [] for k in variants}
            mm = []
            for _ in range(args.rounds):
                mm.append(_time(matmul))
                for k, f in variants.items():
                    times[k].append(_time(f))
        ceiling = mm_flop / min(mm) / 1e9
        print(f"\n{size}x{size}: {flop / 1e9:.1f} GFLOP; matmul ceiling {ceiling:.0f} GFLOP/s "
              f"(best of {args.rounds}, median {mm_flop / statistics.median(mm) / 1e9:.0f})")
        for k, ts in times.items():
            best = min(ts)
            print(f"  {k:14s} best {best:6.3f} s  median {statistics.median(ts):6.3f} s  "
                  f"{flop / best / 1e9:6.1f} GFLOP/s = {flop / best / 1e9 / ceiling:5.1%} of ceiling  "
                  f"max|diff| vs eager {diffs[k]:.2e}")
        best_k = min(times, key=lambda k: min(times[k]))
        summary.append((size, ceiling, flop, times, diffs, best_k))

    # fast preview vs the app's fp32 path, on the bundled photos
    photos = [decode_image((cyclegan.SAMPLES_DIR / f).read_bytes()).pixels for f in cyclegan.SAMPLES]
    fast_gen = cyclegan.preview_generator(app)
    why = cyclegan.fast_engine()
    engine = "Winograd + compiled kernels" if why is None else f"Winograd in PyTorch alone: {why[1]}"
    prev_lines = []
    for size in args.sizes:
        full_t, prev_t, psnrs = [], [], []
        for p in photos:  # interleaved, like the fp32 rounds; best of 2 for each path
            runs = [(cyclegan.translate(app, p, size), cyclegan.translate(fast_gen, p, size)) for _ in range(2)]
            full_t.append(min(f.seconds for f, _ in runs))
            prev_t.append(min(q.seconds for _, q in runs))
            psnrs.append(cyclegan.psnr(runs[0][0].output, runs[0][1].output))
        prev_lines.append(f"fast mode ({engine}) at {size}: {sum(full_t) / sum(prev_t):.2f}x faster than fp32 "
                          f"({sum(full_t) / len(photos):.3f} s -> {sum(prev_t) / len(photos):.3f} s per photo), "
                          f"PSNR vs fp32 min {min(psnrs):.1f} dB / mean {statistics.mean(psnrs):.1f} dB "
                          f"over {len(photos)} photos")

    mem_lines = [] if args.no_memory else memory_lines()

    print("\n==== figures (issue 7) ====")
    for size, ceiling, flop, times, diffs, best_k in summary:
        best = min(times["app"])
        print(f"fp32 {size}: app path {best:.3f} s = {flop / best / 1e9:.0f} GFLOP/s = "
              f"{flop / best / 1e9 / ceiling:.0%} of matmul ceiling {ceiling:.0f} GFLOP/s; "
              f"eager {min(times['eager']):.3f} s; max|app - eager| {diffs['app']:.1e}; fastest variant: {best_k}")
    for line in prev_lines + mem_lines:
        print(line)


if __name__ == "__main__":
    main()
