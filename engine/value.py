"""``Value``: one float that remembers how it was computed, and reverse-mode differentiation over it.

A Value holds six slots and no closure: ``data``, ``grad``, ``label``, the operation (``_op``, a row
of ``engine/ops.py``) and its inputs: ``_a`` and ``_b`` for the unary and binary operations, the
whole tuple of inputs in ``_a`` for the variadic ``affine`` (``inputs`` gives them all as a tuple).
Two slots instead of a tuple of inputs save an allocation per node: less memory, and less work for
Python's garbage collector, which otherwise dominates the time to build a graph of a million nodes. The arithmetic methods and the backward step of
every operation are generated from that table (``engine/codegen.py``), so this file holds only the
plumbing: lifting plain numbers, walking the graph and the ``backward`` loop.
"""

import numbers

import numpy as np

from . import codegen
from .graph import NonFiniteError, backward_order, first_nonfinite
from .ops import CONST, OPS

_BACKPROP = codegen.BACKPROP
_ACCEPTED = "a Value or a real number (int or float)"


def _describe(x):
    if isinstance(x, int) and x.bit_length() > 3000:  # repr refuses more than 4,300 digits
        return f"{type(x).__name__} of about {int(x.bit_length() * 0.30103)} digits"
    text = repr(x)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(x).__name__} {text}"


def _to_float(data):
    if isinstance(data, Value):
        raise TypeError("Value() takes a number, not another Value: use the Value itself, "
                        "or Value(v.data) for an unconnected copy")
    if isinstance(data, numbers.Real) or (isinstance(data, np.ndarray) and data.shape == ()
                                          and np.issubdtype(data.dtype, np.number)
                                          and not np.iscomplexobj(data)):
        try:
            return float(data)
        except OverflowError:  # an int beyond float64's range (about 1.8e308)
            raise OverflowError(f"the number {_describe(data)} is too large for a float "
                                f"(at most about 1.8e308)") from None
    raise TypeError(f"Value() takes a real number (int or float), got {_describe(data)}")


def as_float(data, what):
    """``data`` as ``Value(data)`` would store it (the same float64), for code that takes plain
    numbers (compiled graphs); a number it would refuse raises a TypeError naming ``what``."""
    if data.__class__ is float:
        return data
    try:
        return _to_float(data)
    except TypeError:
        raise TypeError(f"{what} must be a real number (int or float), as for Value(), got "
                        f"{_describe(data)}") from None


class Value:
    """A scalar node of a computation graph.

    ``data`` is its float value, ``grad`` is d(output)/d(this node) after ``output.backward()``
    (0.0 before), ``label`` an optional name shown in drawings and tables.
    """

    __slots__ = ("data", "grad", "label", "_op", "_a", "_b")

    def __init__(self, data, label=None, _op=None, _a=None, _b=None):
        if data.__class__ is not float:
            data = _to_float(data)
        self.data = data
        self.grad = 0.0
        if label is not None and label.__class__ is not str:
            label = _label(label)
        self.label = label
        self._op = _op
        self._a = _a
        self._b = _b

    # ------------------------------------------------------------------ inspection

    @property
    def op(self):
        """Name of the operation that produced this node ("mul", "sigmoid", ...); "" for a leaf
        made by the user, "const" for a leaf made from a plain number such as the 2 in ``2 * v``."""
        return "" if self._op is None else self._op.name

    @property
    def inputs(self):
        """The Values this node was computed from, in the operation's argument order."""
        a = self._a
        if a is None:
            return ()
        if a.__class__ is tuple:
            return a
        b = self._b
        return (a,) if b is None else (a, b)

    _prev = inputs  # micrograd's name, for code written against it (a tuple here, not a set)

    @property
    def is_leaf(self):
        return self._a is None

    @property
    def is_constant(self):
        return self._op is CONST

    def __repr__(self):
        extra = ""
        if self.label is not None:
            extra += f", label={self.label!r}"
        if self._op is not None:
            extra += f", op={self._op.name!r}"
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __float__(self):
        return self.data

    # Values compare and hash by identity (object's defaults), so they work as set members and
    # dict keys; == is deliberately not overloaded.

    # ------------------------------------------------------------------ reverse mode

    def backward(self, gradient=1.0, *, check_finite=False):
        """Fill ``.grad`` of every node of the graph under this Value with d(self)/d(node).

        Every grad in the graph is *set*, not accumulated: calling ``backward()`` twice leaves the
        same numbers as calling it once (micrograd doubles them), and gradients from an earlier,
        different output are overwritten. To differentiate a sum of outputs, add them and call
        ``backward()`` once. A node reached along several paths gets the sum over all paths.
        The graph is walked with an explicit stack, so a chain of a million nodes is fine.

        ``check_finite=True`` is the anomaly mode: afterwards, if any value or gradient of the
        graph is NaN or infinite, raise ``NonFiniteError`` naming the first node where it
        appeared (its label, operation and inputs; see ``engine.first_nonfinite``).
        """
        if gradient.__class__ is not float:
            if isinstance(gradient, bool) or not isinstance(gradient, numbers.Real):
                raise TypeError(f"backward(gradient=...) takes a real number, got {_describe(gradient)}")
            gradient = float(gradient)
        order = backward_order(self)  # also resets every grad of the graph to -0.0
        self.grad = gradient
        backprop = _BACKPROP
        for v in reversed(order):
            backprop[v._op](v)
        if check_finite:
            report = first_nonfinite(self)
            if report is not None:
                raise NonFiniteError(report)


def _label(label):
    """A label that is a string of another class (NumPy's np.str_, a str subclass) as a plain str."""
    if isinstance(label, str):
        return str.__str__(label)
    if isinstance(label, (tuple, list, set)):  # micrograd's Value(data, _children, _op)
        raise TypeError("Value(data, label) takes a label as its second argument; the inputs of a node "
                        "are recorded by the operations, not passed in (micrograd's _children)")
    raise TypeError(f"a label must be a string, got {_describe(label)}")


def lift(x, symbol, partner):
    """Turn the plain-number operand of a binary operation into a constant leaf."""
    if x.__class__ is float or x.__class__ is int or (
            isinstance(x, numbers.Real) and not isinstance(x, Value)):
        return Value(float(x), None, CONST)
    if isinstance(x, np.ndarray):
        return NotImplemented  # let NumPy apply the operation element by element
    raise TypeError(f"unsupported operand for {symbol}: Value and {_describe(x)}; "
                    f"a Value combines only with {_ACCEPTED}")


def _install_methods():
    ops = OPS
    methods = [
        ("add", "__add__", False), ("add", "__radd__", True),
        ("sub", "__sub__", False), ("sub", "__rsub__", True),
        ("mul", "__mul__", False), ("mul", "__rmul__", True),
        ("div", "__truediv__", False), ("div", "__rtruediv__", True),
        ("pow", "_pow_value", False), ("powc", "_pow_number", False), ("pow", "__rpow__", True),
        ("neg", "__neg__", False),
        ("exp", "exp", False), ("log", "log", False), ("tanh", "tanh", False),
        ("sigmoid", "sigmoid", False), ("relu", "relu", False), ("softplus", "softplus", False),
    ]
    for opname, method, swap in methods:
        fn = codegen.make_eager(ops[opname], method, Value, lift, swap)
        fn.__qualname__ = f"Value.{method}"
        fn.__doc__ = f"{opname}: {ops[opname].forward}   (see engine/ops.py)"
        setattr(Value, method, fn)


_install_methods()


def _pow(self, other):
    """``self ** other``: a number exponent is a constant of the operation (no gradient flows to
    it and a negative base with an integer exponent is fine); a Value exponent is differentiated."""
    if other.__class__ is Value:
        return self._pow_value(other)
    return self._pow_number(other)


def _pos(self):
    return self


def _length_error(w, x):
    for what, seq in (("weights", w), ("inputs", x)):
        if not hasattr(seq, "__len__") or isinstance(seq, (str, bytes, Value)):
            raise TypeError(f"affine: the {what} must be a list of Values or numbers, got {_describe(seq)}")
    raise ValueError(f"affine: {len(w)} weights for {len(x)} inputs; they must match")


def _lift_or_fail(x, symbol):
    v = lift(x, symbol, None)
    if v is NotImplemented:
        raise TypeError(f"{symbol}: expected Values or real numbers, got {_describe(x)}")
    return v


affine = codegen.make_variadic(OPS["affine"], Value, _lift_or_fail, _length_error)
affine.__doc__ = """z = b + Σ_k w_k x_k as one node (equation 5.2 of Higham & Higham for one neuron).

``ws`` and ``xs`` are equally long sequences of Values or numbers (numbers become constants); the
node's inputs are (b, w_1, x_1, w_2, x_2, ...). Generated from the ``affine`` row of engine/ops.py."""

Value.__pow__ = _pow
Value.__pos__ = _pos
del _pow, _pos
