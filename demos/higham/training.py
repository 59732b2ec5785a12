"""Single-sample stochastic gradient, as netbp.m: p ← p − η ∇C_{x_k}(p), k uniform in 1..10 at
every step (the paper's §4, approach 2 with m = 1).

The sample indices are drawn up front from the same seeded generator as the initial weights
(netbp.m also draws its weights and then its indices from one stream after ``rng(5000)``). Two
engines run the same steps:

* compiled (default): the per-sample cost graph recorded once and compiled by ``engine.compile``;
  ``CompiledGraph.sgd_run`` loops over a chunk of indices in generated code;
* eager (``--eager``): a fresh Value graph per step through ``nn.MLP``, ``backward()`` and
  ``nn.optim.SGD``: the engine as a user first meets it, ten to twenty times slower.

Both do the same floating-point operations in the same order, so they end at the same parameters
bit for bit. After every chunk of ``record_every`` steps the full-data Cost (eq. 2.6) is recorded,
evaluated by the compiled cost graph in both cases (so the recorded costs agree bit for bit too).
"""

import time
from dataclasses import dataclass, field

import numpy as np

from nn.losses import half_squared_error
from nn.optim import SGD

from .network import parameter_list

RECORD_EVERY = 10_000   # netbp.m plots savecost(1:1e4:Niter)
PROGRESS_FROM = 100_000  # runs at least this long show a progress bar (when stderr is a terminal)


def record_interval(iterations):
    """Record every 10,000 steps, or every ``iterations // 100`` steps (at least 1) for runs shorter
    than a million, so that a short run still draws a curve of about a hundred points."""
    return max(1, min(RECORD_EVERY, iterations // 100))


MAX_ITERATIONS = 100_000_000  # the drawn indices take one byte per step


def sample_order(rng, iterations, n_points=10):
    """The indices k of the points used at steps 1..iterations (0-based), uniform in 0..n_points−1,
    as one byte each (a hundred million steps take 100 MB)."""
    if not 1 <= n_points <= 255:
        raise ValueError(f"sample_order draws indices as bytes: n_points must be 1..255, got {n_points}")
    return rng.integers(0, n_points, size=iterations, dtype=np.uint8)


@dataclass
class SGDRun:
    """The outcome of a run: final parameters and the recorded full-data Cost (eq. 2.6)."""
    engine: str
    eta: float
    start: list
    parameters: list
    iterations: list = field(default_factory=list)  # 0, record_every, 2·record_every, ..., total
    costs: list = field(default_factory=list)       # Cost at those iterations
    seconds: float = 0.0                            # training time, recording included

    @property
    def final_cost(self):
        return self.costs[-1]


def _progress(total, show):
    if not show:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a convenience; the run does not need it
        return None
    return tqdm(total=total, unit="it", unit_scale=True, desc="SGD", leave=False, disable=None)


def _chunks(iterations, every):
    start = 0
    while start < iterations:
        stop = min(start + every, iterations)
        yield start, stop
        start = stop


def train_compiled(net, order, eta, record_every=None, progress=False):
    """SGD from the network's current parameters with the compiled cost graph. ``order``: sample
    indices (array of ints); the parameters of ``net.mlp`` are left untouched."""
    order = np.asarray(order)
    every = record_every or record_interval(len(order))
    p = parameter_list(net.mlp)
    run = SGDRun("compiled", eta, list(p), p, [0], [net.cost(p)])
    graph, rows = net.cost_graph, net.rows
    bar = _progress(len(order), progress)
    began = time.perf_counter()
    for start, stop in _chunks(len(order), every):
        graph.sgd_run(rows, order[start:stop].tolist(), p, eta)  # Python ints index a list fastest
        run.iterations.append(stop)
        run.costs.append(net.cost(p))
        if bar is not None:
            bar.update(stop - start)
    run.seconds = time.perf_counter() - began
    if bar is not None:
        bar.close()
    return run


def train_eager(net, order, eta, record_every=None, progress=False):
    """The same SGD with the eager engine: a Value graph per step, ``backward()``, ``SGD.step()``.
    Works on a copy of the parameters: ``net.mlp`` ends as it started."""
    order = np.asarray(order)
    every = record_every or record_interval(len(order))
    mlp = net.mlp
    start_p = parameter_list(mlp)
    xs = [list(x) for x in net.X.tolist()]
    ys = net.Y.tolist()
    optimizer = SGD(mlp.parameters(), lr=eta)
    run = SGDRun("eager", eta, list(start_p), None, [0], [net.cost(start_p)])
    bar = _progress(len(order), progress)
    began = time.perf_counter()
    try:
        for start, stop in _chunks(len(order), every):
            for k in order[start:stop].tolist():
                optimizer.zero_grad()  # backward() adds into the parameters' grads
                half_squared_error(mlp(xs[k]), ys[k]).backward()
                optimizer.step()
            run.iterations.append(stop)
            run.costs.append(net.cost(parameter_list(mlp)))
            if bar is not None:
                bar.update(stop - start)
        run.seconds = time.perf_counter() - began
        run.parameters = parameter_list(mlp)
    finally:
        for v, x in zip(mlp.parameters(), start_p):
            v.data = x
        if bar is not None:
            bar.close()
    return run


def train(net, order, eta, *, eager=False, record_every=None, progress=False):
    """``train_eager`` or ``train_compiled``."""
    return (train_eager if eager else train_compiled)(net, order, eta, record_every, progress)
