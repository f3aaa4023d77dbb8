"""Engine vs the textbook's plain PyTorch loop on the seed-book preset (the book's MLPs, batch 512).

Both are measured in this one process, in interleaved blocks (engine, book, engine, book, ...)
so that a noisy neighbour slows both alike. For each we report images per second (median
over blocks, wall clock and CPU time), and the fraction of this machine's measured matmul
ceiling that the step reaches, counting the FLOPs of every Linear layer's forward and backward
passes from the layer shapes. The last lines are the figures to compare.

    python bench/throughput.py [--rounds 6] [--iters 6] [--threads N]

On a shared, oversubscribed CPU, torch's two OpenMP threads spin-wait for each other and the
wall clock says more about the neighbours than about the code: compare the "images per
CPU-second" line there, or run with --threads 1 (or OMP_WAIT_POLICY=PASSIVE).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from torch import nn

from gan_core.config import PRESETS
from gan_core.data import mnist5k
from gan_core.train import Trainer
from tests.reference_loop import BookLoop


def matmul_ceiling(n: int = 2048, reps: int = 8) -> float:
    """Best observed fp32 GFLOP/s of an n x n x n matmul."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def _linear_flops(model: nn.Module, batch: int) -> list[float]:
    """Forward FLOPs (2 * B * in * out) of each Linear layer, input side first."""
    return [2.0 * batch * m.in_features * m.out_features for m in model.modules() if isinstance(m, nn.Linear)]


def flops_per_iteration(g: nn.Module, d: nn.Module, batch: int) -> dict[str, float]:
    """Matmul FLOPs of one training iteration (k = 1) for the book's loop and for the engine.

    A Linear layer costs F forward, F for its weight gradient and F for its input gradient;
    the input gradient is skipped where the input needs none (data, detached fakes, z).
    """
    fg, fd = _linear_flops(g, batch), _linear_flops(d, batch)
    sg, sd = sum(fg), sum(fd)
    g_bwd = sg + (sg - fg[0])  # weight grads + input grads above the first layer (z needs none)
    d_bwd_data = sd + (sd - fd[0])  # D on real or detached fakes
    book = (sg + 2 * sd + 2 * d_bwd_data  # D step: G(z).detach(), D(real), D(fake), both backward
            + sg + sd + 2 * sd + g_bwd)  # G step: fresh G(z), D forward, D weight+input grads, G back
    engine = (sg + 2 * sd + 2 * d_bwd_data  # D step: one G forward kept for G, D on real+fake
              + sd + sd + g_bwd)  # G step: reuses the fakes, D frozen -> input grads only
    return {"book": book, "engine": engine}


def _cpu() -> float:
    return time.process_time()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6, help="interleaved blocks per side")
    ap.add_argument("--iters", type=int, default=6, help="training iterations per block")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    cfg = PRESETS["seed-book"]
    data = mnist5k()
    trainer = Trainer(cfg)
    trainer.g.train()
    trainer.d.train()
    ref = BookLoop(data.images, data.labels, batch=cfg.batch, nz=cfg.nz, lr=cfg.lr_g)
    ref.load_engine_weights(trainer.g, trainer.d)
    ref.generator.train()
    ref.discriminator.train()
    batches = iter(ref.loader)

    def ref_iteration() -> int:
        nonlocal batches
        try:
            image, _ = next(batches)
        except StopIteration:  # a new epoch, as the book's outer loop starts one
            batches = iter(ref.loader)
            image, _ = next(batches)
        ref.step(image)
        return len(image)

    def engine_iteration() -> int:
        trainer.step()
        return cfg.batch

    sides = {"engine": engine_iteration, "book": ref_iteration}
    for fn in sides.values():  # warm-up: allocator, thread pool, first DataLoader epoch
        for _ in range(2):
            fn()
    wall: dict[str, list[float]] = {k: [] for k in sides}
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    ceilings = []
    for r in range(args.rounds):
        ceilings.append(matmul_ceiling(reps=3))  # sampled between blocks: the best moment counts
        order = list(sides) if r % 2 == 0 else list(sides)[::-1]
        for name in order:
            fn = sides[name]
            w0, c0 = time.perf_counter(), _cpu()
            n = sum(fn() for _ in range(args.iters))
            wall[name].append(n / (time.perf_counter() - w0))
            cpu[name].append(n / (_cpu() - c0))
    ceiling = max(ceilings + [matmul_ceiling()])
    flops = flops_per_iteration(trainer.g, trainer.d, cfg.batch)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {cfg.batch}, "
          f"{args.rounds} interleaved blocks x {args.iters} iterations per side")
    print(f"FLOPs per iteration: book loop {flops['book'] / 1e9:.1f} GFLOP, "
          f"engine {flops['engine'] / 1e9:.1f} GFLOP")
    res = {}
    for name in sides:
        ips = statistics.median(wall[name])
        ips_cpu = statistics.median(cpu[name])
        gflops = flops[name] / (cfg.batch / ips) / 1e9
        res[name] = (ips, ips_cpu, gflops)
        print(f"{name:>6}: {ips:7.0f} images/s wall (blocks {min(wall[name]):.0f}-{max(wall[name]):.0f}), "
              f"{ips_cpu:7.0f} images per CPU-second; {gflops:6.1f} GFLOP/s")
    print(f"matmul ceiling (2048^3 fp32, best over {3 * args.rounds + 8} runs between blocks): "
          f"{ceiling:.1f} GFLOP/s")
    print(f"engine fraction of ceiling: {res['engine'][2] / ceiling:.2f}")
    print(f"book loop fraction of ceiling: {res['book'][2] / ceiling:.2f}")
    print(f"engine/book images per CPU-second: {res['engine'][1] / res['book'][1]:.2f}x")
    print(f"engine/book images/s (wall): {res['engine'][0] / res['book'][0]:.2f}x (goal >= 1.8x)")


if __name__ == "__main__":
    main()
