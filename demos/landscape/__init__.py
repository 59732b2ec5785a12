"""The loss landscape of logistic regression (the slides' Figure 3.4), computed with the engine.

Model: ŷ = σ(w x + b) with two parameters θ = (w, b), on the seeded synthetic one-dimensional data
set ``nn.logistic_1d`` (x ~ N(0, 1), y ~ Bernoulli(σ(2x − 0.5)): the classes overlap, so both
minimisers are finite). Two costs, each a mean over the N samples:

* squared loss        C(θ) = (1/N) Σ_i (y_i − ŷ_i)²                          (Figure 3.4 (a))
* binary cross entropy C(θ) = (1/N) Σ_i −[y_i log ŷ_i + (1 − y_i) log(1 − ŷ_i)]   (Figure 3.4 (b)),
  built as softplus(z_i) − y_i z_i with z_i = w x_i + b: the same number, without log(0).

Everything is computed by the engine: the cost and its exact gradient by one ``backward()``; the
2×2 Hessian exactly, by ``engine.hessian_of`` (the gradient built as a graph from the operation
table, then differentiated again), symmetrised (H + Hᵀ)/2 against rounding. The central differences
of exact gradients that the demo used before, (∇C(θ + h e_j) − ∇C(θ − h e_j)) / 2h with h = 1e-4
(``hessian_fd``), are kept for comparison: ``finite_difference_error`` measures how far they are from
the exact Hessian over the grid (the summary prints it). A smallest eigenvalue below −1e-6 is a real
negative curvature, far beyond rounding.

What the landscape shows: cross entropy is convex (its Hessian (1/N) Σ σ'(z_i) [x_i² x_i; x_i 1] is
positive semi-definite everywhere), so gradient descent reaches its single minimum from anywhere.
The squared loss is not: where the model is confidently wrong, σ saturates, the gradient vanishes
(flat plateaus) and the curvature turns negative, and gradient descent can stall there.
"""

from dataclasses import dataclass, field

import numpy as np

from engine import Value, affine, hessian_of
from nn import logistic_1d

# The defaults of ``python -m demos.landscape``: a data set whose minimisers lie well inside the
# grid, and a start on the plateau where the model says "class 1" for every x.
N_SAMPLES = 40
GRID_RANGE = (-8.0, 8.0)
GRID_POINTS = 41
START = (-6.0, 6.0)
LEARNING_RATE = 1.0
STEPS = 3000
HESSIAN_STEP = 1e-4
NEGATIVE_CURVATURE = -1e-6   # λ_min below this is negative curvature (exact Hessian: rounding ≈ 1e-16)
FLAT_GRADIENT = 1e-2         # ‖∇C‖ below this: a step with η = 1 moves θ by less than 0.01


# ---------------------------------------------------------------- the two losses, one sample each

def squared_loss(z, y):
    """(y − σ(z))² for one sample with weighted input z (a Value)."""
    return (y - z.sigmoid()) ** 2


def cross_entropy_loss(z, y):
    """−[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z, stable for any z."""
    return z.softplus() - y * z


LOSSES = {
    "squared": ("squared loss (y − ŷ)²", squared_loss),
    "cross_entropy": ("binary cross entropy", cross_entropy_loss),
}


def _loss_function(loss):
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[loss][1]


def cost(loss, w, b, x, y):
    """The mean loss over the data as a Value; ``w`` and ``b`` are Values (or numbers)."""
    per_sample = _loss_function(loss)
    terms = [per_sample(affine([w], [float(xi)], b), float(yi)) for xi, yi in zip(x, y)]
    return affine([1.0 / len(terms)] * len(terms), terms)  # the mean as one node: Σ (1/N) C_i


def value_and_gradient(loss, theta, x, y):
    """(C(θ), ∇C(θ)) at θ = (w, b): the engine's cost and its exact gradient (one backward pass)."""
    w, b = Value(float(theta[0]), label="w"), Value(float(theta[1]), label="b")
    c = cost(loss, w, b, x, y)
    c.backward()
    return c.data, np.array([w.grad, b.grad])


def hessian(loss, theta, x, y):
    """The exact 2×2 Hessian at θ (``engine.hessian_of``: second derivatives from the operation
    table), symmetrised against rounding."""
    w, b = Value(float(theta[0]), label="w"), Value(float(theta[1]), label="b")
    H = hessian_of(cost(loss, w, b, x, y), [w, b])
    return (H + H.T) / 2


def hessian_fd(loss, theta, x, y, h=HESSIAN_STEP):
    """The 2×2 Hessian at θ by central differences of the engine's exact gradients, symmetrised:
    what the demo used before exact second derivatives, kept to measure its error."""
    theta = np.asarray(theta, dtype=float)
    columns = []
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        g_up = value_and_gradient(loss, theta + step, x, y)[1]
        g_down = value_and_gradient(loss, theta - step, x, y)[1]
        columns.append((g_up - g_down) / (2 * h))
    H = np.column_stack(columns)
    return (H + H.T) / 2


@dataclass
class Landscape:
    """One loss over a grid: arrays indexed [i_b, i_w] (rows = b, as ``np.meshgrid(ws, bs)``)."""
    loss: str
    ws: np.ndarray
    bs: np.ndarray
    cost: np.ndarray
    grad_norm: np.ndarray
    lambda_min: np.ndarray
    lambda_max: np.ndarray

    @property
    def non_convex_fraction(self):
        return float(np.mean(self.lambda_min < NEGATIVE_CURVATURE))

    @property
    def flat_fraction(self):
        return float(np.mean(self.grad_norm < FLAT_GRADIENT))

    def most_negative(self):
        """(λ_min, w, b) at the grid point of the smallest Hessian eigenvalue."""
        i, j = np.unravel_index(np.argmin(self.lambda_min), self.lambda_min.shape)
        return float(self.lambda_min[i, j]), float(self.ws[j]), float(self.bs[i])


def grid_axes(points=GRID_POINTS, lo=GRID_RANGE[0], hi=GRID_RANGE[1]):
    if points < 3:
        raise ValueError(f"the grid needs at least 3 points per axis, got {points}")
    return np.linspace(lo, hi, points), np.linspace(lo, hi, points)


def finite_difference_error(loss, x, y, ws, bs, h=HESSIAN_STEP):
    """(max abs, max relative) difference over the grid between the finite-difference Hessian
    ``hessian_fd`` and the exact one, entry by entry; relative to max(1e-12, max |H_exact| there)."""
    worst_abs = worst_rel = 0.0
    for b in bs:
        for w in ws:
            exact = hessian(loss, (w, b), x, y)
            diff = np.abs(hessian_fd(loss, (w, b), x, y, h) - exact).max()
            worst_abs = max(worst_abs, float(diff))
            worst_rel = max(worst_rel, float(diff / max(1e-12, np.abs(exact).max())))
    return worst_abs, worst_rel


def compute_landscape(loss, x, y, ws, bs):
    """Cost, gradient norm and exact Hessian eigenvalues of ``loss`` at every (w, b) of the grid."""
    shape = (len(bs), len(ws))
    costs, norms, lo, hi = (np.empty(shape) for _ in range(4))
    for i, b in enumerate(bs):
        for j, w in enumerate(ws):
            c, g = value_and_gradient(loss, (w, b), x, y)
            costs[i, j], norms[i, j] = c, np.hypot(*g)
            lo[i, j], hi[i, j] = np.linalg.eigvalsh(hessian(loss, (w, b), x, y))
    return Landscape(loss, np.asarray(ws, float), np.asarray(bs, float), costs, norms, lo, hi)


def gradient_descent(loss, x, y, start=START, lr=LEARNING_RATE, steps=STEPS):
    """θ ← θ − η ∇C(θ) from ``start``; returns (path of shape (steps+1, 2), costs (steps+1,))."""
    theta = np.array(start, dtype=float)
    path, costs = [theta.copy()], []
    for _ in range(steps):
        c, g = value_and_gradient(loss, theta, x, y)
        costs.append(c)
        theta = theta - lr * g
        path.append(theta.copy())
    costs.append(value_and_gradient(loss, theta, x, y)[0])
    return np.array(path), np.array(costs)


def minimiser(loss, x, y, start):
    """A minimiser of ``loss`` near ``start`` (BFGS with the engine's exact gradients)."""
    from scipy.optimize import minimize
    result = minimize(lambda t: value_and_gradient(loss, t, x, y), np.asarray(start, float),
                      jac=True, method="BFGS", options={"gtol": 1e-10})
    return result.x, float(result.fun)


@dataclass
class LossReport:
    landscape: Landscape
    theta_star: np.ndarray      # the minimiser, started from the best grid point
    cost_star: float
    path: np.ndarray            # gradient descent from the common start
    path_costs: np.ndarray
    start_grad_norm: float
    end_grad_norm: float
    end_lambda_min: float       # < 0 at the end of the path: a plateau or saddle, not a minimum

    @property
    def distance_to_minimiser(self):
        return float(np.linalg.norm(self.path[-1] - self.theta_star))

    def steps_to_minimum(self, tolerance=1e-3):
        """The first gradient-descent step with cost within ``tolerance`` of the minimum (None: never)."""
        close = np.nonzero(self.path_costs - self.cost_star < tolerance)[0]
        return int(close[0]) if close.size else None


@dataclass
class Result:
    x: np.ndarray
    y: np.ndarray
    start: tuple
    lr: float
    reports: dict = field(default_factory=dict)   # loss name → LossReport
    fd_errors: dict = field(default_factory=dict)  # loss name → (max abs, max rel) of hessian_fd


def run(seed=0, n=N_SAMPLES, grid_points=GRID_POINTS, steps=STEPS, lr=LEARNING_RATE, start=START):
    """Both landscapes, minimisers and gradient-descent paths for one data set."""
    x, y = logistic_1d(n, seed)
    ws, bs = grid_axes(grid_points)
    result = Result(x, y, tuple(start), lr)
    for loss in LOSSES:
        land = compute_landscape(loss, x, y, ws, bs)
        i, j = np.unravel_index(np.argmin(land.cost), land.cost.shape)
        theta_star, cost_star = minimiser(loss, x, y, (ws[j], bs[i]))
        path, costs = gradient_descent(loss, x, y, start, lr, steps)
        g0 = np.linalg.norm(value_and_gradient(loss, path[0], x, y)[1])
        g1 = np.linalg.norm(value_and_gradient(loss, path[-1], x, y)[1])
        lam_end = np.linalg.eigvalsh(hessian(loss, path[-1], x, y))[0]
        result.reports[loss] = LossReport(land, theta_star, cost_star, path, costs, float(g0), float(g1),
                                          float(lam_end))
        result.fd_errors[loss] = finite_difference_error(loss, x, y, ws, bs)
    return result


def stalled(rep):
    """How gradient descent ended, in words."""
    if rep.distance_to_minimiser < 1e-2:
        return "arrives"
    if rep.end_lambda_min < NEGATIVE_CURVATURE:
        return "stalls on a plateau, not at a minimum (λ_min < 0 where it stops)"
    return "stops away from the minimiser"


def _after(steps, total):
    return f"not within {total} steps" if steps is None else f"after {steps} steps"


def summary(result):
    """The findings as lines of text."""
    ws, bs = result.reports["squared"].landscape.ws, result.reports["squared"].landscape.bs
    lines = [f"data: {len(result.x)} points, {int(result.y.sum())} of class 1; "
             f"grid {len(ws)}×{len(bs)} over w, b ∈ [{ws[0]:g}, {ws[-1]:g}]; exact Hessians "
             f"(engine.hessian_of)",
             f"gradient descent from (w, b) = ({result.start[0]:g}, {result.start[1]:g}), "
             f"η = {result.lr:g}, {len(next(iter(result.reports.values())).path) - 1} steps"]
    for loss, rep in result.reports.items():
        land = rep.landscape
        lam, lw, lb = land.most_negative()
        lines += [
            f"{LOSSES[loss][0]}:",
            f"  minimiser (w, b) = ({rep.theta_star[0]:.4f}, {rep.theta_star[1]:.4f}), cost {rep.cost_star:.6f}",
            f"  smallest Hessian eigenvalue on the grid {lam:.3e} at (w, b) = ({lw:g}, {lb:g}); "
            f"negative (< {NEGATIVE_CURVATURE:g}) on {100 * land.non_convex_fraction:.1f}% of the grid",
            f"  flat (‖∇C‖ < {FLAT_GRADIENT:g}) on {100 * land.flat_fraction:.1f}% of the grid; "
            f"cost from {land.cost.min():.4f} to {land.cost.max():.4f}",
            f"  gradient descent: ‖∇C‖ {rep.start_grad_norm:.2e} at the start; cost within 1e-3 of the "
            f"minimum {_after(rep.steps_to_minimum(), len(rep.path) - 1)}; ends at "
            f"({rep.path[-1][0]:.3f}, {rep.path[-1][1]:.3f}), cost {rep.path_costs[-1]:.6f}, "
            f"{rep.distance_to_minimiser:.3g} from the minimiser, ‖∇C‖ {rep.end_grad_norm:.1e}, "
            f"λ_min {rep.end_lambda_min:.1e}",
        ]
        if loss in result.fd_errors:
            fa, fr = result.fd_errors[loss]
            lines.append(f"  the finite-difference Hessian used before (h = {HESSIAN_STEP:g}) is off the exact "
                         f"one by at most {fa:.1e} (relative {fr:.1e}) over the grid")
    sq, ce = result.reports["squared"], result.reports["cross_entropy"]
    convex = ce.landscape.lambda_min.min() >= NEGATIVE_CURVATURE
    n_sq, n_ce = sq.steps_to_minimum(), ce.steps_to_minimum()
    if n_sq is not None and n_ce is not None:
        race = (f"from the same start gradient descent needs {n_sq} steps to come within 1e-3 of the "
                f"squared loss's minimum, {n_ce} for cross entropy's")
    else:
        race = (f"from the same start gradient descent on the squared loss {stalled(sq)}: cost "
                f"{sq.path_costs[-1]:.3f} against a minimum of {sq.cost_star:.3f}")
    lines.append(
        f"=> cross entropy is {'convex (Hessian PSD at every grid point)' if convex else 'NOT convex on this grid'}; "
        f"the squared loss has negative curvature on {100 * sq.landscape.non_convex_fraction:.0f}% "
        f"and plateaus on {100 * sq.landscape.flat_fraction:.0f}% of the grid; {race}.")
    return lines


# ---------------------------------------------------------------- figures

def _mark(ax, rep, start, three_d=False):
    path, star = rep.path, rep.theta_star
    if three_d:
        ax.plot(path[:, 0], path[:, 1], rep.path_costs, color="red", lw=2, zorder=10, label="gradient descent")
        ax.scatter([star[0]], [star[1]], [rep.cost_star], color="white", edgecolor="k", marker="*",
                   s=200, zorder=11, label="minimiser")
        return
    ax.plot(path[:, 0], path[:, 1], "-", color="red", lw=2, label="gradient descent")
    ax.plot(path[::50, 0], path[::50, 1], ".", color="red", ms=5, label="every 50 steps")
    ax.plot(*start, "o", color="red", mec="k", ms=7, label="start")
    ax.plot(*star, "*", color="white", mec="k", ms=16, label="minimiser")


def plot(result, out_dir):
    """Three figures, each as PNG and SVG; returns the paths written."""
    from matplotlib.colors import CenteredNorm

    from .._common import pyplot, save_figure
    plt = pyplot()
    names = list(result.reports)
    paths = []

    # (1) surfaces, as the slides draw Figure 3.4
    fig = plt.figure(figsize=(12, 5))
    for k, loss in enumerate(names):
        rep, land = result.reports[loss], result.reports[loss].landscape
        W, B = np.meshgrid(land.ws, land.bs)
        ax = fig.add_subplot(1, 2, k + 1, projection="3d")
        ax.plot_surface(W, B, land.cost, cmap="viridis", alpha=0.8, linewidth=0, rasterized=True)
        _mark(ax, rep, result.start, three_d=True)
        ax.set(xlabel="w", ylabel="b", zlabel="cost", title=f"({'ab'[k]}) {LOSSES[loss][0]}")
        ax.view_init(elev=30, azim=-125)
    fig.suptitle("Loss landscape of logistic regression ŷ = σ(w x + b)")
    paths += save_figure(fig, out_dir, "landscape_surfaces")

    # (2) contours with the gradient-descent paths and the region of negative curvature
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2))
    for k, (ax, loss) in enumerate(zip(axes, names)):
        rep, land = result.reports[loss], result.reports[loss].landscape
        W, B = np.meshgrid(land.ws, land.bs)
        filled = ax.contourf(W, B, land.cost, levels=30, cmap="viridis")
        filled.set_rasterized(True)  # a small SVG; lines and markers stay vectors
        fig.colorbar(filled, ax=ax, label="cost")
        if (land.lambda_min < NEGATIVE_CURVATURE).any():
            ax.contour(W, B, land.lambda_min, levels=[NEGATIVE_CURVATURE], colors="w",
                       linewidths=1.5, linestyles="--")
            ax.plot([], [], "--", color="w", label="λ_min = 0 (convex inside the dashes)")
        _mark(ax, rep, result.start)
        ax.set(xlabel="w", ylabel="b", title=f"({'ab'[k]}) {LOSSES[loss][0]}")
        ax.legend(loc="lower left", fontsize=8, facecolor="0.85")
    fig.suptitle("Cost contours and gradient descent from the same start")
    paths += save_figure(fig, out_dir, "landscape_contours")

    # (3) the smallest Hessian eigenvalue itself
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2))
    for k, (ax, loss) in enumerate(zip(axes, names)):
        land = result.reports[loss].landscape
        W, B = np.meshgrid(land.ws, land.bs)
        mesh = ax.pcolormesh(W, B, land.lambda_min, cmap="RdBu", norm=CenteredNorm(0.0), shading="auto",
                             rasterized=True)
        fig.colorbar(mesh, ax=ax, label="λ_min of the Hessian")
        ax.set(xlabel="w", ylabel="b",
               title=f"({'ab'[k]}) {LOSSES[loss][0]}: min λ_min = {land.lambda_min.min():.2e}")
    fig.suptitle("Smallest Hessian eigenvalue: red = negative curvature, blue = convex")
    paths += save_figure(fig, out_dir, "landscape_curvature")
    return paths
