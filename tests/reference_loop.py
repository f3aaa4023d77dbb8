"""The textbook's plain PyTorch MNIST GAN loop, re-written here as the engine's reference.

tests/test_equivalence.py checks that the engine's step does this loop's maths, and
bench/throughput.py times the two against each other. What it keeps from the book: a
torchvision-style Dataset that converts one image at a time (ToTensor then Normalize(0.5, 0.5)),
a shuffled DataLoader (batch 512, no worker processes), MLP G and D with a Sigmoid at the end of
D, BCELoss, D trained on the real batch and on the fake batch in two separate forward passes,
then G trained on *fresh* noise through a D whose weights still collect gradients. The networks'
layer shapes are the engine's ``mlp-book`` models, so weights can be copied across.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

try:  # the book's transforms; a hand-written equivalent if torchvision is not installed
    from torchvision import transforms as _tv

    def make_transform():
        return _tv.Compose([_tv.ToTensor(), _tv.Normalize((0.5,), (0.5,))])
except ImportError:  # pragma: no cover - torchvision ships with the dev environment
    def make_transform():
        def convert(img: np.ndarray) -> torch.Tensor:
            x = torch.from_numpy(np.array(img, dtype=np.uint8)).float().div(255).unsqueeze(0)
            return (x - 0.5) / 0.5
        return convert


class DigitDataset(Dataset):
    """One uint8 28 x 28 image and its label per item, transformed on every access."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform=None):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i):
        img = self.images[i]
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.labels[i])


class RefGenerator(nn.Module):
    def __init__(self, nz: int = 128):
        super().__init__()
        self.nz = nz
        self.main = nn.Sequential(
            nn.Linear(nz, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 1024), nn.LeakyReLU(0.2),
            nn.Linear(1024, 784), nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z).view(-1, 1, 28, 28)


class RefDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(784, 1024), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(1024, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
            nn.Linear(256, 1), nn.Sigmoid(),
        )

    def forward(self, x):
        return self.main(x.view(-1, 784))


class BookLoop:
    """The book's training procedure, one batch at a time (``step``) or per epoch (``epoch``)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch: int = 512, nz: int = 128,
                 lr: float = 2e-4, k: int = 1, seed: int = 0):
        torch.manual_seed(seed)
        self.nz, self.k = nz, k
        self.generator = RefGenerator(nz)
        self.discriminator = RefDiscriminator()
        self.optim_g = torch.optim.Adam(self.generator.parameters(), lr=lr)
        self.optim_d = torch.optim.Adam(self.discriminator.parameters(), lr=lr)
        self.criterion = nn.BCELoss()
        self.loader = DataLoader(DigitDataset(images, labels, make_transform()), batch_size=batch,
                                 shuffle=True)

    def load_engine_weights(self, g: nn.Module, d: nn.Module) -> None:
        """Copy weights from the engine's SeedGenerator / SeedDiscriminator (same layer order)."""
        self.generator.load_state_dict(g.state_dict())
        self.discriminator.load_state_dict(d.state_dict())

    def create_noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.nz)

    def train_discriminator(self, data_real, data_fake):
        b = data_real.size(0)
        real_label, fake_label = torch.ones(b, 1), torch.zeros(b, 1)
        self.optim_d.zero_grad()
        loss_real = self.criterion(self.discriminator(data_real), real_label)
        loss_fake = self.criterion(self.discriminator(data_fake), fake_label)
        loss_real.backward()
        loss_fake.backward()
        self.optim_d.step()
        return loss_real + loss_fake

    def train_generator(self, data_fake):
        b = data_fake.size(0)
        real_label = torch.ones(b, 1)
        self.optim_g.zero_grad()
        loss = self.criterion(self.discriminator(data_fake), real_label)
        loss.backward()
        self.optim_g.step()
        return loss

    def step(self, image, z_d=None, z_g=None):
        """One batch of the book's loop; ``z_d``/``z_g`` pin the noise (tests)."""
        b = len(image)
        loss_d = 0.0
        for _ in range(self.k):
            data_fake = self.generator(z_d if z_d is not None else self.create_noise(b)).detach()
            loss_d = loss_d + self.train_discriminator(image, data_fake)
        data_fake = self.generator(z_g if z_g is not None else self.create_noise(b))
        loss_g = self.train_generator(data_fake)
        return loss_d, loss_g

    def epoch(self, max_batches: int | None = None) -> tuple[float, float, int]:
        """One pass over the DataLoader, summing losses as the book does; returns images seen."""
        self.generator.train()
        self.discriminator.train()
        loss_d = loss_g = 0.0
        seen = 0
        for i, (image, _) in enumerate(self.loader):
            if max_batches is not None and i >= max_batches:
                break
            ld, lg = self.step(image)
            loss_d += ld
            loss_g += lg
            seen += len(image)
        return float(loss_d.item()), float(loss_g.item()), seen
