"""Pretrained CycleGAN generators, one concern per module:

* ``net``          the ResNet generator and the checkpoint layouts it loads;
* ``checkpoints``  the model list, the vintagify file, zoo downloads and their SHA-256 registry;
* ``fast``         the fast mode: the generator compiled by OpenVINO (PyTorch where it can't be);
* ``inference``    image in -> image out, working sizes, the cycle, files and folders (CLI).

The names callers use are re-exported here: ``from gan_core import cyclegan``.
"""
from gan_core.cyclegan.checkpoints import (
    DEFAULT_MODEL,
    MODELS,
    REVERSE,
    ZOO_MODELS,
    ZOO_URL,
    ModelError,
    check_name,
    download,
    is_available,
    load_generator,
    read_registry,
    vintagify_path,
    zoo_dir,
    zoo_reachable,
    zoo_url,
)
from gan_core.cyclegan.fast import FastMode, fast_mode, openvino_installed
from gan_core.cyclegan.inference import (
    MAX_ORIGINAL_SIDE,
    SAMPLES,
    SAMPLES_DIR,
    SIZES,
    Cycle,
    Translation,
    cycle,
    difference,
    psnr,
    resize,
    run,
    to_pixels,
    to_tensor,
    translate,
    translate_paths,
    working_size,
)
from gan_core.cyclegan.net import ResnetGenerator, generator_from_state_dict

__all__ = [
    "DEFAULT_MODEL", "MAX_ORIGINAL_SIDE", "MODELS", "REVERSE", "SAMPLES", "SAMPLES_DIR", "SIZES",
    "ZOO_MODELS", "ZOO_URL", "Cycle", "FastMode", "ModelError", "ResnetGenerator", "Translation",
    "check_name", "cycle", "difference", "download", "fast_mode", "generator_from_state_dict",
    "is_available", "load_generator", "openvino_installed", "psnr", "read_registry", "resize", "run",
    "to_pixels", "to_tensor", "translate", "translate_paths", "vintagify_path", "working_size",
    "zoo_dir", "zoo_reachable", "zoo_url",
]
