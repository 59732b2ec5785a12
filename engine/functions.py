"""The unary operations as functions, for formulas that read better that way: ``sigmoid(W @ a + b)``.

Each takes a Value (or a plain number, which becomes a constant leaf) and returns a Value.
"""

from .ops import CONST, UNARY
from .value import Value


def _function(name):
    method = getattr(Value, name)

    def apply(x):
        if x.__class__ is not Value:
            x = Value(x, None, CONST)  # raises a clear TypeError for anything that is not a number
        return method(x)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"{name}(x) as a Value; see engine/ops.py for its rule and derivative."
    return apply


exp, log, tanh, sigmoid, relu, softplus = (_function(n) for n in ("exp", "log", "tanh", "sigmoid", "relu", "softplus"))
assert set(UNARY) == {"neg", "exp", "log", "tanh", "sigmoid", "relu", "softplus"}
