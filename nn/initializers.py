"""Seeded, explicit initialisation of weights and biases (never NumPy's global random state).

* "uniform":   every parameter drawn from U(-1, 1), the distribution micrograd uses for weights;
* "normal":    every parameter drawn as 0.5 * N(0, 1), as in Higham & Higham's netbp.m;
* "micrograd": micrograd exactly: weights U(-1, 1), biases 0;
* "zeros":     every parameter 0 (no random numbers are drawn);
* "pytorch":   weights and biases from U(-1/√nin, 1/√nin), nin the number of inputs of a neuron (for a
               convolution filter, channels × k × k): PyTorch's default for nn.Linear and nn.Conv2d.

A layer draws its weight matrix W[l] row by row (row j = neuron j), then its bias vector b[l]; an
MLP draws layer 2, then layer 3, ... from one generator. So a network is a function of the seed.
"""

import numbers

import numpy as np

INITS = ("uniform", "normal", "micrograd", "zeros", "pytorch")


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
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__} {rng!r}")


def check_init(init):
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"unknown init {init!r}: use one of {', '.join(repr(i) for i in INITS)}")
    return init


def draw(init, rng, nout, nin):
    """(W, b) as NumPy arrays of shapes (nout, nin) and (nout,), W drawn before b."""
    if init == "zeros":
        return np.zeros((nout, nin)), np.zeros(nout)
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
