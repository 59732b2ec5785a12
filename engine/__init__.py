"""A scalar reverse-mode automatic-differentiation engine that shows its work.

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x + 1).sigmoid()
>>> y.backward()
>>> round(x.grad, 6)
0.026592

The layers, each depending only on those above it in this list:

* ``runtimes``: the functions the rules are written in, once per runtime (Python floats, NumPy, numba);
* ``rules``: the operation table and its rule compiler (each row parsed once; the chain rule once);
* ``core``: ``Value``, the walks over its graphs, the backward pass, ``define``;
* ``compiler``: compiled graphs, one plan and one writer per backend;
* ``higher``: gradients as graphs, Hessians, Hessian-vector products;
* ``display``: drawings, node-by-node tables, the stepper page, Jupyter.
"""

from .version import __version__
from .runtimes.python import DomainError
from .rules.table import OPS, Op, term
from .rules.parse import RuleError
from .core.value import Value, affine
from .core.backward import BackwardPass
from .core.eager import ClosureNodeError
from .core.define import define
# engine.max and engine.abs, as torch's; left out of __all__ so that "from engine import *" keeps
# Python's max and abs (which work on Values too: abs(v) is v.abs())
from .core.functions import abs, cos, exp, log, max, relu, sigmoid, sin, softplus, sqrt, tanh  # noqa: A004, F401
from .core.gradcheck import gradient_error, numerical_gradient
from .core.graph import NonFiniteError, edges, first_nonfinite, leaves, local_derivatives, topological_order
from .compiler import CompiledGraph, CompileError, compile
from .higher import grad, hessian, hessian_of, hvp, vhp
from .display.draw import Drawing, GraphTooLarge, GraphvizNotInstalled, draw_graph, draw_network, render
from .display.steps import BackwardStep, Contribution, backward_steps, backward_table
from .display.stepper import backward_frames, write_frames, write_stepper_html
from .display.jupyter import Stepper, stepper

__all__ = [
    "__version__", "Value", "OPS", "Op", "DomainError", "define", "term", "RuleError", "ClosureNodeError",
    "affine", "exp", "log", "tanh", "sigmoid", "relu", "softplus", "sin", "cos", "sqrt",
    "topological_order", "edges", "leaves", "local_derivatives", "first_nonfinite", "NonFiniteError",
    "BackwardPass", "numerical_gradient", "gradient_error", "grad", "hessian", "hessian_of", "hvp", "vhp",
    "compile", "CompiledGraph", "CompileError",
    "draw_graph", "draw_network", "render", "Drawing", "GraphTooLarge", "GraphvizNotInstalled",
    "backward_steps", "backward_table", "BackwardStep", "Contribution",
    "backward_frames", "write_frames", "write_stepper_html", "stepper", "Stepper",
]
