"""The figures of ``python -m demos.xor`` (PNG and SVG, matplotlib's Agg backend; the network diagram
with Graphviz). Each function takes computed results and an output directory and returns the paths
it wrote."""

import numpy as np

from .._common import pyplot, save_drawing, save_figure
from . import exact, learning

CLASS_STYLE = {0.0: dict(marker="o", color="#1f77b4", label="f*(x) = 0"),
               1.0: dict(marker="^", color="#d62728", label="f*(x) = 1")}
OUTCOME_COLOURS = {"success": "#2ca02c", "dead unit": "#d62728", "linear": "#9467bd", "other": "#ff7f0e"}


def _points(ax, points, targets=exact.TARGETS, size=90, annotate_repeats=True):
    """The four points, marked by class; points that coincide (as in h-space) are labelled ×n."""
    points = np.asarray(points, dtype=float)
    seen = set()
    for y in (0.0, 1.0):
        idx = [i for i, t in enumerate(targets) if t == y]
        ax.scatter(points[idx, 0], points[idx, 1], s=size, zorder=3, edgecolor="black", linewidth=0.6,
                   **CLASS_STYLE[y])
    if annotate_repeats:
        for _i, p in enumerate(points):
            key = tuple(np.round(p, 6))
            n = sum(1 for q in points if tuple(np.round(q, 6)) == key)
            if n > 1 and key not in seen:
                seen.add(key)
                ax.annotate(f"×{n}", p, textcoords="offset points", xytext=(8, 8), fontsize=9)


def _square(ax, lo, hi, xlabel, ylabel):
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)


def _h_space(ax, theta, title):
    """The hidden representation of the four inputs under θ, with the output's decision line
    wᵀh + b = 1/2 (where the linear output layer separates the two classes)."""
    W, c, w, b = exact.unpack(theta)
    h = np.maximum(0.0, np.asarray(exact.X) @ W + c)
    hi = max(1.2, float(h.max()) * 1.35)
    lo = -0.15 * hi
    grid = np.linspace(lo, hi, 201)
    H1, H2 = np.meshgrid(grid, grid)
    ax.contour(H1, H2, w[0] * H1 + w[1] * H2 + b, levels=[0.5], colors="grey", linestyles="--", linewidths=1)
    _points(ax, h)
    _square(ax, lo, hi, "$h_1$", "$h_2$")
    ax.set_title(title, fontsize=9)


# ---------------------------------------------------------------------------- part 1: not separable

def plot_not_separable(linear, out):
    """Figure 6.1 (left): XOR in x-space, shaded with the best linear model's prediction (0.5
    everywhere)."""
    plt = pyplot()
    w, b, _, mse = linear
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    grid = np.linspace(-0.25, 1.25, 151)
    X1, X2 = np.meshgrid(grid, grid)
    # rounded as the report rounds it: w is (0, 0) up to a few 1e-17 of LAPACK rounding, which would
    # otherwise change a colour level here and there from one machine to the next
    shade = ax.imshow(np.round(w[0] * X1 + w[1] * X2 + b, 12), extent=(-0.25, 1.25, -0.25, 1.25), origin="lower",
                      vmin=0, vmax=1, cmap="coolwarm")
    fig.colorbar(shade, ax=ax, label="linear model's prediction $w^\\top x + b$")
    _points(ax, exact.X)
    for x in exact.X:
        ax.annotate(f"{w @ np.asarray(x) + b:.2f}", x, textcoords="offset points", xytext=(8, -14), fontsize=9)
    _square(ax, -0.25, 1.25, "$x_1$", "$x_2$")
    ax.legend(loc="center", fontsize=8)
    w = np.round(w, 12) + 0.0  # show the rounding-level 1e-16 of lstsq as the exact 0 it stands for
    ax.set_title(f"XOR is not linearly separable. Least squares:\n"
                 f"w = ({w[0]:g}, {w[1]:g}), b = {b:.3g}, MSE = {mse:.3g}", fontsize=10)
    return save_figure(fig, out, "xor_not_separable")


# ------------------------------------------------------------------------- part 2: the exact solution

def plot_feature_space(solution, out):
    """Figure 6.1: x-space (with the network's decision curve f(x) = 1/2) beside h-space."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 4.4))
    grid = np.linspace(-0.25, 1.25, 301)
    X1, X2 = np.meshgrid(grid, grid)
    W, c, w, b = exact.unpack(exact.BOOK_THETA)
    Z = np.stack([X1, X2], axis=-1) @ W + c
    F = np.maximum(0.0, Z) @ w + b
    left.contour(X1, X2, F, levels=[0.5], colors="grey", linestyles="--", linewidths=1)
    _points(left, exact.X)
    _square(left, -0.25, 1.25, "$x_1$", "$x_2$")
    left.set_title("original x space\n(dashed: f(x) = 1/2)", fontsize=10)
    left.legend(loc="center", fontsize=8)
    _h_space(right, exact.BOOK_THETA, "learned h space, h = max{0, Wᵀx + c}\n"
                                      "(dashed: wᵀh + b = 1/2, a straight line)")
    sources = {}
    for x, h in zip(exact.X, solution["h"]):
        sources.setdefault(tuple(h), []).append(f"({x[0]:g}, {x[1]:g})")
    for h, xs in sources.items():
        right.annotate("x = " + ", ".join(xs), h, textcoords="offset points", xytext=(6, -16), fontsize=8)
    outputs = ", ".join(f"{f:g}" for f in solution["f"])
    fig.suptitle(f"Goodfellow et al. Figure 6.1, with W, c, w, b of eqs. 6.4–6.6: "
                 f"f(X) = [{outputs}], J = {solution['cost']:g}", fontsize=10, y=1.03)
    return save_figure(fig, out, "xor_feature_space")


def draw_network_diagram(out):
    """Figure 6.2: the 2-2-1 network with the book's weights on its edges, drawn by
    ``engine.display.draw.draw_network``. Writes the DOT source (.gv) always, PNG and SVG when Graphviz's
    ``dot`` is installed. Returns (paths written, message or None)."""
    from engine.display.draw import draw_network
    drawing = draw_network(learning.network(exact.BOOK_THETA), input_names=["x₁", "x₂"], precision=3,
                           title="Goodfellow et al. Figure 6.2: h = a[2] = max{0, Wᵀx + c}, "
                                 "f = z[3] = wᵀh + b (edge labels: weights; b: biases c and b)")
    paths, note = save_drawing(drawing, out, "xor_network")
    return paths, note and f"network diagram: {note}"


def plot_relu(out):
    """Figure 6.3: the rectified linear activation g(z) = max{0, z}."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.6))
    z = np.linspace(-2, 2, 401)
    ax.plot(z, np.maximum(0.0, z), color="black", linewidth=2)
    ax.set_xlabel("z")
    ax.set_ylabel("g(z) = max{0, z}")
    ax.set_title("The rectified linear activation function (Figure 6.3)\n"
                 "slope 0 for z < 0, 1 for z > 0; the engine takes g′(0) = 0", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.set_aspect("equal")
    return save_figure(fig, out, "xor_relu")


# -------------------------------------------------------------------------------- part 4: learning

def plot_learned_solutions(groups, out, how_many=6):
    """h-space of one run of each of the most frequent activation patterns of the successes."""
    plt = pyplot()
    shown = groups[:how_many]
    if not shown:
        fig, ax = plt.subplots(figsize=(5, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no run reached J < 1e-6", ha="center", va="center")
        return save_figure(fig, out, "xor_learned_solutions")
    cols = min(3, len(shown))
    rows = (len(shown) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.7 * rows), squeeze=False)
    for ax, (_pattern, runs) in zip(axes.ravel(), shown):
        run = runs[0]
        _h_space(ax, run.theta, f"{learning.describe_units(run.theta)}\n"
                                f"{len(runs)} run(s) like it; seed {run.seed}, J = {run.cost:.1e}")
    for ax in axes.ravel()[len(shown):]:
        ax.axis("off")
    fig.suptitle("Other transformations: hidden spaces of learned exact solutions, "
                 "one per activation pattern", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out, "xor_learned_solutions")


def plot_training(runs, out):
    """Cost curves of every run coloured by outcome (the plateaus at 1/4, 1/6, 1/8 are visible),
    the outcome counts, and the h-space of one failure of each kind."""
    plt = pyplot()
    levels = sorted(learning.failure_levels(runs).items(), key=lambda kv: (-kv[1], kv[0]))
    examples = []
    for (outcome, level), _ in levels:
        run = next(r for r in runs if r.outcome == outcome and learning.cost_level(r.cost) == level)
        examples.append((outcome, level, run))
    examples = examples[:4]
    fig = plt.figure(figsize=(13, 8.2 if examples else 4.2))
    grid = fig.add_gridspec(2 if examples else 1, 6)
    curves = fig.add_subplot(grid[0, :2])
    plateaus = fig.add_subplot(grid[0, 2:4])
    bars = fig.add_subplot(grid[0, 4:])
    for run in runs:
        colour = OUTCOME_COLOURS[run.outcome]
        curves.semilogy(run.steps, np.maximum(run.costs, 1e-16), color=colour, alpha=0.5, linewidth=0.8)
        if run.outcome != "success":
            plateaus.plot(run.steps, run.costs, color=colour, alpha=0.5, linewidth=0.8)
    curves.axhline(learning.SUCCESS_COST, color="#2ca02c", linestyle="--", linewidth=0.8)
    curves.set_xlabel("gradient-descent step")
    curves.set_ylabel("J(θ) (floored at 1e-16)")
    curves.set_title(f"{len(runs)} seeded runs, full-batch gradient descent\n"
                     f"(dashed: success threshold {learning.SUCCESS_COST:g})", fontsize=10)
    for value, name in learning.NAMED_LEVELS:
        plateaus.axhline(value, color="black", linestyle=":", linewidth=0.8)
        plateaus.annotate(f"J = {name}", (1, value), xycoords=("axes fraction", "data"), xytext=(-40, 3),
                          textcoords="offset points", fontsize=8)
    plateaus.set_ylim(0.1, 0.3)
    plateaus.set_xlabel("gradient-descent step")
    plateaus.set_title("the failed runs: plateaus at 1/4, 1/6, 1/8", fontsize=10)
    counts = learning.tally(runs)
    names = list(counts)
    bars.barh(names, [counts[n] for n in names], color=[OUTCOME_COLOURS[n] for n in names])
    for i, n in enumerate(names):
        bars.annotate(str(counts[n]), (counts[n], i), xytext=(4, -3), textcoords="offset points")
    bars.invert_yaxis()
    bars.set_xlabel("runs")
    bars.set_title("outcome, by measurement of the final θ", fontsize=10)
    if examples:
        bottom = grid[1, :].subgridspec(1, 4)
    for k, (outcome, level, run) in enumerate(examples):
        ax = fig.add_subplot(bottom[0, k])
        _h_space(ax, run.theta, f"{outcome}, J = {level} (seed {run.seed})\n"
                                f"{learning.describe_units(run.theta)}")
    fig.tight_layout()
    return save_figure(fig, out, "xor_training")


# ---------------------------------------------------------------------------- part 5: cost surface

def plot_cost_surface(slices, out):
    """Contours of J along 2-D slices θ* + α d1 + β d2 through the book's solution θ* (marked ★).

    ``slices``: list of (title, d1 name, d2 name, alphas, betas, J grid)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(slices), figsize=(5.3 * len(slices), 4.6), squeeze=False)
    for ax, (title, name1, name2, alphas, betas, J) in zip(axes[0], slices):
        levels = [0.001, 0.01, 0.05, 0.125, 1 / 6, 0.25, 0.5, 1, 2, 4]
        # rasterized: the filled contours go into the SVG as an image (a megabyte of paths otherwise)
        filled = ax.contourf(alphas, betas, np.sqrt(J), levels=30, cmap="viridis", rasterized=True)
        lines = ax.contour(alphas, betas, J, levels=levels, colors="white", linewidths=0.6)
        ax.clabel(lines, fmt=lambda v: f"J={v:.3g}", fontsize=7)  # lines in J, colours in √J
        fig.colorbar(filled, ax=ax, label="colour: √J (white lines: levels of J)")
        ax.plot([0], [0], marker="*", markersize=14, color="red", markeredgecolor="black",
                label="book's solution, J = 0")
        ax.set_xlabel(f"α along {name1}")
        ax.set_ylabel(f"β along {name2}")
        ax.set_title(title, fontsize=10)
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out, "xor_cost_surface")
