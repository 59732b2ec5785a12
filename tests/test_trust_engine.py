"""Trust in the engine: algebraic identities, limits of size, threads."""

import math
import sys
import threading

import pytest

from engine import Value, affine, sigmoid, tanh, topological_order

POINTS = [-3.0, -0.7, 0.0, 0.4, 2.5]


@pytest.mark.parametrize("x", POINTS)
def test_identities_that_must_have_zero_or_one_gradient(x):
    a = Value(x)
    (a - a).backward()
    assert a.grad == 0.0
    if x != 0.0:
        a.grad = 0.0  # zero_grad() between passes: backward() adds into leaves
        (a / a).backward()
        assert a.grad == pytest.approx(0.0, abs=1e-15)  # 1/a - a/a^2, exactly 0 or one rounding
    a.grad = 0.0
    y = a.exp().log()
    y.backward()
    assert y.data == pytest.approx(x, abs=1e-15) and a.grad == pytest.approx(1.0, rel=1e-15)
    a.grad = 0.0
    s = sigmoid(a) + sigmoid(-a)
    s.backward()
    # sigma(a)(1 - sigma(a)) at |a| = 3 carries a rounding of 1 - sigma: a few 1e-17
    assert s.data == pytest.approx(1.0, rel=1e-15) and a.grad == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("x", [0.3, 1.0, 7.5])
def test_exp_of_log(x):
    a = Value(x)
    y = a.log().exp()
    y.backward()
    assert y.data == pytest.approx(x, rel=1e-15) and a.grad == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("x", POINTS)
def test_tanh_against_its_definition_through_exp(x):
    a, b = Value(x), Value(x)
    t = tanh(a)
    d = (b.exp() - (-b).exp()) / (b.exp() + (-b).exp())
    t.backward()
    d.backward()
    assert t.data == pytest.approx(d.data, rel=1e-14, abs=1e-16)
    assert a.grad == pytest.approx(b.grad, rel=1e-13)


def test_relu_convention_at_zero_matches_pytorch():
    a = Value(0.0)
    a.relu().backward()
    assert a.grad == 0.0  # PyTorch's convention: relu'(0) = 0
    torch = pytest.importorskip("torch", reason="PyTorch not installed")
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.relu(t).backward()
    assert t.grad.item() == a.grad


def test_wide_sum_of_100000_terms():
    xs = [Value(i / 1000.0) for i in range(100_000)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x * x
    total.backward()
    assert xs[0].grad == 1.0
    assert all(x.grad == 2.0 * x.data for x in xs[1:])


def test_wide_affine_of_100000_terms():
    ws = [Value(1.0 + i * 1e-6) for i in range(100_000)]
    xs = [Value(0.5) for _ in range(100_000)]
    z = affine(ws, xs, 0.0)
    z.backward()
    assert all(w.grad == 0.5 for w in ws) and all(x.grad == w.data for x, w in zip(xs, ws))


def test_million_node_graph_with_sharing():
    # a ladder: every step uses the previous two nodes, so each node has two consumers
    a, b = Value(0.1), Value(0.2)
    first, second = a, b
    for _ in range(200_000):  # 6 nodes a step: 2 products, 2 constants, a sum, a tanh
        a, b = b, (a * 0.5 + b * 0.5).tanh()
    b.backward()
    assert len(topological_order(b)) > 1_000_000
    assert math.isfinite(first.grad) and math.isfinite(second.grad)


def _worker(seed, results, index):
    x = Value(0.1 * seed)
    y = x
    for _ in range(20_000):
        y = (y * 0.999).tanh() + 0.001 * seed
    y.backward()
    # an independent product of the chain rule's local derivatives, in plain floats
    expected, v = 1.0, 0.1 * seed
    for _ in range(20_000):
        t = math.tanh(v * 0.999)
        expected *= (1 - t * t) * 0.999
        v = t + 0.001 * seed
    results[index] = (x.grad, expected, y.data, v)


def test_two_threads_build_and_differentiate_their_own_graphs():
    results = [None, None]
    threads = [threading.Thread(target=_worker, args=(s, results, i)) for i, s in enumerate((3, 7))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for grad, expected, value, v in results:
        assert value == pytest.approx(v, rel=1e-14)
        assert grad == pytest.approx(expected, rel=1e-9)


def _shared_trunk(n=3_000):
    """A long chain shared by two roots: each root's backward walks (and marks) the same nodes."""
    x = Value(0.3, label="x")
    h = x
    for _ in range(n):
        h = (h * 0.999).tanh() + 0.001
    return x, h, h * 2.0, h.exp()


def test_two_threads_differentiating_roots_that_share_interior_nodes():
    x, trunk, r1, r2 = _shared_trunk()
    r1.backward()
    dr1 = x.grad
    x.grad = 0.0
    r2.backward()
    dr2 = x.grad
    errors = []

    def work(root, times):
        try:
            for _ in range(times):
                root.backward()
        except Exception as exc:  # pragma: no cover - the failure this test guards against
            errors.append(exc)

    x.grad = 0.0
    threads = [threading.Thread(target=work, args=(r, 20)) for r in (r1, r2)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: walks would interleave
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    # each pass ran whole, one after the other: the leaf holds the sum of all forty passes
    assert x.grad == pytest.approx(20 * dr1 + 20 * dr2, rel=1e-12)
    # and the graph is usable afterwards: a fresh pass gives the single-pass gradient again
    x.grad = 0.0
    r1.backward()
    assert x.grad == dr1 and math.isfinite(trunk.grad)
