"""Walking a graph of Values without recursion: topological order, edges, non-finite values."""

import math


def topological_order(root):
    """All nodes of the graph under ``root``, each after all of its inputs (``root`` last).

    An explicit stack replaces recursion, so the depth of the graph is unlimited. A node is pushed
    twice: the first pop expands its inputs, the second (when it is already ``seen``) emits it.
    """
    order = []
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


def backward_order(root):
    """The non-leaf nodes under ``root`` in topological order, for ``Value.backward``.

    The same walk as ``topological_order`` but leaves (parameters, inputs, constants) are not
    pushed, which halves the work on a network, and every grad met is reset to -0.0 on the way:
    -0.0 is the exact additive identity of IEEE arithmetic (-0.0 + x == x bit for bit, even for
    x == -0.0), so each grad ends up as the plain sum of its chain-rule contributions.
    """
    root.grad = -0.0
    if root._a is None:
        return []
    order = []
    emit = order.append
    state = {}  # absent: not met; 1: inputs pushed; 2: emitted
    get = state.get
    stack = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        v = pop()
        s = get(v)
        if s is None:
            state[v] = 1
            push(v)
            a = v._a
            if a.__class__ is tuple:
                for p in reversed(a):
                    if p._a is None:
                        p.grad = -0.0
                    elif p not in state:
                        push(p)
                continue
            b = v._b
            if b is not None:
                if b._a is None:
                    b.grad = -0.0
                elif b not in state:
                    push(b)
            if a._a is None:
                a.grad = -0.0
            elif a not in state:
                push(a)
        elif s == 1:
            state[v] = 2
            v.grad = -0.0
            emit(v)
    return order


def edges(root):
    """The edges (input, node) of the graph under ``root``, in topological order of ``node``.

    An input used twice by one node (``a * a``) gives two edges."""
    return [(p, v) for v in topological_order(root) for p in v.inputs]


def local_derivatives(node):
    """d(node)/d(input) for each input of ``node``, in ``node.inputs`` order, from the operation
    table (``None`` for a constant of the operation, such as n in x ** n; ``()`` for a leaf)."""
    from .codegen import PARTIALS
    if node._a is None:
        return ()
    return PARTIALS[node._op](node)


def leaves(root):
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


def first_nonfinite(root, grads=True):
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
