"""A small training loop: stochastic gradient on a data set, recording the full cost as it goes.

``train`` is three separable pieces, so that a faster implementation of one can replace it:

* ``gradient_step``: the work of one step (forward over the chosen samples, the batch cost as one
  graph, one backward pass, one optimizer step);
* ``full_cost``: the recorded cost over the whole data set;
* the loop itself: which samples (``nn.sampling``), when to record, the progress bar, the clock.

Everything random comes from ``seed`` (the sampling scheme's generator): with the same model
parameters, data and settings, two runs give the same numbers bit for bit.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import losses
from .atomic import assign
from .checks import brief, describe, integer
from .initializers import Seed, generator
from .module import Module
from .optim import SGD, Optimizer
from .sampling import canonical, schedule
from engine import Value

ON_NONFINITE = ("raise", "ignore")

# Per-sample losses by name: loss(output, target) -> Value. The recorded cost is their mean over
# the data set, so "quadratic" records the paper's Cost (eq. 2.6) = (1/N) Σ ½‖y − F(x)‖².
LOSSES: dict[str, Callable[..., Value]] = {
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
    steps: list[int] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    seconds: float = 0.0
    loss: str = "quadratic"
    scheme: str = "approach2"
    seed: object = 0

    @property
    def final_cost(self) -> float | None:
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
            raise ValueError(f"unknown loss {brief(loss)}: use one of {', '.join(map(repr, LOSSES))} "
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


def gradient_step(model: Module, inputs: Sequence[Sequence[float]] | np.ndarray, targets: Sequence[Any] | np.ndarray,
                  indices: Sequence[int], loss_fn: Callable[[Any, Any], Value], optimizer: Optimizer,
                  check_finite: bool = False) -> float:
    """One step: the batch cost (1/m) Σ_k C_k over the samples ``indices`` as one graph,
    ``zero_grad()``, one backward pass (which adds into the grads), one optimizer step. Returns
    the batch cost (a float, before the update)."""
    cost = _gradient(model, inputs, targets, indices, loss_fn, optimizer, check_finite)
    optimizer.step()
    return cost


def _gradient(model, inputs, targets, indices, loss_fn, optimizer, check_finite):
    """The batch cost as a float, its gradient left in the parameters' grads (no update yet)."""
    if len(indices) == 1:
        k = indices[0]
        cost = _checked(loss_fn(model(inputs[k]), targets[k]), loss_fn)
    else:
        cost = losses.mean([_checked(loss_fn(model(inputs[k]), targets[k]), loss_fn) for k in indices])
    optimizer.zero_grad()
    cost.backward(check_finite=check_finite)
    return cost.data


def full_cost(model: Module, inputs: Sequence[Sequence[float]] | np.ndarray, targets: Sequence[Any] | np.ndarray,
              loss_fn: Callable[[Any, Any], Value]) -> float:
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




class TrainingDiverged(ArithmeticError):
    """Training met a NaN or an infinity and stopped. ``step`` is the step at which it happened,
    ``what`` what went non-finite, ``history`` the costs recorded until then."""

    def __init__(self, message: str, step: int, what: str, history: History) -> None:
        super().__init__(message)
        self.step, self.what, self.history = step, what, history


def _parameter_names(model, params):
    """{id(Value): a short name} for messages: the model's names, else labels, else positions."""
    names = {}
    try:
        named = model.named_parameters()
    except Exception:  # noqa: BLE001 (a model of the user's own: fall back to labels)
        named = []
    for name, v in named:
        names.setdefault(id(v), str(name))
    for i, v in enumerate(params, 1):
        names.setdefault(id(v), v.label if isinstance(v.label, str) else f"parameter {i}")
    return {k: (n if len(n) <= 40 else n[:37] + "...") for k, n in names.items()}


class _Guard:
    """Stops training at the first NaN or infinity in a batch cost, a gradient, a new parameter
    value or the optimizer's new state, before any of it is written; or in a recorded cost."""

    def __init__(self, model, optimizer, steps, history):
        self.optimizer, self.steps, self.history = optimizer, steps, history
        self.names = _parameter_names(model, optimizer.params)
        # our optimizers compute a whole step before writing it; one with its own step() cannot
        self.staged = type(optimizer).step is Optimizer.step

    def update(self, t, cost):
        """The optimizer's step after a gradient with batch cost ``cost``, unless something in it
        is not finite: then nothing is written and TrainingDiverged is raised."""
        opt = self.optimizer
        if not math.isfinite(cost):
            raise self.error(t, f"the batch cost is {cost!r}", kept=t - 1)
        if self.staged:
            update = opt._propose()
            values, state = update
            if all(map(math.isfinite, values)) and all(_finite_state(x) for x in state.values()):
                opt._commit(update)
                return
            raise self.error(t, self.diagnose(values, state), kept=t - 1)
        before = [(p, p.data) for p in opt.params]
        opt.step()
        if all(math.isfinite(p.data) for p in opt.params):
            return
        what = self.diagnose([p.data for p in opt.params], {})
        assign(before)  # the parameters as they were; the optimizer's own state cannot be undone
        raise self.error(t, what, kept=t - 1, note=f" ({type(opt).__name__}'s own state is not rolled back)")

    def diagnose(self, values, state):
        """What went non-finite first: a gradient, else a new value, else the optimizer's state."""
        params = self.optimizer.params
        for p in params:
            if not math.isfinite(p.grad):
                return f"the gradient with respect to {self.names[id(p)]} is {p.grad!r}"
        for p, x in zip(params, values):
            if not math.isfinite(x):
                return f"the update would make {self.names[id(p)]} {x!r} (it was {p.data!r})"
        for key, x in state.items():
            if isinstance(x, list):
                for p, s in zip(params, x):
                    if not math.isfinite(s):
                        return f"the optimizer's {key} for {self.names[id(p)]} would become {s!r}"
        return "the optimizer's state would become non-finite"

    def error(self, t, what, kept, note=""):
        lr = getattr(self.optimizer, "lr", None)
        where = "the cost of the initial network" if t == 0 else f"step {t} of {self.steps}"
        if kept == 0:
            left = "the parameters are left as they were at the start"
        else:
            left = f"the parameters are left as they were after step {kept}, the last good one"
        if t == 0:
            hint = "check the starting parameters and the data"
        else:
            hint = ("a learning rate that is too large makes training diverge: try a smaller one"
                    + (f" (lr is {lr:g})" if isinstance(lr, float) else ""))
        message = (f"training stopped at {where}: {what}; {left}{note}. {hint[0].upper() + hint[1:]}, "
                   f"or pass on_nonfinite='ignore' to carry on regardless")
        return TrainingDiverged(message, t, what, self.history)


def _finite_state(x):
    if isinstance(x, list):
        return all(map(math.isfinite, x))
    return not isinstance(x, float) or math.isfinite(x)


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


def train(model: Module, X: ArrayLike, Y: ArrayLike, *, loss: str | Callable[[Any, Any], Value] = "quadratic",
          optimizer: Optimizer | None = None, lr: float = 0.05, scheme: str = "approach2", batch_size: int = 1,
          steps: int = 1000, seed: Seed = 0, record_every: int = 100, progress: bool | None = None,
          compiled: bool = False, check_finite: bool = False, on_nonfinite: str = "raise") -> History:
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
    * ``on_nonfinite``: "raise" (the default) stops training at the first NaN or infinity, in a
      batch cost, a gradient, a parameter's new value, the optimizer's new state or a recorded cost,
      with ``TrainingDiverged`` saying at which step and what, and the parameters (and the state
      of nn's optimizers) left as they were at the end of the last good step: the step that went
      wrong is not written. Its ``history`` holds the costs recorded until then. "ignore" carries
      on whatever happens (the numbers then usually end as NaN);
    * ``check_finite``: the anomaly mode of ``Value.backward``: stop with ``engine.NonFiniteError``
      naming the first node whose value or gradient became NaN or infinite (eager steps only;
      before the step is written, so the parameters are also those of the last good step);
    * ``compiled``: record the step's graph once and run it as generated code (``nn.compiled``):
      the same parameters and costs bit for bit, tens of times faster. The parameters' ``.grad``
      are then not filled in (no Value graph is built). The recorded graph is checked against
      the graph the eager engine builds for every sample (in the pass that computes the initial
      cost): a model or loss whose graph depends on the data is refused with an error; dropout
      masks become inputs of the graph, drawn at every step as eager training draws them. A loss
      that needs its targets as plain numbers ("softmax_ce") is refused.
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
                        f"nn.Adam(model), got {describe(optimizer)}")
    if on_nonfinite not in ON_NONFINITE:
        raise ValueError(f"on_nonfinite must be 'raise' or 'ignore', got {describe(on_nonfinite)}")
    scheme = canonical(scheme)
    batches = schedule(scheme, len(inputs), batch_size, rng=generator(seed))

    history = History(loss=loss if isinstance(loss, str) else getattr(loss, "__name__", "custom"),
                      scheme=scheme, seed=seed)
    if compiled and check_finite:
        raise ValueError("check_finite names the first node of the eager graph that goes non-finite, so it "
                         "needs compiled=False; compiled training already stops at the first non-finite "
                         "cost, gradient or parameter (on_nonfinite='raise', the default)")
    guard = _Guard(model, optimizer, steps, history) if on_nonfinite == "raise" else None
    start = time.perf_counter()
    # The cost of the initial network, eagerly, sample by sample: the loss checks every target
    # (and its own result) here, once, before the eager and compiled paths part ways. In compiled
    # mode the same pass compares each sample's graph with the recorded one.
    runner = refused = None
    if compiled:
        from .compiled import CompiledLoss, RecordingError
        try:
            runner = CompiledLoss(model, loss_fn, inputs, targets,
                                  len(inputs) if scheme == "full" else batch_size)
        except RecordingError as err:
            refused = err  # raised after the eager pass: a refusal of the data comes first
    if runner is not None:
        initial = runner.check(inputs, targets, lambda x, y: _checked(loss_fn(model(x), y), loss_fn))
    else:
        initial = full_cost(model, inputs, targets, loss_fn)
    if refused is not None:
        raise refused
    history.steps.append(0)
    history.costs.append(initial)
    if guard is not None and not math.isfinite(initial):
        raise guard.error(0, f"the cost is {initial!r}", kept=0)
    if compiled:
        return _train_compiled(runner, model, optimizer, scheme, steps, batches, record_every, progress,
                               history, start, guard)
    bar = _progress_bar(progress, steps)
    tick = max(1, steps // 200)  # progress bar updates: at most ~200, not one per step
    try:
        for t in range(1, steps + 1):
            cost = _gradient(model, inputs, targets, next(batches), loss_fn, optimizer, check_finite)
            if guard is None:
                optimizer.step()
            else:
                guard.update(t, cost)
            if t % record_every == 0 or t == steps:
                history.steps.append(t)
                history.costs.append(full_cost(model, inputs, targets, loss_fn))
                _check_record(guard, history, t)
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


def _check_record(guard, history, t):
    cost = history.costs[-1]
    if guard is not None and not math.isfinite(cost):
        raise guard.error(t, f"the cost over the whole data set is {cost!r}", kept=t)


_ROWS = 4096  # steps of a fused run whose rows (with their dropout masks) are built at once


def _train_compiled(runner, model, optimizer, scheme, steps, batches, record_every, progress, history,
                    start, guard):
    """``train``'s loop over compiled code (see ``nn.compiled``): same schedule, same numbers.

    Plain SGD runs on a list ``p`` of the parameters' numbers, written back to the model at the
    end (all at once, even after Ctrl-C or an error); other optimizers update the Values
    themselves from the compiled gradient."""
    params = runner.params
    fused = runner.fused_sgd(optimizer)
    p = [v.data for v in params]
    bar = _progress_bar(progress, steps)
    names = _parameter_names(model, params) if guard is not None else None
    try:
        t = 0
        while t < steps:
            chunk = min(record_every - t % record_every, steps - t)
            stretch = []  # this chunk's fused runs: (rows, order, parameters before), to replay
            done = 0
            while done < chunk:
                if fused and runner.single:  # a stretch of single-sample steps in one generated loop
                    n = min(chunk - done, _ROWS)
                    if runner.calls:  # dropout: each step's row carries its fresh masks
                        rows, order = [runner.row(next(batches)[0]) for _ in range(n)], range(n)
                    else:
                        rows, order = runner.rows, [next(batches)[0] for _ in range(n)]
                    stretch.append((rows, order, p[:] if guard is not None else None))
                    last = runner.graph.sgd_run(rows, order, p, optimizer.lr)
                    if guard is not None and not (math.isfinite(last) and all(map(math.isfinite, p))):
                        _replay(runner, stretch[-1:], p, optimizer.lr, guard, t + done, names)
                    done += n
                    continue
                indices = next(batches)
                done += 1
                if fused:
                    _fused_step(runner, runner.batch_row(indices), len(indices), p, optimizer.lr, guard,
                                t + done, names)
                else:
                    graph = runner.graph_for(len(indices))
                    value, grads = graph.gradient(runner.batch_row(indices), [v.data for v in params])
                    for v, g in zip(params, grads):
                        v.grad = 0.0 + g  # as zero_grad() then backward(): 0.0 + g
                    if guard is None:
                        optimizer.step()
                    else:
                        guard.update(t + done, value)
            if not fused:
                p = [v.data for v in params]
            cost = runner.full_cost(p)
            if guard is not None and stretch and not math.isfinite(cost):
                # the fused loop reports no cost per step: replay it step by step, to stop where
                # the eager loop stops if a batch cost went non-finite on the way
                _replay(runner, stretch, p, optimizer.lr, guard, t, names)
            t += chunk
            history.steps.append(t)
            history.costs.append(cost)
            _check_record(guard, history, t)
            if bar is not None:
                bar.set_postfix(cost=f"{history.costs[-1]:.4g}", refresh=False)
                bar.update(chunk)
    finally:
        if bar is not None:
            bar.close()
        if fused:  # the model holds the trained numbers, even after ^C, all or none of them
            assign(list(zip(params, p)))
        history.seconds = time.perf_counter() - start
    return history


def _replay(runner, stretch, p, lr, guard, t0, names):
    """Run the fused stretches again one generated step at a time (the same bits) from the
    parameters before the first, checking each step: raises at the first step that goes wrong,
    with the parameters as they were before it; returns with ``p`` as the fused run left it."""
    p[:] = stretch[0][2]
    t = t0
    for rows, order, _ in stretch:
        for k in order:
            t += 1
            _fused_step(runner, rows[k], 1, p, lr, guard, t, names)


def _fused_step(runner, row, m, p, lr, guard, t, names):
    """One generated SGD step on the batch ``row`` of m samples; with a guard, undone and reported
    if its cost or any new parameter is not finite."""
    graph = runner.graph_for(m)
    if guard is None:
        graph.sgd_step(row, p, lr)
        return
    before = p[:]
    value = graph.sgd_step(row, p, lr)
    if math.isfinite(value) and all(map(math.isfinite, p)):
        return
    p_new = p[:]
    p[:] = before
    if not math.isfinite(value):
        what = f"the batch cost is {value!r}"
    else:
        _, grads = graph.gradient(row, before)
        what = next((f"the gradient with respect to {names[id(v)]} is {g!r}"
                     for v, g in zip(runner.params, grads) if not math.isfinite(g)), None)
        if what is None:
            what = next((f"the update would make {names[id(v)]} {x!r} (it was {b!r})"
                         for v, x, b in zip(runner.params, p_new, before) if not math.isfinite(x)),
                        "a parameter would become non-finite")
    raise guard.error(t, what, kept=t - 1)
