"""The plan of a compiled graph: one per graph, read by every backend's writer.

The graph of one training step has the same shape for every sample, so it can be recorded once
(with Values, as usual) and replayed for new inputs and parameters by generated code. The plan names
every node (``x3`` input, ``p3`` parameter, ``v12`` node, ``g...`` its gradient, a literal for a
frozen leaf) and lists, in ``Value.backward``'s order, which node computes what from which; a writer
asks it for the statements in the dialect its runtime runs (``engine/rules/parse.py``):

* ``forward(dialect)``: ``[(target, expression)]`` of the forward pass;
* ``backward(kind, dialect)``: the backward pass of ``gradient`` (kind "gradient": the parameters'
  and, with ``input_grads``, the inputs' grads) or of the fused SGD step (kind "sgd": the
  parameters' only), and a function naming each gradient ("0.0" where no path leads).

Statements come from ``engine/rules/chain.py``, the same as the eager engine's, in the same order
(same topological order, same accumulation order, grads starting from the exact identity -0.0), so
compiled numbers equal the eager engine's bit for bit.

Generated text holds only identifiers made here, the rules of the operation table and ``repr`` of
floats: never a label or any other text that came from the user.
"""

import math

from ..core.eager import refuse_closure
from ..core.graph import topological_order
from ..core.value import Value, values_of
from ..rules.chain import contributions, forward_statements


class CompileError(ValueError):
    """The graph cannot be compiled (a Value listed twice, a leaf that is not a leaf, ...)."""


def literal(x):
    """A float as Python source. Non-finite values become names bound in the namespace."""
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INF" if x > 0 else "(-INF)"
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def check_values(seq, what):
    """``seq`` as a list of leaf Values, or the error that says which one is not."""
    if isinstance(seq, Value):
        raise TypeError(f"compile: {what} must be a list of Values, got a single Value; write [{what[:-1]}]")
    seq = values_of(seq, "compile", what, "a list of Values")
    for i, v in enumerate(seq):
        if v._a is not None:  # its recorded inputs would still be read below it: wrong gradients
            raise CompileError(f"compile: {what}[{i}] must be a leaf Value (an input or a parameter), "
                               f"got the result of {v._operation.name!r}; list the leaves it was computed from")
    return seq


def _targeted(inputs, tnames):
    """The inputs that get a contribution, in the order ``contributions`` lists them."""
    return [u for u, t in zip(inputs, tnames) if t is not None]


class Plan:
    """The named graph: ``nodes`` (the computed nodes in topological order), ``name`` of every node,
    ``labels`` of the generated variables (for ``listing``), and the backward targets."""

    def __init__(self, output, inputs, params, input_grads=False):
        self.output = output
        self.inputs = check_values(inputs, "inputs")
        self.params = check_values(params, "params")
        self.input_grads = input_grads
        name = {}
        for kind, seq in (("x", self.inputs), ("p", self.params)):
            for i, v in enumerate(seq):
                if v in name:
                    raise CompileError(f"compile: the Value {v!r} is listed twice among the inputs "
                                       f"and parameters")
                name[v] = f"{kind}{i}"
        order = topological_order(output)
        nodes, labels = [], {}
        for i, v in enumerate(order):
            if v in name:
                labels[name[v]] = v.label
                continue
            if v._a is None:  # a constant, or a leaf not listed: frozen at its recorded value
                name[v] = literal(v.data)
                continue
            if v._operation.kind == "closure":
                refuse_closure(v._operation, "engine.compile")
            name[v] = f"v{i}"
            labels[name[v]] = v.label
            nodes.append(v)
        self.order = order
        self.nodes = nodes
        self.name = name
        self.labels = labels
        self.out = name[output]
        self.ops = frozenset(v._operation for v in nodes)
        self._cache = {}

    def forward(self, dialect):
        key = ("forward", dialect)
        if key not in self._cache:
            name, lines = self.name, []
            for v in self.nodes:
                lines += forward_statements(v._operation, name[v], [name[u] for u in v.inputs], dialect)
            self._cache[key] = lines
        return self._cache[key]

    def targets(self, kind):
        if kind == "gradient" and self.input_grads:
            return set(self.params) | set(self.inputs)
        return set(self.params)

    def backward(self, kind, dialect):
        """(statements, grad_of): the backward lines computing the grads of ``kind``'s targets, and
        a function naming each gradient. Only nodes with a target below them get a gradient;
        contributions are emitted in the order of ``Value.backward`` (reverse topological order,
        inputs in argument order)."""
        key = ("backward", kind, dialect)
        if key in self._cache:
            return self._cache[key]
        if kind == "sgd" and not self.input_grads:  # the same lines as gradient's
            return self.backward("gradient", dialect)
        targets, name, output = self.targets(kind), self.name, self.output
        needs = set()
        for v in self.order:
            if v in targets or any(u in needs for u in v.inputs):
                needs.add(v)
        gname = {v: "g" + name[v] for v in needs}
        # A gradient that receives exactly one contribution, and that one is another gradient or a
        # number as it is (a partial of 1: a sum's, a bias's), is not copied into a variable of its
        # own: its readers read the other name (the same number, one assignment fewer per step).
        receives = {}
        for v in reversed(self.nodes):
            if v in needs:
                for u in v.inputs:
                    if u in needs:
                        receives[u] = receives.get(u, 0) + 1
        alias = {}
        if output in needs:
            alias[gname[output]] = "1.0"  # the seed: d(output)/d(output)
        lines = []
        assigned = set(alias)
        for v in reversed(self.nodes):  # = Value.backward's order
            if v not in needs:
                continue
            ins = v.inputs
            tnames = [gname[u] if u in needs else None for u in ins]
            g = alias.get(gname[v], gname[v])
            for (target, sign, term), u in zip(contributions(v._operation, tnames, g, [name[u] for u in ins],
                                                             name[v], dialect), _targeted(ins, tnames)):
                if (sign == "+" and target not in assigned and receives.get(u) == 1
                        and (term[:1] == "g" and term.isidentifier() or term == "1.0")):
                    alias[target] = term
                    assigned.add(target)
                elif target in assigned:  # not "+=": on NumPy arrays that would write through aliases
                    lines.append((target, f"{target} {sign} {term}"))
                else:  # -0.0 + t == t and -0.0 - t == -t exactly: the first one is assigned
                    lines.append((target, term if sign == "+" else "-" + term))
                    assigned.add(target)
        if output in needs and gname[output] not in alias:
            lines.insert(0, (gname[output], "1.0"))
        def grad_of(v):
            g = gname.get(v)
            return alias.get(g, g) if g in assigned else "0.0"

        result = (lines, grad_of)
        self._cache[key] = result
        return result

    def functions(self):
        """{name: callable} of the rows' own functions (engine.define's ``functions=``)."""
        merged = {}
        for op in self.ops:
            merged.update(op.functions)
        return merged
