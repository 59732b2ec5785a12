"""The networks and data sets the five questions share.

* ``Network(sizes)``: a sigmoid MLP 2-…-2 (the paper's is 2-2-3-2) with its per-sample cost
  C = ½‖y − F(x)‖² compiled once (numba when the engine has it, else Python: ``backend``), the
  classifier F₁ − F₂ compiled for NumPy columns, and the exact Hessian of a full Cost;
* ``synthetic(n, noise, rng)``: points uniform in the unit square, class A above the fixed smooth
  curve x₂ = ½ + ¼ sin(2π x₁) ("in the paper's spirit": two classes, a curved boundary), with a
  fraction ``noise`` of the training labels flipped; test sets are drawn the same way, unflipped.
"""

import threading

import numpy as np

import engine
from engine import Value
from engine.compiler import lanes
from nn import MLP
from nn.losses import half_squared_error

from ..higham.data import points

HIGHAM = (2, 2, 3, 2)
ETA = 0.05
A, B = (1.0, 0.0), (0.0, 1.0)


def backend():
    """"numba" when engine.compile's numba backend runs here, else "python" (same numbers, slower)."""
    try:
        from engine.compiler.numba import require_numba
        require_numba()
        return "numba"
    except ImportError:
        return "python"


def make_mlp(sizes, rng=0):
    return MLP(sizes[0], list(sizes[1:]), activation="sigmoid", output_activation="sigmoid", init="normal",
               rng=rng)


class Network:
    """A sigmoid MLP of ``sizes`` with its compiled graphs (parameters passed to every call)."""

    def __init__(self, sizes, which=None):
        self.sizes = tuple(sizes)
        self.mlp = make_mlp(sizes)
        self.n_params = self.mlp.num_parameters()
        xs = [Value(0.0) for _ in range(sizes[0])]
        ys = [Value(0.0) for _ in range(sizes[-1])]
        self.backend = which or backend()
        self.cost = engine.compile(half_squared_error(self.mlp(xs), ys), xs + ys, self.mlp.parameters(),
                                   backend=self.backend)
        if self.backend == "numba" and self.sizes != HIGHAM:
            # the paper's network runs the most steps: its own blocks of lanes (a few seconds of numba
            # compiling, once); the others share the tape kernel, which needs no compiling per graph
            lanes.prefer_tape(self.cost)
        xs = [Value(0.0) for _ in range(sizes[0])]
        F = self.mlp(xs)
        self.difference = engine.compile(F[0] - F[1], xs, self.mlp.parameters())

    def draw(self, rng, scale="paper"):
        """Initial parameters 0.5·N(0, 1) in nn.MLP's order (the paper's), or with ``scale="fan-in"``
        each weight also divided by √(fan-in) of its neuron (biases as the paper's)."""
        p = np.array([v.data for v in make_mlp(self.sizes, rng).parameters()])
        if scale == "fan-in":
            p *= fan_in_factors(self.sizes)
        return p

    def costs(self, rows, P):
        """The Cost (eq. 2.6, mean of C over ``rows``) at each parameter vector of P (runs, params),
        all in one NumPy call; each is ``np.mean(cost_array(rows, P[r]))``, bit for bit."""
        return np.mean(self._python_cost().forward_array_lanes(rows, np.asarray(P, dtype=float)), axis=1)

    def cost_array(self, rows, p):
        return self._python_cost().forward_array(rows, p)

    def _python_cost(self):
        # the recorded Cost is evaluated by the Python backend's NumPy code whatever trains, as
        # demos.seeds does, so that a recorded number depends only on the parameters
        if getattr(self, "_pycost", None) is None:
            xs = [Value(0.0) for _ in range(self.sizes[0])]
            ys = [Value(0.0) for _ in range(self.sizes[-1])]
            self._pycost = engine.compile(half_squared_error(self.mlp(xs), ys), xs + ys, self.mlp.parameters())
        return self._pycost

    def class_a(self, X, p):
        return self.difference.forward_array(X, p) >= 0.0

    def correct(self, X, Y, p):
        return int(np.sum(self.class_a(X, p) == (np.asarray(Y)[:, 0] > np.asarray(Y)[:, 1])))

    def full_cost(self, rows, p):
        """The Cost over ``rows`` as a graph of Values at parameters ``p`` (for exact Hessians)."""
        for v, x in zip(self.mlp.parameters(), p):
            v.data = float(x)
        n_in = self.sizes[0]
        costs = [half_squared_error(self.mlp([float(a) for a in r[:n_in]]), [float(b) for b in r[n_in:]])
                 for r in rows]
        return sum(costs[1:], costs[0]) * (1.0 / len(costs))

    def curvature(self, rows, p):
        """(eigenvalues ascending, ‖∇Cost‖, max |H − Hᵀ|) of the exact Hessian of the Cost over rows."""
        cost = self.full_cost(rows, p)
        params = self.mlp.parameters()
        H = engine.hessian_of(cost, params)
        gradient = np.array([g.data for g in engine.grad(cost, params)])
        return np.linalg.eigvalsh((H + H.T) / 2), float(np.linalg.norm(gradient)), float(np.abs(H - H.T).max())


def fan_in_factors(sizes):
    """Per parameter (nn.MLP order: neuron by neuron, weights then bias) 1/√fan-in for weights, 1 for biases."""
    f = []
    for nin, nout in zip(sizes[:-1], sizes[1:]):
        f += ([1.0 / np.sqrt(nin)] * nin + [1.0]) * nout
    return np.array(f)


_networks = {}
_lock = threading.Lock()


def network(sizes, which=None):
    """``Network(sizes)``, compiled once per process (the graphs take parameters as arguments)."""
    key = (tuple(sizes), which or backend())
    with _lock:
        if key not in _networks:
            _networks[key] = Network(sizes, which)
        return _networks[key]


def higham_rows():
    """The ten points of the paper as rows (x₁, x₂, y₁, y₂), and X, Y."""
    X, Y = points()
    return np.hstack([X, Y]), X, Y


def curve(x1):
    return 0.5 + 0.25 * np.sin(2 * np.pi * x1)


def synthetic(n, noise, rng):
    """(rows (n, 4), X, Y): n points uniform in the unit square, class A above the curve, a share
    ``noise`` of them (rounded) with the label flipped."""
    X = rng.random((n, 2))
    a = X[:, 1] > curve(X[:, 0])
    flip = rng.permutation(n)[:int(round(noise * n))]
    a[flip] = ~a[flip]
    Y = np.where(a[:, None], A, B)
    return np.hstack([X, Y]), X, Y


def grid(n):
    """The n × n grid of the unit square as points (n², 2), x₁ varying fastest."""
    g = np.linspace(0.0, 1.0, n)
    x1, x2 = np.meshgrid(g, g)
    return np.column_stack([x1.ravel(), x2.ravel()])
