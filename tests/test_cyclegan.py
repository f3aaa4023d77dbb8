"""CycleGAN studio: real vintagify inference, zoo-layout loading, downloads, page and CLI."""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_core import cyclegan
from gan_core.images import decode_image
from tests.test_images import animated_gif, bad_inputs
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = cyclegan.SAMPLES_DIR / "cat.jpg"


# ---- real inference with the shipped weights ------------------------------------------------
@pytest.fixture(scope="module")
def vintage():
    return cyclegan.load_generator("vintage")


def test_vintagify_weights_found_without_importing_the_package():
    path = cyclegan.vintagify_path()
    assert path.name == "G_A2B_epoch33.pth" and path.is_file()
    assert "vintagify" not in sys.modules


def test_real_inference_on_a_bundled_photo(vintage):
    pixels = decode_image(SAMPLE.read_bytes()).pixels  # 451 x 300
    first = cyclegan.translate(vintage, pixels, 256)
    again = cyclegan.translate(vintage, pixels, 256)
    assert first.output.shape == first.input.shape == (168, 256, 3)  # aspect kept, multiples of 4
    assert first.output.dtype == np.uint8 and first.output.min() >= 0 and first.output.max() <= 255
    assert first.output.std() > 10  # a picture, not a flat colour
    diff = np.abs(first.output.astype(int) - first.input.astype(int)).mean()
    assert 3 < diff < 120  # it changed the photo, but it is still that photo
    assert np.array_equal(first.output, again.output)  # deterministic
    assert first.seconds > 0 and first.gflop == pytest.approx(cyclegan.flops(256, 168) / 1e9)


def test_channels_last_path_matches_plain_eager(vintage):
    x = torch.rand(1, 3, 64, 96) * 2 - 1
    plain = cyclegan.eager_reference(vintage)
    assert type(plain.model[2]) is torch.nn.InstanceNorm2d
    with torch.inference_mode():
        ref = plain(x)
    assert (cyclegan.run(vintage, x) - ref).abs().max().item() < 1e-3


@pytest.mark.parametrize("shape", [(1, 256, 64, 64), (2, 64, 37, 29), (1, 8, 600, 500)])
def test_instance_statistics_match_var_mean(shape, monkeypatch):
    monkeypatch.setattr(cyclegan, "STAT_CHUNK", 4096)  # several chunks even for small maps
    x = (torch.randn(*shape, generator=torch.Generator().manual_seed(0)) * 3 + 2)
    ref_var, ref_mean = torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
    for memory in (torch.channels_last, torch.contiguous_format):
        var, mean = cyclegan.instance_var_mean(x.contiguous(memory_format=memory))
        assert var.shape == mean.shape == (shape[0], shape[1], 1, 1)
        torch.testing.assert_close(var, ref_var, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(mean, ref_mean, rtol=1e-5, atol=1e-6)


def test_working_size_rules():
    assert cyclegan.working_size(451, 300, 256) == (256, 168)
    assert cyclegan.working_size(300, 451, "512") == (340, 512)
    assert cyclegan.working_size(1001, 603, "original") == (1000, 600)
    assert cyclegan.working_size(4000, 3000, "original") == (1024, 768)
    for bad in ("0", "abc", 4096):
        with pytest.raises(ValueError):
            cyclegan.working_size(100, 100, bad)


def test_flops_match_the_issue():
    assert cyclegan.flops(256, 256) / 1e9 == pytest.approx(99, abs=1)
    assert cyclegan.flops(512, 512) / 1e9 == pytest.approx(396, abs=2)


# ---- zoo layout: non-affine norms, conv_block keys, stale buffers -----------------------------
def zoo_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict in the junyanz layout, with the InstanceNorm buffers old files carry."""
    torch.manual_seed(seed)
    sd = cyclegan.ResnetGenerator(affine=False).state_dict()
    assert any(".conv_block." in k for k in sd) and "model.2.weight" not in sd
    for idx in (2, 5, 8, 20, 23):
        sd[f"model.{idx}.running_mean"] = torch.zeros(1)
        sd[f"model.{idx}.running_var"] = torch.ones(1)
        sd[f"model.{idx}.num_batches_tracked"] = torch.tensor(0)
    sd["model.10.conv_block.2.running_mean"] = torch.zeros(256)
    return sd


def zoo_bytes(seed: int = 0) -> bytes:
    buf = io.BytesIO()
    torch.save(zoo_state_dict(seed), buf)
    return buf.getvalue()


def test_zoo_layout_loads_and_stale_buffers_are_dropped():
    sd = zoo_state_dict()
    with pytest.raises(RuntimeError):  # why they must be dropped: strict loading refuses them
        cyclegan.ResnetGenerator(affine=False).load_state_dict(sd)
    gen = cyclegan.generator_from_state_dict(sd)
    assert not gen.model[2].affine
    clean = {k: v for k, v in sd.items() if not k.endswith(cyclegan._STALE)}
    ref = cyclegan.ResnetGenerator(affine=False)
    ref.load_state_dict(clean)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.inference_mode():
        assert torch.equal(gen(x), ref.eval()(x))


def test_vintagify_layout_uses_block_keys_and_affine_norms():
    raw = torch.load(cyclegan.vintagify_path(), map_location="cpu", weights_only=True)
    assert "model.10.block.1.weight" in raw and "model.2.weight" in raw
    gen = cyclegan.generator_from_state_dict(raw)
    assert gen.model[2].affine and sum(p.numel() for p in gen.parameters()) == pytest.approx(11.39e6, rel=0.01)


def test_unexpected_layout_is_a_model_error(tmp_cache):
    folder = cyclegan.zoo_dir()
    folder.mkdir(parents=True)
    torch.save({"model.1.weight": torch.zeros(3)}, folder / "horse2zebra.pth")
    with pytest.raises(cyclegan.ModelError) as info:
        cyclegan.load_generator("horse2zebra")
    assert info.value.code == "bad_weights"


# ---- downloads: allow-list, progress, SHA-256 registry, offline ------------------------------
def fake_server(monkeypatch, payload: bytes, seen: list | None = None):
    def fake_open(url, timeout=20.0):
        if seen is not None:
            seen.append(url)
        chunks = [payload[i:i + 100_000] for i in range(0, len(payload), 100_000)]
        return len(payload), iter(chunks)
    monkeypatch.setattr(cyclegan, "_open_url", fake_open)


def test_download_records_sha_and_reports_progress(tmp_cache, monkeypatch):
    payload, urls, calls = zoo_bytes(), [], []
    fake_server(monkeypatch, payload, urls)
    assert not cyclegan.is_available("horse2zebra")
    path = cyclegan.download("horse2zebra", progress=lambda done, total: calls.append((done, total)))
    assert urls == ["http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/horse2zebra.pth"]
    assert path == tmp_cache / "cyclegan" / "horse2zebra.pth" and path.read_bytes() == payload
    assert calls[-1] == (len(payload), len(payload)) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    reg = json.loads((tmp_cache / "cyclegan" / "registry.json").read_text())
    assert reg["horse2zebra"]["sha256"] == hashlib.sha256(payload).hexdigest()
    assert not list((tmp_cache / "cyclegan").glob("*.part"))  # temp file renamed, not left behind
    gen = cyclegan.load_generator("horse2zebra")
    assert not gen.model[2].affine


def test_sha_mismatch_is_refused(tmp_cache, monkeypatch):
    fake_server(monkeypatch, zoo_bytes(0))
    path = cyclegan.download("zebra2horse")
    # the server now sends different bytes: refused, the verified file stays
    fake_server(monkeypatch, zoo_bytes(1))
    with pytest.raises(cyclegan.ModelError) as info:
        cyclegan.download("zebra2horse")
    assert info.value.code == "checksum" and path.read_bytes() == zoo_bytes(0)
    # the file on disk is altered: refused at load time
    path.write_bytes(zoo_bytes(1))
    with pytest.raises(cyclegan.ModelError) as info:
        cyclegan.load_generator("zebra2horse")
    assert info.value.code == "checksum"


def test_offline_is_one_sentence_and_default_still_works(tmp_cache, monkeypatch):
    def offline(url, timeout=20.0):
        raise urllib.error.URLError("Name or service not known")
    monkeypatch.setattr(cyclegan, "_open_url", offline)
    with pytest.raises(cyclegan.ModelError) as info:
        cyclegan.download("style_monet")
    assert info.value.code == "offline" and "\n" not in str(info.value)
    assert not (tmp_cache / "cyclegan" / "style_monet.pth").exists()
    assert cyclegan.is_available("vintage")


def test_only_listed_names_have_urls():
    assert len(cyclegan.ZOO_MODELS) == 11
    for name in ("vintage", "../etc/passwd", "sat2map", "horse2zebra.pth"):
        with pytest.raises(cyclegan.ModelError):
            cyclegan.zoo_url(name)


# ---- the page ---------------------------------------------------------------------------------
def page(lang: str = "en", **state):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
    at.session_state["lang"] = lang
    at.run()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page("pages/cyclegan.py")
    at.run()
    return at


def test_page_translates_a_sample_and_caches_it(clear_st_caches):
    at = page("ko")
    assert not at.exception and not at.error
    assert len(at.image) >= 2  # input and output side by side
    assert at.download_button(key="cg_download")
    assert any(m.label == t("cyclegan.latency", lang="ko") for m in at.metric)
    at.run()  # a rerun (any click) must come from the cache
    cached = [c.value for c in at.caption if "캐시" in c.value]
    assert cached and not at.exception
    assert any(t("cyclegan.losses_title", lang="ko") in s.value for s in at.subheader)
    assert any("MIT" in c.value and "BSD" in c.value for c in at.caption)


def test_page_bad_inputs_each_get_one_message(clear_st_caches, monkeypatch):
    at = page("en", cg_source="upload")
    assert not at.exception
    cases = dict(bad_inputs())
    for name, (data, code) in cases.items():
        at.file_uploader(key="cg_upload").set_value((name, data, "image/png")).run()
        assert not at.exception, name
        assert [e.value for e in at.error] == [t(f"uploads.err_{code}", lang="en", **_params(data))], name
    # an animated GIF: its first frame is used, and the page says so
    at.file_uploader(key="cg_upload").set_value(("anim.gif", animated_gif(), "image/gif")).run()
    assert not at.exception and not at.error
    assert any(i.value == t("uploads.notice_first_frame", lang="en") for i in at.info)
    assert len(at.image) >= 2


def _params(data: bytes) -> dict:
    try:
        decode_image(data)
    except Exception as err:  # noqa: BLE001
        return getattr(err, "params", {})
    return {}


def test_page_unknown_model_and_offline_zoo(clear_st_caches, tmp_cache, monkeypatch):
    from streamlit.testing.v1 import AppTest

    def offline(url, timeout=20.0):
        raise urllib.error.URLError("offline")
    monkeypatch.setattr(cyclegan, "_open_url", offline)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
    at.session_state["lang"] = "en"
    at.session_state["cg_source"] = "upload"
    at.query_params["model"] = "sat2map"
    at.run()
    at.switch_page("pages/cyclegan.py").run()
    assert not at.exception
    assert t("cyclegan.err_unknown_model", lang="en", name="`sat2map`", default="vintage") in [w.value for w in at.warning]
    at.selectbox(key="cg_model").set_value("horse2zebra").run()
    at.button(key="cg_dl_model").click().run()
    assert not at.exception
    assert t("cyclegan.err_offline", lang="en", name="horse2zebra", default="vintage") in [e.value for e in at.error]
    at.selectbox(key="cg_model").set_value("vintage").run()  # the default still works
    assert not at.exception and not at.error


# ---- the CLI ----------------------------------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gan_core", "translate", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_bad_inputs_exit_non_zero_with_one_line(tmp_path):
    cases = dict(bad_inputs())
    cases["anim.gif"] = (animated_gif(), "animated")
    for name, (data, _code) in cases.items():
        (tmp_path / name).write_bytes(data)
    for name in cases:
        res = cli("--model", "vintage", str(tmp_path / name), str(tmp_path / "out.png"))
        assert res.returncode == 2, (name, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, res.stderr)
    res = cli("--model", "sat2map", str(SAMPLE), str(tmp_path / "out.png"))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "unknown model" in res.stderr
    assert not (tmp_path / "out.png").exists()


def test_cli_translates_a_folder(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "cat.jpg").write_bytes(SAMPLE.read_bytes())
    res = cli("--model", "vintage", "--size", "64", str(src), str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    out = decode_image((tmp_path / "out" / "cat.png").read_bytes())
    assert out.size == (64, 40)


@pytest.mark.parametrize("shape", [(1, 256, 66, 66), (2, 16, 11, 13), (1, 8, 3, 3), (1, 5, 40, 7)])
def test_winograd_conv_equals_the_direct_convolution(shape, monkeypatch):
    """Any map size (the last tiles reach past the edge), batches, and several passes."""
    monkeypatch.setattr(cyclegan, "WINO_CHUNK", 512)
    gen = torch.Generator().manual_seed(1)
    conv = torch.nn.Conv2d(shape[1], 7, 3)
    x = torch.randn(*shape, generator=gen).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        ref = conv(x)
        exact, half = cyclegan.WinogradConv(conv, torch.float32)(x), cyclegan.WinogradConv(conv)(x)
    for out in (exact, half):
        assert out.shape == ref.shape and out.is_contiguous(memory_format=torch.channels_last)
    assert (exact - ref).abs().max().item() <= 1e-4 * ref.abs().max().item()  # the algorithm itself
    assert (half - ref).abs().max().item() <= 2e-2 * ref.abs().max().item()  # float16 kernels
    with pytest.raises(ValueError):
        cyclegan.WinogradConv(torch.nn.Conv2d(4, 4, 3, stride=2))


def test_pytorch_fast_mode_matches_fp32_up_to_rounding(vintage):
    """The fast mode where the compiled kernels can't be built (tests/test_native.py: the other)."""
    photos = [decode_image((cyclegan.SAMPLES_DIR / f).read_bytes()).pixels for f in cyclegan.SAMPLES]
    fast = cyclegan.winograd_generator(vintage)
    assert sum(isinstance(m, cyclegan.WinogradConv) for m in fast.modules()) == 18
    assert not any(isinstance(m, cyclegan.WinogradConv) for m in vintage.modules())  # original untouched
    x = torch.rand(1, 3, 64, 92, generator=torch.Generator().manual_seed(2)) * 2 - 1
    assert (cyclegan.run(fast, x) - cyclegan.run(vintage, x)).abs().max().item() < 1e-2
    full, quick = cyclegan.translate(vintage, photos[1], 128), cyclegan.translate(fast, photos[1], 128)
    assert full.output.shape == quick.output.shape
    assert np.abs(full.output.astype(int) - quick.output.astype(int)).max() <= 2
    assert cyclegan.psnr(full.output, quick.output) >= 60


def test_page_downloads_a_zoo_pair_and_shows_the_cycle(clear_st_caches, tmp_cache, monkeypatch):
    """Both directions through the page's download buttons (fake server), then x -> G(x) -> F(G(x))."""
    payloads = {"horse2zebra": zoo_bytes(0), "zebra2horse": zoo_bytes(1)}

    def fake_open(url, timeout=20.0):
        data = payloads[url.rsplit("/", 1)[-1].removesuffix(".pth")]
        return len(data), iter([data[i:i + 1_000_000] for i in range(0, len(data), 1_000_000)])
    monkeypatch.setattr(cyclegan, "_open_url", fake_open)
    at = page("en", cg_model="horse2zebra", cg_sample="cat.jpg")
    assert not at.exception and not at.image  # nothing to show until the model is there
    at.button(key="cg_dl_model").click().run()
    assert not at.exception and not at.error
    assert at.get("progress")  # st.progress was shown (final state under AppTest)
    assert len(at.image) >= 2 and cyclegan.read_registry()["horse2zebra"]["sha256"]
    assert any(s.value == t("cyclegan.cycle_title", lang="en") for s in at.subheader)
    at.button(key="cg_dl_reverse").click().run()
    assert not at.exception and not at.error
    assert len(at.image) >= 6  # x, G(x) above; x, G(x), F(G(x)), F(x) in the cycle row
    labels = [m.label for m in at.metric]
    assert t("cyclegan.recon_error", lang="en") in labels and t("cyclegan.identity_error", lang="en") in labels


def test_last_layer_in_strips_is_exact(vintage):
    h = torch.rand(1, 64, 2 * cyclegan.STRIP_ROWS + 9, 40)  # strips of 128, 128 and 9 rows
    with torch.inference_mode():
        whole = vintage.model[-3:](h)
        strips = cyclegan._strip_head(h, vintage.model[-2])
    assert torch.allclose(whole, strips, atol=1e-6)


def test_cli_fast_mode_writes_the_same_picture_up_to_rounding(tmp_path):
    plain, fast = tmp_path / "plain.png", tmp_path / "fast.png"
    assert cli("--model", "vintage", "--size", "96", str(SAMPLE), str(plain)).returncode == 0
    res = cli("--model", "vintage", "--size", "96", "--fast", str(SAMPLE), str(fast))
    assert res.returncode == 0, res.stderr
    a, b = decode_image(plain.read_bytes()).pixels, decode_image(fast.read_bytes()).pixels
    assert a.shape == b.shape == (64, 96, 3)
    assert cyclegan.psnr(a, b) >= 55
