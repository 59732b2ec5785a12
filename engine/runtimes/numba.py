"""The functions of the rules as numba functions, for ``engine.compile(..., backend="numba")``.

Imported only when numba is installed. Two kinds of function are not written here but *generated*
into each compiled module, from one text each: the short functions of the Python runtime's
``INLINE`` (sigmoid, relu, step, tanh, times, quotient), written from that very text
(``inline_source``), and the functions of ``math`` (``math_source``), wrapped by the one formula of
``engine/runtimes/__init__.py``. The functions below follow ``engine/runtimes/python.py`` line for
line and call the same C library functions (``exp``, ``log``, ``log1p``, ``pow``), so they give the
same bits; what differs is only how a refusal travels. Where the Python runtime raises DomainError or
ZeroDivisionError, these raise ``Refused(name, arguments...)`` (numba cannot format the message),
and the caller re-calls the Python runtime's function of that name on those arguments, which raises
the eager engine's own error with its own message. tests/test_native.py checks the bits and the
refusals against the Python runtime.
"""

import ast
import math

import numba
import numpy as np

from . import python as scalar



def _nb(fn):
    """numba.njit with numba's cache of machine code (no fastmath: IEEE arithmetic in the written
    order). numba keeps that cache beside this file or in the user's cache directory; where it can
    write to neither, it refuses to decorate ("no locator available"): then the function is
    compiled in each process instead, and a warning says so once."""
    try:
        return numba.njit(cache=True)(fn)
    except RuntimeError as e:
        if "no locator" not in str(e):
            raise
        if not _NO_LOCATOR:
            _NO_LOCATOR.append(fn.__name__)
            import warnings
            warnings.warn(f"numba cannot cache the engine's runtime functions (no writable place: {e}); "
                          f"they are compiled in every process", RuntimeWarning, stacklevel=2)
        return numba.njit(fn)


_NO_LOCATOR: list = []
_INF = math.inf
_NAN = math.nan


class Refused(Exception):
    """Raised by native code where the Python runtime refuses: args are (function name, its arguments)."""


@_nb
def exp(a):
    return math.exp(a)  # overflows to +inf, as the Python runtime answers its OverflowError


@_nb
def log(a):
    if a > 0.0:
        return math.log(a)
    if a != a:
        return a
    raise Refused("log", a)


@_nb
def divide(a, b):
    if b == 0.0:
        raise Refused("divide", a, b)
    return a / b


# the Python runtime compares b with math.floor(b), a Python int; np.floor keeps it a float (same test)
@_nb
def power(a, b):
    if a < 0.0 and math.isfinite(b) and b != np.floor(b):
        raise Refused("power", a, b)
    if a == 0.0 and b < 0.0:
        raise Refused("power", a, b)
    return math.pow(a, b)  # C's pow gives the signed infinity that the Python runtime picks on overflow


@_nb
def power_d(a, b):
    if a == 0.0 and b < 0.0:
        return math.copysign(_INF, a) if b % 2.0 == 1.0 else _INF
    if -_INF < a < 0.0 and math.isfinite(b) and b != np.floor(b):
        return _NAN
    return math.pow(a, b)


@_nb
def pow_da(a, b):
    return 0.0 if b == 0.0 else b * power_d(a, b - 1.0)


@_nb
def pow_db(a, out):
    if a > 0.0:
        return out * math.log(a)
    if a == 0.0 and out == out:
        return 0.0
    return _NAN


@_nb
def softplus(a):
    if a > 0.0:
        return a + math.log1p(math.exp(-a))
    return math.log1p(math.exp(a))


@_nb
def maximum(a, b):
    return a if a >= b or a != a else b  # a at a tie, NaN from either side, as the Python runtime


@_nb
def ge(a, b):
    return 1.0 if a >= b else 0.0


@_nb
def sign(a):
    return 1.0 if a > 0.0 else (-1.0 if a < 0.0 else (0.0 if a == 0.0 else a))


# The functions of this module; with the generated ones (INLINE, math) they are every function of
# the Python runtime (tests/test_layers.py checks it).
FUNCTIONS = {"exp": exp, "log": log, "divide": divide, "power": power, "power_d": power_d,
             "pow_da": pow_da, "pow_db": pow_db, "softplus": softplus, "maximum": maximum, "ge": ge,
             "sign": sign}


def _inline_quotient(a, b):  # the slow branch of INLINE["quotient"], IEEE's answer at b = 0
    if a != a or a == 0.0 or b != b:
        return _NAN
    return math.copysign(_INF, a) * math.copysign(1.0, b)


_quotient = _nb(_inline_quotient)



# ------------------------------------------------------------------------- generated functions

# numba's own body for an INLINE function whose one text would cost machine code here. sigmoid's
# text calls exp in each of its two branches: compiled, that is a jump around a call, which costs
# every step (65 against 69 ns for the Higham network's) and keeps LLVM from vectorising the lanes'
# loop (compiler/lanes.py: 2.3x the throughput of one run, against 1.3x with the jump). Here both
# branches take e^-|a|, which is e^-a for a >= 0 and e^a for a < 0, the text's own exponentials: the
# same bits (tests/test_native.py checks every INLINE function against the Python runtime's).
BODIES = {"sigmoid": ("_e = _exp(-abs(a))", "return (1.0 if a >= 0.0 else _e) / (1.0 + _e)")}


def inline_source(name):
    """Numba source of ``python.INLINE[name]`` as a function, from the INLINE text itself (or from
    ``BODIES``, numba's own form of the same function).

    numba takes no assignment expression, so ``(_e := _exp(a))`` becomes a statement before the
    expression that uses it; a conditional expression ``X if C else Y`` becomes an if statement
    first, so that each branch computes only what it uses."""
    arity = 2 if "{1}" in scalar.INLINE[name] else 1
    args = "ab"[:arity]
    if name in BODIES:
        return "\n".join(["@njit(cache=CACHE)", f"def {name}({', '.join(args)}):",
                          *["    " + line for line in BODIES[name]], ""])
    tree = ast.parse(scalar.INLINE[name].format(*args), mode="eval").body

    def returning(node, indent):
        hoisted = []

        class Hoist(ast.NodeTransformer):  # "(_e := _exp(a))" -> "_e = _exp(a)" before, "_e" in it
            def visit_NamedExpr(self, n):
                value = self.visit(n.value)
                hoisted.append(f"{indent}{n.target.id} = {ast.unparse(value)}")
                return ast.Name(n.target.id, ast.Load())

        expr = ast.unparse(Hoist().visit(node))
        return hoisted + [f"{indent}return {expr}"]

    if isinstance(tree, ast.IfExp):
        body = ([f"    if {ast.unparse(tree.test)}:"] + returning(tree.body, "        ")
                + ["    else:"] + returning(tree.orelse, "        "))
    else:
        body = returning(tree, "    ")
    return "\n".join(["@njit(cache=CACHE)", f"def {name}({', '.join(args)}):", *body, ""])


def math_source(name):
    """Numba source of the math function ``name`` with the Python runtime's domain rule: a NaN from
    non-NaN arguments, or an infinity from finite ones where ``name`` cannot overflow, is refused
    (and the Python runtime then raises its DomainError); an overflow keeps IEEE's infinity."""
    args = "ab"[:scalar.MATH[name]]
    nan_in = " or ".join(f"{x} != {x}" for x in args)
    finite_in = " and ".join(f"math.isfinite({x})" for x in args)
    lines = ["@njit(cache=CACHE)", f"def {name}({', '.join(args)}):",
             f"    r = math.{name}({', '.join(args)})",
             f"    if r != r and not ({nan_in}):",
             f"        raise Refused({name!r}, {', '.join(args)})"]
    if name not in scalar.CAN_OVERFLOW:
        lines += [f"    if math.isinf(r) and {finite_in}:",
                  f"        raise Refused({name!r}, {', '.join(args)})"]
    return "\n".join(lines + ["    return r", ""])


def module_names():
    """The names a generated module imports from here, and the math functions it writes itself."""
    return sorted(FUNCTIONS) + ["Refused", "_quotient"]
