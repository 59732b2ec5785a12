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


@pytest.mark.parametrize("loss", ["hinge", "softmax_ce"])
def test_compiled_training_refuses_losses_whose_graph_depends_on_the_targets(loss):
    X, y = nn.xor_data()
    with pytest.raises(ValueError, match="cannot record"):
        nn.train(nn.MLP(2, [2, 1], rng=0), X, 2 * y - 1, loss=loss, steps=1, compiled=True)
