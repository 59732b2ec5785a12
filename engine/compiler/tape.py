"""A compiled graph as a tape of arrays, run by one numba kernel that is compiled once for every graph.

``engine/compiler/numba.py`` writes each graph as straight-line numba code: the fastest code for one
small graph, but numba's optimiser works on the whole function, so compiling grows faster than the
graph (1.7 s for the Higham network's 50 nodes, 35 s for 603). Here the graph is *data* instead: per
node an opcode, the slot of its value and the slots of its inputs, in the order of ``Value.backward``
(the plan of ``engine/compiler/plan.py``). One kernel, written once from the operation table and kept in
numba's cache, runs any tape; turning a graph into a tape is building a few integer arrays, linear
in the graph.

The kernel also runs **lanes**: R independent runs of one graph (R parameter vectors, R sample
orders) advanced together. Every array of values has one column per lane, and each node is done for
a block of lanes at once, so the dispatch on the opcode is paid once per block and the processor
overlaps the lanes' independent arithmetic (one run alone is a chain of dependent operations).

The per-opcode code is not written here: the forward rule of each row comes from
``rules.chain.forward_expr`` and its chain-rule contributions from ``rules.chain.contributions`` (the
variadic ``affine`` split by ``rules.chain.groups``), in the "call" dialect, over the numba runtime's
functions (``runtimes/numba.py``, its INLINE and math functions written into the module), exactly as
the straight-line backend does. The kernel covers the rows of the table; a graph with a row of your
own (``engine.define``) keeps its straight-line code. Each lane performs the operations of
``CompiledGraph.sgd_run`` in the
same order (grads start from the exact identity −0.0, contributions in reverse topological order,
inputs in argument order), so its numbers equal a single run's bit for bit; the tests check it.
As the numba backend's ``sgd_run``, lanes run with IEEE products first and repeat, with the exact chain
rule, the lanes whose parameters turn NaN.
"""

import numpy as np

from ..rules.chain import contributions, forward_expr, groups
from ..rules.parse import rule
from ..rules.table import BUILTIN
from . import cache

OP_LIST = list(BUILTIN.values())  # the table's rows (a user's row keeps straight-line code)
OPCODE = {op: i for i, op in enumerate(OP_LIST)}
BLOCK = 32  # lanes advanced together: the block's values of a Higham step fit in the L1 cache


# ------------------------------------------------------------------------- the tape of one graph

class Tape:
    """The plan of a compiled graph (``plan.Plan``) as arrays (slots: inputs, parameters, constants,
    nodes)."""

    def __init__(self, cg):
        order, inputs, params = cg.order, cg.inputs, cg.params
        slot = {}
        for v in list(inputs) + list(params):
            slot[v] = len(slot)
        values = [0.0] * len(slot)
        ops = [v for v in order if v._a is not None and v not in slot]
        for v in order:
            if v not in slot and v._a is None:  # a constant (or a leaf not listed): its recorded value
                slot[v] = len(slot)
                values.append(v.data)
        for v in ops:
            slot[v] = len(slot)
            values.append(0.0)
        self.n_slots = len(slot)
        self.values = np.array(values, dtype=np.float64)
        self.in_slots = np.array([slot[v] for v in inputs], dtype=np.int64)
        self.par_slots = np.array([slot[v] for v in params], dtype=np.int64)
        self.out_slot = slot[cg.output]
        nodes, args = [], []
        for v in ops:
            ins = v.inputs
            nodes.append((OPCODE[v._operation], slot[v], len(args), len(ins)))
            args += [slot[u] for u in ins]
        self.nodes = np.array(nodes, dtype=np.int64).reshape(len(nodes), 4)
        self.args = np.array(args, dtype=np.int64)
        self._ops, self._slot, self._cg = ops, slot, cg
        self.sgd = self._backward(set(params))
        self.grad = self._backward(set(params) | (set(inputs) if cg.input_grads else set()))

    def _backward(self, targets):
        """(targets per argument (−1: none), nodes in backward order, slots to reset, their values):
        the backward pass of ``CompiledGraph._backward`` for ``targets``, as arrays."""
        order, slot, output = self._cg.order, self._slot, self._cg.output
        needs = set()
        for v in order:
            if v in targets or any(u in needs for u in v.inputs):
                needs.add(v)
        target = np.full(len(self.args), -1, dtype=np.int64)
        backward, assigned = [], set()
        for k in reversed(range(len(self._ops))):
            v = self._ops[k]
            if v not in needs:
                continue
            backward.append(k)
            op, start = v._operation, int(self.nodes[k, 2])
            partials = rule(op).partials
            fixed, repeated = groups(op, list(range(len(v.inputs))))
            positions = [(i, partials[j]) for j, i in enumerate(fixed)]
            positions += [(i, partials[len(fixed) + j]) for g in repeated for j, i in enumerate(g)]
            for i, partial in positions:
                u = v.inputs[i]
                if u in needs and partial.kind != "none":
                    target[start + i] = slot[u]
                    assigned.add(u)
        # a grad that receives contributions starts from -0.0 (-0.0 + t is t exactly, as the compiled
        # code's first assignment); one that receives none is the compiled code's literal 0.0
        reset = {slot[u]: -0.0 for u in assigned}
        for u in targets:
            if u not in assigned:
                reset[slot[u]] = 0.0
        if output in needs:
            reset[slot[output]] = 1.0
        slots = np.array(list(reset), dtype=np.int64)
        return (target, np.array(backward, dtype=np.int64), slots,
                np.array([reset[s] for s in slots], dtype=np.float64))

    def __len__(self):
        return len(self.nodes)


# ------------------------------------------------------------------------- the kernel's source

def _forward_branch(op, indent):
    """The lines computing node k's value for every lane, from the row's forward rule."""
    if op.variadic:  # b + sum(w * x): the fixed input, then each group, left to right
        assert op.arity == 3, "the kernel reads variadic groups as pairs"
        # term by term over all lanes (the same additions in the same order for each lane); the
        # loop over the lanes is then innermost, contiguous, without calls: the compiler vectorises it
        head = forward_expr(op, ["V[_b, l]"])
        group = forward_expr(op, ["V[_o, l]", "V[_w, l]", "V[_x, l]"])
        return [f"{indent}_b = args[_s]",
                f"{indent}for l in range(L):",
                f"{indent}    V[_o, l] = {head}",
                f"{indent}for j in range(_s + 1, _s + _n, 2):",
                f"{indent}    _w = args[j]",
                f"{indent}    _x = args[j + 1]",
                f"{indent}    for l in range(L):",
                f"{indent}        V[_o, l] = {group}"]
    slots = [f"s{i}" for i in range(op.arity)]
    lines = [f"{indent}{name} = args[_s + {i}]" for i, name in enumerate(slots)]
    expr = forward_expr(op, [f"V[{name}, l]" for name in slots])
    return lines + [f"{indent}for l in range(L):", f"{indent}    V[_o, l] = {expr}"]


def _contribution_loops(contribs, reads, indent):
    """Each contribution (target, sign, term) as a loop over the lanes, skipped when the target
    is −1 (no grad needed). Contribution after contribution, so each lane gets them in argument
    order, as Value.backward adds them. ``reads``: the lane's numbers the terms are written in
    (the gradient g, the node's value out, its inputs), read at the top of each loop; the
    compiler drops those a term does not use."""
    lines = []
    for t, sign, term in contribs:
        lines += [f"{indent}if {t} >= 0:",
                  f"{indent}    for l in range(L):",
                  *[f"{indent}        {line}" for line in reads],
                  f"{indent}        G[{t}, l] = G[{t}, l] {sign} {term}"]
    return lines


def _backward_branch(op, indent, plain):
    """The lines adding node k's chain-rule contributions to its inputs' grads, every lane."""
    dialect = "call_plain" if plain else "call"
    reads = ["g = G[_o, l]", "out = V[_o, l]"]
    if op.variadic:
        head, *group = op.inputs
        first = contributions(op, ["tb"], "g", [head], "out", dialect)
        pair = contributions(op, [None, "tw", "tx"], "g", ["_"] + group, "out", dialect)
        return ([f"{indent}_b = args[_s]", f"{indent}tb = targ[_s]"]
                + _contribution_loops(first, reads + [f"{head} = V[_b, l]"], indent)
                + [f"{indent}for j in range(_s + 1, _s + _n, 2):",
                   f"{indent}    _w = args[j]",
                   f"{indent}    _x = args[j + 1]",
                   f"{indent}    tw = targ[j]",
                   f"{indent}    tx = targ[j + 1]"]
                + _contribution_loops(pair, reads + [f"{group[0]} = V[_w, l]", f"{group[1]} = V[_x, l]"],
                                      indent + "    "))
    tnames = [f"t{i}" for i in range(op.arity)]
    lines = [f"{indent}{t} = targ[_s + {i}]" for i, t in enumerate(tnames)]
    lines += [f"{indent}s{i} = args[_s + {i}]" for i in range(op.arity)]
    contribs = contributions(op, tnames, "g", list(op.inputs), "out", dialect)
    if not contribs:
        return [f"{indent}pass"]
    reads = reads + [f"{name} = V[s{i}, l]" for i, name in enumerate(op.inputs)]
    return lines + _contribution_loops(contribs, reads, indent)


def _dispatch(branch, indent):
    """if/elif over the opcodes, one branch per row of the operation table."""
    lines = []
    for i, op in enumerate(OP_LIST):
        lines.append(f"{indent}{'if' if i == 0 else 'elif'} code == {i}:  # {op.name}")
        lines += branch(op, indent + "    ")
    return lines


_SIGNATURES = {
    "forward": "void(int64[:, ::1], int64[::1], float64[:, ::1], int64)",
    "backward": "void(int64[:, ::1], int64[::1], int64[::1], int64[::1], float64[:, ::1], float64[:, ::1], int64)",
    "backward_plain": ("void(int64[:, ::1], int64[::1], int64[::1], int64[::1], float64[:, ::1], "
                       "float64[:, ::1], int64)"),
    "sgd_lanes": ("void(int64[:, ::1], int64[::1], int64[::1], int64[::1], int64[::1], float64[::1], "
                  "float64[::1], int64[::1], int64[::1], int64, float64[:, ::1], int64[:, ::1], "
                  "float64[:, ::1], float64, float64[::1], boolean, int64)"),
    "evaluate": ("void(int64[:, ::1], int64[::1], int64[::1], int64[::1], int64[::1], float64[::1], "
                 "float64[::1], int64[::1], int64[::1], int64, float64[:, ::1], float64[::1], float64[::1], "
                 "float64[:, ::1], float64[:, ::1], boolean, int64)"),
}


def write_module():
    """The numba module of the kernel (the same text for every graph): its source."""
    from .machine import module_head
    text = module_head("generated by engine/compiler/tape.py from the operation table: one kernel for every graph",
                       OP_LIST, [f"# opcodes: {', '.join(op.name for op in OP_LIST)}"])
    text += ["@njit(cache=CACHE, error_model=\"numpy\")",
             "def forward(nodes, args, V, L):",
             "    for k in range(nodes.shape[0]):",
             "        code = nodes[k, 0]",
             "        _o = nodes[k, 1]",
             "        _s = nodes[k, 2]",
             "        _n = nodes[k, 3]",
             *_dispatch(_forward_branch, "        "), ""]
    for name, plain in (("backward", False), ("backward_plain", True)):
        text += ["@njit(cache=CACHE, error_model=\"numpy\")",
                 f"def {name}(nodes, args, targ, order, V, G, L):",
                 "    for i in range(order.shape[0]):",
                 "        k = order[i]",
                 "        code = nodes[k, 0]",
                 "        _o = nodes[k, 1]",
                 "        _s = nodes[k, 2]",
                 "        _n = nodes[k, 3]",
                 *_dispatch(lambda op, indent, plain=plain: _backward_branch(op, indent, plain), "        "), ""]
    text += [_DRIVERS]
    return "\n".join(text)


# The drivers: no rule of any operation, only the loops around forward() and backward().
_DRIVERS = '''
@njit(cache=CACHE, error_model="numpy")
def sgd_lanes(nodes, args, targ, order, resets, reset_values, values, in_slots, par_slots, out_slot,
              rows, orders, P, eta, last, plain, block):
    """Lane r: p <- p - eta grad C(rows[orders[r, t]]; p) for t = 0, 1, ...; P[r] updated, last[r]
    the output's value at the last step (before its update), as sgd_run returns."""
    R = P.shape[0]
    S = values.shape[0]
    T = orders.shape[1]
    for first in range(0, R, block):
        L = min(block, R - first)
        V = np.empty((S, L))
        G = np.empty((S, L))
        for i in range(S):
            for l in range(L):
                V[i, l] = values[i]
                G[i, l] = 0.0
        for j in range(par_slots.shape[0]):
            for l in range(L):
                V[par_slots[j], l] = P[first + l, j]
        for l in range(L):
            last[first + l] = NAN
        for t in range(T):
            for l in range(L):
                row = orders[first + l, t]
                for j in range(in_slots.shape[0]):
                    V[in_slots[j], l] = rows[row, j]
            forward(nodes, args, V, L)
            for i in range(resets.shape[0]):
                for l in range(L):
                    G[resets[i], l] = reset_values[i]
            if plain:
                backward_plain(nodes, args, targ, order, V, G, L)
            else:
                backward(nodes, args, targ, order, V, G, L)
            for l in range(L):
                last[first + l] = V[out_slot, l]
            for j in range(par_slots.shape[0]):
                q = par_slots[j]
                for l in range(L):
                    V[q, l] = V[q, l] - eta * G[q, l]
        for j in range(par_slots.shape[0]):
            for l in range(L):
                P[first + l, j] = V[par_slots[j], l]


@njit(cache=CACHE, error_model="numpy")
def evaluate(nodes, args, targ, order, resets, reset_values, values, in_slots, par_slots, out_slot,
             X, p, out, GP, GX, with_grad, block):
    """The output (and, with_grad, the grads of the parameters and the inputs) at every row of X,
    one lane per row, all with the parameters p."""
    N = X.shape[0]
    S = values.shape[0]
    for first in range(0, N, block):
        L = min(block, N - first)
        V = np.empty((S, L))
        G = np.zeros((S, L))
        for i in range(S):
            for l in range(L):
                V[i, l] = values[i]
        for j in range(par_slots.shape[0]):
            for l in range(L):
                V[par_slots[j], l] = p[j]
        for j in range(in_slots.shape[0]):
            for l in range(L):
                V[in_slots[j], l] = X[first + l, j]
        forward(nodes, args, V, L)
        for l in range(L):
            out[first + l] = V[out_slot, l]
        if with_grad:
            for i in range(resets.shape[0]):
                for l in range(L):
                    G[resets[i], l] = reset_values[i]
            backward(nodes, args, targ, order, V, G, L)
            for j in range(par_slots.shape[0]):
                for l in range(L):
                    GP[first + l, j] = G[par_slots[j], l]
            for j in range(GX.shape[1]):
                for l in range(L):
                    GX[first + l, j] = G[in_slots[j], l]
'''


_module = None


def kernel():
    """The kernel's numba module, compiled (or loaded from numba's cache) on first use."""
    global _module
    if _module is None:
        from .machine import execute as _execute, require_numba
        require_numba()
        module = cache.load(write_module(), _execute({}))
        for name in ("sgd_lanes", "evaluate"):
            module[name].compile(_SIGNATURES[name])
        _module = module
    return _module


# ------------------------------------------------------------------------- running lanes

def check_lanes(n_inputs, n_params, rows, orders, P):
    """(rows, orders, P) as the arrays the kernel takes, or an error naming what is wrong."""
    if not isinstance(P, np.ndarray) or P.dtype != np.float64 or P.ndim != 2 or not P.flags.c_contiguous \
            or not P.flags.writeable:
        raise TypeError(f"P must be a writeable C-contiguous float64 array of shape (runs, {n_params}), "
                        f"updated in place; got {type(P).__name__}"
                        + (f" of dtype {P.dtype} and shape {P.shape}" if isinstance(P, np.ndarray) else ""))
    if P.shape[1] != n_params:
        raise ValueError(f"P must have one row of {n_params} parameters per run, got shape {P.shape}")
    R = np.ascontiguousarray(rows, dtype=np.float64)
    if R.ndim == 1 and R.size == 0:
        R = R.reshape(0, n_inputs)
    if R.ndim != 2 or R.shape[1] != n_inputs:
        raise ValueError(f"rows must be a table with {n_inputs} numbers per row (one per input), "
                         f"got shape {R.shape}")
    orders = np.asarray(orders)
    if orders.ndim != 2 or orders.dtype.kind not in "iu" and orders.size:
        raise TypeError(f"orders must be an integer array of shape (runs, steps), got {orders.dtype} "
                        f"values of shape {orders.shape}")
    if orders.shape[0] != P.shape[0]:
        raise ValueError(f"orders has {orders.shape[0]} rows (sample orders) for {P.shape[0]} runs")
    orders = np.ascontiguousarray(orders, dtype=np.int64)
    m = R.shape[0]
    if orders.size and (orders.min() < 0 or orders.max() >= m):
        bad = orders[(orders < 0) | (orders >= m)].flat[0]
        raise IndexError(f"orders holds the row index {bad}, but there are {m} rows")
    return R, orders, P


def run_lanes(tape, rows, orders, P, eta, plain, block=BLOCK):
    """Advance the runs P[r] (updated in place) by single-sample SGD over rows[orders[r, t]] with
    IEEE products (``plain``) or the exact chain rule; return each run's output at its last step.
    ``engine/lanes.py`` checks the arguments and repeats NaN runs exactly."""
    k = kernel()
    last = np.empty(P.shape[0])
    target, order, resets, reset_values = tape.sgd
    _call(k["sgd_lanes"], tape.nodes, tape.args, target, order, resets, reset_values, tape.values,
          tape.in_slots, tape.par_slots, tape.out_slot, rows, orders, P, float(eta), last, bool(plain), block)
    return last


def evaluate(tape, X, p, with_grad, input_grads, block=BLOCK):
    """(outputs, parameter grads, input grads) at every row of X (the last two empty unless with_grad)."""
    k = kernel()
    n = X.shape[0]
    out = np.empty(n)
    GP = np.empty((n, len(tape.par_slots) if with_grad else 0))
    GX = np.empty((n, len(tape.in_slots) if with_grad and input_grads else 0))
    target, order, resets, reset_values = tape.grad
    _call(k["evaluate"], tape.nodes, tape.args, target, order, resets, reset_values, tape.values, tape.in_slots,
          tape.par_slots, tape.out_slot, X, p, out, GP, GX, bool(with_grad), block)
    return out, GP, GX


def _call(fn, *args):
    from ..runtimes.numba import Refused
    from .machine import raise_eager_error as _raise_eager_error
    try:
        return fn(*args)
    except Refused as e:
        refusal = e.args
    _raise_eager_error(refusal)


# ------------------------------------------------------------------------- big graphs on the numba backend

# nodes (leaves included; the Higham network has 50): from here engine.compile(..., backend="numba")
# runs the graph as a tape
TAPE_FROM = 100


def covers(plan):
    """True when every row of the graph is in the kernel (the table's; not a user's own)."""
    return all(op in OPCODE for op in plan.ops)


def wanted(cg):
    """True when the numba backend should run ``cg`` as a tape: a graph this big would take numba
    seconds to minutes to compile as one straight-line function (superlinear in its size)."""
    return len(cg.order) >= TAPE_FROM and covers(cg)


class _Function:
    """One of the functions of a NativeGraph's module, run by the tape kernel: callable with the
    arguments of the straight-line function of the same name, and ``compile``/``stats`` as a numba
    dispatcher has them (NativeGraph.jit compiles, or loads from the cache, the one kernel)."""

    class stats:  # mimics numba's dispatcher.stats until compile() replaces it
        cache_hits: dict = {}  # noqa: RUF012

    def __init__(self, fn):
        self.fn = fn

    def compile(self, signature):
        k = kernel()
        hits = sum(sum(k[name].stats.cache_hits.values()) for name in ("sgd_lanes", "evaluate"))
        self.stats = type("stats", (), {"cache_hits": {"kernel": hits}})

    def __call__(self, *args):
        return self.fn(*args)


class TapeFunctions(dict):
    """The seven functions of the numba backend's generated module, for one graph, run as a tape
    (a dict of them, as the module's namespace is)."""

    def __init__(self, cg):
        t = self.tape = Tape(cg)
        n_in, n_par, grads = len(cg.inputs), len(cg.params), cg.input_grads

        def one(x):
            return np.ascontiguousarray(x, dtype=np.float64).reshape(1, n_in)

        def forward(x, p):
            return float(evaluate(t, one(x), p, False, grads)[0][0])

        def gradient(x, p, gp, gx):
            out, GP, GX = evaluate(t, one(x), p, True, grads)
            gp[:] = GP[0]
            if len(gx):
                gx[:] = GX[0]
            return float(out[0])

        def sgd_run(plain):
            def run(rows, order, p, eta):
                P = p.reshape(1, n_par).copy()
                last = run_lanes(t, rows, np.ascontiguousarray(order, dtype=np.int64).reshape(1, -1), P, eta, plain)
                p[:] = P[0]
                return float(last[0]) if len(order) else float("nan")
            return run

        def sgd_step(x, p, eta):
            return sgd_run(False)(one(x), np.zeros(1, dtype=np.int64), p, eta)

        def forward_array(X, p, values):
            values[:] = evaluate(t, X, p, False, grads)[0]

        def gradient_array(X, p, values, GP, GX):
            out, gp, gx = evaluate(t, X, p, True, grads)
            values[:], GP[:] = out, gp
            if GX.shape[1]:
                GX[:] = gx

        for name, fn in (("forward", forward), ("gradient", gradient), ("sgd_step", sgd_step),
                         ("sgd_run", sgd_run(False)), ("sgd_run_plain", sgd_run(True)),
                         ("forward_array", forward_array), ("gradient_array", gradient_array)):
            self[name] = _Function(fn)
