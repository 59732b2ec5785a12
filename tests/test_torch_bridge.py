"""nn.to_torch / nn.from_torch against PyTorch itself: exact round trips, the same forward pass and
gradients, the same training step for step with torch.optim, and the modules it refuses."""

import numpy as np
import pytest

import nn
from nn.data import higham_data, xor_data

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch (the bridge tests need it)")

ARCHITECTURES = [
    dict(nin=2, nouts=[2, 3, 2], activation="sigmoid", output_activation="sigmoid"),   # Higham & Higham
    dict(nin=2, nouts=[2, 1], activation="relu", output_activation="linear"),          # XOR
    dict(nin=3, nouts=[4, 4, 4, 2], activation="tanh", output_activation="linear"),
    dict(nin=4, nouts=[3, 2], activation="linear", output_activation="tanh"),
    dict(nin=5, nouts=[3], activation="relu", output_activation="relu"),
]


def make(arch, seed=0, init="normal"):
    return nn.MLP(arch["nin"], arch["nouts"], activation=arch["activation"],
                  output_activation=arch["output_activation"], init=init, rng=seed)


def bits(a):
    """The float64 bit patterns: equal bits means equal numbers, signed zeros and all."""
    return np.asarray(a, dtype=np.float64).view(np.int64)


def torch_vector(model):
    """A torch Sequential's parameters in mlp.parameters() order: [weight | bias] row by row."""
    with torch.no_grad():
        return torch.cat([torch.cat([m.weight, m.bias[:, None]], 1).reshape(-1)
                          for m in model if isinstance(m, torch.nn.Linear)]).numpy().copy()


def ours_vector(mlp):
    return np.array([p.data for p in mlp.parameters()])


# ------------------------------------------------------------------------------ structure and round trips

@pytest.mark.parametrize("arch", ARCHITECTURES, ids=lambda a: "-".join(map(str, [a["nin"], *a["nouts"]])))
def test_round_trip_ours_torch_ours_is_bit_for_bit(arch):
    mlp = make(arch, seed=3)
    model = nn.to_torch(mlp)
    back = nn.from_torch(model)
    assert back.sizes == mlp.sizes
    assert (back.activation, back.output_activation) == (mlp.activation, mlp.output_activation) \
        or len(mlp.layers) == 1 and back.output_activation == mlp.output_activation
    for key, value in mlp.arrays().items():
        assert np.array_equal(bits(back.arrays()[key]), bits(value)), key
    assert np.array_equal(bits(torch_vector(model)), bits(ours_vector(mlp)))


def test_to_torch_builds_float64_linear_layers_with_the_same_activations():
    mlp = make(ARCHITECTURES[0])
    model = nn.to_torch(mlp)
    assert isinstance(model, torch.nn.Sequential)
    assert [type(m) for m in model] == [torch.nn.Linear, torch.nn.Sigmoid] * 3
    assert all(p.dtype == torch.float64 and p.requires_grad for p in model.parameters())
    assert [tuple(m.weight.shape) for m in model[::2]] == [(2, 2), (3, 2), (2, 3)]
    # a linear output gets no activation module at all
    assert [type(m) for m in nn.to_torch(make(ARCHITECTURES[1]))] == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Linear]


def test_round_trip_torch_ours_torch_is_bit_for_bit_including_awkward_numbers():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        model[0].weight[0, :] = torch.tensor([-0.0, 5e-324, -1.7976931348623157e308], dtype=torch.float64)   # signed zero, subnormal, huge
        model[2].bias[1] = 0.1
    again = nn.to_torch(nn.from_torch(model))
    assert [type(m) for m in again] == [type(m) for m in model]
    for p, q in zip(model.parameters(), again.parameters()):
        assert np.array_equal(bits(p.detach().numpy()), bits(q.detach().numpy()))


def test_the_copies_are_independent():
    mlp = make(ARCHITECTURES[0])
    start = ours_vector(mlp)
    model = nn.to_torch(mlp)
    with torch.no_grad():
        model[0].weight += 1.0
    assert np.array_equal(ours_vector(mlp), start)
    back = nn.from_torch(model)
    with torch.no_grad():
        model[0].weight -= 5.0
    assert ours_vector(back)[0] == start[0] + 1.0


def test_nested_sequentials_identity_and_a_bare_linear_are_read():
    inner = torch.nn.Sequential(torch.nn.Linear(2, 3, dtype=torch.float64), torch.nn.ReLU())
    mlp = nn.from_torch(torch.nn.Sequential(torch.nn.Identity(), inner, torch.nn.Identity(),
                                            torch.nn.Linear(3, 1, dtype=torch.float64), torch.nn.Identity()))
    assert mlp.sizes == [2, 3, 1] and (mlp.activation, mlp.output_activation) == ("relu", "linear")
    single = nn.from_torch(torch.nn.Linear(4, 2, dtype=torch.float64))
    assert single.sizes == [4, 2] and single.output_activation == "linear"


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_lower_precision_parameters_are_widened_exactly(dtype):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 2)).to(getattr(torch, dtype))
    mlp = nn.from_torch(model)
    expected = torch_vector(model.double())   # widening is exact, so this is the same number
    assert np.array_equal(bits(ours_vector(mlp)), bits(expected))


# ------------------------------------------------------------------------------ the same numbers

@pytest.mark.parametrize("arch", ARCHITECTURES, ids=lambda a: "-".join(map(str, [a["nin"], *a["nouts"]])))
def test_forward_and_gradients_agree_to_rounding(arch):
    mlp = make(arch, seed=5)
    model = nn.to_torch(mlp)
    X = np.random.default_rng(2).normal(size=(20, arch["nin"]))
    theirs = model(torch.tensor(X)).detach().numpy().reshape(20, -1)
    ours = np.array([[v.data for v in (out if isinstance(out, list) else [out])]
                     for out in (mlp(list(x)) for x in X)])
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-15)
    # gradient of the sum of all outputs over the 20 inputs
    mlp.zero_grad()
    total = None
    for x in X:
        out = mlp(list(x))
        for v in (out if isinstance(out, list) else [out]):
            total = v if total is None else total + v
    total.backward()
    model.zero_grad()
    model(torch.tensor(X)).sum().backward()
    torch_grads = torch.cat([torch.cat([m.weight.grad, m.bias.grad[:, None]], 1).reshape(-1)
                             for m in model if isinstance(m, torch.nn.Linear)]).numpy()
    np.testing.assert_allclose([p.grad for p in mlp.parameters()], torch_grads, rtol=1e-13, atol=1e-13)


OPTIMIZERS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.1, "weight_decay": 1e-3}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 1e-3}),
]


def train_both(mlp, X, Y, batches, kind, settings, cost_ours, cost_torch):
    """The same loop on both sides; returns (our costs, torch costs, our params, torch params) per step."""
    model = nn.to_torch(mlp)
    ours_opt = getattr(nn, kind)(mlp.parameters(), **settings)
    torch_opt = getattr(torch.optim, kind)(model.parameters(), **settings)
    Xt, Yt = torch.tensor(X), torch.tensor(Y.reshape(len(X), -1))
    xs, ys = X.tolist(), Y.tolist()
    record = ([], [], [], [])
    for batch in batches:
        ours_opt.zero_grad()
        c = cost_ours(mlp, [xs[k] for k in batch], [ys[k] for k in batch])
        c.backward()
        ours_opt.step()
        torch_opt.zero_grad()
        t = cost_torch(model(Xt[list(batch)]), Yt[list(batch)])
        t.backward()
        torch_opt.step()
        for store, value in zip(record, (c.data, t.item(), ours_vector(mlp), torch_vector(model))):
            store.append(value)
    return tuple(np.array(r) for r in record)


@pytest.mark.parametrize("kind, settings", OPTIMIZERS, ids=lambda v: v if isinstance(v, str) else
                         ",".join(f"{k}={x}" for k, x in v.items()))
def test_higham_network_trains_step_for_step_as_torch_optim(kind, settings):
    """Single-sample steps on the ten points, indices drawn once and used by both sides."""
    X, Y = higham_data()
    rng = np.random.default_rng(7)
    mlp = make(ARCHITECTURES[0], seed=rng)
    start = ours_vector(mlp)
    batches = [(int(k),) for k in rng.integers(0, 10, size=300)]
    c_ours, c_torch, p_ours, p_torch = train_both(
        mlp, X, Y, batches, kind, settings,
        lambda net, xs, ys: nn.half_squared_error(net(xs[0]), ys[0]),
        lambda out, y: 0.5 * ((y - out) ** 2).sum())
    assert np.max(np.abs(p_ours[-1] - start)) > 1e-3      # the parameters did move
    assert np.max(np.abs(c_ours - c_torch)) < 1e-14
    assert np.max(np.abs(p_ours - p_torch)) < 1e-13


@pytest.mark.parametrize("kind, settings", OPTIMIZERS[::2], ids=lambda v: v if isinstance(v, str) else
                         ",".join(f"{k}={x}" for k, x in v.items()))
def test_xor_network_trains_step_for_step_full_batch(kind, settings):
    X, y = xor_data()
    mlp = nn.MLP(2, [2, 1], activation="relu", output_activation="linear", init="uniform", rng=4)
    c_ours, c_torch, p_ours, p_torch = train_both(
        mlp, X, y, [range(4)] * 300, kind, settings,
        lambda net, xs, ys: nn.mse([net(x) for x in xs], ys),
        lambda out, t: ((t - out) ** 2).mean())
    assert c_ours[-1] < 0.5 * c_ours[0]
    assert np.max(np.abs(c_ours - c_torch)) < 1e-13
    assert np.max(np.abs(p_ours - p_torch)) < 1e-12


# ------------------------------------------------------------------------------ refusals

def linear(nin, nout, **kw):
    return torch.nn.Linear(nin, nout, dtype=torch.float64, **kw)


@pytest.mark.parametrize("module, message", [
    (lambda: torch.nn.Sequential(linear(2, 2), torch.nn.Dropout(0.5), linear(2, 1)), "module 1 .*Dropout.*no dropout"),
    (lambda: torch.nn.Sequential(torch.nn.Conv1d(1, 1, 2), linear(2, 1)), "module 0 .*Conv1d.*not convolutions"),
    (lambda: torch.nn.Sequential(linear(2, 2), torch.nn.BatchNorm1d(2)), "BatchNorm1d.*no normalisation"),
    (lambda: torch.nn.Sequential(linear(2, 2), torch.nn.LeakyReLU()), "LeakyReLU.*Sigmoid, Tanh, ReLU"),
    (lambda: torch.nn.Sequential(linear(2, 2), torch.nn.Softplus()), "Softplus.*not an activation"),
    (lambda: torch.nn.Sequential(linear(2, 2), torch.nn.Bilinear(2, 2, 1)), "parameters that is not torch.nn.Linear"),
    (lambda: torch.nn.Sequential(linear(2, 2, bias=False)), "bias=False.*has a bias"),
    (lambda: torch.nn.Sequential(linear(2, 3), torch.nn.ReLU(), linear(2, 1)),
     r"module 2 .*Linear\(2, 1\), takes 2 inputs but the layer before it has 3 outputs"),
    (lambda: torch.nn.Sequential(torch.nn.ReLU(), linear(2, 1)), "comes before any Linear"),
    (lambda: torch.nn.Sequential(linear(2, 2), torch.nn.ReLU(), torch.nn.Tanh()), "follows another activation"),
    (lambda: torch.nn.Sequential(linear(2, 2), torch.nn.ReLU(), linear(2, 2), torch.nn.Tanh(), linear(2, 1)),
     r"different activations \(relu, tanh\)"),
    (lambda: torch.nn.Sequential(), "without any Linear"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 2, dtype=torch.complex128)), "dtype torch.complex128"),
])
def test_from_torch_refuses_what_an_mlp_cannot_represent(module, message):
    with pytest.raises(ValueError, match=message):
        nn.from_torch(module())


def test_from_torch_refuses_other_modules_and_non_finite_parameters():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = linear(2, 1)

        def forward(self, x):
            return self.fc(x) ** 2

    with pytest.raises(TypeError, match="got Net: the forward\\(\\) of another kind of Module cannot be read"):
        nn.from_torch(Net())
    with pytest.raises(TypeError, match="got list"):
        nn.from_torch([linear(2, 1)])
    bad = torch.nn.Sequential(linear(2, 1))
    with torch.no_grad():
        bad[0].weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match=r"W\[2\] must be finite"):
        nn.from_torch(bad)


def test_to_torch_refuses_what_torch_cannot_be_given():
    with pytest.raises(TypeError, match="to_torch takes an nn.MLP, got Layer"):
        nn.to_torch(nn.Layer(2, 2))
    custom = nn.MLP(2, [2, 1], activation=lambda z: z * z, init="zeros")
    with pytest.raises(ValueError, match="layer 2 has the activation .*a function PyTorch cannot be given"):
        nn.to_torch(custom)
