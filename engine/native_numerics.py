"""The scalar functions of ``engine/numerics.py`` as numba functions, for ``backend="numba"``.

Imported only when numba is installed. The short functions of ``numerics.INLINE`` (sigmoid, relu,
step, tanh) are not here: ``engine/native.py`` writes them from the INLINE text itself into each
generated module. The functions below follow ``numerics``' formulas line for line and call the same
C library functions (``exp``, ``log``, ``log1p``, ``pow``), so they give the same bits; what differs
is only how a refusal travels. Where ``numerics`` raises DomainError or ZeroDivisionError, these
raise ``Refused(name, arguments...)`` (numba cannot format the message), and the caller re-calls
``numerics.<name>`` on those arguments, which raises the eager engine's own error with its own
message. tests/test_native.py checks the bits and the refusals against ``numerics``.
"""

import math

import numba
import numpy as np

_nb = numba.njit(cache=True)  # no fastmath: IEEE arithmetic in the written order
_INF = math.inf
_NAN = math.nan


class Refused(Exception):
    """Raised by native code where ``numerics`` refuses: args are (function name, its arguments)."""


@_nb
def exp(a):
    return math.exp(a)  # overflows to +inf, as numerics.exp answers its OverflowError


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


# numerics compares b with math.floor(b), a Python int; np.floor keeps it a float (same test)
@_nb
def power(a, b):
    if a < 0.0 and math.isfinite(b) and b != np.floor(b):
        raise Refused("power", a, b)
    if a == 0.0 and b < 0.0:
        raise Refused("power", a, b)
    return math.pow(a, b)  # C's pow gives the signed infinity that numerics picks on overflow


@_nb
def power_d(a, b):
    if a == 0.0 and b < 0.0:
        return _INF
    if a < 0.0 and (not math.isfinite(b) or b != np.floor(b)):
        return _NAN
    return math.pow(a, b)


@_nb
def pow_da(a, b):
    return 0.0 if b == 0.0 else b * power_d(a, b - 1.0)


@_nb
def pow_db(a, out):
    if a > 0.0:
        return out * math.log(a)
    if a == 0.0:
        return 0.0
    return _NAN


@_nb
def softplus(a):
    if a > 0.0:
        return a + math.log1p(math.exp(-a))
    return math.log1p(math.exp(a))


@_nb
def maximum(a, b):
    return a if a >= b or a != a else b  # a at a tie, NaN from either side, as numerics.maximum


@_nb
def ge(a, b):
    return 1.0 if a >= b else 0.0


@_nb
def times(g, d):
    return g * d if d != 0.0 or g - g == 0.0 else 0.0  # a zero derivative passes no gradient (NaN != 0)


FUNCTIONS = {"exp": exp, "log": log, "divide": divide, "power": power, "power_d": power_d,
             "pow_da": pow_da, "pow_db": pow_db, "softplus": softplus, "maximum": maximum, "ge": ge,
             "times": times}
