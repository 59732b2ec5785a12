"""The one place that chooses how the SGD step runs: the switch between engine.compile's backends.

``compile_step(backend)`` records the Higham per-sample cost C = ½‖y − F(x)‖² once (through
``demos.higham.network.compile_cost``'s graph: the same ``nn.MLP`` and ``half_squared_error``) and
compiles it with ``engine.compile``:

* ``"python"``: the straight-line Python of today's CompiledGraph (about 2 µs per step);
* ``"numba"``: ``engine.compile(..., backend="numba")``, the same code compiled natively (about 20
  times faster; the optional extra ``fast``: ``pip install numba``).

``resolve("auto")`` takes numba when the numba backend compiles here, and the Python backend
otherwise. Nothing else in the demo knows which backend runs: the
compiled object is used only through ``sgd_run(rows, order, p, eta)``.
"""

import threading

import engine
from engine import Value
from nn.losses import half_squared_error

from ..higham.network import make_network

BACKENDS = ("auto", "python", "numba")


class BackendUnavailable(RuntimeError):
    """The backend asked for cannot run here; the message says what to install or merge."""


def compile_step(backend):
    """The per-sample cost graph of the Higham network, inputs (x₁, x₂, y₁, y₂), parameters in
    ``mlp.parameters()`` order, compiled by ``backend`` ("python" or "numba"). The recorded
    parameter values do not matter: every call passes its own parameter list."""
    if backend not in ("python", "numba"):
        raise ValueError(f"backend must be 'python' or 'numba', got {backend!r}")
    mlp = make_network(0)
    inputs = [Value(0.0, label=name) for name in ("x_1", "x_2", "y_1", "y_2")]
    cost = half_squared_error(mlp(inputs[:2]), inputs[2:])
    if backend == "python":
        return engine.compile(cost, inputs, mlp.parameters())
    try:
        return engine.compile(cost, inputs, mlp.parameters(), backend="numba")
    except ImportError as err:  # the backend names the extra to install
        raise BackendUnavailable(str(err)) from err


_compiled = {}
_lock = threading.Lock()  # a Dask worker runs several seeds at once in threads of one process


def step_graph(backend):
    """``compile_step(backend)``, compiled once per process and reused by every seed it runs."""
    with _lock:
        if backend not in _compiled:
            _compiled[backend] = compile_step(backend)
        return _compiled[backend]


def resolve(backend):
    """(the backend that will run, why): ``backend`` itself, or for "auto" numba when it compiles
    here and python otherwise. Raises BackendUnavailable when numba is asked for and cannot run."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend != "auto":
        step_graph(backend)
        return backend, "asked for"
    try:
        step_graph("numba")
    except Exception as err:  # noqa: BLE001 (any reason numba cannot run here: fall back, say why)
        return "python", f"the numba backend cannot run here ({err})"
    return "numba", "engine.compile(backend='numba')"


def step_order(backend, order):
    """The sample indices in the form the backend's ``sgd_run`` takes fastest: a list of Python
    ints for the Python backend (they index the row list directly), the NumPy array for numba."""
    return order.tolist() if backend == "python" else order
