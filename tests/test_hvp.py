"""Hessian-vector products in both of PyTorch's senses (issue 25 item 1): ``engine.hvp`` is H v and
``engine.vhp`` is vᵀ H, as ``torch.autograd.functional.hvp``/``vhp``, on random graphs with kinks and
branch points, where the Hessian is not symmetric and the two differ."""

import math
import random

import numpy as np
import pytest

import engine
from engine import DomainError

# (engine form, torch form) of each operation of the random graphs
UNARY = {
    "relu": (lambda a: a.relu(), lambda t, a: t.relu(a)),
    "abs": (lambda a: abs(a), lambda t, a: t.abs(a)),
    "tanh": (lambda a: a.tanh(), lambda t, a: t.tanh(a)),
    "sigmoid": (lambda a: a.sigmoid(), lambda t, a: t.sigmoid(a)),
    "sin": (lambda a: a.sin(), lambda t, a: t.sin(a)),
    "square": (lambda a: a ** 2, lambda t, a: a ** 2),
    "cube": (lambda a: a ** 3, lambda t, a: a ** 3),
    "pow0": (lambda a: a ** 0, lambda t, a: a ** 0),
    "pow1": (lambda a: a ** 1, lambda t, a: a ** 1),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda t, a, b: a + b),
    "sub": (lambda a, b: a - b, lambda t, a, b: a - b),
    "mul": (lambda a, b: a * b, lambda t, a, b: a * b),
    "pow": (lambda a, b: a ** b, lambda t, a, b: a ** b),  # a branch point at b = 0 and at a = 0
}
KINKS = [0.0, 1.0, 2.0, -1.0, 0.5, -0.5, 3.0]


def _random_function(rng, n, depth=3):
    """A random expression over n variables as a pair of functions (engine, torch) of the same tree."""
    if depth == 0 or rng.random() < 0.2:
        i = rng.randrange(n)
        return (lambda *xs: xs[i]), (lambda t, *xs: xs[i])
    if rng.random() < 0.45:
        name = rng.choice(sorted(UNARY))
        e_op, t_op = UNARY[name]
        e_arg, t_arg = _random_function(rng, n, depth - 1)
        return (lambda *xs: e_op(e_arg(*xs))), (lambda t, *xs: t_op(t, t_arg(t, *xs)))
    # pow half the time: its branch points (b = 0, a = 0) are where the Hessian is not symmetric
    name = "pow" if rng.random() < 0.5 else rng.choice(sorted(BINARY))
    e_op, t_op = BINARY[name]
    (e_l, t_l), (e_r, t_r) = _random_function(rng, n, depth - 1), _random_function(rng, n, depth - 1)
    return (lambda *xs: e_op(e_l(*xs), e_r(*xs))), (lambda t, *xs: t_op(t, t_l(t, *xs), t_r(t, *xs)))


def _torch_products(torch, tf, point, v):
    from torch.autograd.functional import hvp, vhp
    x = tuple(torch.tensor(p, dtype=torch.float64) for p in point)
    tv = tuple(torch.tensor(float(c), dtype=torch.float64) for c in v)
    f = lambda *xs: tf(torch, *xs)  # noqa: E731
    return (np.array([t.item() for t in hvp(f, x, tv)[1]]), np.array([t.item() for t in vhp(f, x, tv)[1]]))


def test_the_example_of_the_issue():
    value, hv = engine.hvp(lambda a, b: a ** b, [2.0, 0.0], [1, 0])
    _, vh = engine.vhp(lambda a, b: a ** b, [2.0, 0.0], [1, 0])
    h = engine.hessian(lambda a, b: a ** b, [2.0, 0.0])
    assert value == 1.0
    assert list(hv) == [0.0, 0.5] and list(h @ [1, 0]) == [0.0, 0.5]
    assert list(vh) == [0.0, 0.0] and list(np.array([1, 0]) @ h) == [0.0, 0.0]


def test_hvp_and_vhp_against_torch_on_random_kink_graphs():
    torch = pytest.importorskip("torch")
    rng = random.Random(25)
    compared = asymmetric = 0
    for _ in range(100):
        n = rng.choice([2, 3])
        ef, tf = _random_function(rng, n)
        point = [rng.choice(KINKS) for _ in range(n)]
        v = [rng.choice([1.0, 0.0, -2.0, 0.5]) for _ in range(n)]
        try:
            _, hv = engine.hvp(ef, point, v)
            _, vh = engine.vhp(ef, point, v)
            h = engine.hessian(ef, point)
        except (DomainError, ZeroDivisionError, TypeError):
            continue  # outside the domain (0 ** -1, (-1) ** 0.5): PyTorch gives inf/NaN instead
        t_hv, t_vh = _torch_products(torch, tf, point, v)
        if not (np.isfinite(t_hv).all() and np.isfinite(t_vh).all() and np.isfinite(h).all()):
            continue  # an infinite second derivative: inf - inf orders differ; not what is tested here
        compared += 1
        np.testing.assert_allclose(hv, t_hv, rtol=1e-12, atol=1e-12, err_msg=f"hvp at {point}, v={v}")
        np.testing.assert_allclose(vh, t_vh, rtol=1e-12, atol=1e-12, err_msg=f"vhp at {point}, v={v}")
        np.testing.assert_allclose(hv, h @ v, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(vh, np.array(v) @ h, rtol=1e-12, atol=1e-12)
        if not np.allclose(hv, vh, rtol=1e-9, atol=1e-12):
            asymmetric += 1
    assert compared >= 40, compared
    assert asymmetric >= 2, asymmetric  # the graphs do reach points where H v and vᵀ H differ


def test_hvp_vhp_on_smooth_functions_agree_with_each_other_and_the_hessian():
    def f(a, b, c):
        return (a * b).sin() * c.exp() + a ** 3 * b - (c * c + 1).log()

    point, v = [0.3, -1.2, 0.7], [1.0, 2.0, -0.5]
    h = engine.hessian(f, point)
    value, hv = engine.hvp(f, point, v)
    _, vh = engine.vhp(f, point, v)
    assert value == pytest.approx(math.sin(0.3 * -1.2) * math.exp(0.7) + 0.027 * -1.2 - math.log(1.49), rel=1e-14)
    np.testing.assert_allclose(hv, h @ v, rtol=1e-13)
    np.testing.assert_allclose(vh, hv, rtol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: engine.hvp(lambda a, b: a * b, [1.0, 2.0], [1.0]), "the vector has 1 numbers for a point of 2"),
    (lambda: engine.vhp(lambda a, b: a * b, [1.0, 2.0], [1.0, 2.0, 3.0]), "the vector has 3 numbers"),
    (lambda: engine.hvp(lambda a: 3.0, [1.0], [1.0]), "the function must return a Value"),
])
def test_hvp_vhp_refuse_with_clear_messages(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
