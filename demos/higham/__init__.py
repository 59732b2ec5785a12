"""Higham & Higham's network, end to end: "Deep Learning: An Introduction for Applied
Mathematicians", SIAM Review 61(4), 2019, §2–§6, and its MATLAB programs netbp.m and nlsrun.m.

``python -m demos.higham`` prints the report and draws the figures; the parts live in

* ``data``     — the ten labelled points (Figure 2.1) and the eleventh (Figures 2.5, 6.3);
* ``network``  — the 2-2-3-2 sigmoid network (23 parameters, 0.5·N(0, 1)) and the graphs the demo
  records once and compiles: the per-sample cost, nlsrun.m's residual, the classifier F₁ − F₂;
* ``training`` — single-sample stochastic gradient as netbp.m (η = 0.05, 10⁶ steps), compiled or eager;
* ``nls``      — the same network by nonlinear least squares (nlsrun.m's lsqnonlin), engine Jacobian,
  SciPy's tolerances 1e-8 or lsqnonlin's 1e-6;
* ``lemma51``  — Lemma 5.1, equations (5.5)–(5.8), in NumPy, lined up against the engine's gradients;
* ``figures``  — the sigmoid (Figure 2.2), data, cost and classifier figures (2.1, 2.4, 2.5, 6.1–6.3);
* ``diagrams`` — the network diagrams of Figures 2.3 and 3.1 (``engine.draw_network``);
* ``curvature`` — (``--curvature``) the exact 23 × 23 Hessian of the Cost (2.6) along the run: what the
  plateau near Cost 0.13 is.
"""

from . import data, diagrams, figures, lemma51, network, nls, training
from .network import HighamNetwork, make_network, parameter_list
from .training import SGDRun, record_interval, sample_order, train

ETA = 0.05             # netbp.m: eta = 0.05
ITERATIONS = 1_000_000  # netbp.m: Niter = 1e6

__all__ = ["data", "diagrams", "figures", "lemma51", "network", "nls", "training", "HighamNetwork", "make_network",
           "parameter_list", "SGDRun", "record_interval", "sample_order", "train",
           "ETA", "ITERATIONS"]
