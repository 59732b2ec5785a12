"""A user's row of the operation table (engine.define, issue 22 item 4): everything a built-in row gets,
checked against PyTorch (float64) and central finite differences, the compiled backends bit for bit
with eager, and the refusals of malformed rows with messages that name the row and the problem."""

import copy
import math
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import RuleError, Value

ROOT = Path(__file__).resolve().parent.parent

# Rows defined once for the module (a row is a process-wide name, as a built-in's).
wave = engine.define("t22_wave", ("a",), "sin(a)", ("cos(a)",), symbol="∿")
hyp = engine.define("t22_hyp", ("a", "b"), "sqrt(a * a + b * b)", ("a / out", "b / out"))
# math functions with two arguments, and a term written in g
angle = engine.define("t22_angle", ("y", "x"), "atan2(y, x)",
                      (engine.term("g * x / (x * x + y * y)"), engine.term("-(g * y) / (x * x + y * y)")))


def _cube(x):
    return x * x * x


def _cube_prime(x):
    return 3.0 * x * x


# a Python function of the user's in the forward rule only (its derivative written in the table's terms)
cube = engine.define("t22_cube", ("a",), "cube(a)", ("3.0 * a * a",), functions={"cube": _cube})
# ... and one called by the partial too (differentiable once, not twice)
cube2 = engine.define("t22_cube2", ("a",), "cube(a)", ("cube_prime(a)",),
                      functions={"cube": _cube, "cube_prime": _cube_prime})


def _f(a, b, c):
    """A graph that uses every row above with built-in ones around them."""
    return hyp(wave(a) * b, c) + angle(b, c - 3.0) * cube(a) - (a * c).tanh()


def _torch_f(a, b, c):
    import torch
    return (torch.sqrt((torch.sin(a) * b) ** 2 + c ** 2) + torch.atan2(b, c - 3.0) * a ** 3
            - torch.tanh(a * c))


POINTS = [(0.7, -1.3, 0.4), (-2.1, 0.6, 1.9), (1.2, 2.0, -0.8)]


def _eager(f, point):
    xs = [Value(p) for p in point]
    out = f(*xs)
    out.backward()
    return out.data, [x.grad for x in xs]


@pytest.mark.parametrize("point", POINTS)
def test_user_rows_values_gradients_against_finite_differences(point):
    value, grads = _eager(_f, point)
    numeric = engine.numerical_gradient(_f, point)
    np.testing.assert_allclose(grads, numeric, rtol=1e-7, atol=1e-8)
    assert engine.gradient_error(_f, point) < 1e-7


@pytest.mark.parametrize("point", POINTS)
def test_user_rows_against_torch_values_gradients_hessians(point):
    torch = pytest.importorskip("torch")
    from torch.autograd.functional import hessian
    t = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    tout = _torch_f(*t)
    tout.backward()
    value, grads = _eager(_f, point)
    assert value == pytest.approx(tout.item(), rel=1e-14, abs=1e-15)
    np.testing.assert_allclose(grads, [x.grad.item() for x in t], rtol=1e-13, atol=1e-14)
    th = hessian(lambda *xs: _torch_f(*xs), tuple(torch.tensor(p, dtype=torch.float64) for p in point))
    th = np.array([[th[i][j].item() for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(engine.hessian(_f, point), th, rtol=1e-12, atol=1e-12)


def test_user_rows_hessian_against_finite_differences_of_gradients():
    point = POINTS[0]
    h = 1e-6
    rows = []
    for i in range(3):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        rows.append((np.array(_eager(_f, up)[1]) - np.array(_eager(_f, down)[1])) / (2 * h))
    np.testing.assert_allclose(engine.hessian(_f, point), np.array(rows).T, rtol=1e-6, atol=1e-6)


def _compile_case(backend):
    a, b, c = Value(0.7, label="a"), Value(-1.3, label="b"), Value(0.4, label="c")
    x = Value(0.25, label="x")
    out = (_f(a * x, b, c) - 1.0) ** 2
    return out, [x], [a, b, c], engine.compile(out, [x], [a, b, c], input_grads=True, backend=backend)


def _same(u, v):
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    return u.shape == v.shape and np.array_equal(u.view(np.int64), v.view(np.int64))


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_compiled_user_rows_bit_for_bit_with_eager(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    out, xs, ps, _ = _compile_case("python")
    if backend == "numba":  # the Python function cube has no numba twin: refused (tested below)
        with pytest.raises(engine.CompileError):
            engine.compile(out, xs, ps, backend="numba")
        return
    _, _, _, cg = _compile_case(backend)
    X = np.array([[0.25], [-0.5], [1.5]])
    p0 = [0.7, -1.3, 0.4]
    eager_vals, eager_pg, eager_xg = [], [], []
    for (xv,) in X.tolist():
        ea, eb, ec, ex = Value(p0[0]), Value(p0[1]), Value(p0[2]), Value(xv)
        e = (_f(ea * ex, eb, ec) - 1.0) ** 2
        e.backward()
        eager_vals.append(e.data)
        eager_pg.append([ea.grad, eb.grad, ec.grad])
        eager_xg.append([ex.grad])
        value, pg, xg = cg.gradient([xv], p0)
        assert _same(value, e.data) and _same(pg, [ea.grad, eb.grad, ec.grad]) and _same(xg, [ex.grad])
    # the NumPy path: user rows and math functions run element by element through the scalar code
    assert _same(cg.forward_array(X, p0), eager_vals)
    vals, pg, xg = cg.gradient_array(X, p0)
    assert _same(vals, eager_vals) and _same(pg, eager_pg) and _same(xg, eager_xg)
    # sgd_step and sgd_run against eager steps
    p = list(p0)
    eager_p = list(p0)
    for (xv,) in X.tolist():
        cg.sgd_step([xv], p, 0.05)
        vs = [Value(q) for q in eager_p]
        e = (_f(vs[0] * xv, vs[1], vs[2]) - 1.0) ** 2
        e.backward()
        eager_p = [q.data - 0.05 * q.grad for q in vs]
    assert _same(p, eager_p)
    q = np.array(p0)
    cg.sgd_run(X, [0, 1, 2], q, 0.05)
    assert _same(q, eager_p)


@pytest.fixture(scope="module")
def numba_rows():
    numba = pytest.importorskip("numba")
    cube_nb = numba.njit(_cube)
    row = engine.define("t22_cube_nb", ("a",), "cube(a)", ("3.0 * a * a",), functions={"cube": cube_nb})
    return row


def test_numba_user_rows_with_a_numba_function_bit_for_bit(numba_rows):
    cube_nb = numba_rows
    a, b, c, x = Value(0.7), Value(-1.3), Value(0.4), Value(0.25)

    def f(a, b, c, x):
        return (hyp(wave(a * x) * b, c) + angle(b, c - 3.0) * cube_nb(a)) ** 2

    out = f(a, b, c, x)
    py = engine.compile(out, [x], [a, b, c], input_grads=True)
    nb = engine.compile(out, [x], [a, b, c], input_grads=True, backend="numba")
    X = np.array([[0.25], [-0.5], [1.5]])
    p0 = [0.7, -1.3, 0.4]
    for (xv,) in X.tolist():
        vs = [Value(q) for q in p0] + [Value(xv)]
        e = f(*vs)
        e.backward()
        for cg in (py, nb):
            value, pg, xg = cg.gradient([xv], p0)
            assert _same(value, e.data) and _same(pg, [v.grad for v in vs[:3]]) and _same(xg, [vs[3].grad])
    assert _same(nb.forward_array(X, p0), py.forward_array(X, p0))
    for got, want in zip(nb.gradient_array(X, p0), py.gradient_array(X, p0)):
        assert _same(got, want)
    p, q = list(p0), np.array(p0)
    py.sgd_run(X, [2, 0, 1, 1], p, 0.1)
    nb.sgd_run(X, [2, 0, 1, 1], q, 0.1)
    assert _same(p, q)


def test_numba_refuses_a_python_function_with_a_clear_message():
    pytest.importorskip("numba")
    a = Value(0.5)
    with pytest.raises(engine.CompileError, match=r"'t22_cube' calls 'cube', a Python function.*numba\.njit"):
        engine.compile(cube(a) * 2, [], [a], backend="numba")
    # the Python backend takes it, bit for bit with eager
    cg = engine.compile(cube(a) * 2, [], [a])
    out = cube(a) * 2
    out.backward()
    assert cg.gradient([], [0.5]) == (out.data, (a.grad,))


def test_second_derivatives_through_a_users_python_function_are_refused_clearly():
    # once: fine
    value, grads = _eager(lambda a: cube2(a) * a, [1.5])
    assert grads == [4 * 1.5 ** 3]
    with pytest.raises(TypeError, match=r"cube_prime.*t22_cube2.*works on numbers, not on Values"):
        engine.hessian(lambda a: cube2(a) * a, [1.5])


def test_second_derivatives_through_a_math_function_without_a_row_are_refused_clearly():
    sh = engine.define("t22_sinh", ("a",), "sinh(a)", ("cosh(a)",))
    assert _eager(lambda a: sh(a), [0.5])[1] == [math.cosh(0.5)]
    with pytest.raises(TypeError, match=r"cosh \(called by a partial of the row 't22_sinh'\) has no operation "
                                        r"in the table.*write that partial with the functions that have one"):
        engine.hessian(lambda a: sh(a) * a, [0.5])
    # written as the message says, the Hessian is exact: d²/da² a sinh a = 2 cosh a + a sinh a
    sh2 = engine.define("t22_sinh2", ("a",), "sinh(a)", ("0.5 * (exp(a) + exp(-a))",))
    h = engine.hessian(lambda a: sh2(a) * a, [0.5])
    assert h[0, 0] == pytest.approx(2 * math.cosh(0.5) + 0.5 * math.sinh(0.5), rel=1e-14)


def test_drawing_shows_the_symbol_and_step_tables_the_rows():
    a, b = Value(0.3, label="a"), Value(-0.4, label="b")
    out = hyp(wave(a), b)
    out.backward()
    source = engine.draw_graph(out).source
    assert "∿" in source and "t22_hyp" in source
    assert wave(a)._op == "∿" and out._op == "t22_hyp"
    table = engine.backward_table(out)
    steps = list(engine.backward_steps(out))
    assert [s.node.op for s in steps] == ["t22_hyp", "t22_wave"]
    r = math.hypot(math.sin(0.3), -0.4)
    assert steps[0].local_derivatives == pytest.approx((math.sin(0.3) / r, -0.4 / r), rel=1e-15)
    assert steps[1].local_derivatives == (math.cos(0.3),)
    assert "t22_hyp" in table and "∿" in table
    assert engine.local_derivatives(out) == steps[0].local_derivatives


def test_pickling_and_deepcopy_find_the_row_by_name():
    a, b = Value(0.3, label="a"), Value(-0.4)
    out = hyp(wave(a), b) * 2
    for copied in (pickle.loads(pickle.dumps(out)), copy.deepcopy(out)):
        inner = copied.inputs[0]
        assert inner.operation is hyp.op and inner.inputs[0].operation is wave.op
        copied.backward()
        fresh_a = inner.inputs[0].inputs[0]
        ref_a = Value(0.3)
        ref = hyp(wave(ref_a), -0.4) * 2
        ref.backward()
        assert fresh_a.grad == ref_a.grad and copied.inputs[1].is_constant


def test_unpickling_a_row_not_defined_says_so_then_works_once_defined(tmp_path):
    blob = tmp_path / "graph.pkl"
    a = Value(0.3)
    blob.write_bytes(pickle.dumps(hyp(wave(a), 0.5)))
    script = textwrap.dedent(f"""
        import pickle, sys
        sys.path.insert(0, {str(ROOT)!r})
        import engine
        data = open({str(blob)!r}, "rb").read()
        try:
            pickle.loads(data)
        except LookupError as e:
            print("refused:", e)
        engine.define("t22_wave", ("a",), "sin(a)", ("cos(a)",))
        engine.define("t22_hyp", ("a", "b"), "sqrt(a * a + b * b)", ("a / out", "b / out"))
        out = pickle.loads(data)
        out.backward()
        print("grad", out.inputs[0].inputs[0].grad)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "refused: no operation 't22_" in done.stdout and "engine.define" in done.stdout
    ref = Value(0.3)
    hyp(wave(ref), 0.5).backward()
    assert f"grad {ref.grad!r}" in done.stdout


# ------------------------------------------------------------------ malformed rows

@pytest.mark.parametrize("args, kwargs, message", [
    (("t22_bad", ("a",), "sin(a", ("cos(a)",)), {}, r"'t22_bad', forward rule: 'sin\(a' is not a Python expression"),
    (("t22_bad", ("a",), "sin(a)", ("cos(a",)), {}, r"'t22_bad', partial d\(out\)/da: 'cos\(a' is not"),
    (("t22_bad", ("a", "b"), "a * b", ("b",)), {}, r"'t22_bad': 2 inputs a, b need 2 partials, got 1"),
    (("t22_bad", ("a",), "a", ("1.0", "2.0")), {}, r"'t22_bad': 1 input a need 1 partials, got 2"),
    (("t22_bad", ("a",), "sin(c)", ("1.0",)), {}, r"'t22_bad', forward rule: unknown name 'c'"),
    (("t22_bad", ("a",), "sine(a)", ("1.0",)), {}, r"'t22_bad', forward rule: unknown function 'sine'"),
    (("t22_bad", ("a",), "a", ("b",)), {}, r"'t22_bad', partial d\(out\)/da: unknown name 'b'"),
    (("t22_bad", ("a",), "atan2(a)", ("1.0",)), {}, r"'t22_bad', forward rule: atan2 takes 2 arguments, got 1"),
    (("t22_bad", ("a",), "a", (engine.term("2.0 * a"),)), {}, r"'t22_bad', partial d\(out\)/da: a term\(\.\.\.\) .* must use g"),
    (("t22_bad", ("a",), "a + g", ("1.0",)), {}, r"'t22_bad', forward rule: unknown name 'g'"),
    (("t22_bad", ("out",), "out", ("1.0",)), {}, r"'t22_bad': 'out' cannot name an input"),
    (("t22_bad", ("g", "a"), "a", ("1.0", "1.0")), {}, r"'t22_bad': 'g' cannot name an input"),
    (("t22_bad", ("a", "a"), "a", ("1.0", "1.0")), {}, r"'t22_bad': an input name appears twice"),
    (("t22_bad", ("a",), "a.real", ("1.0",)), {}, r"'t22_bad', forward rule: Attribute is not allowed"),
    (("t22_bad", ("a",), "'a'", ("1.0",)), {}, r"'t22_bad', forward rule: only numbers may appear"),
    (("t22_bad", ("a",), "a if a > 0 else 0", ("1.0",)), {}, r"'t22_bad', forward rule: IfExp is not allowed"),
    (("t22_bad", ("a",), "__import__('os')", ("1.0",)), {}, r"'t22_bad', forward rule: unknown function '__import__'"),
])
def test_malformed_rows_are_refused_naming_the_row_and_the_problem(args, kwargs, message):
    with pytest.raises(RuleError, match=message):
        engine.define(*args, **kwargs)
    assert "t22_bad" not in engine.OPS


@pytest.mark.parametrize("name", ["add", "sin", "sqrt", "affine", "times", "powd"])
def test_a_name_of_the_table_is_refused(name):
    with pytest.raises(ValueError, match=rf"'{name}' is a built-in operation of the table"):
        engine.define(name, ("a",), "a", ("1.0",))
    assert engine.OPS[name].builtin


@pytest.mark.parametrize("name, message", [
    ("2x", "must be a Python identifier"), ("class", "must be a Python identifier"), ("", "must be a Python identifier"),
])
def test_a_name_that_is_no_identifier_is_refused(name, message):
    with pytest.raises(ValueError, match=message):
        engine.define(name, ("a",), "a", ("1.0",))


@pytest.mark.parametrize("functions, message", [
    ({"sin": math.sin}, r"the function name 'sin' is taken by the engine's own functions"),
    ({"sigmoid": math.sin}, r"the function name 'sigmoid' is taken"),
    ({"a": math.sin}, r"the function name 'a' is taken .* the row's names"),
    ({"f": 3.0}, r"functions\['f'\] must be callable"),
])
def test_bad_functions_are_refused(functions, message):
    with pytest.raises((ValueError, TypeError), match=message):
        engine.define("t22_badf", ("a",), "a", ("1.0",), functions=functions)
    assert "t22_badf" not in engine.OPS


def test_defining_a_name_again_replaces_the_row_and_built_graphs_keep_theirs():
    first = engine.define("t22_again", ("a",), "2.0 * a", ("2.0",))
    a = Value(1.5)
    old = first(a)
    second = engine.define("t22_again", ("a",), "3.0 * a", ("3.0",))
    new = second(a)
    old.backward()
    assert a.grad == 2.0
    a.grad = 0.0
    new.backward()
    assert (old.data, new.data, a.grad) == (3.0, 4.5, 3.0)
    assert engine.OPS["t22_again"] is second.op


def test_a_row_applies_to_numbers_and_refuses_what_value_refuses():
    assert hyp(3, 4).data == 5.0 and hyp(Value(3.0), 4.0).inputs[1].is_constant
    with pytest.raises(TypeError, match="t22_hyp"):
        hyp("3", 4)
    with pytest.raises(engine.DomainError):
        engine.define("t22_root", ("a",), "sqrt(a)", ("0.5 / out",))(-1.0)
