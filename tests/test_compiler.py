"""engine.compile: bit-for-bit equal to the eager engine, vectorised evaluation, safety."""

import math
import re
import struct

import numpy as np
import pytest

from engine import CompileError, Value, affine, compile
from randgraph import fresh_backward, random_graph


def bits(x):
    return struct.pack("<d", x)


def same_bits(xs, ys):
    return [bits(a) for a in xs] == [bits(b) for b in ys]


@pytest.mark.parametrize("seed", range(60))
def test_compiled_equals_eager_bit_for_bit(seed):
    out, leaves = random_graph(seed)
    inputs, params = leaves[:2], leaves[2:]
    fresh_backward(out, leaves)
    eager = (out.data, [v.grad for v in params], [v.grad for v in inputs])
    cg = compile(out, inputs, params, input_grads=True)
    x = [v.data for v in inputs]
    value, pgrads, xgrads = cg.gradient(x)
    assert bits(value) == bits(eager[0])
    assert same_bits(pgrads, eager[1]) and same_bits(xgrads, eager[2])
    assert bits(cg.forward(x)) == bits(eager[0])


@pytest.mark.parametrize("seed", range(10))
def test_compiled_at_new_points_equals_the_eager_graph_replayed_there(seed):
    rng = np.random.default_rng(seed)
    out, leaves = random_graph(seed)
    cg = compile(out, leaves[:1], leaves[1:], input_grads=True)
    for _ in range(3):
        values = [v.data + rng.uniform(-0.05, 0.05) for v in leaves]
        for v, x in zip(leaves, values):
            v.data = x
        _eager_forward(out)  # the recorded graph, re-evaluated at the new leaves
        fresh_backward(out, leaves)
        value, pgrads, xgrads = cg.gradient(values[:1], values[1:])
        assert bits(value) == bits(out.data)
        assert same_bits(pgrads, [v.grad for v in leaves[1:]])
        assert same_bits(xgrads, [leaves[0].grad])


def test_labels_never_reach_generated_code():
    evil = '"); import os; os.system("echo pwned"); ("'
    x = Value(0.5, label=evil)
    w = Value(2.0, label="w\n__import__('os').remove('x')")
    z = (w * x).sigmoid()
    z.label = "}{<>\\"
    cg = compile(z, [x], [w])
    assert evil not in cg.source and "import" not in cg.source and "os" not in cg.source.split()
    assert cg.forward([0.5]) == z.data
    listing = cg.listing()
    # labels are shown as comments for reading (newlines folded so they cannot end the comment)
    assert "# w __import__('os').remove('x')" in listing
    assert all(line.split("#", 1)[0].strip() == src_line.split("#", 1)[0].strip()
               for line, src_line in zip(listing.splitlines(), cg.source.splitlines()))


def test_bad_arguments():
    x, w = Value(1.0), Value(2.0)
    y = x * w
    with pytest.raises(CompileError, match="listed twice"):
        compile(y, [x], [x])
    with pytest.raises(TypeError, match="inputs\\[0\\] must be a Value"):
        compile(y, [1.0], [w])
    cg = compile(y, [x], [w])
    with pytest.raises(ValueError, match="expected 1 inputs, got 2"):
        cg.forward([1.0, 2.0])
    with pytest.raises(ValueError, match="expected an array of shape \\(n, 1\\)"):
        cg.forward_array(np.zeros((3, 2)))


def test_unlisted_leaves_are_frozen_constants_and_nonfinite_constants_work():
    x = Value(2.0)
    frozen = Value(3.0)
    y = x * frozen + Value(math.inf) * 0.0 + (-x) * (-1.5)
    cg = compile(y, [x], [])
    assert math.isnan(cg.forward([5.0]))  # inf * 0 is nan, honestly
    y2 = x * frozen - 1e300 * 10.0 ** 10  # inf via a float constant
    assert cg.forward([5.0]) != cg.forward([5.0])
    assert compile(y2, [x], []).forward([1.0]) == -math.inf


def test_vectorised_evaluation_equals_per_point():
    rng = np.random.default_rng(3)
    for seed in range(15):
        out, leaves = random_graph(seed)
        cg = compile(out, leaves[:2], leaves[2:], input_grads=True)
        X = rng.uniform(-1.0, 1.0, size=(7, 2)) + np.array([v.data for v in leaves[:2]])
        values = cg.forward_array(X)
        vals, pgrads, xgrads = cg.gradient_array(X)
        for i, row in enumerate(X):
            try:
                v, pg, xg = cg.gradient(list(row))
            except (ValueError, ZeroDivisionError):
                continue
            assert values[i] == pytest.approx(v, rel=1e-13, abs=1e-300)
            assert vals[i] == pytest.approx(v, rel=1e-13, abs=1e-300)
            assert pgrads[i] == pytest.approx(pg, rel=1e-12, abs=1e-13)
            assert xgrads[i] == pytest.approx(xg, rel=1e-12, abs=1e-13)


def _tiny_network():
    xs = [Value(0.0, label="x1"), Value(0.0, label="x2")]
    ys = [Value(0.0, label="y1"), Value(0.0, label="y2")]
    rng = np.random.default_rng(0)
    params = []
    a = xs
    for nin, nout in ((2, 2), (2, 3), (3, 2)):
        new = []
        for _j in range(nout):
            w = [Value(0.5 * rng.normal()) for _ in range(nin)]
            b = Value(0.5 * rng.normal())
            params += w + [b]
            new.append(affine(w, a, b).sigmoid())
        a = new
    d = [ai - yi for ai, yi in zip(a, ys)]
    cost = 0.5 * (d[0] * d[0] + d[1] * d[1])
    return cost, xs + ys, params


def test_fused_step_follows_the_eager_sgd_loop_for_1000_steps():
    X = [(0.1, 0.1), (0.3, 0.4), (0.1, 0.5), (0.6, 0.9), (0.4, 0.2),
         (0.6, 0.3), (0.5, 0.6), (0.9, 0.2), (0.4, 0.4), (0.7, 0.6)]
    Y = [(1.0, 0.0)] * 5 + [(0.0, 1.0)] * 5
    rows = [x + y for x, y in zip(X, Y)]
    cost, inputs, params = _tiny_network()
    cg = compile(cost, inputs, params)
    p_step = [v.data for v in params]
    p_run = list(p_step)
    ks = np.random.default_rng(1).integers(0, 10, 1000).tolist()
    eta = 0.05
    for k in ks:
        for v, x in zip(inputs, rows[k]):
            v.data = x
        c, _ = _eager_forward(cost)
        fresh_backward(cost, params + inputs)
        for p in params:
            p.data -= eta * p.grad
        assert bits(cg.sgd_step(rows[k], p_step, eta)) == bits(c)
    eager = [p.data for p in params]
    assert same_bits(p_step, eager)
    cg.sgd_run(rows, ks, p_run, eta)
    assert same_bits(p_run, eager)


@pytest.mark.parametrize("seed", range(40))
def test_fused_step_equals_the_eager_step_on_random_graphs(seed):
    # the fast fused step (IEEE products, gradients written into the update) against eager
    # backward() and p -= eta * grad, at zeros, signed zeros and numbers that overflow
    rng = np.random.default_rng(seed)
    out, leaves = random_graph(seed, n_leaves=4, n_ops=20)
    inputs, params = leaves[:1], leaves[1:]
    cg = compile(out, inputs, params)
    for _ in range(4):
        x = [float(rng.choice([0.0, -0.0, rng.uniform(-2, 2), 1e300]))]
        p = [float(rng.choice([0.0, -0.0, rng.uniform(-2, 2)])) for _ in params]
        for v, value in zip(leaves, x + p):
            v.data = value
        try:
            c, _ = _eager_forward(out)
            fresh_backward(out, leaves)
        except (ArithmeticError, ValueError):  # a domain error: the compiled step raises it too
            with pytest.raises((ArithmeticError, ValueError)):
                cg.sgd_step(tuple(x), list(p), 0.1)
            continue
        eager = [v.data - 0.1 * v.grad for v in params]
        p_step = list(p)
        assert bits(cg.sgd_step(tuple(x), p_step, 0.1)) == bits(c)
        assert same_bits(p_step, eager)


def _eager_forward(cost):
    """Recompute the recorded graph's values in place (the graph is reused with new leaf data)."""
    from engine import topological_order
    from engine.rules.chain import forward_expr
    from engine.runtimes import python as scalar
    for v in topological_order(cost):
        if v._a is not None:
            env = dict(scalar.NAMESPACE)
            args = []
            for i, u in enumerate(v.inputs):
                env[f"_u{i}"] = u.data
                args.append(f"_u{i}")
            v.data = eval(forward_expr(v._operation, args), env)
    return cost.data, None


def test_source_reads_like_back_propagation():
    cost, inputs, params = _tiny_network()
    cg = compile(cost, inputs, params)
    src = cg.source
    assert "def gradient(x, p):" in src and "_exp(-" in src  # sigmoid written out in place
    assert "sigmoid(" in cg.array_source  # NumPy code calls the array function
    # each parameter's gradient is assigned exactly once per step and used in the update
    for i in range(len(params)):
        assert re.search(rf"\bp{i} - eta \* g[pv][0-9]+\b", src)  # a bias reads its node's gradient
    assert "<CompiledGraph: 4 inputs, 23 parameters" in repr(cg)


def test_a_non_leaf_cannot_be_an_input_or_parameter():
    x, w = Value(2.0), Value(3.0)
    h = w * x
    with pytest.raises(CompileError, match="must be a leaf Value"):
        compile(h.tanh(), [h], [w])


def test_a_long_affine_compiles_in_chunks_with_the_same_bits():
    ws = [Value(1.0 + i * 1e-3) for i in range(5000)]
    xs = [Value(0.5 - i * 1e-4) for i in range(5000)]
    z = affine(ws, xs, 0.1).tanh()
    z.backward()
    value, grads = compile(z, xs, ws).gradient([x.data for x in xs])
    assert bits(value) == bits(z.data) and same_bits(grads, [w.grad for w in ws])
