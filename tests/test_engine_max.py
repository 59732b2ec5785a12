"""The ``max`` operation: its tie convention (the gradient goes to the first argument, as PyTorch's
max_pool2d credits the first maximum of a window), NaN, signed zeros, compiled code and PyTorch."""

import math
import struct

import numpy as np
import pytest

import engine
from engine import OPS, Value
from engine import max as vmax
from randgraph import fresh_backward


def bits(x):
    return struct.pack("<d", x)


def test_max_is_one_row_of_the_table_and_compiles():
    op = OPS["max"]
    assert op.inputs == ("a", "b") and op.partials == ("ge(a, b)", "1.0 - ge(a, b)")
    a, b = Value(1.0), Value(2.0)
    out = vmax(a, b)
    assert out.op == "max" and out.inputs == (a, b)
    cg = engine.compile(out * a, [a, b], input_grads=True)
    for x in ([1.0, 2.0], [3.0, -1.0], [2.0, 2.0]):  # the graph recorded at a < b serves all
        value, _, grads = cg.gradient(x)
        assert value == max(x) * x[0]
        assert grads == ((max(x) + x[0] if x[0] >= x[1] else max(x)), (0.0 if x[0] >= x[1] else x[0]))


def test_at_a_tie_the_whole_gradient_goes_to_the_first_argument():
    a, b = Value(2.0), Value(2.0)
    vmax(a, b).backward()
    assert (a.grad, b.grad) == (1.0, 0.0)
    a, b = Value(2.0), Value(2.0)
    vmax(b, a).backward()
    assert (a.grad, b.grad) == (0.0, 1.0)
    # a chain over a window: the first of the equal maxima in argument order gets it
    xs = [Value(v) for v in (1.0, 3.0, 0.5, 3.0)]
    vmax(*xs).backward()
    assert [x.grad for x in xs] == [0.0, 1.0, 0.0, 0.0]
    # the same node twice: 1 in all, as max(a, a) = a
    a = Value(-0.7)
    vmax(a, a).backward()
    assert a.grad == 1.0


def test_numbers_nan_and_signed_zeros():
    v = Value(1.5)
    assert vmax(v, 3).data == 3.0 and vmax(3, v).data == 3.0 and v.max(-1).data == 1.5
    assert vmax(2.0, 1.0).op == "max"  # plain numbers become constant leaves
    assert math.isnan(vmax(Value(1.0), math.nan).data) and math.isnan(vmax(math.nan, 1.0).data)
    assert bits(vmax(0.0, -0.0).data) == bits(0.0) and bits(vmax(-0.0, 0.0).data) == bits(-0.0)
    with pytest.raises(TypeError, match="unsupported operand"):
        v.max("2")


def test_numpy_version_makes_the_same_choices():
    from engine.runtimes import numpy as arrays, python as scalar
    ARRAY, SCALAR = arrays.FUNCTIONS, scalar.FUNCTIONS
    a = np.array([1.0, 2.0, 2.0, 0.0, -0.0, np.nan, 1.0, -3.0])
    b = np.array([2.0, 1.0, 2.0, -0.0, 0.0, 1.0, np.nan, -3.0])
    m, d = ARRAY["maximum"](a, b), ARRAY["ge"](a, b)
    for i in range(len(a)):
        assert bits(m[i]) == bits(SCALAR["maximum"](a[i], b[i])), i
        assert d[i] == SCALAR["ge"](a[i], b[i]), i


def test_compiled_max_equals_eager_bit_for_bit_also_vectorised():
    rng = np.random.default_rng(3)
    x = [Value(float(v)) for v in rng.normal(size=6)]
    out = (vmax(x[0] * x[1], x[2], x[3].tanh()) - vmax(x[4], 0.25) * x[5]).exp()
    fresh_backward(out, x)  # leaves from -0.0: this pass's gradient alone, as compiled code gives it
    cg = engine.compile(out, x, input_grads=True)
    value, _, grads = cg.gradient([v.data for v in x])
    assert [bits(g) for g in (value, *grads)] == [bits(g) for g in (out.data, *(v.grad for v in x))]
    values, _, grad_rows = cg.gradient_array(np.array([[v.data for v in x]] * 3))
    assert np.all(values == out.data) and np.all(grad_rows == [v.grad for v in x])


def test_max_against_pytorch_max_pool_convention():
    torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-check against it skipped")
    window = [2.0, 5.0, 5.0, -1.0]  # a 2 x 2 window with a tie
    xs = [Value(v) for v in window]
    vmax(*xs).backward()
    t = torch.tensor(window, dtype=torch.float64).reshape(1, 1, 2, 2).requires_grad_()
    torch.nn.functional.max_pool2d(t, 2).sum().backward()
    assert [x.grad for x in xs] == t.grad.flatten().tolist()


def test_star_import_keeps_pythons_max():
    namespace = {}
    exec("from engine import *", namespace)
    assert "max" not in namespace and engine.max is vmax
