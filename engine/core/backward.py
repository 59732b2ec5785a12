"""One backward pass: the single owner of a pass's state and of the lock that writes gradients.

Everything that back-propagates goes through ``BackwardPass``: ``Value.backward()``, the step tables
and ``backward_steps``/``backward_frames``, the stepper, the Hessian helpers. A pass

* walks the graph once (``graph.interior_order``), with its marks in a set of its own;
* computes either **into the graph** (``run``: the eager engine's fast path, each interior node's
  ``.grad`` set afresh, each leaf's gradient added once at the end), or **privately** (``steps``,
  ``gradients``: a dict of its own, no ``.grad`` touched until ``commit``);
* follows PyTorch's convention for leaves: a leaf *accumulates* (``grad + this pass's gradient``), a
  ``None`` grad means "no gradient yet" and becomes this pass's gradient, and a pass that fails or is
  abandoned, for any reason, changes no leaf's gradient.

Writing passes take one lock (``BackwardPass.lock``), so passes in several threads over graphs that
share nodes take turns; private passes read only ``.data`` and need none. Both kinds do the same
arithmetic in the same order (the chain rule of ``engine/rules/chain.py``), so their numbers agree
bit for bit.
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .atomic import consume, set_all, writes
from .eager import AMOUNTS, BACKPROP, refuse_closure
from .graph import interior_order

if TYPE_CHECKING:
    from .value import Value


def _describe(x):
    text = repr(x)
    return f"{type(x).__name__} {text[:37] + '...' if len(text) > 40 else text}"


def check_gradient(gradient):
    """The seed gradient as a float, or a TypeError naming what was given."""
    if gradient.__class__ is float:
        return gradient
    if isinstance(gradient, bool) or not isinstance(gradient, numbers.Real):
        raise TypeError(f"backward(gradient=...) takes a real number, got {_describe(gradient)}")
    return float(gradient)


def _accumulate(leaf, g):
    before = leaf.grad
    return g if before is None else before + g


def _run(root, gradient, order, leaves):
    """The eager pass into the graph (``BackwardPass.run``); ``leaves`` as ``interior_order``
    gives them, a leaf once per use.

    A leaf's sum of this pass starts from -0.0, the exact identity of IEEE addition, and is added to
    its old grad once, at the end (PyTorch's AccumulateGrad). When every leaf's old grad is ±0.0
    (the common case: after ``zero_grad()``; one count in C says so), the leaves add their
    contributions in place instead: a sum started from ±0.0 and that sum added to ±0.0 are the same
    bits (a sum that starts from +0.0 is never -0.0, and -0.0 + x is x). Otherwise every leaf
    starts from -0.0 and its old grad is added at the end: all the sums first, then the writes, so
    that a leaf listed twice gets the same number twice. On any error (or Ctrl-C), at any point of
    the pass, the undo gives every leaf back the grad it had: it was prepared before any leaf
    changed, and runs in one C call, which Ctrl-C cannot cut half way (``atomic.py``)."""
    with BackwardPass.lock:
        olds = [p.grad for p in leaves]
        # the undo is prepared before any leaf changes: preparing it in the except clause would call
        # a Python function (writes) there, at whose start a second Ctrl-C could skip the undo
        undo = writes(leaves, "grad", olds)
        held = olds.count(0.0) != len(olds)  # == 0.0: true for ±0.0, not for None, NaN or others
        try:
            if held:
                for p in leaves:
                    p.grad = -0.0
            if order:
                for v in order:
                    v.grad = -0.0
                root.grad = gradient
                backprop = BACKPROP
                for v in reversed(order):
                    backprop[v._operation](v)
            else:  # a leaf root: d(root)/d(root) is the seed, added to its old grad
                root.grad = gradient if held else olds[0] + gradient
            if held:  # still inside the try: a failure here, too, is undone whole
                # None: no gradient yet (the pass's sum, as it is)
                sums = [p.grad if g is None else g + p.grad for p, g in zip(leaves, olds)]
                for p, g in zip(leaves, sums):
                    p.grad = g
        except BaseException:
            consume(undo)
            raise


class BackwardPass:
    """The backward pass of ``root`` seeded with ``gradient`` (d root/d root, 1 by default).

    ``order`` is the engine's processing order reversed (topological, root last) of the non-leaf
    nodes; ``leaves`` the distinct leaves reached."""

    lock = threading.RLock()  # re-entrant: a user's _backward closure may call backward() itself

    __slots__ = ("root", "gradient", "order", "leaves", "grads")

    def __init__(self, root: Value, gradient: float = 1.0) -> None:
        if not hasattr(root, "_a") or not hasattr(root, "grad"):
            raise TypeError(f"a backward pass starts at a Value (the output of a graph), got "
                            f"{type(root).__name__}")
        self.root = root
        self.gradient = check_gradient(gradient)
        self.leaves: list[Value] = []
        self.order = interior_order(root, self.leaves)
        self.grads: dict[Value, float] | None = None  # {node: gradient} once a private pass has finished

    # ------------------------------------------------------------ into the graph

    def run(self) -> None:
        """``root.backward(gradient)``: every interior ``.grad`` becomes d(root)/d(node) of this
        pass; every leaf adds its d(root)/d(leaf) once, at the end. On any error (or Ctrl-C) the
        leaves keep the grads they had."""
        _run(self.root, self.gradient, self.order, self.leaves)

    @classmethod
    def backward(cls, root: Value, gradient: float = 1.0) -> None:
        """``run`` without keeping a pass object: ``Value.backward``'s path (the same code)."""
        if gradient.__class__ is not float:
            gradient = check_gradient(gradient)
        leaves: list[Value] = []
        _run(root, gradient, interior_order(root, leaves), leaves)

    # ------------------------------------------------------------ privately

    def steps(self) -> Iterator[tuple[Value, float, list]]:
        """The pass one node at a time, computed privately. Yields, per non-leaf node in the
        engine's order, ``(node, its gradient, entries)``: one entry per input, in ``node.inputs``
        order, ``(input, amount, before, after)``: the chain-rule contribution (``None`` for a
        constant of the operation, which gets 0.0 as backward() sets), and the input's gradient in
        this pass before (``None``: nothing added yet) and after it. ``grads`` holds every node's
        gradient once the last step is taken. Nothing in the graph changes (``commit`` writes it)."""
        self.require_rules()
        grads = {self.root: self.gradient}
        amounts = AMOUNTS
        for v in reversed(self.order):
            g = grads[v]  # complete: every consumer of v came earlier
            entries = []
            for p, amount in zip(v.inputs, amounts[v._operation](v, g)):
                before = grads.get(p)
                if amount is None:  # a constant of the operation: no gradient, as backward() sets
                    after = 0.0
                else:
                    after = amount if before is None else before + amount
                grads[p] = after
                entries.append((p, amount, before, after))
            yield v, g, entries
        self.grads = grads

    def require_rules(self, what: str = "a pass computed node by node (step tables, the stepper, Hessians)") -> None:
        """Refuse a graph with a node made micrograd's way: its derivative is a closure that only
        ``run`` can call."""
        for v in self.order:
            if v._operation.kind == "closure":
                refuse_closure(v._operation, what)

    def gradients(self) -> dict[Value, float]:
        """{node: d(root)/d(node)} for every node of the graph, computed privately (no ``.grad``
        changes), with the arithmetic of ``run``: the same bits."""
        if self.grads is None:
            for _ in self.steps():
                pass
        assert self.grads is not None
        return self.grads

    def commit(self) -> None:
        """Write a finished private pass into the graph, as ``run`` would have: interior nodes get
        this pass's gradient, leaves add theirs (a ``None`` grad becomes it)."""
        grads = self.gradients()
        with self.lock:
            leaves = [p for p in dict.fromkeys(self.leaves) if p in grads]  # each leaf once
            values = [grads[v] for v in self.order] + [_accumulate(p, grads[p]) for p in leaves]
            set_all(self.order + leaves, "grad", values)
