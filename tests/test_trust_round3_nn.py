"""Trust, third round (issue 25), the parts in nn/ and demos/: a NaN loss at extreme logits, training
that diverges or changes its graph without a word, saves over FIFOs, half-done optimizer steps,
architectures loaded into the wrong module, and messages that are unclear or unbounded."""

import decimal
import math
import struct

import numpy as np
import pytest

import engine
import nn
from engine import Value


def bits(xs):
    return [struct.pack("<d", x) for x in xs]


# ---------------------------------------------------------------------------- 2. softmax log loss

BIG = 1.7976931348623157e308
POOL = [0.0, -0.0, 1.0, -1.0, 5e-324, 1e-300, 700.0, -700.0, 745.5, -745.5, 1e10, 1e10 + 1.0,
        1e300, -1e300, 1e308, -1e308, BIG, -BIG, 3.5, -2.25]


def exact_log_loss(z, t):
    """−log softmax(z)_t = log Σ_k e^(z_k − z_t) in 80-digit decimal arithmetic (no overflow: the
    largest difference is taken out first), rounded once to a float (inf beyond float64)."""
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.Emax, ctx.Emin = 80, 10**9, -10**9
        d = [decimal.Decimal(zk) - decimal.Decimal(z[t]) for zk in z]
        top = max(d)
        value = top + sum((dk - top).exp() for dk in d).ln()
        return float(value) if abs(value) < decimal.Decimal(BIG) * 2 else math.inf


def exact_gradient(z, t):
    """softmax(z) − onehot(t), each entry in 80-digit decimal arithmetic, rounded once."""
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.Emax, ctx.Emin = 80, 10**9, -10**9
        top = max(decimal.Decimal(zk) for zk in z)
        e = [(decimal.Decimal(zk) - top).exp() for zk in z]
        s = sum(e)
        return [float(ek / s - (1 if k == t else 0)) for k, ek in enumerate(e)]


def extreme_cases(n=400, seed=25):
    rng = np.random.default_rng(seed)
    cases = [([1e308, -1e308], 0), ([-1e308, 1e308], 0), ([BIG, -BIG, 0.0], 2), ([1e308, 1e308], 1),
             ([-BIG, -BIG], 0), ([0.0, 5e-324], 1)]
    for _ in range(n):
        k = int(rng.integers(2, 6))
        cases.append(([float(POOL[i]) for i in rng.integers(0, len(POOL), k)], int(rng.integers(0, k))))
    return cases


_COMPILED = {}


def compiled_log_loss(k):
    """The loss recorded once on leaves for k logits and k target entries, compiled."""
    if k not in _COMPILED:
        z, y = [Value(0.0) for _ in range(k)], [Value(0.0) for _ in range(k)]
        _COMPILED[k] = engine.compile(nn.softmax_log_loss(z, y), z + y, input_grads=True)
    return _COMPILED[k]


def eager(z, t):
    zs = [Value(v) for v in z]
    loss = nn.softmax_log_loss(zs, [float(k == t) for k in range(len(z))])
    loss.backward()
    return loss.data, [v.grad for v in zs]


def test_the_issues_example_is_zero_with_zero_gradient():
    value, grads = eager([1e308, -1e308], 0)
    assert value == 0.0 and grads == [0.0, 0.0]
    value, grads = eager([-1e308, 1e308], 0)  # the true loss, 2e308, is beyond float64
    assert value == math.inf and grads == [-1.0, 1.0]


@pytest.mark.parametrize("z,t", extreme_cases(), ids=lambda c: None)
def test_extreme_logits_give_the_closed_form_eager_and_compiled(z, t):
    value, grads = eager(z, t)
    expected = exact_log_loss(z, t)
    assert not math.isnan(value)
    # log Σ is rounded near 1 (no log1p): an absolute error of a few ulps of 1
    assert value == pytest.approx(expected, rel=1e-14, abs=1e-15) or value == expected
    assert grads == pytest.approx(exact_gradient(z, t), rel=1e-12, abs=4e-16)
    onehot = [float(k == t) for k in range(len(z))]
    c_value, _, c_grads = compiled_log_loss(len(z)).gradient(list(z) + onehot)
    assert bits([c_value]) == bits([value]) and bits(c_grads[:len(z)]) == bits(grads)


def test_extreme_logits_agree_with_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch not installed: the cross-check is skipped")
    for z, t in extreme_cases(300, seed=7):
        value, grads = eager(z, t)
        tz = torch.tensor([z], dtype=torch.float64, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(tz, torch.tensor([t]))
        loss.backward()
        scale = max(abs(v) for v in z)  # PyTorch rounds (m + log Σ) − z_t: an ulp of the largest logit
        if math.isinf(loss.item()):
            assert value == loss.item(), (z, t)
        else:
            assert value == pytest.approx(loss.item(), rel=1e-13, abs=4e-16 * scale + 1e-300), (z, t)
        assert grads == pytest.approx(tz.grad[0].tolist(), rel=1e-12, abs=4e-16), (z, t)


def test_soft_targets_and_infinite_logits():
    """Targets that are not one-hot keep the formula log Σ e^(z−m) − Σ y (z − m); an infinite logit
    gives NaN as PyTorch's cross entropy with probability targets does."""
    z, y = [0.3, -1.2, 2.0], [0.25, 0.75, 0.0]
    loss = nn.softmax_log_loss([Value(v) for v in z], y)
    m = max(z)
    expected = math.log(sum(math.exp(v - m) for v in z)) - sum(w * (v - m) for w, v in zip(y, z))
    assert loss.data == pytest.approx(expected, rel=1e-15)
    assert math.isnan(nn.softmax_log_loss([Value(math.inf), Value(0.0)], [1, 0]).data)
    with pytest.raises(ValueError, match="entries in"):
        nn.softmax_log_loss([Value(0.0), Value(1.0)], [Value(2.0), Value(0.0)])  # leaves are checked too
