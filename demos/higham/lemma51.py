"""Lemma 5.1 of Higham & Higham: back propagation as four equations, in NumPy, beside the engine.

For one sample x with target y, z[l] = W[l] a[l−1] + b[l] (5.2), a[l] = σ(z[l]) (5.3), a[1] = x,
C = ½‖y − a[L]‖² (5.1) and δ[l] = ∂C/∂z[l]:

    (5.5)  δ[L] = σ'(z[L]) ∘ (a[L] − y)
    (5.6)  δ[l] = σ'(z[l]) ∘ (W[l+1])ᵀ δ[l+1]        for 2 ≤ l ≤ L − 1
    (5.7)  ∂C/∂b[l]_j  = δ[l]_j
    (5.8)  ∂C/∂w[l]_jk = δ[l]_j a[l−1]_k

with σ'(z) = σ(z)(1 − σ(z)). The first three functions below are these formulas and nothing else
(NumPy only); ``check`` runs the engine on the same sample and lines its gradients up against them.
The engine knows nothing of δ: it applies the chain rule node by node, and the gradient it leaves
on the node labelled z[l]_j is ∂C/∂z[l]_j, which the lemma says is δ[l]_j.
"""

from dataclasses import dataclass

import numpy as np


def _sigma(z):
    with np.errstate(over="ignore"):  # e^-z = inf for z < -709 gives σ = 0 exactly: the limit
        return 1.0 / (1.0 + np.exp(-z))


def _layers(arrays):
    return sorted(int(key[2:-1]) for key in arrays if key.startswith("W["))


def forward(arrays, x):
    """(z, a): dicts layer → vector, z[l] = W[l] a[l−1] + b[l] (5.2), a[l] = σ(z[l]) (5.3), a[1] = x.
    ``arrays``: {"W[2]": ..., "b[2]": ..., ...} as ``nn.MLP.arrays()`` returns."""
    a = {1: np.asarray(x, dtype=float)}
    z = {}
    for l in _layers(arrays):
        z[l] = arrays[f"W[{l}]"] @ a[l - 1] + arrays[f"b[{l}]"]   # (5.2)
        a[l] = _sigma(z[l])                                       # (5.3)
    return z, a


def deltas(arrays, x, y):
    """δ[l] for l = L, L−1, ..., 2 by (5.5) and (5.6); returns (delta, z, a)."""
    z, a = forward(arrays, x)
    layers = _layers(arrays)
    L = layers[-1]
    sigma_prime = {l: a[l] * (1.0 - a[l]) for l in layers}        # σ'(z) = σ(z)(1 − σ(z))
    delta = {L: sigma_prime[L] * (a[L] - np.asarray(y, dtype=float))}               # (5.5)
    for l in reversed(layers[:-1]):
        delta[l] = sigma_prime[l] * (arrays[f"W[{l + 1}]"].T @ delta[l + 1])         # (5.6)
    return delta, z, a


def parameter_gradients(arrays, x, y):
    """{"W[l]": ∂C/∂W[l], "b[l]": ∂C/∂b[l]} by (5.7) and (5.8)."""
    delta, _, a = deltas(arrays, x, y)
    grads = {}
    for l in delta:
        grads[f"b[{l}]"] = delta[l]                        # (5.7)
        grads[f"W[{l}]"] = np.outer(delta[l], a[l - 1])    # (5.8)
    return grads


# ---------------------------------------------------------------------------- against the engine

@dataclass
class Row:
    name: str        # "z[3]_2" or "W[4][1,3]" ...
    equation: str    # "(5.5)" ...
    lemma: float     # the lemma's value, NumPy
    engine: float    # the gradient the engine left on the node

    @property
    def difference(self):
        return abs(self.lemma - self.engine)


@dataclass
class Check:
    x: tuple
    y: tuple
    cost: float
    deltas: list      # Rows for the z[l]_j nodes
    parameters: list  # Rows for W[l][j,k] and b[l][j]

    @property
    def largest_difference(self):
        return max(r.difference for r in self.deltas + self.parameters)

    @property
    def largest_relative_difference(self):
        """max |lemma − engine| / |lemma| over the nonzero entries: agreement in units of the size."""
        return max((r.difference / abs(r.lemma) for r in self.deltas + self.parameters if r.lemma != 0.0),
                   default=0.0)


def check(mlp, x, y):
    """Run ``mlp`` eagerly on one sample, ``backward()`` from C = ½‖y − a[L]‖², and compare the
    grads on the z[l]_j nodes with δ[l]_j (5.5–5.6) and the parameter grads with (5.7–5.8)."""
    from engine import topological_order
    from nn.losses import half_squared_error

    cost = half_squared_error(mlp([float(v) for v in x]), [float(v) for v in y])
    mlp.zero_grad()  # backward() adds into the parameters' grads
    cost.backward()
    z_nodes = {v.label: v for v in topological_order(cost) if v.label and v.label.startswith("z[")}

    arrays = mlp.arrays()
    delta, _, _ = deltas(arrays, x, y)
    L = max(delta)
    delta_rows = []
    for l in sorted(delta, reverse=True):
        for j, d in enumerate(delta[l], 1):
            delta_rows.append(Row(f"z[{l}]_{j}", "(5.5)" if l == L else "(5.6)", float(d),
                                  z_nodes[f"z[{l}]_{j}"].grad))
    grads = parameter_gradients(arrays, x, y)
    param_rows = []
    for name, v in mlp.named_parameters():   # "W[l][j,k]" or "b[l][j]", 1-based
        matrix, index = name[:name.index("]") + 1], name[name.index("]") + 2:-1]
        position = tuple(int(i) - 1 for i in index.split(","))
        param_rows.append(Row(name, "(5.8)" if name[0] == "W" else "(5.7)",
                              float(grads[matrix][position]), v.grad))
    return Check(tuple(map(float, x)), tuple(map(float, y)), cost.data, delta_rows, param_rows)
