"""Property tests over random expression DAGs: every operation, reused nodes, constants on both
sides. The engine's gradients must equal central finite differences and, where PyTorch is
installed, PyTorch float64. Hypothesis reports the failing seed (the only argument)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Value, affine, numerical_gradient, topological_order
from randgraph import fresh_backward, random_graph

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
GRAPHS = 2000  # random graphs per property and per run (4,500 in all with the compiled check)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SEEDS)
def test_compiled_code_equals_eager_bit_for_bit(seed):
    import struct

    from engine import compile
    out, leaves = random_graph(seed)
    fresh_backward(out, leaves)
    cg = compile(out, leaves[:1], leaves[1:], input_grads=True)
    value, pgrads, xgrads = cg.gradient([leaves[0].data])
    as_bits = lambda xs: [struct.pack("<d", x) for x in xs]
    assert as_bits([value] + list(pgrads) + list(xgrads)) == as_bits(
        [out.data] + [v.grad for v in leaves[1:]] + [leaves[0].grad]), seed


def _replay(seed):
    """The random graph's output as a function of its leaves: the recorded structure is rebuilt
    over new leaf Values, operation by operation (the generator itself may branch on the data)."""
    out, leaves = random_graph(seed)
    order = topological_order(out)

    def f(*xs):
        nodes = dict(zip(leaves, xs))
        for v in order:
            if v not in nodes:
                nodes[v] = Value(v.data) if v._a is None else _apply(v, [nodes[u] for u in v.inputs])
        return nodes[out]
    return f


def _apply(v, ins):
    name = v.op
    if name == "affine":
        b, rest = ins[0], ins[1:]
        return affine(rest[0::2], rest[1::2], b)
    if name == "powc":
        return ins[0] ** ins[1].data
    if len(ins) == 1:
        return -ins[0] if name == "neg" else getattr(ins[0], name)()
    return BINARY[name](*ins)


BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "max": lambda a, b: a.max(b)}


@settings(max_examples=GRAPHS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SEEDS)
def test_gradients_equal_central_differences(seed):
    out, leaves = random_graph(seed)
    out.backward()
    exact = [v.grad for v in leaves]
    approx = numerical_gradient(_replay(seed), [v.data for v in leaves])
    scale = max(1.0, max(abs(g) for g in exact))
    for e, a in zip(exact, approx):
        # central differences are accurate to ~1e-9 relative for these well-scaled graphs
        assert abs(e - a) <= 1e-6 * scale, (seed, exact, approx)


# Only the comparisons with PyTorch need it: without it they are skipped, the tests above still run.
try:
    import torch
except ImportError:
    torch = None
requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed: cross-checks against it "
                                                          "skipped (pip install torch==2.13.0)")


def _torch_graph(out, leaves):
    t = {}
    for v in topological_order(out):
        if v._a is None:
            t[v] = torch.tensor(v.data, dtype=torch.float64, requires_grad=v in leaves)
            continue
        ins = [t[u] for u in v.inputs]
        name = v.op
        if name == "affine":
            b, rest = ins[0], ins[1:]
            r = b
            for w, x in zip(rest[0::2], rest[1::2]):
                r = r + w * x
        elif name == "powc":
            r = ins[0] ** v.inputs[1].data
        elif name == "softplus":
            r = torch.nn.functional.softplus(ins[0])
        elif name in ("exp", "log", "tanh", "sigmoid", "relu"):
            r = getattr(torch, name)(ins[0])
        elif name == "neg":
            r = -ins[0]
        else:
            a, b = ins
            r = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
                 "pow": torch.pow, "max": torch.maximum}[name](a, b)
        t[v] = r
    return t[out], [t.get(v) for v in leaves]  # None for a leaf the output does not use


@requires_torch
@settings(max_examples=GRAPHS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SEEDS)
def test_gradients_equal_pytorch_float64(seed):
    out, leaves = random_graph(seed)
    out.backward()
    t_out, t_leaves = _torch_graph(out, leaves)
    t_out.backward()
    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-14)
    for v, tv in zip(leaves, t_leaves):
        if tv is None:
            assert v.grad == 0.0
            continue
        assert v.grad == pytest.approx(tv.grad.item(), rel=1e-10, abs=1e-12), seed


@requires_torch
@pytest.mark.parametrize("x", [-1000.0, -40.0, -1.5, 0.0, 0.7, 40.0, 1000.0])
@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "relu", "softplus"])
def test_unary_ops_against_pytorch(name, x):
    v = Value(x)
    out = getattr(v, name)()
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    fn = torch.nn.functional.softplus if name == "softplus" else getattr(torch, name)
    r = fn(t)
    r.backward()
    assert out.data == pytest.approx(r.item(), rel=1e-15, abs=0.0) or out.data == r.item()
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-300)


@requires_torch
@pytest.mark.parametrize("a,b", [(1.3, 2.2), (0.5, -1.5), (2.0, 0.0), (-2.0, 3.0)])
def test_binary_ops_against_pytorch(a, b):
    for name in ("add", "sub", "mul", "div", "pow"):
        if name == "div" and b == 0.0:
            continue
        va, vb = Value(a), Value(b)
        out = BINARY[name](va, vb)
        out.backward()
        ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        r = getattr(torch, name)(ta, tb)
        r.backward()
        assert out.data == pytest.approx(r.item(), rel=1e-15)
        assert va.grad == pytest.approx(ta.grad.item(), rel=1e-12, abs=1e-300), name
        if not (name == "pow" and a < 0):  # d/db of a**b is undefined for a < 0 (both give nan)
            assert vb.grad == pytest.approx(tb.grad.item(), rel=1e-12, abs=1e-300), name
