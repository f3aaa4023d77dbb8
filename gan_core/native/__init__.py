"""Small C kernels for the CycleGAN fast mode, compiled on this machine on first use.

``library()`` returns the loaded ``fastconv.c`` (a ``ctypes.CDLL`` with typed functions) or
None; ``why_unavailable()`` then gives the reason as (code, English sentence), the code being
one of ``REASONS`` (the page shows its own sentence for it, in both languages).

The shared library is built with the system C compiler (``$CC``, else ``cc`` / ``gcc`` /
``clang``) into ``cache_dir()/native/``, named by a hash of the source, the flags, the
compiler and the OpenMP runtime, so an edit or another compiler means a new build and a second
process finds the first one's. It needs an x86-64 CPU with AVX2 and FMA (the kernels use those
instructions) and OpenMP, and links against the libgomp torch itself loaded
(``torch_openmp``). When anything is missing the caller uses its pure-PyTorch path instead.
Nothing is downloaded: the source ships with the project. ``GAN_CLASSROOM_NATIVE=0`` turns the
kernels off.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import torch  # loaded first: its libgomp is the one the kernels link against (torch_openmp)

from gan_core.files import cache_dir

SOURCE = Path(__file__).with_name("fastconv.c")
FLAGS = ("-O3", "-mavx2", "-mfma", "-fopenmp", "-shared", "-fPIC", "-std=gnu11")
VERSION = 1  # fastconv_version() of the source this module's signatures describe

_P, _I, _L = ctypes.c_void_p, ctypes.c_int, ctypes.c_long
SIGNATURES = {
    "wg_input": [_P, _I, _I, _I, _I, _I, _I, _P, _P, _P, _I],
    "wg_output": [_P, _I, _I, _I, _I, _I, _I, _P, _P, _I],
    "add_scaled": [_P, _P, _L, _I, _P, _P, _I],
    "norm_relu_pad": [_P, _I, _I, _I, _I, _P, _P, _I, _I, _P, _I],
    "head7": [_P, _I, _I, _P, _P, _P, _L, _I],
}

REASONS = ("off", "cpu", "no_compiler", "build")

_lock = threading.Lock()
_state: dict[str, object] = {}


def compiler() -> str | None:
    """The C compiler to use, or None."""
    cc = os.environ.get("CC")
    if cc:
        return shutil.which(cc)
    return next((p for p in map(shutil.which, ("cc", "gcc", "clang")) if p), None)


def _unsupported() -> tuple[str, str] | None:
    if os.environ.get("GAN_CLASSROOM_NATIVE", "1") == "0":
        return "off", "the compiled kernels are turned off (GAN_CLASSROOM_NATIVE=0)"
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return "cpu", f"the compiled kernels need an x86-64 CPU (this is {platform.machine()})"
    if torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        return "cpu", "the compiled kernels need a CPU with AVX2"
    if compiler() is None:
        return "no_compiler", "no C compiler was found to build the compiled kernels"
    return None


def torch_openmp() -> Path | None:
    """The OpenMP runtime (libgomp) torch has loaded into this process, if any.

    Linking the kernels against that very file (rather than the compiler's ``-lgomp``) keeps one
    OpenMP runtime in the process even where torch bundles it under another name (some wheels
    ship ``libgomp-<hash>.so.1``): two runtimes would each keep their own spinning threads."""
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "/libgomp" in line}
    except OSError:
        return None
    torch_dir = Path(torch.__file__).resolve().parent
    ours = sorted(p for p in paths if Path(p).resolve().is_relative_to(torch_dir))
    return Path(ours[0]) if ours else None


def build(cc: str, out_dir: Path) -> Path:
    """Compile ``fastconv.c`` with ``cc`` into ``out_dir`` (reusing an earlier build of the
    same source, flags, compiler and OpenMP runtime); raises RuntimeError with the compiler's
    first error line."""
    gomp = torch_openmp()
    src = SOURCE.read_bytes()
    key = hashlib.sha256(src + " ".join(FLAGS).encode() + cc.encode() + str(gomp).encode()).hexdigest()[:16]
    target = out_dir / f"fastconv-{key}.so"
    if target.exists():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=out_dir)
    os.close(fd)
    obj = tmp[:-3] + ".o"
    if gomp is None:  # compile and link in one go, against the compiler's own libgomp
        steps = [[cc, *FLAGS, str(SOURCE), "-o", tmp, "-lm"]]
    else:  # -fopenmp only to compile: linking with it would add the system libgomp as well
        steps = [[cc, *[f for f in FLAGS if f != "-shared"], "-c", str(SOURCE), "-o", obj],
                 [cc, "-shared", obj, str(gomp), f"-Wl,-rpath,{gomp.parent}", "-o", tmp, "-lm"]]
    try:
        for cmd in steps:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                lines = [ln for ln in done.stderr.splitlines() if "error" in ln.lower()] or done.stderr.splitlines()
                raise RuntimeError(lines[0].strip() if lines else f"{cc} exited with {done.returncode}")
        os.replace(tmp, target)  # atomic: a process building at the same time gets a whole file
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RuntimeError(str(e)) from e
    finally:
        for leftover in (tmp, obj):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return target


def _load(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))
    for name, args in SIGNATURES.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, None
    lib.fastconv_version.restype = ctypes.c_int
    if lib.fastconv_version() != VERSION:
        raise RuntimeError(f"{path.name} is version {lib.fastconv_version()}, expected {VERSION}")
    return lib


def library() -> ctypes.CDLL | None:
    """The compiled kernels, built on the first call of the process (about a second), or None
    when this machine can't have them (see ``why_unavailable``)."""
    with _lock:
        if "lib" not in _state:
            reason = _unsupported()
            lib = None
            if reason is None:
                try:
                    lib = _load(build(compiler(), cache_dir() / "native"))
                except (RuntimeError, OSError, AttributeError) as e:
                    reason = "build", f"the compiled kernels could not be built ({e})"
            _state["lib"], _state["reason"] = lib, reason
        return _state["lib"]  # type: ignore[return-value]


def why_unavailable() -> tuple[str, str] | None:
    """None when ``library()`` works, else (code, sentence) saying why it doesn't."""
    library()
    return _state["reason"]  # type: ignore[return-value]


def reset() -> None:
    """Forget the loaded state (tests: after changing the environment)."""
    with _lock:
        _state.clear()
