"""Walking a graph of Values without recursion: topological order, edges, non-finite values."""

import math


def _check_root(root, who):
    if not hasattr(root, "_a") or not hasattr(root, "grad"):
        raise TypeError(f"{who} takes a Value (the output of a graph), got {type(root).__name__}")


def topological_order(root):
    """All nodes of the graph under ``root``, each after all of its inputs (``root`` last).

    An explicit stack replaces recursion, so the depth of the graph is unlimited. A node is pushed
    twice: the first pop expands its inputs, the second (when it is already ``seen``) emits it.
    """
    _check_root(root, "topological_order")
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


# Marks that backward_order leaves in the grad slot of an interior node while it walks the graph.
_OPEN = object()  # inputs pushed, node not yet emitted
_DONE = object()  # emitted into the order
# The -0.0 that backward_order gives a leaf it holds: a float object of its own (made at run time,
# so no literal -0.0 anywhere is the same object), so "is _HELD" means "held by this walk".
_HELD = float("-0.0")


def backward_order(root, held=None):
    """The non-leaf nodes under ``root`` in topological order, for ``Value.backward``.

    The same walk as ``topological_order``, but leaves (parameters, inputs, constants) are never
    pushed, which halves the work on a network, and the walk's state is kept in the grad slot of
    each interior node (every interior grad is about to be overwritten anyway) rather than in a
    dict. On return every interior grad is -0.0: the exact additive identity of IEEE arithmetic
    (-0.0 + x == x bit for bit, even for x == -0.0), so each ends up as the plain sum of its
    chain-rule contributions.

    ``held``, a list, receives a pair (leaf, its grad as it was) for each leaf, whose grad is set
    to -0.0 as well, so that the pass computes this pass's gradient alone; ``Value.backward`` then
    adds the held number back, once per leaf (so a second pass doubles a leaf's grad exactly).
    A leaf is recognised as held by the identity of the -0.0 object it holds (one of its own,
    ``_HELD``, that nothing else stores): cheaper than a dict, and exact. Without ``held`` the
    leaves are not touched. The caller holds ``Value.backward``'s lock: two walks at
    once would read each other's marks.
    """
    if root._a is None:
        return []
    restore = held is None
    if restore:
        held = []
    hold = held.append
    HELD = _HELD
    order = []
    emit = order.append
    stack = [root]
    push = stack.append
    pop = stack.pop
    OPEN, DONE = _OPEN, _DONE
    try:
        while stack:
            v = pop()
            s = v.grad
            if s is OPEN:  # second visit: all of its inputs are emitted
                v.grad = DONE
                emit(v)
                continue
            if s is DONE:
                continue
            v.grad = OPEN
            push(v)
            a = v._a
            if a.__class__ is tuple:  # variadic node: all inputs in _a
                for p in reversed(a):  # reversed so that the first input's side comes first
                    if p._a is None:
                        if p.grad is not HELD:
                            hold((p, p.grad))
                            p.grad = HELD
                    elif p.grad is not DONE:
                        push(p)
                continue
            b = v._b  # pushed before a so that a's side of the graph is emitted first
            if b is not None:
                if b._a is None:
                    if b.grad is not HELD:
                        hold((b, b.grad))
                        b.grad = HELD
                elif b.grad is not DONE:
                    push(b)
            if a._a is None:
                if a.grad is not HELD:
                    hold((a, a.grad))
                    a.grad = HELD
            elif a.grad is not DONE:
                push(a)
    except BaseException:  # interrupted: the leaves too are left as they were
        restore = True
        raise
    finally:
        for v in order:
            v.grad = -0.0
        for v in stack:  # only after an interruption: leave no mark behind
            v.grad = -0.0
        if restore:  # the caller did not ask for the leaves: leave them as they were
            release(held)
    return order


def accumulate(held):
    """The end of a pass: each leaf ``backward_order`` held adds the gradient this pass gave it
    to the grad it held before (PyTorch's accumulation into leaves, once per leaf)."""
    for p, g in held:
        p.grad = g + p.grad


def release(held):
    """Give each held leaf back the grad it held before: a pass that did not finish adds nothing."""
    for p, g in held:
        p.grad = g


def edges(root):
    """The edges (input, node) of the graph under ``root``, in topological order of ``node``.

    An input used twice by one node (``a * a``) gives two edges."""
    return [(p, v) for v in topological_order(root) for p in v.inputs]


def local_derivatives(node):
    """d(node)/d(input) for each input of ``node``, in ``node.inputs`` order, from the operation
    table (``None`` for a constant of the operation, such as n in x ** n; ``()`` for a leaf)."""
    from .codegen import PARTIALS
    _check_root(node, "local_derivatives")
    if node._a is None:
        return ()
    return PARTIALS[node._operation](node)


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


class NonFiniteError(FloatingPointError):
    """A NaN or an infinity appeared in a graph; ``.report`` says where first (a ``NonFinite``)."""

    def __init__(self, report):
        self.report = report
        super().__init__(f"a non-finite number appeared in the graph; first at {report}")


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
