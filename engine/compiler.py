"""Compile a recorded graph into straight-line Python: the same arithmetic, no Value objects.

The graph of one training step has the same shape for every sample, so it can be recorded once
(with Values, as usual) and replayed for new inputs and parameters by generated code. The code is
written by ``engine/codegen.py`` from the rows of ``engine/ops.py``, exactly as the eager methods and
the eager backward step are, and it performs the same floating-point operations in the same order
as ``Value.backward`` (same topological order, same accumulation order, grads starting from the
exact identity -0.0), so its numbers equal the eager engine's bit for bit.

Generated text holds only identifiers made here (``x0``, ``p3``, ``v12``, ``g12``), the rules of the
operation table and ``repr`` of floats: never a label or any other text that came from the user.
"""

import builtins
import math

import numpy as np

from . import codegen, numerics, writer
from .graph import topological_order
from .value import Value, as_float


class CompileError(ValueError):
    """The graph cannot be compiled (a data-dependent operation, a Value listed twice, ...)."""


def _literal(x):
    """A float as Python source. Non-finite values become names bound in the namespace."""
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INF" if x > 0 else "(-INF)"
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def _run(blocks, filename, namespace, batch=200_000):
    """Compile and execute ``blocks`` a batch of about ``batch`` characters at a time: Python's
    compiler then never holds the syntax tree of a huge module at once (time and memory linear)."""
    pending, size = [], 0
    for block in blocks + [None]:
        if block is None or (pending and size + len(block) > batch):
            exec(builtins.compile("\n".join(pending), filename, "exec"), namespace)
            pending, size = [], 0
        if block is not None:
            pending.append(block)
            size += len(block)


def _reals(seq, what, n=None):
    """``seq`` as a list of floats, each converted as ``Value()`` converts its number; ``n``: the
    length it must have. Called by generated code only when some number is not a float already."""
    if n is not None and len(seq) != n:
        raise ValueError(f"expected {n} {what}, got {len(seq)}")
    return [v if v.__class__ is float else as_float(v, f"{what}[{i}]") for i, v in enumerate(seq)]


def _array_reals(seq, what, n=None):
    """``_reals`` for the NumPy code: the input columns are float64 arrays already."""
    if n is not None and len(seq) != n:
        raise ValueError(f"expected {n} {what}, got {len(seq)}")
    return [v if v.__class__ is float or v.__class__ is np.ndarray else as_float(v, f"{what}[{i}]")
            for i, v in enumerate(seq)]


def _check_values(seq, what):
    seq = list(seq)
    for i, v in enumerate(seq):
        if not isinstance(v, Value):
            raise TypeError(f"compile: {what}[{i}] must be a Value, got {type(v).__name__}")
        if v._a is not None:  # its recorded inputs would still be read below it: wrong gradients
            raise CompileError(f"compile: {what}[{i}] must be a leaf Value (an input or a parameter), "
                               f"got the result of {v._operation.name!r}; list the leaves it was computed from")
    return seq


class CompiledGraph:
    """A graph compiled to Python functions of (inputs, parameters).

    ``x`` is a sequence of input numbers (in the order of ``inputs``), ``p`` a sequence of parameter
    numbers (order of ``params``; ``None`` means the parameters' current ``.data``).

    * ``forward(x, p)`` → the output value;
    * ``gradient(x, p)`` → ``(value, grads)``, grads with respect to the parameters (a tuple); with
      ``input_grads=True`` at compile time, ``(value, grads, input_grads)``;
    * ``sgd_step(x, p, eta)`` → value; updates the list ``p`` in place: p_i ← p_i − η ∂C/∂p_i;
    * ``sgd_run(rows, order, p, eta)``: ``sgd_step`` for ``x = rows[k]``, k in ``order``, in one
      generated loop (the parameters stay in local variables between steps);
    * ``forward_array(X, p)`` and ``gradient_array(X, p)``: the same code on NumPy columns, X of
      shape (n, len(inputs)): all n points in one call.

    ``source`` is the generated text; ``listing()`` the same with the labels of the recorded nodes
    as comments, for reading only (it is never executed).
    """

    def __init__(self, output, inputs, params, input_grads=False):
        self.output = output
        self.inputs = _check_values(inputs, "inputs")
        self.params = _check_values(params, "params")
        self.input_grads = input_grads
        self._plan()
        blocks = self._write_source()
        self.array_source = "\n".join(blocks)
        self._array_blocks = blocks  # compiled on the first vectorised call: half the work if never
        self._array = None
        self._plain = None
        self._build(blocks)

    def _build(self, blocks):
        """Turn the written blocks into the callable functions (engine/native.py overrides this)."""
        # The scalar code writes short functions out in place (codegen.inline); NumPy code cannot
        # (the expansions branch on a number), so it calls the array functions of the same names.
        scalar_blocks = ["\n".join(codegen.inline(line) for line in b.split("\n")) for b in blocks]
        self.source = "\n".join(scalar_blocks)
        scalar = dict(numerics.SCALAR, INF=math.inf, NAN=math.nan, _reals=_reals, _real=as_float)
        _run(scalar_blocks, "<engine.compile>", scalar)
        self._forward = scalar["forward"]
        self._gradient = scalar["gradient"]
        self._sgd_step = scalar["sgd_step"]
        self._sgd_run = scalar["sgd_run"]

    def _sgd_run_plain(self):
        """sgd_run with IEEE products (codegen.inline(plain=True)), compiled on first use: the same
        bits unless a zero local derivative meets an infinite gradient, which leaves a NaN
        parameter; ``sgd_run`` then runs the call again from its start with the exact chain rule
        (engine/ops.py). The plain products save about a sixth of a step."""
        if self._plain is None:
            blocks = ["\n".join(codegen.inline(line, plain=True) for line in b.split("\n"))
                      for b in self._array_blocks]
            plain = dict(numerics.SCALAR, INF=math.inf, NAN=math.nan, _reals=_reals, _real=as_float)
            _run(blocks, "<engine.compile: IEEE products>", plain)
            self._plain = plain["sgd_run"]
        return self._plain

    def _array_functions(self):
        if self._array is None:
            array = dict(numerics.ARRAY, INF=math.inf, NAN=math.nan, _reals=_array_reals, _real=as_float)
            _run(self._array_blocks, "<engine.compile: NumPy>", array)
            self._array = array
        return self._array

    # ---------------------------------------------------------------- code generation

    def _plan(self):
        output, inputs, params = self.output, self.inputs, self.params
        name = {}
        for kind, seq in (("x", inputs), ("p", params)):
            for i, v in enumerate(seq):
                if v in name:
                    raise CompileError(f"compile: the Value {v!r} is listed twice among the inputs "
                                       f"and parameters")
                name[v] = f"{kind}{i}"
        order = topological_order(output)
        self._order = order
        forward = []
        labels = {}
        for i, v in enumerate(order):
            if v in name:
                labels[name[v]] = v.label
                continue
            if v._a is None:  # a constant, or a leaf not listed: frozen at its recorded value
                name[v] = _literal(v.data)
                continue
            op = v._operation
            if op.data_dependent_graph:
                raise CompileError(f"compile: operation {op.name!r} chooses its graph from the data; "
                                   f"a recorded graph would be wrong for other inputs")
            name[v] = f"v{i}"
            labels[name[v]] = v.label
            forward += codegen.forward_statements(op, name[v], [name[u] for u in v.inputs])
        self._name = name
        self._labels = labels
        self._forward_lines = forward

        self._grads_for_gradient = self._backward(set(params) | (set(inputs) if self.input_grads else set()))
        # the fused SGD step needs the parameters' grads only: the same lines unless input_grads
        self._grads_for_sgd = (self._backward(set(params)) if self.input_grads
                               else self._grads_for_gradient)

    def _backward(self, targets):
        """Backward lines computing the grads of ``targets``, and a function naming each grad.

        Only nodes with a target below them get a gradient; contributions are emitted in the order
        of ``Value.backward`` (reverse topological order, inputs in argument order)."""
        order, name, output = self._order, self._name, self.output
        needs = set()
        for v in order:
            if v in targets or any(u in needs for u in v.inputs):
                needs.add(v)
        gname = {v: "g" + name[v] for v in needs}
        lines = []
        assigned = set()
        if output in needs:
            lines.append((gname[output], "1.0"))
            assigned.add(gname[output])
        for v in reversed([u for u in order if u._a is not None]):  # = Value.backward's order
            if v not in needs:
                continue
            ins = v.inputs
            tnames = [gname[u] if u in needs else None for u in ins]
            for target, sign, term in codegen.contributions(
                    v._operation, tnames, gname[v], [name[u] for u in ins], name[v]):
                if target in assigned:  # not "+=": on NumPy arrays that would write through aliases
                    lines.append((target, f"{target} {sign} {term}"))
                else:  # -0.0 + t == t and -0.0 - t == -t exactly: the first one is assigned
                    lines.append((target, term if sign == '+' else '-' + term))
                    assigned.add(target)
        return lines, (lambda v: gname[v] if gname.get(v) in assigned else "0.0")

    def _write_source(self):
        """The generated module as a list of blocks (``engine/writer.py`` lays them out)."""
        bwd, grad_of = self._grads_for_gradient
        sgd_bwd, sgd_grad_of = self._grads_for_sgd
        program = writer.Program(
            len(self.inputs), len(self.params), self._forward_lines, bwd, sgd_bwd,
            self._name[self.output], [grad_of(v) for v in self.params],
            [grad_of(v) for v in self.inputs], [sgd_grad_of(v) for v in self.params], self.input_grads)
        return ["# generated by engine.compile from the operation table (engine/ops.py)\n"] + writer.write(program)

    def listing(self):
        """``source`` with each generated variable's label, where the recorded node had one, as a
        comment: for reading the code against the paper. Only ``source`` is ever executed."""
        lines = []
        for line in self.source.splitlines():
            target = line.strip().split(" ", 1)[0]
            label = self._labels.get(target)
            if label is None and target.startswith("g"):
                label = self._labels.get(target[1:])
                label = None if label is None else f"∂/∂ {label}"
            if label is not None and "= " in line:
                line = f"{line:<60}  # {' '.join(str(label).split())}"
            lines.append(line)
        return "\n".join(lines)

    # ---------------------------------------------------------------- calling

    def _params(self, p):
        return [v.data for v in self.params] if p is None else p

    # The calls go straight to the generated code; only when it fails are the arguments examined,
    # so that a wrong one is named clearly (the checks would otherwise cost a third of a step).

    def forward(self, x, p=None):
        try:
            return self._forward(x, self._params(p))
        except (TypeError, ValueError):
            self._check_arguments(x, p)
            raise

    def gradient(self, x, p=None):
        try:
            return self._gradient(x, self._params(p))
        except (TypeError, ValueError):
            self._check_arguments(x, p)
            raise

    def sgd_step(self, x, p, eta):
        try:
            return self._sgd_step(x, p, eta)
        except (TypeError, ValueError):
            _check_list(p)
            self._check_arguments(x, p)
            raise

    def sgd_run(self, rows, order, p, eta):
        """Run ``sgd_step(rows[k], p, eta)`` for every k in ``order``; ``p`` (a list) is updated."""
        _check_list(p)
        bad = [i for i, row in enumerate(rows) if len(row) != len(self.inputs)]
        if bad:
            raise ValueError(f"rows[{bad[0]}] has {len(rows[bad[0]])} numbers; every row needs "
                             f"{len(self.inputs)}, one per input")
        if len(p) != len(self.params):
            raise ValueError(f"expected {len(self.params)} parameters, got {len(p)}")
        start = list(p)
        value = self._sgd_run_plain()(rows, order, p, eta)
        if any(x != x for x in p):  # a NaN: perhaps 0 × inf, which the exact chain rule makes 0
            p[:] = start
            value = self._sgd_run(rows, order, p, eta)
        return value

    def sgd_run_lanes(self, rows, orders, P, eta):
        """``sgd_run(rows, orders[r], P[r], eta)`` for every run r at once, the same numbers bit for
        bit; ``P`` a float64 array (runs, parameters) updated in place (engine/lanes.py)."""
        from .lanes import sgd_run_lanes
        return sgd_run_lanes(self, rows, orders, P, eta)

    def forward_array(self, X, p=None):
        """The output at every row of ``X`` (shape (n, number of inputs)) as an array of shape (n,)."""
        cols = self._columns(X)
        value = self._array_functions()["forward"](cols, self._params(p))
        return np.broadcast_to(np.asarray(value, dtype=float), (len(X),)).copy()

    def gradient_array(self, X, p=None):
        """(values (n,), parameter gradients (n, number of parameters)) at every row of ``X``."""
        cols = self._columns(X)
        n = len(cols[0]) if len(cols) else len(X)
        result = self._array_functions()["gradient"](cols, self._params(p))
        shaped = [np.broadcast_to(np.asarray(result[0], dtype=float), (n,)).copy()]
        for grads in result[1:]:
            shaped.append(np.column_stack([np.broadcast_to(np.asarray(g, dtype=float), (n,))
                                           for g in grads]) if grads else np.zeros((n, 0)))
        return tuple(shaped)

    def write_params(self, p):
        """Store the numbers ``p`` into the recorded parameter Values' ``.data``."""
        if len(p) != len(self.params):
            raise ValueError(f"expected {len(self.params)} parameters, got {len(p)}")
        numbers = [as_float(x, f"p[{i}]") for i, x in enumerate(p)]  # all checked before any is stored
        for v, x in zip(self.params, numbers):
            v.data = x

    def _columns(self, X):
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":  # as Value(): real numbers only, never text parsed as one
            raise TypeError(f"expected an array of real numbers, got an array of dtype {X.dtype}")
        X = X.astype(float)
        if X.ndim != 2 or X.shape[1] != len(self.inputs):
            raise ValueError(f"expected an array of shape (n, {len(self.inputs)}), got shape {X.shape}")
        return tuple(X.T)

    def _check_arguments(self, x, p):
        """Raise the clear error if ``x`` or ``p`` is not what the compiled code takes."""
        p = self._params(p)
        if not hasattr(x, "__len__") or not hasattr(p, "__len__"):
            raise TypeError(f"expected sequences of numbers for the inputs and the parameters, got "
                            f"{type(x).__name__} and {type(p).__name__}")
        if len(x) != len(self.inputs):
            raise ValueError(f"expected {len(self.inputs)} inputs, got {len(x)}")
        if len(p) != len(self.params):
            raise ValueError(f"expected {len(self.params)} parameters, got {len(p)}")

    def __repr__(self):
        return (f"<CompiledGraph: {len(self.inputs)} inputs, {len(self.params)} parameters, "
                f"{len(self._forward_lines)} operations>")


def _check_list(p):
    if not isinstance(p, list):
        raise TypeError(f"the parameters must be a list, updated in place, got {type(p).__name__}")


def compile(output, inputs=(), params=(), *, input_grads=False, backend="python"):  # noqa: A001
    """Compile the graph under ``output`` into straight-line Python (see ``CompiledGraph``).

    ``backend="numba"`` compiles the same code to machine code instead (``engine/native.py``; the
    optional extra ``pip install "seebackprop[fast]"``): the same methods and the same numbers.

    ``inputs`` and ``params`` are the leaf Values that become arguments; every other leaf is a
    constant frozen at its recorded value. Control flow that the recording took in Python (an
    ``if v.data > 0``) is baked in, as in any tracing compiler; the engine's own operations have
    graphs that do not depend on the data, and an operation that would is refused.
    """
    if not isinstance(output, Value):
        raise TypeError(f"compile: the output must be a Value, got {type(output).__name__}")
    if backend == "numba":
        from .native import NativeGraph, require_numba
        require_numba()  # before any work: the error names the extra to install
        return NativeGraph(output, inputs, params, input_grads)
    if backend != "python":
        raise ValueError(f"compile: backend must be 'python' or 'numba', got {backend!r}")
    return CompiledGraph(output, inputs, params, input_grads)
