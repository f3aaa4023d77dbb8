"""The digits CycleGAN's two optional parts for a G(x) that looks typeset: a convolutional
generator and a whole-digit score next to the patch scores; and the content addresses of the
runs made before they existed."""
from __future__ import annotations

import pytest
import torch

from gan_core.config import ConfigError
from gan_core.cycle_config import CYCLE_PRESETS, CycleConfig, apply_overrides, from_dict
from gan_core.cycle_nets import PATCHES, ConvDigitGenerator, PatchDiscriminator, build_nets
from gan_core.cycle_train import discriminator_loss, ls_real, train_cycle

DIGITS = CYCLE_PRESETS["cycle-digits"]


def test_older_configs_keep_their_content_address():
    # the key of the shipped 2D default run (pretrained/cycle_2d_defaults.json), from before
    # the two fields existed
    assert CYCLE_PRESETS["cycle-2d"].key == "0a0e1abe0ff6d0e14c32"
    mlp = DIGITS.replace(generator="mlp", w_whole=0.0, lambda_shape=0.0)
    assert not {"generator", "w_whole", "lambda_shape"} & set(mlp.to_dict())
    conv = apply_overrides(mlp, {"generator": "conv", "w_whole": "1"})
    assert conv.to_dict()["generator"] == "conv" and conv.to_dict()["w_whole"] == 1.0
    assert conv.key != DIGITS.key and from_dict(conv.to_dict()) == conv


@pytest.mark.parametrize(("key", "value"), [("generator", "conv"), ("w_whole", "0.5"), ("lambda_shape", "1")])
def test_2d_points_refuse_the_digit_only_fields(key, value):
    with pytest.raises(ConfigError) as err:
        apply_overrides(CycleConfig(), {key: value})
    assert err.value.key == key
    with pytest.raises(ConfigError):
        apply_overrides(DIGITS, {"generator": "unet"})


def test_a_fresh_conv_generator_returns_its_input_and_is_small():
    torch.manual_seed(0)
    gen = ConvDigitGenerator(32)
    x = torch.linspace(-1, 1, 784).repeat(2, 1)
    assert torch.allclose(gen(x), 0.99 * x, atol=1e-6)  # the last layer starts at zero
    # 1->32 (4x4), 32->64 (4x4), two 64->64 (3x3), 64->32 and 32->1 transposed (4x4), with biases
    by_hand = ((16 * 32 + 32) + (32 * 64 * 16 + 64) + 2 * (64 * 64 * 9 + 64)
               + (64 * 32 * 16 + 32) + (32 * 16 + 1))
    assert sum(p.numel() for p in gen.parameters()) == by_hand == 140_545


def test_whole_digit_score_is_a_fiftieth_column_with_its_own_weight():
    d = PatchDiscriminator(whole=True)
    assert d(torch.zeros(3, 784)).shape == (3, PATCHES + 1)
    assert PatchDiscriminator()(torch.zeros(3, 784)).shape == (3, PATCHES)
    score = torch.ones(2, PATCHES + 1)
    score[:, PATCHES] = 0.0  # every patch says real, the whole digit says fake
    assert float(ls_real(score, 0.25)) == pytest.approx(0.25)
    assert float(ls_real(score[:, :PATCHES])) == 0.0
    score[:, PATCHES] = 3.0
    assert float(ls_real(score, 2.0)) == pytest.approx(8.0)  # 2 * (3 - 1)^2


def test_conv_whole_digit_run_trains_and_scores_the_whole_digit():
    torch.set_num_threads(1)
    cfg = DIGITS.replace(generator="conv", w_whole=1.0, lambda_shape=0.0, hidden=8, steps=4, batch=8)
    nets = build_nets(cfg)
    assert isinstance(nets.g, ConvDigitGenerator) and nets.d_y.whole is not None
    x = torch.zeros(2, 784) - 1
    with torch.no_grad():
        assert float(discriminator_loss(nets.d_y, x, x)) > 0
    run = train_cycle(cfg, rows=4)
    assert run.history["step"].tolist() == [1, 2, 3, 4]
    assert set(run.g_state) == set(ConvDigitGenerator(8).state_dict())
