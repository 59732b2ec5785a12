"""Microseconds per training step on each side, measured side by side in one run.

Each side runs the same steps as in the comparison, but records nothing. Processor time is measured
(``time.process_time``: what other work on a shared machine changes least; PyTorch runs on one
thread), and the best of ``repeats`` runs counts. For plain SGD on the Higham network
the compiled graph of ``python -m demos.higham`` (``CompiledGraph.sgd_run``) is timed as well.
"""

import time
from dataclasses import dataclass

from demos.higham.network import HighamNetwork, parameter_list

from .training import optimizers, run_ours, run_torch


@dataclass
class Timing:
    label: str
    steps: int
    ours: float              # µs per step, eager Values + nn optimizer
    torch: float             # µs per step, torch.nn + torch.optim
    compiled: float = None   # µs per step, compiled graph (plain SGD on the Higham network only)


def _best(run, repeats):
    best = float("inf")
    for _ in range(repeats):
        began = time.process_time()
        run()
        best = min(best, time.process_time() - began)
    return best


def _compiled_sgd(problem, steps):
    net = HighamNetwork(problem.mlp, problem.X, problem.Y)
    order = problem.order[:steps]

    def run():
        net.cost_graph.sgd_run(net.rows, order, parameter_list(problem.mlp), problem.lr)
    return run


def time_steps(torch, problem, steps, repeats=3):
    """One Timing per optimizer of ``optimizers(problem.lr)``, ``steps`` steps per run."""
    out = []
    for label, kind, settings in optimizers(problem.lr):
        ours = _best(lambda kind=kind, settings=settings: run_ours(problem, kind, settings, steps, record=False),
                     repeats)
        theirs = _best(lambda kind=kind, settings=settings: run_torch(torch, problem, kind, settings, steps,
                                                                      record=False), repeats)
        compiled = None
        if problem.name == "higham" and label == "SGD":
            compiled = _best(_compiled_sgd(problem, steps), repeats)
        to_us = 1e6 / steps
        out.append(Timing(label, steps, ours * to_us, theirs * to_us, None if compiled is None else compiled * to_us))
    return out
