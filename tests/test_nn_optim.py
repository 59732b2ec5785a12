"""Optimizers: the first steps of SGD (plain, momentum, Nesterov, weight decay) and Adam against
updates computed by hand from the formulas written out below, and (when installed) against
PyTorch's torch.optim in float64."""

import math

import numpy as np
import pytest

from engine import Value
from nn import MLP, SGD, Adam


def params_with(values):
    return [Value(v) for v in values]


def set_grads(params, grads):
    for p, g in zip(params, grads):
        p.grad = g


P0 = [0.5, -1.25, 2.0]
G1 = [0.1, -0.4, 0.25]
G2 = [-0.3, 0.2, 0.05]


def test_plain_sgd_is_p_minus_lr_grad():
    ps = params_with(P0)
    opt = SGD(ps, lr=0.05)
    set_grads(ps, G1)
    opt.step()
    assert [p.data for p in ps] == [p - 0.05 * g for p, g in zip(P0, G1)]


def test_sgd_momentum_and_weight_decay_first_two_steps():
    lr, mu, wd = 0.1, 0.9, 0.01
    ps = params_with(P0)
    opt = SGD(ps, lr=lr, momentum=mu, weight_decay=wd)
    set_grads(ps, G1)
    opt.step()
    # step 1: g' = g + wd p;  buf = g';  p <- p - lr buf
    d1 = [g + wd * p for p, g in zip(P0, G1)]
    p1 = [p - lr * d for p, d in zip(P0, d1)]
    assert [p.data for p in ps] == pytest.approx(p1, rel=1e-15)
    set_grads(ps, G2)
    opt.step()
    # step 2: g' = g + wd p1;  buf = mu buf + g';  p <- p1 - lr buf
    d2 = [g + wd * p for p, g in zip(p1, G2)]
    buf2 = [mu * b + d for b, d in zip(d1, d2)]
    p2 = [p - lr * b for p, b in zip(p1, buf2)]
    assert [p.data for p in ps] == pytest.approx(p2, rel=1e-15)


def test_sgd_nesterov_first_two_steps():
    lr, mu = 0.1, 0.5
    ps = params_with(P0)
    opt = SGD(ps, lr=lr, momentum=mu, nesterov=True)
    set_grads(ps, G1)
    opt.step()
    # step 1: buf = g;  p <- p - lr (g + mu buf)
    p1 = [p - lr * (g + mu * g) for p, g in zip(P0, G1)]
    assert [p.data for p in ps] == pytest.approx(p1, rel=1e-15)
    set_grads(ps, G2)
    opt.step()
    # step 2: buf = mu g1 + g2;  p <- p1 - lr (g2 + mu buf)
    p2 = [p - lr * (g2 + mu * (mu * g1 + g2)) for p, g1, g2 in zip(p1, G1, G2)]
    assert [p.data for p in ps] == pytest.approx(p2, rel=1e-15)


def test_adam_first_two_steps():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    ps = params_with(P0)
    opt = Adam(ps, lr=lr, betas=(b1, b2), eps=eps)
    set_grads(ps, G1)
    opt.step()
    # step 1: m = (1-b1) g, v = (1-b2) g^2; m^ = m/(1-b1) = g, v^ = v/(1-b2) = g^2
    # p <- p - lr m^ / (sqrt(v^) + eps), about p - lr sign(g)
    p1 = [p - lr * g / (abs(g) + eps) for p, g in zip(P0, G1)]
    assert [p.data for p in ps] == pytest.approx(p1, rel=1e-14)
    set_grads(ps, G2)
    opt.step()
    p2 = []
    for p, g1, g2 in zip(p1, G1, G2):
        m = b1 * (1 - b1) * g1 + (1 - b1) * g2
        v = b2 * (1 - b2) * g1 ** 2 + (1 - b2) * g2 ** 2
        m_hat, v_hat = m / (1 - b1 ** 2), v / (1 - b2 ** 2)
        p2.append(p - lr * m_hat / (math.sqrt(v_hat) + eps))
    assert [p.data for p in ps] == pytest.approx(p2, rel=1e-13)


def test_adam_weight_decay_is_added_to_the_gradient():
    lr, wd = 0.1, 0.5
    ps = params_with([2.0])
    opt = Adam(ps, lr=lr, weight_decay=wd)
    set_grads(ps, [0.0])
    opt.step()
    # g = 0 + wd * 2 = 1: the first step moves by lr * 1 / (1 + eps)
    assert ps[0].data == pytest.approx(2.0 - lr / (1 + 1e-8), rel=1e-15)


def test_optimizers_act_on_a_module_and_lr_can_change():
    net = MLP(2, [3, 1], rng=0)
    opt = SGD(net, lr=0.1)
    assert opt.params == net.parameters()
    out = net([0.5, -0.5])
    out.backward()
    before = [(p.data, p.grad) for p in net.parameters()]
    opt.lr = 0.2
    opt.step()
    assert [p.data for p in net.parameters()] == [d - 0.2 * g for d, g in before]
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


def test_bad_settings_are_refused():
    ps = params_with(P0)
    for lr in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="lr"):
            SGD(ps, lr=lr)
    with pytest.raises(TypeError, match="lr must be a real number"):
        SGD(ps, lr="0.1")
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        SGD([ps[0], ps[0]], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] is float"):
        Adam([ps[0], 1.0])
    with pytest.raises(TypeError, match="not a single Value"):
        SGD(ps[0], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(ps, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta2"):
        Adam(ps, betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="pair"):
        Adam(ps, betas=0.9)


@pytest.mark.parametrize("kind, settings", [
    ("sgd", dict(lr=0.1)),
    ("sgd", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("sgd", dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("adam", dict(lr=0.01)),
    ("adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
])
def test_against_pytorch(kind, settings):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    start = rng.standard_normal(5)
    grads = rng.standard_normal((6, 5))
    ps = params_with(start.tolist())
    tp = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    ours = (SGD if kind == "sgd" else Adam)(ps, **settings)
    theirs = (torch.optim.SGD if kind == "sgd" else torch.optim.Adam)([tp], **settings)
    for g in grads:
        set_grads(ps, g.tolist())
        ours.step()
        tp.grad = torch.tensor(g, dtype=torch.float64)
        theirs.step()
    np.testing.assert_allclose([p.data for p in ps], tp.detach().numpy(), rtol=1e-13, atol=1e-15)
