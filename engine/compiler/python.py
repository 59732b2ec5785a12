"""The Python backend: the planned statements laid out as Python functions, in time linear in the graph.

The plan (``engine/compiler/plan.py``) gives the statements ``(target, expression)`` of the forward
pass and of the backward passes of ``gradient`` and of the fused SGD step. This module writes the
four functions ``forward``, ``gradient``, ``sgd_step`` and ``sgd_run`` around them, in one of two
layouts:

* **straight-line** (a graph of at most ``CHUNK`` variable references): every value is a local
  variable of one function, the fastest code Python runs;
* **chunked** (bigger graphs): the statements are cut into functions of about ``CHUNK`` references
  each, and a value used outside the chunk that computes it lives in a list ``s`` (its slot)
  between chunks. Python's own compiler, given one function of a million statements, takes time and
  memory that grow faster than the function (its tables of locals and names outgrow the caches),
  and every copy of the forward pass would be compiled again; here each chunk is a small function,
  compiled once however many of the four functions call it, so compiling grows linearly.

Both layouts perform the same floating-point operations in the same order: the same bits. The
scalar functions are written in the "scalar" dialect (short functions written out in place); the
NumPy functions (``forward_array``, ``gradient_array``) are the same layout in the "call" dialect
run with the NumPy runtime; ``sgd_run`` first runs a "plain" copy (IEEE products) and repeats the
call exactly if a NaN shows the zero-derivative rule was needed.

Inputs and parameters reach the generated code already checked by ``engine/compiler/arguments.py``
(the one rule for every backend); generated code converts, on entry, only numbers that are not
floats yet, with the rules of ``Value()``.
"""

import builtins
import math

import numpy as np
import re

# a generated variable: x3 (input), p3 (parameter), v3 (node), g... (its gradient)
_VAR = re.compile(r"\bg?[xpv][0-9]+\b")

CHUNK = 4000  # variable references per generated function (about 100 kB of source)


def _tup(items):
    return f"({', '.join(items)}{',' if len(items) == 1 else ''})"


def _unpack(names, seq):
    return [f"{', '.join(names)}{',' if len(names) == 1 else ''} = {seq}"] if names else []


def _convert(names, seq, what):
    """Unpack ``seq`` into ``names`` and convert them to floats unless they are floats already."""
    if not names:
        return []
    test = " or ".join(f"{n}.__class__ is not float" for n in names)
    return _unpack(names, seq) + [f"if {test}:", f"    {', '.join(names)}{',' if len(names) == 1 else ''} = "
                                                    f"_reals({seq}, {what!r})"]


def _indent(lines, depth=1):
    pad = "    " * depth
    return [pad + line for line in lines]


class Program:
    """What the compiler planned: names and statements, from which the functions are written.

    ``forward``, ``backward`` (grads for ``gradient``) and ``sgd_backward`` (grads of the parameters
    only) are lists of ``(target, expression)``; ``out`` is the output's expression (a variable or
    a literal); ``pgrads``/``xgrads``/``sgd_pgrads`` the expression of each gradient ("0.0" where
    no path leads)."""

    def __init__(self, n_in, n_par, forward, backward, sgd_backward, out, pgrads, xgrads,
                 sgd_pgrads, input_grads, fast_forward=None, fast_sgd_backward=None):
        self.n_in, self.n_par = n_in, n_par
        self.forward, self.backward, self.sgd_backward = forward, backward, sgd_backward
        self.out, self.pgrads, self.xgrads, self.sgd_pgrads = out, pgrads, xgrads, sgd_pgrads
        self.input_grads = input_grads
        # the fused step's fast copy: IEEE products ("plain"), rerun exactly where a NaN appears
        self.fast_forward, self.fast_sgd_backward = fast_forward, fast_sgd_backward

    def size(self):
        return sum(1 + len(_VAR.findall(e)) for _, e in self.forward + self.backward) + self.n_in + self.n_par


def write(program):
    """The generated module as a list of source blocks (one per top-level function)."""
    if program.size() <= CHUNK:
        return _straight_line(program)
    return _chunked(program)


# ------------------------------------------------------------------------- straight-line layout

def _checked_unpack(names, seq, what, n):
    """Unpack the sequence ``seq`` (a tuple or a list, tested in that order: a row of data is a
    tuple; anything else, or a wrong length, goes through ``_seq``, the one rule of
    engine/compiler/arguments.py, which converts it or says what is wrong)."""
    return [f"if {seq}.__class__ is not tuple and {seq}.__class__ is not list:",
            f"    {seq} = _seq({seq}, {n}, {what!r})",
            "try:", *_indent(_unpack(names, seq) or ["pass"]),
            "except ValueError:",
            f"    {seq} = _seq({seq}, {n}, {what!r})"]


_ARITHMETIC = re.compile(r"[\w\s.*+()-]*")  # variables, literals, + - * and parentheses ...
_CALL = re.compile(r"\w\s*\(")  # ... and no call
_NAME = re.compile(r"\b[A-Za-z_]\w*")  # a name (not the e of 1e-05)


def _inline_once(statements, uses):
    """``statements`` (target, expression) and ``uses`` (expressions read after them: the fused
    step's update), with each variable that is assigned once and read once written in place of its
    read, in parentheses: the same operations on the same operands in the same order, one local
    variable fewer to store and load (each parameter's gradient in its update, a negation in the
    product that reads it: a tenth of the fused step's distance to straight-line code). Only
    expressions of arithmetic on variables (no call, which might raise earlier than it would
    have), none of whose variables is assigned between the two places: each is then evaluated on
    the same numbers. One pass over the statements, with every variable's assignments and reads
    indexed first (time linear in the graph)."""
    lines = [[t, e] for t, e in statements] + [[None, u] for u in uses]
    names = [_VAR.findall(e) for _, e in lines]
    assigned, read = {}, {}
    for k, (t, _) in enumerate(lines):
        if t is not None:
            assigned.setdefault(t, []).append(k)
        for name in names[k]:
            read.setdefault(name, []).append(k)
    dropped = set()
    for i in range(len(statements)):
        t, e = lines[i]
        where = read.get(t, ())
        if (len(assigned[t]) != 1 or len(where) != 1 or not _ARITHMETIC.fullmatch(e) or _CALL.search(e)
                or not all(_VAR.fullmatch(n) for n in _NAME.findall(e))):  # generated variables only
            continue
        j = where[0]
        if any(i < k < j for name in set(names[i]) for k in assigned.get(name, ())):
            continue
        whole = e.startswith("(") and e.endswith(")") and e.count("(") == 1
        lines[j][1] = re.sub(rf"\b{t}\b", e if whole else f"({e})", lines[j][1])
        # e's variables are now read at j too; their own reads need no update, since every one
        # of them was assigned before i and so was already considered
        names[j] = _VAR.findall(lines[j][1])
        dropped.add(i)
    kept = [(t, e) for k, (t, e) in enumerate(lines[:len(statements)]) if k not in dropped]
    return kept, [u for _, u in lines[len(statements):]]


def _fold_first_terms(statements):
    """``statements`` with each first assignment ``t = e`` that the next statement reading t
    extends (``t = t + x``) folded into it: ``t = (e) + x``, with e evaluated on the same numbers
    and before x, as it was (arithmetic on generated variables only, none of them assigned in
    between); one store and load fewer per gradient with several contributions. Linear in the
    statements."""
    lines = [[t, e] for t, e in statements]
    names = [_VAR.findall(e) for _, e in lines]
    assigned, reads = {}, {}
    for k, (t, _) in enumerate(lines):
        assigned.setdefault(t, []).append(k)
        for name in names[k]:
            reads.setdefault(name, []).append(k)
    dropped = set()
    for i, (t, e) in enumerate(lines):
        if (assigned[t][0] != i or len(assigned[t]) < 2 or not _ARITHMETIC.fullmatch(e) or _CALL.search(e)
                or not all(_VAR.fullmatch(n) for n in _NAME.findall(e))):
            continue
        j = assigned[t][1]  # the second assignment of t: it must be the first read of t, t = t + x
        if reads.get(t, [None])[0] != j or not lines[j][1].startswith(f"{t} + ") or names[j].count(t) != 1:
            continue
        if any(i < k < j for name in set(names[i]) for k in assigned.get(name, ())):
            continue
        whole = e.startswith("(") and e.endswith(")") and e.count("(") == 1
        lines[j][1] = (e if whole else f"({e})") + lines[j][1][len(t):]
        names[j] = _VAR.findall(lines[j][1])
        assigned[t].pop(0)
        reads[t].pop(0)
        dropped.add(i)
    return [(t, e) for k, (t, e) in enumerate(lines) if k not in dropped]


def _straight_line(g):
    xs = [f"x{i}" for i in range(g.n_in)]
    ps = [f"p{i}" for i in range(g.n_par)]
    fwd = [f"{t} = {e}" for t, e in g.forward]
    bwd = [f"{t} = {e}" for t, e in g.backward]
    sgd_bwd = [f"{t} = {e}" for t, e in g.sgd_backward]
    head = _convert(xs, "x", "inputs") + _convert(ps, "p", "parameters")
    checked_x = _checked_unpack(xs, "x", "inputs", g.n_in)
    # the parameters: a list is read as it is; anything else must be a float64 array (the one
    # rule), read into a list of floats; p keeps its name, since it is updated in place
    p_check = ["if p.__class__ is list:", "    pv = p", "else:", f"    _in_place(p, {g.n_par})",
               f"    pv = _seq(p, {g.n_par}, 'parameters')"]
    checked_head = checked_x + p_check + ["try:", *_indent(_unpack(ps, "pv") or ["pass"]), "except ValueError:",
                                          f"    _seq(p, {g.n_par}, 'parameters')"]
    eta = ["if eta.__class__ is not float:", "    eta = _real(eta, 'eta')"]
    returns = f"return {g.out}, {_tup(g.pgrads)}" + (f", {_tup(g.xgrads)}" if g.input_grads else "")
    update = [f"p[:] = {_tup([f'{p} - eta * {q}' for p, q in zip(ps, g.sgd_pgrads)])}"] if ps else []
    exact_step = ["def sgd_step_exact(x, p, eta):", *_indent(head + eta + fwd + sgd_bwd + update),
                  f"    return {g.out}"]
    if g.fast_forward is not None and ps:
        # the fast fused step: the containers checked (the numbers are converted by the exact step
        # when one is not a float), IEEE products, and one C-level sum over the updated parameters:
        # a NaN there (perhaps 0 × inf, which the exact chain rule makes 0), or a number that is not
        # a float (a NumPy scalar, a complex number), sends the call to the exact step, from the
        # parameters as they were
        fast_fwd = [f"{t} = {e}" for t, e in g.fast_forward]
        kept, updates = _inline_once(_fold_first_terms(g.fast_sgd_backward),
                                     [f"{p} - eta * {q}" for p, q in zip(ps, g.sgd_pgrads)])
        fast_bwd = [f"{t} = {e}" for t, e in kept]
        tests = " or ".join(f"{x}.__class__ is not float" for x in xs) or "False"
        # A parameter that is not a number at all (a string, None) makes the arithmetic raise: the
        # exact step then converts the parameters and refuses it with Value()'s message (the try
        # costs nothing when nothing is raised)
        step = ["def sgd_step(x, p, eta):",
                *_indent(checked_head + [f"if {tests} or eta.__class__ is not float:",
                                         "    return sgd_step_exact(x, p, eta)", "try:"]
                         + _indent(fast_fwd + fast_bwd + [f"new = {_tup(updates)}", "s = _sum(new, 0.0)"])
                         + ["except Exception:", "    return sgd_step_exact(x, p, eta)",
                            "if s != s or s.__class__ is not float:",
                            "    return sgd_step_exact(x, p, eta)", "p[:] = new"]),
                f"    return {g.out}"]
    else:
        step = ["def sgd_step(x, p, eta):", *_indent(checked_x + p_check),
                "    return sgd_step_exact(x, p, eta)"]
    blocks = [
        ["def forward(x, p):", *_indent(head), "    # forward pass", *_indent(fwd), f"    return {g.out}"],
        ["def gradient(x, p):", *_indent(head), "    # forward pass", *_indent(fwd),
         "    # backward pass: reverse topological order, as Value.backward", *_indent(bwd),
         f"    {returns}"],
        exact_step, step,
        # the output is read before the update: it may be a parameter itself
        ["def sgd_run(rows, order, p, eta):", *_indent(_convert(ps, "p", "parameters") + eta),
         "    last = NAN", "    for k in order:",
         *_indent(_unpack(xs, "rows[k]") + fwd + sgd_bwd + [f"last = {g.out}"]
                  + [f"{p} = {p} - eta * {q}" for p, q in zip(ps, g.sgd_pgrads)], 2)]
        + ([f"    p[:] = {_tup(ps)}"] if ps else []) + ["    return last"],
    ]
    return ["\n".join(b) + "\n" for b in blocks]


# ------------------------------------------------------------------------- chunked layout

def _split(statements):
    """Cut ``statements`` into runs of about ``CHUNK`` variable references; for each run, the
    variables it reads before assigning them (its imports) and those it assigns."""
    limit = CHUNK
    chunks, current, refs = [], [], 0
    for stmt in statements:
        n = 1 + len(_VAR.findall(stmt[1]))
        if current and refs + n > limit:
            chunks.append(current)
            current, refs = [], 0
        current.append(stmt)
        refs += n
    if current:
        chunks.append(current)
    result = []
    for chunk in chunks:
        assigned, imports = set(), []
        seen = set()
        for target, expr in chunk:
            for name in _VAR.findall(expr):
                if name not in assigned and name not in seen:
                    seen.add(name)
                    imports.append(name)
            assigned.add(target)
        result.append((chunk, imports, assigned))
    return result


def _chunked(g):
    n_in, n_par = g.n_in, g.n_par
    slot = {f"x{i}": i for i in range(n_in)}
    slot.update((f"p{i}", n_in + i) for i in range(n_par))
    P0 = n_in
    GX0 = n_in + n_par
    GP0 = GX0 + (n_in if g.input_grads else 0)
    slot.update((f"gx{i}", GX0 + i) for i in range(n_in if g.input_grads else 0))
    slot.update((f"gp{i}", GP0 + i) for i in range(n_par))
    parts = {"f": _split(g.forward), "b": _split(g.backward)}
    same_sgd = g.sgd_backward == g.backward
    parts["s"] = parts["b"] if same_sgd else _split(g.sgd_backward)
    # a value read outside the chunk that computes it, or by a function's last lines, gets a slot
    # (and every gradient the functions return or update with: a bias's is its node's, by another name)
    needed = [g.out] + [n for _, imports, _ in parts["f"] + parts["b"] + parts["s"] for n in imports]
    needed += list(g.pgrads) + list(g.sgd_pgrads) + list(g.xgrads)
    for name in needed:
        if _VAR.fullmatch(name) and name not in slot:
            slot[name] = len(slot)
    # a gradient that is a number (0.0: no path to it; 1.0: the output's own summand) gets a slot
    # holding that number, so that every gradient is read from a slot by index
    literals = sorted({q for q in needed if not _VAR.fullmatch(q)})
    for q in literals:
        slot[q] = len(slot)
    size = len(slot)
    blocks, calls = [], {}
    for kind, chunks in parts.items():
        if kind == "s" and same_sgd:
            calls["s"] = calls["b"]
            continue
        calls[kind] = []
        for k, (chunk, imports, assigned) in enumerate(chunks):
            name = f"_{kind}{k}"
            calls[kind].append(f"{name}(s)")
            lines = [f"def {name}(s):"]
            lines += [f"    {v} = s[{slot[v]}]" for v in imports]
            lines += [f"    {t} = {e}" for t, e in chunk]
            lines += [f"    s[{slot[v]}] = {v}" for v in sorted(assigned) if v in slot]
            blocks.append("\n".join(lines) + "\n")
    out = f"s[{slot[g.out]}]" if g.out in slot else g.out
    # the one rule of arguments.py for the containers and the numbers alike (big graphs: its cost is
    # nothing beside the graph's)
    start = [f"s = [0.0] * {size}", f"s[0:{n_in}] = _seq(x, {n_in}, 'inputs')",
             f"s[{P0}:{P0 + n_par}] = _seq(p, {n_par}, 'parameters')"]
    start += [f"s[{slot[q]}] = {q}" for q in literals]
    eta = ["if eta.__class__ is not float:", "    eta = _real(eta, 'eta')"]
    # the slots of the gradients returned and used in the update, as constants of the module
    blocks.append(f"_GP = {_tup([str(slot[q]) for q in g.pgrads])}\n_GX = {_tup([str(slot[q]) for q in g.xgrads])}\n"
                  f"_GS = {_tup([str(slot[q]) for q in g.sgd_pgrads])}\n")
    grads = "tuple([s[j] for j in _GP])"
    if g.input_grads:
        grads += ", tuple([s[j] for j in _GX])"
    update = f"[s[{P0} + i] - eta * s[j] for i, j in enumerate(_GS)]"
    blocks += [
        "\n".join(["def forward(x, p):", *_indent(start + calls["f"]), f"    return {out}"]) + "\n",
        "\n".join(["def gradient(x, p):", *_indent(start + calls["f"] + calls["b"]),
                   f"    return {out}, {grads}"]) + "\n",
        "\n".join(["def sgd_step(x, p, eta):", *_indent(["if p.__class__ is not list:",
                                                          f"    _in_place(p, {n_par})"] + start + eta
                                                         + calls["f"] + calls["s"]),
                   f"    last = {out}", f"    p[:] = {update}", "    return last"]) + "\n",
        "\n".join(["def sgd_run(rows, order, p, eta):", *_indent(start[:1] + start[2:] + eta),
                   "    last = NAN", "    for k in order:",
                   f"        s[0:{n_in}] = rows[k]",
                   *_indent(calls["f"] + calls["s"] + [f"last = {out}", f"s[{P0}:{P0 + n_par}] = {update}"], 2),
                   f"    p[:] = s[{P0}:{P0 + n_par}]", "    return last"]) + "\n",
    ]
    return blocks


# ------------------------------------------------------------------------- the backend

def _run(blocks, filename, namespace, batch=200_000):
    """Compile and execute ``blocks`` a batch of about ``batch`` characters at a time: Python's
    compiler then never holds the syntax tree of a huge module at once (time and memory linear)."""
    pending, size = [], 0
    for block in blocks + [None]:
        if block is None or (pending and size + len(block) > batch):
            exec(builtins.compile("\n".join(pending), filename, "exec"), namespace)  # noqa: S102
            pending, size = [], 0
        if block is not None:
            pending.append(block)
            size += len(block)


def program(plan, dialect, fast=None):
    """The ``Program`` of ``plan`` in ``dialect``; ``fast``, a dialect for the fused step's fast copy."""
    bwd, grad_of = plan.backward("gradient", dialect)
    sgd_bwd, sgd_grad_of = plan.backward("sgd", dialect)
    fast_fwd = plan.forward(fast) if fast else None
    fast_bwd = plan.backward("sgd", fast)[0] if fast else None
    return Program(len(plan.inputs), len(plan.params), plan.forward(dialect), bwd, sgd_bwd, plan.out,
                   [grad_of(v) for v in plan.params], [grad_of(v) for v in plan.inputs],
                   [sgd_grad_of(v) for v in plan.params], plan.input_grads, fast_fwd, fast_bwd)


HEADER = "# generated by engine.compile from the operation table (engine/rules/table.py)\n"


class PythonCode:
    """The functions of a plan as Python code: ``forward``, ``gradient``, ``sgd_step``, ``sgd_run``
    (scalar), ``sgd_run_plain`` and the NumPy ``forward``/``gradient`` (written on first use)."""

    name = "python"

    def __init__(self, plan, reals, real):
        from ..runtimes import python as scalar
        from .arguments import check_in_place, numbers_of
        self.plan = plan
        self._extra = dict(plan.functions(), INF=math.inf, NAN=math.nan, _reals=reals, _real=real,
                           _seq=numbers_of, _in_place=check_in_place, _sum=sum)
        blocks = [HEADER] + write(program(plan, "scalar", fast="plain"))
        self.source = "\n".join(blocks)
        ns = dict(scalar.NAMESPACE, **self._extra)
        _run(blocks, "<engine.compile>", ns)
        self.forward, self.gradient = ns["forward"], ns["gradient"]
        self.sgd_step, self.sgd_run = ns["sgd_step_exact"] if "sgd_step_exact" in ns else ns["sgd_step"], ns["sgd_run"]
        self.direct_sgd_step = ns["sgd_step"]  # checks its own arguments (the one rule)
        self._plain = None
        self._array = None

    def sgd_run_plain(self):
        """sgd_run with IEEE products (the "plain" dialect), compiled on first use: the same bits
        unless a zero local derivative meets an infinite gradient, which leaves a NaN parameter;
        the caller then runs the call again from its start with the exact chain rule. The plain
        products save about a sixth of a step."""
        if self._plain is None:
            from ..runtimes import python as scalar
            ns = dict(scalar.NAMESPACE, **self._extra)
            _run([HEADER] + write(program(self.plan, "plain")), "<engine.compile: IEEE products>", ns)
            self._plain = ns["sgd_run"]
        return self._plain

    def array_functions(self, reals):
        """{"forward", "gradient"} on NumPy columns (the "call" dialect, the NumPy runtime)."""
        if self._array is None:
            from ..runtimes import numpy as arrays
            self.array_source = "\n".join([HEADER] + write(program(self.plan, "call")))
            ns = dict(arrays.NAMESPACE, **self._extra)
            ns.update((name, arrays.elementwise(fn, name)) for name, fn in self.plan.functions().items())
            ns["_reals"] = reals
            ns["_seq"] = lambda seq, n, what: reals(seq, what, n)  # columns: float64 arrays already
            _run([self.array_source], "<engine.compile: NumPy>", ns)
            self._array = ns
        return self._array

    def run(self, table, idx, p, eta):
        """``sgd_run`` on checked arguments: IEEE products first, then, if a NaN appeared (perhaps
        0 × inf, which the exact chain rule makes 0), the exact code from the same start."""
        rows, order = table.tolist(), idx.tolist()
        start = list(p)
        value = self.sgd_run_plain()(rows, order, p, eta)
        if any(x != x for x in p):
            p[:] = start
            value = self.sgd_run(rows, order, p, eta)
        return value

    # The generated NumPy code does the scalar code's arithmetic with NumPy's operators, which warn
    # (RuntimeWarning) where Python floats silently give IEEE's answer: an overflow to inf in a
    # product, inf * 0 = NaN. Those answers are the engine's, and its refusals (log(0), division by
    # zero in a forward rule) are explicit checks of the runtime, not warnings: so none are shown.
    def forward_array(self, X, p, reals):
        cols = tuple(X.T)
        functions = self.array_functions(reals)
        with np.errstate(all="ignore"):
            value = functions["forward"](cols, p)
        return np.broadcast_to(np.asarray(value, dtype=float), (len(X),)).copy()

    def forward_array_lanes(self, X, P, reals):
        cols = tuple(c[None, :] for c in X.T)  # (1, n): the rows of X along the second axis
        p = [P[:, i:i + 1] for i in range(P.shape[1])]  # (runs, 1): the runs along the first
        functions = self.array_functions(reals)
        with np.errstate(all="ignore"):
            value = functions["forward"](cols, p)
        return np.broadcast_to(np.asarray(value, dtype=float), (len(P), len(X))).copy()

    def gradient_array(self, X, p, reals):
        cols = tuple(X.T)
        n = len(X)
        functions = self.array_functions(reals)
        with np.errstate(all="ignore"):
            result = functions["gradient"](cols, p)
        shaped = [np.broadcast_to(np.asarray(result[0], dtype=float), (n,)).copy()]
        for grads in result[1:]:
            shaped.append(np.column_stack([np.broadcast_to(np.asarray(g, dtype=float), (n,))
                                           for g in grads]) if grads else np.zeros((n, 0)))
        return tuple(shaped)
