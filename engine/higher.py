"""Gradients that are graphs: second derivatives, Hessians and Hessian-vector products.

``grad(output, wrt, create_graph=True)`` runs back propagation *on Values*: it walks the graph in the
order of ``Value.backward`` and, for each node, evaluates the partials of its row of the operation
table (``engine/ops.py``) on the node's Values instead of their numbers. ``out * (1.0 - out)`` (σ')
becomes a graph of a ``sub`` and a ``mul`` node over the sigmoid node itself, ``step(a)`` (relu') a
``step`` node, and each chain-rule product g × ∂ a ``times`` node. The result is an ordinary graph:
it can be differentiated again (its rows are in the same table), drawn, stepped through and compiled.
There is no second copy of any derivative: this file only supplies, for the few functions the
partials are written in (``sigmoid``, ``step``, ``ge``, ``pow_da``, ``pow_db``), their versions on Values,
built from the operations of the table.

The gradient graph performs the arithmetic of ``Value.backward`` node for node (same order, same
accumulation, the same chain-rule convention), so its values equal ``backward()``'s bit for bit.

Conventions at second order: relu'' = 0 (``step`` is piecewise constant; its derivative is taken to be
0 everywhere, also at the kink, as PyTorch does). Where a partial branches on a number (``pow_da`` at
an exponent of exactly 0, ``pow_db`` at a base <= 0) the branch taken is recorded, as a traced graph
records any Python ``if``; the graphs of the property tests never sit on such a boundary.
"""

import math
import re

import numpy as np

from . import codegen, numerics
from .graph import topological_order
from .ops import CONST, OPS
from .value import Value, affine, lift

_step = codegen.make_eager(OPS["step"], "step", Value, lift)
_times = codegen.make_eager(OPS["times"], "times", Value, lift)
_ge = codegen.make_eager(OPS["ge"], "ge", Value, lift)


# --------------------------------------------- the functions of the partials, on Values

def _pow_da(a, b):
    """numerics.pow_da on Values: 0 for an exponent of exactly 0, else b × a**(b − 1), its power
    node holding numerics.power_d's value (inf or NaN where the forward ``power`` would raise, as
    the eager derivative has it)."""
    if b.data == 0.0:
        return 0.0
    if b.is_constant:  # the n of x ** n: the exponent n − 1 is a constant too (a powc node)
        e, op = Value(b.data - 1.0, None, CONST), OPS["powc"]
    else:
        e, op = b - 1.0, OPS["pow"]
    return b * Value(numerics.power_d(a.data, e.data), None, op, a, e)


def _pow_db(a, out):
    """numerics.pow_db on Values: a**b log a for a > 0, 0 at a = 0, NaN for a < 0."""
    if a.data > 0.0:
        return out * a.log()
    return 0.0 if a.data == 0.0 else math.nan


NAMESPACE = {
    "sigmoid": Value.sigmoid, "tanh": Value.tanh, "exp": Value.exp, "log": Value.log,
    "softplus": Value.softplus, "relu": Value.relu, "step": _step, "times": _times, "ge": _ge,
    "pow_da": _pow_da, "pow_db": _pow_db,
}


def _compile_partials():
    """The partial expressions of every row as code objects, checked once: each name they use is
    an input, ``out``, ``g`` or a function of NAMESPACE (a new function in a partial needs its
    Value version here, and says so at import rather than at the first second derivative)."""
    code = {}
    for op in OPS.values():
        for i, partial in enumerate(op.partials):
            if partial is None or partial in ("1.0", "-1.0", "0.0"):
                continue
            names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", partial))
            unknown = names - set(op.inputs) - {"out", "g"} - set(NAMESPACE)
            if unknown:
                raise ImportError(f"engine.higher: the partial {partial!r} of {op.name} uses "
                                  f"{', '.join(sorted(unknown))}, which has no version on Values")
            code[op, i] = compile(partial, f"<partial {i} of {op.name}>", "eval")
    return code


_CODE = _compile_partials()


# --------------------------------------------- back propagation on Values

def _as_values(wrt):
    if isinstance(wrt, Value):
        return [wrt]
    try:
        wrt = list(wrt)
    except TypeError:
        raise TypeError(f"grad: wrt must be a Value or a sequence of Values, got {type(wrt).__name__}") from None
    for i, v in enumerate(wrt):
        if not isinstance(v, Value):
            raise TypeError(f"grad: wrt[{i}] must be a Value, got {type(v).__name__}")
    return wrt


def grad(output, wrt, create_graph=False):
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
    wrt = _as_values(wrt)
    grads = _backprop_values(output, set(wrt))
    result = []
    for x in wrt:
        g = grads.get(x)
        if g is None:
            g = Value(0.0, None, CONST)
        elif not create_graph:
            g = Value(g.data)
        result.append(g)
    return tuple(result)


def _backprop_values(output, targets):
    """{node: gradient Value} for the nodes on a path from ``output`` down to ``targets``."""
    order = topological_order(output)
    needs = set()
    for v in order:
        if v in targets or any(u in needs for u in v.inputs):
            needs.add(v)
    if output not in needs:
        return {}
    grads = {output: Value(1.0, None, CONST)}
    code = _CODE
    for v in reversed(order):
        if v._a is None or v not in needs:
            continue
        g = grads[v]
        op = OPS[v.op]  # the row of the operation table
        ins = v.inputs
        if op.variadic:  # b, then the groups (w_k, x_k): names and partials repeat per group
            size = op.arity - 1
            groups = [(op.inputs[:1], ins[:1], 0)]
            groups += [(op.inputs[1:], ins[k:k + size], 1) for k in range(1, len(ins), size)]
        else:
            groups = [(op.inputs, ins, 0)]
        for names, group, offset in groups:
            env = dict(zip(names, group), out=v, g=g)
            for i, u in enumerate(group):
                partial = op.partials[offset + i]
                if u not in needs or partial is None:
                    continue
                sign = "+"
                if partial == "1.0":
                    term = g
                elif partial == "-1.0":
                    term, sign = g, "-"
                elif partial == "0.0":
                    term = Value(0.0, None, CONST)
                elif codegen.takes_gradient(partial):  # the contribution itself (g / b)
                    term = eval(code[op, offset + i], NAMESPACE, env)  # noqa: S307 (the table's text)
                else:  # g × ∂, 0 where ∂ is exactly 0
                    term = _times(g, eval(code[op, offset + i], NAMESPACE, env))  # noqa: S307
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
    values = [Value(x, label=f"x{i + 1}") for i, x in enumerate(xs)]
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"{who}: the function must return a Value, got {type(out).__name__}")
    return out, values


def _backward_into(root, wrt):
    """root.backward() and the gradients of ``wrt`` as a list of floats (their grads zeroed first:
    backward() adds into leaves)."""
    for x in wrt:
        x.grad = 0.0
    root.backward()
    return [x.grad for x in wrt]


def hessian_of(output, wrt):
    """The Hessian matrix ∂²output/∂x_i∂x_j over the Values ``wrt``, as a NumPy array (n, n).

    Row i is the gradient of the gradient graph of ∂output/∂x_i, by one ``backward()`` each (so the
    ``.grad`` of the graph's nodes change: the leaves of ``wrt`` are zeroed first, other leaves
    accumulate). Exact up to rounding; symmetric up to rounding
    (the two orders of differentiation round differently)."""
    wrt = _as_values(wrt)
    first = grad(output, wrt, create_graph=True)
    return np.array([_backward_into(g, wrt) for g in first], dtype=float).reshape(len(wrt), len(wrt))


def hessian(f, point):
    """The Hessian of ``f`` at ``point`` (a NumPy array (n, n)), as ``torch.autograd.functional.hessian``.

    ``f`` takes as many Values as ``point`` has numbers and returns a Value (as for
    ``engine.numerical_gradient``)."""
    out, xs = _call(f, _numbers(point, "hessian"), "hessian")
    return hessian_of(out, xs)


def hvp(f, point, v):
    """(f(point), H v): the Hessian of ``f`` at ``point`` times the vector ``v``, without forming
    H: one gradient graph and one backward pass through Σ_i v_i ∂f/∂x_i (as
    ``torch.autograd.functional.hvp``)."""
    xs = _numbers(point, "hvp")
    v = _numbers(v, "hvp")
    if len(v) != len(xs):
        raise ValueError(f"hvp: the vector has {len(v)} numbers for a point of {len(xs)}")
    out, values = _call(f, xs, "hvp")
    first = grad(out, values, create_graph=True)
    directional = affine(list(first), v)  # Σ_i ∂f/∂x_i v_i as one node
    return out.data, np.array(_backward_into(directional, values), dtype=float)


__all__ = ["grad", "hessian", "hessian_of", "hvp"]
