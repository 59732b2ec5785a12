"""Second derivatives: gradients as graphs (engine.grad with create_graph=True), Hessians and
Hessian-vector products, against closed forms, finite differences of exact gradients and PyTorch's
double backward; the gradient graph against backward() and compiled code, bit for bit."""

import math
import struct

import numpy as np
import pytest

import engine
from engine import Value, affine, grad, hessian, hessian_of, hvp, topological_order
from randgraph import fresh_backward, random_graph

bits = lambda xs: [struct.pack("<d", float(x)) for x in xs]  # noqa: E731


def _sig(x):
    return 1.0 / (1.0 + math.exp(-x))


# name -> (f of one Value, points, closed-form second derivative)
SECOND = {
    "sigmoid": (lambda x: x.sigmoid(), [-3.0, -0.4, 0.0, 0.9, 6.0],
                lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x))),  # σ'' = σ'(1 − 2σ)
    "tanh": (lambda x: x.tanh(), [-2.0, 0.3, 1.7], lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    "exp": (lambda x: x.exp(), [-1.0, 0.5], math.exp),
    "log": (lambda x: x.log(), [0.3, 4.0], lambda x: -1 / x ** 2),
    "softplus": (lambda x: x.softplus(), [-5.0, 0.2, 3.0], lambda x: _sig(x) * (1 - _sig(x))),
    "relu": (lambda x: x.relu(), [-1.0, 0.0, 2.0], lambda x: 0.0),  # relu'' = 0, the stated convention
    "relu squared": (lambda x: x.relu() ** 2, [-1.0, 1.5], lambda x: 2.0 * (x > 0)),
    "powc": (lambda x: x ** 3, [-1.3, 0.7], lambda x: 6 * x),
    "sqrt": (lambda x: x ** 0.5, [0.4, 2.0], lambda x: -0.25 * x ** -1.5),
    "x ** 0": (lambda x: x ** 0, [-2.0, 0.0, 3.0], lambda x: 0.0),
    "rpow": (lambda x: 1.7 ** x, [-0.5, 1.2], lambda x: math.log(1.7) ** 2 * 1.7 ** x),
    "reciprocal": (lambda x: 2.0 / x, [-0.8, 1.5], lambda x: 4.0 / x ** 3),
    "neg": (lambda x: -(x * x), [0.6], lambda x: -2.0),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_derivatives_match_closed_forms(name):
    f, points, second = SECOND[name]
    for x0 in points:
        x = Value(x0)
        (g,) = grad(f(x), x, create_graph=True)
        (h,) = grad(g, x)
        assert h.data == pytest.approx(second(x0), rel=1e-13, abs=1e-15), (name, x0)
        assert hessian(f, [x0])[0, 0] == h.data


def test_mixed_partials_of_the_binary_operations():
    a0, b0 = 1.3, 0.7
    cases = {  # f, closed-form Hessian
        "mul": (lambda a, b: a * b, [[0, 1], [1, 0]]),
        "div": (lambda a, b: a / b, [[0, -1 / b0 ** 2], [-1 / b0 ** 2, 2 * a0 / b0 ** 3]]),
        "pow": (lambda a, b: a ** b, [[b0 * (b0 - 1) * a0 ** (b0 - 2),
                                       a0 ** (b0 - 1) * (1 + b0 * math.log(a0))],
                                      [a0 ** (b0 - 1) * (1 + b0 * math.log(a0)),
                                       a0 ** b0 * math.log(a0) ** 2]]),
        "affine": (lambda a, b: affine([a, b, 2.0], [b, b, a], a * 0.5), [[0, 1], [1, 2]]),  # ab + b² + 2.5a
    }
    for name, (f, expected) in cases.items():
        np.testing.assert_allclose(hessian(f, [a0, b0]), expected, rtol=1e-13, atol=1e-15, err_msg=name)


def test_the_gradient_graph_is_made_of_the_tables_operations():
    x = Value(0.5, label="x")
    w = Value(-1.2, label="w")
    y = (w * x).sigmoid()
    gx, gw = grad(y, [x, w], create_graph=True)
    ops = {v.op for v in topological_order(gx)}
    assert {"sigmoid", "mul", "sub", "times"} <= ops and ops <= set(engine.OPS) | {"", "const"}
    assert y in topological_order(gx)  # σ' is built from the sigmoid node itself
    (r,) = grad(x.relu(), x, create_graph=True)
    assert "step" in {v.op for v in topological_order(r)}


def test_grad_without_create_graph_gives_leaves_and_touches_no_grad():
    x = Value(2.0)
    x.grad = 7.0
    (g,) = grad(x * x * x, [x])
    assert g.is_leaf and g.data == 12.0 and x.grad == 7.0
    (z,) = grad(x * 2.0, [Value(1.0)])  # a Value the output does not depend on: 0
    assert z.data == 0.0


def _replay(out, leaves):
    """The recorded graph as a function of new leaf Values (the structure, not the branches, of
    the generator)."""
    order = topological_order(out)

    def f(*xs):
        nodes = dict(zip(leaves, xs))
        for v in order:
            if v in nodes:
                continue
            if v._a is None:
                nodes[v] = Value(v.data)
                continue
            ins = [nodes[u] for u in v.inputs]
            name = v.op
            if name == "affine":
                nodes[v] = affine(ins[1::2], ins[2::2], ins[0])
            elif name == "powc":
                nodes[v] = ins[0] ** v.inputs[1].data
            elif name == "neg":
                nodes[v] = -ins[0]
            elif len(ins) == 1:
                nodes[v] = getattr(ins[0], name)()
            else:
                a, b = ins
                nodes[v] = {"add": a.__add__, "sub": a.__sub__, "mul": a.__mul__, "div": a.__truediv__,
                            "pow": a._pow_value, "max": a.max}[name](b)
        return nodes[out]
    return f


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_graph_equals_backward_bit_for_bit(seed):
    out, leaves = random_graph(seed)
    fresh_backward(out, leaves)  # leaves from -0.0: this pass's gradient alone, as grad() gives it
    grads = grad(out, leaves, create_graph=True)
    assert bits(g.data for g in grads) == bits(v.grad for v in leaves)


@pytest.mark.parametrize("seed", SEEDS[:20])
def test_hessian_equals_finite_differences_of_exact_gradients(seed):
    out, leaves = random_graph(seed)
    point = [v.data for v in leaves]
    H = hessian(_replay(out, leaves), point)
    n = len(point)
    for j in range(n):
        h = 6e-6 * max(1.0, abs(point[j]))
        rows = []
        for sign in (1, -1):
            p = list(point)
            p[j] += sign * h
            xs = [Value(x) for x in p]
            rows.append([g.data for g in grad(_replay(out, leaves)(*xs), xs)])
        column = (np.array(rows[0]) - np.array(rows[1])) / (2 * h)
        np.testing.assert_allclose(H[:, j], column, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(H).max()))
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-13)


def test_hvp_equals_hessian_times_vector():
    f = lambda a, b, c: (a * b).sigmoid() * c.tanh() + (a / c) ** 2 + affine([a, b], [c, c], b).softplus()  # noqa: E731
    point, v = [0.3, -0.8, 1.4], [1.0, -2.0, 0.5]
    value, Hv = hvp(f, point, v)
    np.testing.assert_allclose(Hv, hessian(f, point) @ np.array(v), rtol=1e-13, atol=1e-14)
    assert value == f(*[Value(x) for x in point]).data
    with pytest.raises(ValueError, match="2 numbers for a point of 3"):
        hvp(f, point, [1.0, 2.0])


def _all_ops(x1, x2, x3):
    """A function over every operation of the table (step and times arrive in its gradient)."""
    u = affine([x1, x2], [x3, 0.5], x2 * 0.25).sigmoid()
    v = (x2 - x3).tanh() * x1.exp() / (x3 * x3 + 1.0)
    w = ((x1 + 2.0).log() + (-x2).relu() ** 2 + x3.softplus()) ** 1.5
    return u * v + w + (x3.sigmoid() + 0.5) ** x1


def test_compiled_gradient_graph_equals_eager_bit_for_bit_at_new_points():
    xs = [Value(0.4, label="x1"), Value(-0.3, label="x2"), Value(1.1, label="x3")]
    grads = grad(_all_ops(*xs), xs, create_graph=True)
    compiled = [engine.compile(g, xs, input_grads=True) for g in grads]  # recorded at one point
    points = [[0.4, -0.3, 1.1], [-0.2, 0.6, -0.9], [1.3, -1.1, 0.2]]
    for point in points:
        ys = [Value(x) for x in point]
        eager = grad(_all_ops(*ys), ys, create_graph=True)  # rebuilt at each point
        H = hessian_of(_all_ops(*ys), ys)
        for i, cg in enumerate(compiled):
            value, _, row = cg.gradient(point)
            assert bits([value]) == bits([eager[i].data])
            assert bits(row) == bits(H[i])
    # NumPy columns: all points in one call (NumPy's exp and tanh differ from math's in the last
    # bit for some arguments, so the array code agrees to rounding, not bit for bit)
    for i, cg in enumerate(compiled):
        expected = []
        for p in points:
            vs = [Value(x) for x in p]
            expected.append(grad(_all_ops(*vs), vs)[i].data)
        np.testing.assert_allclose(cg.forward_array(np.array(points)), expected, rtol=1e-14, atol=1e-15)


def test_second_order_gradient_graph_compiles_and_draws():
    x = Value(0.7, label="x")
    (g,) = grad(x.relu() * x.sigmoid(), x, create_graph=True)
    (h,) = grad(g, x, create_graph=True)
    (t,) = grad(h, x, create_graph=True)  # a third derivative: σ''' (relu''' = 0)
    s = _sig(0.7)
    d1 = s * (1 - s)
    d2 = d1 * (1 - 2 * s)
    d3 = d2 * (1 - 2 * s) - 2 * d1 * d1
    # (x σ)''' = 3σ'' + x σ'''
    assert t.data == pytest.approx(3 * d2 + 0.7 * d3, rel=1e-12)
    cg = engine.compile(t, [x])
    assert bits([cg.forward([0.7])]) == bits([t.data])
    assert cg.forward([-0.5]) == 0.0  # relu off: the step node is recomputed, not frozen
    drawing = engine.draw_graph(g)
    assert "step" in drawing.source and "×" in drawing.source


@pytest.fixture
def torch():
    """PyTorch, for the double-backward cross-checks only (the tests above need no PyTorch)."""
    return pytest.importorskip("torch", reason="PyTorch not installed: double-backward cross-checks skipped")


def _torch_function(torch, out, leaves):
    def f(*ts):
        t = dict(zip(leaves, ts))
        for v in topological_order(out):
            if v in t:
                continue
            if v._a is None:
                t[v] = torch.tensor(v.data, dtype=torch.float64)
                continue
            ins = [t[u] for u in v.inputs]
            name = v.op
            if name == "affine":
                r = ins[0]
                for w, x in zip(ins[1::2], ins[2::2]):
                    r = r + w * x
            elif name == "powc":
                r = ins[0] ** v.inputs[1].data
            elif name == "softplus":
                r = torch.logaddexp(ins[0], torch.zeros((), dtype=torch.float64))  # no threshold
            elif name == "neg":
                r = -ins[0]
            elif len(ins) == 1:
                r = getattr(torch, name)(ins[0])
            else:
                r = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
                     "pow": torch.pow, "max": torch.maximum}[name](*ins)
            t[v] = r
        return t[out]
    return f


@pytest.mark.parametrize("seed", range(60))
def test_hessian_equals_pytorch_double_backward(seed, torch):
    out, leaves = random_graph(seed, n_leaves=4, n_ops=14)
    point = [v.data for v in leaves]
    H = hessian(_replay(out, leaves), point)
    inputs = tuple(torch.tensor(x, dtype=torch.float64) for x in point)
    T = torch.autograd.functional.hessian(_torch_function(torch, out, leaves), inputs)
    T = np.array([[float(T[i][j]) for j in range(len(point))] for i in range(len(point))])
    np.testing.assert_allclose(H, T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(T).max()))


def test_hessian_of_relu_networks_against_pytorch(torch):
    # relu'' = 0 is PyTorch's convention too: the Hessian of relu(w x + b) ** 3 matches
    f = lambda w, b, x: (w * x + b).relu() ** 3 + (w - b).relu() * x  # noqa: E731
    for point in ([0.5, 0.2, 1.3], [-0.5, 0.2, 1.3], [0.5, -0.9, 0.4]):
        H = hessian(f, point)
        T = torch.autograd.functional.hessian(
            lambda w, b, x: torch.relu(w * x + b) ** 3 + torch.relu(w - b) * x,
            tuple(torch.tensor(p, dtype=torch.float64) for p in point))
        np.testing.assert_allclose(H, [[float(T[i][j]) for j in range(3)] for i in range(3)], rtol=1e-13)


def test_bad_input_is_named():
    x = Value(1.0)
    with pytest.raises(TypeError, match="the output must be a Value, got float"):
        grad(1.0, [x])
    with pytest.raises(TypeError, match=r"wrt\[1\] must be a Value, got int"):
        grad(x * x, [x, 3])
    with pytest.raises(TypeError, match="wrt must be a Value or a sequence of Values, got float"):
        grad(x * x, 2.5)
    with pytest.raises(TypeError, match="the function must return a Value, got float"):
        hessian(lambda a: 1.0, [0.5])
    with pytest.raises(TypeError, match="the point must be a sequence of numbers"):
        hessian(lambda a: a * a, 0.5)
