"""Streamlit pieces of the mode-collapse page: run status, findings in words, digit reports.

The numbers come from gan_core.modes; the figures from ui.mode_figures; training from the
shared job pool (never on the script thread).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from gan_core import modes
from gan_core.config import TrainConfig
from ui import mode_figures, run_view
from ui.i18n import current_lang, t

POLL_SECONDS = 1.5


def label(name: str, lang: str | None = None) -> str:
    """A preset's translated label: a study preset's short one (``ring8-pacgan`` -> "PacGAN (D
    sees pairs)"), else the presets catalogue's (``seed-book`` -> "the textbook's MNIST GAN ...")."""
    for dataset in modes.STUDIES:
        if name.startswith(dataset + "-"):
            key = f"mode_collapse.preset_{name[len(dataset) + 1:]}"
            text = t(key, lang=lang)
            return name if text == key else text
    text = t(f"presets.{name}", lang=lang)
    return name if text == f"presets.{name}" else text


def labeller():
    """format_func for preset widgets (the language captured now: AppTest formats later)."""
    lang = current_lang()
    return lambda name: label(name, lang)


def status_line(job) -> str:
    """One translated line for a job (or None: never submitted)."""
    if job is None:
        return t("mode_collapse.state_missing")
    if job.state == "queued":
        return t("mode_collapse.state_queued", n=run_view.pool().queue_position(job))
    if job.state == "running":
        return t("mode_collapse.state_running", step=job.step, total=job.total)
    if job.state == "failed" or job.result is None:
        return t("mode_collapse.state_failed", error=job.error or "?")
    r = job.result
    if r.status == "diverged":
        parts = r.message.split(":")
        return t("mode_collapse.state_diverged", step=parts[1] if len(parts) > 1 else "?")
    if job.cached and run_view.pool().store.is_shipped(r.config.key):
        return t("mode_collapse.state_shipped")
    if job.cached:
        return t("mode_collapse.state_cached")
    return t("mode_collapse.state_done", seconds=f"{r.seconds:.0f}")


def _icon(job) -> str:
    if job is None:
        return ":material/radio_button_unchecked:"
    if not job.done:
        return ":material/hourglass_top:"
    if job.state == "failed" or job.result is None or job.result.status != "ok":
        return ":material/warning:"
    return ":material/check_circle:"


def status_table(named_cfgs: list[tuple[str, TrainConfig]]) -> None:
    """Each preset's state; polls while any is queued or running, reruns the page when all finish."""
    pool = run_view.pool()

    def draw() -> bool:
        busy = False
        for name, cfg in named_cfgs:
            job = pool.peek(cfg)
            busy = busy or (job is not None and not job.done)
            st.markdown(f"{_icon(job)} **{label(name)}** — {status_line(job)}")
            if job is not None and job.state == "running":
                st.progress(job.fraction)
        return busy

    jobs = [pool.peek(cfg) for _, cfg in named_cfgs]
    if not any(j is not None and not j.done for j in jobs):
        draw()
        return

    @st.fragment(run_every=POLL_SECONDS)
    def _poll() -> None:
        if not draw():
            st.rerun()

    _poll()


def finished_results(named_cfgs: list[tuple[str, TrainConfig]]) -> dict:
    """name -> RunResult for the presets whose runs are finished (ok or diverged)."""
    out = {}
    for name, cfg in named_cfgs:
        job = run_view.pool().peek(cfg)
        if job is not None and job.done and job.result is not None and job.result.snapshots:
            out[name] = job.result
    return out


def shipped_finals(named_cfgs: list[tuple[str, TrainConfig]]) -> dict[str, np.ndarray] | None:
    """name -> final samples when every preset's run is shipped, read without PyTorch (a cold
    server draws the comparison while the engine is still loading); None otherwise."""
    from gan_core.shipped import final_samples

    out = {}
    for name, cfg in named_cfgs:
        samples = final_samples(cfg.key)
        if samples is None:
            return None
        out[name] = samples
    return out


def let_the_browser_fetch(seconds: float = 0.4) -> None:
    """On a server whose engine has not loaded yet, pause before loading it. The import holds
    Python's lock for long stretches, and the same process serves the browser the chart's code
    (4.7 MB): measured, the chart of a first visit appeared ~0.5 s later when the import ran
    right away. Once the engine is loaded this returns at once."""
    import sys
    import time

    if "torch" not in sys.modules:
        time.sleep(seconds)


def compare_chart(dataset: str, finals: dict[str, np.ndarray]) -> None:
    """The bar chart of modes captured and high-quality share, one pair of bars per preset."""
    stats = [modes.toy_stats(dataset, samples) for samples in finals.values()]
    st.plotly_chart(mode_figures.compare_figure([label(n) for n in finals], [s.captured for s in stats],
                                                [s.hq_share for s in stats], stats[0].n_modes),
                    width="stretch", key="mc_compare")


def _fmt_value(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def change_text(base: TrainConfig, other: TrainConfig) -> str:
    diffs = modes.config_changes(base, other)
    if not diffs:
        return t("mode_collapse.finding_same")
    return ", ".join(f"`{k}` {_fmt_value(a)} → {_fmt_value(b)}" for k, a, b in diffs)


def findings(dataset: str, results: dict) -> list[str]:
    """Sentences filled from the runs: each preset against the preset it changes."""
    base_of = dict(modes.STUDIES.get(dataset, ()))
    stats = {name: modes.toy_stats(r.config.toy_set, r.final_samples()) for name, r in results.items()}
    lines = []
    for name, r in results.items():
        s = stats[name]
        common = dict(name=label(name), captured=s.captured, modes=s.n_modes, hq=f"{100 * s.hq_share:.0f}",
                      verdict=t(f"mode_collapse.verdict_{modes.verdict(s)}"))
        base = base_of.get(name)
        if base is not None and base in results:
            b = stats[base]
            changes = change_text(results[base].config, r.config)
            lines.append(t("mode_collapse.finding_vs", base=label(base), changes=changes,
                           base_captured=b.captured, base_hq=f"{100 * b.hq_share:.0f}", **common))
        else:
            lines.append(t("mode_collapse.finding_first", **common))
    return lines


def hop_sentence(dataset: str, snapshots) -> str:
    hops, seq = modes.mode_hops(dataset, snapshots)
    if not seq:
        return t("mode_collapse.hops_none")
    return t("mode_collapse.hops", hops=hops, n=len(snapshots), sequence=" → ".join(str(m) for m in seq))


@st.cache_data(show_spinner=False, max_entries=64)
def real_sample(dataset: str, n: int = 1500) -> np.ndarray:
    from gan_core.data import sample_toy

    return sample_toy(dataset, n, np.random.default_rng(0))


# ---- digits -------------------------------------------------------------------------------
def classifier_ready() -> bool:
    try:
        from gan_core.classifier import CLASSIFIER_FILE
    except ImportError:
        return False
    return CLASSIFIER_FILE.exists()


def classifier_caption() -> str | None:
    try:
        from gan_core.classifier import classifier_info

        info = classifier_info()
    except Exception:  # a missing or odd sidecar only hides the caption
        return None
    acc = info.get("heldout_accuracy")
    data = info.get("data")
    n = data.get("heldout", "?") if isinstance(data, dict) else "?"
    if not isinstance(acc, (int, float)):
        return None
    return t("mode_collapse.classifier_info", acc=f"{100 * float(acc):.1f}", n=n)


@st.cache_data(show_spinner=False, max_entries=32)
def digit_report(key: str, _result) -> dict:
    """Digit mode report of a finished image run (cached by the run's key)."""
    return modes.digit_run_report(_result)


def digit_reports(rows: list) -> list[tuple[str, dict]]:
    """(name, report) for each (name, RunResult); a run that can't be labelled gets a message."""
    out = []
    for name, result in rows:
        if result.status != "ok" or not result.config.is_image:
            continue
        if not result.generator:  # shipped without weights: no fresh samples to label
            st.caption(f"{name}: " + t("run.no_weights"))
            continue
        try:
            out.append((name, digit_report(result.config.key, result)))
        except Exception:  # one bad run must not break the page
            st.warning(t("mode_collapse.digit_failed", name=name), icon=":material/warning:")
    return out
