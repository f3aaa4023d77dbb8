"""The engine's step does the textbook loop's maths: same weights, batch and noise -> same losses."""
import pytest
import torch

from gan_core.batches import image_tensors
from gan_core.config import PRESETS
from gan_core.data import mnist5k
from gan_core.train import Trainer
from tests.reference_loop import BookLoop


@pytest.fixture(scope="module")
def pair():
    cfg = PRESETS["seed-book"].replace(batch=64)
    data = mnist5k()
    trainer = Trainer(cfg)
    ref = BookLoop(data.images, data.labels, batch=cfg.batch, nz=cfg.nz, lr=cfg.lr_g)
    ref.load_engine_weights(trainer.g, trainer.d)
    return trainer, ref


def test_one_engine_step_equals_one_book_step(pair, monkeypatch):
    trainer, ref = pair
    x, _, _ = image_tensors("mnist5k")
    real = x[:64].clone()
    # the reference gets the same batch through its own per-image transform
    ref_batch = torch.stack([ref.loader.dataset[i][0] for i in range(64)])
    assert torch.allclose(ref_batch, real, atol=1e-6)
    z = torch.randn(64, 128, generator=torch.Generator().manual_seed(7))
    monkeypatch.setattr(trainer.batches, "next", lambda: (real, None))
    monkeypatch.setattr(trainer, "noise", lambda n: (z, None))
    # dropout off on both sides (its masks come from different RNG calls)
    trainer.g.train(), trainer.d.eval()
    ref.generator.train(), ref.discriminator.eval()

    loss_d, loss_g, *_ = trainer.step()
    ref_d, ref_g = ref.step(ref_batch, z_d=z, z_g=z)  # the book draws fresh noise; pinned here
    assert loss_d == pytest.approx(ref_d.item(), abs=1e-5)
    assert loss_g == pytest.approx(ref_g.item(), abs=1e-5)
    # and both optimisers moved the weights the same way
    for a, b in zip(trainer.g.parameters(), ref.generator.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    for a, b in zip(trainer.d.parameters(), ref.discriminator.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    # a second step from the updated weights still agrees
    loss_d2, loss_g2, *_ = trainer.step()
    ref_d2, ref_g2 = ref.step(ref_batch, z_d=z, z_g=z)
    assert loss_d2 == pytest.approx(ref_d2.item(), abs=1e-5)
    assert loss_g2 == pytest.approx(ref_g2.item(), abs=1e-5)
    assert abs(loss_d2 - loss_d) > 1e-4  # the step really changed something
