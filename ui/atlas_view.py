"""Makes the shipped atlas visible in the Lab: one line under the settings says whether the
chosen settings open at once (atlas or already trained here) or train live, and how long."""
from __future__ import annotations

import streamlit as st

from gan_core import atlas
from gan_core.config import TrainConfig
from ui.i18n import t
from ui.run_view import pool


def _values(values) -> str:
    return " / ".join(f"{v:g}" for v in values)


def marker(cfg: TrainConfig | None) -> None:
    """Instant (shipped atlas run, or finished on this server) or live with an estimate."""
    if cfg is None:
        return
    from gan_core.slicer import estimate_seconds

    job = pool().peek(cfg)
    if job is not None and job.state == "done":
        shipped = pool().store.is_shipped(cfg.key)
        st.caption(":material/bolt: " + t("lab.atlas_instant" if shipped else "lab.atlas_cached"))
        return
    text = t("lab.atlas_live", seconds=f"{estimate_seconds(cfg):.0f}", lrs=_values(atlas.LRS),
             ks=_values(atlas.KS), nzs=_values(atlas.NZS))
    st.caption(":material/schedule: " + text)
