"""Which CycleGAN models exist, where their weights live, and how they are fetched and checked.

* ``vintage`` (the default) ships inside the ``vintagify`` wheel (MIT); its file is located
  through ``importlib.metadata`` without importing the package, so it works offline.
* The official zoo's generators (BSD) are downloaded only on request, only from ``ZOO_URL`` for
  the names in ``ZOO_MODELS``, into ``cache_dir()/cyclegan/``. The SHA-256 seen on the first
  download (or of a file placed there by hand, on its first load) is recorded in
  ``registry.json`` there, and every later download and load is checked against it.

Weights are read with ``torch.load(..., weights_only=True)``: a checkpoint cannot run code.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

from gan_core.cyclegan.net import ResnetGenerator, generator_from_state_dict
from gan_core.files import cache_dir, sha256_file

DEFAULT_MODEL = "vintage"
ZOO_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/{name}.pth"
ZOO_MODELS = (
    "horse2zebra", "zebra2horse", "summer2winter_yosemite", "winter2summer_yosemite",
    "monet2photo", "style_monet", "style_vangogh", "style_ukiyoe", "style_cezanne",
    "apple2orange", "orange2apple",
)
MODELS = (DEFAULT_MODEL,) + ZOO_MODELS
# G: X -> Y and its partner F: Y -> X, where both directions exist.
REVERSE = {
    "horse2zebra": "zebra2horse", "zebra2horse": "horse2zebra",
    "summer2winter_yosemite": "winter2summer_yosemite", "winter2summer_yosemite": "summer2winter_yosemite",
    "apple2orange": "orange2apple", "orange2apple": "apple2orange",
    "style_monet": "monet2photo", "monet2photo": "style_monet",
}
VINTAGIFY_FILE = "vintagify/resources/G_A2B_epoch33.pth"


class ModelError(RuntimeError):
    """A model that can't be used. ``code``: unknown_model, offline, checksum, bad_weights,
    not_downloaded, missing_package."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(self.sentence())

    def sentence(self) -> str:
        name = self.params.get("name")
        return {
            "unknown_model": f"unknown model {name!r}: choose one of {', '.join(MODELS)}",
            "offline": f"could not download {name} (offline or server unreachable); "
                       f"the default model '{DEFAULT_MODEL}' still works",
            "checksum": f"{name}: downloaded weights do not match the SHA-256 recorded on first download",
            "bad_weights": f"{name}: the weights file is damaged or has an unexpected layout",
            "not_downloaded": f"{name} is not downloaded yet",
            "missing_package": "the vintagify package (which ships the default model) is not installed",
        }.get(self.code, self.code)


# ---- where weights live ---------------------------------------------------------------------
def check_name(name: str) -> str:
    if name not in MODELS:
        raise ModelError("unknown_model", name=name)
    return name


def zoo_dir() -> Path:
    return cache_dir() / "cyclegan"


def vintagify_path() -> Path:
    """The generator file inside the installed vintagify wheel (the package is not imported)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = Path(distribution("vintagify").locate_file(VINTAGIFY_FILE))
    except PackageNotFoundError:
        raise ModelError("missing_package") from None
    if not path.is_file():
        raise ModelError("missing_package")
    return path


def weights_path(name: str) -> Path:
    check_name(name)
    return vintagify_path() if name == DEFAULT_MODEL else zoo_dir() / f"{name}.pth"


def is_available(name: str) -> bool:
    """True when the weights are on disk (the default always is when vintagify is installed)."""
    try:
        return weights_path(name).is_file()
    except ModelError:
        return False


def zoo_url(name: str) -> str:
    """The allow-listed download address of a zoo model."""
    if name not in ZOO_MODELS:
        raise ModelError("unknown_model", name=name)
    return ZOO_URL.format(name=name)


# ---- the SHA-256 registry -------------------------------------------------------------------
def _registry_path() -> Path:
    return zoo_dir() / "registry.json"


def read_registry() -> dict[str, dict]:
    try:
        data = json.loads(_registry_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _record(name: str, digest: str, size: int) -> None:
    """Add ``name``'s first-seen SHA-256 to the registry (temp file, then rename)."""
    reg = read_registry()
    reg[name] = {"sha256": digest, "bytes": size, "url": zoo_url(name),
                 "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path = _registry_path()
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(reg, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


# ---- downloads --------------------------------------------------------------------------------
def _open_url(url: str, timeout: float = 20.0) -> tuple[int | None, Iterable[bytes]]:
    """(total bytes or None, chunk iterator). Tests replace this with a fake."""
    resp = urllib.request.urlopen(url, timeout=timeout)  # URL from zoo_url: allow-listed
    total = resp.headers.get("Content-Length")

    def chunks():
        with resp:
            while block := resp.read(1 << 16):
                yield block

    return (int(total) if total and total.isdigit() else None), chunks()


def zoo_reachable(timeout: float = 1.5) -> bool:
    """Whether the zoo's server answers a TCP connection (the CycleGAN page opens on the digits
    model, which ships with the app, when it does not)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(ZOO_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout):
            return True
    except OSError:
        return False


Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


def download(name: str, progress: Progress | None = None) -> Path:
    """Fetch a zoo model into the cache (temp file, then rename) and record/verify its SHA-256.

    Raises ModelError("offline") on any network failure, ModelError("checksum") when the
    bytes differ from the SHA-256 recorded on an earlier download.
    """
    url = zoo_url(name)
    folder = zoo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{name}.pth"
    h = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        try:
            total, chunks = _open_url(url)
            done = 0
            with os.fdopen(fd, "wb") as fh:
                for block in chunks:
                    fh.write(block)
                    h.update(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
        except OSError as err:  # URLError, timeouts, resets are all OSErrors
            raise ModelError("offline", name=name, detail=str(err)) from None
        if total is not None and done != total:
            raise ModelError("offline", name=name, detail="incomplete download")
        known = read_registry().get(name, {}).get("sha256")
        if known and known != h.hexdigest():
            raise ModelError("checksum", name=name)
        os.replace(tmp, final)
        if not known:
            _record(name, h.hexdigest(), done)
        return final
    finally:
        tmp.unlink(missing_ok=True)


# ---- loading ----------------------------------------------------------------------------------
def load_state_dict(name: str) -> dict[str, torch.Tensor]:
    """The raw tensors of a model (verified against the registry for zoo models)."""
    path = weights_path(name)
    if not path.is_file():
        raise ModelError("not_downloaded", name=name)
    if name != DEFAULT_MODEL:
        known = read_registry().get(name, {}).get("sha256")
        if known is None:  # a file placed by hand: record it now, so later changes are caught
            _record(name, sha256_file(path), path.stat().st_size)
        elif sha256_file(path) != known:
            raise ModelError("checksum", name=name)
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # pickle errors, truncation, a wrong file: all "damaged" to the user
        raise ModelError("bad_weights", name=name) from None
    if not isinstance(sd, dict):
        raise ModelError("bad_weights", name=name)
    return sd


def load_generator(name: str) -> ResnetGenerator:
    """Load a model by name (zoo models must be downloaded first), ready for ``translate``."""
    sd = load_state_dict(check_name(name))
    try:
        return generator_from_state_dict(sd)
    except (RuntimeError, KeyError, ValueError):
        raise ModelError("bad_weights", name=name) from None
