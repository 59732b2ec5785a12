"""Many single-sample SGD runs of one network on the paper's ten points, as lanes, on any executor.

Run i of a study is a pure function of (root seed, i, sizes, initial scale, steps): its generator is
``demos.seeds.study.generator(root, i)`` (child i of ``SeedSequence(root)``), from which it draws, as
``demos.seeds`` and ``demos.higham`` do, first the parameters and then the sample indices. So with
the paper's network and scale, run i here is run i of ``python -m demos.seeds`` bit for bit, and the
shared study of questions 1–3 is that demo's study. Runs are grouped into ``Job``\\ s of
``PER_JOB`` runs, each advanced by ``CompiledGraph.sgd_run_lanes`` (all runs of the job in one
call per recorded chunk); the jobs go to this process, local processes or a Dask cluster through
``demos.seeds.executors``, the same interface as ``demos.seeds``.
"""

import time
from dataclasses import dataclass

import numpy as np

from ..higham.training import sample_order
from ..seeds.study import generator
from .problems import ETA, higham_rows, network

PER_JOB = 64
THRESHOLD = 0.01  # demos.seeds' definition: a run has left the plateau at the first record below it


@dataclass(frozen=True)
class Job:
    """Runs ``indices`` of the study ``root`` (small, so that it travels cheaply to any worker)."""
    sizes: tuple
    root: int
    indices: tuple
    steps: int
    record_every: int
    scale: str = "paper"
    eta: float = ETA
    snapshots: int = 0    # runs with index below this keep their parameters at every record
    skip: int = 0         # continue after this many steps: the indices drawn after the first ``skip``


@dataclass
class Runs:
    """The runs of a study, in index order."""
    indices: np.ndarray
    steps: np.ndarray          # recorded steps (m,)
    costs: np.ndarray          # (n, m)
    parameters: np.ndarray     # final (n, params)
    snapshots: dict            # index -> (m, params) parameters at every record
    seconds: float = 0.0

    @property
    def final_costs(self):
        return self.costs[:, -1]

    def leave_steps(self, threshold=THRESHOLD):
        below = self.costs < threshold
        return np.where(below.any(axis=1), self.steps[np.argmax(below, axis=1)], -1)


def recorded(steps, every):
    return np.array([0, *range(every, steps, every), steps])


def run_job(job, start=None):
    """The runs of ``job`` (top level, so any executor can pickle it); ``start`` (runs, params):
    parameters to continue from instead of the drawn ones (with ``job.skip``)."""
    net = network(job.sizes)
    rows, _, _ = higham_rows()
    P, orders = [], []
    for i in job.indices:
        rng = generator(job.root, i)
        P.append(net.draw(rng, job.scale))
        if job.skip:
            sample_order(rng, job.skip)  # the indices of the steps already taken
        orders.append(sample_order(rng, job.steps))
    P = np.array(P) if start is None else np.array(start, dtype=float)
    orders = np.array(orders)
    marks = recorded(job.steps, job.record_every)
    costs = np.empty((len(P), len(marks)))
    costs[:, 0] = net.costs(rows, P)
    keep = [k for k, i in enumerate(job.indices) if i < job.snapshots]
    snaps = {job.indices[k]: [P[k].copy()] for k in keep}
    for j in range(1, len(marks)):
        chunk = np.ascontiguousarray(orders[:, marks[j - 1]:marks[j]], dtype=np.int64)
        net.cost.sgd_run_lanes(rows, chunk, P, job.eta)
        costs[:, j] = net.costs(rows, P)
        for k in keep:
            snaps[job.indices[k]].append(P[k].copy())
    return job.indices, costs, P, {i: np.array(s) for i, s in snaps.items()}


def jobs(sizes, root, indices, steps, record_every, scale="paper", snapshots=0, skip=0):
    indices = list(indices)
    return [Job(tuple(sizes), root, tuple(indices[k:k + PER_JOB]), steps, record_every, scale, ETA, snapshots, skip)
            for k in range(0, len(indices), PER_JOB)]


def run(job_list, executor=None, starts=None):
    """Every job on ``executor`` (``concurrent.futures``-style, or None: here); the runs in index
    order. ``starts``: {index: parameters} to continue from (see ``run_job``)."""
    began = time.perf_counter()

    def args(job):
        return (job,) if starts is None else (job, [starts[i] for i in job.indices])

    if executor is None:
        parts = [run_job(*args(job)) for job in job_list]
    else:
        futures = [executor.submit(run_job, *args(job)) for job in job_list]
        parts = [f.result() for f in futures]
    indices = np.concatenate([np.array(p[0]) for p in parts])
    order = np.argsort(indices, kind="stable")
    snaps = {}
    for p in parts:
        snaps.update(p[3])
    first = job_list[0]
    return Runs(indices[order], recorded(first.steps, first.record_every),
                np.vstack([p[1] for p in parts])[order], np.vstack([p[2] for p in parts])[order], snaps,
                time.perf_counter() - began)
