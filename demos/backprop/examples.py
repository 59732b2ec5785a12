"""The four graphs of the back-propagation demo, each with the notes its table prints.

* ``neuron``: micrograd's single 2-input neuron o = tanh(x1 w1 + x2 w2 + b), built from separate
  products and sums as in micrograd's lecture, so every chain-rule product is its own step.
* ``higham``: one sample through Higham & Higham's 2-2-3-2 sigmoid network with its cost
  C = ½‖y − a[4]‖² (eq. 5.1), labelled W[l], b[l], z[l], a[l]. Beside each z[l]_j the table puts
  δ[l]_j of Lemma 5.1, computed independently with NumPy from (5.5)–(5.6).
* ``neuron-gradient``: the gradient of that neuron as a graph of its own (``engine.grad`` with
  ``create_graph=True``): ∂o/∂w1 = x1 (1 − o²) built from the operation table's partials over the
  neuron's own nodes, drawn beside the neuron: back propagation is itself a computation. Its table
  is the backward pass *of the gradient*: second derivatives ∂²o/∂w1∂(each leaf).
* ``xor``: Goodfellow et al.'s XOR network (§6.1) at its exact solution, the mean squared error over
  the four points: cost 0 and every gradient 0, a global minimum.
"""

from dataclasses import dataclass, field

import numpy as np

from engine import Value, grad, topological_order

EXAMPLES = ("neuron", "neuron-gradient", "higham", "xor")


@dataclass
class Example:
    name: str
    title: str
    root: Value
    params: object = None        # explicit parameter set for the drawing (None: nn's W[/b[ labels)
    annotate: object = None      # node -> note for the table, or None
    mlp: object = None           # the network, for the network diagram
    summary: list = field(default_factory=list)  # lines printed after the table
    rankdir: str = "LR"
    beside: object = None        # another Example drawn to the left of this one (neuron-gradient)


def neuron():
    """micrograd's neuron (its README and lecture): n = x1 w1 + x2 w2 + b, o = tanh(n)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")  # chosen by micrograd so that n ≈ 0.8814, o ≈ 1/√2
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"

    def annotate(node):
        if node is o:
            return f"do/dn = 1 − o² = {1 - o.data ** 2:.6g} (closed form)"
        return None

    return Example("neuron", "micrograd's neuron: o = tanh(x1·w1 + x2·w2 + b)", o, params={w1, w2, b},
                   annotate=annotate,
                   summary=[f"closed forms: do/dw1 = x1 (1 − o²) = {x1.data * (1 - o.data ** 2):.6g}, "
                            f"do/dx1 = w1 (1 − o²) = {w1.data * (1 - o.data ** 2):.6g}"])


def neuron_gradient():
    """∂o/∂w1 of micrograd's neuron as a graph (engine.grad, create_graph=True), beside the neuron."""
    forward = neuron()
    o = forward.root
    leaves = {v.label: v for v in topological_order(o) if v.is_leaf}
    x1, w1 = leaves["x1"], leaves["w1"]
    (g,) = grad(o, [w1], create_graph=True)
    g.label = "∂o/∂w1"
    for v in topological_order(g):  # name the gradient nodes by what they hold
        if v.op == "sub" and v.inputs[1].inputs == (o, o):  # tanh's partial 1.0 - out * out
            v.label = "1 − o²"
    closed = x1.data * (1 - o.data ** 2)
    # backward()'s own number, from zero grads, and the grads cleared again so that nothing of this
    # pass leaks into the drawings and tables made later
    nodes = topological_order(o)
    for v in nodes:
        v.grad = 0.0
    o.backward()
    by_backward = w1.grad
    for v in nodes:
        v.grad = 0.0
    return Example("neuron-gradient", "the gradient ∂o/∂w1 = x1 (1 − o²) of the neuron, as a graph", g,
                   params=forward.params, beside=forward,
                   summary=[f"∂o/∂w1: graph {g.data:.6g}, backward() {by_backward:.6g}, closed form "
                            f"x1 (1 − o²) = {closed:.6g}"
                            + (" (the three agree)" if g.data == by_backward and abs(g.data - closed)
                               <= 1e-12 * max(1.0, abs(closed)) else " (they DISAGREE)"),
                            "the table above is back propagation through the gradient graph: its leaf "
                            "gradients are the second derivatives ∂²o/∂w1∂(leaf), e.g. ∂²o/∂w1² = "
                            f"−2 x1² o (1 − o²) = {-2 * x1.data ** 2 * o.data * (1 - o.data ** 2):.6g}"])


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lemma_5_1_deltas(arrays, x, y):
    """δ[l] = ∂C/∂z[l] for C = ½‖y − a[L]‖², by NumPy from Higham & Higham (5.5)–(5.6):
    δ[L] = σ'(z[L]) ∘ (a[L] − y),  δ[l] = σ'(z[l]) ∘ (W[l+1])ᵀ δ[l+1],  σ' = σ(1 − σ).
    ``arrays`` = {"W[2]": ..., "b[2]": ...}; returns {l: δ[l]}."""
    L = max(int(k[2:-1]) for k in arrays if k.startswith("W["))
    a = np.asarray(x, dtype=float)
    z = {}
    acts = {}
    for l in range(2, L + 1):
        z[l] = arrays[f"W[{l}]"] @ a + arrays[f"b[{l}]"]
        a = acts[l] = _sigmoid(z[l])
    delta = {L: acts[L] * (1 - acts[L]) * (acts[L] - np.asarray(y, dtype=float))}
    for l in range(L - 1, 1, -1):
        delta[l] = acts[l] * (1 - acts[l]) * (arrays[f"W[{l + 1}]"].T @ delta[l + 1])
    return delta


def higham(sample=1, seed=5000):
    """Sample ``sample`` (1-based) of the paper's data through the 2-2-3-2 network, cost C."""
    from nn import MLP
    from nn.data import higham_data
    from nn.losses import half_squared_error

    X, Y = higham_data()
    x, y = X[sample - 1].tolist(), Y[sample - 1].tolist()
    # 0.5·N(0,1) weights as in netbp.m, from a seeded NumPy generator (MATLAB's rng(5000) stream
    # cannot be reproduced in NumPy)
    mlp = MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=seed)
    cost = half_squared_error(mlp(x), y)
    cost.label = "C"
    deltas = lemma_5_1_deltas(mlp.arrays(), x, y)

    # the engine's d C / d z[l]_j, found by label, against Lemma 5.1's δ[l]_j
    grads = _grads_by_label(cost)
    worst = 0.0
    for l, d in deltas.items():
        for j, dj in enumerate(d, 1):
            worst = max(worst, abs(grads[f"z[{l}]_{j}"] - dj))

    z_nodes = {v for v in topological_order(cost) if v.op == "affine"}

    def annotate(node):
        label = node.label
        if node in z_nodes and isinstance(label, str) and label.startswith("z["):
            l, j = int(label[2:label.index("]")]), int(label[label.index("_") + 1:])
            eq = "5.5" if l == max(deltas) else "5.6"
            d = deltas[l][j - 1]
            agrees = abs(grads[label] - d) <= 1e-12 * max(1.0, abs(d))
            return f"δ[{l}]_{j} = {d:.6g} (NumPy, eq. {eq}){' = grad ✓' if agrees else ' ≠ grad ✗'}"
        return None

    title = (f"Higham & Higham's 2-2-3-2 network, sample {sample}: x = ({x[0]:g}, {x[1]:g}), "
             f"y = ({y[0]:g}, {y[1]:g}), C = ½‖y − a[4]‖²")
    return Example("higham", title, cost, annotate=annotate, mlp=mlp, summary=[
        "Lemma 5.1: the gradient the engine holds at each z[l]_j is δ[l]_j = ∂C/∂z[l]_j; "
        f"largest difference from the NumPy δ of (5.5)–(5.6): {worst:.3g}",
        "and (5.7)–(5.8): ∂C/∂b[l]_j = δ[l]_j, ∂C/∂W[l][j,k] = δ[l]_j a[l−1]_k (the leaves' table)."])


def _grads_by_label(root):
    """{label: grad} after root.backward(), for the uniquely labelled nodes of one sample's graph."""
    root.backward()
    return {v.label: v.grad for v in topological_order(root) if v.label is not None}


def xor():
    """f(x) = wᵀ max{0, Wᵀx + c} + b at W = [[1, 1], [1, 1]], c = (0, −1), w = (1, −2), b = 0 and
    the mean squared error over the four points of XOR (Goodfellow et al., eqs. 6.3–6.6)."""
    from nn import MLP
    from nn.data import xor_data
    from nn.losses import mse

    X, y = xor_data()
    mlp = MLP(2, [2, 1], activation="relu", output_activation="linear")
    # the paper's W[2] is the book's Wᵀ (rows = neurons); here W is symmetric anyway
    mlp.set_arrays({"W[2]": np.array([[1.0, 1.0], [1.0, 1.0]]), "b[2]": np.array([0.0, -1.0]),
                    "W[3]": np.array([[1.0, -2.0]]), "b[3]": np.array([0.0])})
    outputs = []
    for i, xi in enumerate(X, 1):
        out = mlp(xi.tolist())
        for v in topological_order(out):  # tell the four samples' nodes apart: z[2]_1^(3) ...
            if v.label is not None and not v.label.startswith(("W[", "b[")) and "^(" not in v.label:
                v.label = f"{v.label}^({i})"
        outputs.append(out)
    cost = mse(outputs, y.tolist())
    cost.label = "MSE"
    fx = [o.data for o in outputs]
    outputs_set = set(outputs)

    def annotate(node):
        if node in outputs_set:
            i = next(k for k, o in enumerate(outputs) if o is node)
            return f"f(x) = {node.data:g}, target {y[i]:g}: residual 0"
        return None

    return Example("xor", "XOR at the exact solution (Goodfellow et al. §6.1): MSE over the four points",
                   cost, annotate=annotate, mlp=mlp, summary=[
                       f"f(X) = {fx} = targets {y.tolist()}: cost {cost.data:g}, a global minimum, "
                       "where every gradient is 0 (relu'(0) is taken as 0, as in PyTorch)."])


def build(name):
    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name!r}: choose one of {', '.join(EXAMPLES)}")
    return {"neuron": neuron, "neuron-gradient": neuron_gradient, "higham": higham, "xor": xor}[name]()
