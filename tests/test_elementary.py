"""sin, cos, sqrt, abs (issue 22 item 5): values, gradients and second derivatives against PyTorch
(float64) and closed forms, PyTorch's conventions at the edges (abs'(0) = 0, sqrt'(0) = inf), the
refusals (sqrt of a negative number, sin and cos of an infinity: DomainError), and eager, compiled
Python and numba bit for bit."""

import math

import numpy as np
import pytest

import engine
from engine import DomainError, Value

FUNCTIONS = {
    "sin": (lambda v: v.sin(), engine.sin, math.sin, math.cos, lambda x: -math.sin(x)),
    "cos": (lambda v: v.cos(), engine.cos, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)),
    "sqrt": (lambda v: v.sqrt(), engine.sqrt, math.sqrt, lambda x: 0.5 / math.sqrt(x) if x else math.inf,
             lambda x: -0.25 / (x * math.sqrt(x)) if x * math.sqrt(x) else -math.inf),
    "abs": (lambda v: abs(v), engine.abs, abs, lambda x: float((x > 0) - (x < 0)), lambda x: 0.0),
}
POINTS = {
    "sin": [0.0, -0.0, 0.3, -2.0, math.pi, 1e-300, 1e16, -7.5],
    "cos": [0.0, -0.0, 0.3, -2.0, math.pi / 2, 1e-300, 1e16, -7.5],
    "sqrt": [0.0, 0.3, 2.0, 1e-320, 1e300, 4.0],
    "abs": [0.0, -0.0, 0.3, -2.0, 1e-320, -1e300],
}


def _bits(x):
    return np.float64(x).view(np.int64)


def _same(u, v):
    return (u != u and v != v) or _bits(u) == _bits(v)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_value_gradient_and_second_derivative_against_closed_forms(name):
    method, function, value, first, second = FUNCTIONS[name]
    for x in POINTS[name]:
        a = Value(x)
        a.grad = None  # the pass's own gradient (PyTorch's zero_grad(set_to_none=True)), signed zeros kept
        out = method(a)
        assert _same(out.data, value(x)) and _same(function(x).data, out.data)
        out.backward()
        assert _same(a.grad, first(x)), (name, x, a.grad)
        if name == "sqrt" and x == 0.0:
            continue  # second derivative at the branch point: compared with PyTorch below
        h = engine.hessian(lambda v: method(v), [x])[0, 0]
        assert h == pytest.approx(second(x), rel=1e-14, abs=1e-300), (name, x)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_against_torch_including_the_edges(name):
    torch = pytest.importorskip("torch")
    method = FUNCTIONS[name][0]
    tfn = getattr(torch, name)
    for x in POINTS[name] + ([-3.0] if name != "sqrt" else []):
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (tg,) = torch.autograd.grad(tfn(t), t, create_graph=True)
        th = torch.autograd.grad(tg, t, allow_unused=True)[0] if tg.requires_grad else None
        th = 0.0 if th is None else th.item()
        a = Value(x)
        out = method(a)
        (g,) = engine.grad(out, [a], create_graph=True)
        (h,) = engine.grad(g, [a])
        assert _same(out.data, tfn(t).item()), (name, x)
        assert _same(g.data, tg.item()), (name, x, g.data, tg.item())
        if math.isfinite(th):
            assert h.data == pytest.approx(th, rel=1e-14, abs=1e-300), (name, x, h.data, th)
        else:
            assert _same(h.data, th) or (h.data != h.data and th != th), (name, x, h.data, th)


def test_abs_at_zero_is_zero_as_in_torch_and_sqrt_at_zero_is_inf():
    for z in (0.0, -0.0):
        a = Value(z)
        a.grad = None
        abs(a).backward()
        assert _same(a.grad, 0.0)  # +0.0 at -0.0 too, as torch
        b = Value(z)
        b.sqrt().backward()
        assert b.grad == math.copysign(math.inf, z)  # 0.5 / sqrt(-0.0) = -inf, as torch
    # |c| sqrt(c) at 0: the sqrt side is 0 (gradient) × inf (sqrt'(0)), NaN, as in PyTorch
    c = Value(0.0)
    (abs(c) * c.sqrt()).backward()
    assert math.isnan(c.grad)
    # and relu(c) ** 0.5 at c = -1: a local derivative exactly 0 passes no gradient, even inf
    d = Value(-1.0)
    (d.relu() ** 0.5).backward()
    assert d.grad == 0.0


@pytest.mark.parametrize("call, message", [
    (lambda: Value(-1.0).sqrt(), r"sqrt: no real value at -1\.0"),
    (lambda: engine.sqrt(-1e-300), r"sqrt: no real value at -1e-300"),
    (lambda: Value(-math.inf).sqrt(), r"sqrt: no real value at -inf"),
    (lambda: Value(math.inf).sin(), r"sin: no real value at inf"),
    (lambda: Value(-math.inf).sin(), r"sin: no real value at -inf"),
    (lambda: engine.cos(math.inf), r"cos: no real value at inf"),
])
def test_the_refusals_are_domain_errors(call, message):
    with pytest.raises(DomainError, match=message):
        call()


def test_nan_propagates_and_infinities_where_defined():
    assert math.isnan(Value(math.nan).sin().data) and math.isnan(Value(math.nan).sqrt().data)
    assert Value(math.inf).sqrt().data == math.inf and abs(Value(-math.inf)).data == math.inf
    assert math.copysign(1.0, Value(-0.0).sqrt().data) == -1.0  # IEEE's sqrt(-0) = -0, as torch


def _graph():
    xs = [Value(0.5, label=f"x{i}") for i in range(4)]
    out = xs[0].sin() * 1.5 + xs[1].cos() - xs[2].sqrt() * xs[3] + abs(xs[3])
    return out, xs


EDGE_ROWS = [[0.0, 0.0, 0.0, 0.0], [-0.0, -0.0, 1e-320, -0.0], [1e16, -7.5, 4.0, -2.0],
             [math.pi, math.pi / 2, 1e300, 1e-320], [math.nan, 0.3, 0.3, math.nan]]


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_eager_compiled_and_numba_agree_bit_for_bit(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    out, xs = _graph()
    cg = engine.compile(out, xs, [], input_grads=True, backend=backend)
    X = np.array(EDGE_ROWS)
    values, _, xgrads = cg.gradient_array(X)
    for row, value, grads in zip(EDGE_ROWS, values, xgrads):
        e, es = _graph()
        for v, x in zip(es, row):
            v.data = x
        e = es[0].sin() * 1.5 + es[1].cos() - es[2].sqrt() * es[3] + abs(es[3])
        for v in es:
            v.grad = None  # the pass's own gradient: what compiled code returns, signed zeros kept
        e.backward()
        got_value, _, got_grads = cg.gradient(row, [])
        assert _same(got_value, e.data) and _same(value, e.data), (row, got_value, e.data)
        for g_scalar, g_array, v in zip(got_grads, grads, es):
            assert _same(g_scalar, v.grad) and _same(g_array, v.grad), (row, g_scalar, g_array, v.grad)
    for bad, error in (([0.0, 0.0, -1.0, 0.0], r"sqrt: no real value at -1\.0"),
                       ([math.inf, 0.0, 1.0, 0.0], r"sin: no real value at inf"),
                       ([0.0, -math.inf, 1.0, 0.0], r"cos: no real value at -inf")):
        with pytest.raises(DomainError, match=error):
            cg.forward(bad, [])
        with pytest.raises(DomainError, match=error):
            cg.gradient_array(np.array([EDGE_ROWS[2], bad]))
