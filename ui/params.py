"""Settings <-> widgets <-> URL query string, with validation messages: the app's one home for
reading, checking and writing query parameters.

Values from the URL are untrusted: unknown keys are ignored, bad types refused and numbers
outside their range clamped, each with a translated message shown back through ``safe_value``.
Two users: the Lab, whose URL holds ``preset`` plus the fields that differ from it so that a link
reproduces a run (``config_from_url`` .. ``write_url``), and pages with a few loose settings
(the training procedure, minimax), which read one parameter at a time (``url_number``,
``url_choice``), keep their widgets' stored values valid (``guard``) and mirror changes back
(``write_params``).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import fields

import streamlit as st

from gan_core.config import (
    PRESETS,
    SPECS,
    ConfigError,
    FieldSpec,
    TrainConfig,
    apply_overrides,
    check,
    coerce,
    parse_number,
)
from ui.i18n import current_lang, t

CONFIG_FIELDS = tuple(f.name for f in fields(TrainConfig))
PASSIVE_KEYS = {"lang", "present"}  # query params other pages/features own
MAX_SHOWN = 40


def safe_value(raw: object) -> str:
    """A user-supplied value made safe to show inside markdown (code span, truncated)."""
    text = str(raw).replace("`", "'").replace("\n", " ")
    if len(text) > MAX_SHOWN:
        text = text[: MAX_SHOWN - 1] + "…"
    return f"`{text}`"


def describe(spec: FieldSpec) -> str:
    """The allowed values of a field, in the current language."""
    if spec.choices is not None:
        return t("params.choices", options=", ".join(str(c) for c in spec.choices))
    if spec.kind is bool:
        return t("params.boolean")
    if spec.kind is str:  # a drawing's code
        return t("params.drawing")
    kind = t("params.integer") if spec.kind is int else t("params.number")
    return t("params.range", kind=kind, lo=f"{spec.lo:g}", hi=f"{spec.hi:g}")


def explain(err: ConfigError) -> str:
    """A translated sentence for a ConfigError."""
    spec = SPECS.get(err.key)
    if spec is None:
        return t("params.unknown_key", key=safe_value(err.key))
    allowed = describe(spec)
    if err.allowed != spec.describe():  # a combination rule, not the field's plain range
        allowed = safe_value(err.allowed)
    return t("params.bad_value", key=err.key, value=safe_value(err.value), allowed=allowed)


def preset_labeller():
    """format_func: ``name — description`` when the catalogue describes the preset, else the name."""
    lang = current_lang()

    def label(name: str) -> str:
        key = f"presets.{name}"
        desc = t(key, lang=lang)
        return name if desc == key else f"{name} — {desc}"

    return label


def widget_key(prefix: str, name: str) -> str:
    return f"{prefix}_{name}"


def load_into_widgets(prefix: str, cfg: TrainConfig, names: Iterable[str] = CONFIG_FIELDS) -> None:
    for name in names:
        st.session_state[widget_key(prefix, name)] = getattr(cfg, name)


def config_from_url(default_preset: str) -> tuple[str, TrainConfig, list[str]]:
    """(preset name, config, messages) from ``st.query_params``; never raises."""
    params = {k: st.query_params.get(k) for k in st.query_params.keys()}
    messages: list[str] = []
    preset = params.pop("preset", None) or default_preset
    if preset not in PRESETS:
        messages.append(t("params.unknown_preset", value=safe_value(preset), options=", ".join(PRESETS)))
        preset = default_preset
    overrides = {}
    for key, raw in params.items():
        if key in PASSIVE_KEYS:
            continue
        if key not in SPECS:
            messages.append(t("params.unknown_key", key=safe_value(key)))
            continue
        overrides[key] = raw
    try:
        cfg, problems = apply_overrides(PRESETS[preset], overrides, clamp=True)
    except ConfigError as err:  # a combination the clamp could not repair
        messages.append(explain(err))
        return preset, PRESETS[preset], messages
    messages.extend(explain(p) for p in problems)
    messages.extend(adjusted(overrides, cfg, {p.key for p in problems}))
    return preset, cfg, messages


def adjusted(overrides: dict[str, object], cfg: TrainConfig, reported: set[str]) -> list[str]:
    """One sentence per link value that was valid alone but changed to fit the others (e.g.
    look-alike groups with a conditional run, a packing that doesn't divide the batch)."""
    out = []
    for key, raw in overrides.items():
        if key in reported:
            continue
        try:
            asked = coerce(key, raw, clamp=True)[0]
        except ConfigError:
            continue
        used = getattr(cfg, key)
        if used != asked:
            out.append(t("params.adjusted", key=key, value=safe_value(asked), used=safe_value(used)))
    return out


def config_from_widgets(prefix: str, base: TrainConfig) -> tuple[TrainConfig | None, str]:
    """Read every widget of ``prefix`` into a validated config; (None, message) if invalid."""
    values = {}
    for name in CONFIG_FIELDS:
        key = widget_key(prefix, name)
        values[name] = st.session_state.get(key, getattr(base, name))
    try:
        cfg = check(base.replace(**values))
    except (ConfigError, TypeError) as err:
        return None, explain(err) if isinstance(err, ConfigError) else str(err)
    return cfg, ""


def url_params(preset: str, cfg: TrainConfig) -> dict[str, str]:
    """Query params that reproduce ``cfg``: the preset plus the fields that differ from it."""
    base = PRESETS.get(preset, TrainConfig())
    out = {"preset": preset}
    for name in CONFIG_FIELDS:
        value = getattr(cfg, name)
        if value != getattr(base, name):
            out[name] = url_text(value)
    return out


def url_text(value: object) -> str:
    """A value as the URL shows it: booleans ``true``/``false``, floats short (``f"{x:g}"``)."""
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def write_url(preset: str, cfg: TrainConfig) -> None:
    """Mirror ``cfg`` into the address bar (keeps the language).

    An address that already opens these settings is left as it is: a changed address makes the
    browser redraw the whole page and the server run it twice (a student who opened a shared
    link and pressed Train paid about 2 s of browser time for nothing)."""
    shown_preset, shown, messages = config_from_url(default_preset=preset)
    if not messages and shown_preset == preset and shown == cfg:
        return
    lang = st.query_params.get("lang")
    st.query_params.clear()
    st.query_params.update(url_params(preset, cfg))
    if lang:
        st.query_params["lang"] = lang


# ---- one parameter at a time (pages with a few loose settings) ---------------------------------
def url_number(key: str, lo: float, hi: float, kind: type = float) -> tuple[float | None, str | None]:
    """A number from ``?key=`` checked against [lo, hi]: (value or None, message or None).

    Missing: (None, None). Not a number: refused. Out of range: clamped. Either way a message."""
    raw = st.query_params.get(key)
    if raw is None:
        return None, None
    shown = {"key": key, "value": safe_value(raw), "lo": f"{lo:g}", "hi": f"{hi:g}"}
    try:
        value, clamped = parse_number(raw, kind, lo, hi, clamp=True)
    except (TypeError, ValueError, OverflowError):
        return None, t("procedure.url_refused", **shown)
    if clamped:
        return value, t("procedure.url_clamped", **shown, used=f"{value:g}")
    return value, None


def url_choice(key: str, choices: tuple[str, ...]) -> tuple[str | None, str | None]:
    """One of ``choices`` from ``?key=``: (value or None, message or None); missing is (None, None)."""
    raw = st.query_params.get(key)
    if raw is None:
        return None, None
    if raw in choices:
        return raw, None
    return None, t("procedure.url_choice", key=key, value=safe_value(raw), options=", ".join(choices))


def write_params(values: dict[str, object]) -> None:
    """Mirror a page's settings into the address bar, leaving the other parameters alone
    (written as ``url_text`` writes them)."""
    for key, value in values.items():
        st.query_params[key] = url_text(value)


def guard(key: str, lo: float, hi: float, default, kind: type = float) -> None:
    """Keep a widget's stored value inside [lo, hi] (a bad value would make the widget raise)."""
    value = st.session_state.get(key, default)
    try:
        value = float(value)
        if not math.isfinite(value):
            raise ValueError
    except (TypeError, ValueError):
        value = default
    st.session_state[key] = kind(min(max(value, lo), hi))


def guard_choice(key: str, choices: tuple, default) -> None:
    """Keep a widget's stored value one of ``choices``."""
    if st.session_state.get(key) not in choices:
        st.session_state[key] = default


def show_messages(state_key: str) -> None:
    """The link messages a page kept in ``st.session_state[state_key]``, as warnings."""
    for msg in st.session_state.get(state_key, []):
        st.warning(msg, icon=":material/link_off:")
