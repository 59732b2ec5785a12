"""The same network trained by nonlinear least squares, as the paper's nlsrun.m does with lsqnonlin.

nlsrun.m minimises Σ_i r_i(p)² over the 23 parameters, r_i = ‖y_i − F(x_i)‖₂ the residual norm
of point i (so Σ r_i² = 2N · Cost), starting from one 0.5·N(0, 1) draw. Here
``scipy.optimize.least_squares`` (trust-region reflective, lsqnonlin's default algorithm) does the
same, with the N × 23 Jacobian ∂r_i/∂p_j from the engine's compiled residual graph (reverse
mode, all points in one vectorised call) rather than from finite differences.

Tolerances: SciPy's defaults are ftol = xtol = gtol = 1e-8; MATLAB's lsqnonlin stops at
FunctionTolerance = StepTolerance = OptimalityTolerance = 1e-6 by default. ``fit(net, tol)`` sets
SciPy's three to ``tol``; the two libraries do not define their tests identically (SciPy's gtol is a
scaled gradient norm, MATLAB's a first-order optimality measure), so equal numbers are the nearest
match, not the same stopping rule.
"""

import time
from dataclasses import dataclass

import numpy as np

from .network import parameter_list

SCIPY_TOL = 1e-8     # scipy.optimize.least_squares: ftol, xtol, gtol defaults
LSQNONLIN_TOL = 1e-6  # MATLAB lsqnonlin: FunctionTolerance, StepTolerance, OptimalityTolerance defaults


@dataclass
class NLSRun:
    start: list
    parameters: list
    cost: float          # the paper's Cost (eq. 2.6) at the solution
    start_cost: float
    evaluations: int     # residual evaluations
    jacobians: int       # Jacobian evaluations
    status: int
    message: str
    seconds: float
    tol: float = SCIPY_TOL  # ftol = xtol = gtol


def fit(net, tol=SCIPY_TOL):
    """Least squares from the network's current parameters, ftol = xtol = gtol = ``tol``;
    ``net.mlp`` is left untouched."""
    from scipy.optimize import least_squares   # imported here: SciPy takes a second to load

    p0 = np.array(parameter_list(net.mlp))
    began = time.perf_counter()
    result = least_squares(net.residuals, p0, jac=net.jacobian, method="trf", ftol=tol, xtol=tol, gtol=tol)
    seconds = time.perf_counter() - began
    p = result.x.tolist()
    return NLSRun(p0.tolist(), p, net.cost(p), net.cost(p0), int(result.nfev),
                  int(result.njev or 0), int(result.status), str(result.message), seconds, tol)
