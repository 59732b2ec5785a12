"""Turn the rows of the operation table into Python source.

The eager ``Value`` methods, the eager backward step of each operation and the compiled straight-line
code of ``engine.compile`` are all written by the functions below from the same rules in ``ops.py``,
so an operation's forward rule and derivatives live in exactly one place. The only names ever written
into generated code are the table's own expressions and identifiers made here: never a user's text.
"""

import re

from . import numerics
from .ops import CONST, OPS

_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_ATOM = re.compile(r"[A-Za-z_][A-Za-z_0-9.]*|[0-9.]+")  # needs no parentheses after "g *"
_SUM = re.compile(r"^(.*) \+ sum\((.*)\)$")


_CALL = re.compile(r"\b(" + "|".join(numerics.INLINE) + r")\(([A-Za-z_][A-Za-z_0-9.]*)\)")


def inline(expr, plain=False):
    """Write out the calls of short scalar functions (``numerics.INLINE`` and ``times``) in place:
    the same arithmetic without a Python call. For scalar code only (the expansions branch on the value).

    ``plain=True`` writes ``times(g, d)`` as IEEE's ``g * d``: the same bits except where an exactly
    zero d meets an infinite or NaN g, where it gives NaN instead of 0. A NaN gradient so made
    reaches the parameters, so code written this way can be checked afterwards and rerun the exact
    way (``CompiledGraph.sgd_run`` does so)."""
    return _CALL.sub(lambda m: numerics.INLINE[m.group(1)].format(m.group(2)), _inline_times(expr, plain))


def plain_products(expr):
    """``expr`` with each ``times(g, d)`` written as IEEE's ``g * d`` (no zero-derivative rule): for
    fast paths that repeat their work exactly when a NaN shows the rule was needed."""
    return _inline_times(expr, plain=True)


def _inline_times(expr, plain=False):
    """``times(g, d)`` (numerics.times) written out: ``(g * d if d or g - g == 0.0 else 0.0)``, d
    evaluated once (``g - g == 0.0``: g is finite); ``plain``: ``(g * (d))``."""
    start = expr.find("times(")
    while start >= 0:
        if start and (expr[start - 1].isalnum() or expr[start - 1] in "_."):
            start = expr.find("times(", start + 1)
            continue
        depth, comma, i = 0, None, start + len("times(")
        while True:  # the closing parenthesis of the call, and its one top-level comma
            c = expr[i]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            elif c == "," and depth == 0:
                comma = i
            i += 1
        g, d = expr[start + 6:comma].strip(), expr[comma + 1:i].strip()
        if plain:
            text = f"({g} * {d})" if _ATOM.fullmatch(d) else f"({g} * ({d}))"
        elif _ATOM.fullmatch(d):
            text = f"({g} * {d} if {d} or {g} - {g} == 0.0 else 0.0)"
        else:
            text = f"({g} * _t if (_t := {d}) or {g} - {g} == 0.0 else 0.0)"
        expr = expr[:start] + text + expr[i + 1:]
        start = expr.find("times(", start + len(text))
    return expr


def substitute(expr, names):
    """Replace the identifiers of a rule (``a``, ``b``, ``n``, ``out``) by the given expressions."""
    return _IDENT.sub(lambda m: names.get(m.group(0), m.group(0)), expr)


def groups(op, args):
    """Split the argument list of ``op`` into (fixed arguments, list of repeated groups)."""
    if not op.variadic:
        return list(args), []
    size = op.arity - 1
    rest = list(args[1:])
    if len(rest) % size:
        raise ValueError(f"{op.name} takes {op.inputs[0]} and groups of {size} inputs, got {len(args)} inputs")
    return [args[0]], [rest[i:i + size] for i in range(0, len(rest), size)]


def _variadic_parts(op, args):
    """The summands of a variadic rule: ``b + sum(w * x)`` gives ["b", "w1 * x1", "w2 * x2", ...]."""
    init, term = _SUM.match(op.forward).groups()
    (first,), terms = groups(op, args)
    parts = [substitute(init, {op.inputs[0]: first})]
    parts += [substitute(term, dict(zip(op.inputs[1:], g))) for g in terms]
    return parts


def forward_expr(op, args):
    """The forward rule of ``op`` applied to argument expressions ``args``.

    For the variadic ``affine``, ``b + sum(w * x)`` becomes ``b + w1 * x1 + w2 * x2 ...``, which
    Python evaluates left to right: the same order as the eager loop, so the same bits."""
    if not op.variadic:
        return substitute(op.forward, dict(zip(op.inputs, args)))
    return " + ".join(_variadic_parts(op, args))


def forward_statements(op, target, args, chunk=64):
    """[(target, expression), ...] assigning the forward rule of ``op`` to ``target``.

    A long ``affine`` is split into statements of ``chunk`` terms, ``t = b + w1 * x1 + ...`` then
    ``t = t + w65 * x65 + ...``: the same additions in the same order (so the same bits), but no
    expression so deep that Python's own compiler would recurse too far on it."""
    if not op.variadic:
        return [(target, forward_expr(op, args))]
    parts = _variadic_parts(op, args)
    statements = [(target, " + ".join(parts[:chunk + 1]))]
    for start in range(chunk + 1, len(parts), chunk):
        statements.append((target, " + ".join([target] + parts[start:start + chunk])))
    return statements


def uses_out(op):
    return any(p is not None and re.search(r"\bout\b", p) for p in op.partials)


def takes_gradient(partial):
    """True for a partial written as the contribution itself, an expression of the gradient ``g``."""
    return partial is not None and re.search(r"\bg\b", partial) is not None


def local_expr(partial):
    """The local derivative d(out)/d(input) of a partial: a partial written with ``g`` at g = 1."""
    return substitute(partial, {"g": "1.0"}) if takes_gradient(partial) else partial


def _contribution(target, partial, g, names):
    """(target, sign, term): the chain-rule contribution ``target += term`` or ``-= term``, as the
    table's header says: ±g for a partial ±1, 0 for a partial 0, the partial itself where it is
    written with g, and times(g, partial) otherwise (0 where the partial is exactly 0)."""
    if partial == "1.0":
        return target, "+", g
    if partial == "-1.0":
        return target, "-", g
    if partial == "0.0":
        return target, "+", "0.0"
    if takes_gradient(partial):
        term = substitute(partial, dict(names, g=g))
        return target, "+", term if _ATOM.fullmatch(term) else f"({term})"
    return target, "+", f"times({g}, {substitute(partial, names)})"


def contributions(op, targets, g, args, out):
    """The chain-rule contributions g * d(out)/d(input) to each input's gradient, as a list of
    (target, sign, term) meaning ``target += term`` or ``target -= term``.

    ``targets`` are the gradient variables (``None`` for an input that needs none), in the order of
    ``args``; ``g`` is the expression of the gradient arriving at the node; ``args`` and ``out`` are
    expressions of its input values and its value. Partials 1 and -1 become ``+= g`` and ``-= g``
    (the same bits as multiplying by them). Contributions come input by input, in argument order.
    """
    fixed, repeated = groups(op, list(zip(targets, args)))
    n_fixed = len(fixed)
    result = []
    for group in [fixed] + repeated:
        names = {"out": out}
        offset = 0 if group is fixed else n_fixed
        names.update((op.inputs[offset + i], arg) for i, (_, arg) in enumerate(group))
        for i, (target, _) in enumerate(group):
            partial = op.partials[offset + i]
            if target is not None and partial is not None:
                result.append(_contribution(target, partial, g, names))
    return result


def accumulate(op, targets, g, args, out):
    """``contributions`` as lines of in-place updates (``target += term``)."""
    return [f"{t} {sign}= {term}" for t, sign, term in contributions(op, targets, g, args, out)]


def build(source, namespace, name):
    """Execute generated ``source`` in ``namespace`` and return the object called ``name``."""
    code = compile(source, f"<engine-generated {name}>", "exec")
    exec(code, namespace)
    return namespace[name]


# ------------------------------------------------------------------------- eager engine pieces

def eager_backprop(op):
    """Source of ``backprop_<op>(v)``: add v's contributions to the grads of its inputs."""
    lines = [f"def backprop_{op.name}(v):", "    g = v.grad"]
    if uses_out(op):
        lines.append("    out = v.data")
    if op.variadic:
        # v._a holds the tuple (b, w1, x1, w2, x2, ...): the fixed input, then the repeated groups
        head, *group = op.inputs
        size = len(group)
        lines.append("    ins = v._a")
        lines.append(f"    {head} = ins[0]")
        lines += ["    " + s for s in accumulate(op, [f"{head}.grad"], "g", [f"{head}.data"], "out")]
        lines.append("    it = iter(ins)")
        lines.append("    next(it)")
        lines.append(f"    for {', '.join(group)} in zip({', '.join(['it'] * size)}):")
        fake = ["_"] + group  # accumulate() on one group; the fixed input's line is dropped
        body = accumulate(op, [None] + [f"{x}.grad" for x in group], "g",
                          [f"{x}.data" for x in fake], "out")
        lines += ["        " + s for s in body]
    else:
        lines.append(f"    {', '.join(op.inputs)} = {', '.join(('v._a', 'v._b')[:op.arity])}")
        lines += ["    " + s for s in accumulate(op, [f"{x}.grad" for x in op.inputs], "g",
                                                 [f"{x}.data" for x in op.inputs], "out")]
        for x, partial in zip(op.inputs, op.partials):
            if partial is None:  # a constant of the operation: its gradient is zero by definition
                lines.append(f"    {x}.grad = 0.0")
    return "\n".join(lines) + "\n"


def eager_method(op, method, swap=False):
    """Source of the ``Value`` method that applies ``op`` (binary ops lift plain numbers first).
    It is named ``method_<op>`` so that it cannot shadow the numerics function of the same name."""
    if op.arity == 1:
        return (f"def method_{op.name}(self):\n"
                f"    return Value({forward_expr(op, ['self.data'])}, None, OP, self)\n")
    first, second = ("other", "self") if swap else ("self", "other")
    return (f"def method_{op.name}(self, other):\n"
            f"    if other.__class__ is not Value:\n"
            f"        other = lift(other, {op.symbol!r}, self)\n"
            f"        if other is NotImplemented:\n"
            f"            return NotImplemented\n"
            f"    return Value({forward_expr(op, [first + '.data', second + '.data'])}, None, OP, {first}, {second})\n")


def eager_variadic(op):
    """Source of the function that applies the variadic ``op`` (``affine(w, x, b)``): one pass
    that lifts numbers to constants, folds the rule left to right and collects the inputs."""
    init, term = _SUM.match(op.forward).groups()
    head, *group = op.inputs
    params = ", ".join(f"{x}s" for x in group)
    loop_vars = ", ".join(group)
    lines = [f"def {op.name}({params}, {head}=0.0):",
             "    try:",
             f"        if {' or '.join(f'len({x}s) != len({group[0]}s)' for x in group[1:])}:",
             f"            length_error({params})",
             "    except TypeError:  # something without a length: say what was given",
             f"        length_error({params})",
             "        raise",
             f"    if {head}.__class__ is not Value:",
             f"        {head} = lift_or_fail({head}, {op.name!r})",
             f"    acc = {substitute(init, {head: head + '.data'})}",
             f"    ins = [{head}]",
             f"    for {loop_vars} in zip({params}):"]
    for x in group:  # plain floats (a network's inputs) are the common case: lift them inline
        lines += [f"        if {x}.__class__ is not Value:",
                  f"            {x} = Value({x}, None, CONST) if {x}.__class__ is float else lift_or_fail({x}, {op.name!r})"]
    lines += [f"        acc = acc + {substitute(term, {x: x + '.data' for x in group})}",
              f"        ins += ({loop_vars},)",
              "    ins = tuple(ins)",
              "    return Value(acc, None, OP, ins)"]
    return "\n".join(lines) + "\n"


def _per_input(signature, op, fixed, repeated=None):
    """Source of a function of a node ``v`` that returns one entry per input of v, in
    ``v.inputs`` order: ``fixed`` is the text of the entries of the fixed inputs (all inputs of a
    non-variadic op), ``repeated`` that of one group of a variadic op, both written over the
    inputs' values (the names of ``op.inputs``) and ``out``."""
    lines = [f"def {signature}:", "    out = v.data"]
    if op.variadic:
        head, *group = op.inputs
        lines += ["    ins = v._a",
                  f"    {head} = ins[0].data",
                  f"    result = [{fixed}]",
                  "    it = iter(ins)",
                  "    next(it)",
                  f"    for {', '.join(group)} in zip({', '.join(['it'] * len(group))}):",
                  f"        {', '.join(group)} = {', '.join(x + '.data' for x in group)}",
                  f"        result += ({repeated},)",
                  "    return tuple(result)"]
    else:
        lines.append(f"    {', '.join(op.inputs)} = {', '.join(('v._a.data', 'v._b.data')[:op.arity])}")
        lines.append(f"    return ({fixed},)")
    return "\n".join(lines) + "\n"


def eager_partials(op):
    """Source of ``partials_<op>(v)``: the local derivatives d(v)/d(input), one per input of v
    (``None`` for a constant of the operation), for inspection and the node-by-node tables."""
    def expr(partial):
        return "None" if partial is None else substitute(local_expr(partial), {})

    if op.variadic:
        return _per_input(f"partials_{op.name}(v)", op, expr(op.partials[0]),
                          ", ".join(expr(p) for p in op.partials[1:]))
    return _per_input(f"partials_{op.name}(v)", op, ", ".join(expr(p) for p in op.partials))


def eager_amounts(op):
    """Source of ``amounts_<op>(v, g)``: the chain-rule contributions that ``backprop_<op>`` adds
    to the gradients of v's inputs when v's gradient is g, one per input (``None`` for a constant
    of the operation), with the same arithmetic: for the node-by-node tables."""
    def amounts(targets, args):
        terms = {t: (term if sign == "+" else f"-{term}") for t, sign, term in
                 contributions(op, targets, "g", args, "out")}
        return ", ".join(terms.get(t, "None") for t in targets if t is not None)

    if op.variadic:
        head, *group = op.inputs
        # contributions() of one group: the fixed input's term is dropped
        repeated = amounts([None] + [f"t{i}" for i in range(1, len(group) + 1)], ["_"] + group)
        return _per_input(f"amounts_{op.name}(v, g)", op, amounts(["t0"], [head]), repeated)
    return _per_input(f"amounts_{op.name}(v, g)", op,
                      amounts([f"t{i}" for i in range(op.arity)], list(op.inputs)))


def make_eager(op, method, value_cls, lift, swap=False):
    namespace = dict(numerics.SCALAR, Value=value_cls, OP=op, lift=lift)
    fn = build(inline(eager_method(op, method, swap)), namespace, f"method_{op.name}")
    fn.__name__ = method
    return fn


def make_variadic(op, value_cls, lift_or_fail, length_error):
    namespace = dict(numerics.SCALAR, Value=value_cls, OP=op, CONST=CONST, lift_or_fail=lift_or_fail,
                     length_error=length_error)
    return build(eager_variadic(op), namespace, op.name)


def make_backprop(op):
    return build(inline(eager_backprop(op)), dict(numerics.SCALAR), f"backprop_{op.name}")


def make_partials(op):
    return build(eager_partials(op), dict(numerics.SCALAR), f"partials_{op.name}")


def make_amounts(op):
    return build(inline(eager_amounts(op)), dict(numerics.SCALAR), f"amounts_{op.name}")


BACKPROP = {op: make_backprop(op) for op in OPS.values()}  # keyed by the Op itself
PARTIALS = {op: make_partials(op) for op in OPS.values()}
AMOUNTS = {op: make_amounts(op) for op in OPS.values()}
