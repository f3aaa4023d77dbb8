"""Finished runs: kept in memory (LRU), on disk (content-addressed, size-capped) and shipped.

* A run's key is ``TrainConfig.key`` (a hash of its config and ENGINE_VERSION). Finished runs
  with status "ok" are written to ``<cache>/runs/<key>.pt`` through a temp file and an atomic
  rename, and read back with ``torch.load(weights_only=True)``. A file that fails to load or
  to validate is deleted, and the run is recomputed by whoever asks again.
* A diverged run is kept in memory only, so it can be shown, but never lands on disk.
* The disk part has a size cap (``GAN_CLASSROOM_CACHE_MB``, default 500 MB; a teacher may
  change it while the server runs). Past it, the least recently used entries are deleted
  first; an entry that is being read, or that is in the memory LRU, is never deleted.
* Shipped runs (``pretrained/``: the hyperparameter atlas, the mode-collapse defaults) are read
  from their own read-only packs and never evicted.
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Protocol

import torch

from gan_core.files import cache_dir
from gan_core.payload import from_payload, to_payload
from gan_core.train import RunResult

log = logging.getLogger(__name__)
DEFAULT_CAP_MB = 500


class Shipped(Protocol):
    """A read-only source of finished runs (``gan_core.shipped.Pack``)."""

    def get(self, key: str) -> RunResult | None: ...


def default_cap_mb() -> float:
    raw = os.environ.get("GAN_CLASSROOM_CACHE_MB", "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_CAP_MB
    return value if value > 0 else DEFAULT_CAP_MB


class RunStore:
    """Finished runs in memory (LRU), on disk (capped) and in shipped packs. Thread-safe."""

    def __init__(self, root: Path | None = None, memory_items: int = 24, cap_mb: float | None = None,
                 shipped: list[Shipped] | None = None):
        self.root = Path(root) if root is not None else cache_dir() / "runs"
        self.memory_items = memory_items
        self.cap_bytes = int((cap_mb if cap_mb is not None else default_cap_mb()) * 2**20)
        self.shipped = list(shipped) if shipped is not None else []
        self._mem: OrderedDict[str, RunResult] = OrderedDict()
        self._reading: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.disk_ok = True
        self.notice = ""  # "" or "cache_unwritable" (shown once by the UI)
        self.evicted = 0
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                raise PermissionError(str(self.root))
        except OSError as err:
            self._disable_disk(err)

    def _disable_disk(self, err: Exception) -> None:
        log.warning("run cache on disk disabled (%s): keeping runs in memory only", err)
        self.disk_ok = False
        self.notice = "cache_unwritable"

    def path(self, key: str) -> Path:
        return self.root / f"{key}.pt"

    # ---- reading ----------------------------------------------------------------------------
    def get(self, key: str) -> RunResult | None:
        with self._lock:
            if key in self._mem:
                self._mem.move_to_end(key)
                return self._mem[key]
        result = self._read(key)
        if result is None:
            result = self.get_shipped(key)
        if result is not None:
            self._remember(key, result)
        return result

    def get_shipped(self, key: str) -> RunResult | None:
        for pack in self.shipped:
            result = pack.get(key)
            if result is not None:
                return result
        return None

    def is_shipped(self, key: str) -> bool:
        return any(key in pack for pack in self.shipped)

    def _read(self, key: str) -> RunResult | None:
        path = self.path(key)
        if not path.is_file():
            return None
        with self._lock:
            self._reading[key] += 1
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            result = from_payload(payload)
            if result.config.key != key or result.status != "ok":
                raise ValueError("entry does not match its key")
            try:
                os.utime(path)  # last use, for the LRU eviction
            except OSError:
                pass
            return result
        except Exception as err:
            log.warning("ignoring damaged cache entry %s: %s", path.name, err)
            try:
                path.unlink()
            except OSError:
                pass
            return None
        finally:
            with self._lock:
                self._reading[key] -= 1
                if self._reading[key] <= 0:
                    del self._reading[key]

    def _remember(self, key: str, result: RunResult) -> None:
        with self._lock:
            self._mem[key] = result
            self._mem.move_to_end(key)
            while len(self._mem) > self.memory_items:
                self._mem.popitem(last=False)

    # ---- writing ----------------------------------------------------------------------------
    def put(self, result: RunResult) -> None:
        """Keep a finished run; only successful runs are written to disk."""
        key = result.config.key
        if result.status == "cancelled":
            return
        self._remember(key, result)
        if result.status != "ok" or not self.disk_ok or self.is_shipped(key):
            return
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.root)
            with os.fdopen(fd, "wb") as fh:
                torch.save(to_payload(result), fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path(key))
            tmp = None
        except OSError as err:
            self._disable_disk(err)
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        self.enforce_cap()

    # ---- the size cap ---------------------------------------------------------------------------
    def entries(self) -> list[tuple[str, int, float]]:
        """(key, bytes, last use) of every entry on disk, least recently used first."""
        out = []
        for path in self.root.glob("*.pt"):
            try:
                st = path.stat()
            except OSError:
                continue  # deleted meanwhile
            out.append((path.stem, st.st_size, st.st_mtime))
        return sorted(out, key=lambda e: e[2])

    def disk_bytes(self) -> int:
        return sum(size for _, size, _ in self.entries())

    def set_cap_mb(self, cap_mb: float) -> None:
        """A new cap (megabytes, > 0); applied at once."""
        if not (cap_mb > 0) or cap_mb > 10**7:
            raise ValueError("cap must be a positive number of megabytes")
        self.cap_bytes = int(cap_mb * 2**20)
        self.enforce_cap()

    def enforce_cap(self) -> int:
        """Delete least recently used entries until the disk part fits the cap; returns how many."""
        if not self.disk_ok:
            return 0
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        removed = 0
        for key, size, _ in entries:
            if total <= self.cap_bytes:
                break
            with self._lock:
                busy = key in self._reading or key in self._mem
            if busy:
                continue
            try:
                self.path(key).unlink()
            except OSError:
                continue
            total -= size
            removed += 1
        self.evicted += removed
        return removed

    def forget_memory(self) -> None:
        with self._lock:
            self._mem.clear()
