"""Compilation: a recorded graph as generated code, one plan and one writer per backend.

* ``plan``: the named graph and its statements (from the rule compiler), read by every writer;
* ``arguments``: what a compiled graph accepts, one rule for every backend;
* ``python``: the Python backend (straight-line or chunked Python; NumPy for whole data sets);
* ``numba``: the numba backend (machine code), with ``cache``, its safe cache of generated modules;
* ``backends``: the table of backends; ``graph``: ``CompiledGraph``, the object ``compile`` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .backends import BACKENDS, REQUIRES
from .graph import CompiledGraph
from .plan import CompileError

if TYPE_CHECKING:
    from ..core.value import Value


def compile(output: Value, inputs: Sequence[Value] = (), params: Sequence[Value] = (), *,  # noqa: A001
            input_grads: bool = False, backend: str = "python") -> CompiledGraph:  # noqa: A001
    """Compile the graph under ``output`` into generated code (see ``CompiledGraph``).

    ``backend="numba"`` compiles the same code to machine code instead (the optional extra
    ``pip install numba``, the "fast" extra): the same methods and the same numbers.

    ``inputs`` and ``params`` are the leaf Values that become arguments; every other leaf is a
    constant frozen at its recorded value. Control flow that the recording took in Python (an
    ``if v.data > 0``) is baked in, as in any tracing compiler; the engine's own operations have
    graphs that do not depend on the data.
    """
    from ..core.value import Value
    if not isinstance(output, Value):
        raise TypeError(f"compile: the output must be a Value, got {type(output).__name__}")
    if backend not in BACKENDS:
        names = " or ".join(repr(b) for b in BACKENDS)
        raise ValueError(f"compile: backend must be {names}, got {backend!r}")
    if backend in REQUIRES:
        REQUIRES[backend]()
    return CompiledGraph(output, inputs, params, input_grads, backend)


__all__ = ["compile", "CompiledGraph", "CompileError", "BACKENDS"]
