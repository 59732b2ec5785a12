"""The paper's 2-2-3-2 sigmoid network and the three graphs the demo records once and compiles.

F(x) = σ(W[4] σ(W[3] σ(W[2] x + b[2]) + b[3]) + b[4]) (eq. 2.4), 23 parameters, each drawn as 0.5·N(0, 1)
(netbp.m). Each graph is recorded with the engine's Values through ``nn.MLP`` and compiled by
``engine.compile`` into straight-line Python with the same arithmetic as the eager engine:

* the cost of one sample, C = ½‖y − F(x)‖² (eq. 5.1), inputs x₁, x₂, y₁, y₂: SGD steps and the
  full-data Cost (eq. 2.6);
* the residual r = ‖y − F(x)‖₂ of nlsrun.m, inputs x₁, x₂, y₁, y₂: least squares and its Jacobian;
* the difference F(x)₁ − F(x)₂, inputs x₁, x₂: the classifier (class A where it is ≥ 0).
"""

import numpy as np

import engine
from engine import Value
from nn import MLP
from nn.losses import half_squared_error

from .data import rows

SIZES = (2, 3, 2)  # neurons of layers 2, 3, 4; layer 1 is the input x ∈ R²


def make_network(rng):
    """The Higham network with parameters 0.5·N(0, 1) drawn from ``rng`` (a Generator or a seed),
    layer by layer: W[l] row by row, then b[l]."""
    return MLP(2, list(SIZES), activation="sigmoid", output_activation="sigmoid", init="normal", rng=rng)


def parameter_list(mlp):
    """The parameters' numbers, in ``mlp.parameters()`` order (the order of every compiled graph)."""
    return [p.data for p in mlp.parameters()]


def _inputs(*names):
    return [Value(0.0, label=name) for name in names]


def compile_cost(mlp):
    """The per-sample cost C(x, y; p) = ½‖y − F(x)‖² (``nn.losses.half_squared_error``) compiled,
    inputs (x₁, x₂, y₁, y₂) recorded as Values, params ``mlp.parameters()``."""
    x1, x2, y1, y2 = inputs = _inputs("x_1", "x_2", "y_1", "y_2")
    return engine.compile(half_squared_error(mlp([x1, x2]), [y1, y2]), inputs, mlp.parameters())


def compile_residual(mlp):
    """r(x, y; p) = ‖y − F(x)‖₂ compiled (nlsrun.m's residual), inputs (x₁, x₂, y₁, y₂)."""
    x1, x2, y1, y2 = inputs = _inputs("x_1", "x_2", "y_1", "y_2")
    F = mlp([x1, x2])
    d1, d2 = y1 - F[0], y2 - F[1]
    r = (d1 * d1 + d2 * d2) ** 0.5
    r.label = "r"
    return engine.compile(r, inputs, mlp.parameters())


def compile_difference(mlp):
    """F(x)₁ − F(x)₂ compiled, inputs (x₁, x₂): ≥ 0 means class A."""
    x1, x2 = inputs = _inputs("x_1", "x_2")
    F = mlp([x1, x2])
    diff = F[0] - F[1]
    diff.label = "F_1 - F_2"
    return engine.compile(diff, inputs, mlp.parameters())


class HighamNetwork:
    """The network with its compiled graphs and a data set of N points (the paper's ten, or eleven
    with the point of Figures 2.5 and 6.3), evaluated at any parameter list ``p``."""

    def __init__(self, mlp, X, Y, _graphs=None):
        self.mlp = mlp
        self.X = np.asarray(X, dtype=float)
        self.Y = np.asarray(Y, dtype=float)
        self.rows = rows(self.X, self.Y)
        self._XY = np.array(self.rows)
        self.cost_graph, self.residual_graph, self.difference_graph = _graphs or (
            compile_cost(mlp), compile_residual(mlp), compile_difference(mlp))

    def with_points(self, X, Y):
        """The same network (the same Values and compiled graphs: the points are their inputs) on
        another data set."""
        return HighamNetwork(self.mlp, X, Y, (self.cost_graph, self.residual_graph, self.difference_graph))

    @property
    def n_points(self):
        return len(self.X)

    def cost(self, p):
        """The paper's Cost (eq. 2.6): (1/N) Σ_i ½‖y_i − F(x_i)‖² (N = 10 in the paper), the mean of
        the per-sample C."""
        return float(np.mean(self.cost_graph.forward_array(self._XY, p)))

    def costs(self, P):
        """The Cost of every run at once, the rows of ``P`` (runs, 23): ``cost(P[r])`` for each r,
        bit for bit (one NumPy call for all of them)."""
        return np.mean(self.cost_graph.forward_array_lanes(self._XY, P), axis=1)

    def residuals(self, p):
        """The vector (‖y_i − F(x_i)‖₂)_i of nlsrun.m; Σ r_i² = 2N · Cost (20 · Cost for ten points)."""
        return self.residual_graph.forward_array(self._XY, p)

    def jacobian(self, p):
        """∂r_i/∂p_j (N × 23) by reverse mode, one backward pass per point (vectorised)."""
        return self.residual_graph.gradient_array(self._XY, p)[1]

    def class_a(self, points, p):
        """Boolean array: F(x)₁ ≥ F(x)₂ at each row of ``points`` (shape (n, 2))."""
        return self.difference_graph.forward_array(points, p) >= 0.0

    def correct(self, p):
        """How many of the N points the network with parameters ``p`` classifies correctly."""
        return int(np.sum(self.class_a(self.X, p) == (self.Y[:, 0] > self.Y[:, 1])))
