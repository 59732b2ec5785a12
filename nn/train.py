"""A small training loop: stochastic gradient on a data set, recording the full cost as it goes.

``train`` is three separable pieces, so that a faster implementation of one can replace it:

* ``gradient_step``: the work of one step (forward over the chosen samples, the batch cost as one
  graph, one backward pass, one optimizer step);
* ``full_cost``: the recorded cost over the whole data set;
* the loop itself: which samples (``nn.sampling``), when to record, the progress bar, the clock.

Everything random comes from ``seed`` (the sampling scheme's generator): with the same model
parameters, data and settings, two runs give the same numbers bit for bit.
"""

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from . import losses
from .initializers import generator
from .optim import SGD, Optimizer
from .sampling import canonical, schedule
from engine import Value

from .checks import describe, integer

# Per-sample losses by name: loss(output, target) -> Value. The recorded cost is their mean over
# the data set, so "quadratic" records the paper's Cost (eq. 2.6) = (1/N) Σ ½‖y − F(x)‖².
LOSSES = {
    "quadratic": losses.half_squared_error,
    "mse": losses.mse,
    "bce_logits": losses.binary_cross_entropy_with_logits,
    "bce": losses.binary_cross_entropy,
    "hinge": losses.hinge_loss,
    "softmax_ce": losses.softmax_cross_entropy,
}


@dataclass
class History:
    """What ``train`` recorded: ``costs[i]`` is the full-data cost after ``steps[i]`` steps
    (step 0 is the initial network), ``seconds`` the wall-clock time of the whole run."""
    steps: list = field(default_factory=list)
    costs: list = field(default_factory=list)
    seconds: float = 0.0
    loss: str = "quadratic"
    scheme: str = "approach2"
    seed: object = 0

    @property
    def final_cost(self):
        return self.costs[-1] if self.costs else None

    def __repr__(self):
        if not self.costs:
            return "History(empty)"
        return (f"History({len(self.costs)} records, steps {self.steps[0]}..{self.steps[-1]}, "
                f"{self.loss} cost {self.costs[0]:.6g} -> {self.costs[-1]:.6g}, "
                f"{self.seconds:.3g} s)")


def resolve_loss(loss):
    """The per-sample loss function for a name in LOSSES, or a callable(output, target) -> Value."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}: use one of {', '.join(map(repr, LOSSES))} "
                             f"or a callable(output, target) -> Value")
        return LOSSES[loss]
    if callable(loss):
        return loss
    raise TypeError(f"loss must be a name or a callable(output, target) -> Value, got {type(loss).__name__}")


def prepare_data(model, X, Y):
    """The inputs as a list of lists of floats and the targets as a list (numbers or lists), one
    per sample, after checking shapes and values. Lists of Python floats keep the steps fast."""
    X = np.asarray(X)
    Y = np.asarray(Y)
    for name, arr in (("X", X), ("Y", Y)):
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds non-finite numbers (NaN or infinity)")
    nin = getattr(model, "nin", None)
    if X.ndim == 1 and nin == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, inputs), got shape {X.shape}")
    if nin is not None and X.shape[1] != nin:
        raise ValueError(f"the model takes {nin} inputs but X has shape {X.shape}")
    if Y.ndim not in (1, 2):
        raise ValueError(f"Y must have shape (N,) or (N, outputs), got shape {Y.shape}")
    if len(X) != len(Y) or len(X) == 0:
        raise ValueError(f"X has {len(X)} samples and Y has {len(Y)}: they must match and be at least 1")
    return X.astype(float).tolist(), Y.tolist()


def gradient_step(model, inputs, targets, indices, loss_fn, optimizer, check_finite=False):
    """One step: the batch cost (1/m) Σ_k C_k over the samples ``indices`` as one graph,
    ``zero_grad()``, one backward pass (which adds into the grads), one optimizer step. Returns
    the batch cost (a float, before the update)."""
    if len(indices) == 1:
        k = indices[0]
        cost = _checked(loss_fn(model(inputs[k]), targets[k]), loss_fn)
    else:
        cost = losses.mean([_checked(loss_fn(model(inputs[k]), targets[k]), loss_fn) for k in indices])
    optimizer.zero_grad()
    cost.backward(check_finite=check_finite)
    optimizer.step()
    return cost.data


def full_cost(model, inputs, targets, loss_fn):
    """(1/N) Σ_i C_i over the whole data set, as a float (no graph is kept). For the quadratic
    loss this is the paper's Cost (eq. 2.6); netbp.m plots Σ_i ‖y_i − F(x_i)‖², 20 times it for
    the ten points."""
    total = 0.0
    for x, y in zip(inputs, targets):
        total += _checked(loss_fn(model(x), y), loss_fn).data
    return total / len(inputs)


def _checked(cost, loss_fn):
    """The loss's result, if it is a Value (what backward() can differentiate)."""
    if cost.__class__ is not Value:
        name = getattr(loss_fn, "__name__", type(loss_fn).__name__)
        raise TypeError(f"the loss {name} returned {describe(cost)}, not a Value: compute it with "
                        f"Value operations on the network's output (float() or .data would cut "
                        f"the graph that backward() follows)")
    return cost




def _progress_bar(progress, steps):
    if progress is None:
        progress = steps >= 10_000 and sys.stderr.isatty()
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if progress is True:
            raise ImportError("progress=True needs tqdm: pip install tqdm") from None
        return None
    return tqdm(total=steps, unit="step", desc="training", file=sys.stderr, leave=False)


def train(model, X, Y, *, loss="quadratic", optimizer=None, lr=0.05, scheme="approach2",
          batch_size=1, steps=1000, seed=0, record_every=100, progress=None, compiled=False,
          check_finite=False):
    """Train ``model`` on inputs X (N, nin) and targets Y (N,) or (N, outputs) and return a History.

    * ``loss``: "quadratic" (per sample ½‖y − F(x)‖², recorded cost = the paper's Cost), "mse",
      "bce_logits", "bce", "hinge", "softmax_ce", or a callable(output, target) -> Value;
    * ``optimizer``: any optimizer over the model's parameters; by default SGD(model, lr)
      (``lr`` is used only then);
    * ``scheme``: "approach1" (epochs of shuffled samples), "approach2" (batch_size samples drawn
      with replacement per step) or "full" (all samples every step), see ``nn.sampling``;
    * ``seed``: an int (or a Generator) for the sampling scheme: the same seed repeats a run
      bit for bit (the model's starting parameters are the caller's: build it from a seed too);
    * the full-data cost is recorded at step 0, every ``record_every`` steps and after the last;
    * ``progress``: True/False for a tqdm progress bar; None shows one only for runs of at least
      10,000 steps when stderr is a terminal;
    * ``check_finite``: the anomaly mode of ``Value.backward``: stop with ``engine.NonFiniteError``
      naming the first node whose value or gradient became NaN or infinite (eager steps only);
    * ``compiled``: record the step's graph once and run it as generated code (``nn.compiled``):
      the same parameters and costs bit for bit, tens of times faster. The parameters' ``.grad``
      are then not filled in (no Value graph is built), and the model must be an MLP, Layer or
      Neuron whose graph has the same shape for every sample (true of every named loss but
      "hinge" and "softmax_ce", which are refused).
    """
    inputs, targets = prepare_data(model, X, Y)
    loss_fn = resolve_loss(loss)
    steps = integer(steps, "steps", 0)
    record_every = integer(record_every, "record_every", 1)
    batch_size = integer(batch_size, "batch_size", 1)
    if optimizer is None:
        optimizer = SGD(model, lr)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an optimizer object such as nn.SGD(model, lr=0.1) or "
                        f"nn.Adam(model), got {type(optimizer).__name__} {optimizer!r}")
    scheme = canonical(scheme)
    batches = schedule(scheme, len(inputs), batch_size, rng=generator(seed))

    history = History(loss=loss if isinstance(loss, str) else getattr(loss, "__name__", "custom"),
                      scheme=scheme, seed=seed)
    if compiled and check_finite:
        raise ValueError("check_finite needs the eager engine: use compiled=False")
    if compiled and loss in ("hinge", "softmax_ce"):
        raise ValueError(f"compiled=True cannot record the {loss!r} loss once for all samples: its "
                         f"graph depends on the target values (a label's sign, a class index, a max "
                         f"shift); use compiled=False")
    # The cost of the initial network, eagerly, sample by sample: the loss checks every target
    # (and its own result) here, once, before the eager and compiled paths part ways; the compiled
    # code, recorded on stand-in leaves, never sees the data's numbers as a loss would.
    start = time.perf_counter()
    initial = full_cost(model, inputs, targets, loss_fn)
    history.steps.append(0)
    history.costs.append(initial)
    if compiled:
        return _train_compiled(model, inputs, targets, loss_fn, optimizer, scheme, batch_size,
                               steps, batches, record_every, progress, history, start)
    bar = _progress_bar(progress, steps)
    tick = max(1, steps // 200)  # progress bar updates: at most ~200, not one per step
    try:
        for t in range(1, steps + 1):
            gradient_step(model, inputs, targets, next(batches), loss_fn, optimizer, check_finite)
            if t % record_every == 0 or t == steps:
                history.steps.append(t)
                history.costs.append(full_cost(model, inputs, targets, loss_fn))
                if bar is not None:
                    bar.set_postfix(cost=f"{history.costs[-1]:.4g}", refresh=False)
            if bar is not None and t % tick == 0:
                bar.update(tick)
        if bar is not None:
            bar.update(steps - bar.n)
    finally:
        if bar is not None:
            bar.close()
    history.seconds = time.perf_counter() - start
    return history


def _train_compiled(model, inputs, targets, loss_fn, optimizer, scheme, batch_size, steps, batches,
                    record_every, progress, history, start):
    """``train``'s loop over compiled code (see ``nn.compiled``): same schedule, same numbers."""
    from .compiled import CompiledLoss

    m = len(inputs) if scheme == "full" else batch_size
    runner = CompiledLoss(model, loss_fn, inputs, targets, m)
    p = [v.data for v in runner.params]
    plain_sgd = runner.fused_sgd(optimizer) and m == 1
    bar = _progress_bar(progress, steps)
    try:
        t = 0
        while t < steps:
            chunk = min(record_every - t % record_every, steps - t)
            if plain_sgd:  # the whole chunk in one generated loop
                runner.run_sgd([next(batches)[0] for _ in range(chunk)], p, optimizer.lr)
            else:
                for _ in range(chunk):
                    runner.step(next(batches), optimizer, p)
            t += chunk
            history.steps.append(t)
            history.costs.append(runner.full_cost(p))
            if bar is not None:
                bar.set_postfix(cost=f"{history.costs[-1]:.4g}", refresh=False)
                bar.update(chunk)
    finally:
        if bar is not None:
            bar.close()
        for v, x in zip(runner.params, p):  # the model holds the trained numbers, even after ^C
            v.data = x
    history.seconds = time.perf_counter() - start
    return history
