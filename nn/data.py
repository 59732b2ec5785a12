"""Small data sets of the course, as NumPy arrays (fresh arrays on every call).

* ``higham_data()``: the ten points of Higham & Higham §2 with their targets;
* ``xor_data()``: the four XOR points of Goodfellow et al. §6.1, and ``xor_solution()``, their
  hand-made network (eqs. 6.3–6.6) in this package's W[l], b[l] notation;
* ``two_moons(n, noise, seed)``: two interleaving half circles, a seeded generator;
* ``logistic_1d(n, seed)``: a seeded one-feature logistic-regression set, for loss landscapes.
"""

from __future__ import annotations

import numbers

import numpy as np

from .initializers import Seed, generator
from .checks import brief, integer

# Higham & Higham §2: class A (circles) first, then class B (crosses).
_HIGHAM_X = [(0.1, 0.1), (0.3, 0.4), (0.1, 0.5), (0.6, 0.9), (0.4, 0.2),
             (0.6, 0.3), (0.5, 0.6), (0.9, 0.2), (0.4, 0.4), (0.7, 0.6)]
_HIGHAM_CLASS = "AAAAABBBBB"
HIGHAM_TARGETS = {"A": (1.0, 0.0), "B": (0.0, 1.0)}


def higham_data() -> tuple[np.ndarray, np.ndarray]:
    """(X, Y): X of shape (10, 2), the points x_i in the unit square; Y of shape (10, 2), the
    targets y(x_i) = (1, 0) for class A (i = 1..5) and (0, 1) for class B (i = 6..10)."""
    X = np.array(_HIGHAM_X, dtype=float)
    Y = np.array([HIGHAM_TARGETS[c] for c in _HIGHAM_CLASS], dtype=float)
    return X, Y


def higham_classes() -> np.ndarray:
    """The class letters of the ten points, "A" or "B", as a NumPy array of strings."""
    return np.array(list(_HIGHAM_CLASS))


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """(X, y): X = [[0, 0], [0, 1], [1, 0], [1, 1]] and y = [0, 1, 1, 0] (floats)."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    return X, y


def xor_solution() -> dict[str, np.ndarray]:
    """Goodfellow et al.'s exact XOR network f(x) = wᵀ max{0, Wᵀx + c} + b (eqs. 6.3–6.6) as
    arrays for ``MLP(2, [2, 1], activation="relu").set_arrays(...)``: the book's Wᵀ is W[2]
    (rows = hidden units), c is b[2], wᵀ is W[3] and b is b[3]."""
    W = np.array([[1.0, 1.0], [1.0, 1.0]])
    c = np.array([0.0, -1.0])
    w = np.array([1.0, -2.0])
    return {"W[2]": W.T.copy(), "b[2]": c, "W[3]": w[None, :], "b[3]": np.array([0.0])}




def _nonnegative(x, what):
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x) or x < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {brief(x)}")
    return float(x)


def two_moons(n: int = 100, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """(X, y): n points on two interleaving half circles, y in {0, 1}, shuffled.

    Class 0 lies on the upper half circle (cos t, sin t), class 1 on the lower one
    (1 − cos t, 0.5 − sin t), t evenly spaced in [0, π] (⌈n/2⌉ points of class 0); Gaussian noise
    of standard deviation ``noise`` is added to every coordinate. ``seed``: an int or a Generator."""
    n = integer(n, "n")
    noise = _nonnegative(noise, "noise")
    rng = generator(seed)
    n0 = (n + 1) // 2
    n1 = n - n0
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    X = np.concatenate([np.column_stack([np.cos(t0), np.sin(t0)]),
                        np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def logistic_1d(n: int = 100, seed: Seed = 0, *, weight: float = 2.0,
                bias: float = -0.5) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): a synthetic logistic-regression set with one feature.

    x_i ~ N(0, 1) and y_i ~ Bernoulli(σ(weight · x_i + bias)), so the model ŷ = σ(w x + b) fits it
    best near (w, b) = (weight, bias): the set for the loss landscapes of squared error versus
    binary cross entropy (the slides' Figure 3.4). y holds floats 0.0 and 1.0."""
    n = integer(n, "n")
    rng = generator(seed)
    x = rng.standard_normal(n)
    p = 1.0 / (1.0 + np.exp(-(weight * x + bias)))
    y = (rng.random(n) < p).astype(float)
    return x, y
