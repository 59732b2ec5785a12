"""Walking a graph of Values without recursion: topological order, edges, non-finite values.

Every walk keeps its marks in sets and dicts of its own, never in the nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import math

from .eager import PARTIALS

if TYPE_CHECKING:
    from .value import Value


def _check_root(root, who):
    if not hasattr(root, "_a") or not hasattr(root, "grad"):
        raise TypeError(f"{who} takes a Value (the output of a graph), got {type(root).__name__}")


def topological_order(root: Value) -> list[Value]:
    """All nodes of the graph under ``root``, each after all of its inputs (``root`` last).

    An explicit stack replaces recursion, so the depth of the graph is unlimited. A node is pushed
    twice: the first pop expands its inputs, the second (when it is already ``seen``) emits it.
    """
    _check_root(root, "topological_order")
    order: list[Value] = []
    emit = order.append
    seen = set()
    done = set()
    stack = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        v = pop()
        if v in done:
            continue
        if v in seen:
            done.add(v)
            emit(v)
            continue
        seen.add(v)
        push(v)
        a = v._a
        if a is None:
            continue
        if a.__class__ is tuple:  # variadic node: all inputs in _a
            for p in reversed(a):  # reversed so that the first input's side is emitted first
                if p not in seen:
                    push(p)
            continue
        b = v._b  # pushed before a so that a's side of the graph is emitted first
        if b is not None and b not in seen:
            push(b)
        if a not in seen:
            push(a)
    return order


_EMIT = object()  # in a walk's stack: the node below it has all its inputs emitted


def interior_order(root: Value, leaves: list[Value]) -> list[Value]:
    """The non-leaf nodes under ``root`` in topological order (``root`` last), for a backward pass;
    the leaves (parameters, inputs, constants) are appended to the list ``leaves``, once per use (a
    leaf read by two nodes, such as an input of every neuron of a layer, is listed twice).

    The same walk as ``topological_order`` but leaves are never pushed, which halves the work on a
    network. The walk's marks live in a set of its own, never in the nodes: two walks at once, in
    one thread or several, cannot see each other. Expanding a node pushes it back with ``_EMIT``
    above it and its inputs above that: when ``_EMIT`` comes off the stack, every input is emitted,
    so the node under it is next (no lookup needed). A node is tested against the set when it comes
    off the stack (pushed by two consumers: expanded already), not also when it is pushed: the
    test would cost more than the pushes it saves. Leaves are not looked up at all: a pass needs
    each distinct leaf only when it sets one aside (``backward.py``), rarely, and deduplicates them
    then. Against the grad-slot marks of the first edition, a set costs about 60 ns a node (a
    million-node chain: a 32 MB table), which these two savings and the unary runs below win back."""
    if root._a is None:
        leaves.append(root)
        return []
    seen: set[Value] = set()
    see = seen.add
    hold = leaves.append
    order: list[Value] = []
    emit = order.append
    stack: list = [root]  # Values, and _EMIT markers
    push = stack.append
    pop = stack.pop
    EMIT = _EMIT
    while stack:
        v = pop()
        if v is EMIT:
            emit(pop())
            continue
        if v in seen:  # pushed by two consumers: expanded already
            continue
        see(v)
        push(v)
        push(EMIT)
        a = v._a
        b = v._b
        # A run of unary nodes, each the input of the one before (relu(tanh(x)), a deep chain):
        # each is expanded here as soon as it is reached, as it would be when it came off the
        # stack next, without the trip through the stack and the loop.
        while b is None and a.__class__ is not tuple:
            if a._a is None:
                hold(a)
                break
            if a in seen:
                break
            see(a)
            push(a)
            push(EMIT)
            b = a._b
            a = a._a
        else:
            if a.__class__ is tuple:  # variadic node: all inputs in _a
                for p in reversed(a):  # reversed so that the first input's side comes first
                    if p._a is None:
                        hold(p)
                    else:
                        push(p)
            else:  # a binary node: b pushed before a so that a's side of the graph is emitted first
                if b._a is None:
                    hold(b)
                else:
                    push(b)
                if a._a is None:
                    hold(a)
                else:
                    push(a)
    return order


def edges(root: Value) -> list[tuple[Value, Value]]:
    """The edges (input, node) of the graph under ``root``, in topological order of ``node``.

    An input used twice by one node (``a * a``) gives two edges."""
    return [(p, v) for v in topological_order(root) for p in v.inputs]


def local_derivatives(node: Value) -> tuple:
    """d(node)/d(input) for each input of ``node``, in ``node.inputs`` order, from the operation
    table (``None`` for a constant of the operation, such as n in x ** n; ``()`` for a leaf)."""
    _check_root(node, "local_derivatives")
    if node._a is None:
        return ()
    return PARTIALS[node._operation](node)


def leaves(root: Value) -> list[Value]:
    """The leaves of the graph (inputs, parameters and constants), in topological order."""
    return [v for v in topological_order(root) if v._a is None]


class NonFinite:
    """Where a NaN or an infinity first appears in a graph (see ``first_nonfinite``)."""

    def __init__(self, node, field, position):
        self.node = node
        self.field = field        # "data" or "grad"
        self.position = position  # index in topological order

    def __repr__(self):
        v = self.node
        ins = ", ".join(f"{p.label or p.op or 'leaf'}={p.data!r}" for p in v.inputs)
        return (f"NonFinite({self.field}={getattr(v, self.field)!r} at node #{self.position} "
                f"label={v.label!r} op={v.op or 'leaf'!r} inputs=[{ins}])")

    __str__ = __repr__


class NonFiniteError(FloatingPointError):
    """A NaN or an infinity appeared in a graph; ``.report`` says where first (a ``NonFinite``)."""

    def __init__(self, report):
        self.report = report
        super().__init__(f"a non-finite number appeared in the graph; first at {report}")


def first_nonfinite(root: Value, grads: bool = True) -> NonFinite | None:
    """The first node whose value (in forward order) or gradient (in backward order) is NaN or
    infinite, as a ``NonFinite`` report, or ``None`` when every number in the graph is finite.

    Values are checked first, in the order they were computed, so the report points at the node
    where the trouble started rather than at everything downstream of it.
    """
    order = topological_order(root)
    isfinite = math.isfinite
    for i, v in enumerate(order):
        if not isfinite(v.data):
            return NonFinite(v, "data", i)
    if grads:
        for i in range(len(order) - 1, -1, -1):
            v = order[i]
            if not isfinite(v.grad):
                return NonFinite(v, "grad", i)
    return None
