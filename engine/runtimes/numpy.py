"""The functions of the rules on NumPy arrays: the vectorised compiled code (``forward_array``,
``gradient_array``), all points of a data set in one call.

The same formulas as ``engine/runtimes/python.py``, element by element, and the same refusals (the
first offending element is named). NumPy's own ``exp``, ``log``, ``tanh`` may differ from the C
library's in the last bit; the functions of ``math`` are applied element by element with the Python
runtime's own wrappers instead, so they give its bits and its errors exactly.
"""

import numpy as np

from . import python as scalar
from .python import DomainError


def _first_bad(mask, *arrays):
    idx = np.unravel_index(np.argmax(mask), mask.shape) if np.ndim(mask) else ()
    return tuple(np.asarray(x)[idx] if np.ndim(x) else x for x in arrays)


def exp(a):
    with np.errstate(over="ignore"):
        return np.exp(a)


def log(a):
    a = np.asarray(a, dtype=float)
    bad = a <= 0.0
    if np.any(bad):
        (v,) = _first_bad(bad, a)
        raise DomainError(f"log: the argument must be > 0, got {float(v)!r}")
    return np.log(a)


def divide(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    bad = b == 0.0
    if np.any(bad):
        x, y = _first_bad(bad, a, b)
        raise ZeroDivisionError(f"division by zero: {float(x)!r} / {float(y)!r}")
    with np.errstate(over="ignore", invalid="ignore"):  # inf / inf is NaN, |a / b| > 1.8e308 is inf:
        return a / b                                      # the scalar division's answers, silently


def quotient(a, b):
    with np.errstate(all="ignore"):  # IEEE's answers at b = 0, as the scalar quotient
        return np.divide(np.asarray(a, dtype=float), b)


def power(a, b):
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
    return _c_pow(a, b, scalar.power)


def _c_pow(a, b, exact):
    """np.power, except at a base of ±0 or -inf, where NumPy's power is not C's (it gives
    (-0.0) ** 0.5 = -0.0 and (-inf) ** 0.5 = NaN, as a square root would; C's pow, which the other
    runtimes call, gives +0.0 and +inf): those few elements are computed by ``exact``, the Python
    runtime's function."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    with np.errstate(all="ignore"):
        out = np.asarray(np.power(a, b))
    fix = (a == 0.0) | (a == -np.inf)
    if np.any(fix):
        out = out.copy()
        out[fix] = [exact(x, y) for x, y in zip(a[fix].tolist(), b[fix].tolist())]
    return out


def power_d(a, b):
    return _c_pow(a, b, scalar.power_d)


def pow_da(a, b):
    b = np.asarray(b, dtype=float)
    with np.errstate(all="ignore"):
        return np.where(b == 0.0, 0.0, b * power_d(a, b - 1.0))


def pow_db(a, out):
    a = np.asarray(a, dtype=float)
    with np.errstate(all="ignore"):
        safe = np.where(a > 0.0, a, 1.0)
        return np.where(a > 0.0, out * np.log(safe), np.where((a == 0.0) & (out == out), 0.0, np.nan))


def tanh(a):
    return np.tanh(a)


def sigmoid(a):
    a = np.asarray(a, dtype=float)
    e = np.exp(-np.abs(a))  # in (0, 1]: no overflow
    d = 1.0 + e
    out = np.asarray(e / d)  # the a < 0 branch everywhere, then the a >= 0 branch where it applies
    np.divide(1.0, d, out=out, where=a >= 0.0)
    return out


def softplus(a):
    a = np.asarray(a, dtype=float)
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))


def relu(a):
    return np.where(np.asarray(a) <= 0.0, 0.0, a)  # NaN stays NaN, as in the scalar relu


def step(a):
    return np.where(np.asarray(a) <= 0.0, 0.0, 1.0)  # 1 at NaN, as the scalar step


def maximum(a, b):
    a = np.asarray(a, dtype=float)
    return np.where((a >= b) | (a != a), a, b)  # not np.maximum: the same choice of a at ties (±0)


def ge(a, b):
    return np.where(np.asarray(a) >= b, 1.0, 0.0)


def sign(a):
    a = np.asarray(a, dtype=float)
    return np.where(a > 0.0, 1.0, np.where(a < 0.0, -1.0, np.where(a == 0.0, 0.0, a)))


def times(g, d):
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 where d == 0: replaced by 0 below;
        # an overflow is inf, as the scalar product gives
        return np.where((np.asarray(d) != 0.0) | np.isfinite(g), g * d, 0.0)


def elementwise(fn, name=None):
    """A scalar function of the Python runtime (or a user's) applied element by element: its bits
    and its errors exactly, at the speed of a Python call per element."""
    def apply(*args):
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))
        out = np.empty(arrays[0].shape)
        flat = [a.ravel() for a in arrays]
        out.ravel()[:] = [fn(*xs) for xs in zip(*(f.tolist() for f in flat))] if out.size else []
        return out if out.ndim else float(out)
    apply.__name__ = apply.__qualname__ = name or getattr(fn, "__name__", "function")
    return apply


FUNCTIONS = {name: globals()[name] for name in scalar.OWN}
FUNCTIONS.update({name: elementwise(fn, name) for name, fn in scalar.MATH_FUNCTIONS.items()})
NAMESPACE = dict(FUNCTIONS, **scalar.MATH_CONSTANTS)
