"""What compiled graphs accept (issue 25 items 4 and 5): both backends accept and refuse exactly what
Value() does, with the same message, wherever a number goes (inputs, parameters, eta, the rows of
sgd_run), refuse containers that are not sequences of numbers, take only integer row indices as an
order, and update in place only a list or a float64 array (never losing or rounding the update)."""

import fractions
import decimal

import numpy as np
import pytest

import engine
import engine.compiler.python
from engine import Value

BACKENDS = ["python", "python-chunked", "numba"]


@pytest.fixture(scope="module")
def graphs():
    x, a, b = Value(0.5, label="x"), Value(2.0, label="a"), Value(0.5, label="b")
    out = (a * x + b).tanh() ** 2
    result = {"python": engine.compile(out, [x], [a, b], input_grads=True)}
    layout = engine.compiler.python
    chunk, layout.CHUNK = layout.CHUNK, 7  # the layout of big graphs: functions of a few statements
    try:
        result["python-chunked"] = engine.compile(out, [x], [a, b], input_grads=True)
    finally:
        layout.CHUNK = chunk
    try:
        import numba  # noqa: F401
        result["numba"] = engine.compile(out, [x], [a, b], input_grads=True, backend="numba")
    except ImportError:
        pass
    return result


def _graph(graphs, backend):
    if backend not in graphs:
        pytest.skip("numba is not installed")
    return graphs[backend]


NUMBERS = [
    None, "5", "0.1", b"1", decimal.Decimal("1.5"), 1 + 2j, complex(1.0, 0.0), Value(1.0), [1.0], (1.0,),
    {1.0}, {0: 1.0}, object(), np.array(["1"]), np.array([1.0], dtype=object), np.array([1.0]),
    np.complex128(1.0), np.str_("1"), np.bool_(True), np.array(1.0), np.array(True), np.array("1"),
    # accepted by Value(): the same must be accepted here, as the same float64
    True, 3, 2 ** 70, fractions.Fraction(1, 3), np.float32(1.5), np.float16(0.1), np.int64(-3),
    np.uint8(7), np.float64(0.25), float("inf"), float("nan"),
]


def _value_outcome(c):
    try:
        return "ok", Value(c).data
    except Exception as e:  # noqa: BLE001 (the outcome is compared, whatever it is)
        return type(e), None


def _outcome(call):
    try:
        return "ok", call()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)


def _same_numbers(u, v):
    return np.array_equal(np.asarray(u, dtype=float), np.asarray(v, dtype=float), equal_nan=True)


POSITIONS = {
    "input": lambda g, c: g.forward([c], [2.0, 0.5]),
    "parameter": lambda g, c: g.gradient([0.5], [2.0, c]),
    "eta": lambda g, c: g.sgd_step([0.5], [2.0, 0.5], c),
    # the fused step's fast path: its arithmetic would meet a string or None first
    "input of sgd_step": lambda g, c: g.sgd_step([c], [2.0, 0.5], 0.1),
    "list parameter of sgd_step": lambda g, c: g.sgd_step([0.5], [2.0, c], 0.1),
    "row": lambda g, c: g.sgd_run([[c]], [0], [2.0, 0.5], 0.1),
    "eta of sgd_run": lambda g, c: g.sgd_run([[0.5]], [0], [2.0, 0.5], c),
    "list parameter of sgd_run": lambda g, c: g.sgd_run([[0.5]], [0], [c, 0.5], 0.1),
    "write_params": lambda g, c: g.write_params([c, 0.5]),
}


# A complex NumPy scalar among sgd_step's parameters reaches math.exp on the fast path, where NumPy
# warns that it drops the imaginary part, before the exact step refuses it with Value()'s message
# (checking every parameter's type up front would cost the fast step about a seventh of its time)
@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize("position", sorted(POSITIONS))
def test_every_number_is_accepted_or_refused_as_value_does_by_both_backends(graphs, position):
    call = POSITIONS[position]
    reference = graphs["python"]
    for c in NUMBERS:
        kind, number = _value_outcome(c)
        results = {}
        for backend in graphs:
            results[backend] = _outcome(lambda: call(graphs[backend], c))
        if position == "write_params":  # restore the recorded parameters
            reference.write_params([2.0, 0.5])
        for backend, (got, detail) in results.items():
            if kind == "ok":
                assert got == "ok", (position, backend, c, detail)
            else:
                assert got is kind, (position, backend, c, got, detail)
                assert "real number" in detail and "as for Value()" in detail, (position, backend, c, detail)
                assert len(detail) < 300
        # both backends: the same outcome, the same message, the same numbers
        outcomes = list(results.values())
        assert all(o[0] == outcomes[0][0] for o in outcomes), (position, c, outcomes)
        if kind == "ok":
            expected = {"input": lambda: reference.forward([number], [2.0, 0.5])}.get(position)
            if expected is not None:
                assert all(_same_numbers(o[1], expected()) for o in outcomes)
        else:
            assert all(o[1] == outcomes[0][1] for o in outcomes), (position, c, outcomes)


CONTAINERS = [
    {0: 0.5}, {0.5}, "0", b"0", (x for x in [0.5]), 0.5, None, Value(0.5), np.array([[0.5]]),
    np.array(["0.5"]), np.array([0.5], dtype=object), np.array([0.5 + 0j]),
    np.array([True]),  # Value(np.bool_(True)) is refused: so is an array of them
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("what", ["inputs", "parameters", "X"])
def test_containers_that_are_not_sequences_of_numbers_are_refused(graphs, backend, what):
    g = _graph(graphs, backend)
    messages = []
    for c in CONTAINERS:
        if what == "inputs":
            call = lambda: g.forward(c, [2.0, 0.5])  # noqa: E731
        elif what == "parameters":
            call = lambda: g.gradient([0.5], c)  # noqa: E731
        else:
            call = lambda: g.forward_array(c, [2.0, 0.5])  # noqa: E731
        kind, detail = _outcome(call)
        if what == "X" and isinstance(c, np.ndarray) and c.dtype.kind == "f":
            assert kind == "ok"  # a (1, 1) array of floats is a data set of one row
            continue
        if what == "parameters" and c is None:
            assert kind == "ok"  # documented: None means the recorded parameters' .data
            continue
        assert kind in (TypeError, ValueError), (what, c, kind, detail)
        messages.append(detail)
    assert all(len(m) < 300 for m in messages)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("order, error", [
    ([True, False], TypeError), ([0.0], TypeError), (["0"], TypeError), ([None], TypeError),
    ({0: 0}, TypeError), ({0}, TypeError), ("0", TypeError), (np.array([True]), TypeError),
    (np.array([0.0]), TypeError), (np.array([[0]]), TypeError), ([1], IndexError), ([-2], IndexError),
    (np.array([5], dtype=np.uint8), IndexError), ((k for k in [0]), TypeError),
])
def test_an_order_holds_integer_row_indices_only(graphs, backend, order, error):
    g = _graph(graphs, backend)
    p = [2.0, 0.5]
    with pytest.raises(error) as info:
        g.sgd_run([[0.5]], order, p, 0.1)
    assert p == [2.0, 0.5] and len(str(info.value)) < 300
    assert "order" in str(info.value) or "row index" in str(info.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_accepted_orders_give_the_eager_steps(graphs, backend):
    g = _graph(graphs, backend)
    expected = [2.0, 0.5]
    for k in [0, -1, 1, 0]:
        g.sgd_step([[0.25, 1.5][k]], expected, 0.1)
    for order in ([0, -1, 1, 0], (0, 1, 1, 0), range(0, 1), np.array([0, 1, 1, 0], dtype=np.int32),
                  np.array([0, -1, 1, 0], dtype=np.int64), []):
        p = [2.0, 0.5]
        g.sgd_run([[0.25], [1.5]], order, p, 0.1)
        if isinstance(order, range) or len(order) != 4:
            continue
        assert p == expected, (order, p, expected)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32, np.float16, np.bool_, np.complex128])
def test_parameter_arrays_that_would_lose_or_round_the_update_are_refused(graphs, backend, dtype):
    g = _graph(graphs, backend)
    for call in (lambda p: g.sgd_step([0.5], p, 0.1), lambda p: g.sgd_run([[0.5]], [0], p, 0.1)):
        p = np.array([2, 1], dtype=dtype)
        before = p.copy()
        with pytest.raises(TypeError, match=rf"dtype {np.dtype(dtype)} .* would lose or round the update"):
            call(p)
        assert np.array_equal(p, before)


@pytest.mark.parametrize("backend", BACKENDS)
def test_parameter_containers_updated_in_place(graphs, backend):
    g = _graph(graphs, backend)
    ref = [2.0, 0.5]
    g.sgd_step([0.5], ref, 0.1)
    p = np.array([2.0, 0.5])
    g.sgd_step([0.5], p, 0.1)
    assert p.tolist() == ref
    for bad, message in ((np.array([2.0, 0.5])[::-1][::-1].copy().reshape(1, 2), r"shape \(1, 2\)"),
                         (np.array([2.0, 0.0, 0.5])[::2], "would lose or round"),
                         ((2.0, 0.5), "updated in place"), ({0: 2.0, 1: 0.5}, "updated in place"),
                         ("ab", "updated in place")):
        with pytest.raises(TypeError, match=message):
            g.sgd_step([0.5], bad, 0.1)
    frozen = np.array([2.0, 0.5])
    frozen.flags.writeable = False
    with pytest.raises(TypeError, match="writeable"):
        g.sgd_run([[0.5]], [0], frozen, 0.1)
    with pytest.raises(ValueError, match="expected 2 parameters, got 3"):
        g.sgd_step([0.5], [2.0, 0.5, 1.0], 0.1)
    bad_list = [2.0, "0.5"]
    with pytest.raises(TypeError, match=r"parameters\[1\] must be a real number"):
        g.sgd_run([[0.5], [1.0]], [0, 1], bad_list, 0.1)
    assert bad_list == [2.0, "0.5"]


def test_both_backends_give_the_same_messages(graphs):
    if "numba" not in graphs:
        pytest.skip("numba is not installed")
    calls = [lambda g: g.forward(["5"], [2.0, 0.5]), lambda g: g.sgd_step([0.5], [2.0, 0.5], "0.1"),
             lambda g: g.sgd_run([[None]], [0], [2.0, 0.5], 0.1), lambda g: g.sgd_run([[0.5]], [True], [2.0, 0.5], 0.1),
             lambda g: g.sgd_step([0.5], np.array([2, 1]), 0.1), lambda g: g.forward_array(np.array([["1"]]), None),
             lambda g: g.gradient({0: 0.5}, None), lambda g: g.forward([decimal.Decimal(1)], None)]
    for call in calls:
        outcomes = [_outcome(lambda: call(graphs[b])) for b in ("python", "numba")]
        assert outcomes[0] == outcomes[1] and outcomes[0][0] is not None and outcomes[0][0] != "ok"
