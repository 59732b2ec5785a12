"""The node-by-node backward pass: order, local derivatives, contributions and final gradients
against the engine's own ``backward()`` (bit for bit), on known and on random graphs."""

import math
import random
import struct

import pytest

from engine import Value, affine, backward_steps, backward_table, topological_order
from engine import BackwardPass
from engine.display.steps import display_names, final_grads, node_kind


def bits(x):
    return struct.pack("<d", x)


# ----------------------------------------------------------------------- random expression graphs

def random_graph(seed, size=30):
    """A random expression over a few leaves using every operation, with shared sub-expressions
    (every new node draws its operands from all nodes made so far) and affine nodes. Operands are
    kept inside each operation's domain, so no error is raised."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-2, 2), label=f"x{i}") for i in range(rng.randint(1, 4))]
    pool = list(leaves)

    def pick():
        return rng.choice(pool)

    for _ in range(size):
        kind = rng.randrange(14)
        a, b = pick(), pick()
        if kind == 0:
            v = a + b
        elif kind == 1:
            v = a - b
        elif kind == 2:
            v = a * b
        elif kind == 3:
            v = a / (b * b + 1.0)
        elif kind == 4:
            v = (a * a + 0.5) ** b.tanh()      # pow: both inputs are Values
        elif kind == 5:
            v = a ** rng.choice([2, 3, -1.0]) if abs(a.data) > 0.1 else a ** 2   # powc
        elif kind == 6:
            v = -a
        elif kind == 7:
            v = a.tanh().exp()
        elif kind == 8:
            v = (a * a + 0.1).log()
        elif kind == 9:
            v = a.sigmoid()
        elif kind == 10:
            v = a.relu()
        elif kind == 11:
            v = a.softplus()
        elif kind == 12:
            k = rng.randint(1, 3)
            ws = [pick() for _ in range(k)]
            xs = [pick() if rng.random() < 0.7 else rng.uniform(-1, 1) for _ in range(k)]
            v = affine(ws, xs, pick() if rng.random() < 0.5 else rng.uniform(-1, 1))
        else:
            v = 2.5 * a + b * 0.5 - 1.0      # constants on either side
        if math.isfinite(v.data) and abs(v.data) < 1e6:
            pool.append(v)
    # the root uses several nodes, so many have more than one consumer
    root = pool[-1]
    for v in rng.sample(pool, min(4, len(pool))):
        root = root + v
    return root


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_final_grads_equal_backward_bit_for_bit(seed):
    root = random_graph(seed)
    nodes = topological_order(root)
    for v in nodes:
        v.grad = 123.0  # sentinel: the steps must not touch it
    grads = final_grads(root, 1.0)
    assert all(v.grad == 123.0 for v in nodes)
    for v in nodes:
        if v.is_leaf:
            v.grad = -0.0  # the exact identity: the leaf then holds this pass's gradient alone
    root.backward()
    assert set(grads) == set(nodes)
    for v in nodes:
        assert bits(grads[v]) == bits(v.grad), (display_names(root)[v], grads[v], v.grad)


@pytest.mark.parametrize("seed", SEEDS[:15])
def test_apply_true_writes_the_grads_of_backward(seed):
    root = random_graph(seed)
    for v in topological_order(root):
        v.grad = 7.0  # interior nodes must be overwritten, leaves added to
    root.backward(-0.75)
    expected = [bits(v.grad) for v in topological_order(root)]
    for v in topological_order(root):
        v.grad = 7.0
    for _ in backward_steps(root, -0.75, apply=True):
        pass
    assert [bits(v.grad) for v in topological_order(root)] == expected


@pytest.mark.parametrize("seed", SEEDS[:15])
def test_steps_follow_the_engines_order_and_each_node_is_complete_when_processed(seed):
    root = random_graph(seed)
    steps = list(backward_steps(root))
    assert [s.node for s in steps] == list(reversed(BackwardPass(root).order))
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    root.backward()
    processed = set()
    for s in steps:
        # every consumer of the node was processed before it (reverse topological order) ...
        for v in steps:
            if s.node in v.node.inputs:
                assert v.node in processed
        processed.add(s.node)
        # ... so the gradient it holds is already the final one
        assert bits(s.grad) == bits(s.node.grad)


def _expected_amount(step, c):
    """The chain rule as engine/rules/table.py states it: g / b for a quotient's partials (not g * (1 / b)),
    otherwise g × local, exactly 0 where the local derivative is exactly 0 and g is not finite."""
    g, node = step.grad, step.node
    if node.op == "div":
        a, b = node.inputs
        return g / b.data if c.position == 0 else -(g / b.data) * node.data
    if node.op == "log":
        return g / node.inputs[0].data
    return 0.0 if c.local == 0.0 and not math.isfinite(g) else g * c.local


@pytest.mark.parametrize("seed", SEEDS[:15])
def test_contributions_are_grad_times_local_derivative_accumulated_in_input_order(seed):
    root = random_graph(seed)
    running = {root: 1.0}
    for s in backward_steps(root):
        assert [c.input for c in s.contributions] == list(s.node.inputs)
        assert [c.position for c in s.contributions] == list(range(len(s.node.inputs)))
        for c in s.contributions:
            assert c.first == (c.input not in running)
            assert bits(c.grad_before) == bits(running.get(c.input, -0.0))
            if c.local is None:
                assert s.node.op == "powc" and c.position == 1 and c.grad_after == 0.0 and c.amount is None
            else:
                assert bits(c.amount) == bits(_expected_amount(s, c))
                assert bits(c.grad_after) == bits(c.grad_before + c.amount)
            running[c.input] = c.grad_after


def test_local_derivatives_against_closed_forms():
    x, y = Value(0.3, label="x"), Value(-1.7, label="y")
    root = (x * y).sigmoid() + x ** 3
    steps = {s.node.op: s for s in backward_steps(root)}
    s = 1 / (1 + math.exp(-(0.3 * -1.7)))
    assert steps["sigmoid"].local_derivatives[0] == pytest.approx(s * (1 - s), rel=1e-15)
    assert steps["mul"].local_derivatives == (-1.7, 0.3)
    assert steps["powc"].local_derivatives[0] == pytest.approx(3 * 0.3 ** 2, rel=1e-15)
    assert steps["powc"].local_derivatives[1] is None
    assert steps["add"].local_derivatives == (1.0, 1.0)


def test_the_micrograd_neuron_step_by_step():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    steps = list(backward_steps(o))
    assert [s.node.op for s in steps] == ["tanh", "add", "add", "mul", "mul"]
    first = steps[0]
    assert first.node is o and first.grad == 1.0
    (c,) = first.contributions
    assert c.input is n and c.local == pytest.approx(1 - math.tanh(n.data) ** 2)
    assert c.local == pytest.approx(0.5, abs=1e-12)  # micrograd's b makes o = 1/√2
    grads = final_grads(o)
    assert grads[w1] == pytest.approx(x1.data * 0.5, abs=1e-12)
    assert grads[x1] == pytest.approx(w1.data * 0.5, abs=1e-12)
    assert grads[w2] == pytest.approx(x2.data * 0.5, abs=1e-12)


def test_a_node_used_twice_by_one_operation_gets_two_contributions():
    a = Value(3.0, label="a")
    sq = a * a
    (step,) = list(backward_steps(sq))
    assert [c.input for c in step.contributions] == [a, a]
    assert step.contributions[0].first and not step.contributions[1].first
    assert step.contributions[1].grad_after == 6.0 == final_grads(sq)[a]


def test_with_apply_interior_grads_are_written_as_the_steps_go_and_leaves_at_the_end():
    x = Value(0.5, label="x")
    y = x.exp()
    z = y * y + x      # x reached along two paths: through y, and directly
    it = backward_steps(z, apply=True)
    first = next(it)   # z = add: x's direct contribution 1 is in the step, not yet in x.grad
    assert first.node is z and first.contributions[1].amount == 1.0
    assert z.grad == 1.0 and x.grad == 0.0
    second = next(it)  # y * y: y's gradient, an interior node, is written as it is computed
    assert second.node.op == "mul" and y.grad == 2 * y.data
    assert x.grad == 0.0
    for _ in it:
        pass
    assert x.grad == pytest.approx(1 + 2 * math.exp(1.0))


def test_a_leaf_root_has_no_steps_and_bad_arguments_are_refused():
    v = Value(1.0)
    assert list(backward_steps(v)) == []
    assert final_grads(v) == {v: 1.0}
    with pytest.raises(TypeError, match="Value"):
        backward_steps(1.0)
    with pytest.raises(TypeError, match="gradient"):
        backward_steps(v, "1")


def test_node_kinds():
    w = Value(1.0, label="W[2][1,1]")
    bias = Value(0.1, label="b[2][1]")
    x = Value(0.5, label="x_1")
    assert node_kind(w, w * x) == "input"  # a label is never read as a role ...
    w.is_parameter = bias.is_parameter = True  # ... the mark is (nn's weights and biases carry it)
    z = affine([w], [x], bias)
    out = z * 2
    kinds = {v: node_kind(v, out) for v in topological_order(out)}
    assert kinds[w] == kinds[bias] == "parameter"
    assert kinds[x] == "input" and kinds[z] == "intermediate" and kinds[out] == "output"
    const = [v for v in topological_order(out) if v.is_constant]
    assert [kinds[c] for c in const] == ["constant"]
    assert node_kind(x, out, params={x}) == "parameter" and node_kind(w, out, params={x}) == "input"


# ------------------------------------------------------------------------------------ the table

def parse_table(text):
    """The step table's rows as lists of cells, split on runs of 2+ spaces."""
    import re
    body = text.split("\n\n")[0].splitlines()[2:]
    return [re.split(r"\s{2,}", line.strip()) for line in body]


def test_table_lists_every_step_with_label_op_data_grad_and_local_derivatives():
    x = Value(2.0, label="x")
    y = Value(-1.0, label="y")
    prod = x * y
    prod.label = "p"
    out = prod.tanh()
    out.label = "out"
    text = backward_table(out, precision=6)
    rows = parse_table(text)
    t = math.tanh(-2.0)
    assert rows[0][:6] == ["1", "out", "tanh", f"{t:.6g}", "1", "p"]
    assert float(rows[0][6]) == pytest.approx(1 - t * t, rel=1e-5)
    assert rows[1][:6] == ["2", "p", "mul (*)", "-2", f"{1 - t * t:.6g}", "x"]
    assert float(rows[1][6]) == -1.0            # d(xy)/dx = y
    assert rows[2][0] == "y" and float(rows[2][1]) == 2.0   # d(xy)/dy = x (continuation line)
    leaves = text.split("Gradients of the leaves")[1]
    assert f"{-(1 - t * t):.6g}" in leaves and f"{2 * (1 - t * t):.6g}" in leaves


def test_table_notes_and_awkward_labels_stay_on_one_line():
    x = Value(1.0, label="a\nb")
    out = x * 3
    text = backward_table(out, annotate=lambda v: "root!" if v is out else None)
    assert "a\\nb" in text and "root!" in text
    assert len(parse_table(text)) == 2


def test_table_of_a_leaf():
    text = backward_table(Value(4.0, label="c"))
    assert "c" in text and "4" in text
