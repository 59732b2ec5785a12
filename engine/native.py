"""``engine.compile(..., backend="numba")``: the compiled graph as machine code, through numba.

The Python backend (``engine/compiler.py``) plans a graph once: its forward lines and the backward
lines of ``Value.backward``'s order, written by ``engine/codegen.py`` from the operation table. This
module is a second writer over that same plan: it puts the very same lines into numba functions
instead of Python ones, so no rule or derivative is written here. What it adds is only the frame:

* the functions of ``numerics.INLINE`` (sigmoid, relu, step, tanh), written from their INLINE text
  into the module (an assignment expression, which numba cannot compile, becomes a statement before
  it, the same value); the other numerics come from ``engine/native_numerics.py``;
* ``forward``, ``gradient``, ``sgd_step`` and ``sgd_run`` reading x and p from float64 arrays, and
  ``forward_array``/``gradient_array`` looping the scalar code over the rows of X;
* a real file per graph, named by a hash of its text, so that numba's ``cache=True`` keeps the
  machine code between runs. Each function is compiled on its first call, or all at once by
  ``jit()``; ``jit_seconds`` says how long compiling (or loading from the cache) took.

No fastmath: numba keeps IEEE arithmetic in the written order and calls the same C library
functions as Python's ``math``, so the numbers equal the eager engine's bit for bit (the tests check
it; on this project's machine the largest difference seen is 0 units in the last place). The array
versions run the scalar code per row, so they too equal the eager engine bit for bit (the Python
backend's array versions use NumPy's functions instead, about one unit in the last place off).

Domain errors: the native code refuses exactly where ``numerics`` does and then raises the eager
engine's own DomainError or ZeroDivisionError with the eager message (see native_numerics).
"""

import ast
import hashlib
import importlib.util
import math
import os
import re
import sys
import tempfile
import time

import numpy as np

from . import codegen, numerics
from .compiler import CompiledGraph

INSTALL = 'pip install "seebackprop[fast]"'


def require_numba():
    """The numba module, or an ImportError that names the extra to install."""
    try:
        import numba
    except ImportError:
        raise ImportError(f'engine.compile(..., backend="numba") needs numba, which is not installed: '
                          f'{INSTALL}', name="numba") from None
    return numba


# ------------------------------------------------------------------------- writing the module

_WALRUS = re.compile(r"\((\w+) := ((?:[^()]|\([^()]*\))*)\)")


def inline_function(name):
    """Numba source of ``numerics.INLINE[name]`` as a function of ``a``, from the INLINE text.

    numba takes no assignment expression, so ``(_e := _exp(a))`` becomes a statement before the
    expression that uses it; a conditional expression ``X if C else Y`` becomes an if statement
    first, so that each branch computes only what it uses (sigmoid: one exponential, not two)."""
    tree = ast.parse(numerics.INLINE[name].format("a"), mode="eval").body

    def returning(node, indent):
        hoisted = []

        def hoist(m):  # "(_e := _exp(a))" -> "_e = _exp(a)" before the expression, "_e" in it
            hoisted.append(f"{indent}{m.group(1)} = {m.group(2)}")
            return m.group(1)

        expr = _WALRUS.sub(hoist, ast.unparse(node))
        assert ":=" not in expr, f"INLINE {name!r}: an assignment expression this writer cannot move"
        return hoisted + [f"{indent}return {expr}"]

    if isinstance(tree, ast.IfExp):
        body = ([f"    if {ast.unparse(tree.test)}:"] + returning(tree.body, "        ")
                + ["    else:"] + returning(tree.orelse, "        "))
    else:
        body = returning(tree, "    ")
    return "\n".join(["@njit(cache=True)", f"def {name}(a):", *body, ""])


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
    """Numba's cache cannot see changes in the functions a kernel calls: the text of
    native_numerics and numba's version go into the hash of every generated module."""
    import numba
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "native_numerics.py")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    return f"# native_numerics {digest}, numba {numba.__version__}"


def write_module(cg):
    """The numba module of the planned graph ``cg`` (a CompiledGraph): its source text."""
    from .native_numerics import FUNCTIONS
    n_in, n_par = len(cg.inputs), len(cg.params)
    out = cg._name[cg.output]
    fwd = [f"{a} = {b}" for a, b in cg._forward_lines]
    bwd, grad_of = cg._grads_for_gradient
    sgd_bwd, sgd_grad_of = cg._grads_for_sgd
    bwd = [f"{target} = {expr}" for target, expr in bwd]  # the plan's (target, expression) pairs
    sgd_bwd = [f"{target} = {expr}" for target, expr in sgd_bwd]
    read_x = [f"x{i} = x[{i}]" for i in range(n_in)]
    read_p = [f"p{i} = p[{i}]" for i in range(n_par)]
    update = [f"p{i} = p{i} - eta * {sgd_grad_of(v)}" for i, v in enumerate(cg.params)]

    def body(lines, indent="    "):
        return [indent + line for line in lines]

    def define(name, args, lines):  # compiled on first use, for _SIGNATURES[name] (NativeGraph.jit)
        return ["@njit(cache=True)", f"def {name}({args}):", *body(lines), ""]

    gradient_out = [f"gp[{i}] = {grad_of(v)}" for i, v in enumerate(cg.params)]
    if cg.input_grads:
        gradient_out += [f"gx[{i}] = {grad_of(v)}" for i, v in enumerate(cg.inputs)]
    loop = (["k = order[i]"] + [f"x{j} = rows[k, {j}]" for j in range(n_in)] + fwd + sgd_bwd
            + [f"value = {out}"] + update)
    text = ["# generated by engine.compile(..., backend=\"numba\") from the operation table (engine/ops.py)",
            _version_line(), "",
            "import math", "", "from numba import njit", "",
            f"from engine.native_numerics import {', '.join(sorted(FUNCTIONS))}", ""]
    text += [f"{name} = math.{fn.__name__}" for name, fn in numerics.INLINE_NAMES.items()]
    text += ["INF = math.inf", "NAN = math.nan", "", ""]
    for name in numerics.INLINE:
        text += [inline_function(name), ""]
    text += define("forward", "x, p", read_x + read_p + ["# forward pass"] + fwd + [f"return {out}"])
    text += define("gradient", "x, p, gp, gx", read_x + read_p + ["# forward pass"] + fwd
                   + ["# backward pass: reverse topological order, as Value.backward"] + bwd
                   + gradient_out + [f"return {out}"])
    text += define("sgd_step", "x, p, eta", read_x + read_p + fwd + sgd_bwd
                   + [f"p[{i}] = p{i} - eta * {sgd_grad_of(v)}" for i, v in enumerate(cg.params)]
                   + [f"return {out}"])
    for name, lines in (("sgd_run", loop), ("sgd_run_plain", [codegen.plain_products(line) for line in loop])):
        text += define(name, "rows, order, p, eta", read_p + ["value = NAN",
                       "for i in range(order.shape[0]):", *body(lines)]
                       + [f"p[{i}] = p{i}" for i in range(n_par)] + ["return value"])
    text += define("forward_array", "X, p, values", ["for i in range(X.shape[0]):",
                                                     "    values[i] = forward(X[i], p)"])
    text += define("gradient_array", "X, p, values, GP, GX", [
        "for i in range(X.shape[0]):", "    values[i] = gradient(X[i], p, GP[i], GX[i])"])
    for fn in numerics.INLINE_NAMES.values():
        assert getattr(math, fn.__name__) is fn, "INLINE_NAMES must be functions of math"
    return "\n".join(text)


# ------------------------------------------------------------------------- files and the cache

def cache_dir():
    """Where generated modules (and numba's cache beside them) live: $SEEBACKPROP_CACHE_DIR, else
    ~/.cache/seebackprop/native ($XDG_CACHE_HOME), else a directory in the system's temp dir."""
    base = os.environ.get("SEEBACKPROP_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "seebackprop", "native")
    for path in (base, os.path.join(tempfile.gettempdir(), f"seebackprop-native-{os.getuid()}")):
        try:
            os.makedirs(path, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            continue
    raise OSError(f"no writable directory for the numba backend's cache (tried {base}); "
                  f"set SEEBACKPROP_CACHE_DIR")


def load(source):
    """The generated module (its functions not yet compiled: see ``NativeGraph.jit``).

    The file is named by the hash of its text and written once (atomically: parallel workers may
    write the same graph), so its time stamp, which numba's cache checks, never changes."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    name = f"seebackprop_native_{digest}"
    if name in sys.modules:  # the same graph compiled earlier in this process
        return sys.modules[name]
    path = os.path.join(cache_dir(), f"{name}.py")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        try:
            os.link(tmp, path)  # never replaces a file another process wrote (and numba cached) first
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


# ------------------------------------------------------------------------- the compiled graph

def _raise_eager_error(refusal):
    """Re-call the numerics function that native code refused: it raises the eager error."""
    name, *args = refusal
    getattr(numerics, name)(*args)
    raise AssertionError(f"native {name}{tuple(args)} refused what numerics.{name} accepts")


_F64 = np.dtype(np.float64)


def _vector(seq, n, what):
    """``seq`` as a contiguous float64 array of ``n`` numbers, or an error naming what is wrong."""
    cls = seq.__class__
    if cls is np.ndarray and seq.dtype == _F64 and seq.shape == (n,) and seq.flags.c_contiguous:
        return seq  # used as it is (an array of parameters is updated in place)
    if (cls is list or cls is tuple) and len(seq) == n:
        try:
            a = np.array(seq, dtype=_F64)
        except (TypeError, ValueError):
            a = None
        if a is not None and a.ndim == 1:
            return a
    if not hasattr(seq, "__len__"):
        raise TypeError(f"expected a sequence of numbers for the {what}, got {cls.__name__}")
    if len(seq) != n:
        raise ValueError(f"expected {n} {what}, got {len(seq)}")
    try:
        a = np.ascontiguousarray(seq, dtype=_F64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"the {what} must be numbers: {e}") from None
    if a.shape != (n,):
        raise ValueError(f"expected {n} {what} as one flat sequence, got shape {a.shape}")
    return a


class NativeGraph(CompiledGraph):
    """A CompiledGraph whose functions are numba machine code (``compile(..., backend="numba")``).

    The same methods, arguments and results as the Python backend; in addition the parameters ``p``
    may be a float64 NumPy array (updated in place, no copying: the fastest way to call
    ``sgd_step`` many times), and ``order`` in ``sgd_run`` may be an integer array. ``source`` is
    the generated numba module. ``jit()`` compiles all functions at once (else each on its first
    call); ``jit_seconds`` is the time numba took so far, ``jit_from_cache`` which came from its cache.
    """

    backend = "numba"

    def _build(self, blocks):
        require_numba()
        from .native_numerics import Refused
        self._refused = Refused
        self.python_source = "\n".join(blocks)  # the Python backend's text, before it inlines
        from . import tape  # a big graph runs as a tape: one kernel for all graphs, compile time linear
        self._tape_only = tape.wanted(self)
        self.source = "# run by engine/tape.py's kernel" if self._tape_only else write_module(self)
        self.module = tape.TapeFunctions(self) if self._tape_only else load(self.source)
        self._kernels = {}
        self.jit_seconds = 0.0
        self.jit_from_cache = {}
        self._forward = self._gradient = self._sgd_step = self._sgd_run = None

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
            dispatcher = getattr(self.module, name)
            start = time.perf_counter()
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

    def _arrays(self, x, p):
        return _vector(x, len(self.inputs), "inputs"), _vector(self._params(p), len(self.params), "parameters")

    def forward(self, x, p=None):
        x, p = self._arrays(x, p)
        return self._call("forward", x, p)

    def gradient(self, x, p=None):
        x, p = self._arrays(x, p)
        gp = np.empty(len(self.params))
        gx = np.empty(len(self.inputs) if self.input_grads else 0)
        value = self._call("gradient", x, p, gp, gx)
        if self.input_grads:
            return value, tuple(gp.tolist()), tuple(gx.tolist())
        return value, tuple(gp.tolist())

    def _in_place(self, p):
        """``p`` when it is an array the kernel updates itself; None for a list (copied back)."""
        if p.__class__ is list:
            return None
        if isinstance(p, np.ndarray):
            if p.dtype != np.float64 or p.ndim != 1 or not p.flags.c_contiguous or not p.flags.writeable:
                raise TypeError(f"parameters given as an array must be a writeable contiguous float64 "
                                f"vector, got dtype {p.dtype} and shape {p.shape}")
            return p
        if not isinstance(p, list):
            raise TypeError(f"the parameters must be a list (or a float64 array), updated in place, "
                            f"got {type(p).__name__}")
        return None

    def sgd_step(self, x, p, eta):
        array = self._in_place(p)
        xa, pa = self._arrays(x, p)
        value = self._call("sgd_step", xa, pa, float(eta))
        if array is None:
            p[:] = pa.tolist()
        return value

    def sgd_run(self, rows, order, p, eta):
        """Run ``sgd_step(rows[k], p, eta)`` for every k in ``order``; ``p`` is updated."""
        array = self._in_place(p)
        if len(p) != len(self.params):
            raise ValueError(f"expected {len(self.params)} parameters, got {len(p)}")
        pa = _vector(p, len(self.params), "parameters") if array is None else p
        n_in = len(self.inputs)
        try:
            R = np.ascontiguousarray(rows, dtype=np.float64)
        except ValueError:
            R = None
        if R is None or R.ndim != 2 or R.shape[1] != n_in:
            bad = [i for i, row in enumerate(rows) if len(row) != n_in]
            if bad:
                raise ValueError(f"rows[{bad[0]}] has {len(rows[bad[0]])} numbers; every row needs "
                                 f"{n_in}, one per input")
            if R is None or not (R.ndim == 1 and R.size == 0):
                raise ValueError(f"rows must be a table of numbers with {n_in} per row")
            R = R.reshape(0, n_in)
        order = np.asarray(order)
        if order.size == 0:
            order = order.astype(np.int64).ravel()
        if order.ndim != 1 or order.dtype.kind not in "iu":
            raise TypeError(f"order must be a sequence of integer row indices, got {order.dtype} "
                            f"values of shape {order.shape}")
        order = np.ascontiguousarray(order, dtype=np.int64)
        m = R.shape[0]
        if order.size and (order.min() < -m or order.max() >= m):
            bad = order[(order < -m) | (order >= m)][0]
            raise IndexError(f"order holds the row index {bad}, but there are {m} rows")
        # IEEE products first (``sgd_run_plain``): the same bits unless a zero local derivative meets
        # an infinite gradient, which leaves a NaN parameter; then the exact chain rule, from the start
        start = pa.copy()
        value = self._call("sgd_run_plain", R, order, pa, float(eta))
        if np.isnan(pa).any():
            pa[:] = start
            value = self._call("sgd_run", R, order, pa, float(eta))
        if array is None:
            p[:] = pa.tolist()
        return value

    def _rows(self, X):
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.inputs):
            raise ValueError(f"expected an array of shape (n, {len(self.inputs)}), got shape {X.shape}")
        return X

    def forward_array(self, X, p=None):
        """The output at every row of ``X`` (shape (n, number of inputs)) as an array of shape (n,)."""
        X = self._rows(X)
        p = _vector(self._params(p), len(self.params), "parameters")
        values = np.empty(len(X))
        self._call("forward_array", X, p, values)
        return values

    def gradient_array(self, X, p=None):
        """(values (n,), parameter gradients (n, number of parameters)) at every row of ``X``;
        with ``input_grads``, also the input gradients (n, number of inputs)."""
        X = self._rows(X)
        p = _vector(self._params(p), len(self.params), "parameters")
        n = len(X)
        values = np.empty(n)
        GP = np.empty((n, len(self.params)))
        GX = np.empty((n, len(self.inputs) if self.input_grads else 0))
        self._call("gradient_array", X, p, values, GP, GX)
        return (values, GP, GX) if self.input_grads else (values, GP)

    def __repr__(self):
        return super().__repr__()[:-1] + ", numba>"
