"""engine.compile, second round: inputs of any numeric type give the eager engine's float64 numbers,
an output that is a leaf compiles, and big graphs (the chunked layout of engine/compiler/python.py) give the
same bits as small ones."""

import fractions
import struct

import numpy as np
import pytest

import engine.compiler.python
from engine import Value, affine, compile
from randgraph import fresh_backward, random_graph


def bits(x):
    return struct.pack("<d", x)


def same_bits(xs, ys):
    return [bits(a) for a in xs] == [bits(b) for b in ys]


@pytest.fixture(params=["straight-line", "chunked"])
def layout(request, monkeypatch):
    """Every test below runs twice: as small graphs compile, and cut into chunks of 7 references."""
    if request.param == "chunked":
        monkeypatch.setattr(engine.compiler.python, "CHUNK", 7)
    return request.param


def _net():
    x = [Value(0.0, label="x1"), Value(0.0, label="x2")]
    w = [Value(0.3), Value(-0.7), Value(0.1)]
    out = (affine(w[:2], x, w[2]).tanh() * x[0]).sigmoid()
    return out, x, w


# ------------------------------------------------------------------ item 1: output is a parameter

def test_sgd_run_when_the_output_is_a_parameter(layout):
    w = Value(1.0)
    cg = compile(w, [], [w])
    p = [1.0]
    assert cg.sgd_step((), p, 0.1) == 1.0 and p == [0.9]
    p = [1.0]
    assert cg.sgd_run([()], [0], p, 0.1) == 1.0 and p == [0.9]
    p = [1.0]
    assert cg.sgd_run([()], [0, 0, 0], p, 0.1) == 1.0 - 0.1 - 0.1  # the value before the last update
    assert p == [1.0 - 0.1 - 0.1 - 0.1]


def test_sgd_run_when_the_output_is_an_input_or_a_constant(layout):
    x, w = Value(2.0), Value(5.0)
    cg = compile(x, [x], [w])  # w is not in the graph: its gradient is 0
    p = [5.0]
    assert cg.sgd_run([(3.0,), (4.0,)], [0, 1], p, 0.1) == 4.0 and p == [5.0]
    c = Value(7.0)
    cg = compile(c, [x], [w])  # a leaf not listed: a constant
    p = [5.0]
    assert cg.sgd_run([(3.0,)], [0], p, 0.1) == 7.0 and p == [5.0]


def test_sgd_run_equals_repeated_sgd_step(layout):
    out, x, w = _net()
    cg = compile(out, x, w)
    rows = [(0.5, -1.0), (2.0, 0.25), (-0.3, 0.9)]
    order = [2, 0, 1, 1, 0, 2, 2]
    p_step, p_run = [v.data for v in w], [v.data for v in w]
    last = None
    for k in order:
        last = cg.sgd_step(rows[k], p_step, 0.2)
    assert bits(cg.sgd_run(rows, order, p_run, 0.2)) == bits(last)
    assert same_bits(p_run, p_step)


# ------------------------------------------------------------------ item 6: bare leaves

@pytest.mark.parametrize("listed", ["nothing", "input", "param"])
def test_a_bare_leaf_compiles(listed, layout):
    v = Value(3.0)
    inputs, params = {"nothing": ([], []), "input": ([v], []), "param": ([], [v])}[listed]
    cg = compile(v, inputs, params)
    x = [3.0] if inputs else []
    assert cg.forward(x) == 3.0
    value, grads = cg.gradient(x)
    assert value == 3.0 and grads == ((1.0,) if params else ())
    assert np.array_equal(cg.forward_array(np.full((4, len(inputs)), 3.0)), np.full(4, 3.0))
    p = [3.0] if params else []
    assert cg.sgd_step(x, p, 0.5) == 3.0 and p == ([2.5] if params else [])
    assert "def sgd_run" in cg.listing()


def test_an_output_that_is_an_unlisted_leaf_is_a_constant(layout):
    x, w = Value(1.0), Value(2.0)
    c = Value(-4.5)
    cg = compile(c, [x], [w], input_grads=True)
    assert cg.gradient([9.0], [8.0]) == (-4.5, (0.0,), (0.0,))
    vals, pg, xg = cg.gradient_array(np.array([[1.0], [2.0]]))
    assert vals.tolist() == [-4.5, -4.5] and pg.tolist() == [[0.0], [0.0]]


# ------------------------------------------------------------------ item 3: input types

def _eager(out, x, w, xs, ws):
    """The eager engine on the recorded graph rebuilt from Values made of the given numbers."""
    xv = [Value(t) for t in xs]
    wv = [Value(t) for t in ws]
    res = (affine(wv[:2], xv, wv[2]).tanh() * xv[0]).sigmoid()
    fresh_backward(res, wv + xv)  # leaves from -0.0: this pass's gradient alone, as compiled code
    return res.data, [v.grad for v in wv]


ODD_NUMBERS = [
    ("float32", [np.float32(0.1), np.float32(-2.7)]),
    ("ints beyond 2**53", [10 ** 17 + 1, -(2 ** 60) - 1]),
    ("NumPy ints", [np.int64(3), np.int8(-2)]),
    ("bools", [True, False]),
    ("fractions", [fractions.Fraction(1, 3), fractions.Fraction(-7, 9)]),
    ("0-d arrays", [np.array(0.25, dtype=np.float32), np.array(-1)]),
    ("float16", [np.float16(0.1), np.float16(1.5)]),
]


@pytest.mark.parametrize("case,xs", ODD_NUMBERS, ids=[c[0] for c in ODD_NUMBERS])
def test_inputs_of_any_numeric_type_give_the_eager_float64_numbers(case, xs, layout):
    out, x, w = _net()
    ws = [np.float32(0.3), 2, fractions.Fraction(1, 10)]
    cg = compile(out, x, w)
    value, grads = _eager(out, x, w, xs, ws)
    got = cg.forward(xs, ws)
    assert type(got) is float and bits(got) == bits(value)
    gv, gg = cg.gradient(xs, ws)
    assert type(gv) is float and bits(gv) == bits(value) and same_bits(gg, grads)
    assert all(type(g) is float for g in gg)
    p = list(ws)
    cg.sgd_step(xs, p, np.float32(0.5))
    eta = float(np.float32(0.5))
    assert same_bits(p, [float(Value(t).data) - eta * g for t, g in zip(ws, grads)])
    assert all(type(t) is float for t in p)
    p2 = list(ws)
    cg.sgd_run([xs], [0], p2, np.float32(0.5))
    assert same_bits(p2, p)


def test_int_inputs_are_not_computed_exactly(layout):
    a, b = Value(0.0), Value(0.0)
    cg = compile(a * b - a * a, [a, b], [])
    # as Python ints this is exactly 10**17; as the engine's floats (1e17 + 1 rounds to 1e17) it is 0
    eager = Value(10 ** 17 + 1) * Value(10 ** 17) - Value(10 ** 17 + 1) * Value(10 ** 17 + 1)
    got = cg.forward([10 ** 17 + 1, 10 ** 17])
    assert type(got) is float and bits(got) == bits(eager.data) == bits(0.0)


def test_a_float32_array_gives_the_float64_result(layout):
    out, x, w = _net()
    cg = compile(out, x, w)
    X32 = np.array([[0.1, -2.7], [0.3, 0.3]], dtype=np.float32)
    got = cg.forward_array(X32)
    assert got.dtype == np.float64
    assert same_bits(got, [cg.forward([float(a), float(b)]) for a, b in X32])


BAD_NUMBERS = [
    ("a string", ["1.5", 0.0], TypeError, r"inputs\[0\] must be a real number.*got str '1.5'"),
    ("None", [0.0, None], TypeError, r"inputs\[1\] must be a real number.*NoneType"),
    ("a complex number", [1j, 0.0], TypeError, r"inputs\[0\].*complex"),
    ("a Value", [Value(1.0), 0.0], TypeError, r"inputs\[0\]"),
    ("an int beyond float range", [10 ** 400, 0.0], OverflowError, r"too large for a float"),
    ("a NumPy bool", [np.bool_(True), 0.0], TypeError, r"inputs\[0\].*bool"),
]


@pytest.mark.parametrize("case,xs,error,message", BAD_NUMBERS, ids=[c[0] for c in BAD_NUMBERS])
def test_what_value_refuses_compiled_code_refuses(case, xs, error, message, layout):
    out, x, w = _net()
    cg = compile(out, x, w)
    with pytest.raises(error):
        Value(xs[0] if case != "None" else xs[1])
    for call in (lambda: cg.forward(xs), lambda: cg.gradient(xs), lambda: cg.sgd_step(xs, [0.1, 0.2, 0.3], 0.1),
                 lambda: cg.sgd_run([xs], [0], [0.1, 0.2, 0.3], 0.1)):
        with pytest.raises(error, match=message.replace("inputs", r"(inputs|rows\[0\])")):
            call()
    with pytest.raises(TypeError, match=r"parameters\[1\]"):
        cg.forward([0.0, 0.0], [0.1, "a", 0.3])
    with pytest.raises(TypeError, match=r"eta must be a real number"):
        cg.sgd_step([0.0, 0.0], [0.1, 0.2, 0.3], "fast")


def test_an_array_of_text_is_refused(layout):
    out, x, w = _net()
    cg = compile(out, x, w)
    with pytest.raises(TypeError, match="array of real numbers"):
        cg.forward_array(np.array([["1.5", "2"]]))
    with pytest.raises(ValueError, match="expected 3 parameters"):
        cg.forward([0.0, 0.0], [0.1])


# ------------------------------------------------------------------ the chunked layout

@pytest.mark.parametrize("seed", range(25))
def test_the_chunked_layout_gives_the_same_bits(seed, monkeypatch):
    out, leaves = random_graph(seed)
    inputs, params = leaves[:2], leaves[2:]
    small = compile(out, inputs, params, input_grads=True)
    monkeypatch.setattr(engine.compiler.python, "CHUNK", 5 + seed % 7)
    big = compile(out, inputs, params, input_grads=True)
    assert "def _f1(s):" in big.source and "def _f1(s):" not in small.source
    x = [v.data for v in inputs]
    v1, pg1, xg1 = small.gradient(x)
    v2, pg2, xg2 = big.gradient(x)
    assert bits(v1) == bits(v2) and same_bits(pg1, pg2) and same_bits(xg1, xg2)
    rows = [x, [t + 0.125 for t in x], [t - 0.0625 for t in x]]
    pa, pb = [v.data for v in params], [v.data for v in params]
    try:
        ra = small.sgd_run(rows, [0, 1, 2, 1], pa, 1e-3)
    except (ValueError, ZeroDivisionError):
        return
    rb = big.sgd_run(rows, [0, 1, 2, 1], pb, 1e-3)
    assert bits(ra) == bits(rb) and same_bits(pa, pb)
    X = np.array(rows)
    assert same_bits(small.forward_array(X), big.forward_array(X))


def test_write_params_converts_as_value_does_and_refuses_text():
    out, x, w = _net()
    cg = compile(out, x, w)
    cg.write_params([np.float32(0.1), 10 ** 17 + 1, True])
    assert [v.data for v in w] == [Value(np.float32(0.1)).data, 1e17, 1.0]
    with pytest.raises(TypeError, match=r"parameters\[1\] must be a real number"):
        cg.write_params([0.5, "2", 0.5])
    assert [v.data for v in w] == [Value(np.float32(0.1)).data, 1e17, 1.0]  # nothing was stored
