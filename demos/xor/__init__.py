"""XOR solved exactly and learned: Goodfellow, Bengio & Courville, *Deep Learning*, §6.1.

``python -m demos.xor`` prints the report and draws the figures; the functions live in

* ``exact``    — the model of equation 6.3 built from engine Values, the book's solution
  (equations 6.4–6.6), the best linear model, slices of the cost surface;
* ``learning`` — the same 2-2-1 ReLU network as an ``nn.MLP`` trained from many seeds, the
  classification of the outcomes and the activation patterns of exact solutions;
* ``figures``  — Figures 6.1–6.3 and the figures of the learning experiment.
"""

from dataclasses import dataclass

import numpy as np

from engine import numerical_gradient

from . import exact, learning
from .exact import (BOOK_THETA, PARAMETER_NAMES, TARGETS, X, best_linear_model, cost, cost_numpy, cost_slice,
                    forward, pack, parameters, solve_exactly, surface_slices, unpack)
from .learning import (OUTCOMES, Run, activation_pattern, arrays_from_theta, classify, describe_pattern,
                       distinct_solutions, exact_patterns, failure_levels, network, tally, theta_from_arrays,
                       train_many, train_run)

__all__ = [
    "exact", "learning", "X", "TARGETS", "BOOK_THETA", "PARAMETER_NAMES", "pack", "unpack", "parameters",
    "forward", "cost", "cost_numpy", "cost_slice", "solve_exactly", "best_linear_model", "surface_slices",
    "finite_difference_gradient", "OUTCOMES", "Run", "train_run", "train_many", "classify", "tally",
    "failure_levels", "activation_pattern", "describe_pattern", "distinct_solutions", "exact_patterns",
    "arrays_from_theta", "theta_from_arrays", "network", "Experiment", "run_experiment",
]


def finite_difference_gradient(theta=BOOK_THETA, h=None):
    """Central differences of J at θ (``engine.numerical_gradient``).

    At the book's solution these are O(h), not 0, and that is the right answer: J(θ* + δ) ≤ K‖δ‖²
    near θ* (J is a mean of squared residuals and each residual is 0 at θ* and Lipschitz), so
    (J(θ* + h e) − J(θ* − h e)) / 2h is at most K h; J is differentiable at θ* with gradient 0 even
    where the network f itself has kinks."""
    return np.array(numerical_gradient(lambda *p: exact.cost(p), list(theta), h))


@dataclass
class Experiment:
    """Everything the report and the figures of ``python -m demos.xor`` are made from."""
    linear: tuple          # (w, b, predictions, MSE) of the best linear model
    solution: dict         # solve_exactly(): z, h, f, cost, gradient at the book's solution
    fd_gradient: np.ndarray
    runs: list             # one learning.Run per seed
    counts: dict           # tally(runs)
    groups: list           # distinct_solutions(runs)
    patterns: dict         # exact_patterns(): every achievable activation pattern → a witness θ
    seconds: float         # wall-clock time spent training
    cpu_seconds: float     # processor time spent training (what the machine's load does not change)


def run_experiment(seeds, progress=None, **train_options):
    """Compute parts 1, 2 and 4 of the demo (the figures' data) for the given training seeds."""
    import time
    linear = best_linear_model()
    solution = solve_exactly()
    fd = finite_difference_gradient()
    start, cpu_start = time.perf_counter(), time.process_time()
    runs = train_many(seeds, progress=progress, **train_options)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return Experiment(linear=linear, solution=solution, fd_gradient=fd, runs=runs, counts=tally(runs),
                      groups=distinct_solutions(runs), patterns=exact_patterns(), seconds=seconds,
                      cpu_seconds=cpu_seconds)
