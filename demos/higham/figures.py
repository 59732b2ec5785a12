"""The paper's three kinds of figure, drawn as netbp.m and nlsrun.m draw them.

* ``plot_data``: the ten points in the unit square, circles for class A, crosses for B (Figure 1);
* ``plot_cost``: the Cost (eq. 2.4) every ``record_every`` iterations on a log scale (netbp.m's
  ``semilogy``, which plots 20 × Cost; here the paper's Cost itself);
* ``plot_boundaries``: the classifier as shaded regions on a 501 × 501 grid of the unit square,
  grey where F(x)₁ ≥ F(x)₂ (class A), white elsewhere, with the points on top; one panel per method.
"""

import numpy as np

from .._common import pyplot, save_figure
from .data import class_a

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


def plot_data(X, Y, out_dir):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    _points(ax, X, Y)
    _unit_square(ax)
    ax.set_title("The ten labelled points (Higham & Higham, Fig. 1)", fontsize=9)
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    return save_figure(fig, out_dir, "data")


def plot_cost(run, out_dir):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(run.iterations, run.costs, "b-", linewidth=2)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("Cost (eq. 2.4)")
    ax.set_title(f"Stochastic gradient, η = {run.eta:g}, one point per step ({run.engine} engine)",
                 fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    return save_figure(fig, out_dir, "cost")


def plot_boundaries(panels, X, Y, out_dir, n=GRID):
    """``panels``: list of (title, mask) with mask a boolean (n, n) array, True for class A."""
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
    return save_figure(fig, out_dir, "boundary")
