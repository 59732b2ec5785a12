"""The functions of the rules on Python floats: the eager engine and the compiled Python code.

This is the reference runtime: ``numpy`` and ``numba`` follow its formulas. Every formula is chosen so
that nothing overflows for a finite input that has a finite answer:

* sigmoid(x) = 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0, so e^(+big) never appears;
* softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|);
* exp overflows to +inf (as IEEE arithmetic, NumPy and PyTorch do) instead of raising.

Domain errors (log of a non-positive number, 0 to a negative power, a negative base with a fractional
exponent, division by zero in a forward rule, sqrt of a negative number) raise an error that names
the operation and the offending value.
"""

import math

_exp = math.exp
_log = math.log
_inf = math.inf


class DomainError(ValueError):
    """An operation was applied outside its domain (for example log of a negative number)."""


# ---------------------------------------------------------------- the engine's own functions

def exp(a):
    try:
        return _exp(a)
    except OverflowError:  # e^a > 1.8e308: the honest float64 answer is +inf
        return _inf


def log(a):
    if a > 0.0:
        return _log(a)
    if a != a:  # NaN propagates, as in IEEE arithmetic; first_nonfinite() will point at it
        return a
    raise DomainError(f"log: the argument must be > 0, got {a!r}")


def divide(a, b):
    """a / b in a forward rule (a rule's ``/``): division by zero is refused."""
    if b == 0.0:
        raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}")
    return a / b


def quotient(a, b):
    """a / b in a derivative (a partial's ``/``): IEEE's answer at b = 0 (±inf, or NaN for 0/0 or
    NaN), as PyTorch's derivatives give it, e.g. sqrt'(0) = 0.5 / 0 = inf."""
    if b:
        return a / b
    if a != a or a == 0.0 or b != b:
        return math.nan
    return math.copysign(_inf, a) * math.copysign(1.0, b)


def power(a, b):
    """a ** b in a forward rule: real-valued or an error that says why not."""
    if a < 0.0 and math.isfinite(b) and b != math.floor(b):
        raise DomainError(f"power: a negative base with a fractional exponent has no real value: "
                          f"{a!r} ** {b!r}")
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(f"power: zero cannot be raised to a negative power: {a!r} ** {b!r}")
    try:
        return math.pow(a, b)
    except OverflowError:  # |a ** b| > 1.8e308
        return _inf if (a > 0.0 or b % 2.0 == 0.0) else -_inf


def power_d(a, b):
    """a ** b in a derivative (a partial's ``**``): IEEE's values (C's pow, NumPy's, PyTorch's)
    instead of errors: +inf at 0 to a negative power (d/dx x**0.5 at 0), -inf at -0.0 to a
    negative odd integer, NaN for a finite negative base with a fractional exponent; a negative base to
    ±inf is the limit (0, 1 or inf), as for the forward power."""
    if a == 0.0 and b < 0.0:
        return math.copysign(_inf, a) if b % 2.0 == 1.0 else _inf
    if -_inf < a < 0.0 and math.isfinite(b) and b != math.floor(b):
        return math.nan
    try:
        return math.pow(a, b)
    except OverflowError:
        return _inf if (a > 0.0 or b % 2.0 == 0.0) else -_inf


def pow_da(a, b):
    """d(a ** b)/da = b a**(b-1); exactly 0 for b == 0, where a**0 = 1 is constant (even at a = 0,
    where b a**(b-1) would be 0 * inf)."""
    return 0.0 if b == 0.0 else b * power_d(a, b - 1.0)


def pow_db(a, out):
    """d(a ** b)/db = a**b log a. Zero for a == 0 (0**b is constant for b > 0), unless b is NaN
    (then out is: NaN, as PyTorch); NaN for a < 0, where a**b is only defined at integer b and has
    no derivative in b."""
    if a > 0.0:
        return out * _log(a)
    if a == 0.0 and out == out:
        return 0.0
    return math.nan


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


def sign(a):
    """abs'(a): -1, 0 or 1, and +0.0 at a = ±0 (PyTorch's abs'(0) = 0, with its sign); NaN for
    NaN (where PyTorch gives 0: a NaN input should show in the gradient)."""
    return 1.0 if a > 0.0 else (-1.0 if a < 0.0 else (0.0 if a == 0.0 else a))


def times(g, d):
    """The chain rule's product g × d of an incoming gradient g and a local derivative d, with one
    convention: an exactly zero local derivative passes no gradient, 0 even for g = ±inf or NaN
    (where IEEE gives NaN), as PyTorch's relu mask does. Relu off, x ** 0, a factor 0 of a product:
    the output does not change with the input there, whatever happens above. Everywhere else it is
    IEEE's g * d, bit for bit (a finite g times 0 keeps its signed zero)."""
    return g * d if d or g - g == 0.0 else 0.0


# Functions short enough to be written out where they are used. Generated scalar code (the eager
# methods, the backward steps, compiled graphs) pastes these expressions in place of a call whose
# arguments are plain names, saving a Python call per node; the functions themselves are built from
# the same text, so an inlined use and a call compute the same bits. {0}, {1}: the arguments.
#   sigmoid: 1 / (1 + e^-a) for a >= 0, e^a / (1 + e^a) for a < 0: the exponent is never positive
#   relu:    max(a, 0), NaN for NaN;   step: relu's derivative, 0 at a = 0 and 1 at NaN (PyTorch's)
#   times:   see times() above; g - g == 0.0 says g is finite
#   quotient: a / b, IEEE's answer at b = 0 (see quotient() above)
INLINE = {
    "sigmoid": "(1.0 / (1.0 + _exp(-{0})) if {0} >= 0.0 else (_e := _exp({0})) / (1.0 + _e))",
    "relu": "({0} if not {0} <= 0.0 else 0.0)",  # "not <=" lets a NaN through, as PyTorch does
    "step": "(0.0 if {0} <= 0.0 else 1.0)",  # 1 at NaN, as PyTorch's relu backward (a NaN passes)
    "tanh": "_tanh({0})",  # bounded by construction: tanh(+-1000) = +-1 exactly
    "times": "({0} * {1} if {1} or {0} - {0} == 0.0 else 0.0)",
    "quotient": "({0} / {1} if {1} else _quotient({0}, {1}))",
}
INLINE_NAMES = {"_exp": math.exp, "_tanh": math.tanh, "_quotient": quotient}


def _from_inline(name, arity):
    args = ", ".join("ab"[:arity])
    text = INLINE[name].format(*"ab"[:arity])
    fn = eval(f"lambda {args}: {text}", dict(INLINE_NAMES))  # noqa: S307 (our own text only)
    fn.__name__ = fn.__qualname__ = name
    return fn


sigmoid = _from_inline("sigmoid", 1)
relu = _from_inline("relu", 1)
step = _from_inline("step", 1)
tanh = _from_inline("tanh", 1)


# ---------------------------------------------------------------- Python's math module

# The functions of ``math`` that rules may call by name, with their number of arguments. (exp, log,
# tanh are the engine's own above; sqrt, sin, cos come from here.)
MATH = {
    **dict.fromkeys(("acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "erf", "erfc",
                     "expm1", "fabs", "gamma", "lgamma", "log10", "log1p", "log2", "sin", "sinh", "sqrt",
                     "tan"), 1),
    **dict.fromkeys(("atan2", "copysign", "fmod", "hypot"), 2),
}
MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}
# The math functions whose infinite result for finite arguments is an overflow (Python raises
# OverflowError): their value is then the infinity IEEE arithmetic gives. Any other infinity or NaN
# from real arguments is outside the domain (log10(0), atanh(1), acos(2)).
CAN_OVERFLOW = {"cosh", "sinh", "expm1", "gamma", "lgamma", "hypot"}


def overflow_value(name, args):
    """The IEEE value of ``name(*args)`` where it overflows: -inf for sinh of a negative number and
    gamma's poles never reach here (they are domain errors); +inf otherwise."""
    return math.copysign(_inf, args[0]) if name == "sinh" else _inf


def domain_message(name, args):
    shown = ", ".join(repr(a) for a in args)
    return f"{name}: no real value at {shown}"


def _wrap_math(name):
    fn = getattr(math, name)

    def unary(a):
        try:
            return fn(a)
        except ValueError:
            raise DomainError(domain_message(name, (a,))) from None
        except OverflowError:
            return overflow_value(name, (a,))

    def binary(a, b):
        try:
            return fn(a, b)
        except ValueError:
            raise DomainError(domain_message(name, (a, b))) from None
        except OverflowError:
            return overflow_value(name, (a, b))

    wrapped = unary if MATH[name] == 1 else binary
    wrapped.__name__ = wrapped.__qualname__ = name
    wrapped.__doc__ = f"math.{name}, with DomainError outside its domain and IEEE's infinity on overflow."
    return wrapped


MATH_FUNCTIONS = {name: _wrap_math(name) for name in MATH}


# Every function the rules of the table may call, by name: the runtime's table of contents.
OWN = ("exp", "log", "divide", "quotient", "power", "power_d", "pow_da", "pow_db", "tanh", "sigmoid",
       "softplus", "relu", "step", "maximum", "ge", "sign", "times")
FUNCTIONS = {name: globals()[name] for name in OWN}
FUNCTIONS.update(MATH_FUNCTIONS)
NAMESPACE = dict(FUNCTIONS, **INLINE_NAMES, **MATH_CONSTANTS)
