"""Every loss against its closed form, its gradient against the closed-form gradient and central
finite differences (engine.gradient_error), stability at extreme inputs, and its errors."""

import math

import numpy as np
import pytest

from engine import Value, gradient_error, leaves
from nn import (MLP, binary_cross_entropy, binary_cross_entropy_with_logits, half_squared_error,
                hinge_loss, l2_penalty, mse, quadratic_cost, softmax_cross_entropy)


def grads_of(loss_fn, point):
    xs = [Value(p) for p in point]
    out = loss_fn(*xs)
    out.backward()
    return out.data, [x.grad for x in xs]


def sigma(z):
    return 1.0 / (1.0 + math.exp(-z))


def test_half_squared_error_is_equation_5_1():
    a, y = [0.3, 0.8, -0.2], [1.0, 0.0, 0.5]
    f = lambda *v: half_squared_error(list(v), y)
    value, grads = grads_of(f, a)
    assert value == pytest.approx(0.5 * sum((yk - ak) ** 2 for ak, yk in zip(a, y)), rel=1e-15)
    assert grads == pytest.approx([ak - yk for ak, yk in zip(a, y)], rel=1e-15)  # δ = a − y
    assert gradient_error(f, a) < 1e-9
    # a single output and a single target, ints and NumPy targets work too
    assert half_squared_error(Value(0.25), 1).data == 0.5 * 0.75 ** 2
    assert half_squared_error([Value(0.3), Value(0.8)], np.array([1, 0])).data == pytest.approx(0.5 * (0.49 + 0.64))


def test_quadratic_cost_is_the_papers_cost():
    outputs = [[0.2, 0.9], [0.6, 0.1], [0.5, 0.5]]
    targets = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    flat = [v for o in outputs for v in o]

    def f(*v):
        return quadratic_cost([list(v[i:i + 2]) for i in range(0, 6, 2)], targets)

    value, grads = grads_of(f, flat)
    expected = sum(0.5 * np.sum((t - np.array(o)) ** 2) for o, t in zip(outputs, targets)) / 3
    assert value == pytest.approx(expected, rel=1e-15)
    assert grads == pytest.approx(list((np.array(outputs) - targets).ravel() / 3), rel=1e-14)
    assert gradient_error(f, flat) < 1e-9
    # one-output networks: a list of Values and an (N,) target array
    assert quadratic_cost([Value(0.5), Value(1.0)], np.array([0.0, 0.0])).data == pytest.approx((0.125 + 0.5) / 2)


def test_mse_has_no_half_and_averages_every_entry():
    p, y = [0.3, -1.0, 2.0], [0.0, 1.0, 2.5]
    f = lambda *v: mse(list(v), y)
    value, grads = grads_of(f, p)
    assert value == pytest.approx(np.mean((np.array(y) - p) ** 2), rel=1e-15)
    assert grads == pytest.approx(list(2 * (np.array(p) - y) / 3), rel=1e-14)
    assert gradient_error(f, p) < 1e-9
    # several samples with several outputs: every entry counts once
    value = mse([[Value(1.0), Value(2.0)], [Value(0.0), Value(0.0)]], [[0.0, 0.0], [1.0, 1.0]]).data
    assert value == pytest.approx((1 + 4 + 1 + 1) / 4)


def test_binary_cross_entropy_from_probabilities():
    p, y = [0.2, 0.7, 0.95], [0.0, 1.0, 1.0]
    exact = -np.mean([t * math.log(q) + (1 - t) * math.log(1 - q) for q, t in zip(p, y)])
    exact_grad = [(q - t) / (q * (1 - q)) / 3 for q, t in zip(p, y)]
    f0 = lambda *v: binary_cross_entropy(list(v), y, eps=0.0)
    value, grads = grads_of(f0, p)
    assert value == pytest.approx(exact, rel=1e-14)
    assert grads == pytest.approx(exact_grad, rel=1e-13)
    # the default squeeze by eps = 1e-12 changes nothing visible away from 0 and 1
    f = lambda *v: binary_cross_entropy(list(v), y)
    value, grads = grads_of(f, p)
    assert value == pytest.approx(exact, rel=1e-10)
    assert grads == pytest.approx(exact_grad, rel=1e-10)
    assert gradient_error(f, p) < 1e-8


def test_binary_cross_entropy_is_finite_at_saturated_probabilities():
    for p, y in ((0.0, 1.0), (1.0, 0.0)):
        v = Value(p)
        loss = binary_cross_entropy(v, y)
        loss.backward()
        assert loss.data == pytest.approx(-math.log(1e-12), rel=1e-3)
        assert math.isfinite(v.grad) and v.grad != 0.0
    assert binary_cross_entropy(Value(1.0), 1.0).data == pytest.approx(0.0, abs=1e-11)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*1.5"):
        binary_cross_entropy(Value(1.5), 1.0)
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        binary_cross_entropy(Value(0.5), 2.0)


def test_binary_cross_entropy_with_logits_is_softplus_minus_yz():
    z, y = [-2.0, 0.3, 4.0], [0.0, 1.0, 0.0]
    exact = -np.mean([t * math.log(sigma(s)) + (1 - t) * math.log(1 - sigma(s)) for s, t in zip(z, y)])
    f = lambda *v: binary_cross_entropy_with_logits(list(v), y)
    value, grads = grads_of(f, z)
    assert value == pytest.approx(exact, rel=1e-14)
    assert grads == pytest.approx([(sigma(s) - t) / 3 for s, t in zip(z, y)], rel=1e-14)
    assert gradient_error(f, z) < 1e-9
    # the same number as the probability form, for moderate logits
    same = binary_cross_entropy([Value(s).sigmoid() for s in z], y, eps=0.0).data
    assert value == pytest.approx(same, rel=1e-14)


def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits():
    for z, y, loss, grad in ((1000.0, 0.0, 1000.0, 1.0), (-1000.0, 1.0, 1000.0, -1.0),
                             (1000.0, 1.0, 0.0, 0.0), (-1000.0, 0.0, 0.0, 0.0)):
        v = Value(z)
        out = binary_cross_entropy_with_logits(v, y)
        out.backward()
        assert out.data == loss and v.grad == grad


def test_softmax_cross_entropy_against_closed_form():
    z, t = [1.0, -0.5, 2.0, 0.3], 2
    e = np.exp(z)
    softmax = e / e.sum()
    f = lambda *v: softmax_cross_entropy(list(v), t)
    value, grads = grads_of(f, z)
    assert value == pytest.approx(-math.log(softmax[t]), rel=1e-14)
    assert grads == pytest.approx(list(softmax - np.eye(4)[t]), rel=1e-13, abs=1e-16)
    assert gradient_error(f, z) < 1e-9


def test_softmax_cross_entropy_is_stable_and_batches_average():
    z = [Value(1000.0), Value(1001.0), Value(999.0)]
    out = softmax_cross_entropy(z, 0)
    out.backward()
    shifted = np.exp(np.array([0.0, 1.0, -1.0]))
    assert out.data == pytest.approx(-math.log(shifted[0] / shifted.sum()), rel=1e-13)
    assert sum(v.grad for v in z) == pytest.approx(0.0, abs=1e-15)
    batch = [[Value(1.0), Value(0.0)], [Value(0.0), Value(3.0)]]
    value = softmax_cross_entropy(batch, [1, 1]).data
    one = lambda zz, t: -math.log(math.exp(zz[t]) / sum(math.exp(v) for v in zz))
    assert value == pytest.approx((one([1.0, 0.0], 1) + one([0.0, 3.0], 1)) / 2, rel=1e-14)
    with pytest.raises(ValueError, match="target_index is 3 but there are 3 classes"):
        softmax_cross_entropy(z, 3)
    with pytest.raises(TypeError, match="integer class index"):
        softmax_cross_entropy(z, 1.0)
    with pytest.raises(ValueError, match="2 samples of logits but 1 target"):
        softmax_cross_entropy(batch, [1])


def test_hinge_loss_is_micrograds_max_margin_loss():
    s, y = [0.3, -2.0, 1.5, -0.4], [1.0, -1.0, -1.0, 1.0]
    f = lambda *v: hinge_loss(list(v), y)
    value, grads = grads_of(f, s)
    # micrograd's demo: sum((1 + -yi*scorei).relu()) * (1.0 / len(losses))
    assert value == pytest.approx(sum(max(0.0, 1 - yi * si) for si, yi in zip(s, y)) / 4, rel=1e-15)
    assert grads == [(-yi / 4 if 1 - yi * si > 0 else 0.0) for si, yi in zip(s, y)]
    assert gradient_error(f, s) < 1e-9
    with pytest.raises(ValueError, match="labels must be -1 or \\+1"):
        hinge_loss([Value(0.1)], [0])


def test_l2_penalty_acts_on_weights_only():
    net = MLP(2, [3, 2], rng=0)
    alpha = 0.01
    penalty = l2_penalty(net, alpha)
    weights = [p for name, p in net.named_parameters() if name.startswith("W")]
    biases = [p for name, p in net.named_parameters() if name.startswith("b")]
    assert penalty.data == pytest.approx(alpha * sum(w.data ** 2 for w in weights), rel=1e-14)
    penalty.backward()
    assert [w.grad for w in weights] == pytest.approx([2 * alpha * w.data for w in weights], rel=1e-15)
    in_graph = set(map(id, leaves(penalty)))
    assert not any(id(b) in in_graph for b in biases)
    # from parameters() (labelled biases left out), from named pairs, and from plain Values
    assert l2_penalty(net.parameters(), alpha).data == penalty.data
    assert l2_penalty(net.named_parameters(), alpha).data == penalty.data
    assert gradient_error(lambda a, b: l2_penalty([a, b], 0.3), [0.5, -2.0]) < 1e-9
    assert l2_penalty([Value(3.0)], 0.5).data == 4.5
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        l2_penalty(net, -1.0)


def test_mismatched_lengths_and_bad_targets_are_named():
    two = [Value(0.1), Value(0.2)]
    with pytest.raises(ValueError, match="2 outputs but 3 targets"):
        half_squared_error(two, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        mse(two, [1.0])
    with pytest.raises(ValueError, match="2 logits but 3 targets"):
        binary_cross_entropy_with_logits(two, [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="2 outputs but 1 targets"):
        quadratic_cost([two, two], [[1.0, 0.0]])
    with pytest.raises(TypeError, match=r"targets\[1\] must be a real number, got str"):
        half_squared_error(two, [1.0, "0"])
    with pytest.raises(TypeError, match=r"outputs\[0\] must be a Value, got float"):
        half_squared_error([0.5, 0.5], [1.0, 0.0])
