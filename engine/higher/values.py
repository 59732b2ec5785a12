"""The functions of the rules on Values: the fourth runtime, for gradients that are graphs.

A partial evaluated here builds a graph: ``out * (1.0 - out)`` (σ') becomes a ``sub`` and a ``mul`` node
over the sigmoid node itself, ``step(a)`` (relu') a ``step`` node, each chain-rule product g × ∂ a
``times`` node. Each function is the table's own operation where one exists; a partial's ``/`` and
``**`` are the rows ``quot`` and ``powd``/``powdc``, which give IEEE's answers (inf, NaN) where the
forward ``/`` and ``**`` refuse, so that a compiled gradient graph computes the same numbers. The two
that branch on a number (``pow_da`` at an exponent of exactly 0, ``pow_db`` at a base <= 0) record
the branch taken, as a traced graph records any Python ``if``.
"""


from ..core.value import Value, lift_or_fail
from ..rules.table import BUILTIN, CONST
from ..runtimes import python as scalar


def _v(x):
    return x if x.__class__ is Value else lift_or_fail(x, "a gradient graph")


def _node(op_name, value, *inputs):
    """A node of the row ``op_name`` over ``inputs`` holding ``value`` (the Python runtime's IEEE
    answer where the forward rule would refuse)."""
    op = BUILTIN[op_name]
    a = inputs[0]
    b = inputs[1] if len(inputs) > 1 else None
    return Value(value, None, op, a, b)


def _apply(op_name):
    """The gradient-only row ``op_name`` (no Value method) applied to Values or numbers."""
    op = BUILTIN[op_name]
    forward = getattr(scalar, op_name)

    def unary(a):
        a = _v(a)
        return Value(forward(a.data), None, op, a)

    def binary(a, b):
        a, b = _v(a), _v(b)
        return Value(forward(a.data, b.data), None, op, a, b)

    apply = unary if op.arity == 1 else binary
    apply.__name__ = op_name
    return apply


step = _apply("step")
sign = _apply("sign")
times = _apply("times")
ge = _apply("ge")


def power_d(a, b):
    """a ** b inside a derivative: the ``powd``/``powdc`` node (IEEE's inf or NaN where the forward
    ``power`` would refuse), so a compiled gradient graph computes what this one holds."""
    a = _v(a)
    if b.__class__ is not Value or b.is_constant:  # the n of x ** n: a constant of the operation
        n = b if b.__class__ is Value else Value(float(b), None, CONST)
        return _node("powdc", scalar.power_d(a.data, n.data), a, n)
    return _node("powd", scalar.power_d(a.data, b.data), a, b)


def pow_da(a, b):
    """d(a ** b)/da = b a**(b − 1); exactly 0 for an exponent of exactly 0."""
    b = _v(b)
    if b.data == 0.0:
        return Value(0.0, None, CONST)
    return b * power_d(a, b - 1.0 if not b.is_constant else Value(b.data - 1.0, None, CONST))


def pow_db(a, out):
    """d(a ** b)/db = a**b log a for a > 0, 0 at a = 0 (NaN if out is), NaN for a < 0."""
    a = _v(a)
    if a.data > 0.0:
        return out * a.log()
    return Value(scalar.pow_db(a.data, _v(out).data), None, CONST)


def quotient(a, b):
    """a / b inside a derivative: the ``quot`` node (IEEE's answer at b = 0, where the forward
    division refuses)."""
    a, b = _v(a), _v(b)
    return _node("quot", scalar.quotient(a.data, b.data), a, b)


class _Refusal:
    """A function that cannot be evaluated on Values: calling it raises a TypeError saying why."""

    def __init__(self, name, why):
        self.__name__, self.why = name, why

    def __call__(self, *args):
        raise TypeError(f"second derivatives: {self.__name__} {self.why}")


_unavailable = _Refusal


FUNCTIONS = {
    "exp": Value.exp, "log": Value.log, "tanh": Value.tanh, "sigmoid": Value.sigmoid,
    "softplus": Value.softplus, "relu": Value.relu, "maximum": Value.max, "sin": Value.sin,
    "cos": Value.cos, "sqrt": Value.sqrt, "fabs": Value.abs,
    "divide": lambda a, b: _v(a) / b, "power": lambda a, b: _v(a) ** b,
    "quotient": quotient, "power_d": power_d, "pow_da": pow_da, "pow_db": pow_db,
    "step": step, "sign": sign, "times": times, "ge": ge,
}
# math's other functions have no row of the table: a rule that calls one differentiates once (eager,
# compiled) but not twice. A rule calls functions, not rows, so the way out is a partial written with
# the functions that have rows.
_WITH_ROWS = ("exp", "log", "tanh", "sigmoid", "softplus", "relu", "sin", "cos", "sqrt", "fabs")
for _name in scalar.MATH:  # every function a rule may call exists here; namespace() names the row
    FUNCTIONS.setdefault(_name, _unavailable(
        _name, f"has no operation in the table, so a partial that calls it cannot be differentiated again; "
               f"write that partial with the functions that have one ({', '.join(_WITH_ROWS)})"))


def namespace(op):
    """The names the partials of ``op`` are evaluated with on Values; a function that cannot be
    evaluated on Values refuses, naming the row and what to do instead."""
    ns = dict(FUNCTIONS, **scalar.MATH_CONSTANTS)
    for name in scalar.MATH:
        if FUNCTIONS[name].__class__ is _Refusal:
            ns[name] = _unavailable(
                name, f"(called by a partial of the row {op.name!r}) has no operation in the table, so "
                      f"{op.name!r} cannot be differentiated twice; write that partial with the functions "
                      f"that have one ({', '.join(_WITH_ROWS)}) and + - * / ** (cosh(a) as "
                      f"0.5 * (exp(a) + exp(-a)), for example)")
    for name in op.functions:
        ns[name] = _unavailable(name, f"(a function of the row {op.name!r}) works on numbers, not on Values: "
                                      f"{op.name!r} cannot be differentiated twice unless its partials are "
                                      f"written with the functions that have an operation in the table "
                                      f"({', '.join(_WITH_ROWS)}) and + - * / **")
    return ns
