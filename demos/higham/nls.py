"""The same network trained by nonlinear least squares, as the paper's nlsrun.m does with lsqnonlin.

nlsrun.m minimises Σ_i r_i(p)² over the 23 parameters, r_i = ‖y_i − F(x_i)‖₂ the residual norm
of point i (so Σ r_i² = 20 · Cost), starting from one 0.5·N(0, 1) draw. Here
``scipy.optimize.least_squares`` (trust-region reflective, lsqnonlin's default algorithm) does the
same, with the 10 × 23 Jacobian ∂r_i/∂p_j from the engine's compiled residual graph (reverse
mode, all ten points in one vectorised call) rather than from finite differences.
"""

import time
from dataclasses import dataclass

import numpy as np

from .network import parameter_list


@dataclass
class NLSRun:
    start: list
    parameters: list
    cost: float          # the paper's Cost (eq. 2.4) at the solution
    start_cost: float
    evaluations: int     # residual evaluations
    jacobians: int       # Jacobian evaluations
    status: int
    message: str
    seconds: float


def fit(net):
    """Least squares from the network's current parameters; ``net.mlp`` is left untouched."""
    from scipy.optimize import least_squares   # imported here: SciPy takes a second to load

    p0 = np.array(parameter_list(net.mlp))
    began = time.perf_counter()
    result = least_squares(net.residuals, p0, jac=net.jacobian, method="trf")
    seconds = time.perf_counter() - began
    p = result.x.tolist()
    return NLSRun(p0.tolist(), p, net.cost(p), net.cost(p0), int(result.nfev),
                  int(result.njev or 0), int(result.status), str(result.message), seconds)
