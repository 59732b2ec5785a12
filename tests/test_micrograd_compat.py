"""Code written against micrograd runs unchanged: its names, its node-by-node backward pass, its
constructors and initialisation, attributes users attach, and PyTorch's gradient convention.

The patterns tested here are the ones the "Zero to Hero" lecture, micrograd's notebooks and its
users' scripts rely on (written afresh here); micrograd 0.1.0 and PyTorch, when installed, are
the references.
"""

import math
import random
import struct
import sys

import numpy as np
import pytest

from engine import OPS, Value, topological_order
from nn import MLP, Layer, Neuron
from benchmarks.micrograd_demo import demo_data, svm_training
from demos.backprop.examples import neuron
from randgraph import random_graph

SEEDS = range(40)


def bits(x):
    return struct.pack("<d", x)


# ------------------------------------------------------------------------- _op, _prev, _backward

def test_op_is_microgrds_string_and_the_table_row_stays_reachable():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    assert a._op == "" and (a * 2).inputs[1]._op == ""  # a leaf and a constant
    cases = {"+": a + b, "*": a * b, "tanh": a.tanh(), "exp": a.exp(), "ReLU": a.relu(),
             "**2": a ** 2, "**-1": a ** -1, "**0.5": a ** 0.5, "**2.5": a ** 2.5,
             "-": a - b, "/": a / b, "log": a.log(), "σ": a.sigmoid()}
    for symbol, v in cases.items():
        assert v._op == symbol
        assert isinstance(v._op, str) and str(id(v)) + v._op  # draw_dot's concatenation
        assert v.operation is OPS[v.op]  # the row of the operation table, under a public name
    assert a.operation is None


def test_prev_lists_the_inputs():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    assert set(c._prev) == {a, b} and len((a * a)._prev) == 2 and a._prev == ()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_node_by_node_walk_of_backward_gives_backwards_numbers(seed):
    manual, _ = random_graph(seed)
    order = topological_order(manual)
    manual.grad = 1.0  # what the lecture does by hand: seed the output, then _backward() each node
    for v in reversed(order):
        v._backward()
    automatic, _ = random_graph(seed)  # the same graph, built again
    automatic.backward()
    for m, a in zip(order, topological_order(automatic)):
        # a fresh node's grad is 0.0 and backward() starts interior sums from -0.0: the two
        # differ only in the sign of a zero, which 0.0 + x makes the same
        expected = a.grad if a.is_leaf or a is automatic else 0.0 + a.grad
        assert bits(m.grad) == bits(expected)


def test_backward_step_on_a_leaf_does_nothing_and_an_interior_step_adds():
    x, w = Value(0.5), Value(-2.0)
    x._backward()
    assert x.grad == 0.0
    y = x * w
    y.grad = 3.0
    y._backward()
    y._backward()  # adds again, exactly what calling it twice by hand does in micrograd
    assert x.grad == 2 * 3.0 * -2.0 and w.grad == 2 * 3.0 * 0.5


def _trace(root):
    """micrograd-style graph tracing: nodes and edges through ``_prev`` (iterative here)."""
    nodes, edges, stack = set(), set(), [root]
    while stack:
        v = stack.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                stack.append(child)
    return nodes, edges


def test_a_micrograd_style_drawing_renders():
    graphviz = pytest.importorskip("graphviz")
    o = neuron().root  # the lecture's neuron: o = tanh(x1 w1 + x2 w2 + b)
    o.backward()
    named = {v.label: v for v in topological_order(o)}
    x1, w1 = named["x1"], named["w1"]
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = _trace(o)
    for v in nodes:
        uid = str(id(v))
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (v.label, v.data, v.grad), shape="record")
        if v._op:
            dot.node(name=uid + v._op, label=v._op)
            dot.edge(uid + v._op, uid)
    for a, b_ in edges:
        dot.edge(str(id(a)), str(id(b_)) + b_._op)
    source = dot.source
    assert "tanh" in source and "grad 0.5000" in source and "data 0.7071" in source
    try:
        svg = dot.pipe().decode()
    except graphviz.ExecutableNotFound:
        pytest.skip("Graphviz's dot program is not installed")
    assert svg.count("class=\"node\"") == len(nodes) + sum(1 for v in nodes if v._op)
    assert math.isclose(x1.grad, -1.5, rel_tol=1e-12) and math.isclose(w1.grad, 1.0, rel_tol=1e-12)


# ------------------------------------------------------------------------- gradient convention

@pytest.mark.parametrize("seed", SEEDS)
def test_a_second_backward_doubles_every_leaf_grad_and_no_interior_grad(seed):
    out, leaves = random_graph(seed)
    out.backward()
    order = topological_order(out)
    first = {v: v.grad for v in order}
    out.backward()
    for v in order:
        if v.is_leaf:
            assert bits(v.grad) == bits(first[v] + first[v])
        else:
            assert bits(v.grad) == bits(first[v])


def _batch(w, b, xs):
    return [((w * x + b).tanh() - y) ** 2 for x, y in xs]


def test_a_batch_accumulated_by_several_backward_calls_equals_one_backward_of_the_sum():
    xs = [(0.3, 1.0), (-1.2, -0.5), (2.0, 0.25), (0.7, 0.0)]
    w, b = Value(0.8), Value(-0.1)
    for loss in _batch(w, b, xs):  # one backward() per sample, no zero_grad() between them
        loss.backward()
    accumulated = (w.grad, b.grad)
    w2, b2 = Value(0.8), Value(-0.1)
    sum(_batch(w2, b2, xs)).backward()
    assert accumulated == pytest.approx((w2.grad, b2.grad), rel=1e-15)
    # and the closed form: d/dw Σ (tanh(wx + b) − y)² = Σ 2 (t − y)(1 − t²) x
    t = [math.tanh(0.8 * x - 0.1) for x, _ in xs]
    dw = sum(2 * (ti - y) * (1 - ti * ti) * x for ti, (x, y) in zip(t, xs))
    db = sum(2 * (ti - y) * (1 - ti * ti) for ti, (_, y) in zip(t, xs))
    assert accumulated == pytest.approx((dw, db), rel=1e-13)


def test_the_convention_is_pytorchs():
    torch = pytest.importorskip("torch", reason="PyTorch is an optional reference (pip install torch)")
    xs = [(0.3, 1.0), (-1.2, -0.5), (2.0, 0.25)]
    w, b = Value(0.8), Value(-0.1)
    tw = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-0.1, dtype=torch.float64, requires_grad=True)
    for (x, y), loss in zip(xs, _batch(w, b, xs)):
        loss.backward()
        ((torch.tanh(tw * x + tb) - y) ** 2).backward()
        assert (w.grad, b.grad) == pytest.approx((tw.grad.item(), tb.grad.item()), rel=1e-14)
    loss = _batch(w, b, xs[:1])[0]
    loss.backward()  # twice through the same graph: leaves accumulate in both
    loss.backward()
    tloss = (torch.tanh(tw * xs[0][0] + tb) - xs[0][1]) ** 2
    tloss.backward(retain_graph=True)
    tloss.backward()
    assert (w.grad, b.grad) == pytest.approx((tw.grad.item(), tb.grad.item()), rel=1e-14)


# ------------------------------------------------------------------------- nn constructors

def test_micrograds_nonlin_forms():
    assert Neuron(2, nonlin=False).activation == "linear"
    assert Neuron(2, nonlin=True).activation == "relu"
    assert Neuron(2, True).activation == "relu" and Neuron(2, False).activation == "linear"
    assert Neuron(2).activation == "relu"
    layer = Layer(2, 3, nonlin=False)
    assert [n.activation for n in layer.neurons] == ["linear"] * 3
    assert Layer(2, 3, nonlin=True).activation == "relu"
    x = [Value(0.5), Value(-1.5)]
    n = Neuron(2, nonlin=False)
    z = n(x)
    assert z.data == pytest.approx(sum(w.data * xi.data for w, xi in zip(n.w, x)) + n.b.data)
    with pytest.raises(TypeError, match="not both"):
        Neuron(2, "tanh", nonlin=True)


def test_micrograd_defaults_relu_hidden_layers_and_a_linear_output():
    mlp = MLP(2, [4, 4, 1])
    assert [layer.activation for layer in mlp.layers] == ["relu", "relu", "linear"]


def test_with_no_rng_a_network_draws_pythons_random_in_micrograds_order():
    random.seed(1337)
    mlp = MLP(2, [16, 16, 1])
    random.seed(1337)
    expected = []
    for nin, nout in [(2, 16), (16, 16), (16, 1)]:
        for _ in range(nout):  # micrograd: each neuron draws its nin weights; biases are 0
            expected += [random.uniform(-1, 1) for _ in range(nin)] + [0.0]
    assert [bits(p.data) for p in mlp.parameters()] == [bits(x) for x in expected]
    a, b = MLP(2, [3, 1], rng=5), MLP(2, [3, 1], rng=5)  # explicit NumPy draws stay repeatable
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert any(n.b.data != 0.0 for n in a.layers[0].neurons)  # "uniform": biases drawn too


def test_micrograd_0_1_0_builds_the_same_network():
    micrograd_nn = pytest.importorskip("micrograd.nn", reason="micrograd 0.1.0 is an optional reference "
                                                               "(pip install micrograd==0.1.0)")
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [float(p.data) for p in theirs.parameters()] == [p.data for p in ours.parameters()]


def _moons(n, seed):
    pytest.importorskip("sklearn.datasets", reason="scikit-learn makes demo.ipynb's moons")
    return demo_data(n, seed)


def test_demo_notebooks_first_loss():
    X, y = _moons(100, 1337)
    losses, _ = svm_training(Value, MLP, X, y, 1)
    assert losses[0] == 0.8958441028683222  # printed by micrograd's demo.ipynb


@pytest.mark.slow
def test_demo_notebooks_training_agrees_with_micrograd_step_for_step():
    engine_mg = pytest.importorskip("micrograd.engine", reason="micrograd 0.1.0 is an optional reference "
                                                               "(pip install micrograd==0.1.0)")
    micrograd_nn = pytest.importorskip("micrograd.nn")
    X, y = _moons(100, 1337)
    # micrograd takes about 0.1 s a step even here: 8 of the 100 points for 25 steps (the whole
    # of demo.ipynb, 100 points and 100 steps, is benchmarks/micrograd_demo.py)
    X, y = X[:8], y[:8]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # micrograd's recursive sort
    ours, our_params = svm_training(Value, MLP, X, y, 25)
    theirs, their_params = svm_training(engine_mg.Value, micrograd_nn.MLP, X, y, 25)
    assert ours[0] == theirs[0]  # same weights, same operations in the same order: same bits
    # micrograd sums a node's gradient contributions in the order of its _prev sets (by object
    # address), so the last bits of a sum may differ from the first step on
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    np.testing.assert_allclose(our_params, their_params, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------- user attributes

def test_users_can_attach_attributes_to_values():
    v = Value(1.0)
    v._vis_color = "lightgreen"  # EurekaLabsAI/micrograd's visualisation
    v.m, v.v = 0.0, 0.0                     # its AdamW's moments
    v.m = 0.9 * v.m + 0.1 * 2.0
    assert v._vis_color == "lightgreen" and v.m == pytest.approx(0.2)
    w = v * 2
    assert not hasattr(w, "_vis_color") and (w * v).data == 2.0


@pytest.mark.parametrize("init, low, high", [("pytorch", -0.5, 0.5), ("uniform", -1.0, 1.0),
                                              ("micrograd", -1.0, 1.0)])
def test_every_init_keeps_its_distribution_when_drawn_from_pythons_random(init, low, high):
    random.seed(7)
    layer = Layer(4, 200, init=init)  # no rng: Python's random, as micrograd
    W, b = layer.W_array(), layer.b_array()
    assert W.min() >= low and W.max() <= high and W.max() - W.min() > 0.9 * (high - low)
    if init == "micrograd":
        assert not b.any()
    else:
        assert b.min() >= low and b.max() <= high and b.std() > 0
    random.seed(7)
    normal = Layer(4, 200, init="normal").W_array()
    assert abs(normal.std() - 0.5) < 0.05  # 0.5 N(0, 1), the paper's draw
