"""A Lab run as a standalone Jupyter notebook or plain .py that reproduces the app's numbers.

The code cells are the engine's own source (``gan_core.source``, read when the file is made):
the config class, the data tensors and batches, the models of the run's architecture, the
losses and the Trainer's methods that ``Trainer.step`` calls. Only the glue is written here:
the imports, a loader for the digits, the settings and a loop that writes ``history.csv`` with
the columns of ``python -m gan_core train``. The engine's numbers depend on the order of its
random draws (``torch.manual_seed(cfg.seed)`` before the models, one ``torch.Generator`` for
batches and noise, dropout from the global RNG), and reusing its functions keeps that order.

``text(key, **fmt)`` gives the notebook's sentences in the reader's language (the app passes
``ui.i18n.t`` on the ``notebook`` area; the CLI reads the same catalogue file).
"""
from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable

from gan_core import ENGINE_VERSION, batches, config, data, drawing, export, losses, models, train
from gan_core.config import TrainConfig
from gan_core.source import model_classes, snippet

Text = Callable[..., str]
TRAINER_METHODS = ("__init__", "noise", "d_logits", "d_update", "unrolled_d", "g_update", "step",
                   "sampler", "sample", "_params_finite")
HEADER = ("step", "wall", "loss_d", "loss_g", "d_real", "d_fake")  # as `gan_core train` writes


def _src(obj) -> str:
    return snippet(obj)[0].rstrip() + "\n"


def _assignment(module, name: str) -> str:
    """The line of ``module`` that sets ``name`` at the top level, verbatim."""
    for line in inspect.getsource(module).splitlines():
        if line.startswith(f"{name} = "):
            return line + "\n"
    raise ValueError(f"{module.__name__} has no top-level {name}")


def _comment(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.splitlines())


def _imports() -> str:
    return ("from __future__ import annotations\n\n"
            "import copy\nimport csv\nimport dataclasses\nimport hashlib\nimport json\nimport math\n"
            "import threading\nimport time\nfrom dataclasses import dataclass\n"
            "from functools import lru_cache\nfrom pathlib import Path\nfrom types import SimpleNamespace\n"
            "from typing import Any\n\nimport numpy as np\nimport torch\nimport torch.nn.functional as F\n"
            "from torch import nn\n")


def _settings(cfg: TrainConfig, text: Text) -> str:
    values = "".join(f"    {k}={v!r},\n" for k, v in cfg.to_dict().items())
    return (_comment(text("settings_comment")) + f"ENGINE_VERSION = {ENGINE_VERSION!r}\n"
            + _assignment(config, "IMAGE_DATASETS") + _assignment(config, "LATE_FIELDS") + "\n\n"
            + _src(TrainConfig) + "\n\n"
            + f"cfg = TrainConfig(\n{values})\nprint(cfg)\n")


def _loader(text: Text) -> str:
    missing, offline = text("data_missing"), text("data_offline")
    return (_comment(text("data_comment"))
            + f"DATA_FILES = [Path('mnist_5k.npz'), Path({str(data.MNIST5K_FILE)!r})]\n"
            + "TORCHVISION_SETS = {'mnist5k': 'MNIST', 'mnist': 'MNIST', 'fashion': 'FashionMNIST'}\n\n\n"
            "def load_images(name):\n"
            "    if name == 'mnist5k':\n"
            "        for path in DATA_FILES:\n"
            "            if path.is_file():\n"
            "                with np.load(path, allow_pickle=False) as z:\n"
            "                    return SimpleNamespace(images=z['images'], labels=z['labels'], note='')\n"
            f"        print({missing!r})\n"
            "    try:\n"
            "        import torchvision\n\n"
            "        cls = getattr(torchvision.datasets, TORCHVISION_SETS[name])\n"
            "        ds = cls(root='data', train=True, download=True)\n"
            "    except Exception as err:\n"
            f"        raise RuntimeError({offline!r}) from err\n"
            "    images, labels = ds.data.numpy().astype(np.uint8), ds.targets.numpy().astype(np.uint8)\n"
            "    if name == 'mnist5k':\n"
            + textwrap.indent(_comment(text("data_subset")), "        ")
            + "        keep = np.concatenate([np.flatnonzero(labels == c)[:500] for c in range(10)])\n"
            "        images, labels = images[keep], labels[keep]\n"
            "    return SimpleNamespace(images=images, labels=labels, note='')\n\n\n"
            + _src(batches.image_tensors) + "\n\n" + _src(batches.Batches) + "\n\n"
            + _src(batches.training_batches))


def _toy_data(text: Text) -> str:
    """The 2D point sets: a pool of TOY_POOL points drawn with numpy seeded by ``cfg.seed``."""
    consts = (_assignment(batches, "TOY_POOL") + _assignment(data, "RING_RADIUS, RING_SIGMA, RING_MODES")
              + _assignment(data, "GRID_SIGMA"))
    funcs = (data.toy_modes, data.toy_sigma, data.toy_support, data._spiral, data.sample_toy,
             batches.Batches, batches.training_batches)
    return (_comment(text("data_toy_comment")) + _drawing() + "\n\n" + consts + "\n\n"
            + "\n\n".join(_src(f) for f in funcs))


def _drawing() -> str:
    """What the 2D sets need of gan_core.drawing (a drawn set's cells and modes)."""
    names = ("SIDE", "EXTENT", "SPACING", "SIGMA", "MAX_CODE", "NBYTES", "NAME_PREFIX")
    funcs = (drawing.decode, drawing.cell_xy, drawing.groups, drawing.is_drawn, drawing.set_name)
    return ("import base64\nimport binascii\nimport zlib\n\n"
            + "".join(_assignment(drawing, n) for n in names) + "\n\n" + _src(drawing.DrawingError)
            + "\n\n" + "\n\n".join(_src(f) for f in funcs) + "\n\n"
            + "drawing = SimpleNamespace(" + ", ".join(f"{f.__name__}={f.__name__}" for f in funcs)
            + ", SIGMA=SIGMA, NAME_PREFIX=NAME_PREFIX, DrawingError=DrawingError)\n")


def _groups(text: Text) -> str:
    """Self-conditioning's look-alike groups: k-means on the pixels (only for runs with groups)."""
    consts = _assignment(batches, "KMEANS_ITERS") + _assignment(batches, "KMEANS_FIT_MAX")
    funcs = (batches._sq_distances, batches.kmeans, batches.assign, batches.group_labels)
    return consts + "\n\n" + "\n\n".join(_src(f) for f in funcs)


def _models(cfg: TrainConfig) -> str:
    g_cls, d_cls = model_classes(cfg.arch)
    parts = [_assignment(models, "IMG") + _assignment(models, "N_CLASSES")]
    parts += [_src(obj) for obj in (g_cls, d_cls, models.group_of, models._register_groups,
                                     models._with_labels, models._pack, models._append_mbstd,
                                     models.init_weights, models.build)]
    return "\n\n".join(parts)


def _losses(cfg: TrainConfig, text: Text) -> str:
    funcs = [losses.d_loss, losses.g_loss] + ([losses.gradient_penalty] if cfg.loss == "wgan-gp" else [])
    funcs += [losses.r1_penalty] if cfg.r1 > 0 else []
    names = ", ".join(f"{f.__name__}={f.__name__}" for f in funcs)
    return ("\n\n".join(_src(f) for f in funcs) + "\n\n" + _comment(text("losses_comment"))
            + f"losses = SimpleNamespace({names})\n")


def _trainer(cfg: TrainConfig, text: Text) -> str:
    consts = "".join(_assignment(train, n) for n in ("SAMPLE_GRID", "TOY_SNAPSHOT", "GP_WEIGHT", "R1_EVERY",
                                                     "CONV_ARCHS", "_BUILD_LOCK"))
    head, _ = snippet(train.Trainer, "class Trainer", '"""')
    methods = [m for m in TRAINER_METHODS if m != "unrolled_d" or cfg.unroll > 0]
    body = "\n".join(inspect.getsource(getattr(train.Trainer, m)) for m in methods)
    return (consts + "\n\n" + _comment(text("check_comment")) + "def check(cfg):\n    return cfg\n\n\n"
            + "\n\n".join(_src(f) for f in (train._grad_norm, train._has_batchnorm, train.to_uint8))
            + "\n\n" + head + "\n" + body)


def _loop(text: Text) -> str:
    return (_comment(text("loop_comment"))
            + "trainer = Trainer(cfg)\ntrainer.g.train()\ntrainer.d.train()\n"
            "t0 = time.perf_counter()\n"
            "with open('history.csv', 'w', newline='', encoding='utf-8') as fh:\n"
            "    out = csv.writer(fh)\n"
            f"    out.writerow({list(HEADER)!r})\n"
            "    for step in range(1, cfg.steps + 1):\n"
            "        values = trainer.step()\n"
            "        if not all(math.isfinite(v) for v in values) or not trainer._params_finite():\n"
            f"            print({text('diverged')!r}.format(step=step))\n"
            "            break\n"
            "        loss_d, loss_g, d_real, d_fake, grad_d, grad_g = values\n"
            "        out.writerow([step, f'{time.perf_counter() - t0:.4f}', f'{loss_d:.6g}',\n"
            "                      f'{loss_g:.6g}', f'{d_real:.6g}', f'{d_fake:.6g}'])\n"
            "        if step % max(1, cfg.steps // 10) == 0:\n"
            "            print(f'{step:6d}  loss_d {loss_d:.4f}  loss_g {loss_g:.4f}  '\n"
            "                  f'D(x) {d_real:.3f}  D(G(z)) {d_fake:.3f}')\n")


def _toy_samples(text: Text) -> str:
    return (_comment(text("samples_toy_comment")) + "from PIL import Image, ImageDraw\n\n"
            + _assignment(export, "TOY_EXTENT") + "\n\n" + _src(export.toy_picture) + "\n\n"
            "points = trainer.sample(trainer.fixed_z).numpy()\n"
            "real = sample_toy(cfg.toy_set, 600, np.random.default_rng(0))\n"
            "picture = Image.fromarray(toy_picture(points, real))\n"
            "picture.save('samples.png')\n"
            f"print({text('done')!r})\n"
            "picture\n")


def _samples(text: Text) -> str:
    return (_comment(text("samples_comment"))
            + "from PIL import Image\n\n"
            "samples = to_uint8(trainer.sample(trainer.fixed_z, trainer.fixed_y))\n"
            "rows = len(samples) // 8\n"
            "grid = samples[: rows * 8].reshape(rows, 8, 28, 28).transpose(0, 2, 1, 3)\n"
            "grid = grid.reshape(rows * 28, 8 * 28)\n"
            "picture = Image.fromarray(grid).resize((8 * 28 * 3, rows * 28 * 3), Image.NEAREST)\n"
            "picture.save('samples.png')\n"
            f"print({text('done')!r})\n"
            "picture\n")


def cells(cfg: TrainConfig, text: Text, name: str = "") -> list[tuple[str, str]]:
    """The notebook as (kind, source) pairs, kind "markdown" or "code", for any valid config."""
    title = name or cfg.arch
    return [
        ("markdown", text("title", name=title) + "\n\n" + text("intro")),
        ("code", _imports()),
        ("markdown", text("settings_md")), ("code", _settings(cfg, text)),
        *([("markdown", text("data_md")), ("code", _loader(text))] if cfg.is_image
          else [("markdown", text("data_toy_md")), ("code", _toy_data(text))]),
        *([("markdown", text("groups_md", n=cfg.clusters)), ("code", _groups(text))] if cfg.clusters else []),
        ("markdown", text("models_md")), ("code", _models(cfg)),
        ("markdown", text("losses_md")), ("code", _losses(cfg, text)),
        ("markdown", text("trainer_md", k=cfg.k)), ("code", _trainer(cfg, text)),
        ("markdown", text("loop_md", steps=cfg.steps)), ("code", _loop(text)),
        ("markdown", text("samples_md")), ("code", _samples(text) if cfg.is_image else _toy_samples(text)),
    ]


def notebook_bytes(cfg: TrainConfig, text: Text, name: str = "") -> bytes:
    """The run as a Jupyter notebook (nbformat 4), UTF-8 JSON."""
    import nbformat
    from nbformat import v4

    nb = v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    for i, (kind, source) in enumerate(cells(cfg, text, name)):
        make = v4.new_markdown_cell if kind == "markdown" else v4.new_code_cell
        nb.cells.append(make(source.rstrip("\n"), id=f"cell-{i}"))  # ids fixed: the same run, the same file
    nbformat.validate(nb)
    return nbformat.writes(nb).encode("utf-8")


def script_bytes(cfg: TrainConfig, text: Text, name: str = "") -> bytes:
    """The same cells as one plain Python file (markdown cells become comments)."""
    out = []
    for kind, source in cells(cfg, text, name):
        out.append(_comment(source) if kind == "markdown" else source)
    return ("\n\n".join(part.rstrip("\n") for part in out) + "\n").encode("utf-8")
