"""A scalar reverse-mode automatic-differentiation engine that shows its work.

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x + 1).sigmoid()
>>> y.backward()
>>> round(x.grad, 6)
0.026592
"""

from .version import __version__
from .compiler import CompiledGraph, CompileError, compile
# engine.max, as torch.max; left out of __all__ so that "from engine import *" keeps Python's max
from .functions import exp, log, max, relu, sigmoid, softplus, tanh  # noqa: A004
from .gradcheck import gradient_error, numerical_gradient
from .higher import grad, hessian, hessian_of, hvp
from .graph import NonFiniteError, edges, first_nonfinite, leaves, local_derivatives, topological_order
from .numerics import DomainError
from .ops import OPS, Op
from .value import Value, affine
from .draw import Drawing, GraphTooLarge, GraphvizNotInstalled, draw_graph, draw_network, render
from .steps import BackwardStep, Contribution, backward_steps, backward_table
from .stepper import backward_frames, write_frames, write_stepper_html
from .notebook import Stepper, stepper

__all__ = [
    "__version__", "Value", "OPS", "Op", "DomainError",
    "affine", "exp", "log", "tanh", "sigmoid", "relu", "softplus",
    "topological_order", "edges", "leaves", "local_derivatives", "first_nonfinite", "NonFiniteError",
    "numerical_gradient", "gradient_error", "grad", "hessian", "hessian_of", "hvp",
    "compile", "CompiledGraph", "CompileError",
    "draw_graph", "draw_network", "render", "Drawing", "GraphTooLarge", "GraphvizNotInstalled",
    "backward_steps", "backward_table", "BackwardStep", "Contribution",
    "backward_frames", "write_frames", "write_stepper_html", "stepper", "Stepper",
]
