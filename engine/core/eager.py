"""The eager engine's functions of each row, built from the rule compiler's source
(``engine/rules/source.py``) and kept in three tables keyed by the row (the ``Op`` itself):

* ``BACKPROP[op](v)``: add v's chain-rule contributions to the grads of its inputs (``backward()``);
* ``PARTIALS[op](v)``: v's local derivatives, one per input (inspection, step tables);
* ``AMOUNTS[op](v, g)``: the contributions ``BACKPROP`` would add when v's gradient is g.

A row of the table is installed at import, a user's row by ``engine.define``. A node made micrograd's
way (``Value(data, children, op)``) has its own ``_backward`` closure: ``BACKPROP`` calls it, and the
two other tables, which would need the derivatives the closure hides, refuse it.
"""

from ..rules import source
from ..rules.table import BUILTIN, CLOSURE_ROW_MADE


class ClosureNodeError(TypeError):
    """A node made micrograd's way, with a ``_backward`` closure, where its rule is needed."""


def refuse_closure(op, what):
    raise ClosureNodeError(
        f"{what} needs the local derivatives of every node, but the node {op.symbol!r} was made "
        f"micrograd's way, Value(data, children, {op.symbol!r}), with its own _backward closure; "
        f"declare the operation with engine.define(name, inputs, forward, partials) to get {what}")


def _closure_backprop(v):
    v._backward()


class _ByOp(dict):
    """A table keyed by Op; a closure node's op (made on the fly, one per ``_op`` text) is answered
    by ``closure`` without being stored."""

    def __init__(self, closure):
        super().__init__()
        self.closure = closure

    def __missing__(self, op):
        if getattr(op, "kind", None) == "closure":
            return self.closure(op)
        raise KeyError(op)


def _refusing(what):
    def for_op(op):
        def refuse(*args):
            refuse_closure(op, what)
        return refuse
    return for_op


# A plain dict, not a _ByOp: a backward pass looks it up once per node, and CPython's interpreter
# specialises that lookup for plain dicts only (a subclass costs 10 to 25 ns more per node). A
# closure row is registered as it is made; none is made before this module runs, since importing
# any part of the engine runs engine/__init__.py, which imports this module.
BACKPROP: dict = {}


def _register_closure(op):
    BACKPROP[op] = _closure_backprop


CLOSURE_ROW_MADE.append(_register_closure)
PARTIALS = _ByOp(_refusing("local derivatives"))
AMOUNTS = _ByOp(_refusing("the step tables"))


def install(op):
    """Build and register the eager functions of the row ``op``."""
    ns = source.namespace(op)
    BACKPROP[op] = source.build(source.backprop_source(op), dict(ns), f"backprop_{op.name}")
    PARTIALS[op] = source.build(source.partials_source(op), dict(ns), f"partials_{op.name}")
    AMOUNTS[op] = source.build(source.amounts_source(op), dict(ns), f"amounts_{op.name}")


for _op in BUILTIN.values():
    install(_op)
