"""The backends of ``engine.compile``, registered in one table: a name and the class that writes a
plan's code for it. A backend takes ``(plan, reals, real)`` and offers ``forward``, ``gradient``,
``sgd_step``, ``run``, ``forward_array`` and ``gradient_array`` on checked arguments (see
``graph.CompiledGraph``) and its ``source``; ``EXTRAS`` names its own additions (numba: ``jit()``).
"""

from .numba import NumbaCode, require_numba
from .python import PythonCode

BACKENDS = {"python": PythonCode, "numba": NumbaCode}
REQUIRES = {"numba": require_numba}  # checked before any work: the error names the extra to install
