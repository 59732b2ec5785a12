"""The paper's experiment from many independent starts: one task per seed, any executor runs them.

Run i is a pure function of (root seed, i, steps, η, record interval, backend): its generator is
``default_rng(SeedSequence(root, spawn_key=(i,)))``, which is child i of ``SeedSequence(root)``
(``SeedSequence(root).spawn(n)[i]`` for any n > i), so run i is the same whether the study has 10 or
100,000 seeds and whichever process, thread or machine runs it. From that generator the run draws, as
``python -m demos.higham`` does, first the 23 weights 0.5·N(0, 1) and then the sample indices, and
runs netbp.m's single-sample stochastic gradient, recording the Cost (eq. 2.6) every
``record_every`` steps.

The Cost and the classification are evaluated by the Python backend's NumPy code whatever backend
trains (``HighamNetwork.cost`` and ``.correct``), so that the recorded numbers of a run depend only
on its trajectory.
"""

import threading
import time
from concurrent.futures import as_completed
from dataclasses import dataclass

import numpy as np

from ..higham.data import points
from ..higham.network import HighamNetwork, make_network, parameter_list
from ..higham.training import record_interval, sample_order
from . import backend as backends


@dataclass(frozen=True)
class Task:
    """Everything run ``index`` depends on (small, so that it travels cheaply to any worker).
    ``index`` None is the run of ``python -m demos.higham --seed root`` (see ``generator``)."""
    root: int
    index: "int | None"
    steps: int
    eta: float
    record_every: int
    backend: str  # "python" or "numba", already resolved


@dataclass
class Run:
    """One run: the Cost at steps 0, record_every, ..., steps, and the final classification."""
    index: int
    costs: np.ndarray
    correct: int      # points of the ten classified correctly at the end
    parameters: list  # the final 23 parameters
    seconds: float    # wall time of the run in its worker, compiling excluded (not part of the result proper)


def generator(root, index):
    """Run ``index``'s generator: child ``index`` of ``SeedSequence(root)``. ``index`` None gives
    ``default_rng(root)``, the generator of ``python -m demos.higham --seed root``: the paper's single
    run as that demo makes it, to place among the others."""
    if index is None:
        return np.random.default_rng(root)
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(index,)))


def recorded_steps(steps, record_every):
    """The steps at which the Cost is recorded: 0, record_every, 2·record_every, ..., steps."""
    return np.array([0, *range(record_every, steps, record_every), steps])


_net = None
_net_lock = threading.Lock()


def _evaluator():
    """The Higham network's compiled Cost and classifier, built once per process (the graphs take
    the parameters as arguments, so one serves every seed)."""
    global _net
    with _net_lock:
        if _net is None:
            _net = HighamNetwork(make_network(0), *points())
        return _net


def run_one(task):
    """Run ``task.index`` of the study (a top-level function, so any executor can pickle it)."""
    net, graph = _evaluator(), backends.step_graph(task.backend)  # compiled once per process
    began = time.perf_counter()
    rng = generator(task.root, task.index)
    p = parameter_list(make_network(rng))   # the weights first, then the indices, as demos.higham
    order = sample_order(rng, task.steps)
    marks = recorded_steps(task.steps, task.record_every)
    costs = np.empty(len(marks))
    costs[0] = net.cost(p)
    for j in range(1, len(marks)):
        chunk = backends.step_order(task.backend, order[marks[j - 1]:marks[j]])
        graph.sgd_run(net.rows, chunk, p, task.eta)
        costs[j] = net.cost(p)
    return Run(task.index, costs, net.correct(p), list(p), time.perf_counter() - began)


def run_group(group):
    """The tasks of ``group`` (same steps, η, record interval and backend) advanced together as lanes
    (``CompiledGraph.sgd_run_lanes``: one call per recorded chunk for all of them), each with the
    numbers ``run_one`` gives it, bit for bit. Each run's ``seconds`` is its share of the group's time."""
    net, graph = _evaluator(), backends.step_graph(group[0].backend)
    began = time.perf_counter()
    P, orders = [], []
    for task in group:
        rng = generator(task.root, task.index)
        P.append(parameter_list(make_network(rng)))   # the weights first, then the indices, as run_one
        orders.append(sample_order(rng, task.steps))
    P, orders = np.array(P), np.array(orders)
    first = group[0]
    marks = recorded_steps(first.steps, first.record_every)
    costs = np.empty((len(group), len(marks)))
    costs[:, 0] = [net.cost(p) for p in P]
    rows = np.array(net.rows)
    for j in range(1, len(marks)):
        graph.sgd_run_lanes(rows, np.ascontiguousarray(orders[:, marks[j - 1]:marks[j]], dtype=np.int64), P, first.eta)
        costs[:, j] = [net.cost(p) for p in P]
    share = (time.perf_counter() - began) / len(group)
    return [Run(task.index, costs[k], net.correct(P[k].tolist()), P[k].tolist(), share)
            for k, task in enumerate(group)]


GROUP = 64  # runs per lanes call: enough to keep the interleaved runs busy, a few groups per worker


def groups(todo, workers=1):
    """``todo`` cut into groups of at most GROUP tasks, at least two per worker when there are enough."""
    size = max(1, min(GROUP, -(-len(todo) // (2 * workers))))
    return [todo[k:k + size] for k in range(0, len(todo), size)]


def tasks(root, seeds, steps, eta, backend, record_every=None):
    """The tasks of runs 0..seeds−1."""
    every = record_every or record_interval(steps)
    return [Task(root, i, steps, eta, every, backend) for i in range(seeds)]


def reference_task(task):
    """The run of ``python -m demos.higham --seed root`` with the settings of ``task``."""
    return Task(task.root, None, task.steps, task.eta, task.record_every, task.backend)


@dataclass
class Study:
    """The runs of a study, in seed order, as arrays."""
    tasks: list
    steps: np.ndarray     # the recorded steps, shape (m,)
    costs: np.ndarray     # Cost of run i at steps[j], shape (n, m)
    correct: np.ndarray   # points correct at the end, shape (n,)
    parameters: np.ndarray  # final parameters, shape (n, 23)
    run_seconds: np.ndarray  # each run's time in its worker
    seconds: float = 0.0     # wall time of the whole study
    reference: "Run | None" = None  # the run of python -m demos.higham --seed root, if asked for

    @property
    def final_costs(self):
        return self.costs[:, -1]


def run_study(task_list, executor=None, progress=False, reference=None, workers=1):
    """Run every task, on ``executor`` (anything with ``concurrent.futures``' ``submit``: a
    ProcessPoolExecutor, Dask's ``client.get_executor()``) or here in this process when None.
    ``reference``, a Task with index None, runs too (first) and is kept apart as ``.reference``.
    The tasks go in groups (``run_group``: lanes, the numbers of ``run_one``), ``workers`` of them or more.
    The result is in seed order, so it is the same whoever ran it."""
    began = time.perf_counter()
    todo = ([reference] if reference is not None else []) + list(task_list)
    bar = _bar(len(todo), progress)
    runs = []
    if executor is None:
        for group in groups(todo):
            runs += run_group(group)
            bar.update(len(group))
    else:
        futures = [executor.submit(run_group, group) for group in groups(todo, workers)]
        try:
            for future in as_completed(futures):
                done = future.result()
                runs += done
                bar.update(len(done))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    bar.close()
    ref = [r for r in runs if r.index is None]
    runs = sorted((r for r in runs if r.index is not None), key=lambda run: run.index)
    first = task_list[0]
    return Study(list(task_list), recorded_steps(first.steps, first.record_every),
                 np.array([r.costs for r in runs]), np.array([r.correct for r in runs]),
                 np.array([r.parameters for r in runs]), np.array([r.seconds for r in runs]),
                 time.perf_counter() - began, ref[0] if ref else None)


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _bar(total, show):
    if not show:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a convenience; the study does not need it
        return _NoBar()
    return tqdm(total=total, unit="run", desc="seeds", smoothing=0.05)
