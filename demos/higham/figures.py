"""The paper's figures of §2 and §6, drawn as netbp.m and nlsrun.m draw them.

* ``plot_sigmoid``: the sigmoid (2.1) and a sigmoid with shifted and scaled input, σ(3(x − 5)),
  over [−10, 10], evaluated by the engine (Figure 2.2);
* ``plot_data``: the ten points in the unit square, circles for class A, crosses for B (Figure 2.1);
* ``plot_cost``: the Cost (eq. 2.6) every ``record_every`` iterations on a log scale (Figure 6.1;
  netbp.m's ``semilogy`` plots 20 × Cost, here the paper's Cost itself);
* ``plot_boundaries``: the classifier as shaded regions on a 501 × 501 grid of the unit square,
  grey where F(x)₁ ≥ F(x)₂ (class A), white elsewhere, with the points on top; one panel per method
  (Figures 6.2 and 2.4; with the eleventh point, 6.3 and 2.5).

The network diagrams (Figures 2.3 and 3.1) are Graphviz drawings: ``diagrams.py``.
"""

import numpy as np

from engine import Value

from .._common import pyplot, save_figure
from .data import class_a

SIGMOID_RANGE = (-10.0, 10.0)   # Figure 2.2's x axis
SHIFT, SCALE = 5.0, 3.0         # Figure 2.2, right: σ(3(x − 5))

GRID = 501  # nlsrun.m and netbp.m: xvals = 0:1/500:1


def grid(n=GRID):
    """(xs, ys, points): the n × n grid of the unit square, points of shape (n², 2), x varying fastest."""
    xs = np.linspace(0.0, 1.0, n)
    gx, gy = np.meshgrid(xs, xs)
    return xs, xs, np.column_stack([gx.ravel(), gy.ravel()])


def _points(ax, X, Y):
    A = class_a(Y)
    ax.plot(X[A, 0], X[A, 1], "o", color="red", markerfacecolor="none", markersize=12, markeredgewidth=3,
            linestyle="none", label="class A, y = (1, 0)")
    ax.plot(X[~A, 0], X[~A, 1], "x", color="blue", markersize=12, markeredgewidth=3, linestyle="none",
            label="class B, y = (0, 1)")


def _unit_square(ax):
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xticks([0, 1])
    ax.set_yticks([0, 1])
    ax.set_aspect("equal")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")


def sigmoid_curves(n=401):
    """(x, σ(x), σ(3(x − 5))) on n points of [−10, 10], each value a ``Value.sigmoid()`` of the engine."""
    xs = np.linspace(*SIGMOID_RANGE, n)
    plain = np.array([Value(float(x)).sigmoid().data for x in xs])
    shifted = np.array([(SCALE * (Value(float(x)) - SHIFT)).sigmoid().data for x in xs])
    return xs, plain, shifted


def plot_sigmoid(out_dir):
    """Figure 2.2: left σ(x) = 1/(1 + e^(−x)) (eq. 2.1), right σ(3(x − 5)), steeper and centred at 5."""
    plt = pyplot()
    xs, plain, shifted = sigmoid_curves()
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.2), sharey=True)
    for ax, ys, title in ((axes[0], plain, r"σ(x) = 1 / (1 + $e^{-x}$)   (eq. 2.1)"),
                          (axes[1], shifted, f"σ({SCALE:g}(x − {SHIFT:g})): input shifted and scaled")):
        ax.plot(xs, ys, "b-", linewidth=2)
        ax.set_xlim(*SIGMOID_RANGE)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("x")
        ax.axhline(0.5, color="0.6", linewidth=0.6, linestyle=":")
        ax.grid(True, alpha=0.3)
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("value")
    fig.suptitle("The sigmoid function (Higham & Higham, Fig. 2.2)", fontsize=10, y=1.02)
    return save_figure(fig, out_dir, "sigmoid")


def plot_data(X, Y, out_dir):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    _points(ax, X, Y)
    _unit_square(ax)
    ax.set_title("The ten labelled points (Higham & Higham, Fig. 2.1)", fontsize=9)
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    return save_figure(fig, out_dir, "data")


def plot_cost(run, out_dir):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(run.iterations, run.costs, "b-", linewidth=2)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("Cost (eq. 2.6)")
    ax.set_title(f"Stochastic gradient, η = {run.eta:g}, one point per step ({run.engine} engine; "
                 f"cf. Fig. 6.1)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    return save_figure(fig, out_dir, "cost")


def plot_boundaries(panels, X, Y, out_dir, n=GRID, stem="boundary"):
    """``panels``: list of (title, mask) with mask a boolean (n, n) array, True for class A;
    written as ``stem``.png and .svg."""
    plt = pyplot()
    xs, ys, _ = grid(n)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 4.4), squeeze=False)
    for ax, (title, mask) in zip(axes[0], panels):
        # two filled levels as in nlsrun.m's contourf(X, Y, Aval > Bval, [0.5 0.5])
        ax.contourf(xs, ys, mask.astype(float), levels=[-0.5, 0.5, 1.5], colors=["white", "0.8"])
        ax.contour(xs, ys, mask.astype(float), levels=[0.5], colors="0.3", linewidths=0.8)
        _points(ax, X, Y)
        _unit_square(ax)
        ax.set_title(title, fontsize=9)
    return save_figure(fig, out_dir, stem)
