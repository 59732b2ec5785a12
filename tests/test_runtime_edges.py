"""Every function of every runtime pinned at its edges (issue 25 items 14, 16 and 17), through the
public paths: each row of the table at ±0, ±1, ±inf, NaN, huge and tiny numbers and its branch points,
evaluated eagerly (the Python runtime), by compiled Python code (the same, generated), by
forward_array/gradient_array (the NumPy runtime), by the numba backend (the numba runtime) and as a
gradient graph (the Values runtime): the same numbers or the same refusal everywhere, and PyTorch's
numbers wherever the engine gives one, except at the documented differences of convention.

One compiled graph holds every case: out = Σ_k s_k · op_k(inputs_k), so that d out/d s_k is op_k's
value and d out/d input is op_k's local derivative, each case on its own inputs; a row of X puts the
case under test at its edge point and every other case at a harmless 0.5."""

import itertools
import math
import struct
import warnings

import numpy as np
import pytest

import engine
from engine import DomainError, Value, affine
from engine.higher import values as on_values

INF, NAN = math.inf, math.nan
UNARY_POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0, INF, -INF, NAN, 1e308, -1e308, 5e-324, -5e-324,
                710.0, -710.0, 40.0, -40.0,
                0.1,  # where softplus's two formulas (a + log1p(e^-a), log1p(e^a)) round differently
                0.9, -0.25]  # where sigmoid's two (1 / (1 + e^-a), e^a / (1 + e^a)) do
BINARY_POINTS = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -3.0, INF, -INF, NAN]

# name -> (number of inputs, function of Values, torch function or None)
CASES = {
    "add": (2, lambda a, b: a + b, lambda t, a, b: a + b),
    "sub": (2, lambda a, b: a - b, lambda t, a, b: a - b),
    "mul": (2, lambda a, b: a * b, lambda t, a, b: a * b),
    "div": (2, lambda a, b: a / b, lambda t, a, b: a / b),
    "pow": (2, lambda a, b: a ** b, lambda t, a, b: a ** b),
    "max": (2, lambda a, b: a.max(b), lambda t, a, b: t.maximum(a, b)),
    "affine": (3, lambda b, w, x: affine([w], [x], b), lambda t, b, w, x: b + w * x),
    "neg": (1, lambda a: -a, lambda t, a: -a),
    "exp": (1, lambda a: a.exp(), lambda t, a: t.exp(a)),
    "log": (1, lambda a: a.log(), lambda t, a: t.log(a)),
    "tanh": (1, lambda a: a.tanh(), lambda t, a: t.tanh(a)),
    "sigmoid": (1, lambda a: a.sigmoid(), lambda t, a: t.sigmoid(a)),
    "relu": (1, lambda a: a.relu(), lambda t, a: t.relu(a)),
    "softplus": (1, lambda a: a.softplus(), lambda t, a: t.nn.functional.softplus(a)),
    "sin": (1, lambda a: a.sin(), lambda t, a: t.sin(a)),
    "cos": (1, lambda a: a.cos(), lambda t, a: t.cos(a)),
    "sqrt": (1, lambda a: a.sqrt(), lambda t, a: t.sqrt(a)),
    "abs": (1, lambda a: abs(a), lambda t, a: t.abs(a)),
    # the rows of gradient graphs, and the power with a number exponent at its branch points
    "step": (1, lambda a: on_values.step(a), None),
    "sign": (1, lambda a: on_values.sign(a), None),
    "times": (2, lambda a, b: on_values.times(a, b), None),
    "ge": (2, lambda a, b: on_values.ge(a, b), None),
    "powd": (2, lambda a, b: on_values.power_d(a, b), None),
    "quot": (2, lambda a, b: on_values.quotient(a, b), None),
}
for _n in (0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5):
    CASES[f"powc{_n:g}"] = (1, (lambda n: lambda a: a ** n)(_n), (lambda n: lambda t, a: a ** n)(_n))
    CASES[f"powdc{_n:g}"] = (1, (lambda n: lambda a: on_values.power_d(a, n))(_n), None)

NAMES = sorted(CASES)
SAFE = 0.5


def _points(name):
    arity = CASES[name][0]
    if arity == 1:
        return [(p,) for p in UNARY_POINTS]
    if arity == 2:
        return list(itertools.product(BINARY_POINTS, repeat=2))
    return list(itertools.product([0.0, -0.0, 1.0, -1.0, INF, NAN], repeat=3))


def _bits(x):
    return struct.unpack("<q", struct.pack("<d", x))[0]


def same(u, v):
    return (u != u and v != v) or _bits(u) == _bits(v)


def close(u, v, ulps=2):
    """Equal, or within a few units in the last place (NumPy's exp, log, tanh and pow are not the C
    library's and may differ from it in the last bit; see engine/runtimes/numpy.py)."""
    if same(u, v) or (u == v and u != 0.0):  # a zero's sign counts (relu(-0.0) is 0.0)
        return True
    if not (math.isfinite(u) and math.isfinite(v)) or (u > 0) != (v > 0):
        return False
    return abs(_bits(u) - _bits(v)) <= ulps


def _eager(name, point):
    """(value, partials) of the case at point, or the type of the error that refuses it."""
    arity, fn, _ = CASES[name]
    xs = [Value(p) for p in point]
    try:
        out = fn(*xs)
    except (DomainError, ZeroDivisionError) as e:
        return type(e)
    for x in xs:
        x.grad = None  # the pass's own gradient, as compiled code returns it
    out.backward()
    return out.data, [x.grad for x in xs]


@pytest.fixture(scope="module")
def table():
    """Every case at every point, eagerly: the reference the other paths are compared with."""
    # lists, not dicts: 0.0 and -0.0 are equal keys
    return {name: [(point, _eager(name, point)) for point in _points(name)] for name in NAMES}


@pytest.fixture(scope="module")
def big_graph():
    """(output, inputs, scales, slices): every case on inputs of its own, weighted by a scale."""
    inputs, scales, nodes, slices = [], [], [], {}
    for name in NAMES:
        arity, fn, _ = CASES[name]
        xs = [Value(SAFE, label=f"{name}{i}") for i in range(arity)]
        slices[name] = slice(len(inputs), len(inputs) + arity)
        inputs += xs
        scales.append(Value(1.0, label=f"s_{name}"))
        nodes.append(fn(*xs))
    out = affine(scales, nodes)
    return out, inputs, scales, slices


def _row(big, name, point):
    out, inputs, scales, slices = big
    row = [SAFE] * len(inputs)
    row[slices[name]] = point
    return row


def _check(name, point, reference, value, partials, exact=True):
    if reference is not None and isinstance(reference, type):
        raise AssertionError(f"{name}{point}: eager refuses ({reference.__name__}), this path gave {value}")
    want_value, want_partials = reference
    ok = same if exact else close
    assert ok(value, want_value), (name, point, value, want_value)
    for got, want in zip(partials, want_partials):
        assert ok(got, want), (name, point, "partial", got, want)


def _compiled_paths(big, backend):
    out, inputs, scales, slices = big
    return engine.compile(out, inputs, scales, input_grads=True, backend=backend)


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_every_row_at_its_edges_compiled_and_arrays_as_eager(table, big_graph, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    cg = _compiled_paths(big_graph, backend)
    out, inputs, scales, slices = big_graph
    k_of = {name: k for k, name in enumerate(NAMES)}
    p = [1.0] * len(scales)
    accepted = []
    for name in NAMES:
        for point, reference in table[name]:
            row = _row(big_graph, name, point)
            if isinstance(reference, type):  # refused eagerly: refused here with the same error
                with pytest.raises(reference):
                    cg.gradient(row, p)
                with pytest.raises(reference):
                    cg.forward_array(np.array([row]), p)
                continue
            _, pgrads, xgrads = cg.gradient(row, p)
            _check(name, point, reference, pgrads[k_of[name]], xgrads[slices[name]])
            accepted.append((name, point, reference, row))
    # all accepted rows in one array call (NumPy runtime, or numba's loop over the scalar kernel)
    X = np.array([row for _, _, _, row in accepted])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # item 16: no RuntimeWarning leaks from the array path
        values, PG, XG = cg.gradient_array(X, p)
        forward = cg.forward_array(X, p)
    assert np.array_equal(values, forward, equal_nan=True)
    for (name, point, reference, _), pg, xg in zip(accepted, PG, XG):
        _check(name, point, reference, pg[k_of[name]], xg[slices[name]], exact=backend == "numba")
    assert len(accepted) > 600


def test_gradient_graphs_hold_the_eager_numbers_at_the_edges(table):
    """The Values runtime: grad(create_graph=True) gives backward()'s partials, bit for bit."""
    for name in NAMES:
        arity, fn, _ = CASES[name]
        for point, reference in table[name]:
            if isinstance(reference, type):
                continue
            xs = [Value(p) for p in point]
            grads = engine.grad(fn(*xs), xs, create_graph=True)
            for got, want in zip(grads, reference[1]):
                assert same(got.data, want), (name, point, got.data, want)


def _torch_reference(torch, name, point):
    _, _, tfn = CASES[name]
    ts = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    out = tfn(torch, *ts)
    grads = torch.autograd.grad(out, ts, allow_unused=True)
    return out.item(), [0.0 if g is None else g.item() for g in grads]


def _known_difference(name, point):
    """The documented differences of convention from PyTorch (engine/rules/table.py)."""
    a = point[0]
    b = point[1] if len(point) > 1 else None
    if name == "max" and (a == b or a != a or b != b):
        return True  # a tie goes to the first argument (PyTorch's maximum splits it in halves); at a NaN
        # the gradient goes to one argument (ge(a, b) for a, 1 - ge(a, b) for b), PyTorch's to both
    if name == "relu" and _bits(a) == _bits(-0.0):
        return True  # relu(-0.0) is 0.0 here ("not a <= 0"); PyTorch's (and micrograd's) keep -0.0
    if name == "abs" and a != a:
        return True  # abs'(NaN) is NaN here (PyTorch: 0): a NaN input shows in the gradient
    if name == "powc0.5" and _bits(a) == _bits(-0.0):
        return True  # d/da a ** 0.5 at -0.0: 0.5 * pow(-0.0, -0.5) = +inf (C's pow, as for every other
        # exponent); PyTorch differentiates x ** 0.5 as a square root, 0.5 / sqrt(-0.0) = -inf
    if name == "sigmoid" and a < -708.0:
        return True  # e^a / (1 + e^a) keeps the subnormal value; PyTorch's 1 / (1 + e^-a) gives 0
    return False


def test_every_row_against_torch_at_its_edges(table):
    torch = pytest.importorskip("torch")
    compared = 0
    for name in NAMES:
        if CASES[name][2] is None:
            continue
        for point, reference in table[name]:
            if isinstance(reference, type) or _known_difference(name, point):
                continue
            t_value, t_partials = _torch_reference(torch, name, point)
            compared += 1
            assert close(reference[0], t_value, ulps=4), (name, point, reference[0], t_value)
            for got, want in zip(reference[1], t_partials):
                # a partial such as tanh' = 1 - out * out cancels: PyTorch's (fused) arithmetic
                # rounds it differently, hence a relative tolerance rather than a few units
                assert close(got, want, ulps=4) or (got == 0.0 and want == 0.0) or (
                    math.isfinite(got) and abs(got - want) <= 1e-13 * abs(want)), (name, point, got, want)
    assert compared > 500


# ------------------------------------------------------------------ the runtimes' functions themselves

def _scalar_outcome(fn, args):
    try:
        return fn(*args)
    except (DomainError, ZeroDivisionError) as e:
        return type(e)


def test_the_numpy_runtime_equals_the_python_runtime_function_by_function():
    from engine.runtimes import numpy as arrays, python as scalar
    points = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0, INF, -INF, NAN, 1e308, -1e308, 5e-324, 710.0, -710.0]
    checked = 0
    for name, fn in scalar.FUNCTIONS.items():
        arity = scalar.MATH.get(name) or fn.__code__.co_argcount
        for args in itertools.product(points, repeat=arity):
            want = _scalar_outcome(fn, args)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                try:
                    got = arrays.FUNCTIONS[name](*[np.array([a]) for a in args])
                    got = float(np.asarray(got).ravel()[0])
                except (DomainError, ZeroDivisionError) as e:
                    got = type(e)
            if isinstance(want, type) or isinstance(got, type):
                assert got is want, (name, args, got, want)
            else:
                assert close(got, want), (name, args, got, want)
            checked += 1
    assert checked > 2000


def test_compiled_gradient_graphs_of_powers_give_the_eager_numbers_at_zero():
    """Item 14: compile(grad(a ** n, create_graph=True)) at a = 0 gives what the eager gradient graph
    holds (and backward() gives): it used to refuse with ZeroDivisionError or DomainError."""
    backends = ["python"] + (["numba"] if _have_numba() else [])
    checked = 0
    for a0 in (0.0, -0.0, 2.0, -2.0, 1.0):
        for n in (0.0, 1.0, 2.0, 0.5, 3.0, -1.0, 1.5, 2.5):
            for exponent_is_value in (False, True):
                a, b = Value(a0), Value(n)
                try:
                    out = a ** b if exponent_is_value else a ** n
                except (DomainError, ZeroDivisionError):
                    continue
                ga, = engine.grad(out, [a], create_graph=True)
                gaa, = engine.grad(ga, [a], create_graph=True)
                a.grad = None
                out.backward()
                assert same(ga.data, a.grad)
                leaves = [a, b] if exponent_is_value else [a]
                for target in (ga, gaa):
                    for backend in backends:
                        cg = engine.compile(target, [], leaves, backend=backend)
                        got = cg.forward([], [v.data for v in leaves])
                        assert same(got, target.data), (a0, n, exponent_is_value, backend, got, target.data)
                        checked += 1
    # sqrt'(0) = 0.5 / 0 and d/da sqrt(a) ** 3 ... : a quotient at 0 compiled
    a = Value(0.0)
    ga, = engine.grad(a.sqrt() * 2.0, [a], create_graph=True)
    assert engine.compile(ga, [], [a]).forward([], [0.0]) == math.inf == ga.data
    assert checked > 100


def _have_numba():
    try:
        import numba  # noqa: F401
        return True
    except ImportError:
        return False


def test_compiled_gradient_graphs_of_every_row_hold_the_eager_numbers_at_the_edges(table):
    """Item 14's class for every row: a gradient graph (create_graph=True) built at an edge point and
    compiled computes there what the eager gradient graph holds. All of them in one compiled graph:
    out = Σ s_k g_k, whose gradient with respect to s_k is g_k."""
    grads, leaves = [], []
    for name in NAMES:
        fn = CASES[name][1]
        for point, reference in table[name]:
            if isinstance(reference, type):
                continue
            xs = [Value(p) for p in point]
            for g in engine.grad(fn(*xs), xs, create_graph=True):
                if not g.is_leaf:
                    grads.append(g)
            leaves += xs
    scales = [Value(1.0) for _ in grads]
    cg = engine.compile(affine(scales, grads), [], scales + leaves)
    _, pgrads = cg.gradient([], [1.0] * len(scales) + [v.data for v in leaves])
    assert len(grads) > 1500
    for g, got in zip(grads, pgrads):
        assert same(got, g.data), (got, g.data, g.op)


# the functions of Python's math module that rules may call, and PyTorch's
TORCH_MATH = {"acos": "acos", "acosh": "acosh", "asin": "asin", "asinh": "asinh", "atan": "atan", "atanh": "atanh",
              "cos": "cos", "cosh": "cosh", "erf": "erf", "erfc": "erfc", "expm1": "expm1", "fabs": "abs",
              "lgamma": "lgamma", "log10": "log10", "log1p": "log1p", "log2": "log2", "sin": "sin", "sinh": "sinh",
              "sqrt": "sqrt", "tan": "tan", "atan2": "atan2", "copysign": "copysign", "fmod": "fmod",
              "hypot": "hypot"}


def test_the_math_functions_rules_may_call_against_torch_at_their_edges():
    """The Python runtime's wrappers of math (the reference for every runtime): IEEE's value where
    PyTorch gives a number (an overflow is the signed infinity: cosh(-1000) = +inf, sinh(-1000) =
    -inf), and a DomainError exactly where PyTorch's answer is NaN or an infinity from arguments where
    the function cannot overflow."""
    torch = pytest.importorskip("torch")
    from engine.runtimes import python as scalar
    points = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, 1000.0, -1000.0, INF, -INF, NAN, 5e-324, 1e308]
    checked = 0
    for name, arity in scalar.MATH.items():
        if name not in TORCH_MATH:
            continue
        tfn = getattr(torch, TORCH_MATH[name])
        for args in itertools.product(points, repeat=arity):
            want = tfn(*[torch.tensor(a, dtype=torch.float64) for a in args]).item()
            try:
                got = scalar.MATH_FUNCTIONS[name](*args)
            except DomainError:
                assert not math.isfinite(want) and not any(a != a for a in args), (name, args, want)
                continue
            checked += 1
            if math.isfinite(want):
                # a few units in the last place: Python's lgamma is its own, not the C library's
                # (and PyTorch flushes some subnormal results to 0: log1p(5e-324))
                assert got == want or abs(got - want) <= 1e-15 * abs(want) + 1e-307, (name, args, got, want)
            else:
                assert same(got, want), (name, args, got, want)
    assert checked > 400


@pytest.mark.parametrize("a", [0.0, -0.0, 0.1, 0.9, -0.25, -0.5, 0.75, 3.0, -3.0, 40.0, -40.0, 710.0, -710.0])
def test_sigmoid_and_softplus_use_the_formula_that_cannot_overflow(a):
    """The Python runtime's documented formulas, bit for bit: σ(a) = 1 / (1 + e^-a) for a >= 0 and
    e^a / (1 + e^a) for a < 0; softplus(a) = a + log1p(e^-a) for a > 0 and log1p(e^a) otherwise
    (the exponent is never positive). The points include ones where the other formula rounds
    differently."""
    def exp(x):
        return math.exp(x) if x < 709.0 else INF

    sigmoid = 1.0 / (1.0 + exp(-a)) if a >= 0.0 else exp(a) / (1.0 + exp(a))
    softplus = a + math.log1p(exp(-a)) if a > 0.0 else math.log1p(exp(a))
    assert same(Value(a).sigmoid().data, sigmoid) and same(Value(a).softplus().data, softplus)
    v = Value(a)
    v.grad = None
    v.softplus().backward()
    assert same(v.grad, sigmoid)  # softplus' = σ, the same function
