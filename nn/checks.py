"""Argument checks shared by the nn modules: one wording for one kind of mistake."""

import numbers


def describe(x):
    """A value as "type repr", the repr cut at 40 characters, for error messages."""
    return f"{type(x).__name__} {brief(x, 40)}"


def brief(x, limit=60):
    """repr(x) for an error message, cut at ``limit`` characters: a message never grows with the
    size of what it quotes (a 10⁶-character string, a huge list)."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 200:
        return f"an integer of about {int(x.bit_length() * 0.30103)} digits"
    text = repr(x)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def integer(n, what, smallest=1):
    """``n`` as an int if it is an integer (not a bool) of at least ``smallest``; otherwise a
    TypeError or ValueError that names ``what`` and the value given."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {describe(n)}")
    if n < smallest:
        raise ValueError(f"{what} must be at least {smallest}, got {n}")
    return int(n)
