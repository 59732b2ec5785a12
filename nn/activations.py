"""Activation functions by name, and the checks that make a user's own activation safe to use.

A neuron applies its activation to the Value z[l]_j. The named activations are the engine's own
operations (one node each, drawn as σ, tanh or ReLU); "linear" means no activation at all, so the
z node is the neuron's output. Any callable Value -> Value works too, but only named activations
can be saved to a file (a function cannot be written to JSON).
"""

from collections.abc import Callable
from typing import Union

import engine
from engine import Value

from .checks import brief

# name -> the unbound Value method (or None for linear): calling Value.sigmoid(z) is z.sigmoid()
NAMED = {
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "tanh": Value.tanh,
    "linear": None,
}
NAMES = tuple(NAMED)

# what ``activation=`` takes: a name of NAMES ("identity" too), a callable Value -> Value, or None (linear)
Activation = Union[str, Callable[[Value], Value], None]

# The engine's functions and Value methods are recognised as the named activations, so that
# MLP(..., activation=engine.sigmoid) is saveable and prints as "sigmoid".
_KNOWN_CALLABLES = {}
for _name in ("sigmoid", "relu", "tanh"):
    _KNOWN_CALLABLES[getattr(engine, _name)] = _name
    _KNOWN_CALLABLES[getattr(Value, _name)] = _name


def resolve(activation):
    """(name, function) for an activation given by name or as a callable.

    ``name`` is one of NAMES for a named activation and None for a user's callable; ``function``
    is None for "linear" (no node is added) and otherwise takes z and returns a Value.
    """
    if activation is None:
        return "linear", None
    if isinstance(activation, str):
        key = activation.lower()
        if key == "identity":
            key = "linear"
        if key not in NAMED:
            raise ValueError(f"unknown activation {brief(activation)}: use one of "
                             f"{', '.join(repr(n) for n in NAMES)} or a callable Value -> Value")
        return key, NAMED[key]
    if callable(activation):
        try:
            known = _KNOWN_CALLABLES.get(activation)
        except TypeError:  # an unhashable callable object
            known = None
        if known is not None:
            return known, NAMED[known]
        return None, _checked(activation)
    raise TypeError(f"activation must be a name ({', '.join(repr(n) for n in NAMES)}) or a "
                    f"callable Value -> Value, got {type(activation).__name__} {brief(activation)}")


def display_name(activation):
    """A short printable name: "sigmoid", or the function's own name for a callable."""
    name, _ = resolve(activation)
    if name is not None:
        return name
    return getattr(activation, "__name__", type(activation).__name__)


def _checked(fn):
    """Wrap a user's activation so that returning anything but a Value fails clearly at once."""
    label = getattr(fn, "__name__", type(fn).__name__)

    def activation(z):
        a = fn(z)
        if not isinstance(a, Value):
            raise TypeError(f"activation {label} must return a Value, got {type(a).__name__} {brief(a)}")
        return a

    activation.__name__ = label
    activation.__wrapped__ = fn
    return activation
