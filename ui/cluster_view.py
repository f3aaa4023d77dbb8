"""What the pages say about the Ray cluster (gan_core/cluster.py), when the app uses one.

Student pages never ask which backend trains: they get one sentence for a run that failed on
the cluster, and one notice when a configured cluster is not used. The teacher's view gets a
short status of the cluster. Without a cluster none of this shows.
"""
from __future__ import annotations

import streamlit as st

from ui.i18n import t

PREFIX = "cluster:"


def failure_text(error: str) -> str:
    """The sentence for a failed run: its cluster reason when there is one, else the usual."""
    if error.startswith(PREFIX):
        code = error[len(PREFIX):].split()[0] if error[len(PREFIX):].strip() else ""
        key = f"cluster.failed_{code}"
        text = t(key)
        if text != key:
            return text
    return t("run.failed")


def pool_notice(pool) -> None:
    """Say so when a cluster was configured but this server trains by itself."""
    notice = getattr(pool, "notice", "")
    if notice:
        st.info(t(f"cluster.{notice}"), icon=":material/cloud_off:")


def teacher_panel() -> None:
    """For the teacher: where trainings run and how busy the whole cluster is."""
    from gan_core.pool import default_pool

    pool = default_pool()
    if pool.isolation != "ray":
        pool_notice(pool)
        return
    st.subheader(t("cluster.title"))
    try:
        view = pool._backends[0].overview()
    except Exception:
        st.warning(t("cluster.down"), icon=":material/cloud_off:")
        return
    st.caption(t("cluster.line", address=pool.ray_address, nodes=view["nodes"], cpus=view["capacity"]))
    states = [run["state"] for run in view["runs"]]
    running = sum(s in ("starting", "running") for s in states)
    st.caption(t("cluster.counts", running=running, queued=states.count("queued")))
