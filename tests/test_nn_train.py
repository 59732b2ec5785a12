"""Sampling schemes of the paper's §4 and the training loop: Approach 1 visits every index once per
epoch, Approach 2 averages m gradients, full batch is gradient descent on the Cost, and a seeded
run repeats bit for bit."""

import itertools

import numpy as np
import pytest

from nn import (MLP, SGD, Adam, approach1, approach2, full_batch, full_cost, gradient_step,
                half_squared_error, higham_data, quadratic_cost, schedule, train, xor_data)
from nn.train import prepare_data, resolve_loss


def higham(seed=0):
    return MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=seed)


def params(net):
    return [p.data for p in net.parameters()]


# ------------------------------------------------------------------ sampling

def test_approach1_visits_every_index_once_per_epoch():
    n = 10
    steps = list(itertools.islice(approach1(n, 0), 5 * n))
    assert all(len(s) == 1 for s in steps)
    epochs = [[s[0] for s in steps[e * n:(e + 1) * n]] for e in range(5)]
    for epoch in epochs:
        assert sorted(epoch) == list(range(n))
    assert len({tuple(e) for e in epochs}) > 1           # a fresh shuffle each epoch
    # batches of m = 3 cut each permutation into 3, 3, 3, 1 without losing an index
    batches = list(itertools.islice(approach1(n, 0, m=3), 8))
    assert [len(b) for b in batches] == [3, 3, 3, 1] * 2
    assert sorted(sum(batches[:4], [])) == list(range(n))


def test_approach2_draws_m_indices_uniformly_with_replacement():
    n, m = 5, 4
    steps = list(itertools.islice(approach2(n, m, 1), 5000))
    assert all(len(s) == m and all(0 <= k < n for k in s) for s in steps)
    counts = np.bincount(np.ravel(steps), minlength=n)
    expected = 5000 * m / n
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))   # ~5 standard deviations
    assert any(len(set(s)) < m for s in steps)                          # with replacement
    assert list(itertools.islice(approach2(n, m, 1), 3000)) == steps[:3000]  # seeded, prefix-stable
    assert list(itertools.islice(approach2(n, m, 2), 50)) != steps[:50]


def test_full_batch_and_schedule_by_name():
    assert next(full_batch(4)) == [0, 1, 2, 3]
    assert list(itertools.islice(schedule("approach1", 6, rng=3), 6)) == list(itertools.islice(approach1(6, 3), 6))
    assert next(schedule("approach2", 6, m=2, rng=3)) == next(approach2(6, 2, 3))
    assert next(schedule("full", 3, m=7)) == [0, 1, 2]
    with pytest.raises(ValueError, match="unknown sampling scheme 'sgd'"):
        schedule("sgd", 3)
    with pytest.raises(ValueError, match="batch size m must be at least 1"):
        approach2(3, 0, 0)


# ------------------------------------------------------------------ one step

def test_approach2_step_averages_the_m_sample_gradients():
    X, Y = higham_data()
    inputs, targets = prepare_data(higham(), X, Y)
    indices = [3, 7, 3, 0]          # with replacement: sample 3 counts twice
    lr = 0.05
    # reference: the m per-sample gradients, each from its own backward pass, averaged by hand
    ref = higham(4)
    grads = np.zeros(23)
    for k in indices:
        ref.zero_grad()
        half_squared_error(ref(inputs[k]), targets[k]).backward()
        grads += [p.grad for p in ref.parameters()]
    expected = np.array(params(ref)) - lr * grads / len(indices)
    batch_cost = np.mean([half_squared_error(ref(inputs[k]), targets[k]).data for k in indices])

    net = higham(4)
    cost = gradient_step(net, inputs, targets, indices, half_squared_error, SGD(net, lr))
    assert cost == pytest.approx(batch_cost, rel=1e-15)
    np.testing.assert_allclose(params(net), expected, rtol=1e-15, atol=1e-17)


def test_full_cost_is_the_papers_cost():
    X, Y = higham_data()
    net = higham(1)
    inputs, targets = prepare_data(net, X, Y)
    expected = quadratic_cost([net(x) for x in inputs], targets).data
    assert full_cost(net, inputs, targets, half_squared_error) == pytest.approx(expected, rel=1e-15)
    # netbp.m's ‖costvec‖² is 20 times the paper's Cost for the ten points
    netbp = sum(np.sum((y - np.array([v.data for v in net(list(x))])) ** 2) for x, y in zip(X, Y))
    assert netbp == pytest.approx(20 * expected, rel=1e-14)


def test_full_batch_training_is_gradient_descent_on_the_cost():
    X, Y = higham_data()
    net, ref = higham(2), higham(2)
    train(net, X, Y, scheme="full", lr=0.5, steps=3, record_every=1, progress=False)
    for _ in range(3):
        cost = quadratic_cost([ref(list(x)) for x in X], Y)
        ref.zero_grad()
        cost.backward()
        for p in ref.parameters():
            p.data -= 0.5 * p.grad
    np.testing.assert_allclose(params(net), params(ref), rtol=1e-14, atol=1e-16)


# ------------------------------------------------------------------ the loop

def test_seeded_run_repeats_bit_for_bit():
    X, Y = higham_data()
    runs = []
    for _ in range(2):
        net = higham(7)
        history = train(net, X, Y, steps=600, seed=3, batch_size=2, record_every=150, progress=False)
        runs.append((history.steps, history.costs, params(net)))
    assert runs[0] == runs[1]                        # == on floats: identical bits
    other = higham(7)
    history = train(other, X, Y, steps=600, seed=4, batch_size=2, record_every=150, progress=False)
    assert history.costs != runs[0][1]


def test_history_records_initial_every_k_and_final_step():
    X, Y = higham_data()
    net = higham()
    initial = full_cost(net, *prepare_data(net, X, Y), half_squared_error)
    history = train(net, X, Y, steps=250, record_every=100, scheme="approach1", progress=False)
    assert history.steps == [0, 100, 200, 250]
    assert len(history.costs) == 4 and history.costs[0] == initial
    assert history.final_cost == history.costs[-1] == full_cost(net, *prepare_data(net, X, Y), half_squared_error)
    assert history.seconds > 0
    assert train(higham(), X, Y, steps=0, progress=False).steps == [0]


def test_training_reduces_the_cost_with_other_losses_and_optimizers():
    X, y = xor_data()
    net = MLP(2, [8, 1], activation="tanh", rng=1)
    history = train(net, X, y, loss="mse", optimizer=Adam(net, lr=0.05), scheme="full",
                    steps=300, record_every=100, progress=False)
    assert history.costs[-1] < 0.05 * history.costs[0]
    net = MLP(2, [8, 1], activation="tanh", rng=1)
    history = train(net, X, y, loss="bce_logits", lr=0.5, scheme="approach1", batch_size=2,
                    steps=400, record_every=400, progress=False)
    assert history.costs[-1] < 0.5 * history.costs[0]


def test_callable_loss_clears_stale_gradients():
    X, Y = higham_data()
    net = higham(3)
    # a loss that ignores the second output: the parameters of output neuron 2 are not in its
    # graph, so they must not move (a stale grad from elsewhere would move them)
    before = {name: p.data for name, p in net.named_parameters()}
    out = net(list(X[0]))
    (out[0] + out[1]).backward()          # leaves nonzero grads everywhere
    train(net, X, Y, loss=lambda out, y: (out[0] - y[0]) ** 2, steps=20, progress=False)
    after = dict(net.named_parameters())
    for name in ("W[4][2,1]", "W[4][2,2]", "W[4][2,3]", "b[4][2]"):
        assert after[name].data == before[name]
    assert after["W[4][1,1]"].data != before["W[4][1,1]"]


def test_progress_bar_on_and_off(capsys):
    X, Y = higham_data()
    train(higham(), X, Y, steps=50, record_every=25, progress=True)
    assert "training" in capsys.readouterr().err
    train(higham(), X, Y, steps=50, record_every=25, progress=False)
    train(higham(), X, Y, steps=50, record_every=25)          # None: not a terminal, no bar
    assert capsys.readouterr().err == ""


def test_bad_training_arguments():
    X, Y = higham_data()
    net = higham()
    with pytest.raises(ValueError, match="X has 10 samples and Y has 9"):
        train(net, X, Y[:9])
    with pytest.raises(ValueError, match="takes 2 inputs but X has shape"):
        train(net, np.zeros((10, 3)), Y)
    with pytest.raises(ValueError, match="non-finite"):
        train(net, np.full((10, 2), np.nan), Y)
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        train(net, X, Y, loss="l1")
    with pytest.raises(ValueError, match="unknown sampling scheme"):
        train(net, X, Y, scheme="approach3")
    with pytest.raises(ValueError, match="steps must be at least 0"):
        train(net, X, Y, steps=-1)
    with pytest.raises(ValueError, match="record_every must be at least 1"):
        train(net, X, Y, record_every=0)
    with pytest.raises(TypeError, match="loss must be a name or a callable"):
        resolve_loss(3)
