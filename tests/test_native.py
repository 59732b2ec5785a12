"""engine.compile(..., backend="numba"): machine code with the eager engine's numbers, bit for bit.

Jitting costs about half a second per small function the first time; numba's cache (in
~/.cache/seebackprop/native, or $SEEBACKPROP_CACHE_DIR) makes later runs of this file fast.
"""

import importlib.util
import math
import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

from engine import DomainError, Value, compile
from engine.runtimes import python as scalar
from randgraph import random_graph

INSTALL = 'pip install numba (the "fast" extra)'


def bits(x):
    return struct.pack("<d", x)


def same_bits(xs, ys):
    return [bits(a) for a in xs] == [bits(b) for b in ys]


def ulps(a, b):
    """Distance of two floats in units in the last place (0 for two NaNs)."""
    if math.isnan(a) or math.isnan(b):
        return 0 if math.isnan(a) and math.isnan(b) else math.inf
    ia, ib = (struct.unpack("<q", bits(v))[0] for v in (a, b))
    ia, ib = (i if i >= 0 else -(1 << 63) - i for i in (ia, ib))  # order negative floats too
    return abs(ia - ib)


# ---------------------------------------------------------------- without numba

def test_without_numba_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # "import numba" now raises ImportError
    x = Value(1.0)
    with pytest.raises(ImportError, match=r'numba.*pip install numba \(the "fast" extra\)') as info:
        compile(x * x, [x], [], backend="numba")
    assert info.value.name == "numba"


def test_an_unknown_backend_is_named():
    x = Value(1.0)
    with pytest.raises(ValueError, match="backend must be 'python' or 'numba', got 'cuda'"):
        compile(x * x, [x], [], backend="cuda")


requires_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None,
                                    reason=f"numba is not installed: {INSTALL}")


# ---------------------------------------------------------------- the scalar functions

def _special_values():
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 1e-300, -1e-300, 5e-324, 1e300,
               -1e300, 709.0, 710.0, -745.0, -746.0, 36.0, -36.0, 1000.0, -1000.0, math.inf, -math.inf,
               math.nan]
    return special + rng.standard_normal(400).tolist() + rng.uniform(-750, 750, 200).tolist()


def _outcome(fn, *args):
    """The value, or the type of the error (with its message) that refuses the arguments."""
    try:
        return fn(*args)
    except (DomainError, ZeroDivisionError) as e:
        return (type(e), str(e))


@requires_numba
def test_native_numerics_give_the_same_bits_and_refuse_the_same_arguments():
    from engine.runtimes import numba as nn_
    from engine.compiler.machine import raise_eager_error as _raise_eager_error
    values = _special_values()
    exponents = [0.0, -0.0, 1.0, -1.0, 2.0, 3.0, -2.0, 0.5, -0.5, 1.5, 1e300, -1e300, math.inf, -math.inf,
                 math.nan, 1000.0, -1001.0]
    largest = 0
    # every function of the engine's own has its native twin, except the inline ones (written into
    # each module from the INLINE text) and math's (written from one template)
    assert set(nn_.FUNCTIONS) == set(scalar.OWN) - set(scalar.INLINE)
    for name, native in nn_.FUNCTIONS.items():
        eager = scalar.FUNCTIONS[name]
        binary = name in ("divide", "power", "power_d", "pow_da", "pow_db", "maximum", "ge", "times")
        cases = [(a, b) for a in values[::13] for b in values[::23] + exponents] if binary else \
            [(a,) for a in values]
        for args in cases:
            expected = _outcome(eager, *args)

            def native_outcome():
                try:
                    return native(*args)
                except nn_.Refused as e:
                    return _outcome(_raise_eager_error, e.args)
            got = native_outcome()
            if isinstance(expected, tuple) or isinstance(got, tuple):
                assert got == expected, (name, args)
            else:
                largest = max(largest, ulps(got, expected))
                assert ulps(got, expected) == 0, (name, args, got, expected)
    assert largest == 0  # numba calls the same C library as Python's math: 0 ulps everywhere


@requires_numba
def test_the_inline_functions_are_written_from_the_inline_text():
    x = Value(0.3)
    g = compile(x.sigmoid() + x.relu() + x.tanh(), [x], [], backend="numba")
    for name in scalar.INLINE:
        fn = g.module[name]
        unary = "{1}" not in scalar.INLINE[name]
        assert f"def {name}({'a' if unary else 'a, b'}):" in g.source
        values = _special_values()
        for a, b in zip(values, values[::-1]):
            args = (a,) if unary else (a, b)
            assert ulps(fn(*args), scalar.FUNCTIONS[name](*args)) == 0, (name, args)
    from engine.runtimes import numba as native_runtime
    assert ":=" not in g.source
    assert all(line in g.source for lines in native_runtime.BODIES.values() for line in lines)


@requires_numba
def test_numba_s_own_sigmoid_gives_the_python_runtime_s_bits_everywhere():
    # BODIES["sigmoid"] takes e^-|a| on both sides; the Python runtime, e^-a or e^a by the sign
    x = Value(0.3)
    fn = compile(x.sigmoid(), [x], [], backend="numba").module["sigmoid"]
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.uniform(-1, 1, 20_000), rng.uniform(-800, 800, 20_000),
                             rng.standard_normal(20_000) * 1e-300, [np.nextafter(0.0, 1.0), -np.nextafter(0.0, 1.0)],
                             np.nextafter(np.array([708.0, -708.0, 745.0, -745.0, 36.7, -36.7]), 0.0)])
    worst = max(ulps(fn(a), scalar.sigmoid(a)) for a in values.tolist())
    assert worst == 0


# ---------------------------------------------------------------- graphs against eager

@requires_numba
@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_equal_eager_bit_for_bit(seed):
    out, leaves = random_graph(seed)
    inputs, params = leaves[:2], leaves[2:]
    out.backward()
    cg = compile(out, inputs, params, input_grads=True, backend="numba")
    x = [v.data for v in inputs]
    value, pgrads, xgrads = cg.gradient(x)
    assert bits(value) == bits(out.data)
    assert same_bits(pgrads, [v.grad for v in params]) and same_bits(xgrads, [v.grad for v in inputs])
    assert bits(cg.forward(x)) == bits(out.data)


@requires_numba
@pytest.mark.parametrize("seed", range(4))
def test_array_versions_equal_the_python_scalar_code_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    out, leaves = random_graph(seed)
    native = compile(out, leaves[:2], leaves[2:], input_grads=True, backend="numba")
    python = compile(out, leaves[:2], leaves[2:], input_grads=True)
    X = rng.uniform(-0.05, 0.05, size=(9, 2)) + np.array([v.data for v in leaves[:2]])
    values = native.forward_array(X)
    vals, pgrads, xgrads = native.gradient_array(X)
    assert values.shape == (9,) and pgrads.shape == (9, len(leaves) - 2) and xgrads.shape == (9, 2)
    for i, row in enumerate(X.tolist()):
        v, pg, xg = python.gradient(row)  # = eager, bit for bit (tests/test_compiler.py)
        assert bits(values[i]) == bits(v) and bits(vals[i]) == bits(v)
        assert same_bits(pgrads[i], pg) and same_bits(xgrads[i], xg)


def _higham():
    from nn import MLP
    from nn.losses import half_squared_error
    net = MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=3)
    x = [Value(0.0, label="x1"), Value(0.0, label="x2")]
    y = [Value(0.0, label="y1"), Value(0.0, label="y2")]
    cost = half_squared_error(net(x), y)
    return net, cost, x + y


HIGHAM_X = [(0.1, 0.1), (0.3, 0.4), (0.1, 0.5), (0.6, 0.9), (0.4, 0.2),
            (0.6, 0.3), (0.5, 0.6), (0.9, 0.2), (0.4, 0.4), (0.7, 0.6)]
HIGHAM_Y = [(1.0, 0.0)] * 5 + [(0.0, 1.0)] * 5


@requires_numba
def test_higham_sgd_run_follows_the_eager_loop_bit_for_bit():
    from nn.losses import half_squared_error
    net, cost, inputs = _higham()
    params = net.parameters()
    native = compile(cost, inputs, params, backend="numba")
    python = compile(cost, inputs, params)
    rows = [x + y for x, y in zip(HIGHAM_X, HIGHAM_Y)]
    start = [v.data for v in params]
    ks = np.random.default_rng(7).integers(0, 10, 3000).tolist()
    eta = 0.05
    costs = []
    for k in ks:  # the eager engine: a fresh graph per step, PyTorch's zero_grad / backward / step
        c = half_squared_error(net(list(HIGHAM_X[k])), list(HIGHAM_Y[k]))
        net.zero_grad()
        c.backward()
        for v in params:
            v.data -= eta * v.grad
        costs.append(c.data)
    eager = [v.data for v in params]
    p_run = list(start)
    last = native.sgd_run(rows, ks, p_run, eta)
    assert same_bits(p_run, eager) and bits(last) == bits(costs[-1])
    p_array = np.array(start)  # an array is updated in place
    native.sgd_run(np.array(rows), np.array(ks), p_array, eta)
    assert same_bits(p_array.tolist(), eager)
    p_step = list(start)
    for k, c in zip(ks[:300], costs):
        assert bits(native.sgd_step(rows[k], p_step, eta)) == bits(c)
    p_python = list(start)
    python.sgd_run(rows, ks[:300], p_python, eta)
    assert same_bits(p_step, p_python)


@requires_numba
@pytest.mark.slow
def test_higham_many_steps_equal_the_python_backend():
    net, cost, inputs = _higham()
    native = compile(cost, inputs, net.parameters(), backend="numba")
    python = compile(cost, inputs, net.parameters())
    rows = [x + y for x, y in zip(HIGHAM_X, HIGHAM_Y)]
    ks = np.random.default_rng(8).integers(0, 10, 50_000).tolist()
    p_native, p_python = [v.data for v in net.parameters()], [v.data for v in net.parameters()]
    assert bits(native.sgd_run(rows, ks, p_native, 0.05)) == bits(python.sgd_run(rows, ks, p_python, 0.05))
    assert same_bits(p_native, p_python)


# ---------------------------------------------------------------- refusals and arguments

@requires_numba
def test_domain_errors_are_the_eager_engine_errors():
    x, w = Value(2.0), Value(3.0)
    y = (x * w).log() + x / w + x ** w
    native = compile(y, [x], [w], backend="numba")
    python = compile(y, [x], [w])
    for point in ([-1.0], [3.0]), ([2.0], [0.0]), ([-2.0], [-2.5]):
        for call in (lambda g: g.forward(*point), lambda g: g.gradient(*point),
                     lambda g: g.sgd_step(point[0], list(point[1]), 0.1),
                     lambda g: g.sgd_run([point[0]], [0], list(point[1]), 0.1)):
            with pytest.raises((DomainError, ZeroDivisionError)) as expected:
                call(python)
            with pytest.raises(expected.type, match=f"^{re.escape(str(expected.value))}$"):
                call(native)
    with pytest.raises(DomainError, match="log: the argument must be > 0, got -3.0"):
        native.forward_array(np.array([[1.0], [-1.0]]), [3.0])
    p = [3.0]
    with pytest.raises(DomainError):
        native.sgd_run([[2.0], [-1.0]], [0, 0, 1, 0], p, 0.1)
    assert p == [3.0]  # as the Python backend: nothing is written when a run is refused


@requires_numba
def test_powers_and_constants_of_the_table():
    x = Value(-2.0)
    y = x ** 3 + (x * x) ** 0.5 + Value(math.inf) * 0.0 + x.relu() + x.softplus() + x.exp()
    native = compile(y, [x], [], input_grads=True, backend="numba")
    for a in (-2.0, 0.0, 1.5):
        x.data = a
        fresh = x ** 3 + (x * x) ** 0.5 + Value(math.inf) * 0.0 + x.relu() + x.softplus() + x.exp()
        fresh.backward()
        value, _, (g,) = native.gradient([a])
        assert math.isnan(value) and bits(g) == bits(x.grad)
        x.grad = 0.0


@requires_numba
def test_bad_arguments_get_the_python_backends_errors():
    x, w = Value(1.0), Value(2.0)
    g = compile(x * w, [x], [w], backend="numba")
    with pytest.raises(ValueError, match="expected 1 inputs, got 2"):
        g.forward([1.0, 2.0])
    with pytest.raises(ValueError, match="expected 1 parameters, got 0"):
        g.gradient([1.0], [])
    with pytest.raises(TypeError, match="the inputs must be a list, a tuple or a 1-d array of numbers, got float"):
        g.forward(1.0)
    with pytest.raises(ValueError, match=r"expected an array of shape \(n, 1\)"):
        g.forward_array(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="must be a list"):
        g.sgd_step([1.0], (2.0,), 0.1)
    with pytest.raises(ValueError, match="rows\\[1\\] has 2 numbers; every row needs 1"):
        g.sgd_run([[1.0], [1.0, 2.0]], [0], [2.0], 0.1)
    with pytest.raises(IndexError, match="row index 5, but there are 2 rows"):
        g.sgd_run([[1.0], [2.0]], [0, 5], [2.0], 0.1)
    with pytest.raises(TypeError, match="integer row indices"):
        g.sgd_run([[1.0], [2.0]], [0.0], [2.0], 0.1)
    assert math.isnan(g.sgd_run([[1.0]], [], [2.0], 0.1))  # no step: no cost, as the Python backend


@requires_numba
def test_jit_compiles_everything_at_once_and_listing_shows_the_labels():
    x, w = Value(0.5, label="x"), Value(2.0, label="w")
    g = compile((w * x).tanh(), [x], [w], backend="numba")
    assert g.jit_from_cache == {} and g.jit_seconds == 0.0  # nothing compiled before the first call
    seconds = g.jit()
    assert set(g.jit_from_cache) == {"forward", "gradient", "sgd_step", "sgd_run", "sgd_run_plain",
                                     "forward_array", "gradient_array"}
    assert 0.0 < seconds and abs(g.jit_seconds - seconds) < 0.05
    assert g.jit() < 0.05  # already compiled
    with pytest.raises(ValueError, match="no function 'backward'; the functions are forward, gradient"):
        g.jit("backward")
    assert "v3 = tanh(v2)" in g.source and "# w" in g.listing() and "numba" in repr(g)
    assert g.python_source == compile((w * x).tanh(), [x], [w]).array_source  # one plan, two writers


@requires_numba
def test_an_output_that_is_a_parameter_or_a_leaf():
    w = Value(2.0)
    x = Value(3.0)
    g = compile(w, [x], [w], backend="numba")
    p = [2.0]
    assert g.sgd_run([[0.0]], [0, 0], p, 0.5) == 1.5 and p == [1.0]  # C = w: dC/dw = 1
    assert compile(x, [x], [], backend="numba").gradient([4.0]) == (4.0, ())
    assert compile(Value(0.0) * x + 1.5, [], [], backend="numba").forward([]) == 1.5
    assert compile(Value(1.5), [], [], backend="numba").sgd_run([[]], [0], [], 0.1) == 1.5  # a bare constant


@requires_numba
@pytest.mark.slow
def test_the_machine_code_is_cached_between_runs(tmp_path):
    code = ("from engine import Value, compile\n"
            "x = Value(0.5)\n"
            "g = compile(x * x + 1.0, [x], [], backend='numba')\n"
            "g.jit('forward')\n"
            "print(g.jit_from_cache['forward'], g.forward([0.25]))\n")
    env = dict(os.environ, SEEBACKPROP_CACHE_DIR=str(tmp_path))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root,
                           check=True).stdout.split() for _ in range(2)]
    assert runs[0][0] == "False" and runs[1][0] == "True" and runs[0][1] == runs[1][1]
    assert any(name.endswith(".nbi") for name in os.listdir(tmp_path / "__pycache__"))
