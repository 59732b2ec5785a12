"""Gradients that are graphs: second derivatives, Hessians, Hessian-vector products.

``grad(output, wrt, create_graph=True)`` runs back propagation *on Values*: it walks the graph in the
order of ``Value.backward`` and, for each node, evaluates the chain rule of its row, written by the
rule compiler (``engine/rules/chain.py``, dialect "call") exactly as for every other writer, with the
functions of the Values runtime (``engine/higher/values.py``) instead of numbers. The result is an
ordinary graph: it can be differentiated again (its rows are in the same table), drawn, stepped
through and compiled. There is no second copy of any derivative.

The gradient graph performs the arithmetic of ``Value.backward`` node for node (same order, same
accumulation, the same chain-rule convention), so its values equal ``backward()``'s bit for bit.

Conventions at second order: relu'' = 0 (``step`` is piecewise constant; its derivative is taken to be
0 everywhere, also at the kink, as PyTorch does); likewise abs'' = 0 and max'' = 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.backward import BackwardPass
from ..core.eager import refuse_closure
from ..core.graph import topological_order
from ..core.value import Value, affine, values_of
from ..rules.chain import contributions
from ..rules.source import build
from ..rules.table import CONST
from . import values

_CHAIN: dict = {}  # (op, number of inputs) -> function (g, out, x0, x1, ...) -> ((sign, term) or None, ...)


def _chain_function(op, n):
    """The chain rule of ``op`` for a node of ``n`` inputs, evaluated on Values."""
    key = (op, n)
    fn = _CHAIN.get(key)
    if fn is None:
        if op.kind == "closure":
            refuse_closure(op, "a gradient graph (second derivatives)")
        args = [f"x{i}" for i in range(n)]
        targets = [f"t{i}" for i in range(n)]
        terms = {t: (sign, term) for t, sign, term in contributions(op, targets, "g", args, "out", "call")}
        entries = ", ".join(f"({terms[t][0]!r}, {terms[t][1]})" if t in terms else "None" for t in targets)
        text = f"def chain(g, out, {', '.join(args)}):\n    return ({entries},)\n"
        fn = _CHAIN[key] = build(text, values.namespace(op), "chain")
    return fn


def _as_values(wrt: Value | Sequence[Value], who: str = "grad") -> list[Value]:
    if isinstance(wrt, Value):
        return [wrt]
    return values_of(wrt, who, "wrt", "a Value or a sequence of Values")


def grad(output: Value, wrt: Value | Sequence[Value], create_graph: bool = False) -> tuple[Value, ...]:
    """d(output)/d(x) for each x in ``wrt`` (a Value or a sequence of Values), as a tuple of Values.

    ``create_graph=True``: each gradient is a Value whose graph computes it from the leaves of
    ``output``'s graph, built from the operation table's partials, so it can be differentiated
    again (``grad`` of it, or ``.backward()`` on it), drawn and compiled. ``create_graph=False``:
    plain leaf Values holding the numbers (those of ``output.backward()``, bit for bit).

    Like ``torch.autograd.grad``, nothing's ``.grad`` is touched. A Value of ``wrt`` that
    ``output`` does not depend on gets a constant 0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: the output must be a Value, got {type(output).__name__}")
    values = _as_values(wrt)
    if not create_graph:  # numbers: a private backward pass (nothing in the graph changes)
        numbers = BackwardPass(output).gradients()
        return tuple(Value(numbers[x]) if x in numbers else Value(0.0, None, CONST) for x in values)
    grads = _backprop_values(output, set(values))
    return tuple(grads.get(x) or Value(0.0, None, CONST) for x in values)


def _backprop_values(output, targets):
    """{node: gradient Value} for the nodes on a path from ``output`` down to ``targets``."""
    order = topological_order(output)
    needs = set()
    for v in order:
        # refused wherever it is in the graph, as compile and the step tables do, not only on the
        # paths to the targets: whether a graph can be differentiated twice does not depend on wrt
        if v._operation is not None and v._operation.kind == "closure":
            refuse_closure(v._operation, "a gradient graph (second derivatives)")
        if v in targets or any(u in needs for u in v.inputs):
            needs.add(v)
    if output not in needs:
        return {}
    grads = {output: Value(1.0, None, CONST)}
    for v in reversed(order):
        if v._a is None or v not in needs:
            continue
        ins = v.inputs
        terms = _chain_function(v._operation, len(ins))(grads[v], v, *ins)
        for u, entry in zip(ins, terms):
            if entry is None or u not in needs:
                continue
            sign, term = entry
            if term.__class__ is not Value:  # a constant contribution (0.0)
                term = Value(term, None, CONST)
            before = grads.get(u)
            if before is None:  # -0.0 + t == t and -0.0 - t == -t exactly, as in backward()
                grads[u] = term if sign == "+" else -term
            else:
                grads[u] = before + term if sign == "+" else before - term
    return grads


# --------------------------------------------- Hessians

def _numbers(point, who):
    try:
        xs = [float(p.data if isinstance(p, Value) else p) for p in point]
    except TypeError:
        raise TypeError(f"{who}: the point must be a sequence of numbers, got {type(point).__name__}") from None
    return xs


def _call(f, xs, who):
    values_ = [Value(x, label=f"x{i + 1}") for i, x in enumerate(xs)]
    out = f(*values_)
    if not isinstance(out, Value):
        raise TypeError(f"{who}: the function must return a Value, got {type(out).__name__}")
    return out, values_


def _gradient_numbers(root, wrt):
    """d(root)/d(x) for x in ``wrt`` as floats, by a private backward pass (no ``.grad`` changes)."""
    if not isinstance(root, Value):
        return [0.0] * len(wrt)
    numbers = BackwardPass(root).gradients()
    return [numbers.get(x, 0.0) for x in wrt]


def hessian_of(output: Value, wrt: Value | Sequence[Value]) -> np.ndarray:
    """The Hessian matrix ∂²output/∂x_i∂x_j over the Values ``wrt``, as a NumPy array (n, n).

    Row i is the gradient of the gradient graph of ∂output/∂x_i (one private backward pass each:
    no ``.grad`` of the graph changes). Exact up to rounding; symmetric up to rounding (the two
    orders of differentiation round differently), and not symmetric at all at kinks, where, as in
    PyTorch, H[i, j] is d/dx_j of ∂output/∂x_i."""
    values = _as_values(wrt, "hessian_of")
    first = grad(output, values, create_graph=True)
    return np.array([_gradient_numbers(g, values) for g in first], dtype=float).reshape(len(values), len(values))


def hessian(f: Callable[..., Value], point: Sequence[Any]) -> np.ndarray:
    """The Hessian of ``f`` at ``point`` (a NumPy array (n, n)), as ``torch.autograd.functional.hessian``.

    ``f`` takes as many Values as ``point`` has numbers and returns a Value (as for
    ``engine.numerical_gradient``)."""
    out, xs = _call(f, _numbers(point, "hessian"), "hessian")
    return hessian_of(out, xs)


def _vector(point, v, who):
    xs = _numbers(point, who)
    v = _numbers(v, who)
    if len(v) != len(xs):
        raise ValueError(f"{who}: the vector has {len(v)} numbers for a point of {len(xs)}")
    return xs, v


def vhp(f: Callable[..., Value], point: Sequence[Any], v: Sequence[Any]) -> tuple[float, np.ndarray]:
    """(f(point), vᵀ H): the vector ``v`` times the Hessian of ``f`` at ``point``, as
    ``torch.autograd.functional.vhp``, without forming H: one gradient graph and one backward pass
    through Σ_i v_i ∂f/∂x_i. Where H is symmetric this is also H v (``hvp``)."""
    xs, v = _vector(point, v, "vhp")
    out, leaves = _call(f, xs, "vhp")
    first = grad(out, leaves, create_graph=True)
    directional = affine(list(first), v)  # Σ_i ∂f/∂x_i v_i as one node
    return out.data, np.array(_gradient_numbers(directional, leaves), dtype=float)


def hvp(f: Callable[..., Value], point: Sequence[Any], v: Sequence[Any]) -> tuple[float, np.ndarray]:
    """(f(point), H v): the Hessian of ``f`` at ``point`` times the vector ``v``, as
    ``torch.autograd.functional.hvp``, without forming H. Where the Hessian is not symmetric (at
    kinks and branch points) this differs from ``vhp``'s vᵀ H; ``hessian(f, point) @ v`` agrees.

    PyTorch's double-backward construction: with u a vector of free leaves, the gradient graph of
    Σ_i u_i ∂f/∂x_i gives w(u) = uᵀ H as graphs linear in u; then d/du of Σ_j w_j(u) v_j is H v."""
    xs, v = _vector(point, v, "hvp")
    out, leaves = _call(f, xs, "hvp")
    first = grad(out, leaves, create_graph=True)
    u = [Value(0.0, label=f"u{i + 1}") for i in range(len(xs))]
    weighted = affine(list(first), u)  # Σ_i u_i ∂f/∂x_i
    w = grad(weighted, leaves, create_graph=True)  # w_j = Σ_i u_i H_ij, a graph over u
    along = affine(list(w), v)  # Σ_j w_j v_j
    return out.data, np.array(_gradient_numbers(along, u), dtype=float)


__all__ = ["grad", "hessian", "hessian_of", "hvp", "vhp"]
