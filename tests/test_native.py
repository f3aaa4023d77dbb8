"""The CycleGAN fast mode's compiled kernels (gan_core/native): building, falling back, and the
fused layers against the plain PyTorch ones they replace."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gan_core import cyclegan, native
from gan_core.images import decode_image
from ui.i18n import t

needs_compiler = pytest.mark.skipif(native.compiler() is None or native.why_unavailable() is not None,
                                    reason=f"the kernels can't be built here: {native.why_unavailable()}")


@pytest.fixture
def fresh_native(monkeypatch):
    """native's per-process state forgotten before and after the test (it changes the env)."""
    native.reset()
    yield monkeypatch
    monkeypatch.undo()
    native.reset()


def _blocks(dim: int, affine: bool, seed: int) -> list[nn.Module]:
    torch.manual_seed(seed)
    blocks = [cyclegan.ResnetBlock(dim, affine) for _ in range(2)]
    for b in blocks:
        for m in b.modules():
            if isinstance(m, cyclegan.InstanceNorm) and affine:  # learned scale/shift, not 1 and 0
                nn.init.uniform_(m.weight, 0.5, 1.5)
                nn.init.uniform_(m.bias, -0.3, 0.3)
        b.eval()
    return blocks


# ---- building -------------------------------------------------------------------------------
@needs_compiler
def test_kernels_build_once_and_are_reused(tmp_path):
    path = native.build(native.compiler(), tmp_path)
    again = native.build(native.compiler(), tmp_path)
    assert path == again and path.stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind
    assert native._load(path).fastconv_version() == native.VERSION


@needs_compiler
def test_preview_uses_the_compiled_kernels_here():
    gen = cyclegan.load_generator("vintage")
    fast = cyclegan.preview_generator(gen)
    assert isinstance(fast, cyclegan.FastGenerator) and cyclegan.fast_engine() is None
    # the residual convolutions live on only as Winograd kernels: gen's 3x3 weights aren't held
    held = {id(p) for p in list(fast.parameters()) + list(fast.buffers())}
    assert not any(id(m.weight) in held for _, _, m in cyclegan._winograd_targets(gen))


def test_turned_off_falls_back_to_pytorch(fresh_native):
    fresh_native.setenv("GAN_CLASSROOM_NATIVE", "0")
    assert native.library() is None and native.why_unavailable()[0] == "off"
    fast = cyclegan.preview_generator(cyclegan.load_generator("vintage"))
    assert sum(isinstance(m, cyclegan.WinogradConv) for m in fast.modules()) == 18


def test_no_compiler_is_one_reason(fresh_native, tmp_path):
    fresh_native.setenv("CC", str(tmp_path / "no-such-cc"))
    assert native.library() is None
    code, sentence = native.why_unavailable()
    assert code in ("no_compiler", "cpu") and sentence.count(".") <= 1


def test_a_failing_build_is_one_sentence_and_nothing_is_left(fresh_native, tmp_path):
    cc = tmp_path / "broken-cc"
    cc.write_text('#!/bin/sh\necho "fastconv.c:12:3: error: the compiler is broken" >&2\nexit 1\n')
    cc.chmod(0o755)
    fresh_native.setenv("CC", str(cc))
    fresh_native.setenv("GAN_CLASSROOM_CACHE", str(tmp_path / "cache"))
    if native._unsupported() is not None:
        pytest.skip(f"not this machine's path: {native._unsupported()[1]}")
    assert native.library() is None
    code, sentence = native.why_unavailable()
    assert code == "build" and "the compiler is broken" in sentence and "\n" not in sentence
    assert list((tmp_path / "cache" / "native").iterdir()) == []  # the temporary was removed
    fast = cyclegan.preview_generator(cyclegan.load_generator("vintage"))  # still works
    assert not isinstance(fast, cyclegan.FastGenerator)


# ---- the fused layers against the layers they replace -----------------------------------------
@needs_compiler
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("shape", [(1, 16, 9, 13), (2, 8, 12, 8), (1, 24, 2, 5), (1, 8, 17, 3), (1, 8, 20, 6)])
def test_fused_trunk_equals_the_residual_blocks(shape, affine, monkeypatch):
    """Map sizes that are and aren't multiples of 4 (tiles past the edge), the smallest map
    reflection allows, batches, passes of two tile rows (with a shorter last one), float32 and
    float16 kernels."""
    tiles_across = -(-shape[3] // 4)
    monkeypatch.setattr(cyclegan.FusedTrunk, "CHUNK", 2 * tiles_across * shape[1])  # 2 tile rows per pass
    blocks = _blocks(shape[1], affine, seed=shape[2])
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(3)).contiguous(memory_format=torch.channels_last)
    keep = x.clone()
    with torch.inference_mode():
        ref = nn.Sequential(*blocks)(x.clone())
        exact = cyclegan.FusedTrunk(blocks, native.library(), torch.float32)(x)
        half = cyclegan.FusedTrunk(blocks, native.library())(x)
    assert torch.equal(x, keep)  # not in place unless asked
    for out in (exact, half):
        assert out.shape == ref.shape and out.is_contiguous(memory_format=torch.channels_last)
    scale = ref.abs().max().item()
    assert (exact - ref).abs().max().item() <= 1e-4 * scale
    assert (half - ref).abs().max().item() <= 2e-2 * scale
    assert (half - ref).abs().max().item() > 0  # float16 kernels do round: the test sees the fused path


@needs_compiler
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("hw", [(8, 8), (11, 9), (23, 14)])
def test_fused_head_equals_the_last_layers(hw, affine, monkeypatch):
    """Norm, ReLU, reflection pad 3, 7x7 conv to RGB and tanh, in strips of 5 rows (so strips
    of 5, 5, ... and a short one), widths not multiples of 4."""
    monkeypatch.setattr(cyclegan, "STRIP_ROWS", 5)
    torch.manual_seed(hw[0])
    norm = cyclegan.InstanceNorm(64, affine=affine)
    if affine:
        nn.init.uniform_(norm.weight, 0.5, 1.5)
        nn.init.uniform_(norm.bias, -0.3, 0.3)
    conv = nn.Conv2d(64, 3, 7)
    plain = nn.Sequential(norm, nn.ReLU(), nn.ReflectionPad2d(3), conv, nn.Tanh()).eval()
    x = torch.randn(2, 64, *hw).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        ref = plain(x.clone())
        out = cyclegan.FusedHead(norm, conv, native.library())(x)
    assert out.shape == (2, 3, *hw)
    assert (out - ref).abs().max().item() < 1e-5


@needs_compiler
def test_fast_generator_matches_fp32_on_photos():
    gen = cyclegan.load_generator("vintage")
    fast = cyclegan.preview_generator(gen)
    for name in cyclegan.SAMPLES:
        pixels = decode_image((cyclegan.SAMPLES_DIR / name).read_bytes()).pixels
        for size in (100, 256):  # 100 x 68 etc.; at 256 the head runs in strips, the trunk in passes
            full, quick = cyclegan.translate(gen, pixels, size), cyclegan.translate(fast, pixels, size)
            assert quick.output.shape == full.output.shape and quick.output.dtype == np.uint8
            assert np.abs(full.output.astype(int) - quick.output.astype(int)).max() <= 3, (name, size)
            assert cyclegan.psnr(full.output, quick.output) >= 55, (name, size)
    with pytest.raises(ValueError, match="too small"):
        cyclegan.run(fast, torch.zeros(1, 3, 4, 64))
    with pytest.raises(RuntimeError, match="inference only"):
        fast(torch.zeros(1, 3, 64, 64))


@needs_compiler
def test_zoo_layout_fast_generator_matches(tmp_path):
    """Non-affine norms (the official models' layout) through the fused path."""
    torch.manual_seed(5)
    gen = cyclegan.ResnetGenerator(affine=False).eval().requires_grad_(False)
    gen = gen.to(memory_format=torch.channels_last)
    fast, torch_fast = cyclegan.preview_generator(gen), cyclegan.winograd_generator(gen)
    x = torch.rand(1, 3, 40, 52) * 2 - 1
    ref, out, same_kernels = cyclegan.run(gen, x), cyclegan.run(fast, x), cyclegan.run(torch_fast, x)
    assert (ref - out).abs().max().item() < 3e-2  # random weights amplify the float16 kernels' rounding
    assert (same_kernels - out).abs().max().item() < 2e-3  # the same kernels in PyTorch: ~same numbers


# ---- the page says which fast mode it used ----------------------------------------------------
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_page_says_when_fast_mode_is_pytorch_only(lang, clear_st_caches, fresh_native):
    from tests.test_cyclegan import page

    fresh_native.setenv("GAN_CLASSROOM_NATIVE", "0")
    at = page(lang, cg_preview=True, cg_size="256")
    assert not at.exception and not at.error
    notes = [c.value for c in at.caption]
    want = t("cyclegan.preview_note_plain", lang=lang, reason=t("cyclegan.native_off", lang=lang))
    assert want in notes


@needs_compiler
def test_page_fast_mode_with_the_kernels(clear_st_caches):
    from tests.test_cyclegan import page

    at = page("ko", cg_preview=True, cg_size="256")
    assert not at.exception and not at.error
    assert t("cyclegan.preview_note", lang="ko") in [c.value for c in at.caption]
    assert len(at.image) >= 2


@needs_compiler
def test_two_sessions_share_one_fast_generator():
    """Streamlit shares the model across sessions: two threads translating at once (each with
    its own OpenMP team inside the kernels) get exactly what each gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    fast = cyclegan.preview_generator(cyclegan.load_generator("vintage"))
    photos = [decode_image((cyclegan.SAMPLES_DIR / f).read_bytes()).pixels for f in cyclegan.SAMPLES[:2]]
    alone = [cyclegan.translate(fast, p, 128).output for p in photos]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda p: cyclegan.translate(fast, p, 128).output, photos * 2))
    for i, out in enumerate(together):
        assert np.array_equal(out, alone[i % 2])


@needs_compiler
def test_kernels_share_torchs_openmp_runtime(tmp_path):
    """One OpenMP runtime in the process: the kernels link against the libgomp torch loaded."""
    gomp = native.torch_openmp()
    lib = native._load(native.build(native.compiler(), tmp_path))
    with open("/proc/self/maps") as fh:
        mapped = {line.split()[-1] for line in fh if "/libgomp" in line}
    if gomp is not None:
        assert mapped == {str(gomp)}
    assert len(mapped) <= 1 and lib.fastconv_version() == native.VERSION


@needs_compiler
def test_other_widths_use_the_pytorch_fast_mode():
    """The C last layer is written for 64 channels: a narrower generator gets the other path."""
    torch.manual_seed(6)
    gen = cyclegan.ResnetGenerator(ngf=32, n_blocks=2).eval().requires_grad_(False)
    fast = cyclegan.preview_generator(gen)
    assert not isinstance(fast, cyclegan.FastGenerator)
    x = torch.rand(1, 3, 32, 40) * 2 - 1
    assert (cyclegan.run(fast, x) - cyclegan.run(gen, x)).abs().max().item() < 3e-2


def test_every_fallback_reason_has_a_sentence_in_both_languages():
    for code in native.REASONS:
        for lang in ("ko", "en"):
            sentence = t(f"cyclegan.native_{code}", lang=lang)
            assert sentence != f"cyclegan.native_{code}" and sentence.endswith(".")
