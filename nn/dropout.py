"""Dropout (Srivastava et al. 2014; the second run of Higham & Higham §7), with masks as leaves.

In training mode each entry x_k is multiplied by d_k, where d_k = 0 with probability p and
1/(1 − p) otherwise ("inverted" dropout, as PyTorch's nn.Dropout: the expected value is unchanged,
so evaluation mode is the identity and adds no nodes). The d_k are leaf Values of the graph,
labelled d[l]_k, not constants folded into it: a graph recorded once can be compiled with the masks
as inputs (``masks`` holds the last call's), and a fresh mask drawn by ``sample`` is fed to it at
every step. Draws come from the layer's own seeded generator, never from a global state.
"""

from __future__ import annotations

import contextlib
import contextvars
import numbers
from collections.abc import Sequence

import numpy as np

from engine import Value
from engine.core.value import Operand

from .checks import describe, integer
from .initializers import Seed, generator
from .module import Module


# The dropout calls of the forward passes made inside ``calls()``: [(layer, mask leaves)] in the
# order they happen. Compiled training records its graph this way, to learn which masks a sample's
# pass draws (and feed fresh ones, drawn as the eager pass draws them, at every step).
_CALLS: contextvars.ContextVar[_Calls | None] = contextvars.ContextVar("nn_dropout_calls", default=None)


@contextlib.contextmanager
def calls(draw=True):
    """Collect the dropout calls made inside the block. With ``draw=False`` the masks are stand-in
    leaves holding 1/(1 − p), drawn from no generator: recording a graph then leaves every
    layer's random stream exactly where the eager run expects it."""
    record = _Calls(draw)
    token = _CALLS.set(record)
    try:
        yield record.calls
    finally:
        _CALLS.reset(token)


class _Calls:
    def __init__(self, draw):
        self.draw = draw
        self.calls = []


class Dropout(Module):
    """Zero each entry with probability ``p`` in training mode (``train()``); identity in ``eval()``."""

    # declared here for type checkers: they cannot see __init__ past its check of p (to mypy a float is
    # never a numbers.Real, so everything after that check looks unreachable)
    p: float
    number: int
    rng: np.random.Generator
    training: bool
    masks: list[Value]  # the mask leaves d[l]_k of the last call in training mode ([] in eval mode)

    def __init__(self, p: float = 0.5, *, layer: int = 2, rng: Seed = None) -> None:
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability p must be a number in [0, 1), got {describe(p)}")
        self.p = float(p)
        self.number = integer(layer, "layer number", 2)
        self.rng = generator(rng)
        self.training = True
        self.masks = []

    def train(self, mode: bool = True) -> Dropout:
        self.training = bool(mode)
        return self

    def eval(self) -> Dropout:
        return self.train(False)

    def sample(self, n: int, size: int) -> np.ndarray:
        """n masks of ``size`` entries, shape (n, size): 0 with probability p, else 1/(1 − p)."""
        return np.where(self.rng.random((n, size)) < self.p, 0.0, 1.0 / (1.0 - self.p))

    def __call__(self, x: Sequence[Operand] | np.ndarray) -> list[Operand]:
        if isinstance(x, (str, bytes, Value)) or not hasattr(x, "__len__"):
            raise TypeError(f"dropout layer {self.number} takes a list of Values, got {describe(x)}")
        for k, v in enumerate(x, 1):
            if v.__class__ is not Value and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
                if hasattr(v, "__len__") and not isinstance(v, (str, bytes)):
                    raise TypeError(f"dropout layer {self.number} takes a flat list of Values, got an image "
                                    f"or nested list (entry {k} is {describe(v)}): put a Flatten before it")
                raise TypeError(f"dropout layer {self.number}: entry {k} is {describe(v)}, not a number or a Value")
        if not self.training or self.p == 0.0:
            self.masks = []
            return list(x)
        l = self.number
        record = _CALLS.get()
        drawn = self.sample(1, len(x))[0] if record is None or record.draw else [1.0 / (1.0 - self.p)] * len(x)
        self.masks = [Value(float(d), f"d[{l}]_{k}") for k, d in enumerate(drawn, 1)]
        if record is not None:
            record.calls.append((self, self.masks))
        out = []
        for v, d in zip(x, self.masks):
            y = v * d
            y.label = None if getattr(v, "label", None) is None else f"{v.label}·{d.label}"
            out.append(y)
        return out

    def summary(self) -> str:
        return f"layer {self.number}: dropout p = {self.p:g}"

    def __repr__(self):
        return f"Dropout({self.p:g}, layer={self.number})"
