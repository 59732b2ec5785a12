"""The unary operations, and ``max``, as functions, for formulas that read better that way:
``sigmoid(W @ a + b)``, ``sin(x)``, ``max(a, b, c, d)``.

Each takes Values (or plain numbers, which become constant leaves) and returns a Value.
"""

from ..rules.table import CONST, UNARY
from .value import Value


def _function(name, method_name=None):
    method = getattr(Value, method_name or name)

    def apply(x):
        if x.__class__ is not Value:
            x = Value(x, None, CONST)  # raises a clear TypeError for anything that is not a number
        return method(x)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"{name}(x) as a Value; see engine/rules/table.py for its rule and derivative."
    return apply


# every unary row of the table but neg (that is -x) as a function of its name
FUNCTIONS = {name: _function(name) for name in UNARY if name != "neg"}
exp, log, tanh, sigmoid, relu, softplus = (FUNCTIONS[n] for n in ("exp", "log", "tanh", "sigmoid", "relu", "softplus"))
sin, cos, sqrt = FUNCTIONS["sin"], FUNCTIONS["cos"], FUNCTIONS["sqrt"]
abs = FUNCTIONS["abs"]  # noqa: A001 (engine.abs, as torch.abs; Python's abs(v) works on Values too)


def max(a, b, *more):  # noqa: A001 (engine.max, as torch.max; Python's max is untouched elsewhere)
    """max(a, b) as a Value (the ``max`` row of the table); with more arguments the chain
    max(max(max(a, b), c), ...), left to right, so at a tie the gradient goes to the first of the
    equal maxima in argument order (PyTorch's max_pool2d convention)."""
    if a.__class__ is not Value:
        a = Value(a, None, CONST)
    out = a.max(b)
    for c in more:
        out = out.max(c)
    return out
