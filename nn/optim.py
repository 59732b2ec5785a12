"""Optimizers that update parameter Values in place from their ``.grad``: SGD and Adam.

The update formulas are PyTorch's (torch.optim.SGD and torch.optim.Adam, without amsgrad), written
out for scalars so that a step can be checked by hand. ``params`` is a Module or an iterable of
Values; the list is fixed when the optimizer is made. ``lr`` and the other settings are plain
attributes and may be changed between steps (a learning-rate schedule).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from engine import Value

from .atomic import set_all, set_each
from .checks import brief, describe
from .module import Module


def _param_list(params):
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Value):
        raise TypeError("give the optimizer a list of Values (or a Module), not a single Value")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"params must be a Module or an iterable of Values, got "
                        f"{type(params).__name__}") from None
    if not params:
        raise ValueError("the optimizer got no parameters to optimise (an empty list)")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"params[{i}] is {type(p).__name__} {brief(p)}, not a Value")
    if len({id(p) for p in params}) != len(params):
        raise ValueError("a parameter appears more than once: it would be updated twice per step")
    return params


def _number(x, name, low=0.0, high=math.inf, high_open=False, low_open=False, why=""):
    """``x`` as a float if it is a finite real number in the interval; otherwise an error naming
    ``name``, the interval and ``why`` a value outside it cannot work."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(x)}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    if not ((low < x if low_open else low <= x) and (x < high if high_open else x <= high)):
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {x!r}{why}")
    return x


class Optimizer:
    """Base class. A step is all or nothing: ``step()`` computes every new parameter value and the
    new optimizer state first, changing nothing, then writes them all with Ctrl-C held back
    (``nn.atomic``), so an interrupt leaves the parameters and the state either wholly before the
    step or wholly after it. A subclass writes ``_propose()`` (returning the new values and the new
    state) and inherits ``step()``; one that writes its own ``step()`` works too, without that
    guarantee."""

    def __init__(self, params: Module | Iterable[Value], lr: float) -> None:
        self.params = _param_list(params)
        self.lr = _number(lr, "lr")

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0: ``backward()`` adds into them, so call this before each step."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """One update of every parameter from its ``.grad``, all or nothing."""
        self._commit(self._propose())

    def _propose(self):
        """(new values of ``params`` in order, {attribute: new value} of the optimizer's state),
        computed from the current values and grads without changing anything."""
        raise NotImplementedError

    def _commit(self, update):
        """Write a proposed step: the parameters and the optimizer's state in one C call, which
        Ctrl-C cannot cut half way (nn/atomic.py)."""
        values, state = update
        if not state:  # the parameters alone (plain SGD, every step): no lists to join
            set_all(self.params, "data", values)
            return
        set_each(self.params + [self] * len(state), ["data"] * len(self.params) + list(state),
                 list(values) + list(state.values()))


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's formulas. Per parameter p with gradient g:

        g ← g + weight_decay · p                       (if weight_decay ≠ 0)
        buf ← g at the first step, then momentum · buf + (1 − dampening) · g   (if momentum ≠ 0)
        g ← g + momentum · buf  (nesterov)   or   g ← buf   (otherwise)
        p ← p − lr · g

    With the defaults this is the paper's update p ← p − η ∇C (Higham & Higham eq. 4.7).
    """

    def __init__(self, params: Module | Iterable[Value], lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, dampening: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _number(momentum, "momentum", high=1.0, high_open=True,
                                why=": at 1 or more the momentum buffer never forgets a gradient and grows "
                                    "without bound")
        self.weight_decay = _number(weight_decay, "weight_decay")
        self.dampening = _number(dampening, "dampening", high=1.0)
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be True or False, got {type(nesterov).__name__} {brief(nesterov)}")
        self.nesterov = nesterov
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        self.buffers: list[float] | None = None  # momentum buffers, made at the first step

    def _propose(self):
        lr = self.lr
        if self.momentum == 0.0 and self.weight_decay == 0.0:  # the plain update, kept lean
            return [p.data - lr * p.grad for p in self.params], {}
        wd, mu, damp, nesterov = self.weight_decay, self.momentum, self.dampening, self.nesterov
        grads = [p.grad + wd * p.data if wd else p.grad for p in self.params]
        state = {}
        if mu:
            if self.buffers is None:
                buffers = list(grads)
            else:
                buffers = [mu * buf + (1.0 - damp) * g for buf, g in zip(self.buffers, grads)]
            state["buffers"] = buffers
            grads = [g + mu * buf for g, buf in zip(grads, buffers)] if nesterov else buffers
        return [p.data - lr * g for p, g in zip(self.params, grads)], state

    def __repr__(self):
        return (f"SGD({len(self.params)} parameters, lr={self.lr}, momentum={self.momentum}, "
                f"nesterov={self.nesterov}, weight_decay={self.weight_decay})")


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's formulas. At step t, per parameter p with gradient g:

        g ← g + weight_decay · p          (L2 on the gradient, as torch.optim.Adam; not AdamW)
        m ← β1 m + (1 − β1) g
        v ← β2 v + (1 − β2) g²
        p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)

    m and v start at 0.
    """

    def __init__(self, params: Module | Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise TypeError(f"betas must be a pair (beta1, beta2), got {brief(betas)}") from None
        why = ": the bias correction divides by 1 - beta**t, which is 0 for beta = 1"
        self.betas = (_number(beta1, "beta1", high=1.0, high_open=True, why=why),
                      _number(beta2, "beta2", high=1.0, high_open=True, why=why))
        self.eps = _number(eps, "eps", low_open=True,
                           why=": the update divides by sqrt(v) + eps, and v is 0 at a zero gradient")
        self.weight_decay = _number(weight_decay, "weight_decay")
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _propose(self):
        t = self.t + 1
        beta1, beta2 = self.betas
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        step_size = lr / (1.0 - beta1 ** t)
        root_correction = math.sqrt(1.0 - beta2 ** t)
        m, v, values = [], [], []
        for p, mi, vi in zip(self.params, self.m, self.v):
            g = p.grad + wd * p.data if wd else p.grad
            mi = beta1 * mi + (1.0 - beta1) * g
            vi = beta2 * vi + (1.0 - beta2) * g * g
            m.append(mi)
            v.append(vi)
            values.append(p.data - step_size * (mi / (math.sqrt(vi) / root_correction + eps)))
        return values, {"t": t, "m": m, "v": v}

    def __repr__(self):
        return (f"Adam({len(self.params)} parameters, lr={self.lr}, betas={self.betas}, "
                f"eps={self.eps}, weight_decay={self.weight_decay})")
