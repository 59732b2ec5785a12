"""Back propagation one node at a time: the steps of ``Value.backward()``, as data you can print.

``backward_steps(root)`` yields one ``BackwardStep`` per non-leaf node, in exactly the order the
engine's ``backward()`` processes them: both are a ``BackwardPass`` (``engine/core/backward.py``). A step holds
the node, the gradient d(root)/d(node) it holds when processed (final by then: every consumer of the
node came earlier), and for each of its inputs, in ``node.inputs`` order, the local derivative
d(node)/d(input) taken from the operation table and the chain-rule product grad * local added to that
input's gradient. Every number is computed by the same expressions and in the same order as
``backward()``: each gradient of the pass starts from -0.0 (the exact identity of IEEE addition), so
the gradients the steps arrive at equal ``backward()``'s bit for bit. A leaf's ``.grad`` is this
pass's gradient added to what it held before (leaves accumulate, as in PyTorch; 0.0 after
``zero_grad()``), as ``backward()`` does once its pass is over.

By default the steps work on their own copy of the gradients and leave every ``.grad`` of the graph
as it was (so you can step through a graph whose grads you still need). ``apply=True`` writes each
interior node's gradient into its ``.grad`` as the steps go and, when the last step has been taken,
adds each leaf's gradient to its ``.grad``, as ``backward()`` does at the end of its pass: after the
last step the grads are those of ``root.backward(gradient)``. A pass abandoned before its end adds
nothing to any leaf; passes interleaved with it (another ``backward()``) all count.

``backward_table(root)`` prints the whole pass as a table; ``display_names(root)`` gives every node
the name the tables and drawings use (its label, the number of a constant, or ``v<i>``).
"""

import numbers
from dataclasses import dataclass

from ..core.backward import BackwardPass
from ..core.graph import local_derivatives, topological_order
from ..core.value import Value


@dataclass(frozen=True, eq=False)
class Contribution:
    """What one step adds to the gradient of one input of its node."""

    position: int       # index of the input in node.inputs (an input used twice appears twice)
    input: Value
    local: object       # d(node)/d(input) as a float; None for a constant of the operation (n in x ** n)
    amount: object      # the chain-rule product step.grad × local (engine/rules/table.py); None where local is None
    grad_before: float  # the input's gradient in this pass before this addition (-0.0: nothing added yet)
    grad_after: float   # ... and after it (0.0 for a constant of the operation, as backward() sets)
    first: bool         # True when this pass had added nothing to this input's gradient before


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One node processed by back propagation."""

    number: int          # 1 for the first step (the root), as a table shows it
    node: Value
    grad: float          # d(root)/d(node): complete when the node is processed
    contributions: tuple  # of Contribution, in node.inputs order

    @property
    def local_derivatives(self):
        return tuple(c.local for c in self.contributions)

    @property
    def inputs(self):
        return tuple(c.input for c in self.contributions)


def _check_root(root, gradient):
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value as the root of the graph, got {type(root).__name__}")
    if isinstance(gradient, bool) or not isinstance(gradient, numbers.Real):
        raise TypeError(f"gradient must be a real number, got {type(gradient).__name__}")
    return float(gradient)


def backward_steps(root, gradient=1.0, *, apply=False):
    """An iterator over the steps of ``root.backward(gradient)``, in the engine's order.

    ``apply=False`` (default): the steps compute on a private copy of the gradients; no ``.grad``
    of the graph changes. ``apply=True``: each step writes the gradients of its interior inputs (and
    the first one seeds ``root.grad``), and after the last step every leaf adds its gradient, as
    ``backward()`` does; a pass abandoned before its end changes no leaf. The graph is read when
    this function is called; the steps are computed lazily, one per ``next()``. A leaf root gives no
    steps (with ``apply=True`` it accumulates the seed gradient, as ``backward()`` does).
    """
    gradient = _check_root(root, gradient)
    bp = BackwardPass(root, gradient)
    bp.require_rules("backward_steps")
    return _steps(bp, apply)


def _steps(bp, apply):
    if apply and bp.order:
        bp.root.grad = bp.gradient
    for number, (node, g, entries) in enumerate(bp.steps(), 1):
        contributions = []
        for position, ((p, amount, before, after), d) in enumerate(zip(entries, local_derivatives(node))):
            first = before is None
            if apply and p._a is not None:
                p.grad = after
            contributions.append(Contribution(position, p, d, amount, -0.0 if first else before, after, first))
        yield BackwardStep(number, node, g, tuple(contributions))
    if apply:  # the pass is over: each leaf adds its gradient to what it held, as backward() does
        bp.commit()


def final_grads(root, gradient=1.0, steps=None):
    """{node: gradient} for every node of the graph, computed by the steps (nothing is modified):
    d(root)/d(node) of this pass alone (a leaf's ``.grad`` after ``backward()`` adds it to what the
    leaf held);
    ``steps``, the list of ``backward_steps(root, gradient)`` if already made, saves a second pass."""
    gradient = _check_root(root, gradient)
    if steps is None:
        bp = BackwardPass(root, gradient)
        bp.require_rules("the step tables")
        return dict(bp.gradients())
    grads = {root: gradient}
    for step in steps:
        for c in step.contributions:
            grads[c.input] = c.grad_after
    return grads


# ---------------------------------------------------------------------------------- formatting

def format_number(x, precision=4):
    """``x`` with ``precision`` significant digits ("" for None: a gradient not computed yet).

    Zero is shown as "0" whatever its sign: the engine starts every sum from -0.0 (the exact
    identity of IEEE addition), a detail a reader need not see. Exact values stay available (the
    steps' floats, the drawings' SVG tooltips, the stepper page's data-exact attribute)."""
    if x is None:
        return ""
    if x == 0.0:
        x = 0.0
    return f"{x:.{precision}g}"


def printable(text):
    """A label on one line: newlines, tabs and other control characters shown as escapes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def is_labelled(node):
    """Whether ``node`` has a label to show: not None, and not empty or blank ("" is the default of
    micrograd's ``Value``, which means no label, and a blank name would leave a row unnamed)."""
    return node.label is not None and str(node.label).strip() != ""


def display_names(root, precision=6):
    """{node: name}: its label, the number of a constant leaf, or ``v<i>`` (i = the node's position
    in ``topological_order(root)``) for an unlabelled node (``is_labelled``), so a table and a
    drawing agree."""
    names = {}
    for i, v in enumerate(topological_order(root)):
        if is_labelled(v):
            names[v] = str(v.label)
        elif v.is_constant:
            names[v] = format_number(v.data, precision)
        else:
            names[v] = f"v{i}"
    return names


NODE_KINDS = ("output", "parameter", "input", "constant", "intermediate")


def node_kind(node, root, params=None):
    """One of ``NODE_KINDS``: the root is the output; a leaf is a constant (made from a plain number),
    a parameter (in ``params``, or, when ``params`` is None, marked ``is_parameter`` on the node,
    as ``nn``'s weights and biases are) or else an input; every other node is an intermediate value."""
    if node is root:
        return "output"
    if not node.is_leaf:
        return "intermediate"
    if node.is_constant:
        return "constant"
    if params is not None:
        return "parameter" if node in params else "input"
    return "parameter" if node.is_parameter else "input"


def as_param_set(params):
    """``params`` as a set of Values (None stays None); accepts any iterable or a Module."""
    if params is None:
        return None
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, (Value, str, bytes)) or not hasattr(params, "__iter__"):
        raise TypeError("params must be the Values to draw as parameters (a set or list of Values, or a "
                        f"Module), got {type(params).__name__}")
    params = set(params)
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"params must hold Values, got {type(p).__name__}")
    return params


def op_text(node):
    """How a table shows a node's operation: "mul (*)", "sigmoid (σ)", "leaf", "const"."""
    if node.is_leaf:
        return "const" if node.is_constant else "leaf"
    op = node._operation
    return op.name if op.symbol == op.name else f"{op.name} ({op.symbol})"


def step_rows(steps, names, precision=4, annotate=None):
    """The rows of a backward table as dicts of strings: one per step, with ``inputs``, one dict
    per contribution. Shared by ``backward_table`` and the HTML stepper page."""
    fmt = lambda x: format_number(x, precision)  # noqa: E731
    rows = []
    for s in steps:
        note = annotate(s.node) if annotate is not None else None
        rows.append({
            "step": str(s.number), "node": printable(names[s.node]), "op": op_text(s.node),
            "data": fmt(s.node.data), "grad": fmt(s.grad), "note": note or "",
            "inputs": [{
                "input": printable(names[c.input]),
                "local": "constant: no gradient" if c.local is None else fmt(c.local),
                "amount": "" if c.amount is None else fmt(c.amount),
                "before": "" if c.first else fmt(c.grad_before),  # blank: nothing added yet
                "after": fmt(c.grad_after),
            } for c in s.contributions],
        })
    return rows


def backward_table(root, gradient=1.0, *, precision=4, annotate=None, leaves=True, params=None):
    """The whole backward pass of ``root`` as a text table, one block per step.

    The first line of a block shows the node being processed: its name, operation, value and
    gradient d(root)/d(node). The lines under it show each input: the local derivative
    d(node)/d(input), the chain-rule product grad × local added to the input's gradient, and that
    gradient before and after the addition (blank before: nothing added yet). ``annotate(node)``
    may return a note printed beside a node (the Higham demo puts Lemma 5.1's δ[l] there).
    With ``leaves=True`` a summary of the final gradients of the leaves follows (their kind,
    parameter or input, as in ``node_kind`` with ``params``).
    """
    gradient = _check_root(root, gradient)
    params = as_param_set(params)
    names = display_names(root)
    steps = list(backward_steps(root, gradient))
    rows = step_rows(steps, names, precision, annotate)
    header = ["step", "node", "op", "data", "grad", "input", "∂node/∂input", "grad × ∂",
              "input grad before", "after"]
    has_notes = any(r["note"] for r in rows)
    if has_notes:
        header.append("note")
    lines = []
    for r in rows:
        first = True
        for inp in r["inputs"] or [{"input": "", "local": "", "amount": "", "before": "", "after": ""}]:
            head = [r["step"], r["node"], r["op"], r["data"], r["grad"]] if first else [""] * 5
            line = head + [inp["input"], inp["local"], inp["amount"], inp["before"], inp["after"]]
            if has_notes:
                line.append(r["note"] if first else "")
            lines.append(line)
            first = False
    if not steps:
        lines.append(["", printable(names[root]), op_text(root), format_number(root.data, precision),
                      format_number(gradient, precision), "", "", "", "", ""] + ([""] if has_notes else []))
    text = _columns(header, lines, numeric={0, 3, 4, 6, 7, 8, 9})
    if leaves:
        grads = final_grads(root, gradient, steps)
        leaf_lines = [[printable(names[v]), node_kind(v, root, params), format_number(v.data, precision),
                       format_number(grads[v], precision)]
                      for v in topological_order(root) if v.is_leaf and not v.is_constant]
        if leaf_lines:
            text += "\n\nGradients of the leaves (d root / d leaf):\n"
            text += _columns(["leaf", "kind", "data", "grad"], leaf_lines, numeric={2, 3})
    return text


def _columns(header, lines, numeric):
    """Text columns with a rule under the header; the columns in ``numeric`` right-aligned."""
    widths = [max(len(str(row[i])) for row in [header] + lines) for i in range(len(header))]

    def fmt(row):
        cells = []
        for i, (cell, w) in enumerate(zip(row, widths)):
            cell = str(cell)
            cells.append(cell.rjust(w) if i in numeric else cell.ljust(w))
        return "  ".join(cells).rstrip()

    out = [fmt(header), "  ".join("-" * w for w in widths)]
    out += [fmt(row) for row in lines]
    return "\n".join(out)

