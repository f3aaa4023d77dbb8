"""CycleGAN studio: real vintagify inference, zoo-layout loading, downloads, the fast mode
(OpenVINO, with its PyTorch fallback), page and CLI."""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import threading
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_core import cyclegan
from gan_core.cyclegan import checkpoints, fast, inference, net
from gan_core.images import decode_image
from tests.apptest import open_page
from tests.test_images import animated_gif, bad_inputs
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = cyclegan.SAMPLES_DIR / "cat.jpg"


def photos_tab(lang: str) -> dict:
    """Session state that opens the page's photo tab (offline, the page opens on the digits)."""
    return {"cg_tab": t("cyclegan.tab_photos", lang=lang)}


def photo(name: str = "cat.jpg") -> np.ndarray:
    return decode_image((cyclegan.SAMPLES_DIR / name).read_bytes()).pixels


# ---- real inference with the shipped weights ------------------------------------------------
@pytest.fixture(scope="module")
def vintage():
    return cyclegan.load_generator("vintage")


def test_vintagify_weights_found_without_importing_the_package():
    path = cyclegan.vintagify_path()
    assert path.name == "G_A2B_epoch33.pth" and path.is_file()
    assert "vintagify" not in sys.modules


def test_real_inference_on_a_bundled_photo(vintage):
    """The vintage look of one known photo, to a tenth of a grey level: the weights, the photo
    and the resize are fixed, and float rounding on another CPU or thread count moves a pixel by
    one level at most (each such pixel moves a mean by 1/43,000 of a level)."""
    first = cyclegan.translate(vintage, photo(), 256)  # 451 x 300
    again = cyclegan.translate(vintage, photo(), 256)
    assert first.output.shape == first.input.shape == (168, 256, 3)  # aspect kept, multiples of 4
    assert first.output.dtype == np.uint8 and first.engine == "pytorch" and first.seconds > 0
    assert inference.mean_abs(first.input, first.output) == pytest.approx(29.26, abs=0.1)
    # warmer and brighter: red, green and blue all rise, blue the least
    assert first.input.mean(axis=(0, 1)) == pytest.approx([147.73, 111.42, 86.83], abs=0.01)
    assert first.output.mean(axis=(0, 1)) == pytest.approx([176.26, 146.77, 110.65], abs=0.1)
    assert np.array_equal(first.output, again.output)  # deterministic


def test_standard_path_is_plain_eager_pytorch(vintage):
    norms = [m for m in vintage.modules() if "Norm" in type(m).__name__]
    assert len(norms) == 23 and all(type(m) is torch.nn.InstanceNorm2d for m in norms)  # 3 + 18 + 2
    res = cyclegan.translate(vintage, photo(), 64)
    with torch.no_grad():
        eager = vintage(inference.to_tensor(res.input))
    assert np.array_equal(res.output, inference.to_pixels(eager))


def test_working_size_rules():
    assert cyclegan.working_size(451, 300, 256) == (256, 168)
    assert cyclegan.working_size(300, 451, "512") == (340, 512)
    assert cyclegan.working_size(1001, 603, "original") == (1000, 600)
    assert cyclegan.working_size(4000, 3000, "original") == (1024, 768)
    for bad in ("0", "abc", 4096):
        with pytest.raises(ValueError):
            cyclegan.working_size(100, 100, bad)


# ---- the fast mode ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fast_vintage(tmp_path_factory):
    """The process's fast mode of the default model, prepared with HOME pointing at an empty
    folder (to see that OpenVINO's converter writes no telemetry consent or id file there)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        fast.forget()
        mode = cyclegan.fast_mode("vintage")
    assert not list(home.iterdir())
    return mode


def test_fast_mode_is_openvino_with_its_telemetry_off(fast_vintage):
    from openvino.tools.ovc import convert_impl, telemetry_utils

    assert fast_vintage.engine == "openvino" and fast_vintage.reason is None
    assert sys.modules["openvino_telemetry"] is None  # never loaded in this process
    assert convert_impl.tm.__name__ == telemetry_utils.tm.__name__ == "openvino.tools.ovc.telemetry_stub"
    assert cyclegan.fast_mode("vintage") is fast_vintage  # converted once per process


@pytest.mark.parametrize("name", cyclegan.SAMPLES)
def test_fast_mode_matches_the_standard_path(vintage, fast_vintage, name):
    """At most two grey levels anywhere and PSNR >= 45 dB (bfloat16 here: 54-58 dB measured)."""
    full, quick = cyclegan.translate(vintage, photo(name), 128), cyclegan.translate(fast_vintage.generator,
                                                                                   photo(name), 128)
    assert quick.engine == "openvino" and quick.output.shape == full.output.shape
    assert np.abs(full.output.astype(int) - quick.output.astype(int)).max() <= 2
    assert cyclegan.psnr(full.output, quick.output) >= 45


def test_sessions_translating_at_once_get_what_each_gets_alone(fast_vintage):
    pictures = [photo("cat.jpg"), photo("rocket.jpg")]
    alone = [cyclegan.translate(fast_vintage.generator, p, 96).output for p in pictures]
    together: dict[int, np.ndarray] = {}
    barrier = threading.Barrier(2)

    def session(i: int) -> None:
        barrier.wait()
        together[i] = cyclegan.translate(fast_vintage.generator, pictures[i], 96).output

    threads = [threading.Thread(target=session, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(np.array_equal(alone[i], together[i]) for i in range(2))


@pytest.fixture
def no_openvino(monkeypatch):
    """This process as if OpenVINO were not installed (a None entry makes `import` fail)."""
    monkeypatch.setitem(sys.modules, "openvino", None)
    fast.forget()
    yield
    fast.forget()


def test_missing_openvino_falls_back_to_pytorch_with_one_sentence(vintage, no_openvino):
    assert not cyclegan.openvino_installed()
    mode = cyclegan.fast_mode("vintage")
    assert (mode.engine, mode.reason) == ("pytorch", "missing")
    assert mode.sentence() == "OpenVINO is not installed: the fast mode runs the standard PyTorch path"
    res = cyclegan.translate(mode.generator, photo(), 64)
    assert res.engine == "pytorch"
    assert np.array_equal(res.output, cyclegan.translate(vintage, photo(), 64).output)


def test_a_failing_conversion_falls_back_with_its_first_line(vintage, monkeypatch):
    def broken(gen):
        raise RuntimeError("Exception from src/frontends/pytorch: op not supported\n(details)")
    monkeypatch.setattr(fast, "compile_generator", broken)
    mode = fast.prepare(vintage)
    assert (mode.engine, mode.reason, mode.generator) == ("pytorch", "failed", vintage)
    assert mode.sentence() == ("OpenVINO could not prepare the model (Exception from src/frontends/pytorch: "
                               "op not supported): the fast mode runs the standard PyTorch path")


def test_page_without_openvino_opens_in_standard_mode_and_says_why_when_asked(clear_st_caches, no_openvino):
    at = open_page("cyclegan", "ko", state=photos_tab("ko"), timeout=240)
    assert at.toggle(key="cg_preview").value is False
    assert t("cyclegan.preview_note", lang="ko") not in [c.value for c in at.caption]
    at.toggle(key="cg_preview").set_value(True).run()
    assert not at.exception and not at.error and len(at.image) >= 2
    assert t("cyclegan.fast_missing", lang="ko") in [c.value for c in at.caption]


# ---- zoo layout: non-affine norms, conv_block keys, stale buffers -----------------------------
def zoo_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict in the junyanz layout, with the InstanceNorm buffers old files carry."""
    torch.manual_seed(seed)
    sd = net.ResnetGenerator(affine=False).state_dict()
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
        net.ResnetGenerator(affine=False).load_state_dict(sd)
    gen = cyclegan.generator_from_state_dict(sd)
    assert not gen.model[2].affine
    clean = {k: v for k, v in sd.items() if not k.endswith(net.STALE)}
    ref = net.ResnetGenerator(affine=False)
    ref.load_state_dict(clean)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.inference_mode():
        assert torch.equal(gen(x), ref.eval()(x))


def test_vintagify_layout_uses_block_keys_and_affine_norms():
    raw = torch.load(cyclegan.vintagify_path(), map_location="cpu", weights_only=True)
    assert "model.10.block.1.weight" in raw and "model.2.weight" in raw
    gen = cyclegan.generator_from_state_dict(raw)
    assert gen.model[2].affine
    assert sum(p.numel() for p in gen.parameters()) == pytest.approx(11.39e6, rel=0.01)


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
    monkeypatch.setattr(checkpoints, "_open_url", fake_open)


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
    monkeypatch.setattr(checkpoints, "_open_url", offline)
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
def test_page_opens_in_fast_mode_translates_a_sample_and_caches_it(clear_st_caches, fast_vintage):
    at = open_page("cyclegan", "ko", state=photos_tab("ko"), timeout=240)
    assert not at.error and at.toggle(key="cg_preview").value is True  # OpenVINO is installed here
    assert len(at.image) >= 2  # input and output side by side
    assert at.download_button(key="cg_download")
    # time per photo and the working size; engine figures (GFLOP/s) are the bench's business
    assert [m.label for m in at.metric] == [t("cyclegan.latency", lang="ko"),
                                            t("cyclegan.working_size", lang="ko")]
    assert t("cyclegan.preview_note", lang="ko") in [c.value for c in at.caption]  # one line says so
    at.run()  # a rerun (any click) must come from the cache
    cached = [c.value for c in at.caption if "캐시" in c.value]
    assert cached and not at.exception
    assert any(t("cyclegan.losses_title", lang="ko") in s.value for s in at.subheader)
    assert any("MIT" in c.value and "BSD" in c.value for c in at.caption)


def test_page_bad_inputs_each_get_one_message(clear_st_caches, monkeypatch):
    at = open_page("cyclegan", state={"cg_source": "upload", **photos_tab("en")}, timeout=240)
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
    except Exception as err:  # the refusal's parameters fill the expected message
        return getattr(err, "params", {})
    return {}


def test_page_unknown_model_and_offline_zoo(clear_st_caches, tmp_cache, monkeypatch):
    def offline(url, timeout=20.0):
        raise urllib.error.URLError("offline")
    monkeypatch.setattr(checkpoints, "_open_url", offline)
    at = open_page("cyclegan", query={"model": "sat2map"}, state={"cg_source": "upload", **photos_tab("en")},
                   timeout=240)
    unknown = t("cyclegan.err_unknown_model", lang="en", name="`sat2map`", default="vintage")
    assert unknown in [w.value for w in at.warning]
    at.selectbox(key="cg_model").set_value("horse2zebra").run()
    at.button(key="cg_dl_model").click().run()
    assert not at.exception
    offline_msg = t("cyclegan.err_offline", lang="en", name="horse2zebra", default="vintage")
    assert offline_msg in [e.value for e in at.error]
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


def test_page_downloads_a_zoo_pair_and_shows_the_cycle(clear_st_caches, tmp_cache, monkeypatch):
    """Both directions through the page's download buttons (fake server), then x -> G(x) -> F(G(x))."""
    payloads = {"horse2zebra": zoo_bytes(0), "zebra2horse": zoo_bytes(1)}

    def fake_open(url, timeout=20.0):
        data = payloads[url.rsplit("/", 1)[-1].removesuffix(".pth")]
        return len(data), iter([data[i:i + 1_000_000] for i in range(0, len(data), 1_000_000)])
    monkeypatch.setattr(checkpoints, "_open_url", fake_open)
    # the standard path: converting two random-weight zoo models would only cost time here
    at = open_page("cyclegan", state={"cg_model": "horse2zebra", "cg_sample": "cat.jpg", "cg_preview": False,
                                      **photos_tab("en")},
                   timeout=240)
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
    assert t("cyclegan.recon_error", lang="en") in labels
    assert t("cyclegan.identity_error", lang="en") in labels


def test_cli_fast_mode_writes_the_same_picture_up_to_rounding(tmp_path):
    plain, quick = tmp_path / "plain.png", tmp_path / "fast.png"
    assert cli("--model", "vintage", "--size", "96", str(SAMPLE), str(plain)).returncode == 0
    res = cli("--model", "vintage", "--size", "96", "--fast", str(SAMPLE), str(quick))
    assert res.returncode == 0, res.stderr
    assert "PyTorch" not in res.stderr  # OpenVINO ran: no fallback line
    a, b = decode_image(plain.read_bytes()).pixels, decode_image(quick.read_bytes()).pixels
    assert a.shape == b.shape == (64, 96, 3)
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 2 and cyclegan.psnr(a, b) >= 45
