"""The chain rule at the edges of floating point (engine/rules/table.py's header states the rules):

* an exactly zero local derivative passes no gradient, even an infinite one (0, not 0 × inf = NaN);
* a quotient's partials are applied as g / b, not g × (1 / b), so a subnormal divisor does not
  overflow a gradient whose true value is finite.

Each case is checked in the eager engine, in compiled scalar and NumPy code, in the node-by-node
steps, in the gradient graph (engine.grad with create_graph=True) and against the true value.
"""

import math
import struct

import numpy as np
import pytest

import engine
from engine import Value, affine, backward_steps, grad
from engine.display.steps import final_grads

bits = lambda xs: [struct.pack("<d", float(x)) for x in xs]  # noqa: E731

# name -> (f of one Value, point, true derivative)
ZERO_LOCAL = {
    "relu off under a square root": (lambda x: x.relu() ** 0.5, -1.0, 0.0),
    "relu off under a fourth root, times 3": (lambda x: (x.relu() ** 0.25) * 3.0, -3.0, 0.0),
    "x ** 0 under a square root": (lambda x: (x ** 0 - 1.0) ** 0.5, 2.0, 0.0),
    "times zero under a square root": (lambda x: (x * 0.0) ** 0.5, 0.7, 0.0),
    "zero weight of an affine": (lambda x: affine([0.0, 1.0], [x, 0.0], 0.0) ** 0.5, 0.7, 0.0),
    # σ(1000) is exactly 1: σ' = σ(1 − σ) = 0 stops the infinite gradient of the square root at 0
    # (true value −σ'/(2√(1 − σ)) ≈ −e^−500 / 2, below any tolerance)
    "saturated sigmoid under a square root": (lambda x: (1.0 - x.sigmoid()) ** 0.5, 1000.0, 0.0),
    "relu on keeps the gradient": (lambda x: x.relu() ** 0.5, 4.0, 0.25),
}

SUBNORMAL = {
    "sigmoid(log x) at 1e-310": (lambda x: x.log().sigmoid(), 1e-310, 1.0),
    "(x / 1e-310) * 1e-300": (lambda x: (x / 1e-310) * 1e-300, 1.0, 1e10),
    "log x * 1e-300 at 1e-310": (lambda x: x.log() * 1e-300, 1e-310, 1e10),
    "(1 / b) * 1e-300, d/db at 1e-155": (lambda b: (1.0 / b) * 1e-300, 1e-155, -1e10),
    "(x / 3e-309) * 1e-300": (lambda x: (x / 3e-309) * 1e-300, 2.0, 1e-300 / 3e-309),
}

CASES = dict(ZERO_LOCAL, **SUBNORMAL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_compiled_steps_and_gradient_graph_agree_with_the_true_derivative(name):
    f, x0, true = CASES[name]
    x = Value(x0, label="x")
    out = f(x)
    x.grad = 0.0
    out.backward()
    assert math.isfinite(x.grad)
    assert x.grad == pytest.approx(true, rel=1e-12, abs=1e-200), name
    cg = engine.compile(out, [x], input_grads=True)
    _, _, (compiled,) = cg.gradient([x0])
    columns = cg.gradient_array(np.array([[x0], [x0]]))[2][:, 0]
    assert bits([compiled, *columns]) == bits([x.grad] * 3)
    assert bits([final_grads(out)[x]]) == bits([x.grad])  # the node-by-node tables
    (g,) = grad(out, [x], create_graph=True)
    assert bits([g.data]) == bits([x.grad])


def test_the_convention_is_pytorchs_for_relu():
    torch = pytest.importorskip("torch", reason="PyTorch not installed: comparison skipped")
    t = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    (torch.relu(t) ** 0.5).backward()
    v = Value(-1.0)
    (v.relu() ** 0.5).backward()
    assert v.grad == t.grad.item() == 0.0


def test_a_zero_local_derivative_also_stops_nan_but_a_nan_local_derivative_does_not():
    x = Value(-2.0)
    y = x.relu()
    y.grad = math.nan
    from engine.core.eager import BACKPROP
    x.grad = -0.0
    BACKPROP[engine.OPS[y.op]](y)  # a NaN arriving at relu off: nothing passes
    assert x.grad == 0.0
    a = Value(-1.0)
    out = a.relu() ** 0.5 + Value(2.0) ** a  # only the second term moves: d/da = 2**a log 2
    a.grad = 0.0
    out.backward()
    assert a.grad == pytest.approx(0.5 * math.log(2.0), rel=1e-15)


def test_the_steps_show_the_zero_contribution():
    x = Value(-1.0, label="x")
    out = x.relu() ** 0.5
    steps = list(backward_steps(out))
    relu_step = steps[-1]
    assert relu_step.node.op == "relu" and relu_step.grad == math.inf
    (c,) = relu_step.contributions
    assert c.local == 0.0 and c.amount == 0.0 and c.grad_after == 0.0


def test_a_quotients_local_derivative_is_still_shown_as_the_number_1_over_b():
    b = Value(4.0)
    a = Value(3.0)
    assert engine.local_derivatives(a / b) == (0.25, -0.1875)
    assert engine.local_derivatives(b.log()) == (0.25,)


@pytest.mark.parametrize("rows,order,start", [
    ([(1.0,), (-1.0,)], [0, 1, 0, 1, 1], 0.5),    # the second row switches the relu off under a root
    ([(-2.0,)], [0, 0, 0], 0.25),                  # every step does
    ([(1.0,), (2.0,)], [0, 1, 1, 0], 0.5),         # none does: the fast loop alone
    ([(1.0,)], [0, 0], math.nan),                  # a NaN from the start stays NaN
])
@pytest.mark.parametrize("backend", ["python", "numba"])
def test_sgd_run_equals_sgd_step_by_step_when_a_zero_derivative_meets_an_infinite_gradient(
        rows, order, start, backend):
    # both backends run sgd_run with IEEE products first and repeat the call exactly on a NaN
    if backend == "numba":
        pytest.importorskip("numba", reason='numba not installed: pip install numba')
    x, w = Value(1.0, label="x"), Value(0.5, label="w")
    out = (w * x).relu() ** 0.5 + w * 0.1
    cg = engine.compile(out, [x], [w], backend=backend)
    p_run, p_steps = [start], [start]
    value = cg.sgd_run(rows, order, p_run, 0.1)
    for k in order:
        last = cg.sgd_step(rows[k], p_steps, 0.1)
    assert bits(p_run + [value]) == bits(p_steps + [last])
    if math.isfinite(start):
        assert math.isfinite(p_run[0])
