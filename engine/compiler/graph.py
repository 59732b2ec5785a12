"""``CompiledGraph``: a recorded graph as generated code, the same for every backend.

A compiled graph holds the plan (``plan.py``) and the code one backend wrote from it (a backend of
``backends.py``'s table). Every method checks its arguments by the one rule of ``arguments.py``
first, then calls the backend: so every backend accepts and refuses exactly the same arguments, with
the same messages, and returns the eager engine's numbers bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.value import as_float
from . import arguments
from .plan import Plan


def _reals(seq, what, n=None):
    """Called by generated Python code when some number is not a float already: the numbers
    converted as ``Value()`` converts them."""
    if n is not None and len(seq) != n:
        raise ValueError(f"expected {n} {what}, got {len(seq)}")
    return [v if v.__class__ is float else as_float(v, f"{what}[{i}]") for i, v in enumerate(seq)]


def _array_reals(seq, what, n=None):
    """``_reals`` for the NumPy code: the input columns are float64 arrays already."""
    if n is not None and len(seq) != n:
        raise ValueError(f"expected {n} {what}, got {len(seq)}")
    return [v if v.__class__ is float or v.__class__ is np.ndarray else as_float(v, f"{what}[{i}]")
            for i, v in enumerate(seq)]


class CompiledGraph:
    """A graph compiled to functions of (inputs, parameters), by ``engine.compile``.

    ``x`` is a sequence of input numbers (in the order of ``inputs``), ``p`` a sequence of parameter
    numbers (order of ``params``; ``None`` means the parameters' current ``.data``).

    * ``forward(x, p)`` → the output value;
    * ``gradient(x, p)`` → ``(value, grads)``, grads with respect to the parameters (a tuple); with
      ``input_grads=True`` at compile time, ``(value, grads, input_grads)``;
    * ``sgd_step(x, p, eta)`` → value; updates ``p`` in place: p_i ← p_i − η ∂C/∂p_i;
    * ``sgd_run(rows, order, p, eta)``: ``sgd_step`` for ``x = rows[k]``, k in ``order``, in one
      generated loop (the parameters stay in local variables between steps);
    * ``forward_array(X, p)`` and ``gradient_array(X, p)``: X of shape (n, len(inputs)): all n
      points in one call;
    * ``sgd_run_lanes(rows, orders, P, eta)`` and ``forward_array_lanes(X, P)``: many runs at once,
      one row of the float64 array ``P`` per run (see ``lanes.py``).

    Parameters updated in place are a list or a float64 NumPy array (the fastest with numba).
    ``backend`` names the backend; ``source`` is the generated text; ``listing()`` the same with the
    labels of the recorded nodes as comments, for reading only (it is never executed).
    """

    def __init__(self, output, inputs, params, input_grads=False, backend="python"):
        from .backends import BACKENDS
        self.plan = Plan(output, inputs, params, input_grads)
        self.output, self.inputs, self.params = output, self.plan.inputs, self.plan.params
        self.input_grads = input_grads
        self.backend = backend
        self._code = BACKENDS[backend](self.plan, _reals, as_float)
        self._n_in, self._n_par = len(self.inputs), len(self.params)
        # The fused step is called once per sample in a loop: where the backend's own function
        # checks its arguments by the one rule (arguments.py), it is called directly (no frame here).
        direct = getattr(self._code, "direct_sgd_step", None)
        if direct is not None:
            self.sgd_step = direct

    @property
    def source(self) -> str:
        return self._code.source

    @property
    def array_source(self) -> str:
        """The generated NumPy code (written on first use)."""
        self._code.array_functions(_array_reals)
        return self._code.array_source

    def __getattr__(self, name):  # a backend's own extras: jit(), jit_seconds, jit_from_cache ...
        if name.startswith("_") or name in ("plan",):
            raise AttributeError(name)
        extras = getattr(self._code, "EXTRAS", ())
        if name in extras:
            return getattr(self._code, name)
        raise AttributeError(f"{type(self).__name__} ({self.backend} backend) has no attribute {name!r}")

    # ---------------------------------------------------------------- arguments (the one rule)

    def _x(self, x):
        if x.__class__ is list or x.__class__ is tuple:
            if len(x) == self._n_in:
                return x
        return arguments.numbers_of(x, self._n_in, "inputs")

    def _p(self, p):
        if p is None:
            return [v.data for v in self.params]
        if p.__class__ is list or p.__class__ is tuple:
            if len(p) == self._n_par:
                return p
        return arguments.numbers_of(p, self._n_par, "parameters")

    # ---------------------------------------------------------------- calling

    def forward(self, x: Sequence[Any], p: Sequence[Any] | None = None) -> float:
        return self._code.forward(self._x(x), self._p(p))

    def gradient(self, x: Sequence[Any], p: Sequence[Any] | None = None) -> tuple:
        return self._code.gradient(self._x(x), self._p(p))

    def sgd_step(self, x: Sequence[Any], p: Any, eta: float) -> float:
        if p.__class__ is not list or len(p) != self._n_par:
            arguments.check_in_place(p, self._n_par)
        if eta.__class__ is not float:
            eta = arguments.eta_of(eta)
        return self._code.sgd_step(self._x(x), p, eta)

    def sgd_run(self, rows: Any, order: Any, p: Any, eta: float) -> float:
        """Run ``sgd_step(rows[k], p, eta)`` for every k in ``order``; ``p`` is updated in place."""
        arguments.check_in_place(p, self._n_par)
        eta = arguments.eta_of(eta)
        table = arguments.rows_of(rows, self._n_in)
        idx = arguments.order_of(order, len(table))
        if p.__class__ is list:  # checked before any step: a bad number leaves p as it was
            arguments.numbers_of(p, self._n_par, "parameters")
        return self._code.run(table, idx, p, eta)

    def sgd_run_lanes(self, rows: Any, orders: Any, P: np.ndarray, eta: float) -> np.ndarray:
        """``sgd_run(rows, orders[r], P[r], eta)`` for every run r at once, the same numbers bit for
        bit; ``P`` a float64 array (runs, parameters) updated in place, ``orders`` (runs, steps);
        returns each run's output at its last step (lanes.py: on the numba backend, one call)."""
        from .lanes import sgd_run_lanes
        if getattr(self._code, "tape_only", False):
            self._tape_only = True
        return sgd_run_lanes(self, rows, orders, P, eta)

    def forward_array(self, X: Any, p: Sequence[Any] | None = None) -> np.ndarray:
        """The output at every row of ``X`` (shape (n, number of inputs)) as an array of shape (n,)."""
        return self._code.forward_array(self._rows(X), self._p(p), _array_reals)

    def forward_array_lanes(self, X: Any, P: Any) -> np.ndarray:
        """``forward_array(X, P[r])`` for every run r, the rows of ``P`` (shape (runs, number of
        parameters)): an array of shape (runs, n), the same numbers bit for bit. The Python backend's
        NumPy code takes all the runs in one call (each parameter a column of ``P``, broadcast
        against the rows of ``X``): the Cost of many runs at once, as ``sgd_run_lanes`` trains them."""
        X, P = self._rows(X), self._lanes(P)
        together = getattr(self._code, "forward_array_lanes", None)
        if together is not None:
            return together(X, P, _array_reals)
        out = np.empty((P.shape[0], X.shape[0]))
        for r in range(P.shape[0]):
            out[r] = self._code.forward_array(X, P[r], _array_reals)
        return out

    def gradient_array(self, X: Any, p: Sequence[Any] | None = None) -> tuple:
        """(values (n,), parameter gradients (n, number of parameters)) at every row of ``X``;
        with ``input_grads``, also the input gradients (n, number of inputs)."""
        return self._code.gradient_array(self._rows(X), self._p(p), _array_reals)

    def _rows(self, X):
        X = np.asarray(X)
        if X.dtype.kind not in arguments.REAL_KINDS:  # as Value(): never text parsed as a number
            raise TypeError(f"expected an array of real numbers, got an array of dtype {X.dtype}")
        X = X.astype(float)
        if X.ndim != 2 or X.shape[1] != self._n_in:
            raise ValueError(f"expected an array of shape (n, {self._n_in}), got shape {X.shape}")
        return np.ascontiguousarray(X)

    def _lanes(self, P):
        P = np.asarray(P)
        if P.dtype.kind not in arguments.REAL_KINDS:  # as Value(): never text parsed as a number
            raise TypeError(f"expected an array of real numbers, got an array of dtype {P.dtype}")
        if P.ndim != 2 or P.shape[1] != self._n_par:
            raise ValueError(f"expected an array of shape (runs, {self._n_par}), one row of parameters "
                             f"per run, got shape {P.shape}")
        return np.ascontiguousarray(P, dtype=float)

    def write_params(self, p: Sequence[Any]) -> None:
        """Store the numbers ``p`` into the recorded parameter Values' ``.data``."""
        numbers = arguments.numbers_of(p, self._n_par, "parameters")  # all checked before any is stored
        for v, x in zip(self.params, numbers):
            v.data = x

    def listing(self) -> str:
        """``source`` with each generated variable's label, where the recorded node had one, as a
        comment: for reading the code against the paper. Only ``source`` is ever executed."""
        labels = self.plan.labels
        lines = []
        for line in self.source.splitlines():
            target = line.strip().split(" ", 1)[0]
            label = labels.get(target)
            if label is None and target.startswith("g"):
                label = labels.get(target[1:])
                label = None if label is None else f"∂/∂ {label}"
            if label is not None and "= " in line:
                line = f"{line:<60}  # {' '.join(str(label).split())}"
            lines.append(line)
        return "\n".join(lines)

    def __repr__(self):
        extra = "" if self.backend == "python" else f", {self.backend}"
        return (f"<CompiledGraph: {self._n_in} inputs, {self._n_par} parameters, "
                f"{len(self.plan.forward('call'))} operations{extra}>")
