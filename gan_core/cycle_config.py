"""CycleGAN training settings: one frozen dataclass, its ranges, two presets and validation.

A separate config from ``TrainConfig``: a CycleGAN has two generators (G: X -> Y, F: Y -> X),
two discriminators and four loss groups, each with its own weight (0 switches it off). No
torch here, so the page and the CLI validate settings before torch loads.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from gan_core.config import ConfigError, parse_number

CYCLE_ENGINE_VERSION = "1"  # bump when a change alters the numbers a CycleConfig produces
POINT_DOMAINS = ("ring", "moons", "spiral", "line")  # 2D point sets (gan_core.cycle_data)
DIGIT_DOMAINS = ("handwritten", "typeset")  # 28 x 28 grey digits
DOMAINS = POINT_DOMAINS + DIGIT_DOMAINS


@dataclass(frozen=True)
class CycleConfig:
    """Everything that decides a CycleGAN run. Same config + same engine -> same numbers.

    The four loss groups and their weights (0 = off):
    ``w_adv_g``: G's adversarial loss against D_Y; ``w_adv_f``: F's against D_X;
    ``lambda_cycle``: |F(G(x)) - x| + |G(F(y)) - y|; ``lambda_id``: |F(x) - x| + |G(y) - y|.
    """

    domain_x: str = "ring"
    domain_y: str = "moons"
    w_adv_g: float = 1.0
    w_adv_f: float = 1.0
    lambda_cycle: float = 5.0
    lambda_id: float = 0.0
    lr_g: float = 2e-3
    lr_d: float = 2e-3
    batch: int = 128
    steps: int = 800
    hidden: int = 64  # width of G, F, D_X and D_Y (2D); of G and F's hidden layers (digits)
    seed: int = 0
    # digits only, added later (written into the config only when set, so older runs keep
    # their content address): the generators ("mlp", "conv" or "aligned", gan_core.cycle_nets),
    # the weight of a whole-digit score that the discriminators give next to their patch scores
    # (0 = none), and the weight of the aligned generators' shape term (0 = none)
    generator: str = "mlp"
    w_whole: float = 0.0
    lambda_shape: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for name, default in LATER_FIELDS.items():
            if data[name] == default:
                del data[name]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @property
    def key(self) -> str:
        """Content address of the run: a hash of the config and the cycle engine's version."""
        raw = f"cycle{CYCLE_ENGINE_VERSION}|{self.to_json()}".encode()
        return hashlib.sha256(raw).hexdigest()[:20]

    @property
    def is_image(self) -> bool:
        return self.domain_x in DIGIT_DOMAINS

    def replace(self, **changes) -> CycleConfig:
        return dataclasses.replace(self, **changes)


# field -> default, left out of to_dict at it
LATER_FIELDS = {"generator": "mlp", "w_whole": 0.0, "lambda_shape": 0.0}
GENERATORS = ("mlp", "conv", "aligned")

# (kind, low, high) or (str, choices)
SPECS: dict[str, tuple] = {
    "domain_x": (str, DOMAINS),
    "domain_y": (str, DOMAINS),
    "w_adv_g": (float, 0.0, 10.0),
    "w_adv_f": (float, 0.0, 10.0),
    "lambda_cycle": (float, 0.0, 100.0),
    "lambda_id": (float, 0.0, 100.0),
    "lr_g": (float, 1e-6, 0.1),
    "lr_d": (float, 1e-6, 0.1),
    "batch": (int, 8, 1024),
    "steps": (int, 1, 20000),
    "hidden": (int, 8, 1024),
    "seed": (int, 0, 2**31 - 1),
    "generator": (str, GENERATORS),
    "w_whole": (float, 0.0, 10.0),
    "lambda_shape": (float, 0.0, 100.0),
}
assert set(SPECS) == {f.name for f in fields(CycleConfig)}, "every field needs a spec"


def describe(key: str) -> str:
    spec = SPECS[key]
    if spec[0] is str:
        return "one of " + ", ".join(spec[1])
    kind = "integer" if spec[0] is int else "number"
    return f"{kind} from {spec[1]:g} to {spec[2]:g}"


def coerce(key: str, raw: Any) -> Any:
    """``raw`` (a CLI string or a Python value) as a valid value of ``key``, or ConfigError."""
    spec = SPECS.get(key)
    if spec is None:
        raise ConfigError(key, raw, "a known setting (" + ", ".join(SPECS) + ")")
    if spec[0] is str:
        text = str(raw).strip()
        if text not in spec[1]:
            raise ConfigError(key, raw, describe(key))
        return text
    try:
        return parse_number(raw, spec[0], spec[1], spec[2])[0]
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(key, raw, describe(key)) from None


def check(cfg: CycleConfig) -> CycleConfig:
    """Validate every field and the pairing of the two domains; returns ``cfg`` or raises."""
    for f in fields(CycleConfig):
        value = getattr(cfg, f.name)
        if coerce(f.name, value) != value:
            raise ConfigError(f.name, value, describe(f.name))
    if (cfg.domain_x in DIGIT_DOMAINS) != (cfg.domain_y in DIGIT_DOMAINS):
        raise ConfigError("domain_y", cfg.domain_y, "of the same kind as domain_x (2D points or digits)")
    if not cfg.is_image and cfg.generator != "mlp":
        raise ConfigError("generator", cfg.generator, "mlp for 2D points")
    if not cfg.is_image and cfg.w_whole:
        raise ConfigError("w_whole", cfg.w_whole, "0 for 2D points")
    if cfg.lambda_shape and cfg.generator != "aligned":
        raise ConfigError("lambda_shape", cfg.lambda_shape, "0 unless generator is aligned")
    if cfg.domain_x == cfg.domain_y:
        raise ConfigError("domain_y", cfg.domain_y, "a different set from domain_x")
    return cfg


def apply_overrides(base: CycleConfig, overrides: Mapping[str, Any]) -> CycleConfig:
    """``base`` with ``key=value`` overrides (strings allowed); the first bad value raises."""
    changes = {key: coerce(key, raw) for key, raw in overrides.items()}
    return check(base.replace(**changes))


def from_dict(data: Mapping[str, Any]) -> CycleConfig:
    """Rebuild a config saved with ``to_dict`` (unknown keys refused)."""
    return apply_overrides(CycleConfig(), data)


# ---- presets ------------------------------------------------------------------------------
CYCLE_PRESETS: dict[str, CycleConfig] = {
    # Ring <-> two moons with small MLPs: 3-5 s on one busy core; the round trip with the cycle
    # loss is about 0.07, without it 0.5-2 (bench/cycle_2d.py).
    "cycle-2d": CycleConfig(),
    # Handwritten (the shipped MNIST digits) <-> typeset digits, never paired: aligned generators
    # (an affine transform, then a local editor at 14 x 14 with two residual blocks, 32 channels),
    # patch discriminators with a whole-digit score, and the shape term. About 7 min on one busy
    # thread. Seeds 0 and 1: G(x) keeps its digit for 92-93% of the held-out digits, F(G(x)) for
    # 94-95%, and a pixel judge calls 65-67% of G(x) typeset. Every recipe tried on the way, with
    # its numbers: bench/cycle_digits_tuning.md.
    "cycle-digits": CycleConfig(
        domain_x="handwritten", domain_y="typeset", lambda_cycle=5.0, lambda_id=1.0,
        lr_g=1e-3, lr_d=1e-3, batch=32, steps=3000, hidden=32, generator="aligned", w_whole=1.0,
        lambda_shape=10.0,
    ),
}
CYCLE_PRESETS = {name: check(cfg) for name, cfg in CYCLE_PRESETS.items()}
