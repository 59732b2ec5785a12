"""Every primitive operation: values against closed forms, gradients against central finite
differences and (where installed) PyTorch in float64."""

import math

import pytest

from engine import OPS, Value, affine, exp, gradient_error, log, relu, sigmoid, softplus, tanh
from engine import numerical_gradient
from engine.higher.values import FUNCTIONS as NAMESPACE

# name -> (function of Values, points where it is smooth, closed-form value, closed-form gradient)
CASES = {
    "add": (lambda a, b: a + b, [(0.3, -1.2)], lambda a, b: a + b, lambda a, b: (1, 1)),
    "sub": (lambda a, b: a - b, [(0.3, -1.2)], lambda a, b: a - b, lambda a, b: (1, -1)),
    "mul": (lambda a, b: a * b, [(0.3, -1.2)], lambda a, b: a * b, lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, [(0.3, -1.2)], lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)),
    "pow": (lambda a, b: a ** b, [(1.3, -1.7), (0.4, 2.5)], lambda a, b: a ** b,
            lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
    "powc": (lambda a: a ** 3, [(-1.3,), (0.7,)], lambda a: a ** 3, lambda a: (3 * a ** 2,)),
    "neg": (lambda a: -a, [(0.3,)], lambda a: -a, lambda a: (-1,)),
    "exp": (lambda a: a.exp(), [(0.3,), (-2.0,)], math.exp, lambda a: (math.exp(a),)),
    "log": (lambda a: a.log(), [(0.3,), (5.0,)], math.log, lambda a: (1 / a,)),
    "tanh": (lambda a: a.tanh(), [(0.3,), (-2.0,)], math.tanh, lambda a: (1 - math.tanh(a) ** 2,)),
    "sigmoid": (lambda a: a.sigmoid(), [(0.3,), (-2.0,)], lambda a: 1 / (1 + math.exp(-a)),
                lambda a: (math.exp(-a) / (1 + math.exp(-a)) ** 2,)),
    "relu": (lambda a: a.relu(), [(0.3,), (-2.0,)], lambda a: max(a, 0.0), lambda a: (float(a > 0),)),
    "softplus": (lambda a: a.softplus(), [(0.3,), (-2.0,)], lambda a: math.log(1 + math.exp(a)),
                 lambda a: (1 / (1 + math.exp(-a)),)),
    "max": (lambda a, b: a.max(b), [(0.3, -1.2), (-0.4, 2.5)], max,
            lambda a, b: (float(a > b), float(b > a))),
    "affine": (lambda b, w1, x1, w2, x2: affine([w1, w2], [x1, x2], b),
               [(0.1, 0.5, -1.5, 2.0, 0.25)], lambda b, w1, x1, w2, x2: b + w1 * x1 + w2 * x2,
               lambda b, w1, x1, w2, x2: (1, x1, w1, x2, w2)),
    # the elementary functions (the rows of math's sin, cos, sqrt, fabs)
    "sin": (lambda a: a.sin(), [(0.3,), (-2.0,)], math.sin, lambda a: (math.cos(a),)),
    "cos": (lambda a: a.cos(), [(0.3,), (-2.0,)], math.cos, lambda a: (-math.sin(a),)),
    "sqrt": (lambda a: a.sqrt(), [(0.3,), (5.0,)], math.sqrt, lambda a: (0.5 / math.sqrt(a),)),
    "abs": (lambda a: abs(a), [(0.3,), (-2.0,)], abs, lambda a: (math.copysign(1.0, a),)),
    # the rows that gradient graphs use (engine.grad with create_graph=True)
    "sign": (lambda a: NAMESPACE["sign"](a), [(0.3,), (-2.0,)], lambda a: math.copysign(1.0, a),
             lambda a: (0.0,)),
    "step": (lambda a: NAMESPACE["step"](a), [(0.3,), (-2.0,)], lambda a: float(a > 0), lambda a: (0.0,)),
    "times": (lambda a, b: NAMESPACE["times"](a, b), [(0.3, -1.2)], lambda a, b: a * b, lambda a, b: (b, a)),
    "ge": (lambda a, b: NAMESPACE["ge"](a, b), [(0.3, -1.2), (-1.2, 0.3)],  # away from the jump at a == b
           lambda a, b: float(a >= b), lambda a, b: (0.0, 0.0)),
    # a partial's ** and / (IEEE's answers where the forward ones refuse; the same values elsewhere)
    "powd": (lambda a, b: NAMESPACE["power_d"](a, b), [(1.3, -1.7), (0.4, 2.5)], lambda a, b: a ** b,
             lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
    "powdc": (lambda a: NAMESPACE["power_d"](a, 3.0), [(-1.3,), (0.7,)], lambda a: a ** 3,
              lambda a: (3 * a ** 2,)),
    "quot": (lambda a, b: NAMESPACE["quotient"](a, b), [(0.3, -1.2)], lambda a, b: a / b,
             lambda a, b: (1 / b, -a / b**2)),
}


def test_every_declared_operation_has_a_case():
    from engine.rules.table import BUILTIN
    assert set(CASES) == set(BUILTIN) and set(BUILTIN) <= set(OPS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradient_match_closed_form_and_finite_differences(name):
    f, points, value, grad = CASES[name]
    for point in points:
        xs = [Value(p) for p in point]
        out = f(*xs)
        assert out.op == name
        assert out.data == pytest.approx(value(*point), rel=1e-15, abs=1e-15)
        out.backward()
        expected = grad(*point)
        for x, g in zip(xs, expected):
            assert x.grad == pytest.approx(g, rel=1e-13, abs=1e-15)
        assert gradient_error(f, point) < 1e-8


def test_numbers_on_either_side():
    v = Value(4.0)
    assert (2 * v).data == 8.0 and (v * 2).data == 8.0
    assert (1 - v).data == -3.0 and (v - 1).data == 3.0
    assert (10.0 / v).data == 2.5 and (v / 10.0).data == 0.4
    assert (1 + v).data == 5.0 and (v + 1).data == 5.0
    assert (2.0 ** Value(3.0)).data == 8.0 and (v ** 0.5).data == 2.0
    assert (+v) is v
    for expr, grad in [(lambda x: 1 - x, -1.0), (lambda x: 10.0 / x, -10.0 / 16),
                       (lambda x: 2.0 ** x, 16 * math.log(2))]:
        x = Value(4.0)
        expr(x).backward()
        assert x.grad == pytest.approx(grad, rel=1e-15)


def test_in_place_forms_build_new_nodes_like_micrograd():
    a = Value(2.0)
    b = a
    b += 1
    assert b is not a and a.data == 2.0 and b.data == 3.0 and b.op == "add"
    b *= a
    b -= 1
    b /= 2
    b **= 2
    assert b.data == pytest.approx(((3 * 2 - 1) / 2) ** 2)
    b.backward()
    # d/da of (((a + 1) a - 1) / 2)^2 = 2 * 2.5 * (2a + 1) / 2
    assert a.grad == pytest.approx(2 * 2.5 * 5 / 2)


def test_functions_mirror_the_methods():
    x = Value(0.7)
    for fn in (exp, log, tanh, sigmoid, relu, softplus):
        assert fn(x).data == getattr(x, fn.__name__)().data
        assert fn(0.7).data == getattr(Value(0.7), fn.__name__)().data  # numbers are lifted


@pytest.mark.parametrize("name,x,value,grad", [
    ("sigmoid", 1000.0, 1.0, 0.0), ("sigmoid", -1000.0, 0.0, 0.0),
    ("tanh", 1000.0, 1.0, 0.0), ("tanh", -1000.0, -1.0, 0.0),
    ("softplus", 1000.0, 1000.0, 1.0), ("softplus", -1000.0, 0.0, 0.0),
    ("sigmoid", 745.0, 1.0, 0.0), ("softplus", 710.0, 710.0, 1.0),
    ("softplus", -800.0, 0.0, 0.0),
])
def test_no_overflow_for_large_inputs(name, x, value, grad):
    v = Value(x)
    out = getattr(v, name)()
    out.backward()
    assert out.data == value and v.grad == grad
    assert math.isfinite(out.data) and math.isfinite(v.grad)


def test_moderate_inputs_keep_full_precision():
    # softplus(-40) = log1p(e^-40) ~ e^-40 must not round to 0; sigmoid(-40) likewise
    assert softplus(-40.0).data == pytest.approx(math.exp(-40), rel=1e-15)
    assert sigmoid(-40.0).data == pytest.approx(math.exp(-40) / (1 + math.exp(-40)), rel=1e-15)
    assert softplus(40.0).data == pytest.approx(40 + math.exp(-40), rel=1e-15)


def test_exp_overflows_to_infinity_and_is_reported():
    from engine import first_nonfinite
    x = Value(1000.0, label="x")
    y = (x.exp() * 0.5).tanh()
    assert y.data == 1.0  # tanh(inf) = 1: the infinity is hidden in the result...
    report = first_nonfinite(y)
    assert report is not None and report.field == "data" and report.node.op == "exp"  # ...not here


def test_relu_at_zero_has_derivative_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_pow_special_points():
    x = Value(0.0)
    (x ** 0.5).backward()
    assert x.grad == math.inf  # the derivative of sqrt at 0, not an error
    x = Value(-2.0)
    y = x ** 3  # negative base, integer exponent: fine, no gradient to the constant 3
    y.backward()
    assert y.data == -8.0 and x.grad == 12.0
    b = Value(2.0)
    z = Value(0.0) ** b
    z.backward()
    assert z.data == 0.0 and b.grad == 0.0


def test_affine_matches_mul_add_chain_exactly():
    w = [Value(0.3), Value(-1.1), Value(2.5)]
    x = [Value(0.7), 0.2, Value(-0.4)]
    b = Value(0.05)
    z = affine(w, x, b)
    chain = b + w[0] * x[0] + w[1] * x[1] + w[2] * x[2]
    assert z.data == chain.data  # same additions in the same order
    z.backward()
    g1 = [v.grad for v in w] + [b.grad, x[0].grad, x[2].grad]
    for v in w + [b, x[0], x[2]]:
        v.grad = 0.0  # zero_grad(): backward() adds into the leaves
    chain.backward()
    g2 = [v.grad for v in w] + [b.grad, x[0].grad, x[2].grad]
    assert g1 == g2
    assert len(z.inputs) == 7 and z.inputs[0] is b and z.inputs[1] is w[0] and z.inputs[2] is x[0]


def test_numerical_gradient_of_a_known_function():
    g = numerical_gradient(lambda a, b: a * a * b, [3.0, 2.0])
    assert g == pytest.approx([12.0, 9.0], rel=1e-9)


def test_special_values_follow_ieee_and_pytorch():
    assert math.isnan(Value(math.nan).relu().data)  # NaN is not hidden by relu
    x = Value(0.0)
    (x ** 0).backward()
    assert x.grad == 0.0  # d/dx x^0 = 0, also at 0 (not 0 * inf)
    assert (Value(-2.0) ** math.inf).data == math.inf
    assert math.isnan((Value(-2.0) ** math.nan).data)


def _fields(v):
    return (v.data, v.grad, v.label, v._operation, v._a, v._b, v.__dict__)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_node_made_by_an_operation_is_the_node_value_makes(name):
    # the operations write a node's fields themselves (rules/source.py _new_node, without a call of
    # Value.__init__); a node so made must be exactly Value(data, None, op, inputs...)
    fn, points, _, _ = CASES[name]
    node = fn(*[Value(x) for x in points[0]])
    a = node._a
    made = Value(node.data, None, node._operation, a, node._b) if a.__class__ is not tuple else \
        Value(node.data, None, node._operation, a)
    assert _fields(node) == _fields(made)
    assert type(node) is Value
