"""What the Compare page compares, as plain data: one knob (learning rate of both nets, k or
nz), its values (one run each) and the base settings every run shares, kept as a dict
``{"knob", "values", "base"}`` in the session. Read from a link (``from_query``: untrusted,
each bad value explained in one sentence, a sane default otherwise) and written back to it
(``to_query``); a Lab link names one run by its settings (``config_from_link``).
"""
from __future__ import annotations

from collections.abc import Mapping

from gan_core import atlas, config
from gan_core.config import PRESETS, SPECS, ConfigError, TrainConfig
from ui import params
from ui.i18n import t

MAX_RUNS = 5
MAX_MESSAGES = 3  # sentences about a bad link; the rest are counted
DEFAULT_KNOB = "lr"
FIELDS = {"lr": ("lr_g", "lr_d"), "k": ("k",), "nz": ("nz",)}
PASSIVE_KEYS = params.PASSIVE_KEYS | {"present"}  # owned by others: the language, presenter mode


def run_config(base: TrainConfig, knob: str, value: float) -> TrainConfig:
    """``base`` with the knob set to ``value`` (both learning rates for "lr")."""
    kind = SPECS[FIELDS[knob][0]].kind
    return config.check(base.replace(**{name: kind(value) for name in FIELDS[knob]}))


def default_state() -> dict:
    """The atlas view: learning rate compared on the quick recipe (k=1, nz=64), shipped runs."""
    return {"knob": DEFAULT_KNOB, "values": list(atlas.KNOBS[DEFAULT_KNOB]),
            "base": PRESETS[atlas.BASE_PRESET].to_dict()}


def same_apart_from(a: TrainConfig, b: TrainConfig, knob: str) -> bool:
    value = atlas.knob_value(a, knob)
    return run_config(a, knob, value) == run_config(b, knob, value)


def value_text(value: float) -> str:
    """A value as the link writes it: shortest exact text for floats (so it reads back equal)."""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)


def label(knob: str, value: float) -> str:
    return t(f"compare.label_{knob}", value=f"{value:g}")


def closest_preset(base: TrainConfig, knob: str) -> tuple[str, dict[str, str]]:
    """The preset ``base`` differs least from (the quick one on a tie) and those differences."""
    def diffs(name: str) -> dict[str, str]:
        preset = PRESETS[name]
        return {f: value_text(getattr(base, f)) for f in params.CONFIG_FIELDS
                if f not in FIELDS[knob] and getattr(base, f) != getattr(preset, f)}

    name = min(PRESETS, key=lambda n: (len(diffs(n)), n != atlas.BASE_PRESET))
    return name, diffs(name)


def to_query(state: dict) -> dict[str, str]:
    """The link's parameters: knob, values and (unless quick) the base settings."""
    knob, base = state["knob"], TrainConfig(**state["base"])
    query = {"knob": knob, "values": ",".join(value_text(v) for v in state["values"])}
    preset, diffs = closest_preset(base, knob)
    if preset != atlas.BASE_PRESET or diffs:
        query["preset"] = preset
    query.update(diffs)
    return query


def parse_values(knob: str, raw: str | None) -> tuple[list, list[str]]:
    """The knob's values from ``values=a,b,c``: bad ones dropped with a sentence, sorted."""
    if raw is None:
        return list(atlas.KNOBS[knob]), []
    spec = SPECS[FIELDS[knob][0]]
    good, bad, messages = [], [], []
    for part in str(raw)[:400].split(",")[:4 * MAX_RUNS]:
        try:
            value = config.parse_number(part, spec.kind, spec.lo, spec.hi)[0]
        except (TypeError, ValueError, OverflowError):
            bad.append(part)
            continue
        if value not in good:
            good.append(value)
    if bad:
        messages.append(t("compare.bad_values", knob=knob, values=params.safe_value(",".join(bad)),
                          allowed=params.describe(spec)))
    if len(good) > MAX_RUNS:
        messages.append(t("compare.too_many", n=MAX_RUNS))
        good = good[:MAX_RUNS]
    if not good:
        good = list(atlas.KNOBS[knob])
    return sorted(good), messages


def from_query(query: Mapping[str, str]) -> tuple[dict, list[str]]:
    """(state, messages) from a link's parameters; never raises, anything bad is explained."""
    query = {k: v for k, v in query.items() if k not in PASSIVE_KEYS}
    if not query:
        return default_state(), []
    messages: list[str] = []
    knob, raw_values = query.pop("knob", DEFAULT_KNOB), query.pop("values", None)
    if knob not in FIELDS:
        messages.append(t("compare.bad_knob", value=params.safe_value(knob), options=", ".join(FIELDS)))
        knob, raw_values = DEFAULT_KNOB, None
    preset = query.pop("preset", atlas.BASE_PRESET)
    if preset not in PRESETS:
        messages.append(t("params.unknown_preset", value=params.safe_value(preset),
                          options=", ".join(PRESETS)))
        preset = atlas.BASE_PRESET
    overrides = {}
    for key, raw in query.items():
        if key in FIELDS[knob]:  # the knob's own fields are set run by run
            continue
        try:
            config.coerce(key, raw)  # no clamping: an absurd value is refused and the preset's is kept
            overrides[key] = raw
        except ConfigError as err:
            messages.append(params.explain(err))
    try:
        base = config.apply_overrides(PRESETS[preset], overrides, clamp=True)[0]
        messages.extend(params.adjusted(overrides, base, set()))
    except ConfigError as err:
        messages.append(params.explain(err))
        base = PRESETS[preset]
    values, problems = parse_values(knob, raw_values)
    messages.extend(problems)
    if len(messages) > MAX_MESSAGES:
        messages = [*messages[:MAX_MESSAGES], t("compare.more_problems", n=len(messages) - MAX_MESSAGES)]
    return {"knob": knob, "values": values, "base": base.to_dict()}, messages


def snapshot_at(result, step: int | None) -> int:
    """Index of the run's last snapshot at or before ``step`` (its first if none is)."""
    steps = [s.step for s in result.snapshots]
    if step is None:
        return len(steps) - 1
    return max([i for i, s in enumerate(steps) if s <= step], default=0)



def config_from_link(text: str) -> tuple[TrainConfig | None, str]:
    """The run a Lab link describes (``?preset=..&lr_g=..``), or (None, the sentence why not)."""
    from urllib.parse import parse_qsl, urlsplit

    raw = str(text).strip()[:2000]
    try:
        pairs = dict(parse_qsl(urlsplit(raw).query if "?" in raw else raw, max_num_fields=60))
    except ValueError:
        pairs = {}
    pairs = {k: v for k, v in pairs.items() if k not in PASSIVE_KEYS}
    if not pairs:
        return None, t("compare.bad_link")
    preset = pairs.pop("preset", atlas.BASE_PRESET)
    if preset not in PRESETS:
        return None, t("params.unknown_preset", value=params.safe_value(preset), options=", ".join(PRESETS))
    try:
        return config.apply_overrides(PRESETS[preset], pairs)[0], ""
    except ConfigError as err:
        return None, params.explain(err)



def base_line(s: dict) -> str:
    """What every run shares, in one line: the recipe, the other knobs, what differs from it."""
    knob, base = s["knob"], TrainConfig(**s["base"])
    preset, diffs = closest_preset(base, knob)
    shown = {"lr": (f"{base.lr_g:g}" if base.lr_g == base.lr_d else f"{base.lr_g:g} / {base.lr_d:g}"),
             "k": str(base.k), "nz": str(base.nz)}
    parts = [t(f"compare.label_{k}", value=v) for k, v in shown.items() if k != knob]
    parts += [f"{k} = {v}" for k, v in diffs.items() if k not in ("lr_g", "lr_d", "k", "nz")]
    return t("compare.same_for_all", preset=preset, settings=" · ".join(parts))



def add_value(s: dict, value: float) -> tuple[str | None, str]:
    """Add a run by its knob value; returns a notice (kind, sentence) or (None, "")."""
    if value in s["values"]:
        return "info", t("compare.already", run=label(s["knob"], value))
    if len(s["values"]) >= MAX_RUNS:
        return "error", t("compare.too_many", n=MAX_RUNS)
    s["values"] = sorted([*s["values"], value])
    return None, ""


def add_run(s: dict, cfg: TrainConfig) -> tuple[str | None, str]:
    """Add a run given by all its settings: its knob value joins the values and, when its other
    settings differ from the base, they become the base of every run. Returns a notice."""
    knob = s["knob"]
    if knob == "lr" and cfg.lr_g != cfg.lr_d:
        return "error", t("compare.lr_differ", lr_g=f"{cfg.lr_g:g}", lr_d=f"{cfg.lr_d:g}")
    value = atlas.knob_value(cfg, knob)
    if value not in s["values"] and len(s["values"]) >= MAX_RUNS:
        return "error", t("compare.too_many", n=MAX_RUNS)
    changed = not same_apart_from(cfg, TrainConfig(**s["base"]), knob)
    if changed:
        s["base"] = cfg.to_dict()
    if value not in s["values"]:
        s["values"] = sorted([*s["values"], value])
    return ("info", t("compare.base_changed")) if changed else (None, "")
