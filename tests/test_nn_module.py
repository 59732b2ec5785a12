"""Modules: the Higham network's 23 parameters and their names, micrograd's structure and order,
the paper's W[l]/b[l] view, seeded initialisation, forward-pass labels and clear input errors.
Forward values and gradients are checked against an independent NumPy implementation of the
paper's equations (5.2)-(5.8)."""

import math

import numpy as np
import pytest

import engine
from engine import Value, topological_order
from nn import MLP, Layer, Module, Neuron, higham_data, xor_data, xor_solution


def higham(seed=0):
    return MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=seed)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def paper_forward_backward(arrays, x, y):
    """NumPy version of Higham & Higham §5: returns F(x) and dC/d(W[l]), dC/d(b[l]) by (5.5)-(5.8)."""
    a = {1: np.asarray(x, float)}
    z = {}
    L = 1 + len(arrays) // 2
    for l in range(2, L + 1):
        z[l] = arrays[f"W[{l}]"] @ a[l - 1] + arrays[f"b[{l}]"]
        a[l] = sigmoid(z[l])
    dsig = {l: a[l] * (1 - a[l]) for l in z}
    delta = {L: dsig[L] * (a[L] - y)}                                       # (5.5)
    for l in range(L - 1, 1, -1):
        delta[l] = dsig[l] * (arrays[f"W[{l + 1}]"].T @ delta[l + 1])      # (5.6)
    grads = {}
    for l in range(2, L + 1):
        grads[f"b[{l}]"] = delta[l]                                         # (5.7)
        grads[f"W[{l}]"] = np.outer(delta[l], a[l - 1])                     # (5.8)
    return a[L], grads


# ------------------------------------------------------------------ counting and naming

def test_higham_network_has_23_parameters_with_paper_names():
    net = higham()
    assert net.num_parameters() == 23
    names = [name for name, _ in net.named_parameters()]
    expected = []
    for l, (nout, nin) in zip((2, 3, 4), ((2, 2), (3, 2), (2, 3))):
        for j in range(1, nout + 1):
            expected += [f"W[{l}][{j},{k}]" for k in range(1, nin + 1)] + [f"b[{l}][{j}]"]
    assert names == expected
    assert "W[3][2,1]" in names and "b[4][1]" in names
    # the Values carry the same names as labels, and named_parameters follows parameters()
    assert [p.label for p in net.parameters()] == names
    assert [p for _, p in net.named_parameters()] == net.parameters()


def test_parameter_order_is_micrograds_layer_neuron_weights_then_bias():
    net = higham(1)
    order = []
    for layer in net.layers:
        for neuron in layer.neurons:
            order += neuron.w + [neuron.b]
    assert net.parameters() == order
    assert all(isinstance(p, Value) and p.is_leaf for p in order)
    assert len(set(map(id, order))) == 23


def test_summary_lists_each_layer_and_the_total():
    text = higham().summary()
    lines = text.splitlines()
    assert "23 parameters" in lines[0] and "2-2-3-2" in lines[0]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert rows["2"][-1] == "6" and "2x2" in rows["2"] and "sigmoid" in rows["2"]
    assert rows["3"][-1] == "9" and "3x2" in rows["3"]
    assert rows["4"][-1] == "8" and "2x3" in rows["4"]
    assert rows["total"][-1] == "23"
    assert str(higham()) == text
    assert repr(higham()) == "MLP(2, [2, 3, 2], activation='sigmoid', output_activation='sigmoid')"


def test_micrograd_defaults_relu_hidden_linear_output():
    net = MLP(3, [4, 4, 1], rng=0)
    assert [layer.activation for layer in net.layers] == ["relu", "relu", "linear"]
    assert net.num_parameters() == 4 * 4 + 4 * 5 + 5
    out = net([1.0, -2.0, 0.5])
    assert isinstance(out, Value)          # one output neuron: a single Value, as in micrograd
    assert out.op == "affine"              # linear output: the z node is the output
    assert out.label == "z[4]_1"


def test_layer_returns_single_value_for_one_neuron_and_list_otherwise():
    assert isinstance(Layer(2, 1, rng=0)([1.0, 2.0]), Value)
    out = Layer(2, 3, rng=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_mlp_layer_by_paper_number():
    net = higham()
    assert net.layer(2) is net.layers[0] and net.layer(4) is net.layers[2]
    assert [layer.number for layer in net.layers] == [2, 3, 4]
    for bad in (1, 5, 0, "2"):
        with pytest.raises(IndexError, match="layers 2 to 4"):
            net.layer(bad)


# ------------------------------------------------------------------ the paper's view

def test_W_and_b_views_are_the_neurons_values():
    net = higham()
    layer = net.layer(3)
    assert len(layer.W) == 3 and all(len(row) == 2 for row in layer.W)
    for j, neuron in enumerate(layer.neurons):
        assert layer.W[j] == neuron.w and layer.b[j] is neuron.b
    assert layer.W[1][0].label == "W[3][2,1]"
    np.testing.assert_array_equal(layer.W_array(), [[w.data for w in n.w] for n in layer.neurons])
    np.testing.assert_array_equal(layer.b_array(), [n.b.data for n in layer.neurons])


def test_arrays_round_trip_and_keep_value_identity():
    net = higham(3)
    params = net.parameters()
    arrays = net.arrays()
    assert list(arrays) == ["W[2]", "b[2]", "W[3]", "b[3]", "W[4]", "b[4]"]
    assert arrays["W[3]"].shape == (3, 2) and arrays["b[4]"].shape == (2,)
    rng = np.random.default_rng(7)
    new = {k: rng.standard_normal(v.shape) for k, v in arrays.items()}
    net.set_arrays(new)
    assert net.parameters() == params                      # same Value objects, new numbers
    for k, v in net.arrays().items():
        np.testing.assert_array_equal(v, new[k])
    # W[l] row j, column k is the parameter named W[l][j+1,k+1]
    named = dict(net.named_parameters())
    assert named["W[4][2,3]"].data == new["W[4]"][1, 2]
    assert named["b[3][3]"].data == new["b[3]"][2]
    other = higham(99)
    other.set_arrays(net.arrays())
    assert [p.data for p in other.parameters()] == [p.data for p in net.parameters()]


def test_set_arrays_checks_everything_before_changing_anything():
    net = higham(0)
    before = [p.data for p in net.parameters()]
    good = net.arrays()
    bad_cases = [
        ({**good, "W[4]": np.zeros((3, 2))}, ValueError, r"W\[4\] must have shape \(2, 3\).*got shape \(3, 2\)"),
        ({**good, "b[2]": np.zeros(3)}, ValueError, r"b\[2\] must have shape \(2,\)"),
        ({**good, "W[3]": np.full((3, 2), np.nan)}, ValueError, "finite"),
        ({**good, "W[3]": np.array([["a", "b"]] * 3)}, ValueError, "real numbers"),
        ({**good, "W[5]": np.zeros((1, 1))}, ValueError, r"unknown keys \['W\[5\]'\]"),
    ]
    for arrays, error, message in bad_cases:
        with pytest.raises(error, match=message):
            net.set_arrays(arrays)
        assert [p.data for p in net.parameters()] == before
    with pytest.raises(ValueError, match=r"W\[2\] must have shape"):
        net.layer(2).set_arrays(np.zeros((2, 3)), np.zeros(2))
    # a bias given as a column vector (the paper's b[l] in R^n) is accepted
    net.layer(2).set_arrays(np.ones((2, 2)), np.ones((2, 1)))
    np.testing.assert_array_equal(net.layer(2).b_array(), [1.0, 1.0])
    # a subset of the arrays changes only those
    net.set_arrays({"b[4]": [0.5, -0.5]})
    np.testing.assert_array_equal(net.arrays()["W[4]"], good["W[4]"])


# ------------------------------------------------------------------ initialisation

def test_initialisation_is_seeded_and_follows_the_documented_draw_order():
    a, b = higham(5), higham(5)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in higham(6).parameters()] != [p.data for p in a.parameters()]
    # "normal": 0.5 N(0, 1), drawn W[2] row by row, b[2], W[3], b[3], W[4], b[4]
    draws = 0.5 * np.random.default_rng(5).standard_normal(23)
    arrays = a.arrays()
    flat = np.concatenate([arrays[k].ravel() for k in ("W[2]", "b[2]", "W[3]", "b[3]", "W[4]", "b[4]")])
    np.testing.assert_array_equal(flat, draws)
    # "uniform": U(-1, 1) in the same order; a Generator is used as given (and advanced)
    rng = np.random.default_rng(11)
    net = MLP(2, [3, 1], init="uniform", rng=rng)
    draws = np.random.default_rng(11).uniform(-1.0, 1.0, 13)
    arrays = net.arrays()
    flat = np.concatenate([arrays[k].ravel() for k in ("W[2]", "b[2]", "W[3]", "b[3]")])
    np.testing.assert_array_equal(flat, draws)
    assert rng.uniform() == np.random.default_rng(11).uniform(size=14)[-1]


def test_micrograd_and_zeros_inits_and_no_global_random_state():
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    net = MLP(2, [4, 1], init="micrograd", rng=3)
    assert all(n.b.data == 0.0 for layer in net.layers for n in layer.neurons)
    assert all(-1.0 <= w.data <= 1.0 for layer in net.layers for n in layer.neurons for w in n.w)
    assert all(p.data == 0.0 for p in MLP(2, [2], init="zeros").parameters())
    MLP(2, [2, 2], rng=None)  # unseeded: a fresh Generator, not the global state
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    with pytest.raises(ValueError, match="unknown init"):
        MLP(2, [2], init="gaussian")
    with pytest.raises(TypeError, match="Generator"):
        MLP(2, [2], rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="Generator"):
        MLP(2, [2], rng=1.5)


def test_neuron_with_explicit_parameters():
    n = Neuron(2, "linear", weights=[1.5, -2.0], bias=0.25, layer=3, index=2)
    assert [w.label for w in n.w] == ["W[3][2,1]", "W[3][2,2]"] and n.b.label == "b[3][2]"
    assert n([2.0, 1.0]).data == 0.25 + 1.5 * 2.0 - 2.0 * 1.0
    with pytest.raises(ValueError, match="shape"):
        Neuron(2, weights=[1.0, 2.0, 3.0])


# ------------------------------------------------------------------ forward pass

def test_forward_matches_numpy_and_gradients_match_the_backprop_formulas():
    X, Y = higham_data()
    net = higham(2)
    arrays = net.arrays()
    for x, y in zip(X, Y):
        out = net(list(x))
        expected, grads = paper_forward_backward(arrays, x, y)
        np.testing.assert_allclose([v.data for v in out], expected, rtol=1e-14)
        cost = 0.5 * ((y[0] - out[0]) ** 2 + (y[1] - out[1]) ** 2)
        net.zero_grad()
        cost.backward()
        named = dict(net.named_parameters())
        for key, g in grads.items():
            kind, l = key[0], key[2]
            if kind == "W":
                for (j, k), gjk in np.ndenumerate(g):
                    assert named[f"W[{l}][{j + 1},{k + 1}]"].grad == pytest.approx(gjk, rel=1e-12, abs=1e-16)
            else:
                for j, gj in enumerate(g):
                    assert named[f"b[{l}][{j + 1}]"].grad == pytest.approx(gj, rel=1e-12, abs=1e-16)


def test_forward_labels_read_like_the_paper():
    net = higham()
    out = net([0.1, 0.2])
    assert [v.label for v in out] == ["a[4]_1", "a[4]_2"]
    nodes = topological_order(out[0])
    labels = {v.label for v in nodes}
    assert {"x_1", "x_2", "z[2]_1", "a[2]_2", "z[3]_3", "a[3]_1", "z[4]_1", "W[2][1,1]", "b[4][1]"} <= labels
    z = out[0].inputs[0]
    assert z.label == "z[4]_1" and z.op == "affine"
    # one affine node per neuron: its inputs are (b, w1, x1, w2, x2, w3, x3)
    assert z.inputs[0].label == "b[4][1]"
    assert [v.label for v in z.inputs[1::2]] == ["W[4][1,1]", "W[4][1,2]", "W[4][1,3]"]
    assert [v.label for v in z.inputs[2::2]] == ["a[3]_1", "a[3]_2", "a[3]_3"]
    # the inputs become two shared leaves, not one constant per neuron
    assert sum(1 for v in nodes if v.label in ("x_1", "x_2")) == 2
    # 7 neurons: 7 affine + 7 sigmoid nodes in the whole forward graph of both outputs
    both = topological_order(out[0] + out[1])
    assert sum(v.op == "affine" for v in both) == 7 and sum(v.op == "sigmoid" for v in both) == 7


def test_values_given_as_inputs_are_used_and_differentiated():
    net = higham()
    x = [Value(0.3, label="u"), Value(0.7, label="v")]
    out = net(x)
    out[0].backward()
    assert x[0].label == "u"
    f = lambda a, b: net([a, b])[0]
    assert engine.gradient_error(f, [0.3, 0.7]) < 1e-8
    assert x[0].grad == pytest.approx(engine.numerical_gradient(f, [0.3, 0.7])[0], rel=1e-7)


def test_numpy_rows_and_tuples_are_accepted():
    net = higham()
    X, _ = higham_data()
    a = [v.data for v in net(X[3])]
    b = [v.data for v in net(tuple(X[3].tolist()))]
    c = [v.data for v in net(X[3].tolist())]
    assert a == b == c


def test_wrong_inputs_give_clear_errors():
    net = higham()
    with pytest.raises(ValueError, match="MLP expects 2 inputs, got 3"):
        net([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="MLP expects 2 inputs, got 1"):
        net(np.array([1.0]))
    with pytest.raises(TypeError, match="input 2 is str"):
        net([1.0, "a"])
    with pytest.raises(TypeError, match="MLP expects a list of 2"):
        net(1.0)
    with pytest.raises(TypeError, match="MLP expects a list of 2"):
        net("ab")
    with pytest.raises(ValueError, match="layer 3 expects 2 inputs, got 3"):
        net.layer(3)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="neuron 1 of layer 2 expects 2 inputs, got 4"):
        net.layers[0].neurons[0]([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(TypeError, match="neuron 1 of layer 2 input 1 is NoneType"):
        net.layers[0].neurons[0]([None, 1.0])


def test_bad_constructor_arguments():
    with pytest.raises(TypeError, match="nouts must be a list"):
        MLP(2, 3)
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(2, [])
    with pytest.raises(ValueError, match="a layer size must be at least 1"):
        MLP(2, [2, 0])
    with pytest.raises(TypeError, match="nin must be an integer"):
        MLP(2.0, [2])
    with pytest.raises(ValueError, match="unknown activation 'softmax'"):
        MLP(2, [2], activation="softmax")
    with pytest.raises(TypeError, match="activation must be a name"):
        Neuron(2, activation=3)
    with pytest.raises(ValueError, match="layer number must be at least 2"):
        Layer(2, 2, layer=1)


# ------------------------------------------------------------------ activations

@pytest.mark.parametrize("name, op, f", [
    ("sigmoid", "sigmoid", lambda z: 1 / (1 + math.exp(-z))),
    ("tanh", "tanh", math.tanh),
    ("relu", "relu", lambda z: max(z, 0.0)),
    ("linear", "affine", lambda z: z),
])
def test_named_activations(name, op, f):
    n = Neuron(2, name, weights=[0.7, -0.4], bias=0.1)
    for x in ([1.0, 2.0], [-1.0, -3.0]):
        out = n(x)
        assert out.op == op
        assert out.data == pytest.approx(f(0.1 + 0.7 * x[0] - 0.4 * x[1]), rel=1e-15)
        assert out.label == ("z[2]_1" if name == "linear" else "a[2]_1")


def test_engine_functions_count_as_named_activations_and_callables_work():
    assert Neuron(2, engine.sigmoid).activation == "sigmoid"
    assert Neuron(2, Value.tanh).activation == "tanh"
    assert Neuron(2, "ReLU").activation == "relu"

    def square(z):
        return z * z

    n = Neuron(2, square, weights=[1.0, 1.0], bias=0.0)
    out = n([1.0, 2.0])
    assert out.data == 9.0 and out.label == "a[2]_1" and out.inputs[0].label == "z[2]_1"
    assert "square" in n.summary()
    bad = Neuron(2, lambda z: 3.0)
    with pytest.raises(TypeError, match="must return a Value"):
        bad([1.0, 2.0])


def test_xor_solution_of_goodfellow_gives_zero_cost():
    X, y = xor_data()
    net = MLP(2, [2, 1], activation="relu")
    net.set_arrays(xor_solution())
    hidden = [[v.data for v in net.layer(2)(list(x))] for x in X]
    assert hidden == [[0, 0], [1, 0], [1, 0], [2, 1]]
    assert [net(list(x)).data for x in X] == list(y)


def test_zero_grad_and_custom_module():
    net = higham()
    out = net([0.2, 0.4])
    (out[0] + out[1]).backward()
    assert any(p.grad != 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())

    class Pair(Module):
        def __init__(self):
            self.u, self.v = Value(1.0, label="u"), Value(2.0)

        def parameters(self):
            return [self.u, self.v]

    m = Pair()
    assert m.named_parameters() == [("u", m.u), ("p2", m.v)]
    assert m.num_parameters() == 2 and "2 parameters" in m.summary()
