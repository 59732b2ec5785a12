"""Argument checks shared by the nn modules: one wording for one kind of mistake."""

import numbers


def describe(x):
    """A value as "type repr", the repr cut at 40 characters, for error messages."""
    text = repr(x)
    return f"{type(x).__name__} {text[:37] + '...' if len(text) > 40 else text}"


def integer(n, what, smallest=1):
    """``n`` as an int if it is an integer (not a bool) of at least ``smallest``; otherwise a
    TypeError or ValueError that names ``what`` and the value given."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {describe(n)}")
    if n < smallest:
        raise ValueError(f"{what} must be at least {smallest}, got {n}")
    return int(n)
