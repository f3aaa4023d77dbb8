"""Safe decoding of user images from bytes (no streamlit, nothing written to disk).

``decode_image(data)`` turns an upload into an RGB uint8 array or raises ``ImageError``
whose ``code`` is machine-readable (the UI translates it) and whose ``params`` fill the
message's placeholders. Defences, in the order they run:

1. byte-size cap (before Pillow sees anything);
2. format allow-list (only the header is read by ``Image.open``);
3. pixel cap from the header size, checked BEFORE any pixel is decoded (decompression bombs);
4. animation: first frame with a notice, or a refusal (``animated="refuse"``);
5. decoding, where a truncated or corrupt stream becomes ``truncated`` / ``corrupt``;
6. EXIF orientation applied; grayscale, palette, RGBA, 16-bit and CMYK converted to RGB.

Notices (``DecodedImage.notices``) are codes too, e.g. ``"exif_rotated"``.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 25 * 1024 * 1024  # 25 MiB: bigger than any phone photo, small enough for memory
MAX_PIXELS = 50_000_000  # 50 MP (a 48 MP phone photo fits; a decompression bomb does not)
MIN_SIDE = 16  # smaller images carry nothing a generator can work with
FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "GIF")  # MPO: multi-picture JPEG written by phones

# Every ImageError code, for the UI's catalogue (tests check each has a message).
ERROR_CODES = (
    "empty", "too_many_bytes", "not_image", "unsupported_format", "too_many_pixels",
    "too_small", "animated", "truncated", "corrupt",
)
NOTICE_CODES = ("first_frame", "exif_rotated", "converted", "transparency_flattened", "reduced")


class ImageError(ValueError):
    """A user image that can't be used. ``code`` is one of ERROR_CODES."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        detail = ", ".join(f"{k}={v}" for k, v in params.items())
        super().__init__(f"{code}" + (f" ({detail})" if detail else ""))

    def sentence(self) -> str:
        """One English line for the CLI and logs (the UI uses its own catalogue)."""
        p = self.params
        return {
            "empty": "the file is empty",
            "too_many_bytes": (f"the file is too large ({p.get('mb')} MB; "
                               f"the limit is {p.get('limit_mb')} MB)"),
            "not_image": "the file is not an image Pillow can read",
            "unsupported_format": f"{p.get('format')} images are not supported (use JPEG, PNG or WebP)",
            "too_many_pixels": (f"the image is too large ({p.get('width')}x{p.get('height')} pixels; "
                                f"the limit is {p.get('limit_mp')} megapixels)"),
            "too_small": (f"the image is too small ({p.get('width')}x{p.get('height')}; "
                          f"at least {p.get('min_side')} px a side)"),
            "animated": "animated images are not supported: use a still photo",
            "truncated": "the image file is cut off (incomplete download?)",
            "corrupt": "the image data is damaged and can't be decoded",
        }.get(self.code, self.code)


@dataclass(frozen=True)
class DecodedImage:
    pixels: np.ndarray  # uint8, H x W x 3, RGB
    format: str  # Pillow's format name (JPEG, PNG, ...)
    source_mode: str  # the mode before conversion (L, P, RGBA, I;16, CMYK, ...)
    sha256: str  # of the original bytes: a cache key for everything computed from them
    notices: tuple[str, ...] = field(default=())

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) after orientation."""
        return self.pixels.shape[1], self.pixels.shape[0]


def decode_image(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    min_side: int = MIN_SIDE,
    formats: tuple[str, ...] = FORMATS,
    animated: str = "first_frame",
    reduce_to: int | None = None,
) -> DecodedImage:
    """Decode ``data`` into RGB pixels, or raise ImageError.

    Args:
        max_bytes / max_pixels / min_side: caps, see module docstring.
        formats: Pillow format names that are accepted.
        animated: ``"first_frame"`` (keep frame 0, add the notice) or ``"refuse"``.
        reduce_to: if set, a JPEG larger than this on its long side is decoded at a reduced
            scale (libjpeg's DCT scaling, at least ``reduce_to`` px), saving time and memory.
    """
    if animated not in ("first_frame", "refuse"):
        raise ValueError(f"animated must be 'first_frame' or 'refuse', not {animated!r}")
    if not data:
        raise ImageError("empty")
    if len(data) > max_bytes:
        raise ImageError("too_many_bytes", mb=round(len(data) / 2**20, 1),
                         limit_mb=round(max_bytes / 2**20, 1))
    digest = hashlib.sha256(data).hexdigest()
    container = sniff_container(data)
    if container is not None:
        raise ImageError("unsupported_format", format=container)
    try:
        # Image.open reads the header only; its own bomb check uses a (larger) global limit
        # that we never change, ours below runs first for anything over max_pixels.
        im = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageError("not_image") from None
    except Image.DecompressionBombError:
        raise ImageError("too_many_pixels", width="?", height="?", limit_mp=round(max_pixels / 1e6)) from None
    except Exception as err:
        raise ImageError(_failure_code(err)) from None
    fmt = im.format or "?"
    if fmt not in formats:
        raise ImageError("unsupported_format", format=fmt)
    width, height = im.size
    if width * height > max_pixels:
        raise ImageError("too_many_pixels", width=width, height=height, limit_mp=round(max_pixels / 1e6))
    if min(width, height) < min_side:
        raise ImageError("too_small", width=width, height=height, min_side=min_side)

    notices: list[str] = []
    # MPO files hold a second (depth/preview) picture: not an animation.
    if getattr(im, "is_animated", False) and getattr(im, "n_frames", 1) > 1 and fmt != "MPO":
        if animated == "refuse":
            raise ImageError("animated")
        notices.append("first_frame")
    source_mode = im.mode
    if reduce_to and fmt in ("JPEG", "MPO") and max(width, height) > reduce_to:
        im.draft("RGB", (reduce_to, reduce_to))  # keeps both sides >= the request
        if im.size != (width, height):
            notices.append("reduced")
    try:
        im.seek(0)
        im.load()
    except Image.DecompressionBombError:
        raise ImageError("too_many_pixels", width=width, height=height,
                         limit_mp=round(max_pixels / 1e6)) from None
    except Exception as err:
        raise ImageError(_failure_code(err)) from None

    if _orientation(im) not in (None, 1):
        try:
            im = ImageOps.exif_transpose(im)
            notices.append("exif_rotated")
        except Exception:
            pass
    pixels, extra = to_rgb_array(im)
    notices.extend(extra)
    return DecodedImage(pixels=pixels, format=fmt, source_mode=source_mode, sha256=digest,
                        notices=tuple(notices))


# ISO-BMFF brands of the photo formats phones write (Pillow has no decoder for them)
_BMFF_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"hevc": "HEIC", b"heim": "HEIC", b"heis": "HEIC",
                b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF", b"avis": "AVIF"}


def sniff_container(data: bytes) -> str | None:
    """'HEIC' / 'HEIF' / 'AVIF' for an ISO-BMFF image file (an iPhone photo), else None."""
    if len(data) < 12 or data[4:8] != b"ftyp":
        return None
    return _BMFF_BRANDS.get(data[8:12])


def _failure_code(err: Exception) -> str:
    text = str(err).lower()
    if isinstance(err, (OSError, EOFError)) and ("truncat" in text or "broken data stream" in text
                                                 or isinstance(err, EOFError)):
        return "truncated"
    return "corrupt"


def _orientation(im: Image.Image) -> int | None:
    try:
        return im.getexif().get(0x0112)
    except Exception:
        return None


def to_rgb_array(im: Image.Image) -> tuple[np.ndarray, list[str]]:
    """RGB uint8 array of any Pillow image; returns (pixels, notices).

    16-bit images are scaled (not clipped) to 8 bits; transparency is flattened onto white.
    """
    notices: list[str] = []
    mode = im.mode
    if mode == "RGB":
        return np.asarray(im, dtype=np.uint8).copy(), notices
    notices.append("converted")
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(im).astype(np.float64)
        if mode == "F":
            hi = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
            arr = arr / hi * 255.0
        elif mode == "I" and arr.max(initial=0) <= 255:
            pass  # an 8-bit image stored as 32-bit ints
        else:
            arr = arr / 257.0  # 0..65535 -> 0..255
        gray = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2), notices
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            notices.append("transparency_flattened")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba)
    return np.asarray(im.convert("RGB"), dtype=np.uint8).copy(), notices


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of an RGB uint8 array (for downloads and the CLI)."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def encode_for_path(pixels: np.ndarray, suffix: str) -> bytes:
    """Encoded bytes for an output file name's suffix (.png, .jpg/.jpeg, .webp)."""
    fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}.get(suffix.lower())
    if fmt is None:
        raise ValueError(f"unsupported output type {suffix!r}: use .png, .jpg or .webp")
    buf = io.BytesIO()
    kwargs = {"quality": 92} if fmt in ("JPEG", "WEBP") else {}
    Image.fromarray(pixels).save(buf, format=fmt, **kwargs)
    return buf.getvalue()
