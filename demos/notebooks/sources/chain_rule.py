# %% [markdown]
# # The chain rule on a graph: micrograd's neuron
#
# The neuron of micrograd's lecture, o = tanh(x1·w1 + x2·w2 + b), with the lecture's numbers
# x1 = 2, x2 = 0, w1 = −3, w2 = 1 and b = 6.8813735870195432 (chosen so that n = x1·w1 + x2·w2 + b
# is about 0.8814 and o about 1/√2). Every product and sum is its own node, so each step of the
# backward pass is one application of the chain rule:
#
# d o / d(input) = d o / d(node) × d(node) / d(input),
#
# the gradient already complete at a node times the *local derivative* of that node with respect
# to one of its inputs (the operation's row in `engine/rules/table.py`). Higham & Higham's §5 writes the
# same rule for whole layers (Lemma 5.1; see the `higham` notebook).
#
# The graph is the one `python -m demos.backprop --example neuron` draws
# (`demos/backprop/examples.py`).

# %%
import numpy as np

from demos.backprop.examples import neuron
from engine import backward_table, draw_graph, numerical_gradient, stepper, topological_order

example = neuron()
o = example.root
nodes = {v.label: v for v in topological_order(o)}
x1, x2, w1, w2, b, n = (nodes[k] for k in ("x1", "x2", "w1", "w2", "b", "n"))
o

# %% [markdown]
# ## The forward pass
#
# Building the expression computed every node's `data` and recorded the graph. Nothing has been
# differentiated yet: every `grad` is 0. Inputs are blue, parameters (w1, w2, b) yellow, the
# output red; the grey ellipses are the operations.

# %%
draw_graph(o, params=example.params)

# %% [markdown]
# ## The backward pass, all at once
#
# `o.backward()` seeds do/do = 1 and visits the nodes in reverse topological order. Beside the
# engine's numbers, the closed forms of calculus: d tanh(n)/dn = 1 − tanh²(n) = 1 − o², and then
# each partial of n = x1·w1 + x2·w2 + b is the other factor of its product (or 1 for b).

# %%
o.backward()
s = 1 - o.data ** 2        # do/dn
closed_form = {"n": s, "b": s, "x1": w1.data * s, "w1": x1.data * s, "x2": w2.data * s, "w2": x2.data * s}
print(f"o = tanh(n) = {o.data!r},  n = {n.data!r}")
print(f"{'node':>14}  {'engine grad':>22}  {'closed form':>22}")
for label, v in nodes.items():
    expected = repr(closed_form[label]) if label in closed_form else ""
    print(f"{label:>14}  {v.grad!r:>22}  {expected:>22}")

# %% [markdown]
# The drawing after `backward()` carries every node's gradient.

# %%
draw_graph(o, params=example.params)

# %% [markdown]
# ## The backward pass, one node at a time
#
# The same pass as a table: one block per node, in the order `backward()` processes them, with
# each input's local derivative ∂node/∂input, the chain-rule product grad × ∂ added to the
# input's gradient, and that gradient before and after.

# %%
print(backward_table(o, params=example.params, annotate=example.annotate))

# %% [markdown]
# And the same steps inline, as a page you can step through: click the picture, then use ← and →
# (or the buttons, the slider, Home and End). At each step the node being processed and the edges
# it uses are red, labelled with ∂ and the amount added; the inputs whose gradients just changed
# are orange. It is the page `engine.write_stepper_html` writes, so it also works in this notebook
# exported to HTML. (Where scripts and iframes are removed, as on GitHub, on nbviewer or in an untrusted
# JupyterLab, it shows the graph with its final gradients and the table of the steps instead.)

# %%
stepper(o, params=example.params, annotate=example.annotate, height=560,
        title="micrograd's neuron: o = tanh(x1·w1 + x2·w2 + b)")

# %% [markdown]
# ## A gradient checked against finite differences
#
# Central differences (f(θ + h e_i) − f(θ − h e_i)) / 2h of o as a function of its five leaves,
# with h ≈ 6e-6 (`engine.numerical_gradient`), against the engine's exact gradients. The
# difference is the truncation and rounding error of the differences, about 1e-10, not an
# error of the engine.

# %%
def neuron_output(x1, x2, w1, w2, b):
    return (x1 * w1 + x2 * w2 + b).tanh()

leaves = [x1, x2, w1, w2, b]
approx = numerical_gradient(neuron_output, [v.data for v in leaves])
for v, a in zip(leaves, approx):
    print(f"d o / d {v.label:2}: engine {v.grad: .15f}   central differences {a: .15f}   difference {abs(v.grad - a):.1e}")
largest_difference = max(abs(v.grad - a) for v, a in zip(leaves, approx))

# %% [markdown]
# ## Summary
#
# The key numbers of this notebook (the tests compare them with the demo's).

# %% tags=["key-numbers"]
key_numbers = {"o": o.data, "n": n.data, "do/dn": n.grad, "do/dw1": w1.grad, "do/dx1": x1.grad,
               "do/dw2": w2.grad, "do/dx2": x2.grad, "do/db": b.grad,
               "largest finite-difference difference": largest_difference}
key_numbers
