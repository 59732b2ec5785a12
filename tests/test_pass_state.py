"""The state of a backward pass belongs to the pass (issue 22, item 3): interleaved passes both count,
an abandoned step-by-step pass adds nothing, tables and backward() in different threads are each whole,
a None grad is "no gradient yet", and a pass that fails for any reason changes no leaf's gradient.

The expected numbers are PyTorch's answers to the same programs (checked against torch where it is
installed) and closed forms."""

import gc
import math
import random
import signal
import sys
import threading

import pytest

import engine
from engine import Value, backward_steps, backward_table


def _leaves(*vs):
    return [v.grad for v in vs]


# ------------------------------------------------------------------ interleaved passes

def test_steps_interleaved_with_backward_both_count():
    # issue 22's case: x.grad = 5, then d(x*x)/dx = 3 and d(3x)/dx = 3 at x = 1.5: 5 + 3 + 3 = 11
    x = Value(1.5)
    x.grad = 5
    it = backward_steps(x * x, apply=True)
    (x * 3).backward()
    list(it)
    assert x.grad == 11.0


def test_steps_interleaved_with_backward_as_torch():
    torch = pytest.importorskip("torch")
    t = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    t.grad = torch.tensor(5.0, dtype=torch.float64)
    (t * 3).backward()
    (t * t).backward()
    x = Value(1.5)
    x.grad = 5.0
    it = backward_steps(x * x, apply=True)
    next(it)  # started before the other pass ...
    (x * 3).backward()
    list(it)  # ... and finished after it
    assert x.grad == t.grad.item()


def test_two_step_passes_interleaved_with_each_other():
    a, b = Value(0.75), Value(-2.0)
    a.grad, b.grad = 1.0, 2.0
    f = a * b + a       # d/da = b + 1 = -1, d/db = a = 0.75
    h = (a * a) * b     # d/da = 2ab = -3, d/db = a^2 = 0.5625
    first, second = backward_steps(f, apply=True), backward_steps(h, apply=True)
    next(first)
    next(second)
    list(first)
    list(second)
    assert _leaves(a, b) == [1.0 - 1.0 - 3.0, 2.0 + 0.75 + 0.5625]


# ------------------------------------------------------------------ abandoned passes

def _graph():
    a, b, c = Value(0.3, label="a"), Value(-1.2, label="b"), Value(2.0, label="c")
    out = ((a * b + a.tanh()) * b + c.sigmoid() * a) ** 2
    return out, (a, b, c)


@pytest.mark.parametrize("steps_taken", [0, 1, 2, 4])
def test_an_abandoned_pass_adds_nothing(steps_taken):
    out, leaves = _graph()
    before = [0.239, None, -3.5]
    for v, g in zip(leaves, before):
        v.grad = g
    it = backward_steps(out, apply=True)
    for _ in range(steps_taken):
        next(it)
    del it
    gc.collect()
    assert _leaves(*leaves) == before
    # and a full pass afterwards counts once, from those grads (PyTorch: accumulate; None: set)
    ref, ref_leaves = _graph()
    ref.backward()
    out.backward()
    assert _leaves(*leaves) == [0.239 + ref_leaves[0].grad, ref_leaves[1].grad, -3.5 + ref_leaves[2].grad]


def test_a_closed_pass_adds_nothing_and_backward_in_between_counts_once():
    out, (a, b, c) = _graph()
    ref, ref_leaves = _graph()
    ref.backward()
    it = backward_steps(out, apply=True)
    next(it)
    out.backward()
    it.close()
    assert _leaves(a, b, c) == [v.grad for v in ref_leaves]


# ------------------------------------------------------------------ threads

def _table_graph():
    w = [Value(0.1 * (i + 1), label=f"w{i}") for i in range(6)]
    x = [Value(1.0 - 0.3 * i, label=f"x{i}") for i in range(6)]
    z = engine.affine(w, x, 0.25).tanh()
    out = (z - 0.5) ** 2 + (w[0] * w[1]).relu()
    return out, w + x


@pytest.fixture
def fast_switching():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def test_tables_and_backward_in_two_threads_are_each_whole(fast_switching):
    out, leaves = _table_graph()
    expected_table = backward_table(out)
    out.backward()
    expected = [v.grad for v in leaves]
    passes = 1000
    errors, tables = [], []
    start = threading.Barrier(2)

    def tables_thread():
        start.wait()
        for _ in range(passes):
            text = backward_table(out)
            if text != expected_table:
                tables.append(text)

    def backward_thread():
        start.wait()
        for i in range(passes):
            for v in leaves:
                v.grad = 0.0  # zero_grad
            out.backward()
            got = [v.grad for v in leaves]
            if got != expected:
                errors.append((i, got))

    threads = [threading.Thread(target=tables_thread), threading.Thread(target=backward_thread)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not tables, f"{len(tables)} of {passes} tables differ; first:\n{tables[0]}"
    assert not errors, f"{len(errors)} of {passes} passes wrong; first: {errors[0]}"


def test_two_threads_backward_on_graphs_sharing_nodes(fast_switching):
    # dyadic numbers: every sum below is exact, so the total does not depend on the interleaving
    w, x = Value(0.5), Value(1.5)
    h = w * x             # shared interior node
    first, second = h * 2.0, h * 3.0 + w
    passes = 500

    def run(out):
        for _ in range(passes):
            out.backward()

    threads = [threading.Thread(target=run, args=(o,)) for o in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # d first/dw = 2x = 3, d second/dw = 3x + 1 = 5.5; d/dx: 2w = 1 and 3w = 1.5
    assert w.grad == passes * (3.0 + 5.5)
    assert x.grad == passes * (1.0 + 1.5)


# ------------------------------------------------------------------ None grads

def test_a_none_grad_gets_the_pass_gradient_as_in_torch():
    a, b = Value(2.0), Value(3.0)
    a.grad, b.grad = None, 5.0
    (a * b).backward()
    assert (a.grad, b.grad) == (3.0, 7.0)
    torch = pytest.importorskip("torch")
    ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    tb.grad = torch.tensor(5.0, dtype=torch.float64)
    (ta * tb).backward()
    assert (ta.grad.item(), tb.grad.item()) == (a.grad, b.grad)


def test_none_grads_through_steps_tables_and_a_leaf_root():
    a, b = Value(2.0), Value(3.0)
    a.grad = None
    out = a * b + a
    table = backward_table(out)  # reads nothing from .grad
    assert "4" in table and a.grad is None
    list(backward_steps(out, apply=True))
    assert (a.grad, b.grad) == (4.0, 2.0)
    leaf = Value(1.0)
    leaf.grad = None
    leaf.backward(2.5)
    assert leaf.grad == 2.5


# ------------------------------------------------------------------ failed passes

def _closure(x, fail):
    out = Value(x.data * 2.0, (x,), "dbl")

    def _backward():
        if fail is not None:
            raise fail
        x.grad += 2.0 * out.grad
    out._backward = _backward
    return out


@pytest.mark.parametrize("fail", [RuntimeError("a user's closure failed"), KeyboardInterrupt()])
def test_a_pass_that_fails_changes_no_leaf(fail):
    a, b, c = Value(2.0), Value(3.0), Value(-1.0)
    a.grad, b.grad, c.grad = 1.0, None, 5.0
    # the closure is processed in the middle of the pass: b and c have contributions by then
    out = (_closure(a * c, fail) + b) * b + c * c
    with pytest.raises(type(fail)):
        out.backward()
    assert (a.grad, b.grad, c.grad) == (1.0, None, 5.0)


def test_a_leaf_with_a_grad_that_is_no_number_fails_the_pass_and_no_other_leaf_changes():
    a, b = Value(2.0), Value(3.0)
    a.grad, b.grad = 5.0, "not a number"
    with pytest.raises(TypeError):
        (a * b).backward()
    assert (a.grad, b.grad) == (5.0, "not a number")


def test_a_domain_error_in_a_step_pass_leaves_the_leaves_as_they_were():
    a = Value(2.0)
    a.grad = 0.5
    with pytest.raises(engine.ClosureNodeError):
        list(backward_steps(_closure(a, None) * a, apply=True))
    assert a.grad == 0.5


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer (POSIX)")
def test_ctrl_c_at_any_moment_of_a_pass_is_all_or_nothing():
    """SIGINT at random moments of backward() on a network-sized graph: each interrupted pass has
    either added its gradient to every leaf or to none."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    rng = random.Random(7)
    ws = [Value(rng.uniform(-1, 1)) for _ in range(300)]
    xs = [rng.uniform(-1, 1) for _ in range(300)]
    out = sum((w * x).tanh() for w, x in zip(ws, xs))
    for w in ws:
        w.grad = 0.0
    out.backward()
    once = [w.grad for w in ws]

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    partial, interrupted = 0, 0
    try:
        for _trial in range(150):
            for w in ws:
                w.grad = 1.0
            try:  # the alarm may ring before backward() starts: then the leaves stay as they were
                signal.setitimer(signal.ITIMER_REAL, rng.uniform(1e-5, 2e-3))
                out.backward()
                signal.setitimer(signal.ITIMER_REAL, 0)
            except KeyboardInterrupt:
                interrupted += 1
            got = [w.grad for w in ws]
            if got != [1.0] * len(ws) and got != [1.0 + g for g in once]:
                partial += 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert interrupted > 0
    assert partial == 0, f"{partial} of {interrupted} interrupted passes left some leaves updated"
    assert math.isfinite(sum(once))
