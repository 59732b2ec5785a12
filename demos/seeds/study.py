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
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, wait
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
    costs[:, 0] = net.costs(P)
    rows = np.array(net.rows)
    for j in range(1, len(marks)):
        graph.sgd_run_lanes(rows, np.ascontiguousarray(orders[:, marks[j - 1]:marks[j]], dtype=np.int64), P, first.eta)
        costs[:, j] = net.costs(P)
    share = (time.perf_counter() - began) / len(group)
    return [Run(task.index, costs[k], net.correct(P[k].tolist()), P[k].tolist(), share)
            for k, task in enumerate(group)]


GROUP = 64  # runs per lanes call: whole blocks of lanes (8 each), a few groups per worker


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


PATIENCE = 60.0  # seconds without any worker before a study gives up
ATTEMPTS = 3     # times a run may be lost with its worker (or a local pool renewed) before giving up
POLL = 0.5       # seconds between looks at the workers while no run finishes


class StudyIncomplete(RuntimeError):
    """The workers were lost and the study stopped. ``finished`` holds the runs that finished (a
    ``Study`` of those alone, in seed order, or None if none did), ``missing`` the indices of the
    others; the message says which, and why."""

    def __init__(self, message, finished, missing):
        super().__init__(message)
        self.finished, self.missing = finished, missing


def run_study(task_list, executor=None, progress=False, reference=None, workers=1, *, patience=PATIENCE,
              attempts=ATTEMPTS):
    """Run every task, on ``executor`` (``executors.local`` or ``executors.dask``, or anything with
    ``concurrent.futures``' ``submit``) or here in this process when None. ``reference``, a Task
    with index None, runs too (first) and is kept apart as ``.reference``. The tasks go in groups
    (``run_group``: lanes, the numbers of ``run_one``), ``workers`` of them or more. The result is
    in seed order, so it is the same whoever ran it.

    A group lost with its worker is run again (runs are pure functions of their tasks, so the result
    is the same bit for bit), at most ``attempts`` times. If no worker is left for ``patience``
    seconds, or groups keep being lost, ``StudyIncomplete`` is raised, with the finished runs."""
    began = time.perf_counter()
    todo = ([reference] if reference is not None else []) + list(task_list)
    bar = _bar(len(todo), progress)
    units = groups(todo, workers)
    if executor is None:
        runs = []
        for group in units:
            runs += run_group(group)
            bar.update(len(group))
    else:
        try:
            runs = _run_all(units, executor, bar, patience, attempts)
        except StudyIncomplete as stop:
            bar.close()
            stop.finished = _study(task_list, stop.finished, began) if stop.finished else None
            raise
    bar.close()
    return _study(task_list, runs, began)


def _study(task_list, runs, began):
    ref = [r for r in runs if r.index is None]
    runs = sorted((r for r in runs if r.index is not None), key=lambda run: run.index)
    first = task_list[0]
    return Study([t for t in task_list if t.index in {r.index for r in runs}],
                 recorded_steps(first.steps, first.record_every),
                 np.array([r.costs for r in runs]), np.array([r.correct for r in runs]),
                 np.array([r.parameters for r in runs]), np.array([r.seconds for r in runs]),
                 time.perf_counter() - began, ref[0] if ref else None)


def _run_all(units, executor, bar, patience, attempts):
    """The runs of the groups ``units`` on ``executor``, in any order, running lost ones again. A
    lost group of several runs is run again as single runs, so that one run that keeps losing its
    worker does not take the others with it; a run lost more than ``attempts`` times stops the study."""
    units = list(units)
    done = {}       # position in units -> its Runs
    pending = {}    # future -> position
    split = set()   # positions of groups lost once and run again as single runs
    losses = {}     # task index -> times lost
    renewals = 0
    alone_since = None  # when the executor was first seen without workers, in this stretch
    todo = [task for group in units for task in group]

    def submit(positions):
        for pos in positions:
            pending[executor.submit(run_group, units[pos])] = pos

    def stop(why):
        missing = sorted(t.index for p, group in enumerate(units) if p not in done and p not in split
                         for t in group if t.index is not None)
        finished = [run for p in sorted(done) for run in done[p]]
        count = sum(1 for r in finished if r.index is not None)
        raise StudyIncomplete(f"the study stopped: {why}. {count} of {len(todo) - (todo[0].index is None)} runs "
                              f"finished ({_ranges(sorted(r.index for r in finished if r.index is not None))}) "
                              f"and are kept; runs {_ranges(missing)} did not", finished, missing)

    def again(lost):
        """Submit the lost groups again: a group of several runs as single runs."""
        for pos in lost:
            group = units[pos]
            for task in group:
                losses[task.index] = losses.get(task.index, 0) + 1
            if len(group) > 1:
                split.add(pos)
                units.extend([task] for task in group)
                submit(range(len(units) - len(group), len(units)))
                continue
            (task,) = group
            if losses[task.index] > attempts:
                stop(f"run {task.index} was lost with its worker {losses[task.index]} times")
            submit([pos])

    submit(range(len(units)))
    try:
        while pending:
            finished, _ = wait(list(pending), timeout=POLL, return_when=FIRST_COMPLETED)
            lost = []
            for future in finished:
                pos = pending.pop(future)
                try:
                    done[pos] = future.result()
                    bar.update(len(done[pos]))
                except Exception as err:  # noqa: BLE001 (sorted below: a lost worker, or the run's own error)
                    lost_worker = getattr(executor, "lost", lambda e: isinstance(e, BrokenExecutor))(err)
                    if not lost_worker:
                        raise
                    lost.append(pos)
            if lost:
                if any(isinstance(_exception(f), BrokenExecutor) for f in finished) and hasattr(executor, "renew"):
                    # a broken pool fails every run it holds: collect them, then start a fresh pool
                    rest, _ = wait(list(pending), timeout=patience)
                    for future in rest:
                        pos = pending.pop(future)
                        if future.exception() is None:
                            done[pos] = future.result()
                            bar.update(len(done[pos]))
                        else:
                            lost.append(pos)
                    renewals += 1
                    if renewals > attempts + 1 or pending:
                        stop(f"the local worker processes were lost {renewals} times")
                    executor.renew()
                again(lost)
            if finished:
                alone_since = None
                continue
            alive = executor.alive() if hasattr(executor, "alive") else 1
            if alive:
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > patience:
                stop(f"no worker was left to run them for {patience:g} s")
    finally:
        for future in pending:
            future.cancel()
    return [run for p in sorted(done) for run in done[p]]


def _exception(future):
    return future.exception() if future.done() and not future.cancelled() else None


def _ranges(indices):
    """[0, 1, 2, 5, 7, 8] as "0-2, 5, 7-8", at most 12 ranges shown (for a message)."""
    if not indices:
        return "none"
    parts, start, prev = [], indices[0], indices[0]
    for i in list(indices[1:]) + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    return ", ".join(parts[:12]) + (f", ... ({len(parts) - 12} more ranges)" if len(parts) > 12 else "")


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
