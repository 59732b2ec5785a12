"""``Value``: one float that remembers how it was computed, and reverse-mode differentiation over it.

A Value holds six slots and no closure: ``data``, ``grad``, ``label``, the operation
(``_operation``, a row of ``engine/rules/table.py``; ``_op`` is micrograd's string for it) and its inputs:
``_a`` and ``_b`` for the unary and binary operations, the whole tuple of inputs in ``_a`` for the
variadic ``affine`` (``inputs`` gives them all as a tuple). Two slots instead of a tuple of inputs
save an allocation per node: less memory, and less work for Python's garbage collector, which
otherwise dominates the time to build a graph of a million nodes. A seventh, ``__dict__``, holds the
attributes users attach (micrograd code does). The arithmetic methods and the backward step of
every operation are generated from that table by the rule compiler (``engine/rules``), so this file
holds only the plumbing: lifting plain numbers, micrograd's constructor, and ``backward``, which a
``BackwardPass`` (``engine/core/backward.py``) carries out."""

from __future__ import annotations

import html
import inspect
import numbers
import threading
import types
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from ..rules import source
from ..rules.table import BUILTIN, CONST, UNARY, Op, closure_op
from .backward import BackwardPass
from .eager import BACKPROP
from .graph import NonFiniteError, first_nonfinite
from .graph import topological_order as topological_order_of

Operand = Union["Value", float, int, numbers.Real]  # what combines with a Value (numbers become constants)
# a power whose exponent is a number, a constant of the operation (the n of x ** n)
_CONSTANT_EXPONENT = (BUILTIN["powc"], BUILTIN["powdc"])
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


def as_float(data: Any, what: str) -> float:
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

    # "__dict__" lets users attach attributes of their own (micrograd code does: ``v._vis_color``,
    # an optimizer's ``p.m``); it costs one pointer per node until an attribute is set.
    __slots__ = ("data", "grad", "label", "_operation", "_a", "_b", "__dict__")

    # nn sets it on its weights and biases; drawings and step tables read it (never a label) to
    # tell the parameters of a graph from its inputs. A class default: costs nothing per node.
    is_parameter: bool = False

    data: float
    grad: Any  # a float; None means "no gradient yet", as in PyTorch (a pass sets it)
    label: str | None

    if TYPE_CHECKING:  # generated from the table at import (_install_methods): declared for type checkers
        def __add__(self, other: Operand) -> Value: ...
        def __radd__(self, other: Operand) -> Value: ...
        def __sub__(self, other: Operand) -> Value: ...
        def __rsub__(self, other: Operand) -> Value: ...
        def __mul__(self, other: Operand) -> Value: ...
        def __rmul__(self, other: Operand) -> Value: ...
        def __truediv__(self, other: Operand) -> Value: ...
        def __rtruediv__(self, other: Operand) -> Value: ...
        def __pow__(self, other: Operand) -> Value: ...
        def __rpow__(self, other: Operand) -> Value: ...
        def __neg__(self) -> Value: ...
        def __pos__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def softplus(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def abs(self) -> Value: ...
        def max(self, other: Operand) -> Value: ...

    def __init__(self, data: Any, label: Any = None, _operation: Any = None, _a: Any = None,
                 _b: Any = None) -> None:
        if data.__class__ is not float:
            data = _to_float(data)
        self.data = data
        self.grad = 0.0
        if label is not None and label.__class__ is not str:
            if isinstance(label, (tuple, list, set, frozenset)):  # micrograd: Value(data, _children, _op)
                _closure_node(self, label, _operation, _a)
                return
            label = _label(label)
        self.label = label
        self._operation = _operation
        self._a = _a
        self._b = _b

    # ------------------------------------------------------------------ inspection

    @property
    def op(self) -> str:
        """Name of the operation that produced this node ("mul", "sigmoid", ...); "" for a leaf
        made by the user, "const" for a leaf made from a plain number such as the 2 in ``2 * v``."""
        return "" if self._operation is None else self._operation.name

    @property
    def operation(self) -> Op | None:
        """The row of the operation table (``engine.OPS``) that produced this node: its forward
        rule and local derivatives. ``None`` for a leaf made by the user."""
        return self._operation

    @property
    def _op(self):
        """micrograd's ``_op``: the operation as a short string for drawings: '' for a leaf (and a
        constant), '+', '*', 'tanh', 'exp', 'ReLU', '**2' for a power with a number exponent, the
        table's symbol for the operations micrograd does not have ('σ', 'log', '/', 'Σ', ...), and
        the text given to ``Value(data, children, op)``."""
        op = self._operation
        if op is None or op is CONST:
            return ""
        if op in _CONSTANT_EXPONENT:
            n = self._b.data
            return f"**{int(n) if n.is_integer() and abs(n) < 1e15 else n}"
        return op.symbol

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The Values this node was computed from, in the operation's argument order."""
        a = self._a
        if a is None:
            return ()
        if a.__class__ is tuple:
            return a
        b = self._b
        return (a,) if b is None else (a, b)

    @property
    def _prev(self):
        """micrograd's ``_prev``: the Values this node was computed from, without the constants of
        its operation (the 2 of ``x ** 2`` is part of the operation, as in micrograd, and is drawn
        in its label ``**2``). A tuple in argument order here (micrograd's is a set)."""
        if self._operation in _CONSTANT_EXPONENT:
            return (self._a,)
        return self.inputs

    @property
    def is_closure(self) -> bool:
        """True for a node made micrograd's way, ``Value(data, children, op)``, whose derivative is
        its own ``_backward`` closure rather than a row of the table."""
        op = self._operation
        return op is not None and op.kind == "closure"

    @property
    def is_leaf(self) -> bool:
        return self._a is None

    @property
    def is_constant(self) -> bool:
        return self._operation is CONST

    def __repr__(self):
        extra = ""
        if self.label is not None:
            extra += f", label={self.label!r}"
        if self._operation is not None:
            extra += f", op={self._operation.name!r}"
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __float__(self):
        return self.data

    def _repr_html_(self):
        """How Jupyter shows a Value: label, data, grad and operation as a small table."""
        e = html.escape
        cells = [e("" if self.label is None else str(self.label)), e(repr(self.data)), e(repr(self.grad)),
                 e(self.op or "(leaf)"), str(len(self.inputs))]
        return ('<table class="seebackprop"><caption style="text-align:left;font-weight:bold">Value'
                '</caption><thead><tr><th>label</th><th>data</th><th>grad</th><th>op</th><th>inputs</th>'
                '</tr></thead><tbody><tr>' + "".join(f"<td>{c}</td>" for c in cells) + "</tr></tbody></table>")

    # Values compare and hash by identity (object's defaults), so they work as set members and
    # dict keys; == is deliberately not overloaded.

    # ------------------------------------------------------------------ copying and pickling
    #
    # A copy is a graph of its own that behaves as the original: the same numbers, the same rows
    # (an Op copies as itself and pickles by name), constants still constants, shared nodes still
    # shared. Python's default machinery recurses once per level of the graph (a 20,000-node chain
    # exceeds the recursion limit), so both are done here without recursion.

    def __copy__(self):
        """A shallow copy: a new node over the same inputs (the graph below is not copied)."""
        new = Value.__new__(Value)
        _fill(new, self, self._a, self._b, dict(self.__dict__))
        return new

    def __deepcopy__(self, memo):
        """The graph under this node copied node by node, leaves first (an explicit walk, so its
        depth is unlimited), through ``memo``: a node shared by several paths, or already copied
        with other objects in the same ``copy.deepcopy`` call, is copied once."""
        found = memo.get(id(self))
        if found is not None:
            return found
        import copy
        keep = memo.setdefault(id(memo), [])  # the originals stay alive while memo holds their ids
        order = _uncopied(self, memo)
        for v in order:  # first every node, so that every input below has its copy ...
            memo[id(v)] = Value.__new__(Value)
            keep.append(v)
        for v in order:  # ... then their fields, inputs replaced by their copies
            a, b = v._a, v._b
            if a.__class__ is tuple:
                a = tuple(memo[id(x)] for x in a)
            elif a is not None:
                a = memo[id(a)]
            if b is not None:
                b = memo[id(b)]
            _fill(memo[id(v)], v, a, b, _copy_attributes(v.__dict__, memo, copy.deepcopy))
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        """Pickling without recursion. A node reached first (not part of a graph being pickled)
        pickles the nodes under it first, in topological order, then itself; each of those is
        pickled shallow (its fields, its inputs by reference: already pickled, so no nesting).
        The pickle's memo keeps shared nodes shared, also between several graphs in one pickle."""
        if id(self) in _PICKLING.__dict__.setdefault("covered", {}):
            return (_new_value, (), _state(self))
        below = topological_order_of(self)[:-1]
        covered = _PICKLING.covered
        for v in below:
            covered[id(v)] = v
        return (_rebuild, (below + [_Uncover([id(v) for v in below])],) + _state(self))

    def __setstate__(self, state):
        if len(state) == 2:  # Python's default form (pickles made before this method existed)
            attributes, slots = state
            for name, value in (slots or {}).items():
                setattr(self, name, value)
        else:
            self.data, self.grad, self.label, self._operation, self._a, self._b, attributes = state
        if attributes:
            self.__dict__.update(attributes)

    # ------------------------------------------------------------------ reverse mode

    def backward(self, gradient: float = 1.0, *, check_finite: bool = False) -> None:
        """Add d(self)/d(leaf) to the ``.grad`` of every leaf of the graph under this Value, and
        give every interior node this pass's d(self)/d(node).

        PyTorch's convention: leaves (parameters, inputs) *accumulate*, so a batch whose samples
        each call ``backward()`` ends with the gradient of the sum, and ``zero_grad()`` (or
        ``p.grad = 0.0``) belongs between training steps; a leaf whose grad is ``None`` gets this
        pass's gradient. As in PyTorch, a pass computes a leaf's whole gradient first and then adds
        it once (a second pass doubles it exactly), and a pass that fails adds nothing. Interior
        nodes are set afresh on every pass (micrograd compounds them too). A node reached along
        several paths gets the sum over all paths. The graph is walked with an explicit stack, so
        a chain of a million nodes is fine. Passes in several threads take turns (one lock).

        ``check_finite=True`` is the anomaly mode: afterwards, if any value or gradient of the
        graph is NaN or infinite, raise ``NonFiniteError`` naming the first node where it
        appeared (its label, operation and inputs; see ``engine.first_nonfinite``).
        """
        BackwardPass.backward(self, gradient)
        if check_finite:
            report = first_nonfinite(self)
            if report is not None:
                raise NonFiniteError(report)

    def _backward(self):
        """micrograd's per-node step: add ``self.grad * d(self)/d(input)`` to each input's
        ``.grad``, from the operation table (nothing for a leaf, or for a node made with
        ``Value(data, children, op)`` whose ``_backward`` was never set, as in micrograd). Setting
        the root's grad to 1 and calling ``_backward()`` on every node in reverse topological order
        is ``backward()`` (on a graph whose interior grads start at 0)."""
        op = self._operation
        if self._a is not None and op.kind != "closure":
            BACKPROP[op](self)


def _closure_node(v, children, op_text, extra):
    """``Value(data, children, op)``, micrograd's form: a node whose inputs are ``children`` and
    whose derivative is the ``_backward`` closure the user sets on it (``backward()`` calls it in
    reverse topological order). No children: a leaf (labelled by nothing, as micrograd's)."""
    if extra is not None:
        raise TypeError("Value(data, children, op) takes three arguments, as micrograd's Value")
    if op_text is None:
        op_text = ""
    if not isinstance(op_text, str):
        raise TypeError(f"Value(data, children, op): op must be a string such as 'sin', got "
                        f"{_describe(op_text)}")
    kids = tuple(children)
    for i, k in enumerate(kids):
        if not isinstance(k, Value):
            raise TypeError(f"Value(data, children, op): children[{i}] must be a Value, got {_describe(k)}")
    v.label = None
    v._b = None
    if not kids:
        v._operation = None
        v._a = None
    elif len(kids) <= 2:
        v._operation = closure_op(op_text)
        v._a = kids[0]
        v._b = kids[1] if len(kids) == 2 else None
    else:
        v._operation = closure_op(op_text)
        v._a = kids


def _label(label):
    """A label that is a string of another class (NumPy's np.str_, a str subclass) as a plain str."""
    if isinstance(label, str):
        return str.__str__(label)
    raise TypeError(f"a label must be a string, got {_describe(label)}")


def _fill(new, old, a, b, attributes):
    new.data, new.grad, new.label, new._operation = old.data, old.grad, old.label, old._operation
    new._a, new._b = a, b
    if attributes:
        new.__dict__.update(attributes)


def _uncopied(root, memo):
    """The nodes under ``root`` (itself included) that ``memo`` has no copy of, inputs first."""
    order, state, stack = [], {}, [root]
    while stack:
        v = stack.pop()
        if state.get(id(v)) == 1:
            state[id(v)] = 2
            order.append(v)
            continue
        if id(v) in state or id(v) in memo:
            continue
        state[id(v)] = 1
        stack.append(v)
        a = v._a
        ins = a if a.__class__ is tuple else (() if a is None else (a,) if v._b is None else (a, v._b))
        stack.extend(x for x in reversed(ins) if id(x) not in state and id(x) not in memo)
    return order


def _copy_attributes(attributes, memo, deepcopy):
    """A node's own attributes deep-copied through ``memo``. A ``_backward`` closure (a node made
    micrograd's way) is rebuilt over copies of what it captured (``out``, the inputs), so that the
    copy's closure updates the copy's nodes, not the original's."""
    if not attributes:
        return None
    result = {}
    for key, x in attributes.items():
        if key == "_backward" and isinstance(x, types.FunctionType) and x.__closure__:
            cells = tuple(types.CellType(deepcopy(c.cell_contents, memo)) for c in x.__closure__)
            f = types.FunctionType(x.__code__, x.__globals__, x.__name__, x.__defaults__, cells)
            f.__kwdefaults__, f.__qualname__ = x.__kwdefaults__, x.__qualname__
            result[key] = f
        else:
            result[key] = deepcopy(x, memo)
    return result


def _state(v):
    return (v.data, v.grad, v.label, v._operation, v._a, v._b, v.__dict__ or None)


def _new_value():
    return Value.__new__(Value)


def _rebuild(below, *state):
    v = Value.__new__(Value)
    v.__setstate__(state)
    return v


class _Uncover:
    """Pickled after the nodes under a graph's root: ends their shallow pickling (see
    ``Value.__reduce_ex__``). Unpickles as None."""

    def __init__(self, ids):
        self.ids = ids

    def __reduce__(self):
        covered = _PICKLING.__dict__.get("covered", {})
        for i in self.ids:
            covered.pop(i, None)
        return (type(None), ())


_PICKLING = threading.local()  # covered: {id: node} of the nodes being pickled shallow, per thread


def values_of(seq: Any, who: str, what: str, accepted: str = "a sequence of Values") -> list[Value]:
    """``seq`` as a list of Values, or a TypeError naming ``who`` (the function), ``what`` (its
    argument), what it accepts, and the first item that is not a Value (for compile's inputs,
    grad's wrt ...)."""
    try:
        items = list(seq)
    except TypeError:
        raise TypeError(f"{who}: {what} must be {accepted}, got {type(seq).__name__}") from None
    for i, v in enumerate(items):
        if not isinstance(v, Value):
            raise TypeError(f"{who}: {what}[{i}] must be a Value, got {type(v).__name__}")
    return items


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
    # Python's operators, then every unary row of the table as a method of its name (a new unary
    # row of the table is a method with no other code), and max.
    methods = [
        ("add", "__add__", False), ("add", "__radd__", True),
        ("sub", "__sub__", False), ("sub", "__rsub__", True),
        ("mul", "__mul__", False), ("mul", "__rmul__", True),
        ("div", "__truediv__", False), ("div", "__rtruediv__", True),
        ("pow", "_pow_value", False), ("powc", "_pow_number", False), ("pow", "__rpow__", True),
        ("neg", "__neg__", False), ("abs", "__abs__", False), ("max", "max", False),
    ] + [(name, name, False) for name in UNARY if name != "neg"]
    for opname, method, swap in methods:
        op = BUILTIN[opname]
        ns = source.namespace(op, Value=Value, OP=op, lift=lift, _to_float=_to_float, _new=object.__new__)
        fn = source.build(source.method_source(op, method, swap), ns, f"method_{op.name}")
        fn.__name__ = method
        fn.__qualname__ = f"Value.{method}"
        fn.__doc__ = f"{opname}: {op.forward}   (see engine/rules/table.py)"
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


def lift_or_fail(x, symbol):
    v = lift(x, symbol, None)
    if v is NotImplemented:
        raise TypeError(f"{symbol}: expected Values or real numbers, got {_describe(x)}")
    return v


affine = source.build(source.variadic_source(BUILTIN["affine"]),
                      source.namespace(BUILTIN["affine"], Value=Value, OP=BUILTIN["affine"], CONST=CONST,
                                       _to_float=_to_float, _new=object.__new__, lift_or_fail=lift_or_fail,
                                       length_error=_length_error), "affine")
affine.__doc__ = """z = b + Σ_k w_k x_k as one node (equation 5.2 of Higham & Higham for one neuron).

``ws`` and ``xs`` are equally long sequences of Values or numbers (numbers become constants); the
node's inputs are (b, w_1, x_1, w_2, x_2, ...). Generated from the ``affine`` row of engine/rules/table.py."""

setattr(Value, "__pow__", _pow)  # noqa: B010 (declared above for type checkers)
setattr(Value, "__pos__", _pos)  # noqa: B010
del _pow, _pos


def _public_signatures():
    """help(Value), IDEs and inspect show ``Value(data, label=None)``: the other parameters of
    ``__init__`` are the engine's own way of recording an operation, not part of the API."""
    P = inspect.Parameter
    public = [P("data", P.POSITIONAL_OR_KEYWORD), P("label", P.POSITIONAL_OR_KEYWORD, default=None)]
    Value.__signature__ = inspect.Signature(public)
    Value.__init__.__signature__ = inspect.Signature([P("self", P.POSITIONAL_OR_KEYWORD)] + public)


_public_signatures()
