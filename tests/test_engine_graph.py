"""Graph semantics: deep chains without recursion, double backward, shared sub-expressions,
identity hashing, graph inspection and non-finite detection."""

import math
import sys

import pytest

from engine import Value, edges, first_nonfinite, leaves, topological_order


def test_million_node_chain_without_recursion():
    limit = sys.getrecursionlimit()
    x = Value(0.3)
    y = x
    n = 1_000_000
    for _ in range(n):
        y = y * 0.999999 if False else y + 1e-7  # keep the chain unary-in-Value
    y.backward()
    assert sys.getrecursionlimit() == limit  # the engine does not raise the limit behind our back
    assert x.grad == 1.0
    assert y.data == pytest.approx(0.3 + n * 1e-7)
    assert len(topological_order(y)) == 2 * n + 1  # n add nodes, n constants, x


def test_deep_tanh_chain_gradient_is_the_product_of_local_derivatives():
    x = Value(0.5)
    y = x
    expected = 1.0
    for _ in range(100_000):
        expected *= 1 - math.tanh(y.data) ** 2
        y = y.tanh()
    y.backward()
    assert x.grad == pytest.approx(expected, rel=1e-12)


def test_a_second_backward_doubles_leaf_grads_and_leaves_interior_grads_unchanged():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a
    e = d.tanh() * c
    e.backward()
    leaves, interior = [a.grad, b.grad], [c.grad, d.grad, e.grad]
    e.backward()
    assert [a.grad, b.grad] == [2 * g for g in leaves]  # exact: x + x == 2x in IEEE arithmetic
    assert [c.grad, d.grad, e.grad] == interior          # fresh each pass, never compounded


def test_backward_of_another_output_adds_into_shared_leaves():
    a = Value(2.0)
    (a * 3).backward()
    assert a.grad == 3.0
    (a * 5).backward()
    assert a.grad == 8.0  # accumulated, as in PyTorch
    a.grad = 0.0          # what zero_grad() does
    (a * 5).backward()
    assert a.grad == 5.0


def test_shared_subexpressions_sum_all_paths():
    x = Value(3.0)
    y = x * x          # 2x
    z = y + y + x      # 2*(2x) + 1
    z.backward()
    assert x.grad == 13.0
    x.grad = 0.0
    w = x * x * x      # x used three times
    w.backward()
    assert x.grad == 27.0
    # the same node twice as inputs of one node
    x.grad = 0.0
    s = x + x
    s.backward()
    assert x.grad == 2.0


def test_backward_on_a_leaf_and_with_a_seed():
    x = Value(1.5)
    x.backward()
    assert x.grad == 1.0  # d(x)/d(x), added like any leaf gradient
    y = x * 2
    y.backward(gradient=3.0)
    assert x.grad == 1.0 + 6.0


def test_values_hash_and_compare_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b, a}) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    assert a in [a] and b not in {a}


def test_graph_inspection():
    a = Value(2.0, label="a")
    b = Value(3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    order = topological_order(d)
    assert order[-1] is d and order.index(a) < order.index(c) and order.index(b) < order.index(c)
    assert set(order) == {a, b, c, d}
    assert edges(d) == [(a, c), (b, c), (c, d), (a, d)]
    assert c.inputs == (a, b) and c.op == "mul" and a.op == "" and a.inputs == ()
    assert a.is_leaf and not c.is_leaf
    assert leaves(d) == [a, b]
    k = (a * 2).inputs[1]
    assert k.op == "const" and k.is_constant and k.data == 2.0
    assert "label='c'" in repr(c) and "op='mul'" in repr(c)


def test_first_nonfinite_points_at_the_origin():
    x = Value(-1.0, label="x")
    big = Value(800.0, label="big")
    y = big.exp()               # inf starts here
    y.label = "y"
    z = (y - y) * x             # inf - inf = nan downstream
    report = first_nonfinite(z)
    assert report.node is y and report.field == "data"
    assert "y" in str(report) and "exp" in str(report)
    ok = (x * 2).tanh()
    ok.backward()
    assert first_nonfinite(ok) is None


def test_first_nonfinite_finds_gradients():
    x = Value(0.0, label="x")
    y = x ** 0.5  # derivative inf at 0
    y.backward()
    report = first_nonfinite(y)
    assert report.node is x and report.field == "grad"
