"""The table of primitive operations: the single source of truth of the engine.

Each row declares one operation: its name, the symbol drawn in graphs, the names of its inputs, its
forward rule and the local partial derivative of its output with respect to each input. Rules are
Python expressions over the inputs (``a``, ``b`` ...), the result (``out``), numbers, ``+ - * / **``
and the functions of the runtimes (``engine/runtimes``): the engine's own (``sigmoid``, ``pow_da``
...) and those of Python's ``math`` (``sin``, ``sqrt`` ...). From this table alone, through one rule
compiler (``engine/rules``), the engine derives

* the eager arithmetic of ``Value`` (``__mul__``, ``exp`` ...) and its backward pass,
* the compiled code of ``engine.compile`` (Python, NumPy and numba),
* gradients that are graphs (second derivatives, ``engine/higher``),
* the labels of graph drawings and the rows of the node-by-node backward tables.

A user's row (``engine.define``) is a row like these and gets all of it.

Read it as a table of derivatives: d(out)/da and d(out)/db. A partial is one of two kinds:

* a **local derivative** d, a plain string. The chain rule applies it to the gradient g arriving at
  the node as ``times(g, d)`` = g × d, with one convention: **a local derivative that is exactly
  zero passes no gradient**; its contribution is exactly 0, even when g is infinite or NaN (where
  IEEE arithmetic gives NaN). Relu off, x ** 0, a product whose other factor is 0: the output does
  not move with that input, whatever happens above (PyTorch's relu mask does the same). So d/dx
  relu(x) ** 0.5 at x = −1 is 0, not NaN. Everywhere else times(g, d) is IEEE's g * d bit for bit.
* a **term**, ``term("g / b")``: the contribution itself, written in g in the order that does not
  overflow: ``g / b`` rather than g × (1 / b), which is inf for a subnormal b even when g / b is
  finite. Its local derivative (for tables) is the expression at g = 1.

``None`` marks an input that is a constant of the operation (the number n in x ** n), which receives
no gradient. In a forward rule ``/`` and ``**`` refuse what has no value (division by zero, 0 ** -1);
in a partial they give IEEE's answer (sqrt'(0) = 0.5 / 0 = inf, as in PyTorch).

``max`` is binary: a maximum over many inputs (a pooling window, the shift of a softmax) is a
chain ``max(max(a, b), c) ...``, and because a tie goes to the first argument, the gradient reaches
the first of several equal maxima in reading order.

Partials are expressions that the rule compiler can also evaluate on Values: that is how
``engine.grad(..., create_graph=True)`` builds the gradient as a graph, so every row also gives
second derivatives. The rows at the end exist for that: ``step`` (relu's derivative, whose own
derivative is taken to be 0, so relu'' = 0), ``sign`` (abs'), ``ge`` (max') and ``times`` (the chain
rule's product above, as a node).

One row is *variadic*: ``affine``, the weighted input of a neuron, z = b + Σ_k w_k x_k (equation 5.2
of Higham & Higham, one row of W a + b). Its inputs are b followed by the pairs (w_k, x_k); its rule
``b + sum(w * x)`` expands to ``b + w_1 * x_1 + w_2 * x_2 + ...``, summed left to right, and its
partials are given once for b and once for a pair. One node per z instead of a chain of products and
sums keeps a network's graph the shape of the paper's equations, and three times smaller.
"""

from dataclasses import dataclass, field


class term(str):  # noqa: N801 (read in the table as a marker, like a keyword)
    """A partial written as the chain-rule contribution itself, in the incoming gradient ``g``
    (``term("g / b")``), instead of a local derivative that the chain rule multiplies by g."""

    __slots__ = ()

    def __repr__(self):
        return f"term({str.__repr__(self)})"


@dataclass(frozen=True, eq=False)  # identity hash: ops are looked up on every backward step
class Op:
    name: str        # e.g. "mul"; also the method/function name where one exists
    symbol: str      # what a graph drawing shows, e.g. "*"
    inputs: tuple    # input names used by the rules, e.g. ("a", "b")
    forward: str     # expression for out
    partials: tuple  # one per input: a local derivative (str), a term(...), or None
    doc: str = ""
    # affine only: inputs[0] appears once, the rest repeat as a group ("w", "x") any number of times
    variadic: bool = False
    # a user's row: the scalar functions its rules call besides the runtimes' (engine.define)
    functions: dict = field(default_factory=dict)
    # "table": a row of this table or engine.define; "constant": the leaf a plain number becomes;
    # "closure": a node made micrograd's way, Value(data, children, op), with its own _backward
    kind: str = "table"

    @property
    def arity(self):
        return len(self.inputs)

    @property
    def builtin(self):
        return BUILTIN.get(self.name) is self

    def __repr__(self):
        return f"<op {self.name}>"

    # An Op is the identity of a row: a copied or unpickled graph must find the same row, so an
    # Op copies as itself and pickles by name (a user's row must be defined again before loading).
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        if self.kind == "closure":
            return (closure_op, (self.symbol,))
        if self.kind == "constant":
            return (_constant, ())
        return (lookup, (self.name,))


#        name        symbol  inputs      forward                  d(out)/da                    d(out)/db
_TABLE = [
    Op("add",       "+",    ("a", "b"), "a + b",                ("1.0",                    "1.0")),
    Op("sub",       "-",    ("a", "b"), "a - b",                ("1.0",                    "-1.0")),
    Op("mul",       "*",    ("a", "b"), "a * b",                ("b",                      "a")),
    Op("div",       "/",    ("a", "b"), "a / b",                (term("g / b"),            term("-(g / b) * out")),
       doc="g / b, not g * (1 / b): finite for a subnormal b; d/db = -(g/b)(a/b)"),
    Op("pow",       "**",   ("a", "b"), "a ** b",               ("pow_da(a, b)",           "pow_db(a, out)"),
       doc="a ** b with b a Value: d/db = a**b log a"),
    Op("powc",      "**",   ("a", "n"), "a ** n",               ("pow_da(a, n)",           None),
       doc="a ** n with n a plain number (a constant of the operation)"),
    Op("neg",       "-",    ("a",),     "-a",                   ("-1.0",)),
    Op("exp",       "exp",  ("a",),     "exp(a)",               ("out",)),
    Op("log",       "log",  ("a",),     "log(a)",               (term("g / a"),),
       doc="g / a, not g * (1 / a): finite for a subnormal a"),
    Op("tanh",      "tanh", ("a",),     "tanh(a)",              ("1.0 - out * out",)),
    Op("sigmoid",   "σ",    ("a",),     "sigmoid(a)",           ("out * (1.0 - out)",),
       doc="σ'(z) = σ(z)(1 − σ(z)), the formula of Higham & Higham §5"),
    Op("relu",      "ReLU", ("a",),     "relu(a)",              ("step(a)",),
       doc="max(0, a); its derivative at 0 is taken as 0, as in PyTorch"),
    Op("softplus",  "softplus", ("a",), "softplus(a)",          ("sigmoid(a)",),
       doc="log(1 + e^a), computed without overflow"),
    Op("max",       "max",  ("a", "b"), "maximum(a, b)",        ("ge(a, b)",               "1.0 - ge(a, b)"),
       doc="the larger of a and b (NaN if either is NaN); at a tie a == b the whole gradient goes to "
           "the first argument, so a left-to-right max over a window credits its first maximum, as "
           "PyTorch's max_pool2d does"),
    # The elementary functions (math's sin, cos, sqrt, fabs), with PyTorch's derivatives at the edges
    Op("sin",       "sin",  ("a",),     "sin(a)",               ("cos(a)",)),
    Op("cos",       "cos",  ("a",),     "cos(a)",               ("-sin(a)",)),
    Op("sqrt",      "√",    ("a",),     "sqrt(a)",              ("0.5 / out",),
       doc="a negative argument is a DomainError; sqrt'(0) = 0.5 / 0 = inf, as in PyTorch"),
    Op("abs",       "abs",  ("a",),     "fabs(a)",              ("sign(a)",),
       doc="|a|; abs'(0) = sign(0) = 0, as in PyTorch"),
    #                        inputs: b, then pairs (w, x)          d/db    d/dw   d/dx
    Op("affine",    "Σ",    ("b", "w", "x"), "b + sum(w * x)",  ("1.0", "x", "w"), variadic=True,
       doc="z = b + Σ_k w_k x_k: a neuron's weighted input, Higham & Higham (5.2)"),
    # Rows that only gradient graphs use (engine.grad with create_graph=True; no Value method):
    Op("step",      "step", ("a",),     "step(a)",              ("0.0",),
       doc="relu's derivative 1[a > 0]; its own derivative is taken to be 0 (relu'' = 0)"),
    Op("sign",      "sign", ("a",),     "sign(a)",              ("0.0",),
       doc="abs' (-1, 0 or 1); piecewise constant, so its own derivative is taken to be 0"),
    Op("times",     "×",    ("a", "b"), "times(a, b)",          ("b",                      "a"),
       doc="the chain rule's product g × ∂, 0 where ∂ (b) is exactly 0 (see above)"),
    Op("ge",        "≥",    ("a", "b"), "ge(a, b)",             ("0.0",                    "0.0"),
       doc="max's derivative 1[a >= b]; piecewise constant, so its own derivatives are taken to be 0"),
    # A partial's / and ** as nodes: IEEE's answers where the forward / and ** refuse (sqrt'(0) =
    # 0.5 / 0 = inf, d/da a ** 0.5 at 0 = 0.5 * 0 ** -0.5 = inf), so that a gradient graph holds, and
    # recomputes when compiled, the numbers backward() gives; their derivatives are pow's and div's.
    Op("powd",      "**",   ("a", "b"), "power_d(a, b)",        ("pow_da(a, b)",           "pow_db(a, out)"),
       doc="a ** b inside a derivative (b a Value)"),
    Op("powdc",     "**",   ("a", "n"), "power_d(a, n)",        ("pow_da(a, n)",           None),
       doc="a ** n inside a derivative (n a constant of the operation)"),
    Op("quot",      "/",    ("a", "b"), "quotient(a, b)",       (term("g / b"),            term("-(g / b) * out")),
       doc="a / b inside a derivative: ±inf or NaN at b = 0, as IEEE division"),
]

BUILTIN = {op.name: op for op in _TABLE}
OPS = dict(BUILTIN)  # every row: the table's and the users' (engine.define adds them here)
# rows for gradient graphs; not methods of Value
GRADIENT_ONLY = ("step", "sign", "times", "ge", "powd", "powdc", "quot")
UNARY = tuple(op.name for op in _TABLE if op.arity == 1 and op.name not in GRADIENT_ONLY)

# Not an operation but a marker: the leaf that a plain number becomes in ``2 * v`` or ``1 - v``.
CONST = Op("const", "const", (), "", (), kind="constant")

_CLOSURES: dict = {}
# Called with each closure row as it is made (the eager engine registers how to call its closure).
# Such rows are made on demand, by Value(data, children, op) and by unpickling a graph, so the layers
# above cannot list them in advance as they do the table's rows.
CLOSURE_ROW_MADE: list = []


def closure_op(text):
    """The marker of nodes made micrograd's way, ``Value(data, children, text)``: one per ``_op``
    text, so that drawings show it. Such a node's derivative is its own ``_backward`` closure."""
    op = _CLOSURES.get(text)
    if op is None:
        op = _CLOSURES[text] = Op(text, text, (), "", (), kind="closure")
        for made in CLOSURE_ROW_MADE:
            made(op)
    return op


def _constant():
    return CONST


def lookup(name):
    """The row called ``name``; a clear error for a user's row not (yet) defined in this process."""
    try:
        return OPS[name]
    except KeyError:
        raise LookupError(f"no operation {name!r} in the table: a graph that uses a row of your own "
                          f"needs engine.define(...) of that row before it is loaded") from None
