"""nn.train(compiled=True) follows the eager training loop bit for bit."""

import pytest

import nn


def _net(seed=5000):
    return nn.MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=seed)


@pytest.mark.parametrize("scheme,m", [("approach2", 1), ("approach1", 1), ("approach2", 3),
                                      ("approach1", 4), ("full", 1)])
def test_compiled_training_equals_eager_bit_for_bit(scheme, m):
    X, Y = nn.higham_data()
    runs = []
    for compiled in (False, True):
        net = _net()
        h = nn.train(net, X, Y, scheme=scheme, batch_size=m, steps=600, seed=1, record_every=150,
                     compiled=compiled)
        runs.append(([p.data for p in net.parameters()], h.steps, h.costs))
    assert runs[0] == runs[1]
    assert runs[1][2][-1] < runs[1][2][0]


@pytest.mark.parametrize("make", [lambda net: nn.Adam(net, lr=0.01),
                                  lambda net: nn.SGD(net, lr=0.1, momentum=0.9, nesterov=True)])
def test_compiled_training_with_other_optimizers(make):
    X, Y = nn.higham_data()
    nets = [_net(), _net()]
    for net, compiled in zip(nets, (False, True)):
        nn.train(net, X, Y, optimizer=make(net), steps=300, compiled=compiled)
    assert [p.data for p in nets[0].parameters()] == [p.data for p in nets[1].parameters()]


def test_compiled_training_on_a_scalar_target_loss():
    X, y = nn.xor_data()
    nets = [nn.MLP(2, [4, 1], activation="tanh", init="normal", rng=3) for _ in range(2)]
    for net, compiled in zip(nets, (False, True)):
        nn.train(net, X, y, loss="mse", scheme="full", steps=200, lr=0.2, compiled=compiled)
    assert [p.data for p in nets[0].parameters()] == [p.data for p in nets[1].parameters()]


def test_compiled_training_with_an_alias_scheme_and_a_partial_optimizer():
    X, Y = nn.higham_data()
    for scheme in ("batch", "epochs"):
        nets = [_net(), _net()]
        for net, compiled in zip(nets, (False, True)):
            nn.train(net, X, Y, scheme=scheme, steps=200, compiled=compiled)
        assert [p.data for p in nets[0].parameters()] == [p.data for p in nets[1].parameters()]
    nets = [_net(), _net()]
    for net, compiled in zip(nets, (False, True)):  # the optimizer owns the last layer only
        nn.train(net, X, Y, optimizer=nn.SGD(net.layers[-1], lr=0.5), steps=200, compiled=compiled)
    assert [p.data for p in nets[0].parameters()] == [p.data for p in nets[1].parameters()]
    assert [p.data for p in nets[1].layers[0].parameters()] == [p.data for p in _net().layers[0].parameters()]


def test_compiled_training_refuses_a_loss_that_needs_plain_number_targets():
    X, y = nn.xor_data()
    for loss in ("softmax_ce", nn.softmax_cross_entropy):  # a class index cannot be a leaf
        with pytest.raises(ValueError, match="cannot record the loss softmax_cross_entropy") as info:
            nn.train(nn.MLP(2, [2, 2], rng=0), X, y.astype(int), loss=loss, steps=1, compiled=True)
        assert "y1_1" not in str(info.value) and "compiled=False" in str(info.value)


def test_the_hinge_loss_compiles_its_labels_are_leaves_like_any_target():
    """hinge_loss reads the label's sign only to check it; its graph max(0, 1 − y s) is the same
    for every sample, so compiled training follows eager training bit for bit."""
    X, y = nn.xor_data()
    for loss in ("hinge", nn.hinge_loss):
        nets = [nn.MLP(2, [4, 1], activation="tanh", init="normal", rng=3) for _ in range(2)]
        runs = [nn.train(net, X, 2 * y - 1, loss=loss, steps=200, lr=0.1, record_every=50, compiled=compiled)
                for net, compiled in zip(nets, (False, True))]
        assert runs[0].costs == runs[1].costs
        assert [p.data for p in nets[0].parameters()] == [p.data for p in nets[1].parameters()]
