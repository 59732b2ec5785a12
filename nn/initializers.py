"""Initialisation of weights and biases: micrograd's by default, seeded NumPy draws on request.

* "uniform":   every parameter drawn from U(-1, 1), the distribution micrograd uses for weights;
* "normal":    every parameter drawn as 0.5 * N(0, 1), as in Higham & Higham's netbp.m;
* "micrograd": micrograd exactly: weights U(-1, 1), biases 0;
* "zeros":     every parameter 0 (no random numbers are drawn);
* "pytorch":   weights and biases from U(-1/√nin, 1/√nin), nin the number of inputs of a neuron (for a
               convolution filter, channels × k × k): PyTorch's default for nn.Linear and nn.Conv2d.

Where the numbers come from (``rng``): an int seed or a NumPy ``Generator`` gives explicit,
repeatable NumPy draws (NumPy's global state is never used). ``rng=None`` draws from Python's
``random`` module, as micrograd 0.1.0 does, so after ``random.seed(1337)`` micrograd's own
``MLP(2, [16, 16, 1])`` and ours hold the same weights bit for bit. With no ``init`` given, a
network uses "micrograd" when ``rng`` is None and "uniform" when a seed or generator is given.

A layer draws its weight matrix W[l] row by row (row j = neuron j), then its bias vector b[l]; an
MLP draws layer 2, then layer 3, ... from one source. So a network is a function of the seed.
"""

import numbers
import random
from typing import Union

import numpy as np

from .checks import brief

INITS = ("uniform", "normal", "micrograd", "zeros", "pytorch")

# what ``rng=`` and ``seed=`` take: a NumPy Generator (used as is), an int seed, or None (for a
# network's parameters Python's ``random``, as micrograd; for anything else a fresh unseeded Generator)
Seed = Union[int, np.random.Generator, None]


def generator(rng):
    """A NumPy Generator from ``rng``: a Generator (used as is), an int seed, or None (fresh,
    unseeded: a different network each time)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"a seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__} {brief(rng)}")


def source(rng):
    """Where a network's initial numbers come from: a NumPy Generator for a seed or a Generator,
    Python's ``random`` module (micrograd's source) for None."""
    if rng is None or rng is random:  # an MLP hands its source on to its layers
        return random
    return generator(rng)


def check_init(init, rng=None):
    """The name of the initialisation; ``None`` means micrograd's when ``rng`` is None, else
    "uniform"."""
    if init is None:
        return "micrograd" if rng is None else "uniform"
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"unknown init {brief(init)}: use one of {', '.join(repr(i) for i in INITS)}")
    return init


def draw(init, rng, nout, nin):
    """(W, b) as NumPy arrays of shapes (nout, nin) and (nout,), W drawn before b. ``rng`` is a
    NumPy Generator or Python's ``random`` (drawn one number at a time, in micrograd's order)."""
    if init == "zeros":
        return np.zeros((nout, nin)), np.zeros(nout)
    if rng is random:  # one number at a time, in micrograd's order
        bound = 1.0 / np.sqrt(nin) if init == "pytorch" else 1  # uniform(-1, 1) as micrograd calls it

        def one():
            return 0.5 * random.gauss(0.0, 1.0) if init == "normal" else random.uniform(-bound, bound)
        W = np.array([[one() for _ in range(nin)] for _ in range(nout)], dtype=float).reshape(nout, nin)
        b = np.zeros(nout) if init == "micrograd" else np.array([one() for _ in range(nout)], dtype=float)
        return W, b
    if init == "normal":
        W = 0.5 * rng.standard_normal((nout, nin))
        return W, 0.5 * rng.standard_normal(nout)
    if init == "pytorch":
        bound = 1.0 / np.sqrt(nin)
        W = rng.uniform(-bound, bound, (nout, nin))
        return W, rng.uniform(-bound, bound, nout)
    W = rng.uniform(-1.0, 1.0, (nout, nin))
    if init == "micrograd":
        return W, np.zeros(nout)
    return W, rng.uniform(-1.0, 1.0, nout)
