"""The engine's own source text, read at run time (``inspect``), for the code views and notebooks.

Nothing here keeps a copy of the code: ``snippet(obj, start, end)`` cuts lines out of the
function, class or module ``obj`` as Python loaded it, between the line holding the marker
``start`` (a substring that must occur on exactly one line) and the first line at or after it
holding ``end``. ``SUBSTEPS`` says which engine lines implement each sub-step of the training
procedure page; ``Piece.code()`` turns one entry into the text the page shows.
"""
from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@cache  # reading a class's source parses its whole file; the files don't change while the app runs
def _lines(obj) -> tuple[tuple[str, ...], int]:
    lines, first = inspect.getsourcelines(obj)
    return tuple(lines), max(first, 1)  # a module starts at line 0 for inspect


def _find(lines: tuple[str, ...], marker: str, after: int = 0, unique: bool = True) -> int:
    hits = [i for i, line in enumerate(lines) if i >= after and marker in line]
    if not hits:
        raise ValueError(f"marker {marker!r} not found")
    if unique and len(hits) > 1:
        raise ValueError(f"marker {marker!r} is on {len(hits)} lines, not one")
    return hits[0]


def snippet(obj, start: str | None = None, end: str | None = None) -> tuple[str, int]:
    """(text, first line number in its file) of ``obj``'s source, from the line with ``start``
    to the first line at or after it with ``end`` (both included).

    No ``start``: from the first line; no ``end``: just the ``start`` line (or, without either,
    the whole object). The text is dedented: each line is a line of the file with the block's
    common indentation taken off. Raises ValueError for a missing or repeated ``start``.
    """
    lines, first = _lines(obj)
    if start is None and end is None:
        a, b = 0, len(lines) - 1
    else:
        a = _find(lines, start) if start is not None else 0
        b = _find(lines, end, after=a, unique=False) if end is not None else a
    return textwrap.dedent("".join(lines[a : b + 1])), first + a


def file_of(obj) -> str:
    """The file ``obj`` is defined in, relative to the repository (``gan_core/train.py``)."""
    return Path(inspect.getsourcefile(obj)).resolve().relative_to(ROOT).as_posix()


def name_of(obj) -> str:
    return getattr(obj, "__qualname__", getattr(obj, "__name__", ""))


@dataclass(frozen=True)
class Code:
    """One shown excerpt: the lines that ran, and the whole function they belong to."""

    file: str  # gan_core/train.py
    name: str  # Trainer.step
    text: str  # the highlighted lines (dedented)
    first_line: int  # their first line in ``file``
    full: str  # the whole function (dedented)
    full_first_line: int

    @property
    def last_line(self) -> int:
        return self.first_line + self.text.count("\n") - (1 if self.text.endswith("\n") else 0)

    @property
    def offset(self) -> int:
        """Line of ``text`` inside ``full`` (1-based), as ``st.code``'s line numbers count."""
        return self.first_line - self.full_first_line + 1


@dataclass(frozen=True)
class Piece:
    """Where the lines of one idea are: an engine object and two markers (see ``snippet``)."""

    obj: object
    start: str | None = None
    end: str | None = None
    idea: str = ""  # a key naming what these lines do (the page translates it)

    def code(self) -> Code:
        text, first = snippet(self.obj, self.start, self.end)
        full, full_first = snippet(self.obj)
        return Code(file_of(self.obj), name_of(self.obj), text, first, full, full_first)


def _loss_markers(loss: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """(d_loss markers, g_loss markers) of the branch that ``loss`` takes in gan_core.losses."""
    d = {"minimax": ('if kind in ("minimax", "nonsat")', "F.softplus(-logit_real)"),
         "nonsat": ('if kind in ("minimax", "nonsat")', "F.softplus(-logit_real)"),
         "hinge": ('if kind == "hinge"', "F.relu(1.0 - logit_real)"),
         "wgan-gp": ('if kind == "wgan-gp"', "logit_fake.mean() - logit_real.mean()")}[loss]
    g = {"minimax": ('if kind == "minimax"', "-F.softplus(logit_fake)"),
         "nonsat": ('if kind == "nonsat"', "F.softplus(-logit_fake)"),
         "hinge": ('if kind in ("hinge", "wgan-gp")', "-logit_fake.mean()"),
         "wgan-gp": ('if kind in ("hinge", "wgan-gp")', "-logit_fake.mean()")}[loss]
    return d, g


def substep_pieces(kind: str, loss: str = "nonsat") -> list[Piece]:
    """The engine's lines behind one sub-step of the procedure page (``d_real``, ``d_fake``, ``g``)."""
    from gan_core import losses
    from gan_core.train import Trainer

    d, g = _loss_markers(loss)
    if kind == "d_real":
        return [Piece(Trainer.step, "for j in range(cfg.k):", "self.noise(real.shape[0])", "k_loop"),
                Piece(Trainer.d_logits, "def d_logits", "return self.d(real, y_real)", "d_forward"),
                Piece(losses.d_loss, *d, "d_loss_real")]
    if kind == "d_fake":
        return [Piece(Trainer.step, "if j == cfg.k - 1:", "loss_d_sum += ld", "detach"),
                Piece(Trainer.d_update, "lr_, lf_ = self.d_logits", "self.opt_d.step()", "d_update"),
                Piece(losses.d_loss, *d, "d_loss_fake")]
    if kind == "g":
        return [Piece(Trainer.step, "self.g_update(fake, y_fake)", "return loss_d_sum", "g_call"),
                Piece(Trainer.g_update, "d_params = self.d_params if", "p.requires_grad_(True)",
                      "g_update"),
                Piece(losses.g_loss, *g, "g_loss")]
    raise ValueError(f"unknown sub-step {kind!r}")


def model_classes(arch: str) -> tuple[type, type]:
    """(generator class, discriminator class) that ``models.build`` makes for ``arch``."""
    from gan_core import models

    return {"mlp-book": (models.SeedGenerator, models.SeedDiscriminator),
            "dcgan": (models.DCGANGenerator, models.DCGANDiscriminator),
            "dcgan-s": (models.DCGANGenerator, models.DCGANDiscriminator),
            "toy-mlp": (models.ToyGenerator, models.ToyDiscriminator)}[arch]


def step_pieces(loss: str) -> list[Piece]:
    """The training step for the Lab's Code tab: k D updates and one G update, with ``loss``'s
    branch of the losses highlighted."""
    from gan_core import losses
    from gan_core.train import Trainer

    d, g = _loss_markers(loss)
    return [Piece(Trainer.step, idea="step"), Piece(Trainer.d_update, idea="d_update"),
            Piece(Trainer.g_update, idea="g_update"), Piece(losses.d_loss, *d, "d_loss"),
            Piece(losses.g_loss, *g, "g_loss")]
