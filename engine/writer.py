"""Lay the planned statements of a compiled graph out as Python functions, in time linear in the graph.

``engine/compiler.py`` plans a graph as statements ``(target, expression)``: the forward pass, and the
backward passes of ``gradient`` and of the fused SGD step. This module writes the four functions
``forward``, ``gradient``, ``sgd_step`` and ``sgd_run`` around them, in one of two layouts:

* **straight-line** (a graph of at most ``CHUNK`` variable references): every value is a local
  variable of one function, the fastest code Python runs;
* **chunked** (bigger graphs): the statements are cut into functions of about ``CHUNK`` references
  each, and a value used outside the chunk that computes it lives in a list ``s`` (its slot)
  between chunks. Python's own compiler, given one function of a million statements, takes time and
  memory that grow faster than the function (its tables of locals and names outgrow the caches),
  and every copy of the forward pass would be compiled again; here each chunk is a small function,
  compiled once however many of the four functions call it, so compiling grows linearly.

Both layouts perform the same floating-point operations in the same order: the same bits.

Inputs and parameters are converted to float64 on entry by ``_reals``, with the rules of ``Value()``
(``engine.value.as_float``): a float32, an int, a NumPy scalar give the number the eager engine would
hold, so results are the eager engine's bit for bit whatever the type of the numbers passed in.
"""

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
        return [f"() = {seq}"]  # nothing to take, but the length is still checked
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
                 sgd_pgrads, input_grads):
        self.n_in, self.n_par = n_in, n_par
        self.forward, self.backward, self.sgd_backward = forward, backward, sgd_backward
        self.out, self.pgrads, self.xgrads, self.sgd_pgrads = out, pgrads, xgrads, sgd_pgrads
        self.input_grads = input_grads

    def size(self):
        return sum(1 + len(_VAR.findall(e)) for _, e in self.forward + self.backward) + self.n_in + self.n_par


def write(program):
    """The generated module as a list of source blocks (one per top-level function)."""
    if program.size() <= CHUNK:
        return _straight_line(program)
    return _chunked(program)


# ------------------------------------------------------------------------- straight-line layout

def _straight_line(g):
    xs = [f"x{i}" for i in range(g.n_in)]
    ps = [f"p{i}" for i in range(g.n_par)]
    fwd = [f"{t} = {e}" for t, e in g.forward]
    bwd = [f"{t} = {e}" for t, e in g.backward]
    sgd_bwd = [f"{t} = {e}" for t, e in g.sgd_backward]
    head = _convert(xs, "x", "inputs") + _convert(ps, "p", "parameters")
    eta = ["if eta.__class__ is not float:", "    eta = _real(eta, 'eta')"]
    returns = f"return {g.out}, {_tup(g.pgrads)}" + (f", {_tup(g.xgrads)}" if g.input_grads else "")
    blocks = [
        ["def forward(x, p):", *_indent(head), "    # forward pass", *_indent(fwd), f"    return {g.out}"],
        ["def gradient(x, p):", *_indent(head), "    # forward pass", *_indent(fwd),
         "    # backward pass: reverse topological order, as Value.backward", *_indent(bwd),
         f"    {returns}"],
        ["def sgd_step(x, p, eta):", *_indent(head + eta + fwd + sgd_bwd)
         + ([f"    p[:] = {_tup([f'{p} - eta * {q}' for p, q in zip(ps, g.sgd_pgrads)])}"] if ps else [])
         + [f"    return {g.out}"]],
        # the output is read before the update: it may be a parameter itself
        ["def sgd_run(rows, order, p, eta):", *_indent(_convert(ps, "p", "parameters") + eta),
         "    last = NAN", "    for k in order:",
         *_indent(_convert(xs, "rows[k]", "inputs") + fwd + sgd_bwd + [f"last = {g.out}"]
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
    needed = [g.out] + [n for _, imports, _ in parts["f"] + parts["b"] + parts["s"] for n in imports]
    for name in needed:
        if _VAR.fullmatch(name) and name not in slot:
            slot[name] = len(slot)
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
    start = [f"s = [0.0] * {size}", f"s[0:{n_in}] = _reals(x, 'inputs', {n_in})",
             f"s[{P0}:{P0 + n_par}] = _reals(p, 'parameters', {n_par})"]
    eta = ["if eta.__class__ is not float:", "    eta = _real(eta, 'eta')"]
    grads = f"tuple(s[{GP0}:{GP0 + n_par}])"
    if g.input_grads:
        grads += f", tuple(s[{GX0}:{GX0 + n_in}])"
    update = f"[s[{P0} + i] - eta * s[{GP0} + i] for i in range({n_par})]"
    blocks += [
        "\n".join(["def forward(x, p):", *_indent(start + calls["f"]), f"    return {out}"]) + "\n",
        "\n".join(["def gradient(x, p):", *_indent(start + calls["f"] + calls["b"]),
                   f"    return {out}, {grads}"]) + "\n",
        "\n".join(["def sgd_step(x, p, eta):", *_indent(start + eta + calls["f"] + calls["s"]),
                   f"    last = {out}", f"    p[:] = {update}", "    return last"]) + "\n",
        "\n".join(["def sgd_run(rows, order, p, eta):", *_indent(start[:1] + start[2:] + eta),
                   "    last = NAN", "    for k in order:",
                   f"        s[0:{n_in}] = _reals(rows[k], 'inputs', {n_in})",
                   *_indent(calls["f"] + calls["s"] + [f"last = {out}", f"s[{P0}:{P0 + n_par}] = {update}"], 2),
                   f"    p[:] = s[{P0}:{P0 + n_par}]", "    return last"]) + "\n",
    ]
    return blocks
