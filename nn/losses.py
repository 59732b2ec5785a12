"""Loss functions built from engine operations, so that ``loss.backward()`` differentiates them.

Conventions, for every function here:

* a prediction is a Value or a list of Values, a target a number or a list of numbers (a NumPy
  array works) or of Values (leaves standing for data, as ``engine.compile`` records them); the
  result is one Value;
* mismatched lengths raise ValueError naming both lengths; a target that is not a real number
  raises TypeError;
* "mean" means the average over the entries given, so the size of a batch does not change the
  scale of the gradient;
* the graph of a loss never depends on the numbers (no branches on data), so a graph recorded
  once stays valid for any data, as compiled code needs. The only data-dependent quantity is the
  max shift of ``softmax_cross_entropy``, a plain constant that cancels exactly in exact arithmetic
  (and its target index picks a logit); ``softmax_log_loss`` computes its shift with the engine's
  ``max``, in the graph, and takes a one-hot target, so it compiles.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, Union

import numpy as np

from engine import Value, affine
from engine import max as vmax
from engine.core.value import Operand

from .checks import brief
from .module import Module

# Probabilities are squeezed into [_EPS, 1 - _EPS] before their logarithm is taken.
_EPS = 1e-12

# what the losses take, as the conventions above say: a prediction is one Value or a list of them; a
# target a number, a list of numbers (or of leaf Values standing for them) or a NumPy array
Prediction = Union[Value, Sequence[Value]]
Target = Union[Operand, Sequence[Operand], np.ndarray]


# ---------------------------------------------------------------------------- helpers

def _values(pred, what="predictions") -> list[Value]:
    """A prediction as a list of Values (a single Value becomes a list of one)."""
    if isinstance(pred, Value):
        return [pred]
    if isinstance(pred, (str, bytes)) or not hasattr(pred, "__len__"):
        raise TypeError(f"{what} must be a Value or a list of Values, got {type(pred).__name__}")
    for i, p in enumerate(pred):
        if not isinstance(p, Value):
            raise TypeError(f"{what}[{i}] must be a Value, got {type(p).__name__} {brief(p)}")
    return list(pred)


def _numbers(target, n, what="targets", pred_what="predictions") -> list[Any]:  # floats and Values
    """A target as a list of n floats (a single number when n == 1 is fine)."""
    if (isinstance(target, numbers.Real) and not isinstance(target, bool)) or target.__class__ is Value:
        target = [target]
    elif isinstance(target, (str, bytes)) or not hasattr(target, "__len__"):
        raise TypeError(f"{what} must be a number or a list of numbers, got {type(target).__name__}")
    if len(target) != n:
        raise ValueError(f"{n} {pred_what} but {len(target)} {what}: the lengths must match")
    out: list[Any] = []
    for i, t in enumerate(target):
        if t.__class__ is Value:  # a target recorded as a leaf, e.g. an input of engine.compile
            out.append(t)
            continue
        if isinstance(t, bool) or not isinstance(t, numbers.Real):
            raise TypeError(f"{what}[{i}] must be a real number, got {type(t).__name__} {brief(t)}")
        out.append(float(t))
    return out


def total(terms):
    """t_1 + t_2 + ... + t_n as a chain of additions (left to right)."""
    it = iter(terms)
    acc = next(it, None)
    if acc is None:
        raise ValueError("nothing to add up: give at least one prediction")
    for t in it:
        acc = acc + t
    return acc


def mean(terms):
    """(1/n) Σ t_i; a single term is returned as it is (multiplying by 1 would change nothing)."""
    terms = list(terms)
    if not terms:
        raise ValueError("the mean of no terms is undefined: give at least one prediction")
    if len(terms) == 1:
        return terms[0]
    return total(terms) * (1.0 / len(terms))


def _labelled(v, label):
    v.label = label
    return v


# ---------------------------------------------------------------------------- the paper's cost

def half_squared_error(a: Prediction, y: Target) -> Value:
    """C = ½‖y − a‖² = ½ Σ_k (y_k − a_k)²: the cost of one sample, Higham & Higham eq. (5.1).

    ``a`` is the network's output (a Value or a list of Values), ``y`` the target."""
    if type(a) is list and type(y) is list and len(a) == len(y):  # type(), not __class__: mypy narrows on it
        # the common case in a training loop, checked as it goes: Values against floats
        squares = []
        for ak, yk in zip(a, y):
            if ak.__class__ is not Value or yk.__class__ is not float:
                break
            d = yk - ak
            squares.append(d * d)  # a product, not ** 2: no call to pow, the same derivative 2d
        else:
            if squares:
                return _labelled(0.5 * total(squares), "C")
    a = _values(a, "outputs")
    y = _numbers(y, len(a), "targets", "outputs")
    squares = [d * d for d in (yk - ak for ak, yk in zip(a, y))]
    return _labelled(0.5 * total(squares), "C")


def quadratic_cost(outputs: Sequence[Prediction], targets: Sequence[Target] | np.ndarray) -> Value:
    """Cost = (1/N) Σ_i ½‖y_i − a_i‖²: the paper's cost over N samples, eq. (2.6).

    ``outputs`` holds one output per sample (a list of Values, or a Value for a network with one
    output); ``targets`` one target per sample (an (N, k) array, or (N,) for one output)."""
    if isinstance(outputs, Value) or not hasattr(outputs, "__len__"):
        raise TypeError("quadratic_cost takes a list of outputs, one per sample; "
                        "for one sample use half_squared_error")
    if len(outputs) != len(targets):
        raise ValueError(f"{len(outputs)} outputs but {len(targets)} targets: the lengths must match")
    return _labelled(mean([half_squared_error(a, y) for a, y in zip(outputs, targets)]), "Cost")


# ---------------------------------------------------------------------------- regression

def _flatten(pred):
    """Predictions of several samples (a list of lists of Values) as one flat list."""
    if isinstance(pred, Value):
        return [pred]
    flat = []
    for p in pred:
        flat.extend(_values(p) if not isinstance(p, Value) else [p])
    return flat


def _flatten_targets(target):
    if isinstance(target, numbers.Real) or not hasattr(target, "__len__"):
        return target
    flat = []
    for t in target:
        if hasattr(t, "__len__") and not isinstance(t, (str, bytes)):
            flat.extend(t)
        else:
            flat.append(t)
    return flat


def mse(pred: Prediction | Sequence[Sequence[Value]], target: Target | Sequence[Sequence[Operand]]) -> Value:
    """Mean squared error (1/n) Σ (y − ŷ)² over all entries (no ½, unlike the paper's cost).

    ``pred`` is a Value, a list of Values, or a list of such lists (one per sample), and
    ``target`` has the same shape; every entry counts once."""
    p = _flatten(pred)
    y = _numbers(_flatten_targets(target), len(p))
    return _labelled(mean([d * d for d in (yk - pk for pk, yk in zip(p, y))]), "MSE")


# ---------------------------------------------------------------------------- classification

def _check_probability_targets(y):
    for i, t in enumerate(y):
        if not 0.0 <= (t.data if t.__class__ is Value else t) <= 1.0:
            raise ValueError(f"binary cross entropy: targets must lie in [0, 1], target {i} is {brief(t)}")


def binary_cross_entropy(p: Prediction, y: Target, eps: float = _EPS) -> Value:
    """−(1/n) Σ [y log p + (1 − y) log(1 − p)] from probabilities p (mean over samples).

    Each p must lie in [0, 1]. It is squeezed to p' = ε + (1 − 2ε) p with ε = ``eps`` (1e-12)
    before the logarithms, so a saturated sigmoid (p = 0 or 1 exactly) gives a large finite loss,
    at most −log ε ≈ 27.6, and a nonzero gradient, instead of log 0. The squeeze changes the loss
    by about ε/p: invisible in float64 for p away from 0 and 1. ``eps=0`` gives the exact formula.
    For a network whose last node would be a sigmoid, use ``binary_cross_entropy_with_logits``
    on the logit instead: it is exact and stable everywhere."""
    p = _values(p, "probabilities")
    y = _numbers(y, len(p), "targets", "probabilities")
    _check_probability_targets(y)
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be a real number, got {type(eps).__name__} {brief(eps)}")
    if not 0.0 <= eps < 0.5:  # NaN fails too
        raise ValueError(f"eps must lie in [0, 0.5), got {eps!r}")
    terms = []
    for i, (pi, yi) in enumerate(zip(p, y)):
        if not 0.0 <= pi.data <= 1.0:
            raise ValueError(f"binary_cross_entropy takes probabilities in [0, 1]; prediction {i} "
                             f"is {pi.data!r} (for a logit use binary_cross_entropy_with_logits)")
        q = eps + (1.0 - 2.0 * eps) * pi if eps else pi
        terms.append(-(yi * q.log() + (1.0 - yi) * (1.0 - q).log()))
    return _labelled(mean(terms), "BCE")


def binary_cross_entropy_with_logits(z: Prediction, y: Target) -> Value:
    """(1/n) Σ [softplus(z) − y z]: binary cross entropy of p = σ(z), from the logit z.

    The same number as ``binary_cross_entropy(sigmoid(z), y)`` (since −log σ(z) = softplus(−z)
    and −log(1 − σ(z)) = softplus(z)), but exact and finite for every z: softplus never overflows
    and nothing is squeezed. Its gradient is σ(z) − y per sample (divided by n)."""
    z = _values(z, "logits")
    y = _numbers(y, len(z), "targets", "logits")
    _check_probability_targets(y)
    return _labelled(mean([zi.softplus() - yi * zi for zi, yi in zip(z, y)]), "BCE")


def _class_index(t, k, i=None):
    where = "target_index" if i is None else f"target_index[{i}]"
    if isinstance(t, bool) or not isinstance(t, numbers.Integral):
        raise TypeError(f"{where} must be an integer class index, got {type(t).__name__} {brief(t)}")
    if not 0 <= t < k:
        raise ValueError(f"{where} is {t} but there are {k} classes (indices 0 to {k - 1})")
    return int(t)


def _softmax_ce_one(logits, t):
    for i, v in enumerate(logits):  # max() skips a NaN after the first entry: test each one
        if not math.isfinite(v.data):
            raise ValueError(f"softmax_cross_entropy: the logits must be finite, logit {i} is {v.data!r}")
    shift = max(v.data for v in logits)  # a plain number: exp never overflows, cancels exactly
    log_sum = total([(v - shift).exp() for v in logits]).log()
    return log_sum - (logits[t] - shift)


def softmax_cross_entropy(logits: Sequence[Value] | Sequence[Sequence[Value]],
                          target_index: int | Sequence[int] | np.ndarray) -> Value:
    """−log softmax(z)_t = log Σ_k e^(z_k − m) − (z_t − m), with m = max_k z_k.

    ``logits`` is a list of Values (one sample) and ``target_index`` the 0-based index of the true
    class; or a list of such lists with a list of indices, giving the mean over samples. The shift
    by m (a plain float, no gradient) keeps every exponent ≤ 0, so nothing overflows; because it
    cancels, the gradient is exactly softmax(z) − onehot(t)."""
    if isinstance(logits, Value):
        raise TypeError("softmax_cross_entropy takes a list of logits (one per class), not one Value")
    if len(logits) and not isinstance(logits[0], Value) and hasattr(logits[0], "__len__"):
        # int too, for mypy: to it an int is never a numbers.Integral, so that check alone narrows nothing
        if isinstance(target_index, (int, numbers.Integral)) or not hasattr(target_index, "__len__"):
            raise TypeError("for a batch of logits give one target index per sample")
        if len(logits) != len(target_index):
            raise ValueError(f"{len(logits)} samples of logits but {len(target_index)} target indices")
        terms = []
        for i, (z, t) in enumerate(zip(logits, target_index)):
            z = _values(z, f"logits[{i}]")
            terms.append(_softmax_ce_one(z, _class_index(t, len(z), i)))
        return _labelled(mean(terms), "CE")
    z = _values(logits, "logits")
    if not z:
        raise ValueError("softmax_cross_entropy needs at least one logit")
    return _labelled(_softmax_ce_one(z, _class_index(target_index, len(z))), "CE")


def softmax_log_loss(logits: Sequence[Value], y: Sequence[Operand] | np.ndarray) -> Value:
    """The log loss of the softmax, Higham & Higham (7.4): −Σ_k y_k log softmax(z)_k, one sample.

    ``logits`` z is a list of Values; ``y`` the one-hot vector of the true class (numbers, or leaf
    Values standing for it in a compiled graph), so the loss is −log softmax(z)_t. It is computed as

        log Σ_k e^(z_k − m) − Σ_k y_k (z_k − m),    m = max(z_1, ..., z_K),

    with m a node of the graph (the engine's ``max``): every exponent is ≤ 0, so nothing overflows,
    and no branch depends on the logits or the target, so a graph recorded once compiles and serves
    every sample. Its gradient is softmax(z) − y when Σ y = 1 (the path through m cancels: exactly
    in exact arithmetic, to rounding in floats).

    The second term is built as m Σ_k y_k − Σ_k y_k z_k, one ``affine`` node over the logits
    themselves, not over the shifted z_k − m: for logits far apart (1e308 and −1e308) z_k − m
    overflows to −inf, and a zero target entry times −inf is NaN where the term is 0. With a
    one-hot y the node is m − z_t, rounded once, as PyTorch's cross entropy with a class index.
    Every finite logit gives PyTorch's number (0, inf or in between); an infinite logit gives
    what PyTorch gives with probability targets (NaN where a zero entry meets it)."""
    z = _values(logits, "logits")
    if not z:
        raise ValueError("softmax_log_loss needs at least one logit")
    y = _numbers(y, len(z), "one-hot targets", "logits")
    for k, t in enumerate(y):
        if not 0.0 <= (t.data if t.__class__ is Value else t) <= 1.0:
            raise ValueError(f"softmax_log_loss: a one-hot target has entries in [0, 1], entry {k} is {brief(t)}")
    m = vmax(*z) if len(z) > 1 else z[0]
    log_sum = total([(zk - m).exp() for zk in z]).log()
    weights = [total(y)] + [-t for t in y]  # Σ y: a number, or a node when y are leaves
    return _labelled(log_sum + affine(weights, [m] + z), "C")


def hinge_loss(scores: Prediction, labels: Target) -> Value:
    """(1/n) Σ max(0, 1 − y_i s_i) with labels y_i = ±1: the max-margin loss of micrograd's demo.

    ``scores`` is a Value or a list of Values (one score per sample)."""
    s = _values(scores, "scores")
    y = _numbers(labels, len(s), "labels", "scores")
    for i, yi in enumerate(y):
        if (yi.data if yi.__class__ is Value else yi) not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: labels must be -1 or +1, label {i} is {brief(yi)}")
    return _labelled(mean([(1.0 - yi * si).relu() for si, yi in zip(s, y)]), "hinge")


# ---------------------------------------------------------------------------- regularisation

def _weights(module_or_params):
    """The Values that weight decay / an L2 penalty acts on: the weights, never the biases."""
    if hasattr(module_or_params, "named_parameters"):
        return [p for name, p in module_or_params.named_parameters() if name.startswith("W")]
    out = []
    for item in module_or_params:
        if isinstance(item, tuple) and len(item) == 2:  # (name, Value) pairs
            name, p = item
            if name.startswith("W"):
                out.append(p)
        elif isinstance(item, Value):
            if not (item.label or "").startswith("b["):
                out.append(item)
        else:
            raise TypeError(f"l2_penalty takes a Module, Values or (name, Value) pairs, got "
                            f"{type(item).__name__} {brief(item)}")
    return out


def l2_penalty(module_or_params: Module | Iterable[Value] | Iterable[tuple[str, Value]], alpha: float) -> Value:
    """alpha Σ w² over the weights (Goodfellow et al. §7.1: biases are not penalised).

    From a Module: the parameters whose names start with "W". From a list of Values: every Value
    except those labelled as biases ("b[..."), so ``mlp.parameters()`` also gives weights only.
    From (name, Value) pairs: the names starting with "W". Its gradient is 2 alpha w."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a real number, got {type(alpha).__name__} {brief(alpha)}")
    if not alpha >= 0 or not math.isfinite(alpha):  # NaN fails the first test
        raise ValueError(f"alpha must be >= 0 and finite, got {alpha!r}")
    w = _weights(module_or_params)
    if not w:
        raise ValueError("l2_penalty found no weights to penalise")
    # Σ w·w as one node: affine(w, w) = 0 + Σ w_k w_k (each w is both a weight and an input)
    return _labelled(float(alpha) * affine(w, w), "L2")
