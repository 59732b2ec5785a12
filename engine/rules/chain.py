"""The forward rule and the chain rule of a node, as code: the one place where a parsed row becomes
the statements of a forward or a backward pass. Every writer of code (the eager engine, the compiled
Python, NumPy and numba code, gradient graphs, the step tables) calls these two functions with the
names it chooses and the dialect it runs in (``engine/rules/parse.py``), so the arithmetic, and its
order, is the same everywhere: hence the same bits.
"""

from .parse import rule

_ATOM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def is_atom(text):
    """True for a name, an attribute or an unsigned number: needs no parentheses anywhere."""
    return bool(text) and all(c in _ATOM_CHARS for c in text)


def groups(op, args):
    """Split the argument list of ``op`` into (fixed arguments, list of repeated groups)."""
    if not op.variadic:
        return list(args), []
    size = op.arity - 1
    rest = list(args[1:])
    if len(rest) % size:
        raise ValueError(f"{op.name} takes {op.inputs[0]} and groups of {size} inputs, got {len(args)} inputs")
    return [args[0]], [rest[i:i + size] for i in range(0, len(rest), size)]


def _summands(op, args, dialect):
    r = rule(op)
    (first,), repeated = groups(op, args)
    parts = [r.forward[dialect].fill({op.inputs[0]: first})]
    parts += [r.summand.fill(dict(zip(op.inputs[1:], g))) for g in repeated]
    return parts


def forward_expr(op, args, dialect="call"):
    """The forward rule of ``op`` applied to the argument expressions ``args`` (atoms).

    For the variadic ``affine``, ``b + sum(w * x)`` becomes ``b + w1 * x1 + w2 * x2 ...``, which
    Python evaluates left to right: the same order as the eager loop, so the same bits."""
    if not op.variadic:
        return rule(op).forward[dialect].fill(dict(zip(op.inputs, args)))
    return " + ".join(_summands(op, args, dialect))


def forward_statements(op, target, args, dialect="call", chunk=64):
    """[(target, expression), ...] assigning the forward rule of ``op`` to ``target``.

    A long ``affine`` is split into statements of ``chunk`` terms, ``t = b + w1 * x1 + ...`` then
    ``t = t + w65 * x65 + ...``: the same additions in the same order (so the same bits), but no
    expression so deep that Python's own compiler would recurse too far on it."""
    if not op.variadic:
        return [(target, forward_expr(op, args, dialect))]
    parts = _summands(op, args, dialect)
    statements = [(target, " + ".join(parts[:chunk + 1]))]
    for start in range(chunk + 1, len(parts), chunk):
        statements.append((target, " + ".join([target] + parts[start:start + chunk])))
    return statements


def contributions(op, targets, g, args, out, dialect="call"):
    """The chain-rule contributions g × d(out)/d(input) to each input's gradient, as a list of
    (target, sign, term) meaning ``target += term`` or ``target -= term``.

    ``targets`` are the gradient variables (``None`` for an input that needs none), in the order of
    ``args``; ``g`` is the expression of the gradient arriving at the node (an atom); ``args`` and
    ``out`` are atoms for its input values and its value. As the table's header says: a local
    derivative 1 or -1 becomes ``+= g`` or ``-= g`` (the same bits as multiplying by it), 0 becomes
    0, a term is written as it is, any other local derivative d as times(g, d). Contributions come
    input by input, in argument order; a term that is not an atom comes in parentheses."""
    r = rule(op)
    names = {"out": out, "g": g}
    fixed, repeated = groups(op, list(zip(targets, args)))
    n_fixed = len(fixed)
    result = []
    for group in [fixed] + repeated:
        offset = 0 if group is fixed else n_fixed
        names.update((op.inputs[offset + i], arg) for i, (_, arg) in enumerate(group))
        for i, (target, _) in enumerate(group):
            p = r.partials[offset + i]
            if target is None or p.kind == "none":
                continue
            if p.constant == 1.0:
                result.append((target, "+", g))
            elif p.constant == -1.0:
                result.append((target, "-", g))
            elif p.constant == 0.0:
                result.append((target, "+", "0.0"))
            else:
                # the seed gradient 1.0 (the output's own node): times(1.0, d) is d, bit for bit,
                # in every dialect (1.0 * d == d for every float d, NaN and infinities included)
                template = p.local[dialect] if g == "1.0" and p.kind == "local" else p.contribution[dialect]
                text = template.fill(names)
                result.append((target, "+", text if is_atom(text) else f"({text})"))
    return result


def local_expressions(op, args, out, dialect="call"):
    """The local derivative d(out)/d(input) of each input, as expressions (``None`` for a constant
    of the operation), for the step tables: a term's local derivative is the term at g = 1."""
    r = rule(op)
    names = {"out": out}
    fixed, repeated = groups(op, list(args))
    result = []
    for group in [fixed] + repeated:
        offset = 0 if group is fixed else len(fixed)
        names.update((op.inputs[offset + i], arg) for i, arg in enumerate(group))
        for i in range(len(group)):
            p = r.partials[offset + i]
            result.append(None if p.kind == "none" else p.local[dialect].fill(names))
    return result
