"""One JSON line per finished training: what the server did, for a teacher or a bench to read.

``GAN_CLASSROOM_JOURNAL=path`` turns it on. Each line holds the run's key, how it ended, how
long it waited and trained, its steps and how many sessions asked for it.
"""
from __future__ import annotations

import json
import logging
import os

log = logging.getLogger(__name__)


def journal_path() -> str | None:
    return os.environ.get("GAN_CLASSROOM_JOURNAL") or None


def write(path: str | None, job, state: str | None = None) -> None:
    """Append ``job``'s line to ``path`` (nothing when ``path`` is None; a failed write is logged).

    ``state`` is how the job ended, when the caller writes the line before setting it on the job.
    """
    if not path:
        return
    started = job.started or job.submitted
    line = {
        "key": job.key, "state": state or job.state, "status": job.result.status if job.result else "",
        "submitted": job.submitted, "queued_s": round(started - job.submitted, 3),
        "run_s": round((job.finished or started) - started, 3), "steps": job.cfg.steps,
        "sessions": len(job.owners),
    }
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
    except OSError as err:
        log.warning("cannot write the training journal %s: %s", path, err)
