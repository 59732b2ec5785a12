"""The numba backend: the plan written as numba functions, machine code with the eager engine's bits.

A second writer over the same plan as the Python backend (``plan.py``, the "call" dialect of the
rules): the very same statements in numba functions, so no rule or derivative is written here. What
it adds is only the frame:

* the functions of the rules: those of ``engine/runtimes/numba.py``, plus, written into the module
  from one text each, the Python runtime's ``INLINE`` functions (sigmoid, relu, step, tanh, times,
  quotient) and the ``math`` functions the graph uses, with the runtime's domain rule;
* ``forward``, ``gradient``, ``sgd_step`` and ``sgd_run`` reading x and p from float64 arrays, and
  ``forward_array``/``gradient_array`` looping the scalar code over the rows of X;
* a file per graph in a private cache directory (``cache.py``), named by the hash of its text, so
  that numba's ``cache=True`` keeps the machine code between runs. Each function is compiled on its
  first call, or all at once by ``jit()``; ``jit_seconds`` says how long compiling took.

No fastmath: numba keeps IEEE arithmetic in the written order and calls the same C library
functions as Python's ``math``, so the numbers equal the eager engine's bit for bit. A row's own
Python function (``engine.define(..., functions=...)``) runs here only if it is a numba function;
such a graph is compiled in memory (its machine code depends on an object that is not in the file).

Domain errors: native code refuses exactly where the Python runtime does, then raises the eager
engine's own DomainError or ZeroDivisionError with its message (``Refused``).
"""

import sys
import time
import types

import numpy as np

from ..rules.parse import rule
from ..runtimes import python as scalar
from . import cache
from .plan import CompileError

INSTALL = 'pip install "seebackprop[fast]"'


def require_numba():
    """The numba module, or an ImportError that names the extra to install."""
    try:
        import numba
    except ImportError:
        raise ImportError(f'engine.compile(..., backend="numba") needs numba, which is not installed: '
                          f'{INSTALL}', name="numba") from None
    return numba


_SIGNATURES = {
    "forward": "float64(float64[::1], float64[::1])",
    "gradient": "float64(float64[::1], float64[::1], float64[::1], float64[::1])",
    "sgd_step": "float64(float64[::1], float64[::1], float64)",
    "sgd_run": "float64(float64[:, ::1], int64[::1], float64[::1], float64)",
    "sgd_run_plain": "float64(float64[:, ::1], int64[::1], float64[::1], float64)",
    "forward_array": "void(float64[:, ::1], float64[::1], float64[::1])",
    "gradient_array": "void(float64[:, ::1], float64[::1], float64[::1], float64[:, ::1], float64[:, ::1])",
}


def _version_line():
    """Numba's cache cannot see changes in the functions a kernel calls: the text of the numba and
    Python runtimes and numba's version go into the text (so the hash) of every generated module."""
    import hashlib
    import inspect

    import numba

    from ..runtimes import numba as native
    digest = hashlib.sha256((inspect.getsource(native) + inspect.getsource(scalar)).encode()).hexdigest()[:16]
    return f"# runtimes {digest}, numba {numba.__version__}"


def _user_functions(plan):
    """The rows' own functions of the graph; each must be a numba function to be compiled here."""
    import numba
    functions = plan.functions()
    for name, fn in functions.items():
        if not isinstance(fn, numba.core.registry.CPUDispatcher):
            owner = next(op.name for op in plan.ops if name in op.functions)
            raise CompileError(
                f'compile(..., backend="numba"): the operation {owner!r} calls {name!r}, a Python function '
                f"that numba cannot compile from here; give engine.define a numba function "
                f"(numba.njit) for it, or use the Python backend")
    return functions


def write_module(plan):
    """The numba module of ``plan``: its source text."""
    from ..runtimes import numba as native
    n_in, n_par = len(plan.inputs), len(plan.params)
    out = plan.out
    fwd = [f"{a} = {b}" for a, b in plan.forward("call")]
    bwd_lines, grad_of = plan.backward("gradient", "call")
    sgd_lines, sgd_grad_of = plan.backward("sgd", "call")
    plain_lines, _ = plan.backward("sgd", "call_plain")
    bwd = [f"{t} = {e}" for t, e in bwd_lines]
    sgd_bwd = [f"{t} = {e}" for t, e in sgd_lines]
    plain_bwd = [f"{t} = {e}" for t, e in plain_lines]
    read_x = [f"x{i} = x[{i}]" for i in range(n_in)]
    read_p = [f"p{i} = p[{i}]" for i in range(n_par)]
    update = [f"p{i} = p{i} - eta * {sgd_grad_of(v)}" for i, v in enumerate(plan.params)]

    def body(lines, indent="    "):
        return [indent + line for line in lines]

    def define(name, args, lines):  # compiled on first use, for _SIGNATURES[name] (jit)
        return ["@njit(cache=CACHE)", f"def {name}({args}):", *body(lines), ""]

    gradient_out = [f"gp[{i}] = {grad_of(v)}" for i, v in enumerate(plan.params)]
    if plan.input_grads:
        gradient_out += [f"gx[{i}] = {grad_of(v)}" for i, v in enumerate(plan.inputs)]
    loop_head = ["k = order[i]"] + [f"x{j} = rows[k, {j}]" for j in range(n_in)] + fwd
    loops = (("sgd_run", loop_head + sgd_bwd + [f"value = {out}"] + update),
             ("sgd_run_plain", loop_head + plain_bwd + [f"value = {out}"] + update))
    calls = set().union(*(rule(op).calls for op in plan.ops)) if plan.ops else set()
    math_used = sorted(calls & set(scalar.MATH))
    text = ['# generated by engine.compile(..., backend="numba") from the operation table', _version_line(),
            "", "import math", "", "from numba import njit", "",
            f"from engine.runtimes.numba import {', '.join(native.module_names())}", ""]
    text += [f"{name} = math.{fn.__name__}" for name, fn in scalar.INLINE_NAMES.items() if name != "_quotient"]
    text += ["INF = math.inf", "NAN = math.nan", "", ""]
    for name in scalar.INLINE:
        text += [native.inline_source(name), ""]
    for name in math_used:
        text += [native.math_source(name), ""]
    text += define("forward", "x, p", read_x + read_p + ["# forward pass"] + fwd + [f"return {out}"])
    text += define("gradient", "x, p, gp, gx", read_x + read_p + ["# forward pass"] + fwd
                   + ["# backward pass: reverse topological order, as Value.backward"] + bwd
                   + gradient_out + [f"return {out}"])
    text += define("sgd_step", "x, p, eta", read_x + read_p + fwd + sgd_bwd
                   + [f"p[{i}] = p{i} - eta * {sgd_grad_of(v)}" for i, v in enumerate(plan.params)]
                   + [f"return {out}"])
    for name, lines in loops:
        text += define(name, "rows, order, p, eta", read_p + ["value = NAN",
                       "for i in range(order.shape[0]):", *body(lines)]
                       + [f"p[{i}] = p{i}" for i in range(n_par)] + ["return value"])
    text += define("forward_array", "X, p, values", ["for i in range(X.shape[0]):",
                                                     "    values[i] = forward(X[i], p)"])
    text += define("gradient_array", "X, p, values, GP, GX", [
        "for i in range(X.shape[0]):", "    values[i] = gradient(X[i], p, GP[i], GX[i])"])
    return "\n".join(text)


def _execute(extra):
    def execute(source, filename, cached, name):
        # a real module, registered under its name: numba's cache finds a function's globals by
        # importing its module (cache.py takes it out of sys.modules when it is dropped)
        module = types.ModuleType(name)
        module.__file__ = filename
        module.CACHE = cached
        module.__dict__.update(extra)
        sys.modules[name] = module
        try:
            exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 (our generated text)
        except BaseException:
            del sys.modules[name]
            raise
        return module.__dict__
    return execute


def _raise_eager_error(refusal):
    """Re-call the Python runtime's function that native code refused: it raises the eager error."""
    name, *args = refusal
    scalar.FUNCTIONS[name](*args)
    raise AssertionError(f"native {name}{tuple(args)} refused what the Python runtime's {name} accepts")


class NumbaCode:
    """The functions of a plan as numba machine code."""

    name = "numba"
    EXTRAS = ("jit", "jit_seconds", "jit_from_cache", "module", "python_source", "tape_only")

    def __init__(self, plan, reals, real):
        require_numba()
        from ..runtimes.numba import Refused
        self._refused = Refused
        self._reals = reals
        self.plan = plan
        functions = _user_functions(plan)
        from . import tape  # a big graph runs as a tape: one kernel for all graphs, compile time linear
        self.tape_only = tape.wanted(plan)
        if self.tape_only:
            self.source = "# run by engine/compiler/tape.py's kernel (one for every graph)"
            self.module = tape.TapeFunctions(plan)
        else:
            self.source = write_module(plan)
            self.module = cache.load(self.source, _execute(functions), in_memory=bool(functions))
        self._kernels = {}
        self._checked_p = None  # the last parameter array found writeable, contiguous float64
        self._x_shape = (len(plan.inputs),)
        self.jit_seconds = 0.0
        self.jit_from_cache = {}

    @property
    def python_source(self):
        from .python import HEADER, program, write
        return "\n".join([HEADER] + write(program(self.plan, "call")))

    def jit(self, *names):
        """Compile the named functions (default: all seven) now, or load them from numba's cache;
        return the seconds it took. Otherwise each is compiled on its first call. The total so far
        is ``jit_seconds``; ``jit_from_cache[name]`` says whether numba's cache had it."""
        unknown = [name for name in names if name not in _SIGNATURES]
        if unknown:
            raise ValueError(f"jit: no function {unknown[0]!r}; the functions are {', '.join(_SIGNATURES)}")
        start = time.perf_counter()
        for name in names or _SIGNATURES:
            self._kernel(name)
        return time.perf_counter() - start

    def _kernel(self, name):
        kernel = self._kernels.get(name)
        if kernel is None:
            dispatcher = self.module[name]
            start = time.perf_counter()
            try:
                dispatcher.compile(_SIGNATURES[name])
            except Exception:  # a damaged cache entry (numba's index or machine code): compile afresh
                import os
                path = dispatcher.py_func.__code__.co_filename
                if not os.path.isfile(path):
                    raise
                cache.remove_numba_cache(path)
                dispatcher.stats.cache_hits.clear()
                dispatcher._cache.flush()
                dispatcher.compile(_SIGNATURES[name])
            self.jit_seconds += time.perf_counter() - start
            self.jit_from_cache[name] = sum(dispatcher.stats.cache_hits.values()) > 0
            kernel = self._kernels[name] = dispatcher
        return kernel

    def _call(self, name, *args):
        try:
            return (self._kernels.get(name) or self._kernel(name))(*args)
        except self._refused as e:
            refusal = e.args
        _raise_eager_error(refusal)

    def _floats(self, seq, what):
        """Numbers converted as Value() converts them, by the rule (and with the messages) of the
        Python backend's generated code: ``reals`` of ``graph.py``."""
        if seq.__class__ is np.ndarray:
            return seq
        for v in seq:
            if v.__class__ is not float:
                return self._reals(seq, what)
        return seq

    @staticmethod
    def _vector(seq):
        if seq.__class__ is np.ndarray:
            return seq
        return np.array(seq, dtype=np.float64)

    def forward(self, x, p):
        return self._call("forward", self._vector(self._floats(x, "inputs")), self._vector(self._floats(p, "parameters")))

    def gradient(self, x, p):
        gp = np.empty(len(self.plan.params))
        gx = np.empty(len(self.plan.inputs) if self.plan.input_grads else 0)
        value = self._call("gradient", self._vector(self._floats(x, "inputs")), self._vector(self._floats(p, "parameters")), gp, gx)
        if self.plan.input_grads:
            return value, tuple(gp.tolist()), tuple(gx.tolist())
        return value, tuple(gp.tolist())

    def direct_sgd_step(self, x, p, eta):
        """The fused step called directly (``CompiledGraph.sgd_step``), with the one rule of
        arguments.py: a fast path for a float64 parameter array checked before and a list or
        tuple of floats; anything else goes through the checks."""
        if p is self._checked_p and eta.__class__ is float and (x.__class__ is tuple or x.__class__ is list):
            xa = np.array(x)
            if xa.dtype.char == "d" and xa.shape == self._x_shape:
                try:
                    return (self._kernels.get("sgd_step") or self._kernel("sgd_step"))(xa, p, eta)
                except self._refused as e:
                    _raise_eager_error(e.args)
        from . import arguments
        arguments.check_in_place(p, len(self.plan.params))
        xs = arguments.numbers_of(x, len(self.plan.inputs), "inputs")
        eta = arguments.eta_of(eta)
        if p.__class__ is np.ndarray:
            self._checked_p = p
        else:
            arguments.numbers_of(p, len(self.plan.params), "parameters")
        return self.sgd_step(xs, p, eta)

    def sgd_step(self, x, p, eta):
        if p.__class__ is np.ndarray:  # updated in place by the kernel
            return self._call("sgd_step", self._vector(self._floats(x, "inputs")), p, eta)
        pa = np.array(self._floats(p, "parameters"), dtype=np.float64)
        value = self._call("sgd_step", self._vector(self._floats(x, "inputs")), pa, eta)
        p[:] = pa.tolist()
        return value

    def run(self, table, idx, p, eta):
        pa = p if p.__class__ is np.ndarray else np.array(self._floats(p, "parameters"), dtype=np.float64)
        # IEEE products first (``sgd_run_plain``): the same bits unless a zero local derivative meets
        # an infinite gradient, which leaves a NaN parameter; then the exact chain rule, from the start
        start = pa.copy()
        value = self._call("sgd_run_plain", table, idx, pa, eta)
        if np.isnan(pa).any():
            pa[:] = start
            value = self._call("sgd_run", table, idx, pa, eta)
        if pa is not p:
            p[:] = pa.tolist()
        return value

    def forward_array(self, X, p, reals):
        values = np.empty(len(X))
        self._call("forward_array", X, self._vector(self._floats(p, "parameters")), values)
        return values

    def gradient_array(self, X, p, reals):
        n = len(X)
        values = np.empty(n)
        GP = np.empty((n, len(self.plan.params)))
        GX = np.empty((n, len(self.plan.inputs) if self.plan.input_grads else 0))
        self._call("gradient_array", X, self._vector(self._floats(p, "parameters")), values, GP, GX)
        return (values, GP, GX) if self.plan.input_grads else (values, GP)
