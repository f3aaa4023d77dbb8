"""Training configuration: one frozen dataclass, its field ranges, presets and validation.

No torch import here: the app validates URLs and widgets with this module before torch loads.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from gan_core import ENGINE_VERSION, drawing

IMAGE_DATASETS = ("mnist5k", "mnist", "fashion")
TOY_DATASETS = ("ring8", "grid25", "spiral", "drawn")  # "drawn": the points in ``drawn``
DATASETS = IMAGE_DATASETS + TOY_DATASETS
IMAGE_ARCHS = ("mlp-book", "dcgan", "dcgan-s")
TOY_ARCHS = ("toy-mlp",)
ARCHS = IMAGE_ARCHS + TOY_ARCHS
LOSSES = ("nonsat", "minimax", "hinge", "wgan-gp")
LR_SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. Same config + same engine -> same numbers."""

    dataset: str = "mnist5k"
    arch: str = "mlp-book"
    loss: str = "nonsat"  # "minimax": G minimises log(1-D(G(z))); "nonsat": G maximises log D(G(z))
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    k: int = 1  # discriminator updates per generator update
    nz: int = 128  # latent size
    batch: int = 64
    steps: int = 500  # generator updates
    seed: int = 0
    snapshots: int = 16  # fixed-noise snapshots over the run (log-spaced)
    ema: float = 0.0  # EMA decay of G's weights for sampling (0 = off)
    conditional: bool = False  # label-conditioned G and D (image sets)
    clusters: int = 0  # self-conditioning: G and D are told which of this many k-means groups (no labels)
    pack: int = 1  # PacGAN: D judges `pack` samples at once
    mbstd: bool = False  # minibatch standard-deviation feature in D
    unroll: int = 0  # unrolled-D steps for G's update
    hidden: int = 128  # width of the toy MLPs
    lr_schedule: str = "constant"  # "cosine": both lrs fall to zero along half a cosine over the run
    r1: float = 0.0  # R1 penalty weight (Mescheder et al. 2018): gamma/2 * |grad_x D(x)|^2 on real data
    drawn: str = ""  # a drawing's code (gan_core.drawing) when dataset is "drawn", else empty

    # ---- identity -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @property
    def key(self) -> str:
        """Content address of the run: hash of the config and the engine version.

        Settings added after runs were shipped (``LATE_FIELDS``) count only when they differ
        from their default, so every earlier config keeps its key and its shipped run."""
        data = self.to_dict()
        for name, default in LATE_FIELDS.items():
            if data[name] == default:
                del data[name]
        raw = f"{ENGINE_VERSION}|{json.dumps(data, sort_keys=True)}".encode()
        return hashlib.sha256(raw).hexdigest()[:20]

    @property
    def is_image(self) -> bool:
        return self.dataset in IMAGE_DATASETS

    @property
    def toy_set(self) -> str:
        """The name the 2D data and mode functions take: the dataset, or "drawn:<code>"."""
        return drawing.set_name(self.drawn) if self.dataset == "drawn" else self.dataset

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)


# Fields added to TrainConfig after runs were shipped, with the default that leaves them out.
LATE_FIELDS = {"lr_schedule": "constant", "r1": 0.0, "drawn": ""}


@dataclass(frozen=True)
class FieldSpec:
    """Allowed values of one config field: a numeric range or a list of choices."""

    name: str
    kind: type
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    log: bool = False  # a log-scale number (learning rates)

    def describe(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "the code of a drawing made on the mode-collapse page, or empty"
        kind = "integer" if self.kind is int else "number"
        return f"{kind} from {_fmt(self.lo)} to {_fmt(self.hi)}"


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{x:g}"


SPECS: dict[str, FieldSpec] = {
    s.name: s
    for s in (
        FieldSpec("dataset", str, choices=DATASETS),
        FieldSpec("arch", str, choices=ARCHS),
        FieldSpec("loss", str, choices=LOSSES),
        FieldSpec("lr_g", float, 1e-6, 0.1, log=True),
        FieldSpec("lr_d", float, 1e-6, 0.1, log=True),
        FieldSpec("beta1", float, 0.0, 0.99),
        FieldSpec("beta2", float, 0.5, 0.9999),
        FieldSpec("k", int, 1, 10),
        FieldSpec("nz", int, 1, 256),
        FieldSpec("batch", int, 8, 1024),
        FieldSpec("steps", int, 1, 20000),
        FieldSpec("seed", int, 0, 2**31 - 1),
        FieldSpec("snapshots", int, 2, 60),
        FieldSpec("ema", float, 0.0, 0.9999),
        FieldSpec("conditional", bool),
        FieldSpec("clusters", int, 0, 200),
        FieldSpec("pack", int, 1, 8),
        FieldSpec("mbstd", bool),
        FieldSpec("unroll", int, 0, 10),
        FieldSpec("hidden", int, 8, 512),
        FieldSpec("lr_schedule", str, choices=LR_SCHEDULES),
        FieldSpec("r1", float, 0.0, 100.0),
        FieldSpec("drawn", str),  # free text, checked by gan_core.drawing
    )
}
assert set(SPECS) == {f.name for f in fields(TrainConfig)}, "every config field needs a FieldSpec"


class ConfigError(ValueError):
    """A value outside its allowed range; ``key`` and ``allowed`` name the problem."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        shown = str(value)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        super().__init__(f"{key}={shown!s} is not allowed: {key} must be {allowed}")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_number(raw: Any, kind: type, lo: float, hi: float, clamp: bool = False) -> tuple[float | int, bool]:
    """``raw`` (a string from a URL or the CLI, or a number) as ``kind`` in [lo, hi]: (value, clamped).

    Raises ValueError for anything that is not a finite number written in at most 40
    characters (bools included; for ``int``, fractions too) and, unless ``clamp``, for numbers
    outside [lo, hi]. With ``clamp`` such numbers come back moved to the nearest end.
    """
    if isinstance(raw, bool):
        raise ValueError("a bool is not a number here")
    text = str(raw).strip()
    if len(text) > 40:
        raise ValueError("too long to be a number")
    num = float(text)
    if not math.isfinite(num) or (kind is int and num != int(num)):
        raise ValueError(f"not a finite {kind.__name__}")
    if num < lo or num > hi:
        if not clamp:
            raise ValueError("out of range")
        return kind(min(max(num, lo), hi)), True
    return kind(num), False


def coerce(key: str, raw: Any, clamp: bool = False) -> tuple[Any, bool]:
    """Turn ``raw`` (a string from a URL or the CLI, or a Python value) into a valid value.

    Returns ``(value, clamped)``. Raises ConfigError for unknown keys, wrong types and, unless
    ``clamp``, out-of-range numbers.
    """
    spec = SPECS.get(key)
    if spec is None:
        raise ConfigError(key, raw, "a known setting (" + ", ".join(SPECS) + ")")
    if spec.kind is bool:
        if isinstance(raw, bool):
            return raw, False
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True, False
        if text in _FALSE:
            return False, False
        raise ConfigError(key, raw, spec.describe())
    if spec.choices is not None:
        text = str(raw).strip()
        if text not in spec.choices:
            raise ConfigError(key, raw, spec.describe())
        return text, False
    if spec.kind is str:  # a drawing's code: kept only if it reads as one (canonical form)
        text = str(raw).strip()
        if not text:
            return "", False
        try:
            return drawing.encode(drawing.decode(text)), False
        except drawing.DrawingError:
            raise ConfigError(key, raw, spec.describe()) from None
    try:
        return parse_number(raw, spec.kind, spec.lo, spec.hi, clamp)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(key, raw, spec.describe()) from None


def check(cfg: TrainConfig) -> TrainConfig:
    """Validate every field and the combinations between them; returns ``cfg`` or raises."""
    for f in fields(TrainConfig):
        value = getattr(cfg, f.name)
        got, clamped = coerce(f.name, value)
        if clamped or got != value:
            raise ConfigError(f.name, value, SPECS[f.name].describe())
    if cfg.is_image and cfg.arch not in IMAGE_ARCHS:
        raise ConfigError("arch", cfg.arch, "one of " + ", ".join(IMAGE_ARCHS) + " for image data")
    if not cfg.is_image and cfg.arch not in TOY_ARCHS:
        raise ConfigError("arch", cfg.arch, "one of " + ", ".join(TOY_ARCHS) + " for 2D data")
    if cfg.conditional and not cfg.is_image:
        raise ConfigError("conditional", cfg.conditional, "false for 2D data")
    if cfg.clusters and not cfg.is_image:
        raise ConfigError("clusters", cfg.clusters, "0 for 2D data")
    if cfg.clusters and cfg.conditional:
        raise ConfigError("clusters", cfg.clusters, "0 for a conditional run")
    if cfg.batch % cfg.pack:
        raise ConfigError("pack", cfg.pack, f"a divisor of the batch size ({cfg.batch})")
    if (cfg.dataset == "drawn") != bool(cfg.drawn):
        raise ConfigError("drawn", cfg.drawn, "a drawing exactly when the dataset is 'drawn'")
    if cfg.snapshots > cfg.steps + 1:
        raise ConfigError("snapshots", cfg.snapshots, f"at most steps + 1 ({cfg.steps + 1})")
    return cfg


def fix_combinations(cfg: TrainConfig) -> TrainConfig:
    """Adjust fields that depend on others (arch after dataset, snapshots after steps)."""
    changes: dict[str, Any] = {}
    if cfg.is_image and cfg.arch not in IMAGE_ARCHS:
        changes["arch"] = IMAGE_ARCHS[0]
    if not cfg.is_image and cfg.arch not in TOY_ARCHS:
        changes["arch"] = TOY_ARCHS[0]
    if cfg.conditional and not cfg.is_image:
        changes["conditional"] = False
    if cfg.clusters and (not cfg.is_image or cfg.conditional):
        changes["clusters"] = 0
    if cfg.batch % cfg.pack:
        changes["pack"] = 1
    if cfg.drawn and cfg.dataset != "drawn":
        changes["drawn"] = ""
    if cfg.dataset == "drawn" and not cfg.drawn:  # nothing drawn: the ring instead
        changes["dataset"] = "ring8"
    if cfg.snapshots > cfg.steps + 1:
        changes["snapshots"] = max(2, min(cfg.snapshots, cfg.steps + 1))
    return cfg.replace(**changes) if changes else cfg


def apply_overrides(
    base: TrainConfig, overrides: Mapping[str, Any], clamp: bool = False
) -> tuple[TrainConfig, list[ConfigError]]:
    """Apply ``key=value`` overrides (strings allowed).

    With ``clamp=False`` the first bad value raises ConfigError (the CLI). With ``clamp=True``
    out-of-range numbers are clamped, other bad values are skipped, and every problem is
    returned so the page can show it (URLs).
    """
    changes: dict[str, Any] = {}
    problems: list[ConfigError] = []
    for key, raw in overrides.items():
        try:
            value, clamped = coerce(key, raw, clamp=clamp)
        except ConfigError as err:
            if not clamp:
                raise
            problems.append(err)
            continue
        if clamped:
            problems.append(ConfigError(key, raw, SPECS[key].describe()))
        changes[key] = value
    cfg = base.replace(**changes)
    if clamp:
        cfg = fix_combinations(cfg)
    return check(cfg), problems


def from_dict(data: Mapping[str, Any]) -> TrainConfig:
    """Rebuild a config saved with ``to_dict`` (unknown keys refused)."""
    cfg, _ = apply_overrides(TrainConfig(), data)
    return cfg


# ---- presets ------------------------------------------------------------------------------
PRESETS: dict[str, TrainConfig] = {
    # The textbook's MNIST GAN as printed: MLP G/D, Adam lr 2e-4 (default betas), batch 512, nz 128, k 1,
    # BCE (the non-saturating generator loss). 200 epochs of 60k digits in the book.
    "seed-book": TrainConfig(
        dataset="mnist5k", arch="mlp-book", loss="nonsat", lr_g=2e-4, lr_d=2e-4,
        beta1=0.9, beta2=0.999, k=1, nz=128, batch=512, steps=400, snapshots=16,
    ),
    # The fastest route to recognisable digits here (measured by bench/quick.py; every run and
    # its numbers in bench/quick_tuning.md): the half-width DCGAN, Adam lr 2e-3 for both nets
    # with beta1 = 0 and beta2 = 0.99 (score 6.3 at 900 steps vs 4.3 with the DCGAN paper's
    # 2e-4 / 0.5), EMA 0.99 of G's weights, and self-conditioning: k-means sorts the 5,000
    # training images into 100 look-alike groups (pixels only, no labels) and G and D are told
    # the group (round 6: score 6.2 -> 8.1-8.5, FD 86 -> 21-25). 800 steps, ~30 s on 2 quiet
    # cores, 44-55 s with busy neighbours.
    "quick": TrainConfig(
        dataset="mnist5k", arch="dcgan-s", loss="nonsat", lr_g=2e-3, lr_d=2e-3,
        beta1=0.0, beta2=0.99, k=1, nz=64, batch=64, steps=800, snapshots=16, ema=0.99, clusters=100,
    ),
    # quick without the look-alike groups: the plain GAN the course teaches (no labels, no
    # groups), the best recipe found for it in a minute (bench/quick_tuning.md, bench/quick.py).
    "quick-plain": TrainConfig(
        dataset="mnist5k", arch="dcgan-s", loss="nonsat", lr_g=2e-3, lr_d=2e-3,
        beta1=0.0, beta2=0.99, k=1, nz=64, batch=64, steps=800, snapshots=16, ema=0.99,
    ),
    # A few seconds: for trying the Lab's controls.
    "tiny": TrainConfig(
        dataset="mnist5k", arch="mlp-book", loss="nonsat", lr_g=2e-4, lr_d=2e-4,
        beta1=0.5, nz=32, batch=64, steps=60, snapshots=6,
    ),
    # Conditional GAN (labels into G and D): ask for any digit afterwards. quick's recipe with
    # labels instead of look-alike groups: score 8.5 and FD 21 at 900 steps, about a minute;
    # 92% of the samples asked for digit d are read as d by the classifier.
    # The full-width DCGAN at lr 2e-4 needed 1,200 steps for 79% classifier agreement; the book's
    # MLP with labels stayed at chance after 3,000 (11%). Per-digit agreement: bench/conditional.py.
    "cgan": TrainConfig(
        dataset="mnist5k", arch="dcgan-s", loss="nonsat", lr_g=2e-3, lr_d=2e-3,
        beta1=0.0, beta2=0.99, k=1, nz=64, batch=64, steps=900, snapshots=16, ema=0.99,
        conditional=True,
    ),
    "ring8": TrainConfig(
        dataset="ring8", arch="toy-mlp", loss="nonsat", lr_g=1e-3, lr_d=1e-3,
        beta1=0.5, nz=2, batch=256, steps=2000, snapshots=20, hidden=128,
    ),
}


def _toy(dataset: str, **changes) -> TrainConfig:
    """A mode-collapse study preset: the ring8 preset's settings on ``dataset`` plus ``changes``."""
    return check(PRESETS["ring8"].replace(dataset=dataset, snapshots=24, **changes))


# Mode-collapse studies (pages/mode_collapse.py, bench/mode_collapse.py measures them): each
# remedy changes one or two settings of the preset it is compared with (gan_core.modes.STUDIES).
for _ds in ("ring8", "grid25", "spiral"):
    PRESETS[f"{_ds}-minimax-highlr"] = _toy(_ds, loss="minimax", lr_g=5e-3, lr_d=5e-3)  # collapses
    PRESETS[f"{_ds}-nonsat"] = _toy(_ds)
    # half the lr, a larger batch, 1.5x the steps and a short EMA of G: sharp samples (3 sigma is tiny)
    PRESETS[f"{_ds}-lowlr-ema"] = _toy(_ds, lr_g=5e-4, lr_d=5e-4, batch=512, steps=3000, ema=0.99)
PRESETS["ring8-pacgan"] = PRESETS["ring8-lowlr-ema"].replace(pack=2)
# a wider G bends more steeply, so fewer of its points land between modes
PRESETS["ring8-wide-ema"] = PRESETS["ring8-lowlr-ema"].replace(hidden=256)
PRESETS["ring8-unrolled"] = _toy("ring8", unroll=5)
PRESETS["grid25-pacgan"] = PRESETS["grid25-lowlr-ema"].replace(pack=2)
PRESETS["grid25-unrolled"] = _toy("grid25", unroll=5)
# Remedies that look fixed (bench/mode_collapse.py, 3 seeds, 2 cores, ~50 s a run): twice the
# lr of lowlr-ema, falling to zero along a cosine over a longer run (Loshchilov and Hutter's
# SGDR, 2017): as the steps shrink, G's points settle onto the modes instead of hovering between
# them (grid HQ 19% -> 84%, ring 8/8 at 97%). Then R1 (Mescheder, Geiger and Nowozin, 2018)
# keeps D flat at the real points, so G stops overshooting them and reaches every mode (grid
# 23.3 -> 25 of 25 modes at 86% HQ).
for _ds in ("ring8", "grid25"):
    PRESETS[f"{_ds}-cosine"] = PRESETS[f"{_ds}-lowlr-ema"].replace(lr_g=1e-3, lr_d=1e-3, steps=8000,
                                                                  lr_schedule="cosine")
    # R1 costs a second derivative (every 4th D step, gan_core.train.R1_EVERY): 7,000 steps
    # keep the run within a minute on 2 cores
    PRESETS[f"{_ds}-r1"] = PRESETS[f"{_ds}-cosine"].replace(r1=1.0, steps=7000)
# Data the student draws (the mode-collapse page): three blobs until they draw their own. The
# plain recipe and the remedy (cosine lr + R1) in a length a class can wait for.
EXAMPLE_DRAWING = drawing.encode([(8, 8), (9, 8), (8, 9), (9, 9), (24, 9), (25, 9), (24, 10), (25, 10),
                                  (16, 24), (17, 24), (16, 25), (17, 25)])
PRESETS["drawn-nonsat"] = _toy("drawn", drawn=EXAMPLE_DRAWING, steps=3000)
PRESETS["drawn-r1"] = PRESETS["drawn-nonsat"].replace(lr_g=1e-3, lr_d=1e-3, batch=512, ema=0.99,
                                                      lr_schedule="cosine", r1=1.0)
PRESETS = {name: check(cfg) for name, cfg in PRESETS.items()}
