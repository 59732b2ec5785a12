"""micrograd's own way of extending Value (issue 22 item 6): Value(data, (children,), 'op') with a
_backward closure set by the user, as in the lecture and the Zero-to-Hero exercises; and the refusals
of such a node where its rule would be needed (compile, second derivatives, step tables)."""

import copy
import math
import re

import numpy as np
import pytest

import engine
from engine import ClosureNodeError, Value

EXERCISE_GRADIENT = [-12.353553390593273, 10.25699027111255, 0.0625]  # REFERENCE.md section 7


# the student's operations, written as in the exercises notebook
def sin(x):
    out = Value(math.sin(x.data), (x,), "sin")

    def _backward():
        x.grad += math.cos(x.data) * out.grad
    out._backward = _backward
    return out


def exp(x):
    out = Value(math.exp(x.data), (x,), "exp")

    def _backward():
        x.grad += out.data * out.grad
    out._backward = _backward
    return out


def log(x):
    out = Value(math.log(x.data), (x,), "log")

    def _backward():
        x.grad += (1.0 / x.data) * out.grad
    out._backward = _backward
    return out


def weighted_sum(xs, ws):
    out = Value(sum(x.data * w for x, w in zip(xs, ws)), tuple(xs), "wsum")

    def _backward():
        for x, w in zip(xs, ws):
            x.grad += w * out.grad
    out._backward = _backward
    return out


def f_closures(a, b, c):
    return -a**3 + sin(3*b) - 1.0/c + b**2.5 - a**0.5


def f_define(a, b, c):
    return -a**3 + engine.sin(3*b) - 1.0/c + b**2.5 - a**0.5


@pytest.mark.parametrize("f", [f_closures, f_define], ids=["closures", "engine.sin"])
def test_the_exercise_gradient(f):
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    f(a, b, c).backward()
    assert [a.grad, b.grad, c.grad] == EXERCISE_GRADIENT


def test_the_exercise_against_torch_and_finite_differences():
    assert engine.numerical_gradient(f_closures, [2.0, 3.0, 4.0]) == pytest.approx(EXERCISE_GRADIENT, rel=1e-8)
    torch = pytest.importorskip("torch")
    t = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (2.0, 3.0, 4.0)]
    a, b, c = t
    (-a**3 + torch.sin(3*b) - 1.0/c + b**2.5 - a**0.5).backward()
    assert [x.grad.item() for x in t] == pytest.approx(EXERCISE_GRADIENT, rel=1e-15)


def test_softmax_and_negative_log_likelihood_from_closures_against_torch():
    logits = [0.0, 3.0, -2.0, 1.0]
    xs = [Value(x) for x in logits]
    es = [exp(x) for x in xs]
    total = es[0] + es[1] + es[2] + es[3]
    probs = [e / total for e in es]
    loss = -log(probs[3])
    loss.backward()
    torch = pytest.importorskip("torch")
    t = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(t[None], torch.tensor([3]))
    tl.backward()
    assert loss.data == pytest.approx(tl.item(), rel=1e-14)
    np.testing.assert_allclose([x.grad for x in xs], t.grad.numpy(), rtol=1e-13, atol=1e-15)


def test_op_prev_and_the_positional_form():
    x = Value(0.5)
    s = sin(x)
    assert s._op == "sin" and s.op == "sin" and s._prev == (x,) and s.is_closure
    assert (x ** 2)._prev == (x,) and (x ** 2)._op == "**2"
    assert (x * 2)._prev[0] is x and len((x * 2)._prev) == 2  # a plain number is a constant leaf
    labelled = Value(1.0, "a label")  # a string second argument stays a label, not an op
    assert labelled.label == "a label" and labelled.is_leaf
    leafy = Value(1.0, (), "")  # micrograd's leaf form
    assert leafy.is_leaf and leafy._op == ""
    three = weighted_sum([x, s, Value(2.0)], [1.0, -2.0, 0.5])
    assert three._prev == (x, s, three._prev[2]) and three._op == "wsum"
    with pytest.raises(TypeError, match=r"children\[1\] must be a Value"):
        Value(1.0, (x, 2.0), "bad")
    with pytest.raises(TypeError, match="op must be a string"):
        Value(1.0, (x,), 3)


def test_closure_nodes_accumulate_into_leaves_as_backward_does():
    x = Value(0.5)
    x.grad = 5.0
    out = sin(x) * x
    out.backward()
    first = math.cos(0.5) * 0.5 + math.sin(0.5)
    assert x.grad == pytest.approx(5.0 + first, rel=1e-15)
    out.backward()  # a second pass adds once more; the interior closure node is set afresh
    assert x.grad == pytest.approx(5.0 + 2 * first, rel=1e-15)
    y = Value(0.5)
    y.grad = None
    (sin(y) * y).backward()
    assert y.grad == pytest.approx(first, rel=1e-15)


def test_a_closure_node_without_backward_passes_nothing_as_in_micrograd():
    x = Value(0.5)
    out = Value(x.data * 3, (x,), "thrice") + x
    out.backward()
    assert x.grad == 1.0


def test_a_closure_shared_by_two_paths_and_many_children():
    x, y = Value(0.3), Value(-1.1)
    s = sin(x)
    w = weighted_sum([s, y, x], [2.0, 3.0, -1.0])
    out = w * s
    out.backward()
    # d/dx of (2 sin x + 3 y - x) sin x, d/dy = 3 sin x
    sx, cx = math.sin(0.3), math.cos(0.3)
    assert x.grad == pytest.approx((2 * cx - 1) * sx + (2 * sx + 3 * -1.1 - 0.3) * cx, rel=1e-14)
    assert y.grad == pytest.approx(3 * sx, rel=1e-15)


def test_drawings_show_the_op_text():
    x = Value(0.5, label="x")
    s = Value(math.sin(x.data), (x,), "student_sin")
    source = engine.draw_graph(s * 2).source
    assert re.search(r"_op \[label=student_sin ", source)
    assert len(re.findall(r"_op \[label=", source)) == 2  # the closure node and the product


def test_deepcopy_of_a_closure_graph_updates_the_copy():
    x = Value(0.5)
    out = sin(x) * x
    dup = copy.deepcopy(out)
    dup.backward()
    assert x.grad == 0.0
    copied_x = dup.inputs[1]
    assert copied_x.grad == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5), rel=1e-15)


@pytest.mark.parametrize("call, what", [
    (lambda out, leaves: engine.compile(out, [], leaves), "engine.compile"),
    (lambda out, leaves: engine.compile(out, [], leaves, backend="numba"), "engine.compile"),
    (lambda out, leaves: engine.grad(out, leaves, create_graph=True), "a gradient graph"),
    (lambda out, leaves: engine.grad(out, leaves[:1], create_graph=True), "a gradient graph"),  # off the path
    (lambda out, leaves: engine.grad(out, leaves), "local derivatives|step tables|a pass computed"),
    (lambda out, leaves: engine.hessian_of(out, leaves), "a gradient graph"),
    (lambda out, leaves: engine.hessian(lambda a, b: sin(b) * a, [1.0, 2.0]), "a gradient graph"),
    (lambda out, leaves: engine.hvp(lambda a, b: sin(b) * a, [1.0, 2.0], [1, 0]), "a gradient graph"),
    (lambda out, leaves: engine.backward_table(out), "backward_steps|step tables"),
    (lambda out, leaves: list(engine.backward_steps(out)), "backward_steps"),
    (lambda out, leaves: engine.local_derivatives(out.inputs[1]), "local derivatives"),
])
def test_rule_needing_tools_refuse_a_closure_node_and_say_to_use_define(call, what):
    if "numba" in repr(call.__code__.co_consts):
        pytest.importorskip("numba")
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    out = a * sin(b)
    with pytest.raises(ClosureNodeError, match=what) as info:
        call(out, [a, b])
    message = str(info.value)
    assert "'sin'" in message and "engine.define" in message and len(message) < 400
    # nothing was changed by the refusal
    assert (a.grad, b.grad) == (0.0, 0.0)
