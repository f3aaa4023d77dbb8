"""A generated corpus of bad inputs: uploads and query parameters.

Every upload in the corpus either decodes (with a notice where it was converted) or raises an
ImageError whose code has a message in both languages -- never another exception. A sample of
each upload category then goes through the real CycleGAN page (AppTest): one message, no
exception, and the next good upload works. Every bad query parameter goes through the page that
reads it: a warning that names it, the page still renders, the value shown only truncated and
inside a code span. Config validation gets property-based tests.

``corpus_size()`` is what the closing note reports.
"""
from __future__ import annotations

import io
import math
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from PIL import Image
from streamlit.testing.v1 import AppTest

from gan_core import drawing
from gan_core.config import PRESETS, SPECS, ConfigError, TrainConfig, apply_overrides, check, coerce
from gan_core.images import ImageError, decode_image
from tests.apptest import open_page
from ui.i18n import catalogue, t

RNG = np.random.default_rng(20261123)


# ---- the upload corpus ------------------------------------------------------------------------
def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _photo(w: int = 64, h: int = 48) -> Image.Image:
    return Image.fromarray(RNG.integers(0, 255, (h, w, 3), dtype=np.uint8))


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def _gif_claiming(width: int, height: int) -> bytes:
    good = _encode(Image.new("P", (20, 20)), "GIF")
    return good[:6] + struct.pack("<HH", width, height) + good[10:]


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(_encode(_photo(32, 32), "JPEG"))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "green", "blue")]
    if fmt == "GIF":
        frames = [f.convert("P") for f in frames]
    return _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=80, loop=0)


def _heic_like(brand: bytes) -> bytes:
    # an ISO-BMFF 'ftyp' box with a HEIC/AVIF brand, as phones write, then junk
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\0\0\0\0" + b"mif1heic" + RNG.bytes(400)


def upload_corpus() -> list[tuple[str, str, bytes, set[str]]]:
    """(category, file name, bytes, acceptable outcomes): outcomes are ImageError codes or "ok"."""
    out: list[tuple[str, str, bytes, set[str]]] = []
    broken = {"truncated", "corrupt", "not_image", "too_small"}
    sizes = [1, 2, 7, 16, 100, 512, 1000, 4096, 20000] + [int(x) for x in RNG.integers(3, 9000, 11)]
    for i, n in enumerate(sizes):
        out.append(("random bytes", f"random{i}.jpg", RNG.bytes(n), {"not_image", "corrupt", "truncated"}))
    formats = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}
    for fmt, ext in formats.items():
        src = _photo(80, 60) if fmt != "GIF" else _photo(80, 60).convert("P")
        good = _encode(src, fmt)
        for frac in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97):
            cut = good[: max(1, int(len(good) * frac))]
            out.append(("truncated", f"cut{int(frac * 100)}{ext}", cut, broken | {"ok"}))
        for j in range(6):
            data = bytearray(good)
            start = len(data) // 4 + j * len(data) // 10
            data[start : start + 32] = RNG.bytes(32)
            out.append(("corrupt", f"corrupt{j}{ext}", bytes(data), broken | {"ok"}))
    for w, h in ((100_000, 100_000), (60_000, 900), (8_000, 8_000), (20_000, 20_000), (65_535, 65_535)):
        out.append(("huge dimensions", f"huge{w}x{h}.png", _png_claiming(w, h),
                    {"too_many_pixels", "corrupt"}))
    for w, h in ((65_535, 65_535), (10_000, 9_000)):
        out.append(("huge dimensions", f"huge{w}x{h}.jpg", _jpeg_claiming(w, h), {"too_many_pixels"}))
        out.append(("huge dimensions", f"huge{w}x{h}.gif", _gif_claiming(w, h), {"too_many_pixels"}))
    out.append(("huge dimensions", "toolong.jpg", b"\xff\xd8" + b"\0" * (26 * 2**20), {"too_many_bytes"}))
    out.append(("zero size", "empty.png", b"", {"empty"}))
    out.append(("zero size", "empty.jpg", b"", {"empty"}))
    png = _encode(_photo(), "PNG")
    jpg = _encode(_photo(), "JPEG")
    for name, data, ok in (("photo.jpg", png, {"ok"}), ("photo.png", jpg, {"ok"}),
                           ("photo.webp", jpg, {"ok"}),
                           ("notes.png", b"just some text\n" * 20, {"not_image"}),
                           ("page.jpg", b"<html><script>alert(1)</script></html>", {"not_image"}),
                           ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', {"not_image"}),
                           ("doc.jpg", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + RNG.bytes(300), {"not_image"}),
                           ("archive.png", b"PK\x03\x04" + RNG.bytes(300), {"not_image"}),
                           ("program.jpg", b"\x7fELF\x02\x01\x01" + RNG.bytes(300), {"not_image"})):
        out.append(("wrong extension", name, data, ok))
    cmyk = _encode(_photo().convert("CMYK"), "JPEG")
    out.append(("CMYK", "cmyk.jpg", cmyk, {"ok"}))
    out.append(("CMYK", "cmyk-cut.jpg", cmyk[: len(cmyk) // 2], broken))
    arr16 = (RNG.integers(0, 65535, (40, 40))).astype(np.uint16)
    out.append(("16-bit", "gray16.png", _encode(Image.fromarray(arr16), "PNG"), {"ok"}))
    out.append(("16-bit", "gray16-cut.png", _encode(Image.fromarray(arr16), "PNG")[:200], broken))
    for mode in ("L", "LA", "P", "RGBA", "1", "I;16"):
        out.append(("odd modes", f"mode{mode}.png", _encode(_photo().convert(mode), "PNG"), {"ok"}))
    for fmt, ext in (("GIF", ".gif"), ("WEBP", ".webp"), ("PNG", ".png")):
        out.append(("animated", f"anim{ext}", _animated(fmt), {"ok"}))
    for brand in (b"heic", b"mif1", b"avif"):
        out.append(("HEIC/unsupported", f"phone-{brand.decode()}.heic", _heic_like(brand),
                    {"unsupported_format"}))
    out.append(("HEIC/unsupported", "phone.jpg", _heic_like(b"heic"), {"unsupported_format"}))
    for fmt, ext in (("BMP", ".bmp"), ("TIFF", ".tif"), ("ICO", ".ico"), ("PPM", ".ppm"), ("TGA", ".tga"),
                     ("PCX", ".pcx"), ("EPS", ".eps")):
        try:
            data = _encode(_photo(32, 32), fmt)
        except (OSError, KeyError, ValueError):
            continue
        out.append(("HEIC/unsupported", f"image{ext}", data, {"unsupported_format", "not_image"}))
        out.append(("HEIC/unsupported", f"image-as{ext}.jpg", data, {"unsupported_format", "not_image"}))
    for w, h in ((1, 1), (15, 15), (1, 500), (500, 3)):
        tiny = _encode(Image.new("RGB", (w, h), "red"), "PNG")
        out.append(("tiny", f"tiny{w}x{h}.png", tiny, {"too_small"}))
    return out


UPLOADS = upload_corpus()


@pytest.mark.parametrize("category,name,data,outcomes", UPLOADS, ids=[u[1] for u in UPLOADS])
def test_every_bad_upload_is_a_coded_message_or_a_converted_image(category, name, data, outcomes):
    try:
        img = decode_image(data)
    except ImageError as err:
        assert err.code in outcomes, (category, err.code)
        for lang in ("ko", "en"):
            assert catalogue(lang).get(f"uploads.err_{err.code}"), err.code  # a message exists
        t(f"uploads.err_{err.code}", lang="en", **err.params)  # and its placeholders fill
        return
    assert "ok" in outcomes, f"{name} decoded but should have been refused"
    assert img.pixels.dtype == np.uint8 and img.pixels.ndim == 3 and img.pixels.shape[2] == 3


def _cyclegan_page() -> AppTest:
    at = open_page("cyclegan", state={"cg_tab": t("cyclegan.tab_photos", lang="en")}, timeout=240)
    at.radio(key="cg_source").set_value("upload").run()
    at.toggle(key="cg_preview").set_value(True).run()  # the fast path: the page test is about messages
    assert not at.exception
    return at


# categories whose every file decodes: an animation gives its first frame, odd modes are converted
DECODING_CATEGORIES = {"animated", "odd modes"}


def test_one_of_each_category_through_the_page_then_a_good_upload(clear_st_caches):
    """Per category: one bad upload on the real page -> one message, no exception; then a good one."""
    at = _cyclegan_page()
    seen = {}
    for category, name, data, outcomes in UPLOADS:
        if category in seen or outcomes == {"ok"}:
            continue
        try:
            decode_image(data)
            continue  # this one decodes (e.g. libjpeg shrugs off some damage): not a refusal case
        except ImageError as err:
            message = t(f"uploads.err_{err.code}", lang="en", **err.params)
        seen[category] = name
        at.file_uploader(key="cg_upload").set_value((name, data, "application/octet-stream")).run()
        assert not at.exception, (name, at.exception)
        assert [e.value for e in at.error] == [message], name
        assert len(at.image) == 0  # nothing pretends to be a result
    # one refusal through the page from every other category
    assert sorted(seen) == sorted({c for c, *_ in UPLOADS} - DECODING_CATEGORIES)
    good = _encode(_photo(96, 64), "PNG")
    at.file_uploader(key="cg_upload").set_value(("good.png", good, "image/png")).run()
    assert not at.exception and not at.error
    assert len(at.image) == 2  # input and output


# ---- the query-parameter corpus ---------------------------------------------------------------
NASTY = ["abc", "1e999", "-1e999", "nan", "inf", "-5", "1e9", "0x10", "", " ", "1,5", "２",
         "<script>alert(1)</script>", "'; DROP TABLE runs;--", "{{7*7}}", "../../etc/passwd", "%00",
         "`rm -rf /`", "A" * 5000]
LAB_KEYS = list(SPECS)


def lab_query_cases() -> list[tuple[str, str]]:
    cases = []
    for i, key in enumerate(LAB_KEYS):
        # every key gets the type-breaking values; the rest are spread across keys to keep it quick
        picks = ["abc", "<script>alert(1)</script>", "A" * 5000]
        picks += [NASTY[(i + j) % len(NASTY)] for j in range(3)]
        for value in dict.fromkeys(picks):
            cases.append((key, value))
    for key in ("hack", "__class__", "preset_", "x" * 300, "<b>"):
        cases.append((key, "1"))
    for value in ("nope", "../quick", "<script>", "quick;tiny", "A" * 3000):
        cases.append(("preset", value))
    return cases


def _accepted(key: str, value: str) -> bool:
    """Would the config accept this value as it is (then no message is due)?"""
    try:
        _, clamped = coerce(key, value)
        return not clamped
    except ConfigError:
        return False


LAB_CASES = [c for c in lab_query_cases() if not (c[0] in SPECS and _accepted(*c))]


def _open(page: str, query: dict, lang: str = "en") -> AppTest:
    return open_page(page, lang, query, check=False)


def shown(value: object) -> str:
    """A link's value as the pages show it: in a code span (backticks made quotes, no line
    breaks), cut to 40 characters."""
    text = str(value).replace("`", "'").replace("\n", " ")
    return f"`{text}`" if len(text) <= 40 else f"`{text[:39]}…`"


def allowed_text(spec) -> str:
    """A field's allowed values as the messages word them (English)."""
    if spec.choices is not None:
        return t("params.choices", lang="en", options=", ".join(str(c) for c in spec.choices))
    if spec.kind is bool:
        return t("params.boolean", lang="en")
    if spec.kind is str:
        return t("params.drawing", lang="en")
    kind = t("params.integer", lang="en") if spec.kind is int else t("params.number", lang="en")
    return t("params.range", lang="en", kind=kind, lo=f"{spec.lo:g}", hi=f"{spec.hi:g}")


def lab_link_message(key: str, value: str) -> str:
    """The one warning a bad ``?key=value`` gives on the Lab (which starts from ``quick``), worked
    out from the config's own verdict on the value."""
    if key == "preset":
        return t("params.unknown_preset", lang="en", value=shown(value), options=", ".join(PRESETS))
    if key not in SPECS:
        return t("params.unknown_key", lang="en", key=shown(key))
    try:
        _, problems = apply_overrides(PRESETS["quick"], {key: value}, clamp=True)
    except ConfigError as err:
        problems = [err]
    (err,) = problems
    allowed = allowed_text(SPECS[key])
    if err.allowed != SPECS[key].describe():  # a rule about a combination, not the plain range
        allowed = shown(err.allowed)
    return t("params.bad_value", lang="en", key=key, value=shown(err.value), allowed=allowed)


@pytest.mark.parametrize("key,value", LAB_CASES, ids=[f"{k[:12]}={v[:12]}" for k, v in LAB_CASES])
def test_lab_link_with_a_bad_value(key, value, fresh_pool, clear_st_caches):
    at = _open("lab", {key: value})
    assert not at.exception, at.exception
    assert at.title[0].value == t("lab.title", lang="en")  # the page still renders
    assert [w.value for w in at.warning] == [lab_link_message(key, value)]
    assert fresh_pool.trainings_started == 0
    # the settings the page shows are a valid config
    cfg = {name: at.session_state[f"lab_{name}"] for name in SPECS}
    check(TrainConfig(**cfg))


CONCEPT_CASES = [("procedure", "procedure.title", k, v) for k in ("k", "lr", "data")
                 for v in ("abc", "999", "-1", "nan", "<script>x</script>", "A" * 2000)]
CONCEPT_CASES += [("minimax", "minimax.title", "d", v) for v in ("abc", "5", "-1", "nan", "inf", "A" * 2000)]
CYCLEGAN_CASES = [("cyclegan", "cyclegan.title", "model", v) for v in
                  ("horse2horse", "../../etc/passwd", "http://evil.example/x.pth", "<script>", "A" * 2000)]
# the concept pages' number settings: range, and the value used for each out-of-range case above
CONCEPT_RANGES = {"k": (1, 5), "lr": (1e-5, 1e-2), "d": (0.001, 0.999)}
CONCEPT_CLAMPED = {("k", "999"): "5", ("k", "-1"): "1", ("lr", "999"): "0.01", ("lr", "-1"): "1e-05",
                   ("d", "5"): "0.999", ("d", "-1"): "0.001"}


def concept_link_message(key: str, value: str) -> str:
    """The one warning a bad ``?key=value`` gives on the procedure or minimax page, worked out here:
    the value shown inside a code span, cut to 40 characters."""
    shown = f"`{value}`" if len(value) <= 40 else f"`{value[:39]}…`"
    if key == "data":
        return t("procedure.url_choice", lang="en", key=key, value=shown, options="ring8, mnist5k")
    lo, hi = CONCEPT_RANGES[key]
    fmt = {"key": key, "value": shown, "lo": f"{lo:g}", "hi": f"{hi:g}"}
    if (key, value) in CONCEPT_CLAMPED:
        return t("procedure.url_clamped", lang="en", **fmt, used=CONCEPT_CLAMPED[key, value])
    return t("procedure.url_refused", lang="en", **fmt)


def _case_id(case: tuple) -> str:
    return f"{case[2]}={case[3][:12]}"


@pytest.mark.parametrize("page,title,key,value", CONCEPT_CASES, ids=[_case_id(c) for c in CONCEPT_CASES])
def test_concept_page_with_a_bad_link_value(page, title, key, value, clear_st_caches):
    at = _open(page, {key: value})
    assert not at.exception, at.exception
    assert at.title[0].value == t(title, lang="en")
    assert [w.value for w in at.warning] == [concept_link_message(key, value)]


@pytest.mark.parametrize("page,title,key,value", CYCLEGAN_CASES, ids=[_case_id(c) for c in CYCLEGAN_CASES])
def test_other_pages_with_a_bad_link_value(page, title, key, value, clear_st_caches):
    from gan_core.cyclegan import DEFAULT_MODEL

    at = _open(page, {key: value})
    assert not at.exception, at.exception
    assert at.title[0].value == t(title, lang="en")
    expected = t("cyclegan.err_unknown_model", lang="en", name=shown(value), default=DEFAULT_MODEL)
    assert [w.value for w in at.warning] == [expected]


def corpus_size() -> dict[str, int]:
    return {"uploads": len(UPLOADS), "lab_links": len(LAB_CASES),
            "other_links": len(CONCEPT_CASES) + len(CYCLEGAN_CASES)}


def test_corpus_is_at_least_200_inputs():
    sizes = corpus_size()
    assert sum(sizes.values()) >= 200, sizes
    categories = {c for c, *_ in UPLOADS}
    assert categories == {"random bytes", "truncated", "corrupt", "huge dimensions", "zero size",
                          "wrong extension", "CMYK", "16-bit", "animated", "HEIC/unsupported", "odd modes",
                          "tiny"}


# ---- property-based tests of config validation -------------------------------------------------
anything = hst.one_of(hst.text(max_size=60), hst.integers(), hst.floats(allow_nan=True, allow_infinity=True),
                      hst.booleans(), hst.none())


def test_parse_number_hand_cases():
    from gan_core.config import parse_number

    assert parse_number(" 0.5 ", float, 0, 1) == (0.5, False)
    assert parse_number("7", int, 1, 5, clamp=True) == (5, True)
    assert parse_number(-3, float, 0.1, 2, clamp=True) == (0.1, True)
    value, _ = parse_number("4.0", int, 1, 5)
    assert value == 4 and isinstance(value, int)
    for bad in ("2.5", True, "nan", "1e999", "-inf", "", "x", "1" * 41, None):
        with pytest.raises((ValueError, TypeError)):
            parse_number(bad, int, 0, 10, clamp=True)
    with pytest.raises(ValueError):
        parse_number("11", int, 0, 10)  # out of range and no clamp


@settings(max_examples=400, deadline=None)
@given(key=hst.sampled_from(LAB_KEYS), raw=anything)
def test_coerce_returns_a_valid_value_or_a_config_error(key, raw):
    spec = SPECS[key]
    try:
        value, clamped = coerce(key, raw, clamp=True)
    except ConfigError as err:
        assert err.key == key and key in str(err)
        return
    if spec.choices is not None:
        assert value in spec.choices
    elif spec.kind is bool:
        assert isinstance(value, bool)
    elif spec.kind is str:  # a drawing's code, kept only in its canonical form
        assert value == "" or drawing.encode(drawing.decode(value)) == value
    else:
        assert isinstance(value, spec.kind) and not isinstance(value, bool)
        assert math.isfinite(value) and spec.lo <= value <= spec.hi
    if not clamped:
        assert coerce(key, value) == (value, False)  # a kept value is stable


@settings(max_examples=150, deadline=None)
@given(overrides=hst.dictionaries(hst.sampled_from(LAB_KEYS + ["junk"]), hst.text(max_size=20), max_size=6),
       preset=hst.sampled_from(sorted(PRESETS)))
def test_clamped_overrides_always_give_a_checked_config(overrides, preset):
    overrides = {k: v for k, v in overrides.items() if k in SPECS}
    try:
        cfg, problems = apply_overrides(PRESETS[preset], overrides, clamp=True)
    except ConfigError:
        return  # a combination no clamp can repair: the page shows the message and keeps the preset
    assert check(cfg) is cfg
    assert all(isinstance(p, ConfigError) for p in problems)


@settings(max_examples=150, deadline=None)
@given(key=hst.sampled_from([k for k in LAB_KEYS if SPECS[k].lo is not None]),
       x=hst.floats(allow_nan=False, allow_infinity=False, width=64))
def test_strict_overrides_accept_exactly_the_range(key, x):
    spec = SPECS[key]
    raw = repr(int(x)) if spec.kind is int and abs(x) < 1e15 else repr(x)
    try:
        coerce(key, raw)
        ok = True
    except ConfigError:
        ok = False
    num = float(raw)
    inside = spec.lo <= num <= spec.hi and (spec.kind is float or num == int(num))
    assert ok == (inside and len(raw) <= 40)


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("query,key,used", [
    # groups or labels, not both
    ({"preset": "quick", "conditional": "true", "clusters": "30"}, "clusters", 0),
    ({"dataset": "ring8", "conditional": "true"}, "conditional", False),  # labels need an image set
    ({"batch": "64", "pack": "3"}, "pack", 1),  # packing must divide the batch
])
def test_lab_link_with_values_that_dont_go_together(query, key, used, lang, fresh_pool, clear_st_caches):
    """Each value is valid alone; the page repairs the combination and says which one it changed."""
    at = _open("lab", query, lang=lang)
    assert not at.exception and at.title[0].value == t("lab.title", lang=lang)
    text = " ".join(w.value for w in at.warning)
    want = t("params.adjusted", lang=lang, key=key, value=f"`{query[key]}`".replace("true", "True"),
             used=f"`{used}`")
    assert want in text, text
    assert at.session_state[f"lab_{key}"] == used
    assert fresh_pool.trainings_started == 0
