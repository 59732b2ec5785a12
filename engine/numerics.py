"""The scalar functions that the operation table (``engine/ops.py``) is written in.

Each function exists twice: once for Python floats (``SCALAR``, used by the eager engine and by
compiled straight-line code) and once for NumPy arrays (``ARRAY``, used by vectorised compiled code).
Both follow the same formulas, chosen so that nothing overflows for any finite input:

* sigmoid(x) = 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0, so e^(+big) never appears;
* softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|);
* exp overflows to +inf (as IEEE arithmetic, NumPy and PyTorch do) instead of raising.

Domain errors (log of a non-positive number, 0 to a negative power, a negative base with a fractional
exponent, division by zero) raise an error that names the operation and the offending value.
"""

import math

import numpy as np

_exp = math.exp
_log = math.log


class DomainError(ValueError):
    """An operation was applied outside its domain (for example log of a negative number)."""


# ---------------------------------------------------------------- scalar (Python float) versions

def exp(a):
    try:
        return _exp(a)
    except OverflowError:  # e^a > 1.8e308: the honest float64 answer is +inf
        return math.inf


def log(a):
    if a > 0.0:
        return _log(a)
    if a != a:  # NaN propagates, as in IEEE arithmetic; first_nonfinite() will point at it
        return a
    raise DomainError(f"log: the argument must be > 0, got {a!r}")


def divide(a, b):
    if b == 0.0:
        raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}")
    return a / b


def power(a, b):
    """a ** b for the forward pass: real-valued or an error that says why not."""
    if a < 0.0 and math.isfinite(b) and b != math.floor(b):
        raise DomainError(f"power: a negative base with a fractional exponent has no real value: "
                          f"{a!r} ** {b!r}")
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(f"power: zero cannot be raised to a negative power: {a!r} ** {b!r}")
    try:
        return math.pow(a, b)
    except OverflowError:  # |a ** b| > 1.8e308
        return math.inf if (a > 0.0 or b % 2.0 == 0.0) else -math.inf


def power_d(a, b):
    """a ** b inside a derivative: IEEE values (inf, nan) instead of errors, e.g. d/dx x**0.5 at 0."""
    if a == 0.0 and b < 0.0:
        return math.inf
    if a < 0.0 and (not math.isfinite(b) or b != math.floor(b)):
        return math.nan
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf if (a > 0.0 or b % 2.0 == 0.0) else -math.inf


def pow_da(a, b):
    """d(a ** b)/da = b a**(b-1); exactly 0 for b == 0, where a**0 = 1 is constant (even at a = 0,
    where b a**(b-1) would be 0 * inf)."""
    return 0.0 if b == 0.0 else b * power_d(a, b - 1.0)


def pow_db(a, out):
    """d(a ** b)/db = a**b log a. Zero for a == 0 (0**b is constant for b > 0); NaN for a < 0,
    where a**b is only defined at integer b and has no derivative in b."""
    if a > 0.0:
        return out * _log(a)
    if a == 0.0:
        return 0.0
    return math.nan


# Functions short enough to be written out where they are used. Generated scalar code (the eager
# methods, the backward steps, compiled graphs) pastes these expressions in place of a call,
# saving a Python call per node; the functions below are built from the same text, so an inlined
# use and a call compute the same bits.
#   sigmoid: 1 / (1 + e^-a) for a >= 0, e^a / (1 + e^a) for a < 0: the exponent is never positive
#   relu:    max(a, 0), NaN for NaN;   step: relu's derivative, 0 at a = 0 (PyTorch's convention)
INLINE = {
    "sigmoid": "(1.0 / (1.0 + _exp(-{0})) if {0} >= 0.0 else (_e := _exp({0})) / (1.0 + _e))",
    "relu": "({0} if not {0} <= 0.0 else 0.0)",  # "not <=" lets a NaN through, as PyTorch does
    "step": "(1.0 if {0} > 0.0 else 0.0)",
    "tanh": "_tanh({0})",  # bounded by construction: tanh(+-1000) = +-1 exactly
}
INLINE_NAMES = {"_exp": math.exp, "_tanh": math.tanh}


def _from_inline(name):
    fn = eval(f"lambda a: {INLINE[name].format('a')}", dict(INLINE_NAMES))  # our own text only
    fn.__name__ = fn.__qualname__ = name
    return fn


sigmoid = _from_inline("sigmoid")
relu = _from_inline("relu")
step = _from_inline("step")
tanh = _from_inline("tanh")


def times(g, d):
    """The chain rule's product g × d of an incoming gradient g and a local derivative d, with one
    convention: an exactly zero local derivative passes no gradient, 0 even for g = ±inf or NaN
    (where IEEE gives NaN), as PyTorch's relu mask does. Relu off, x ** 0, a factor 0 of a product:
    the output does not change with the input there, whatever happens above. Everywhere else it is
    IEEE's g * d, bit for bit (a finite g times 0 keeps its signed zero)."""
    return g * d if d or g - g == 0.0 else 0.0


def softplus(a):
    if a > 0.0:
        return a + math.log1p(_exp(-a))
    return math.log1p(_exp(a))


def maximum(a, b):
    """The larger of a and b; a itself at a tie (so max(0.0, -0.0) is 0.0 and max(-0.0, 0.0) is
    -0.0, as the derivative ``ge`` credits a); NaN if either is NaN, as torch.maximum."""
    return a if a >= b or a != a else b


def ge(a, b):
    """d max(a, b)/da: 1 where a >= b (a tie counts for a, the first argument), else 0."""
    return 1.0 if a >= b else 0.0


SCALAR = {name: globals()[name] for name in (
    "exp", "log", "divide", "power", "power_d", "pow_da", "pow_db", "tanh", "sigmoid", "softplus", "relu",
    "step", "maximum", "ge", "times")}
SCALAR.update(INLINE_NAMES)


# ---------------------------------------------------------------- NumPy (array) versions

def _first_bad(mask, *arrays):
    idx = np.unravel_index(np.argmax(mask), mask.shape) if np.ndim(mask) else ()
    return tuple(np.asarray(x)[idx] if np.ndim(x) else x for x in arrays)


def exp_array(a):
    with np.errstate(over="ignore"):
        return np.exp(a)


def log_array(a):
    bad = a <= 0.0
    if np.any(bad):
        (v,) = _first_bad(bad, a)
        raise DomainError(f"log: the argument must be > 0, got {float(v)!r}")
    return np.log(a)


def divide_array(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    bad = b == 0.0
    if np.any(bad):
        x, y = _first_bad(bad, a, b)
        raise ZeroDivisionError(f"division by zero: {float(x)!r} / {float(y)!r}")
    with np.errstate(over="ignore"):  # |a / b| > 1.8e308: inf, as the scalar division gives
        return a / b


def power_array(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    bad = (a < 0.0) & (b != np.floor(b)) & np.isfinite(b)
    if np.any(bad):
        x, y = _first_bad(bad, a, b)
        raise DomainError(f"power: a negative base with a fractional exponent has no real value: "
                          f"{float(x)!r} ** {float(y)!r}")
    bad = (a == 0.0) & (b < 0.0)
    if np.any(bad):
        x, y = _first_bad(bad, a, b)
        raise ZeroDivisionError(f"power: zero cannot be raised to a negative power: "
                                f"{float(x)!r} ** {float(y)!r}")
    with np.errstate(over="ignore"):
        return np.power(a, b)


def power_d_array(a, b):
    with np.errstate(all="ignore"):
        return np.power(np.asarray(a, dtype=float), b)


def pow_da_array(a, b):
    b = np.asarray(b, dtype=float)
    with np.errstate(all="ignore"):
        return np.where(b == 0.0, 0.0, b * power_d_array(a, b - 1.0))


def pow_db_array(a, out):
    a = np.asarray(a, dtype=float)
    with np.errstate(all="ignore"):
        safe = np.where(a > 0.0, a, 1.0)
        return np.where(a > 0.0, out * np.log(safe), np.where(a == 0.0, 0.0, np.nan))


def sigmoid_array(a):
    a = np.asarray(a, dtype=float)
    e = np.exp(-np.abs(a))  # in (0, 1]: no overflow
    d = 1.0 + e
    out = np.asarray(e / d)  # the a < 0 branch everywhere, then the a >= 0 branch where it applies
    np.divide(1.0, d, out=out, where=a >= 0.0)
    return out


def softplus_array(a):
    a = np.asarray(a, dtype=float)
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))


def relu_array(a):
    return np.where(np.asarray(a) <= 0.0, 0.0, a)  # NaN stays NaN, as in the scalar relu


def step_array(a):
    return np.where(np.asarray(a) > 0.0, 1.0, 0.0)


def maximum_array(a, b):
    a = np.asarray(a, dtype=float)
    return np.where((a >= b) | (a != a), a, b)  # not np.maximum: the same choice of a at ties (±0)


def ge_array(a, b):
    return np.where(np.asarray(a) >= b, 1.0, 0.0)


def times_array(g, d):
    with np.errstate(invalid="ignore"):  # inf * 0 where d == 0: replaced by 0 below
        return np.where((np.asarray(d) != 0.0) | np.isfinite(g), g * d, 0.0)


ARRAY = {
    "exp": exp_array, "log": log_array, "divide": divide_array, "power": power_array,
    "power_d": power_d_array, "pow_da": pow_da_array, "pow_db": pow_db_array, "tanh": np.tanh, "sigmoid": sigmoid_array,
    "softplus": softplus_array, "relu": relu_array, "step": step_array,
    "maximum": maximum_array, "ge": ge_array, "times": times_array,
}
assert ARRAY.keys() == SCALAR.keys() - INLINE_NAMES.keys()
