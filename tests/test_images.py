"""gan_core.images: every bad input becomes an ImageError with a code; odd modes become RGB."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from gan_core.images import ERROR_CODES, NOTICE_CODES, ImageError, decode_image, encode_png
from ui.i18n import catalogue


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def gradient(w: int = 48, h: int = 32) -> Image.Image:
    x = np.linspace(0, 255, w, dtype=np.uint8)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.uint8)[:, None].repeat(w, 1)
    return Image.fromarray(np.stack([x, y, 255 - x], axis=2))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels but carries almost no data (a bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    chunks = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (24, 24), c).convert("P") for c in ("red", "green", "blue")]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)


def bad_inputs() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, expected code); shared with the page and CLI tests."""
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    jpeg = encode(Image.fromarray(noise), "JPEG")
    return {
        "empty.png": (b"", "empty"),
        "notes.jpg": (b"this is a text file, not a picture\n" * 4, "not_image"),
        "cut.jpg": (jpeg[: len(jpeg) * 2 // 3], "truncated"),
        "bomb.png": (png_header_only(8000, 8000), "too_many_pixels"),
        "dot.png": (encode(Image.new("RGB", (1, 1), "red"), "PNG"), "too_small"),
    }


@pytest.mark.parametrize("name", list(bad_inputs()))
def test_bad_inputs_raise_coded_errors(name):
    data, code = bad_inputs()[name]
    with pytest.raises(ImageError) as info:
        decode_image(data)
    assert info.value.code == code
    assert info.value.sentence() and "\n" not in info.value.sentence()


def test_pillow_sized_bomb_is_refused_before_decoding():
    # Far beyond Pillow's own limit: refused at the header, no pixel buffer allocated.
    with pytest.raises(ImageError) as info:
        decode_image(png_header_only(30000, 30000))
    assert info.value.code == "too_many_pixels"


def test_byte_cap_and_unsupported_format():
    data = encode(gradient(), "PNG")
    with pytest.raises(ImageError) as info:
        decode_image(data, max_bytes=len(data) - 1)
    assert info.value.code == "too_many_bytes"
    with pytest.raises(ImageError) as info:
        decode_image(encode(gradient(), "BMP"))
    assert info.value.code == "unsupported_format" and info.value.params["format"] == "BMP"


def test_animated_gif_first_frame_or_refusal():
    img = decode_image(animated_gif())
    assert img.notices[0] == "first_frame" and img.pixels.shape == (24, 24, 3)
    with pytest.raises(ImageError) as info:
        decode_image(animated_gif(), animated="refuse")
    assert info.value.code == "animated"


def test_rgb_jpeg_png_webp_round_trip():
    src = np.asarray(gradient())
    for fmt in ("PNG", "WEBP", "JPEG"):
        img = decode_image(encode(gradient(), fmt, **({"lossless": True} if fmt == "WEBP" else {})))
        assert img.pixels.dtype == np.uint8 and img.pixels.shape == (32, 48, 3)
        assert img.notices == ()
        tol = 12 if fmt == "JPEG" else 0
        assert np.abs(img.pixels.astype(int) - src).mean() <= tol
    assert decode_image(encode_png(src)).sha256 == decode_image(encode_png(src)).sha256


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "1", "I;16", "CMYK"])
def test_modes_are_converted_to_rgb(mode):
    base = gradient()
    if mode == "I;16":
        arr = (np.asarray(base.convert("L")).astype(np.uint16) * 257)
        im = Image.fromarray(arr)
        data = encode(im, "PNG")
    elif mode == "CMYK":
        data = encode(base.convert("CMYK"), "JPEG", quality=95)
    elif mode == "P":
        data = encode(base.convert("P", palette=Image.Palette.ADAPTIVE), "PNG", transparency=0)
    else:
        data = encode(base.convert(mode), "PNG")
    img = decode_image(data)
    assert img.pixels.shape == (32, 48, 3) and img.pixels.dtype == np.uint8
    assert "converted" in img.notices
    if mode == "I;16":  # scaled from 16 bits, not clipped to white
        gray = np.asarray(base.convert("L")).astype(int)
        assert np.abs(img.pixels[..., 0].astype(int) - gray).max() <= 1
    if mode == "CMYK":
        assert np.abs(img.pixels.astype(int) - np.asarray(base)).mean() < 20


def test_transparent_pixels_become_white():
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:10, :, 3] = 255  # top half opaque red, bottom half fully transparent
    img = decode_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert "transparency_flattened" in img.notices
    assert tuple(img.pixels[0, 0]) == (200, 0, 0) and tuple(img.pixels[-1, -1]) == (255, 255, 255)


def test_exif_orientation_is_applied():
    im = gradient(40, 20)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    img = decode_image(encode(im, "JPEG", exif=exif.tobytes()))
    assert img.pixels.shape[:2] == (40, 20) and "exif_rotated" in img.notices


def test_large_jpeg_reduced_on_decode():
    data = encode(gradient(1200, 800), "JPEG")
    img = decode_image(data, reduce_to=300)
    # libjpeg scales by powers of two: 1/2 keeps both sides >= 300, 1/4 would not (200)
    assert img.notices == ("reduced",) and img.size == (600, 400)


def test_every_code_has_a_message_in_both_languages():
    for lang in ("en", "ko"):
        cat = catalogue(lang)
        for code in ERROR_CODES:
            assert f"uploads.err_{code}" in cat
        for code in NOTICE_CODES:
            assert f"uploads.notice_{code}" in cat


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_escape_as_other_errors(data):
    try:
        img = decode_image(data)
    except ImageError as err:
        assert err.code in ERROR_CODES
    else:
        assert img.pixels.ndim == 3 and img.pixels.shape[2] == 3


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2000))
def test_truncated_png_at_any_point(cut):
    data = encode(gradient(), "PNG")
    cut = min(cut, len(data) - 1)
    try:
        decode_image(data[:cut])
    except ImageError as err:
        assert err.code in ERROR_CODES
