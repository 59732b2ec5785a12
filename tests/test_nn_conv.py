"""Convolution, max pooling, dropout and the softmax log loss (7.4): values and gradients against
NumPy, central finite differences and (when installed) PyTorch's conv2d, max_pool2d and
cross_entropy; compiled graphs of a small CNN against the eager engine, bit for bit."""

import math
import struct

import numpy as np
import pytest

import engine
import nn
from engine import Value, numerical_gradient

RNG = np.random.default_rng(7)


def bits(xs):
    return [struct.pack("<d", float(x)) for x in xs]


def image_values(arr):
    return [[[Value(float(v)) for v in row] for row in channel] for channel in arr]


def data(nested):
    return np.array([[[v.data for v in row] for row in ch] for ch in nested])


def reference_conv(x, W, b):
    """Valid cross-correlation, stride 1, in plain NumPy loops (PyTorch's conv2d)."""
    F, C, k, _ = W.shape
    H, Wd = x.shape[1] - k + 1, x.shape[2] - k + 1
    out = np.empty((F, H, Wd))
    for f in range(F):
        for r in range(H):
            for s in range(Wd):
                out[f, r, s] = b[f] + np.sum(W[f] * x[:, r:r + k, s:s + k])
    return out


def test_conv2d_is_a_cross_correlation_with_shared_weights_and_paper_labels():
    conv = nn.Conv2d(2, 3, 3, layer=2, rng=0)
    x = RNG.normal(size=(2, 5, 4))
    out = conv(image_values(x))
    assert np.allclose(data(out), reference_conv(x, conv.W_array(), conv.b_array()), rtol=1e-14, atol=1e-14)
    assert len(out) == 3 and len(out[0]) == 3 and len(out[0][0]) == 2
    z = out[1][2][0]
    assert z.op == "affine" and z.label == "z[2]_2(3,1)"
    # every output of filter 2 is one node reading the same 2·3·3 weight Values and bias
    for row in out[1]:
        for node in row:
            assert node.inputs[0] is conv.biases[1] and list(node.inputs[1::2]) == conv.filters[1]
    assert conv.filters[0][5].label == "W[2][1,1,2,3]" and conv.biases[2].label == "b[2][3]"
    assert conv.num_parameters() == 3 * (2 * 9 + 1)
    bound = 1 / math.sqrt(18)  # init "pytorch": U(-1/sqrt(C k k), 1/sqrt(C k k))
    assert np.all(np.abs(conv.W_array()) <= bound) and np.all(np.abs(conv.b_array()) <= bound)


def test_conv2d_gradients_equal_finite_differences():
    conv = nn.Conv2d(1, 2, 2, layer=2, rng=1)
    x0 = RNG.normal(size=(1, 3, 3))
    c = RNG.normal(size=(2, 2, 2))
    params = conv.parameters()

    def f(*numbers):
        for p, v in zip(params, numbers):
            p.data = v
        out = conv(x0.tolist())
        return sum(float(ck) * z for ck, z in zip(c.ravel(), [v for ch in out for row in ch for v in row]))

    start = [p.data for p in params]
    loss = f(*start)
    loss.backward()
    exact = [p.grad for p in params]
    # central differences on the numbers (the parameters are leaves: the graph is rebuilt each time)
    h = 1e-6
    approx = []
    for i in range(len(start)):
        up, down = list(start), list(start)
        up[i] += h
        down[i] -= h
        approx.append((f(*up).data - f(*down).data) / (2 * h))
    assert exact == pytest.approx(approx, rel=1e-7, abs=1e-8)


def test_max_pool_takes_window_maxima_and_credits_the_first_at_ties():
    x = np.array([[[1.0, 4.0, 2.0, 2.0, 9.0],
                   [4.0, 0.0, 2.0, 2.0, 9.0],
                   [-1.0, -3.0, 5.0, 6.0, 9.0]]])
    xs = image_values(x)
    pool = nn.MaxPool2d(2, layer=2)
    out = pool(xs)
    assert data(out).tolist() == [[[4.0, 2.0]]]  # the odd row and column are dropped, as PyTorch
    assert out[0][0][1].label == "m[2]_1(1,2)"
    (out[0][0][0] + 2.0 * out[0][0][1]).backward()
    grads = [[v.grad for v in row] for row in xs[0]]
    assert grads == [[0.0, 1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]


def test_relu_flatten_and_errors():
    img = image_values(np.array([[[1.0, -2.0], [0.0, 3.0]], [[-1.0, 5.0], [2.0, -0.5]]]))
    a = nn.ReLU(layer=2)(img)
    assert data(a).tolist() == [[[1.0, 0.0], [0.0, 3.0]], [[0.0, 5.0], [2.0, 0.0]]]
    assert a[1][0][1].label == "a[2]_2(1,2)"
    flat = nn.Flatten()(a)
    assert [v.data for v in flat] == [1.0, 0.0, 0.0, 3.0, 0.0, 5.0, 2.0, 0.0]  # torch.flatten's order
    assert [v.label for v in nn.ReLU(layer=3)(flat[:2])] == ["a[3]_1", "a[3]_2"]
    conv = nn.Conv2d(1, 1, 3)
    with pytest.raises(ValueError, match="takes 1 channel, got 2"):
        conv(img)
    with pytest.raises(ValueError, match="a 3 × 3 filter does not fit an image of 2 × 2"):
        conv(img[:1])
    with pytest.raises(ValueError, match="same shape"):
        conv([[[1.0, 2.0, 3.0], [1.0, 2.0]]])
    with pytest.raises(TypeError, match=r"entry \(1, 1, 2\) is str"):
        conv([[[1.0, "2", 3.0]] * 3])
    with pytest.raises(TypeError, match="list of channels of rows"):
        conv(Value(1.0))
    with pytest.raises(ValueError, match="window does not fit"):
        nn.MaxPool2d(3)(img)
    with pytest.raises(ValueError, match=r"W\[2\] of conv layer 2 must have shape \(1, 1, 3, 3\)"):
        conv.set_arrays(np.zeros((1, 1, 2, 2)), np.zeros(1))


def test_dropout_modes_seeds_and_masks():
    x = [Value(1.0) for _ in range(2000)]
    drop = nn.Dropout(0.25, layer=3, rng=5)
    y = drop(x)
    kept = [v.data for v in y if v.data != 0.0]
    assert set(kept) == {1.0 / 0.75}  # inverted dropout: the kept entries are scaled by 1/(1 - p)
    assert abs(len(kept) / 2000 - 0.75) < 0.03
    assert len(drop.masks) == 2000 and all(m.is_leaf for m in drop.masks)
    assert drop.masks[0].label == "d[3]_1" and y[0].inputs == (x[0], drop.masks[0])
    again = nn.Dropout(0.25, layer=3, rng=5)(x)
    assert [v.data for v in again] == [v.data for v in y]  # seeded
    drop.eval()
    assert drop(x) == x and drop.masks == []  # evaluation: the identity, no nodes
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        nn.Dropout(1.0)
    seq = nn.Sequential(nn.Flatten(), nn.Dropout(0.5, rng=0))
    assert seq.eval().dropouts[0].training is False and seq.train().dropouts[0].training is True


def test_softmax_log_loss_is_7_4_stable_and_has_gradient_softmax_minus_y():
    z = [1.0, -0.5, 2.0, 0.3]
    y = [0.0, 0.0, 1.0, 0.0]
    zs = [Value(v) for v in z]
    loss = nn.softmax_log_loss(zs, y)
    loss.backward()
    p = np.exp(z) / np.exp(z).sum()
    assert loss.data == pytest.approx(-math.log(p[2]), rel=1e-15)
    assert [v.grad for v in zs] == pytest.approx(list(p - np.array(y)), rel=1e-14, abs=1e-16)
    assert loss.data == pytest.approx(nn.softmax_cross_entropy([Value(v) for v in z], 2).data, rel=1e-15)
    assert engine.gradient_error(lambda *v: nn.softmax_log_loss(list(v), y), z) < 1e-9
    big = nn.softmax_log_loss([Value(1000.0), Value(1001.0), Value(999.0)], [1, 0, 0])
    assert big.data == pytest.approx(1.0 + math.log(1 + math.exp(-1) + math.exp(-2)), rel=1e-14)
    with pytest.raises(ValueError, match="entries in"):
        nn.softmax_log_loss(zs, [0, 2, 0, 0])


def test_softmax_log_loss_compiles_and_serves_other_logits_and_targets():
    z = [Value(0.0) for _ in range(4)]
    y = [Value(0.0) for _ in range(4)]
    cg = engine.compile(nn.softmax_log_loss(z, y), z + y, input_grads=True)  # recorded at a 4-way tie
    for logits, t in (([3.0, -1.0, 0.5, 7.0], 1), ([1e3, 2.0, 1e3 + 1, 0.0], 3), ([0.2, 0.1, 0.4, 0.3], 2)):
        onehot = [float(k == t) for k in range(4)]
        zs = [Value(v) for v in logits]
        loss = nn.softmax_log_loss(zs, onehot)
        loss.backward()
        value, _, grads = cg.gradient(logits + onehot)
        assert bits([value, *grads[:4]]) == bits([loss.data, *(v.grad for v in zs)])


def small_cnn(dropout=0.0, seed=3):
    rng = np.random.default_rng(seed)
    layers = [nn.Conv2d(1, 2, 3, layer=2, rng=rng), nn.MaxPool2d(2, layer=2), nn.ReLU(layer=2), nn.Flatten()]
    if dropout:
        layers.append(nn.Dropout(dropout, layer=3, rng=4))
    layers.append(nn.Layer(2 * 2 * 2, 3, activation="linear", layer=3, init="pytorch", rng=rng))
    return nn.Sequential(*layers)


def cnn_loss(model, side=6):
    x = [[[Value(0.0) for _ in range(side)] for _ in range(side)]]
    y = [Value(0.0) for _ in range(3)]
    loss = nn.softmax_log_loss(model(x), y)
    masks = [m for d in model.dropouts for m in d.masks]
    return loss, [v for row in x[0] for v in row] + y + masks


def eager_loss(model, pixels, target, masks=()):
    """The eager engine on one sample: the graph built again around fresh leaves."""
    for d in model.dropouts:
        mask = np.asarray(masks, dtype=float)
        d.sample = lambda n, size, m=mask: m[None, :size]
    x = np.asarray(pixels).reshape(1, 6, 6).tolist()
    loss = nn.softmax_log_loss(model(x), np.eye(3)[target].tolist())
    for p in model.parameters():
        p.grad = -0.0  # the exact identity: each then holds this pass's gradient alone, as compiled code
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()]


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_compiled_small_cnn_equals_eager_bit_for_bit(dropout):
    model = small_cnn(dropout)
    loss, inputs = cnn_loss(model)
    cg = engine.compile(loss, inputs, model.parameters())
    rng = np.random.default_rng(11)
    rows = []
    for target in (0, 2, 1):
        pixels = rng.random(36)
        masks = (rng.random(8) >= 0.5) * 2.0 if dropout else np.zeros(0)
        value, grads = eager_loss(model, pixels, target, masks)
        row = list(pixels) + list(np.eye(3)[target]) + list(masks)
        rows.append(row)
        c_value, c_grads = cg.gradient(row)
        assert bits([c_value, *c_grads]) == bits([value, *grads])
        a_values, a_grads = cg.gradient_array(np.array([row, row]))
        assert np.allclose(a_values, value, rtol=1e-15, atol=0) and np.allclose(a_grads, grads, rtol=1e-13, atol=1e-16)


def test_small_cnn_gradient_equals_finite_differences():
    model = small_cnn()
    params = model.parameters()
    pixels = np.random.default_rng(2).random(36)
    start = [p.data for p in params]

    def value_at(numbers):
        for p, v in zip(params, numbers):
            p.data = float(v)
        return eager_loss(model, pixels, 1)[0]

    _, exact = eager_loss(model, pixels, 1)
    approx = numerical_gradient(lambda *v: Value(value_at(v)), start)
    assert exact == pytest.approx(list(approx), rel=1e-6, abs=1e-8)


torch = pytest.importorskip("torch", reason="PyTorch not installed: the conv2d / max_pool2d cross-checks are skipped")
F = torch.nn.functional


def test_conv_pool_relu_linear_and_loss_against_pytorch():
    model = small_cnn(seed=5)
    conv, fc = model[0], model[-1]
    x = RNG.random((1, 6, 6))
    xs = image_values(x)
    loss = nn.softmax_log_loss(model(xs), [0.0, 0.0, 1.0])
    loss.backward()

    tx = torch.tensor(x[None], dtype=torch.float64, requires_grad=True)
    tW = torch.tensor(conv.W_array(), requires_grad=True)
    tb = torch.tensor(conv.b_array(), requires_grad=True)
    tW3 = torch.tensor(fc.W_array(), requires_grad=True)
    tb3 = torch.tensor(fc.b_array(), requires_grad=True)
    h = F.relu(F.max_pool2d(F.conv2d(tx, tW, tb), 2)).flatten()
    tloss = F.cross_entropy((tW3 @ h + tb3)[None], torch.tensor([2]))
    tloss.backward()
    assert loss.data == pytest.approx(tloss.item(), rel=1e-14)
    grads = {"W2": [p.grad for ws in conv.filters for p in ws], "b2": [p.grad for p in conv.biases],
             "W3": [w.grad for n in fc.neurons for w in n.w], "b3": [n.b.grad for n in fc.neurons],
             "x": [v.grad for row in xs[0] for v in row]}
    for name, t in (("W2", tW), ("b2", tb), ("W3", tW3), ("b3", tb3), ("x", tx)):
        assert grads[name] == pytest.approx(t.grad.flatten().tolist(), rel=1e-12, abs=1e-15), name


def test_max_pool_ties_match_pytorch():
    x = np.array([[[2.0, 2.0, 1.0, 3.0], [2.0, 0.0, 3.0, 3.0], [7.0, 7.0, 0.0, 0.0], [7.0, 7.0, 0.0, 0.0]]])
    xs = image_values(x)
    out = nn.MaxPool2d(2)(xs)
    weights = [[1.0, 2.0], [3.0, 4.0]]
    engine_sum = sum(w * v for wr, vr in zip(weights, out[0]) for w, v in zip(wr, vr))
    engine_sum.backward()
    t = torch.tensor(x[None], requires_grad=True)
    (F.max_pool2d(t, 2)[0, 0] * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    assert [v.grad for row in xs[0] for v in row] == t.grad.flatten().tolist()
