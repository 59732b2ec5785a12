"""Python source of the eager engine's pieces, written from the parsed rows.

For every row: the function that applies it to Values (a ``Value`` method or ``engine.affine``), its
backward step (``backprop_<op>(v)``: add v's contributions to its inputs' grads), its local
derivatives (``partials_<op>(v)``) and its contributions for a given gradient (``amounts_<op>(v, g)``),
the last two for the step tables. All in the ``"scalar"`` dialect (``engine/rules/parse.py``) through
``engine/rules/chain.py``, so they do the arithmetic of the compiled code, in the same order.

The only names ever written into generated code are the table's own expressions and identifiers
made here: never a label or other text that came from a user's data (a user's *row* is code the
user wrote, checked by the rule compiler to be an expression of numbers and known functions).
"""

from ..runtimes import python as scalar
from .chain import contributions, forward_expr, groups, local_expressions
from .parse import rule


def namespace(op, **extra):
    """The names generated scalar code for ``op`` runs with: the Python runtime and the row's own
    functions (``engine.define(..., functions=...)``)."""
    ns = dict(scalar.NAMESPACE)
    ns.update(op.functions)
    ns.update(extra)
    return ns


def build(source, ns, name):
    """Execute generated ``source`` in the namespace ``ns`` and return the object called ``name``."""
    code = compile(source, f"<engine-generated {name}>", "exec")
    exec(code, ns)  # noqa: S102 (text written by this module from checked rules)
    return ns[name]


def _accumulate(op, targets, g, args, out, dialect="scalar"):
    return [f"{t} {sign}= {term}" for t, sign, term in contributions(op, targets, g, args, out, dialect)]


def backprop_source(op):
    """Source of ``backprop_<op>(v)``: add v's contributions to the grads of its inputs."""
    r = rule(op)
    lines = [f"def backprop_{op.name}(v):", "    g = v.grad"]
    if r.uses_out:
        lines.append("    out = v.data")
    if op.variadic:
        # v._a holds the tuple (b, w1, x1, w2, x2, ...): the fixed input, then the repeated groups
        head, *group = op.inputs
        size = len(group)
        lines.append("    ins = v._a")
        lines.append(f"    {head} = ins[0]")
        lines += ["    " + s for s in _accumulate(op, [f"{head}.grad"], "g", [f"{head}.data"], "out")]
        lines.append("    it = iter(ins)")
        lines.append("    next(it)")
        lines.append(f"    for {', '.join(group)} in zip({', '.join(['it'] * size)}):")
        fake = ["_"] + group  # one group's lines; the fixed input's line is dropped
        body = _accumulate(op, [None] + [f"{x}.grad" for x in group], "g", [f"{x}.data" for x in fake], "out")
        lines += ["        " + s for s in body]
    else:
        lines.append(f"    {', '.join(op.inputs)} = {', '.join(('v._a', 'v._b')[:op.arity])}")
        lines += ["    " + s for s in _accumulate(op, [f"{x}.grad" for x in op.inputs], "g",
                                                   [f"{x}.data" for x in op.inputs], "out")]
        for x, p in zip(op.inputs, r.partials):
            if p.kind == "none":  # a constant of the operation: its gradient is zero by definition
                lines.append(f"    {x}.grad = 0.0")
    return "\n".join(lines) + "\n"


def _new_node(value, a, b="None"):
    """The lines that make and return the node of a generated operation: ``Value(value, None, OP,
    a, b)``, field by field as ``Value.__init__`` sets them, without calling it: a call of a Python
    ``__init__`` from C costs a frame of its own (45 ns, a third of making a node). The forward
    value is a float unless a user's function returned another number, converted as ``Value()``
    does. ``Value``, ``OP``, ``_new`` (object.__new__) and ``_to_float`` come from the namespace;
    for the table's own rows only (their inputs are ``self``, ``other``, ``ws``, ``xs``, ``b``)."""
    return ["    _data = " + value,
            "    if _data.__class__ is not float:",
            "        _data = _to_float(_data)",
            "    _node = _new(Value)",
            "    _node.data = _data",
            "    _node.grad = 0.0",
            "    _node.label = None",
            "    _node._operation = OP",
            f"    _node._a = {a}",
            f"    _node._b = {b}",
            "    return _node"]


def method_source(op, method, swap=False):
    """Source of the function that applies ``op`` to Values (binary ones lift plain numbers first).
    It is named ``method_<op>`` so that it cannot shadow the runtime function of the same name."""
    if op.arity == 1:
        return "\n".join([f"def method_{op.name}(self):",
                          *_new_node(forward_expr(op, ['self.data'], 'scalar'), "self")]) + "\n"
    first, second = ("other", "self") if swap else ("self", "other")
    return "\n".join([f"def method_{op.name}(self, other):",
                      "    if other.__class__ is not Value:",
                      f"        other = lift(other, {op.symbol!r}, self)",
                      "        if other is NotImplemented:",
                      "            return NotImplemented",
                      *_new_node(forward_expr(op, [f"{first}.data", f"{second}.data"], "scalar"), first,
                                 second)]) + "\n"


def function_source(op):
    """Source of the function that applies a row of any number of inputs to Values or numbers
    (``engine.define``'s result): ``name(a, b, c)``. It calls ``Value(...)`` (not ``_new_node``'s
    lines, whose local names a user's input names could shadow)."""
    params = ", ".join(op.inputs)
    lines = [f"def apply_{op.name}({params}):"]
    for x in op.inputs:
        lines += [f"    if {x}.__class__ is not Value:", f"        {x} = lift_or_fail({x}, {op.name!r})"]
    data = [f"{x}.data" for x in op.inputs]
    value = forward_expr(op, data, "scalar")
    if op.arity <= 2:
        return "\n".join(lines + [f"    return Value({value}, None, OP, {params})"]) + "\n"
    return "\n".join(lines + [f"    return Value({value}, None, OP, ({params},))"]) + "\n"


def variadic_source(op):
    """Source of the function that applies the variadic ``op`` (``affine(w, x, b)``): one pass
    that lifts numbers to constants, folds the rule left to right and collects the inputs."""
    r = rule(op)
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
             f"    acc = {r.forward['scalar'].fill({head: head + '.data'})}",
             f"    ins = [{head}]",
             f"    for {loop_vars} in zip({params}):"]
    for x in group:  # plain floats (a network's inputs) are the common case: lift them inline
        lines += [f"        if {x}.__class__ is not Value:",
                  f"            {x} = Value({x}, None, CONST) if {x}.__class__ is float "
                  f"else lift_or_fail({x}, {op.name!r})"]
    lines += [f"        acc = acc + {r.summand.fill({x: x + '.data' for x in group})}",
              f"        ins += ({loop_vars},)",
              "    ins = tuple(ins)"] + _new_node("acc", "ins")
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
    elif op.arity <= 2:
        lines.append(f"    {', '.join(op.inputs)} = {', '.join(('v._a.data', 'v._b.data')[:op.arity])}")
        lines.append(f"    return ({fixed},)")
    else:
        lines.append(f"    {', '.join(op.inputs)} = (x.data for x in v._a)")
        lines.append(f"    return ({fixed},)")
    return "\n".join(lines) + "\n"


def partials_source(op):
    """Source of ``partials_<op>(v)``: the local derivatives d(v)/d(input), one per input of v
    (``None`` for a constant of the operation), for inspection and the node-by-node tables."""
    def locals_(names):
        return ", ".join("None" if e is None else e for e in local_expressions(op, names, "out", "scalar"))

    if op.variadic:
        return _per_input(f"partials_{op.name}(v)", op, locals_([op.inputs[0]]), _group_locals(op))
    return _per_input(f"partials_{op.name}(v)", op, locals_(list(op.inputs)))


def _group_locals(op):
    """The local derivatives of one group of a variadic row, over the group's names."""
    group = op.inputs[1:]
    r = rule(op)
    names = dict({x: x for x in group}, out="out")
    return ", ".join(p.local["scalar"].fill(names) for p in r.partials[1:])


def amounts_source(op):
    """Source of ``amounts_<op>(v, g)``: the chain-rule contributions that ``backprop_<op>`` adds
    to the gradients of v's inputs when v's gradient is g, one per input (``None`` for a constant
    of the operation), with the same arithmetic: for the node-by-node tables."""
    def amounts(targets, args):
        terms = {t: (term if sign == "+" else f"-{term}") for t, sign, term in
                 contributions(op, targets, "g", args, "out", "scalar")}
        return ", ".join(terms.get(t, "None") for t in targets if t is not None)

    if op.variadic:
        head, *group = op.inputs
        repeated = amounts([None] + [f"t{i}" for i in range(1, len(group) + 1)], ["_"] + group)
        return _per_input(f"amounts_{op.name}(v, g)", op, amounts(["t0"], [head]), repeated)
    return _per_input(f"amounts_{op.name}(v, g)", op,
                      amounts([f"t{i}" for i in range(op.arity)], list(op.inputs)))


__all__ = ["namespace", "build", "backprop_source", "method_source", "function_source", "variadic_source",
           "partials_source", "amounts_source", "groups"]
