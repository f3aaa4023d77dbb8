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
and maps back. ``preview_generator(gen)`` builds the optional fast mode: the same network with
its residual 3x3 convolutions computed by the Winograd F(4x4, 3x3) algorithm, with small C
kernels (``gan_core/native``, compiled here on first use) doing the transforms, normalisation
and padding (``FastGenerator``), or in PyTorch alone where those can't be built
(``WinogradConv``, ``winograd_generator``).
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


# ---- Winograd F(4x4, 3x3): the same convolution with 4x fewer multiplications ----------------
# Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016), interpolation points
# 0, +-1, +-2 and infinity. A 6x6 input tile d and a 3x3 kernel g give a 4x4 output tile
#   Y = A^T [(G g G^T) * (B^T d B)] A,
# so per tile and channel pair 36 multiplications replace 144. With the tiles of a whole map
# stacked, the 36 element-wise products become 36 matrix products (tiles x C_in) @ (C_in x C_out).
_WINO_BT = ((4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
            (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1))
_WINO_G = ((1 / 4, 0, 0), (-1 / 6, -1 / 6, -1 / 6), (-1 / 6, 1 / 6, -1 / 6),
           (1 / 24, 1 / 12, 1 / 6), (1 / 24, -1 / 12, 1 / 6), (0, 0, 1))
_WINO_AT = ((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1))
WINO_CHUNK = 1 << 15  # tiles x channels per pass (128 tiles of 256 channels: the temporaries stay in cache)


def winograd_fits(conv: nn.Module) -> bool:
    """Whether ``WinogradConv`` can replace ``conv``: a plain 3x3, stride-1, unpadded Conv2d."""
    return (type(conv) is nn.Conv2d and conv.kernel_size == (3, 3) and conv.stride == (1, 1)
            and conv.padding == (0, 0) and conv.dilation == (1, 1) and conv.groups == 1)


class WinogradConv(nn.Module):
    """A 3x3, stride-1, unpadded Conv2d computed with Winograd F(4x4, 3x3), inference only.

    The kernel transform G g G^T is done once and stored in ``kernel_dtype`` (float16: twice
    the weights' memory instead of four times). Each call views the (already padded) input as
    6x6 tiles with stride 4, transforms them with two (6 x 6) matrix products (rows, then
    columns), multiplies per tile position with 36 batched matrix products, and folds the
    results back with one (16 x 36) product, a few tile rows at a time. The output matches the
    direct convolution to ~1e-5 of its largest value with float32 kernels and to ~1e-2 with
    float16 ones; takes and returns channels-last tensors.
    """

    def __init__(self, conv: nn.Conv2d, kernel_dtype: torch.dtype = torch.float16):
        super().__init__()
        if not winograd_fits(conv):
            raise ValueError("WinogradConv needs a 3x3, stride-1, unpadded, ungrouped convolution")
        bt, g, at = (torch.tensor(m, dtype=torch.float32) for m in (_WINO_BT, _WINO_G, _WINO_AT))
        w = conv.weight.detach()  # K x C x 3 x 3
        k, c = w.shape[:2]
        u = torch.einsum("ai,kcij,bj->abck", g, w, g)  # G g G^T for every (C, K) pair: 6 x 6 x C x K
        # kept in half precision by default: 9.4 MB instead of 19 per 256-channel conv (the app's
        # peak memory at "original" size stays under its limit); widened to float32 for each call
        self.register_buffer("u", u.contiguous().view(36, c, k).to(kernel_dtype))
        self.register_buffer("bt", bt)
        self.register_buffer("aa", torch.kron(at, at))  # 16 x 36
        bias = conv.bias.detach().clone() if conv.bias is not None else None
        self.register_buffer("bias", bias)
        self.in_channels, self.out_channels = c, k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, hp, wp = x.shape
        h, w, k = hp - 2, wp - 2, self.out_channels
        nth, ntw = -(-h // 4), -(-w // 4)  # tiles down and across
        xn = x.permute(0, 2, 3, 1)  # B x Hp x Wp x C (a view for channels-last input)
        if 4 * nth + 2 > hp or 4 * ntw + 2 > wp:  # the last tiles reach past the edge: zeros there
            xn = nn.functional.pad(xn, (0, 0, 0, 4 * ntw + 2 - wp, 0, 4 * nth + 2 - hp))
        xn = xn.contiguous()
        s_b, s_h, s_w, s_c = xn.stride()
        out = torch.empty(b, h, w, k, dtype=x.dtype)
        u = self.u.float()
        rows = max(1, WINO_CHUNK // (b * ntw * c))
        for r0 in range(0, nth, rows):
            r1 = min(nth, r0 + rows)
            n_r = r1 - r0
            tiles = xn.as_strided((6, 6, b, n_r, ntw, c), (s_h, s_w, s_b, 4 * s_h, 4 * s_w, s_c),
                                  xn.storage_offset() + 4 * r0 * s_h)
            d = tiles.reshape(6, -1)  # the one copy of the input: 6 x (6 * tiles * C)
            d = (self.bt @ d).view(6, 6, -1)  # B^T d: along tile rows
            v = torch.matmul(self.bt, d).view(36, b * n_r * ntw, c)  # (B^T d) B: along tile columns
            m = torch.bmm(v, u)  # 36 x tiles x K
            y = (self.aa @ m.view(36, -1)).view(4, 4, b, n_r, ntw, k).permute(2, 3, 0, 4, 1, 5)
            y0, y1 = 4 * r0, min(h, 4 * r1)
            if y1 - y0 == 4 * n_r and w == 4 * ntw:
                out[:, y0:y1].view(b, n_r, 4, ntw, 4, k).copy_(y)
            else:
                out[:, y0:y1].copy_(y.reshape(b, 4 * n_r, 4 * ntw, k)[:, : y1 - y0, :w])
        if self.bias is not None:
            out += self.bias
        return out.permute(0, 3, 1, 2)


def _winograd_targets(gen: nn.Module) -> list[tuple[nn.Module, str, nn.Conv2d]]:
    """(parent, attribute, conv) for every 3x3, stride-1, unpadded Conv2d: the 18 in the residual
    blocks (their padding is the ReflectionPad2d in front), 88% of the generator's FLOPs."""
    return [(parent, name, child) for parent in gen.modules() for name, child in parent.named_children()
            if winograd_fits(child)]


def winograd_generator(gen: ResnetGenerator) -> nn.Module:
    """A copy of ``gen`` whose residual-block convolutions use ``WinogradConv`` (the fast mode
    where the compiled kernels are unavailable: pure PyTorch, ~1.6x).

    Same weights and maths; the output differs from ``gen``'s by rounding only (the kernels
    are stored in float16: ~2e-3 in [-1, 1], at most a level or two of 255 in the picture,
    PSNR ~69 dB on the samples). The original generator is left untouched.
    """
    import copy

    # share every tensor with ``gen`` (memo: the copy reuses them), only modules are copied
    memo = {id(t): t for t in list(gen.parameters()) + list(gen.buffers())}
    fast = copy.deepcopy(gen, memo)
    for parent, name, conv in _winograd_targets(fast):
        setattr(parent, name, WinogradConv(conv))
    _return_free_memory()
    return fast.eval()


def preview_generator(gen: ResnetGenerator) -> nn.Module:
    """The fast mode of ``gen``: ``FastGenerator`` (compiled kernels, ~2x) where this machine
    can build them, else ``winograd_generator`` (PyTorch only, ~1.6x); ``fast_engine()`` says
    which. Same network and weights either way; the original generator is left untouched."""
    from gan_core import native

    lib = native.library()
    # the kernels' shapes: a 64-channel last layer (head7) and residual channels in 8s
    fits = gen.model[-2].in_channels == 64 and gen.model[10].conv_block[1].in_channels % 8 == 0
    if lib is None or not fits:
        return winograd_generator(gen)
    return FastGenerator(gen, lib)


def fast_engine() -> tuple[str, str] | None:
    """None when the fast mode uses the compiled kernels, else (code, sentence) saying why not
    (``gan_core.native.why_unavailable``)."""
    from gan_core import native

    return native.why_unavailable()


def _winograd_kernel(conv: nn.Conv2d, dtype: torch.dtype) -> torch.Tensor:
    """G g G^T of a 3x3 conv's weights, 36 x C x K (see WinogradConv)."""
    g = torch.tensor(_WINO_G, dtype=torch.float32)
    w = conv.weight.detach()
    k, c = w.shape[:2]
    return torch.einsum("ai,kcij,bj->abck", g, w, g).contiguous().view(36, c, k).to(dtype)


def _ptr(t: torch.Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


def _norm_affine(norm: nn.Module, mean: torch.Tensor, var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) of an InstanceNorm over one map from its per-channel mean and (biased)
    variance: norm(y) = y * scale + shift (float64 arithmetic, float32 results)."""
    mean, var = mean.double(), var.double()
    scale = torch.rsqrt(var + norm.eps)
    if norm.affine:
        scale = scale * norm.weight.double()
    shift = -mean * scale
    if norm.affine:
        shift = shift + norm.bias.double()
    return scale.float().contiguous(), shift.float().contiguous()


class FusedTrunk(nn.Module):
    """The nine residual blocks, computed with the compiled kernels (``gan_core/native``).

    Per block: y1 = conv1(pad(x)), y2 = conv2(pad(relu(norm1(y1)))), x = x + norm2(y2). Each
    convolution is Winograd F(4x4, 3x3): the C input transform reads the unpadded map with the
    reflection, the previous norm and the ReLU folded in; PyTorch does the 36 batched products;
    the C output transform writes the map and sums what the next norm needs. The convolutions'
    biases are dropped: a (non-running) InstanceNorm right after removes any per-channel
    constant. Winograd kernels are kept in float16 (half the memory) and widened into one
    float32 buffer before each convolution (~0.1 ms); the output matches the blocks to ~1e-5 of their scale (float32 kernels) or
    ~3e-3 (float16). Takes and returns B x C x H x W channels-last tensors, C a multiple of 8.
    """

    CHUNK = 1 << 15  # tiles x channels per transform pass: 128 tiles of 256 channels stay in cache

    def __init__(self, blocks: list[nn.Module], lib, kernel_dtype: torch.dtype = torch.float16):
        super().__init__()
        self.lib = lib
        for i, blk in enumerate(blocks):
            seq = blk.conv_block
            self.register_buffer(f"u{i}a", _winograd_kernel(seq[1], kernel_dtype))
            self.register_buffer(f"u{i}b", _winograd_kernel(seq[5], kernel_dtype))
        self.norm1 = nn.ModuleList(blk.conv_block[2] for blk in blocks)
        self.norm2 = nn.ModuleList(blk.conv_block[6] for blk in blocks)
        self.channels = blocks[0].conv_block[1].in_channels

    def _conv(self, x, u, h, w, scale, shift, out, v, m, nt):
        c = self.channels
        ntw, nth = -(-w // 4), -(-h // 4)
        stats = torch.zeros(nt, 2, c, dtype=torch.float64)
        rows = v.shape[1] // ntw
        for r0 in range(0, nth, rows):
            r1 = min(nth, r0 + rows)
            n_t = (r1 - r0) * ntw
            # the kernels take dense 36 x tiles x C arrays: a short last chunk uses a prefix
            vv, mm = v.view(-1)[: 36 * n_t * c].view(36, n_t, c), m.view(-1)[: 36 * n_t * c].view(36, n_t, c)
            self.lib.wg_input(x.data_ptr(), h, w, c, r0, r1, ntw, _ptr(scale), _ptr(shift), vv.data_ptr(), nt)
            torch.bmm(vv, u, out=mm)
            self.lib.wg_output(mm.data_ptr(), h, w, c, r0, r1, ntw, out.data_ptr(), stats.data_ptr(), nt)
        total, squares = stats.sum(0) / (h * w)
        return total, (squares - total * total).clamp_min(0)  # mean and variance of the output

    def forward(self, x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
        """``inplace``: the result may overwrite ``x`` (the caller no longer needs it: saves a
        copy of the map, 50 MB at 1024 x 768)."""
        b, c, h, w = x.shape
        nt = torch.get_num_threads()
        ntw = -(-w // 4)
        rows = max(1, min(-(-h // 4), self.CHUNK // (ntw * c)))
        v, m = torch.empty(36, rows * ntw, c), torch.empty(36, rows * ntw, c)
        y1, y2 = torch.empty(h, w, c), torch.empty(h, w, c)
        u = torch.empty(36, c, c)
        outs = []
        for i in range(b):
            xi = x[i].permute(1, 2, 0)  # H x W x C, a view of channels-last x
            if not (inplace and xi.is_contiguous()):
                xi = xi.clone(memory_format=torch.contiguous_format)  # updated in place below
            for j, (n1, n2) in enumerate(zip(self.norm1, self.norm2)):
                u.copy_(getattr(self, f"u{j}a"))
                scale, shift = _norm_affine(n1, *self._conv(xi, u, h, w, None, None, y1, v, m, nt))
                u.copy_(getattr(self, f"u{j}b"))
                scale, shift = _norm_affine(n2, *self._conv(y1, u, h, w, scale, shift, y2, v, m, nt))
                self.lib.add_scaled(xi.data_ptr(), y2.data_ptr(), h * w, c, scale.data_ptr(), shift.data_ptr(), nt)
            outs.append(xi.permute(2, 0, 1))
        return outs[0].unsqueeze(0) if b == 1 else torch.stack(outs).contiguous(memory_format=torch.channels_last)


class FusedHead(nn.Module):
    """The generator's last four layers, InstanceNorm, ReLU, ReflectionPad2d(3), Conv2d(64 -> 3,
    7x7) and tanh, by the compiled kernels: one pass makes the normalised, padded map for
    STRIP_ROWS output rows at a time (a full padded copy would be the pass's biggest tensor),
    then the 7x7 convolution with tanh writes the picture."""

    def __init__(self, norm: nn.Module, conv: nn.Conv2d, lib):
        super().__init__()
        self.norm, self.lib = norm, lib
        self.register_buffer("wt", conv.weight.detach().permute(2, 3, 0, 1).contiguous())  # 7 x 7 x 3 x 64
        self.register_buffer("b", conv.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        nt = torch.get_num_threads()
        var, mean = instance_var_mean(x)
        out = torch.empty(b, 3, h, w)
        buf = torch.empty(min(h, STRIP_ROWS) + 6, w + 6, c)
        for i in range(b):
            scale, shift = _norm_affine(self.norm, mean[i].view(-1), var[i].view(-1))
            xi = x[i].permute(1, 2, 0).contiguous()
            for y0 in range(0, h, STRIP_ROWS):
                n = min(STRIP_ROWS, h - y0)
                self.lib.norm_relu_pad(xi.data_ptr(), h, w, c, 3, scale.data_ptr(), shift.data_ptr(),
                                       y0, y0 + n + 6, buf.data_ptr(), nt)
                self.lib.head7(buf.data_ptr(), n, w, self.wt.data_ptr(), self.b.data_ptr(),
                               out[i, :, y0:].data_ptr(), h * w, nt)
        return out


class FastGenerator(nn.Module):
    """The fast mode with the compiled kernels: ``gen``'s first ten layers (stem) and two
    upsamplings as they are, its residual blocks as ``FusedTrunk`` and its last layers as
    ``FusedHead``. Shares ``gen``'s weights except the residual convolutions', which live on
    only as Winograd kernels (so ``gen`` can be dropped: 42 MB less). Inference only; like
    ``gen``, it needs sides of at least 8 pixels (the residual maps are a quarter of that and
    reflection-padded)."""

    def __init__(self, gen: ResnetGenerator, lib):
        super().__init__()
        layers = list(gen.model)
        self.stem = nn.Sequential(*layers[:10])
        self.trunk = FusedTrunk(layers[10:19], lib)
        self.up = nn.Sequential(*layers[19:23])
        self.head = FusedHead(layers[23], layers[26], lib)
        _return_free_memory()
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            raise RuntimeError("FastGenerator is for inference only (use torch.inference_mode)")
        if min(x.shape[-2:]) < 8:
            raise ValueError(f"the picture is too small for the generator: {x.shape[-1]}x{x.shape[-2]} "
                             "(sides of at least 8 pixels are needed)")
        h = self.trunk(self.stem(x.contiguous(memory_format=torch.channels_last).float()), inplace=True)
        for layer in self.up:  # one name for every map, so each is freed as soon as the next exists
            h = layer(h)
        return self.head(h)


def _return_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc only; a no-op elsewhere).

    Building the fast mode frees ~36 temporaries of 9 MB; glibc keeps such blocks in its heap
    after the first one is freed, which left ~160 MB resident that nothing used.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


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


def translate_paths(model: str, src: Path, dst: Path, size: str | int = 256, fast: bool = False,
                    log: Callable[[str], None] | None = None) -> list[Path]:
    """Translate one file or every image in a folder; returns the files written.

    A file -> ``dst`` (a file name, or a folder to put ``<stem>.png`` in). A folder -> ``dst``
    folder, one ``<stem>.png`` per image. Animated images are refused here (a batch should not
    silently pick a frame); the page uses their first frame and says so. ``fast``: the fast
    mode (``preview_generator``). Raises ModelError or
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
            if fast:
                gen = preview_generator(gen)
                if log and fast_engine() is not None:
                    log(f"fast mode in PyTorch alone (about 1.6x): {fast_engine()[1]}")
        result = translate(gen, img.pixels, size)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(encode_for_path(result.output, out.suffix))
        written.append(out)
        if log:
            log(f"{path} -> {out} ({result.output.shape[1]}x{result.output.shape[0]}, {result.seconds:.2f} s)")
    return written
