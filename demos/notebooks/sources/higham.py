# %% [markdown]
# # Higham & Higham's network
#
# C. F. Higham and D. J. Higham, "Deep Learning: An Introduction for Applied Mathematicians",
# *SIAM Review* 61(4), 2019: the ten labelled points of §2, the 2-2-3-2 sigmoid network, a million
# steps of single-sample stochastic gradient as the paper's `netbp.m` (§6), the classifier, and
# Lemma 5.1 (§5) lined up against the gradients the engine leaves on the nodes z[l].
#
# Everything is computed by `demos/higham/` (data, network, training, Lemma 5.1, figures: one file
# each); this notebook calls those modules and shows what they return. `python -m demos.higham`
# prints the same report.

# %% tags=["parameters"]
ITERATIONS = 1_000_000   # netbp.m: Niter = 1e6
SEED = 0                 # numpy.random.default_rng(SEED): the weights, then the sample indices

# %%
import tempfile

import numpy as np
from IPython.display import Image, display

from demos._common import format_table
from demos.higham import ETA, lemma51, training
from demos.higham.data import class_a, points
from demos.higham.figures import GRID, grid, plot_boundaries, plot_cost, plot_data
from demos.higham.network import HighamNetwork, make_network, parameter_list
from engine import draw_network

FIGURES = tempfile.mkdtemp(prefix="higham-notebook-")  # the demos' figure functions write files

def show(paths):
    """Display the PNG of each figure a demo function wrote."""
    for path in paths:
        if path.endswith(".png"):
            display(Image(filename=path))

# %% [markdown]
# ## The data (§2, Figure 2.1)
#
# Ten points in the unit square: class A (circles) with target y = (1, 0), class B (crosses) with
# y = (0, 1).

# %%
X, Y = points()
print(format_table(["i", "x1", "x2", "class", "y"],
                   [(i, f"{x[0]:g}", f"{x[1]:g}", "A" if a else "B", f"({y[0]:g}, {y[1]:g})")
                    for i, (x, y, a) in enumerate(zip(X, Y, class_a(Y)), 1)]))
show(plot_data(X, Y, FIGURES))

# %% [markdown]
# ## The network (§2, eq. 2.4)
#
# F(x) = σ(W[4] σ(W[3] σ(W[2] x + b[2]) + b[3]) + b[4]) with σ(x) = 1/(1 + e^(−x)); layers are
# numbered from 1 as in the paper, layer 1 being the input. W[2] is 2×2, W[3] 3×2, W[4] 2×3 and
# b[2], b[3], b[4] have 2, 3 and 2 entries: 23 parameters, each drawn as 0.5·N(0, 1) as in
# `netbp.m`. (MATLAB's `rng(5000)` stream cannot be reproduced in NumPy, so the numbers match the
# paper in kind, not digit for digit.) The network shows itself as its summary table; unfold the
# list for every parameter's value.

# %%
rng = np.random.default_rng(SEED)
mlp = make_network(rng)
mlp

# %%
for name, array in mlp.arrays().items():
    print(f"{name} =\n{np.array2string(array, precision=4, suppress_small=True)}\n")
draw_network(mlp, title="The 2-2-3-2 network: one edge per weight W[l][j,k]")

# %% [markdown]
# ## A million steps of stochastic gradient (§4, §6)
#
# `netbp.m`: at each step choose one point x_k uniformly at random and update every parameter,
# p ← p − η ∇C_{x_k}(p), with η = 0.05 and C_x = ½‖y − F(x)‖². The per-sample cost graph is
# recorded once through `nn.MLP` and compiled by `engine.compile` into straight-line Python with
# the eager engine's arithmetic (the same numbers bit for bit); the full Cost over all ten points,
# (1/10) Σ ½‖y(x_i) − F(x_i)‖², is recorded every 10,000 steps.

# %%
net = HighamNetwork(mlp, X, Y)
order = training.sample_order(rng, ITERATIONS)      # drawn after the weights, as netbp.m does
run = training.train(net, order, ETA)               # compiled; training.train(..., eager=True) for Values
print(f"{ITERATIONS:,} steps in {run.seconds:.2f} s ({1e6 * run.seconds / ITERATIONS:.2f} µs per step)")
marks = sorted({int(round(f * (len(run.iterations) - 1))) for f in np.linspace(0, 1, 6)})
print(format_table(["iteration", "Cost"], [(f"{run.iterations[i]:,}", f"{run.costs[i]:.6g}") for i in marks]))
print(f"{net.correct(run.parameters)} of 10 points classified correctly")

# %% [markdown]
# The cost curve (the paper's Figure 6.1 plots ‖costvec‖² = 20 × Cost; this is the Cost itself),
# on a log scale:

# %%
show(plot_cost(run, FIGURES))

# %% [markdown]
# ## The classifier (Figure 6.2)
#
# Grey where F(x)₁ ≥ F(x)₂ (class A) on the 501 × 501 grid of the unit square, evaluated by the
# compiled classifier graph F(x)₁ − F(x)₂ for all 251,001 points in one vectorised call.

# %%
_, _, grid_points = grid()
mask = net.class_a(grid_points, run.parameters).reshape(GRID, GRID)
title = f"stochastic gradient, {ITERATIONS:,} steps\nCost {run.final_cost:.3g}, {net.correct(run.parameters)}/10 points correct"
print(f"class A on {100 * mask.mean():.1f}% of the grid")
show(plot_boundaries([(title, mask)], X, Y, FIGURES))

# %% [markdown]
# ## Lemma 5.1: δ[l] beside the gradients on the z[l] nodes (§5)
#
# With z[l] = W[l] a[l−1] + b[l], a[l] = σ(z[l]) and δ[l] = ∂C/∂z[l], Lemma 5.1 says
#
# * (5.5) δ[L] = σ'(z[L]) ∘ (a[L] − y),
# * (5.6) δ[l] = σ'(z[l]) ∘ (W[l+1])ᵀ δ[l+1] for 2 ≤ l ≤ L − 1,
# * (5.7) ∂C/∂b[l]_j = δ[l]_j and (5.8) ∂C/∂w[l]_jk = δ[l]_j a[l−1]_k.
#
# `demos/higham/lemma51.py` evaluates these four equations in NumPy. The engine knows nothing of
# δ: it applies the chain rule node by node, and the gradient that `backward()` leaves on the node
# labelled z[l]_j is ∂C/∂z[l]_j. Here at the trained weights, for the point with the largest cost:

# %%
net.cost_graph.write_params(run.parameters)         # the recorded Values now hold the final weights
for p in net.mlp.parameters():
    p.grad = 0.0                                    # backward() accumulates into the leaves
costs = net.cost_graph.forward_array(np.array(net.rows), run.parameters)
i = int(np.argmax(costs))
check = lemma51.check(net.mlp, X[i], Y[i])
print(f"point {i + 1}: x = {tuple(map(float, X[i]))}, y = {tuple(map(float, Y[i]))}, C = {check.cost:.6g}\n")
print(format_table(["node", "eq.", "δ[l]_j (lemma, NumPy)", "∂C/∂z[l]_j (engine)", "difference"],
                   [(r.name, r.equation, f"{r.lemma:.15e}", f"{r.engine:.15e}", f"{r.difference:.1e}")
                    for r in check.deltas]))
print()
print(format_table(["parameter", "eq.", "lemma", "engine .grad", "difference"],
                   [(r.name, r.equation, f"{r.lemma:.15e}", f"{r.engine:.15e}", f"{r.difference:.1e}")
                    for r in check.parameters[:6]]) + "\n   ... (23 rows in all)")
print(f"\nlargest difference over all 30 rows: {check.largest_difference:.1e} "
      f"(relative {check.largest_relative_difference:.1e}; float64 rounds at 1.1e-16 per operation)")

# %% [markdown]
# The same equations met inside the backward pass. For one sample, at a fresh 0.5·N(0, 1) draw
# (the graph of `python -m demos.backprop --example higham`), the table of `backward()` node by
# node: when the pass reaches a node z[l]_j, its gradient is complete, and the note beside it is
# δ[l]_j from (5.5)–(5.6) in NumPy. The rows under a z[l]_j node pass δ[l]_j on: to b[l]_j times 1
# (5.7), to W[l][j,k] times a[l−1]_k (5.8), and to a[l−1]_k times W[l][j,k], the (W[l])ᵀ δ[l] of (5.6).

# %%
from demos.backprop.examples import higham as one_sample
from engine import backward_table

sample = one_sample()
print(sample.title + "\n")
print(backward_table(sample.root, annotate=sample.annotate, leaves=False))

# %% [markdown]
# ## Summary

# %% tags=["key-numbers"]
key_numbers = {"parameters": mlp.num_parameters(), "iterations": ITERATIONS,
               "initial Cost": run.costs[0], "final Cost": run.final_cost,
               "points correct": net.correct(run.parameters), "class A share of the grid": float(mask.mean()),
               "Lemma 5.1 largest difference": check.largest_difference,
               "training seconds": round(run.seconds, 2)}
key_numbers
