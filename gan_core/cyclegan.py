"""Pretrained CycleGAN generators: checkpoint loading, downloads, image in -> image out.

One ``ResnetGenerator`` class (ResNet-9, ngf 64, reflection padding, InstanceNorm, tanh) loads
both checkpoint layouts we meet:

* the ``vintagify`` package's (modern -> vintage photos, MIT): affine InstanceNorm, residual
  convs under ``model.N.block.*``; shipped in the wheel, so it works offline;
* the official junyanz zoo's (BSD): non-affine InstanceNorm, ``model.N.conv_block.*``, and in
  old files stale InstanceNorm buffers (``running_mean`` ...) that are dropped before loading.

Zoo files are downloaded only on request, only from ``ZOO_URL``, into
``cache_dir()/cyclegan/``; the SHA-256 seen on the first download is recorded in
``registry.json`` there and every later load is checked against it.

Inference: ``translate(gen, pixels, size)`` resizes to a working size (multiples of 4), maps
[0, 255] -> [-1, 1], runs the generator under ``torch.inference_mode`` in channels-last memory
format with an InstanceNorm that keeps that format and works in place (see bench/cyclegan.py),
and maps back. ``preview_generator(gen)`` builds the optional fast preview: the same network
with its big 3x3 convolutions in int8.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
from PIL import Image
from torch import nn

from gan_core.data import cache_dir

# ---- the model list -------------------------------------------------------------------------
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
SIZES = ("256", "512", "original")
MAX_ORIGINAL_SIDE = 1024  # "original" is scaled down to this long side (time and memory)
ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "pretrained" / "samples"
SAMPLES = ("astronaut.jpg", "cat.jpg", "coffee.jpg", "rocket.jpg")  # credits: pretrained/samples/README.md


class ModelError(RuntimeError):
    """A model that can't be used. ``code``: unknown_model, offline, checksum, bad_weights,
    not_downloaded, missing_package."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(self.sentence())

    def sentence(self) -> str:
        p = self.params
        return {
            "unknown_model": f"unknown model {p.get('name')!r}: choose one of {', '.join(MODELS)}",
            "offline": f"could not download {p.get('name')} (offline or server unreachable); the default model '{DEFAULT_MODEL}' still works",
            "checksum": f"{p.get('name')}: downloaded weights do not match the SHA-256 recorded on first download",
            "bad_weights": f"{p.get('name')}: the weights file is damaged or has an unexpected layout",
            "not_downloaded": f"{p.get('name')} is not downloaded yet",
            "missing_package": "the vintagify package (which ships the default model) is not installed",
        }.get(self.code, self.code)


# ---- the network ----------------------------------------------------------------------------
class InstanceNorm(nn.InstanceNorm2d):
    """InstanceNorm2d (same parameters and state-dict keys) with a faster inference path.

    PyTorch's instance norm reshapes its input to one big batch-norm, which copies a
    channels-last tensor to contiguous and back. Here the statistics come from one
    ``var_mean`` pass and the normalisation is a single ``addcmul`` that keeps the memory
    format. Training (autograd) uses the stock implementation.
    """

    inplace = False  # ResnetGenerator turns this on for its own layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training or torch.is_grad_enabled() or self.track_running_stats:
            return super().forward(x)
        var, mean = instance_var_mean(x)
        scale = torch.rsqrt(var + self.eps)
        if self.affine:
            scale = scale * self.weight.view(1, -1, 1, 1)
        shift = -mean * scale
        if self.affine:
            shift = shift + self.bias.view(1, -1, 1, 1)
        # In place when the caller allows it (the generator does: a conv output is never reused),
        # which halves the peak memory of full-resolution layers.
        return torch.addcmul(shift, x, scale, out=x) if self.inplace else torch.addcmul(shift, x, scale)


STAT_CHUNK = 1 << 21  # values per temporary when computing variances of big maps (8 MB)


def instance_var_mean(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image, per-channel (biased variance, mean) of B x C x H x W, shaped B x C x 1 x 1.

    ``torch.var_mean`` over (H, W) of a channels-last tensor walks memory with a stride of C
    and took 16% of the generator's time at 256 x 256. Here the map is viewed as B x HW x C
    (no copy) and reduced over its middle axis: the mean first, then the mean squared
    deviation (two passes, as stable as var_mean), in row chunks so the temporary stays small.
    """
    if not x.is_contiguous(memory_format=torch.channels_last) or x.dim() != 4:
        return torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
    b, c, h, w = x.shape
    x3 = x.permute(0, 2, 3, 1).reshape(b, h * w, c)
    mean = x3.mean(1, keepdim=True)  # B x 1 x C
    rows = max(1, STAT_CHUNK // c)
    var = torch.zeros_like(mean)
    for r in range(0, h * w, rows):
        var += (x3[:, r : r + rows] - mean).square_().sum(1, keepdim=True)
    var /= h * w
    return var.permute(0, 2, 1).reshape(b, c, 1, 1), mean.permute(0, 2, 1).reshape(b, c, 1, 1)


class ResnetBlock(nn.Module):
    """x + [pad, conv3x3, norm, ReLU, pad, conv3x3, norm](x).

    Args:
        dim: channels in and out.
        affine: InstanceNorm with learned scale/shift (vintagify) or without (zoo).
    """

    def __init__(self, dim: int, affine: bool):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3),
            InstanceNorm(dim, affine=affine),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3),
            InstanceNorm(dim, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's ResNet generator; indices match both checkpoint layouts.

    Args:
        affine: learned InstanceNorm parameters (vintagify) or none (zoo).
        ngf: channels of the first layer (64 in both).
        n_blocks: residual blocks (9 in both).
    Input B x 3 x H x W in [-1, 1] with H, W multiples of 4; output the same shape in [-1, 1].
    """

    def __init__(self, affine: bool = False, ngf: int = 64, n_blocks: int = 9):
        super().__init__()
        norm = lambda c: InstanceNorm(c, affine=affine)  # noqa: E731
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), norm(ngf), nn.ReLU(True),  # 0-3: B x 64 x H x W
            nn.Conv2d(ngf, ngf * 2, 3, 2, 1), norm(ngf * 2), nn.ReLU(True),  # 4-6: B x 128 x H/2 x W/2
            nn.Conv2d(ngf * 2, ngf * 4, 3, 2, 1), norm(ngf * 4), nn.ReLU(True),  # 7-9: B x 256 x H/4 x W/4
        ]
        layers += [ResnetBlock(ngf * 4, affine) for _ in range(n_blocks)]  # 10-18: same shape
        layers += [
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 3, 2, 1, output_padding=1), norm(ngf * 2), nn.ReLU(True),  # B x 128 x H/2 x W/2
            nn.ConvTranspose2d(ngf * 2, ngf, 3, 2, 1, output_padding=1), norm(ngf), nn.ReLU(True),  # B x 64 x H x W
            nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh(),  # B x 3 x H x W
        ]
        self.model = nn.Sequential(*layers)
        for m in self.modules():
            if isinstance(m, InstanceNorm):
                m.inplace = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() or x.shape[-2] * x.shape[-1] <= TILE_PIXELS:
            return self.model(x)
        # Large pictures: the last layer (reflection pad, 7x7 conv to RGB, tanh) runs in strips
        # of rows. A padded copy of the full 64-channel map would be the biggest tensor of the
        # whole pass (~200 MB at 1024 x 768); no normalisation follows, so strips are exact.
        h = self.model[:-3](x)
        return _strip_head(h, self.model[-2])


TILE_PIXELS = 512 * 512  # above this many pixels the last layer runs in strips
STRIP_ROWS = 128


def _reflect_rows(lo: int, hi: int, n: int) -> torch.Tensor:
    """Row indices lo..hi-1 reflected into 0..n-1 the way ReflectionPad2d does."""
    idx = torch.arange(lo, hi).abs()
    return torch.where(idx >= n, 2 * (n - 1) - idx, idx)


def _strip_head(h: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """tanh(conv(reflection_pad(h, 3))) computed STRIP_ROWS output rows at a time."""
    n_rows = h.shape[-2]
    pad = conv.kernel_size[0] // 2
    out = []
    for r0 in range(0, n_rows, STRIP_ROWS):
        r1 = min(r0 + STRIP_ROWS, n_rows)
        rows = h.index_select(2, _reflect_rows(r0 - pad, r1 + pad, n_rows))
        rows = nn.functional.pad(rows, (pad, pad, 0, 0), mode="reflect")
        out.append(torch.tanh(conv(rows)))
    return torch.cat(out, dim=2)


_STALE = ("running_mean", "running_var", "num_batches_tracked")


def normalize_state_dict(sd: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], bool]:
    """Bring either layout to ResnetGenerator's keys; returns (state dict, affine).

    Drops stale InstanceNorm buffers (old zoo files) and renames vintagify's ``.block.`` to
    ``.conv_block.``. Affine norms are recognised by the first norm's weight ``model.2.weight``.
    """
    out = {}
    for key, value in sd.items():
        if key.startswith("module."):
            key = key[len("module."):]
        if key.rsplit(".", 1)[-1] in _STALE:
            continue
        out[re.sub(r"^(model\.\d+)\.block\.", r"\1.conv_block.", key)] = value
    return out, "model.2.weight" in out


def generator_from_state_dict(sd: dict[str, torch.Tensor]) -> ResnetGenerator:
    """A ResnetGenerator in eval mode, no gradients, loaded strictly from either layout."""
    clean, affine = normalize_state_dict(sd)
    gen = ResnetGenerator(affine=affine)
    gen.load_state_dict(clean, strict=True)
    gen.eval().requires_grad_(False)
    return gen


def eager_reference(gen: ResnetGenerator) -> ResnetGenerator:
    """A copy of ``gen`` with PyTorch's stock InstanceNorm2d and contiguous memory: the plain
    eager model that the fast path is checked against (tests, bench)."""
    import copy

    ref = copy.deepcopy(gen).to(memory_format=torch.contiguous_format)
    for module in ref.modules():
        for name, child in module.named_children():
            if isinstance(child, InstanceNorm):
                stock = nn.InstanceNorm2d(child.num_features, eps=child.eps, affine=child.affine)
                if child.affine:
                    stock.load_state_dict(child.state_dict())
                setattr(module, name, stock)
    return ref.eval().requires_grad_(False)


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


def _registry_path() -> Path:
    return zoo_dir() / "registry.json"


def read_registry() -> dict[str, dict]:
    try:
        data = json.loads(_registry_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_registry(reg: dict[str, dict]) -> None:
    path = _registry_path()
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(reg, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _open_url(url: str, timeout: float = 20.0) -> tuple[int | None, Iterable[bytes]]:
    """(total bytes or None, chunk iterator). Tests replace this with a fake."""
    resp = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - URL is allow-listed
    total = resp.headers.get("Content-Length")

    def chunks():
        with resp:
            while True:
                block = resp.read(1 << 16)
                if not block:
                    return
                yield block

    return (int(total) if total and total.isdigit() else None), chunks()


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
        digest = h.hexdigest()
        reg = read_registry()
        known = reg.get(name, {}).get("sha256")
        if known and known != digest:
            raise ModelError("checksum", name=name)
        os.replace(tmp, final)
        if not known:
            reg[name] = {"sha256": digest, "bytes": done, "url": url,
                         "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            _write_registry(reg)
        return final
    finally:
        tmp.unlink(missing_ok=True)


def load_state_dict(name: str) -> dict[str, torch.Tensor]:
    """The raw tensors of a model (verified against the registry for zoo models)."""
    path = weights_path(name)
    if not path.is_file():
        raise ModelError("not_downloaded", name=name)
    if name != DEFAULT_MODEL:
        known = read_registry().get(name, {}).get("sha256")
        if known is None:
            # A file placed by hand: record it now, so later changes are caught.
            reg = read_registry()
            reg[name] = {"sha256": sha256_file(path), "bytes": path.stat().st_size, "url": zoo_url(name),
                         "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            _write_registry(reg)
        elif sha256_file(path) != known:
            raise ModelError("checksum", name=name)
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - pickle errors, truncation, wrong file
        raise ModelError("bad_weights", name=name) from None
    if not isinstance(sd, dict):
        raise ModelError("bad_weights", name=name)
    return sd


def load_generator(name: str) -> ResnetGenerator:
    """Load a model by name (zoo models must be downloaded first), ready for ``translate``."""
    sd = load_state_dict(check_name(name))
    try:
        gen = generator_from_state_dict(sd)
    except (RuntimeError, KeyError, ValueError):
        raise ModelError("bad_weights", name=name) from None
    return gen.to(memory_format=torch.channels_last)


# ---- image in -> image out ------------------------------------------------------------------
def working_size(width: int, height: int, size: str | int) -> tuple[int, int]:
    """(W, H) the network runs at: long side = size (256/512) or the original size capped at
    MAX_ORIGINAL_SIDE; aspect ratio kept; both sides multiples of 4 and at least 4."""
    if str(size) == "original":
        target = min(max(width, height), MAX_ORIGINAL_SIDE)
    else:
        try:
            target = int(size)
        except (TypeError, ValueError):
            target = 0
        if not 16 <= target <= 2048:
            raise ValueError(f"size must be 16..2048 or 'original', got {size!r}")
    scale = target / max(width, height)
    w = max(4, int(round(width * scale)) // 4 * 4)
    h = max(4, int(round(height * scale)) // 4 * 4)
    return w, h


def resize(pixels: np.ndarray, wh: tuple[int, int]) -> np.ndarray:
    if (pixels.shape[1], pixels.shape[0]) == wh:
        return pixels
    return np.asarray(Image.fromarray(pixels).resize(wh, Image.BICUBIC))


def to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """uint8 H x W x 3 -> float 1 x 3 x H x W in [-1, 1] (channels-last memory)."""
    x = torch.from_numpy(np.array(pixels, dtype=np.uint8, order="C")).permute(2, 0, 1).unsqueeze(0)
    return (x.float() / 127.5 - 1.0).contiguous(memory_format=torch.channels_last)


def to_pixels(y: torch.Tensor) -> np.ndarray:
    """float 1 x 3 x H x W in [-1, 1] -> uint8 H x W x 3."""
    y = ((y[0].float() + 1.0) * 127.5).round_().clamp_(0, 255)
    return y.to(torch.uint8).permute(1, 2, 0).contiguous().numpy()


def run(gen: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return gen(x.contiguous(memory_format=torch.channels_last))


@dataclass(frozen=True)
class Translation:
    input: np.ndarray  # uint8 H x W x 3 at the working size
    output: np.ndarray  # uint8 H x W x 3
    seconds: float  # network time only
    gflop: float  # work done by the network


def translate(gen: nn.Module, pixels: np.ndarray, size: str | int = 256) -> Translation:
    """Run ``gen`` (a generator, or its ``preview_generator``) on an RGB uint8 image at the
    working size (see ``working_size``)."""
    wh = working_size(pixels.shape[1], pixels.shape[0], size)
    small = resize(pixels, wh)
    x = to_tensor(small)
    t0 = time.perf_counter()
    y = run(gen, x)
    seconds = time.perf_counter() - t0
    return Translation(small, to_pixels(y), seconds, flops(*wh) / 1e9)


class Int8Conv(nn.Module):
    """A Conv2d run as int8 (fbgemm): per-channel symmetric weights, input and output scales
    calibrated on photos. Takes and returns float tensors, so it drops into the fp32 model."""

    def __init__(self, conv: nn.Conv2d, in_qparams: tuple[float, int], out_qparams: tuple[float, int]):
        super().__init__()
        import torch.ao.nn.quantized as nnq
        from torch.ao.quantization import PerChannelMinMaxObserver

        wobs = PerChannelMinMaxObserver(dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
        wobs(conv.weight.detach())
        ws, wz = wobs.calculate_qparams()
        with warnings.catch_warnings():  # torch >= 2.10 marks quantized tensors as deprecated
            warnings.simplefilter("ignore", UserWarning)
            qw = torch.quantize_per_channel(conv.weight.detach().contiguous(), ws, wz.to(torch.long), 0, torch.qint8)
        self.q = nnq.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding)
        self.q.set_weight_bias(qw, conv.bias.detach() if conv.bias is not None else None)
        self.q.scale, self.q.zero_point = out_qparams
        self.in_scale, self.in_zero = in_qparams

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        qx = torch.quantize_per_tensor(x.contiguous(memory_format=torch.channels_last),
                                       self.in_scale, self.in_zero, torch.quint8)
        return self.q(qx).dequantize()


def _observe(obs_in, obs_out):
    def hook(module, inputs, output):  # returns None: the output is left as it is
        obs_in(inputs[0])
        obs_out(output)
    return hook


def preview_supported() -> bool:
    return "fbgemm" in torch.backends.quantized.supported_engines


def preview_generator(gen: ResnetGenerator, calibration: list[np.ndarray] | None = None,
                      size: int = 128) -> nn.Module:
    """The fast preview: a copy of ``gen`` whose 3x3 convolutions with 64+ input channels (the
    18 in the residual blocks and the two downsampling ones, ~92% of the FLOPs) run in int8.

    Activation ranges are calibrated on ``calibration`` photos (default: the bundled samples)
    at ``size`` px with histogram observers; InstanceNorm keeps the ranges similar at any size.
    Without fbgemm (non-x86 CPUs) the fp32 model is returned unchanged.
    """
    import copy

    from torch.ao.quantization import MinMaxObserver as Observer

    if not preview_supported():
        return gen
    torch.backends.quantized.engine = "fbgemm"
    if calibration is None:
        from gan_core.images import decode_image

        calibration = [decode_image((SAMPLES_DIR / f).read_bytes()).pixels for f in SAMPLES]
    targets = [(parent, name, child) for parent in gen.modules() for name, child in parent.named_children()
               if isinstance(child, nn.Conv2d) and not isinstance(child, nn.ConvTranspose2d)
               and child.in_channels >= 64 and child.kernel_size == (3, 3)]
    observers, hooks = {}, []
    for _, _, conv in targets:
        obs_in = Observer(dtype=torch.quint8, quant_min=0, quant_max=127)  # 7 bits: no AVX2 overflow
        obs_out = Observer(dtype=torch.quint8)
        observers[id(conv)] = (obs_in, obs_out)
        hooks.append(conv.register_forward_hook(_observe(obs_in, obs_out)))
    try:
        for pixels in calibration:
            run(gen, to_tensor(resize(pixels, working_size(pixels.shape[1], pixels.shape[0], size))))
    finally:
        for h in hooks:
            h.remove()
    fast = copy.deepcopy(gen)
    # the copy's modules come in the same order as the original's: pair each conv with its observers
    originals = [conv for _, _, conv in targets]
    copies = [(parent, name, child) for parent in fast.modules() for name, child in parent.named_children()
              if isinstance(child, nn.Conv2d) and not isinstance(child, nn.ConvTranspose2d)
              and child.in_channels >= 64 and child.kernel_size == (3, 3)]
    assert len(copies) == len(originals)
    for (parent, name, child), orig in zip(copies, originals):
        obs_in, obs_out = observers[id(orig)]
        qin = tuple(float(v) if i == 0 else int(v) for i, v in enumerate(obs_in.calculate_qparams()))
        qout = tuple(float(v) if i == 0 else int(v) for i, v in enumerate(obs_out.calculate_qparams()))
        setattr(parent, name, Int8Conv(child, qin, qout))
    return fast.eval()


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel mean absolute difference of two uint8 RGB images, float32 in [0, 1]."""
    return (np.abs(a.astype(np.int16) - b.astype(np.int16)).mean(axis=2) / 255.0).astype(np.float32)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio (dB) of two uint8 images; inf when identical."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def flops(width: int, height: int) -> float:
    """Multiply-adds x 2 of one ResNet-9 forward pass at W x H (convolutions only)."""
    hw, q = width * height, (width // 2) * (height // 2)
    e = (width // 4) * (height // 4)
    macs = 49 * 3 * 64 * hw + 9 * 64 * 128 * q + 9 * 128 * 256 * e  # in, two downsamplings
    macs += 18 * 9 * 256 * 256 * e  # residual blocks
    macs += 9 * 256 * 128 * e + 9 * 128 * 64 * q + 49 * 64 * 3 * hw  # two upsamplings, out
    return 2.0 * macs


@dataclass(frozen=True)
class Cycle:
    x: np.ndarray  # input at the working size
    g_x: np.ndarray  # G(x): translated
    f_g_x: np.ndarray  # F(G(x)): translated back
    f_x: np.ndarray  # F(x): identity mapping (x is already in F's target domain)
    recon_error: float  # mean |x - F(G(x))| in 0..255
    identity_error: float  # mean |x - F(x)| in 0..255
    seconds: float


def cycle(g: nn.Module, f: nn.Module, pixels: np.ndarray, size: str | int = 256) -> Cycle:
    """x -> G(x) -> F(G(x)) with the reconstruction error, and the identity mapping F(x)."""
    first = translate(g, pixels, size)
    x = first.input
    t0 = time.perf_counter()
    back = to_pixels(run(f, to_tensor(first.output)))
    same = to_pixels(run(f, to_tensor(x)))
    seconds = first.seconds + time.perf_counter() - t0
    err = lambda a, b: float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())  # noqa: E731
    return Cycle(x, first.output, back, same, err(x, back), err(x, same), seconds)


# ---- files and folders (CLI) ----------------------------------------------------------------
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")


def translate_paths(model: str, src: Path, dst: Path, size: str | int = 256,
                    log: Callable[[str], None] | None = None) -> list[Path]:
    """Translate one file or every image in a folder; returns the files written.

    A file -> ``dst`` (a file name, or a folder to put ``<stem>.png`` in). A folder -> ``dst``
    folder, one ``<stem>.png`` per image. Animated images are refused here (a batch should not
    silently pick a frame); the page uses their first frame and says so. Raises ModelError or
    ValueError with a one-line message on bad input (the first bad image stops the run).
    """
    from gan_core.images import ImageError, decode_image, encode_for_path

    check_name(model)
    if str(size) != "original":
        working_size(4, 4, size)  # validates the number
    if not src.exists():
        raise ValueError(f"{src}: no such file or folder")
    if src.is_dir():
        files = sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"{src}: no .jpg/.png/.webp images in this folder")
        if dst.exists() and not dst.is_dir():
            raise ValueError(f"{dst}: must be a folder when the input is a folder")
        targets = [(p, dst / f"{p.stem}.png") for p in files]
    else:
        out = dst / f"{src.stem}.png" if dst.is_dir() else dst
        targets = [(src, out)]
    for _, out in targets:
        if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
            raise ValueError(f"{out}: output must end in .png, .jpg or .webp")
    gen = None
    written = []
    for path, out in targets:
        try:  # decode before the (slow) model load, so a bad file fails fast
            img = decode_image(path.read_bytes(), animated="refuse", reduce_to=MAX_ORIGINAL_SIDE * 2)
        except ImageError as err:
            raise ValueError(f"{path}: {err.sentence()}") from None
        if gen is None:
            if not is_available(model):
                download(model)
            gen = load_generator(model)
        result = translate(gen, img.pixels, size)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(encode_for_path(result.output, out.suffix))
        written.append(out)
        if log:
            log(f"{path} -> {out} ({result.output.shape[1]}x{result.output.shape[0]}, {result.seconds:.2f} s)")
    return written
