# %% [markdown]
# # XOR, solved by hand and learned
#
# Goodfellow, Bengio & Courville, *Deep Learning*, §6.1: the four points of XOR, the model of
# eq. (6.3) f(x; W, c, w, b) = wᵀ max{0, Wᵀx + c} + b with one hidden layer of two rectified
# linear units, its exact solution (6.4)–(6.6), the hidden representation h that makes the classes
# linearly separable (Figure 6.1), what gradient descent finds from many random starts, and
# slices of the cost surface.
#
# The computations are `demos/xor/` (`exact.py`: the model from engine Values and the book's
# solution; `learning.py`: training from many seeds; `figures.py`). `python -m demos.xor` prints
# the same report.

# %% tags=["parameters"]
SEEDS = 100     # training runs, seeds 0 .. SEEDS − 1
STEPS = 1000    # full-batch gradient-descent steps per run (learning.STEPS)
SURFACE_POINTS = 121  # grid points per axis of each slice of the cost surface

# %%
import tempfile

import numpy as np
from IPython.display import Image, display

from demos._common import format_table
from demos.xor import exact, learning
from demos.xor.figures import plot_cost_surface, plot_feature_space, plot_training

FIGURES = tempfile.mkdtemp(prefix="xor-notebook-")

def show(paths):
    """Display the PNG of each figure a demo function wrote."""
    for path in paths:
        if path.endswith(".png"):
            display(Image(filename=path))

def vector(v):
    return "[" + ", ".join(f"{x:g}" for x in v) + "]"

# %% [markdown]
# ## A linear model cannot do it
#
# The least-squares linear model f(x) = wᵀx + b on the four points has w = 0 and b = 1/2: it
# predicts 0.5 everywhere, with mean squared error 1/4.

# %%
w_lin, b_lin, predictions, mse_linear = exact.best_linear_model()
print(f"w = {vector(np.round(w_lin, 12) + 0.0)}, b = {b_lin:.6g}, predictions {vector(np.round(predictions, 12))}, "
      f"MSE = {mse_linear:.6g}")

# %% [markdown]
# ## The exact solution, eqs. (6.3)–(6.6)
#
# W = [[1, 1], [1, 1]], c = [0, −1], w = [1, −2], b = 0. First by hand, with NumPy, as the book
# does it: the design matrix X, then XW, then + c, then max{0, ·}, then · w.

# %%
X = np.array(exact.X)
W, c, w, b = exact.unpack(exact.BOOK_THETA)
XW = X @ W
H_by_hand = np.maximum(0.0, XW + c)
f_by_hand = H_by_hand @ w + b
print("X =", X.tolist())
print("XW =", XW.tolist())
print("XW + c =", (XW + c).tolist())
print("h = max{0, XW + c} =", H_by_hand.tolist())
print("f = h w + b =", f_by_hand.tolist(), "  targets", list(exact.TARGETS))

# %% [markdown]
# Then by the engine: the same model built from nine labelled parameter Values
# (`exact.forward`), the cost J(θ) = (1/4) Σ (f*(x) − f(x; θ))² (eq. 6.1) and its gradient from
# one `backward()`. J = 0 is a global minimum (J ≥ 0 everywhere) and the gradient is exactly 0,
# whatever value one gives relu'(0): every residual is 0.

# %%
solution = exact.solve_exactly()
print(format_table(["x", "z = Wᵀx + c", "h = max{0, z}", "f(x)", "target"],
                   [(vector(x), vector(z), vector(h), f"{f:g}", f"{y:g}")
                    for x, z, h, f, y in zip(exact.X, solution["z"], solution["h"], solution["f"], exact.TARGETS)]))
print(f"J = {solution['cost']!r};  ∇J = {vector(np.abs(solution['gradient']))}")
print("h by the engine equals h by hand:", bool(np.array_equal(solution["h"], H_by_hand)))

# %% [markdown]
# And by `nn`: the same numbers in an `nn.MLP(2, [2, 1])` with a ReLU hidden layer and a linear
# output (in the paper's notation of the `higham` notebook, W[2] = Wᵀ, b[2] = c, W[3] = wᵀ).

# %%
mlp = learning.network()
f_by_nn = [mlp([float(v) for v in x]).data for x in exact.X]
print("f(X) by nn.MLP =", f_by_nn)
mlp

# %% [markdown]
# In h-space the two classes are separated by a straight line (Figure 6.1, right):

# %%
show(plot_feature_space(solution, FIGURES))

# %% [markdown]
# ## Learning from many seeds
#
# The same 2-2-1 network from `SEEDS` random starts (every parameter from U(−1, 1)), each trained
# by full-batch gradient descent on J (`nn.train`, learning rate 0.1). Every run is then
# classified by measurement: *success* (J < 1e-6), a *dead unit* (a hidden unit off on all four
# inputs, so its gradient is exactly 0 and it never revives), *linear* (both units on everywhere:
# an affine function of x, J ≥ 1/4), or *other* (e.g. the local minimum J = 1/8).

# %%
import time
began = time.perf_counter()
runs = learning.train_many(range(SEEDS), steps=STEPS)
seconds = time.perf_counter() - began
counts = learning.tally(runs)
groups = learning.distinct_solutions(runs)
print(f"{SEEDS} runs of {STEPS} steps in {seconds:.1f} s")
print(format_table(["outcome", "runs"], [(k, v) for k, v in counts.items()]))
print(f"\nthe successes show {len(groups)} distinct activation patterns (on which inputs each unit is on):")
for pattern, group in groups:
    print(f"  {learning.describe_pattern(pattern):28s} {len(group):3d} run(s)")

# %%
show(plot_training(runs, FIGURES))

# %% [markdown]
# ## The cost surface
#
# J is a function of nine numbers; these are two-dimensional slices J(θ* + α d1 + β d2) through
# the book's solution θ* (★): along the hidden biases (c1, c2) it is piecewise quadratic with
# creases where a unit's kink crosses an input; along the output weights (w1, w2) it is a convex
# quadratic; along two random directions, both.

# %%
slices = exact.surface_slices(seed=0, points=SURFACE_POINTS)
for title, _, _, alphas, betas, J in slices:
    print(f"{title}: J from {J.min():.3g} to {J.max():.3g}")
show(plot_cost_surface(slices, FIGURES))

# %% [markdown]
# ## Summary

# %% tags=["key-numbers"]
key_numbers = {"linear MSE": mse_linear, "exact J": solution["cost"],
               "exact max |gradient|": float(np.max(np.abs(solution["gradient"]))),
               "h": solution["h"].tolist(), "f": solution["f"].tolist(), "f by nn": f_by_nn,
               "seeds": SEEDS, "steps": STEPS, "successes": counts["success"],
               "outcomes": counts, "distinct patterns": len(groups)}
key_numbers
