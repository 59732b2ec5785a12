"""Lanes (``CompiledGraph.sgd_run_lanes``) and the tape kernel (engine/compiler/tape.py): the numbers of single
runs, bit for bit, on the Higham network and on random graphs over every operation of the table."""

import importlib.util
import math

import numpy as np
import pytest
from randgraph import random_graph

import engine
from engine import Value, affine
from engine.compiler import lanes as lanes_module
from nn import MLP
from nn.losses import half_squared_error

requires_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None,
                                    reason='numba is not installed: pip install numba')


def higham(backend, sizes=(2, 3, 2)):
    mlp = MLP(2, list(sizes), activation="sigmoid", output_activation="sigmoid", init="normal", rng=0)
    inputs = [Value(0.0) for _ in range(4)]
    cost = half_squared_error(mlp(inputs[:2]), inputs[2:])
    return engine.compile(cost, inputs, mlp.parameters(), backend=backend), mlp.num_parameters()


ROWS = np.array([(0.1, 0.1, 1, 0), (0.3, 0.4, 1, 0), (0.1, 0.5, 1, 0), (0.6, 0.9, 1, 0), (0.4, 0.2, 1, 0),
                 (0.6, 0.3, 0, 1), (0.5, 0.6, 0, 1), (0.9, 0.2, 0, 1), (0.4, 0.4, 0, 1), (0.7, 0.6, 0, 1)], float)


def single_runs(graph, rows, orders, P, eta):
    """The reference: sgd_run once per run, parameters as lists (the Python backend's way)."""
    P, last = P.copy(), []
    table = [tuple(r) for r in rows.tolist()]
    for r in range(len(P)):
        p = P[r].tolist()
        last.append(graph.sgd_run(table, orders[r].tolist(), p, eta))
        P[r] = p
    return P, np.array(last)


def same_bits(a, b):
    return np.array_equal(np.asarray(a).view(np.int64), np.asarray(b).view(np.int64))


def start(n_runs, n_par, seed=1):
    return 0.5 * np.random.default_rng(seed).standard_normal((n_runs, n_par))


@pytest.mark.parametrize("kind", ["blocks", "tape"])
@requires_numba
def test_higham_lanes_equal_single_runs_bit_for_bit(kind):
    graph, n = higham("numba")
    reference, _ = higham("python")  # the Python backend: eager's numbers (tests/test_compiler.py)
    graph._tape_only = kind == "tape"
    runs, steps = 7, 3000  # not a multiple of the block: padded lanes are dropped
    P = start(runs, n)
    orders = np.random.default_rng(2).integers(0, 10, (runs, steps))
    expected_P, expected_last = single_runs(reference, ROWS, orders, P, 0.05)
    numba_P, numba_last = single_runs(graph, ROWS, orders, P, 0.05)
    got = P.copy()
    last = graph.sgd_run_lanes(ROWS, orders, got, 0.05)
    assert lanes_module.lanes_kind(graph) == kind
    assert same_bits(got, expected_P) and same_bits(last, expected_last)
    assert same_bits(numba_P, expected_P)


def test_python_backend_lanes_are_single_runs():
    graph, n = higham("python")
    P = start(3, n)
    orders = np.random.default_rng(3).integers(0, 10, (3, 200)).astype(np.uint8)
    expected, last_expected = single_runs(graph, ROWS, orders, P, 0.05)
    last = graph.sgd_run_lanes(ROWS, orders, P, 0.05)
    assert lanes_module.lanes_kind(graph) == "one by one"
    assert same_bits(P, expected) and same_bits(last, last_expected)


def _random_problem(seed):
    out, leaves = random_graph(seed, n_leaves=4, n_ops=14)
    return out, leaves[:2], leaves[2:]  # two inputs, two parameters


@requires_numba
@pytest.mark.parametrize("kind", ["blocks", "tape"])
def test_random_graphs_lanes_equal_single_runs(kind):
    checked = 0
    for seed in range(12):
        out, inputs, params = _random_problem(seed)
        graph = engine.compile(out, inputs, params, backend="numba")
        reference = engine.compile(out, inputs, params)
        graph._tape_only = kind == "tape"
        rng = np.random.default_rng(seed)
        rows = np.array([[v.data for v in inputs]]) + 0.01 * rng.standard_normal((3, 2))
        P = np.array([[v.data for v in params]] * 3) + 0.01 * rng.standard_normal((3, 2))
        orders = rng.integers(0, 3, (3, 4))
        try:
            expected, last_expected = single_runs(reference, rows, orders, P, 1e-3)
        except (ValueError, ZeroDivisionError):  # a step left an operation's domain: not a lanes question
            continue
        got = P.copy()
        last = graph.sgd_run_lanes(rows, orders, got, 1e-3)
        assert same_bits(got, expected), seed
        assert same_bits(last, last_expected), seed
        checked += 1
    assert checked >= 8


@requires_numba
def test_big_graphs_run_as_a_tape_with_the_python_backends_numbers():
    """A graph of TAPE_FROM nodes or more: engine.compile(..., backend="numba") runs it through the
    one kernel (no per-graph numba compile) with the straight-line code's numbers."""
    from engine.compiler import tape
    graph, n = higham("numba", sizes=(8, 12, 2))
    reference, _ = higham("python", sizes=(8, 12, 2))
    assert tape.wanted(graph.plan) and isinstance(graph.module, tape.TapeFunctions)
    assert graph.jit() >= 0 and set(graph.jit_from_cache) == set(engine.compiler.numba._SIGNATURES)
    p = start(1, n)[0]
    x = ROWS[3]
    assert graph.forward(x, p) == reference.forward(list(x), p.tolist())
    value, grads = graph.gradient(x, p)
    assert (value, grads) == reference.gradient(list(x), p.tolist())
    values, G = graph.gradient_array(ROWS, p)
    for i, row in enumerate(ROWS):
        v, g = reference.gradient(list(row), p.tolist())
        assert values[i] == v and tuple(G[i]) == g
    q, ql = p.copy(), p.tolist()
    order = np.random.default_rng(4).integers(0, 10, 500)
    assert graph.sgd_run(ROWS, order, q, 0.05) == reference.sgd_run([tuple(r) for r in ROWS.tolist()],
                                                                    order.tolist(), ql, 0.05)
    assert q.tolist() == ql


@requires_numba
def test_input_grads_through_the_tape():
    xs = [Value(0.3 + 0.1 * i) for i in range(60)]
    ws = [Value(0.01 * i - 0.2) for i in range(60)]
    out = affine(ws, [x.tanh() for x in xs], Value(0.1)).sigmoid() * xs[0]
    graph = engine.compile(out, xs, ws, input_grads=True, backend="numba")
    reference = engine.compile(out, xs, ws, input_grads=True)
    assert isinstance(graph.module, engine.compiler.tape.TapeFunctions)
    x = [0.2 + 0.01 * i for i in range(60)]
    assert graph.gradient(x) == reference.gradient(x)


def test_lanes_arguments_are_checked():
    graph, n = higham("python")
    with pytest.raises(TypeError, match="P must be a writeable C-contiguous float64 array"):
        graph.sgd_run_lanes(ROWS, np.zeros((1, 3), int), [[0.0] * n], 0.05)
    with pytest.raises(ValueError, match=f"one row of {n} parameters"):
        graph.sgd_run_lanes(ROWS, np.zeros((1, 3), int), np.zeros((1, 5)), 0.05)
    with pytest.raises(ValueError, match="orders has 2 rows"):
        graph.sgd_run_lanes(ROWS, np.zeros((2, 3), int), np.zeros((1, n)), 0.05)
    with pytest.raises(IndexError, match="row index 10, but there are 10 rows"):
        graph.sgd_run_lanes(ROWS, np.full((1, 3), 10), np.zeros((1, n)), 0.05)
    with pytest.raises(ValueError, match="4 numbers per row"):
        graph.sgd_run_lanes(ROWS[:, :3], np.zeros((1, 3), int), np.zeros((1, n)), 0.05)


@requires_numba  # the kernel's text names the numba runtime's functions, which import numba
def test_the_kernel_is_written_from_the_table():
    """Every row of the operation table has a forward and a backward branch in the kernel's text."""
    from engine.compiler import tape
    source = tape.write_module()
    for i, op in enumerate(tape.OP_LIST):  # the table's rows (a user's row keeps straight-line code)
        assert source.count(f"code == {i}:  # {op.name}") == 3  # forward, backward, backward_plain


@requires_numba
@pytest.mark.parametrize("kind", ["blocks", "tape"])
def test_a_zero_derivative_meeting_an_infinite_gradient_reruns_that_lane_exactly(kind):
    """relu off under a square root: d/dx sqrt at 0 is inf, times relu's 0 is NaN in IEEE products and
    0 by the table's rule. Lanes with IEEE products first, the NaN lanes again exactly: each lane ends
    where the Python backend's sgd_run does, the others untouched."""
    x, w = Value(1.0, label="x"), Value(0.5, label="w")
    out = (w * x).relu() ** 0.5 + w * 0.1
    graph = engine.compile(out, [x], [w], backend="numba")
    reference = engine.compile(out, [x], [w])
    graph._tape_only = kind == "tape"
    rows = np.array([[1.0], [-1.0], [2.0], [-2.0]])
    orders = np.array([[0, 1, 0, 1, 1], [2, 2, 0, 0, 2], [3, 3, 3, 3, 3], [0, 2, 0, 2, 0], [1, 1, 1, 1, 1]])
    P = np.array([[0.5], [0.5], [0.25], [0.7], [math.nan]])
    expected, last_expected = single_runs(reference, rows, orders, P, 0.1)
    got = P.copy()
    last = graph.sgd_run_lanes(rows, orders, got, 0.1)
    assert same_bits(got, expected) and same_bits(last, last_expected)
    assert np.isfinite(got[:4]).all()


@requires_numba
@pytest.mark.parametrize("kind", ["blocks", "tape"])
def test_edge_graphs_lanes_equal_single_runs(kind):
    """The output a parameter itself, a parameter -0.0 that no path reaches (its update is p - η·0.0,
    which keeps -0.0), no inputs, no parameters."""
    x, w, u = Value(1.0), Value(0.5), Value(-0.0)
    cases = [(w, [x], [w], np.array([[1.0]]), np.zeros((2, 3), int), np.array([[0.5], [-0.0]])),
             (w * x, [x], [w, u], np.array([[1.0], [2.0]]), np.array([[0, 1, 1]]), np.array([[0.5, -0.0]])),
             ((w * 3.0).tanh(), [], [w], np.zeros((1, 0)), np.zeros((2, 4), int), np.array([[0.5], [2.0]])),
             (x * x, [x], [], np.array([[1.0], [3.0]]), np.array([[0, 1]]), np.zeros((1, 0)))]
    for out, inputs, params, rows, orders, P in cases:
        graph = engine.compile(out, inputs, params, backend="numba")
        graph._tape_only = kind == "tape"
        expected, last_expected = single_runs(engine.compile(out, inputs, params), rows, orders, P, 0.1)
        got = P.copy()
        last = graph.sgd_run_lanes(rows, orders, got, 0.1)
        assert same_bits(got, expected) and same_bits(last, last_expected)


@requires_numba
def test_a_division_by_zero_in_a_users_row_stops_the_lanes_as_it_stops_sgd_run():
    """The blocks' IEEE function divides without numba's zero test (which would keep LLVM from
    vectorising it); a run that meets 1/0 ends with a number that is not finite and is run again with
    the exact function, which raises the error sgd_run raises. Runs that divide by nothing are the
    single runs' numbers."""
    inv = engine.define("lanes_test_inv", ("a",), "1.0 / a", ("-out * out",))
    x, w = Value(1.0), Value(0.5)
    out = inv(w * x) * 0.25 + w
    graph = engine.compile(out, [x], [w], backend="numba")
    assert lanes_module.lanes_kind(graph) == "blocks"
    rows = np.array([[1.0], [2.0], [0.0]])
    fine = np.array([[0, 1, 0], [1, 1, 0]])
    P = np.array([[0.5], [1.5]])
    expected, last_expected = single_runs(engine.compile(out, [x], [w]), rows, fine, P, 0.01)
    got = P.copy()
    last = graph.sgd_run_lanes(rows, fine, got, 0.01)
    assert same_bits(got, expected) and same_bits(last, last_expected)
    with pytest.raises(ZeroDivisionError) as single:
        graph.sgd_run(rows, np.array([0, 2, 1]), [0.5], 0.01)
    for backend in ("numba", "python"):
        kept = P.copy()
        with pytest.raises(ZeroDivisionError) as lanes:
            engine.compile(out, [x], [w], backend=backend).sgd_run_lanes(rows, np.array([[0, 1, 1], [0, 2, 1]]),
                                                                         kept, 0.01)
        assert str(lanes.value) == str(single.value)
        assert same_bits(kept, P)  # the run that finished first is not written either: all or nothing


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=requires_numba)])
def test_forward_array_lanes_is_forward_array_per_run_bit_for_bit(backend):
    """The Cost of many runs at once: the Python backend evaluates every run in one broadcast NumPy
    call, the others run by run; row r is forward_array(X, P[r]) whichever does it."""
    graph, n_par = higham(backend)
    P = start(9, n_par, seed=4) * 8.0   # large weights: saturated sigmoids too
    got = graph.forward_array_lanes(ROWS, P)
    assert got.shape == (9, 10)
    assert all(same_bits(got[r], graph.forward_array(ROWS, P[r])) for r in range(9))
    checked = 0
    for seed in range(12):
        out, inputs, params = _random_problem(seed)
        g = engine.compile(out, inputs, params, backend=backend)
        rng = np.random.default_rng(seed)
        X = np.array([[v.data for v in inputs]]) + 0.01 * rng.standard_normal((5, 2))
        P = np.array([[v.data for v in params]] * 4) + 0.01 * rng.standard_normal((4, 2))
        try:
            expected = [g.forward_array(X, P[r]) for r in range(4)]
        except (ValueError, ZeroDivisionError):  # outside an operation's domain: checked below
            with pytest.raises((ValueError, ZeroDivisionError)):
                g.forward_array_lanes(X, P)
            continue
        got = g.forward_array_lanes(X, P)
        assert all(same_bits(got[r], expected[r]) for r in range(4)), seed
        checked += 1
    assert checked >= 8
    assert graph.forward_array_lanes(ROWS, np.zeros((0, n_par))).shape == (0, 10)
    with pytest.raises(ValueError, match=r"shape \(runs, 23\)"):
        graph.forward_array_lanes(ROWS, np.zeros((3, 22)))
    with pytest.raises(TypeError, match="dtype"):
        graph.forward_array_lanes(ROWS, np.array([["0.5"] * n_par]))
