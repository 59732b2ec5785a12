"""The unary operations, and ``max``, as functions, for formulas that read better that way:
``sigmoid(W @ a + b)``, ``max(a, b, c, d)``.

Each takes Values (or plain numbers, which become constant leaves) and returns a Value.
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


def max(a, b, *more):  # noqa: A001 (engine.max, as torch.max; Python's max is untouched elsewhere)
    """max(a, b) as a Value (the ``max`` row of engine/ops.py); with more arguments the chain
    max(max(max(a, b), c), ...), left to right, so at a tie the gradient goes to the first of the
    equal maxima in argument order (PyTorch's max_pool2d convention)."""
    if a.__class__ is not Value:
        a = Value(a, None, CONST)
    out = a.max(b)
    for c in more:
        out = out.max(c)
    return out
