# %% [markdown]
# # Loss landscapes of logistic regression: squared loss against cross entropy
#
# The slides' Figure 3.4: logistic regression ŷ = σ(w x + b) with two parameters θ = (w, b) on a
# seeded synthetic one-dimensional data set (x ~ N(0, 1), y ~ Bernoulli(σ(2x − 0.5)), so the
# classes overlap and both minimisers are finite), and two costs, each a mean over the N points:
#
# * the squared loss C(θ) = (1/N) Σ (y_i − ŷ_i)², and
# * the binary cross entropy C(θ) = (1/N) Σ −[y_i log ŷ_i + (1 − y_i) log(1 − ŷ_i)], built as
#   softplus(z_i) − y_i z_i with z_i = w x_i + b: the same number, without log(0).
#
# Every cost and gradient is the engine's (one `backward()` per point of the grid); the 2×2
# Hessian is central differences of those exact gradients. The code is `demos/landscape/`;
# `python -m demos.landscape` prints the same report.

# %% tags=["parameters"]
GRID = 41       # grid points per axis over w, b ∈ [−8, 8]
STEPS = 3000    # gradient-descent steps from the common start (w, b) = (−6, 6)
SEED = 0

# %%
import tempfile

import numpy as np
from IPython.display import Image, display

from demos import landscape
from engine import Value

FIGURES = tempfile.mkdtemp(prefix="landscape-notebook-")

def show(paths):
    """Display the PNG of each figure a demo function wrote."""
    for path in paths:
        if path.endswith(".png"):
            display(Image(filename=path))

# %% [markdown]
# ## One cost and its gradient, by the engine
#
# At the start of gradient descent, (w, b) = (−6, 6), the model says "class 1" with confidence
# for every x < 1: where it is wrong, σ saturates. The cross entropy's gradient stays large there;
# the squared loss's gradient all but vanishes, because it carries a factor σ'(z) = σ(z)(1 − σ(z)).

# %%
x, y = landscape.logistic_1d(landscape.N_SAMPLES, SEED)
for loss, (name, _) in landscape.LOSSES.items():
    w, b = Value(-6.0, label="w"), Value(6.0, label="b")
    C = landscape.cost(loss, w, b, x, y)
    C.backward()
    print(f"{name:24s} C = {C.data:.6f}   ∂C/∂w = {w.grad: .3e}   ∂C/∂b = {b.grad: .3e}")
w

# %% [markdown]
# ## Both landscapes
#
# The cost, the gradient norm and the Hessian's eigenvalues at every point of the grid; each
# cost's minimiser (BFGS with the engine's gradients, from the best grid point); and gradient
# descent with η = 1 from the same start on both.

# %%
result = landscape.run(SEED, grid_points=GRID, steps=STEPS)
lines = landscape.summary(result)
print("\n".join(lines))

# %%
show(landscape.plot(result, FIGURES))

# %% [markdown]
# What the pictures say: cross entropy is convex (its Hessian (1/N) Σ σ'(z_i) [x_i² x_i; x_i 1] is
# positive semi-definite everywhere), so gradient descent reaches its one minimum from anywhere.
# The squared loss is not convex: where the model is confidently wrong σ saturates, the gradient
# vanishes (the flat plateaus) and the curvature turns negative, and gradient descent can crawl
# there for thousands of steps.

# %% [markdown]
# ## Summary

# %% tags=["key-numbers"]
squared, entropy = result.reports["squared"], result.reports["cross_entropy"]
key_numbers = {"squared minimiser": squared.theta_star.tolist(), "squared minimum": squared.cost_star,
               "cross-entropy minimiser": entropy.theta_star.tolist(), "cross-entropy minimum": entropy.cost_star,
               "squared non-convex share of the grid": squared.landscape.non_convex_fraction,
               "cross-entropy smallest eigenvalue": float(entropy.landscape.lambda_min.min()),
               "squared steps to the minimum": squared.steps_to_minimum(),
               "cross-entropy steps to the minimum": entropy.steps_to_minimum(),
               "conclusion": lines[-1]}
key_numbers
