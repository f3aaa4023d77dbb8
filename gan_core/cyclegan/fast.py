"""The fast mode: the same generator run by OpenVINO, a library made for CPU inference.

``fast_mode(name)`` loads the generator, converts it once per model and process
(``openvino.convert_model`` traces it on a small example; height and width stay free), compiles
it for this CPU at OpenVINO's default precision (bfloat16 or float16 where the CPU has units for
them, else float32) and keeps the result; the ``MAX_CACHED`` most recently used models stay
compiled. Each call gets its own infer request, so sessions translating at the same time
never share buffers. The picture matches the standard path to a grey level or two (the
bench prints the PSNR on every bundled photo).

Where OpenVINO is not installed, or cannot convert or compile the model, the fast mode is the
standard PyTorch generator and ``FastMode.reason`` says why (``REASONS``).

Telemetry: OpenVINO's model converter sends usage statistics unless the user has opted out
(``opt_in_out --opt_out``, which writes to the home folder); when its ``openvino_telemetry``
package cannot be imported it uses a built-in no-op stub. ``_openvino()`` makes that package
unimportable in this process before the converter is first loaded (nothing is written to disk),
and refuses OpenVINO when the real package was loaded by someone earlier.
"""
from __future__ import annotations

import sys
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from gan_core.cyclegan.checkpoints import load_generator

MAX_CACHED = 2  # compiled models kept per process (about 45 MB of weights each)
EXAMPLE_SIDE = 64  # the tracing example; the compiled model takes any size
REASONS = ("missing", "failed")


@dataclass(frozen=True)
class FastMode:
    """What the fast mode of one model runs: ``generator`` is called like the PyTorch module
    (1 x 3 x H x W float in [-1, 1] -> the same shape); ``engine`` is "openvino" or "pytorch",
    and for the latter ``reason`` is one of ``REASONS`` and ``detail`` the error."""

    generator: Callable[[torch.Tensor], torch.Tensor]
    engine: str
    reason: str | None = None
    detail: str = ""

    def sentence(self) -> str:
        """One English line for the command line."""
        if self.reason is None:
            return "fast mode: OpenVINO"
        why = "OpenVINO is not installed" if self.reason == "missing" else \
            f"OpenVINO could not prepare the model ({self.detail})"
        return f"{why}: the fast mode runs the standard PyTorch path"


class OpenVinoGenerator:
    """A compiled OpenVINO model with the PyTorch generator's call signature."""

    engine = "openvino"

    def __init__(self, compiled):
        self.compiled = compiled

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        request = self.compiled.create_infer_request()  # per call: thread-safe, freed afterwards
        array = np.ascontiguousarray(x.detach().numpy(), dtype=np.float32)
        return torch.from_numpy(request.infer({0: array})[0])


def openvino_installed() -> bool:
    """Whether OpenVINO can be imported (a cheap look-up: nothing is loaded)."""
    from importlib.util import find_spec

    try:
        return find_spec("openvino") is not None
    except (ImportError, ValueError):
        return False


def _openvino():
    """The ``openvino`` module with its converter's telemetry off (see the module docstring);
    ImportError when it is not installed, RuntimeError when the telemetry can't be kept off."""
    if "openvino.tools.ovc" not in sys.modules:
        sys.modules.setdefault("openvino_telemetry", None)  # None: `import` raises ImportError
    if sys.modules.get("openvino_telemetry", None) is not None:
        raise RuntimeError("OpenVINO's telemetry package was already loaded, so it could not be kept off")
    import openvino

    return openvino


def compile_generator(gen: torch.nn.Module) -> OpenVinoGenerator:
    """``gen`` converted and compiled by OpenVINO for this CPU (ImportError: not installed)."""
    ov = _openvino()
    # tracing warns that torch.jit.trace is deprecated and that shape checks become constants
    # (the network has no shape-dependent branches): noise on the command line, so hushed
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ov.convert_model(gen, example_input=torch.zeros(1, 3, EXAMPLE_SIDE, EXAMPLE_SIDE))
    threads = {"INFERENCE_NUM_THREADS": torch.get_num_threads()}
    return OpenVinoGenerator(ov.Core().compile_model(model, "CPU", threads))


def prepare(gen: torch.nn.Module) -> FastMode:
    """The fast mode of ``gen``: OpenVINO, or ``gen`` itself with the reason why not."""
    try:
        _openvino()
    except ImportError:
        return FastMode(gen, "pytorch", "missing")
    except RuntimeError as err:
        return FastMode(gen, "pytorch", "failed", str(err))
    try:
        return FastMode(compile_generator(gen), "openvino")
    except Exception as err:  # conversion and compilation raise many types: any means "use PyTorch"
        lines = str(err).strip().splitlines()
        return FastMode(gen, "pytorch", "failed", lines[0] if lines else type(err).__name__)


_lock = threading.Lock()
_cache: OrderedDict[str, FastMode] = OrderedDict()
_building: dict[str, threading.Lock] = {}


def fast_mode(name: str) -> FastMode:
    """The fast mode of the model ``name`` (which must be on disk), prepared once per process:
    two sessions asking at once wait for one conversion. ModelError as ``load_generator``."""
    with _lock:
        if name in _cache:
            _cache.move_to_end(name)
            return _cache[name]
        building = _building.setdefault(name, threading.Lock())
    with building:
        with _lock:
            if name in _cache:
                return _cache[name]
        mode = prepare(load_generator(name))
        with _lock:
            _cache[name] = mode
            while len(_cache) > MAX_CACHED:
                _cache.popitem(last=False)
    return mode


def forget() -> None:
    """Drop every prepared fast mode (tests: after changing what is installed)."""
    with _lock:
        _cache.clear()
