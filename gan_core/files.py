"""Where the engine's files live, and how a file is fingerprinted.

One home for the paths every module needs (the project root, the shipped ``pretrained/``
folder, the user's cache) and for the SHA-256 that sidecars record, so that no two modules
disagree about where a file is or how its digest is computed. No torch here.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRETRAINED = ROOT / "pretrained"  # files shipped with the app (classifier, the book's long run)


def cache_dir() -> Path:
    """Where runs, downloads and models are cached (GAN_CLASSROOM_CACHE overrides)."""
    env = os.environ.get("GAN_CLASSROOM_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gan-classroom"


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes, read 1 MiB at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class SidecarMismatch(ValueError):
    """A shipped file whose bytes are not the ones its sidecar records."""


def checked_sidecar(path: Path | str, sidecar: Path | str | None = None) -> dict:
    """The JSON sidecar of a shipped file (``<stem>.json`` next to it unless given), after checking
    that the file's SHA-256 is the one the sidecar records (SidecarMismatch names the file if not)."""
    path = Path(path)
    info = json.loads(Path(sidecar or path.with_suffix(".json")).read_text(encoding="utf-8"))
    if sha256_file(path) != info["sha256"]:
        raise SidecarMismatch(f"{path.name} does not match the SHA-256 in its sidecar")
    return info
