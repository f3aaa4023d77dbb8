"""The stepper takes one real GAN iteration apart without changing what it computes."""
import numpy as np
import pytest
import torch

from gan_core.procedure import Stepper, stepper_config
from gan_core.train import Trainer


@pytest.mark.parametrize("k", [1, 3])
def test_sequence_shows_k(k):
    s = Stepper(stepper_config("ring8", k=k))
    seq = s.sequence()
    assert len(seq) == 2 * k + 1
    assert [kind for kind, _ in seq] == ["d_real", "d_fake"] * k + ["g"]
    assert [r for kind, r in seq if kind == "d_real"] == list(range(1, k + 1))


@pytest.mark.parametrize("k", [1, 3])
def test_one_iteration_equals_trainer_step(k):
    cfg = stepper_config("ring8", k=k)
    s = Stepper(cfg)
    steps = s.finish_iteration()
    assert [x.kind for x in steps] == [kind for kind, _ in s.sequence()]
    assert s.iteration == 2 and s.cursor == 0
    ref = Trainer(cfg)
    ref.step()
    for a, b in zip(ref.d_params + ref.g_params, s.trainer.d_params + s.trainer.g_params, strict=True):
        assert torch.allclose(a, b, atol=1e-6)


def test_each_sub_step_changes_the_right_network():
    s = Stepper(stepper_config("ring8", k=1))
    d0 = [p.detach().clone() for p in s.trainer.d_params]
    g0 = [p.detach().clone() for p in s.trainer.g_params]
    def same(a, b):
        return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))

    real = s.next()
    assert (real.kind, real.updates, real.frozen, real.label) == ("d_real", "none", "G", 1.0)
    assert same(d0, s.trainer.d_params) and same(g0, s.trainer.g_params)
    assert np.array_equal(real.d_before, real.d_after) and real.moved == 0
    assert all(g > 0 for _, g in real.layer_grads)

    fake = s.next()
    assert (fake.kind, fake.updates, fake.label) == ("d_fake", "D", 0.0)
    assert not same(d0, s.trainer.d_params) and same(g0, s.trainer.g_params)
    # the D update applied BCE(real, 1) + BCE(fake, 0): the two sub-steps' losses
    assert abs(fake.applied_loss - (real.loss + fake.loss)) < 1e-5
    assert fake.d_after.mean() < fake.d_before.mean()  # D now says "fake" more firmly
    assert fake.extra["real_after"].mean() > fake.extra["real_before"].mean()
    assert fake.moved > 0 and fake.heat is not None and fake.heat.shape == (48, 48)

    d1 = [p.detach().clone() for p in s.trainer.d_params]
    gen = s.next()
    assert (gen.kind, gen.updates, gen.frozen, gen.label) == ("g", "G", "D", 1.0)
    assert same(d1, s.trainer.d_params) and not same(g0, s.trainer.g_params)
    assert gen.d_after.mean() > gen.d_before.mean()  # G's fakes now fool D a little more
    assert gen.arrows.shape == gen.batch.shape == (64, 2)
    assert [name for name, _ in gen.layer_grads][0].startswith("1· Linear 2→64")


def test_mnist_stepper_shows_images():
    """bench/concept_clicks.py prints how long a sub-step takes on MNIST."""
    s = Stepper(stepper_config("mnist5k", k=2))
    s.next()
    fake = s.next()
    assert fake.batch.dtype == np.uint8 and fake.batch.shape == (32, 28, 28)
    assert fake.heat is None and len(fake.layer_grads) == 4


def test_bad_settings_refused():
    with pytest.raises(ValueError):
        stepper_config("ring8", k=0)
    with pytest.raises(ValueError):
        stepper_config("spiral")
    with pytest.raises(ValueError):  # ConfigError is a ValueError
        stepper_config("ring8", lr=5.0)
