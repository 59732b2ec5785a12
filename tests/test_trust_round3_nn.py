"""Trust, third round (issue 25), the parts in nn/ and demos/: a NaN loss at extreme logits, training
that diverges or changes its graph without a word, saves over FIFOs, half-done optimizer steps,
architectures loaded into the wrong module, and messages that are unclear or unbounded."""

import decimal
import signal
import sys
import json
import math
import os
import stat
import struct

import numpy as np
import pytest

import engine
import nn
from engine import Value


def bits(xs):
    return [struct.pack("<d", x) for x in xs]


# ---------------------------------------------------------------------------- 2. softmax log loss

BIG = 1.7976931348623157e308
POOL = [0.0, -0.0, 1.0, -1.0, 5e-324, 1e-300, 700.0, -700.0, 745.5, -745.5, 1e10, 1e10 + 1.0,
        1e300, -1e300, 1e308, -1e308, BIG, -BIG, 3.5, -2.25]


def exact_log_loss(z, t):
    """−log softmax(z)_t = log Σ_k e^(z_k − z_t) in 80-digit decimal arithmetic (no overflow: the
    largest difference is taken out first), rounded once to a float (inf beyond float64)."""
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.Emax, ctx.Emin = 80, 10**9, -10**9
        d = [decimal.Decimal(zk) - decimal.Decimal(z[t]) for zk in z]
        top = max(d)
        value = top + sum((dk - top).exp() for dk in d).ln()
        return float(value) if abs(value) < decimal.Decimal(BIG) * 2 else math.inf


def exact_gradient(z, t):
    """softmax(z) − onehot(t), each entry in 80-digit decimal arithmetic, rounded once."""
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.Emax, ctx.Emin = 80, 10**9, -10**9
        top = max(decimal.Decimal(zk) for zk in z)
        e = [(decimal.Decimal(zk) - top).exp() for zk in z]
        s = sum(e)
        return [float(ek / s - (1 if k == t else 0)) for k, ek in enumerate(e)]


def extreme_cases(n=400, seed=25):
    rng = np.random.default_rng(seed)
    cases = [([1e308, -1e308], 0), ([-1e308, 1e308], 0), ([BIG, -BIG, 0.0], 2), ([1e308, 1e308], 1),
             ([-BIG, -BIG], 0), ([0.0, 5e-324], 1)]
    for _ in range(n):
        k = int(rng.integers(2, 6))
        cases.append(([float(POOL[i]) for i in rng.integers(0, len(POOL), k)], int(rng.integers(0, k))))
    return cases


_COMPILED = {}


def compiled_log_loss(k):
    """The loss recorded once on leaves for k logits and k target entries, compiled."""
    if k not in _COMPILED:
        z, y = [Value(0.0) for _ in range(k)], [Value(0.0) for _ in range(k)]
        _COMPILED[k] = engine.compile(nn.softmax_log_loss(z, y), z + y, input_grads=True)
    return _COMPILED[k]


def eager(z, t):
    zs = [Value(v) for v in z]
    loss = nn.softmax_log_loss(zs, [float(k == t) for k in range(len(z))])
    loss.backward()
    return loss.data, [v.grad for v in zs]


def test_the_issues_example_is_zero_with_zero_gradient():
    value, grads = eager([1e308, -1e308], 0)
    assert value == 0.0 and grads == [0.0, 0.0]
    value, grads = eager([-1e308, 1e308], 0)  # the true loss, 2e308, is beyond float64
    assert value == math.inf and grads == [-1.0, 1.0]


@pytest.mark.parametrize("z,t", extreme_cases(), ids=lambda c: None)
def test_extreme_logits_give_the_closed_form_eager_and_compiled(z, t):
    value, grads = eager(z, t)
    expected = exact_log_loss(z, t)
    assert not math.isnan(value)
    # log Σ is rounded near 1 (no log1p): an absolute error of a few ulps of 1
    assert value == pytest.approx(expected, rel=1e-14, abs=1e-15) or value == expected
    assert grads == pytest.approx(exact_gradient(z, t), rel=1e-12, abs=4e-16)
    onehot = [float(k == t) for k in range(len(z))]
    c_value, _, c_grads = compiled_log_loss(len(z)).gradient(list(z) + onehot)
    assert bits([c_value]) == bits([value]) and bits(c_grads[:len(z)]) == bits(grads)


def test_extreme_logits_agree_with_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch not installed: the cross-check is skipped")
    for z, t in extreme_cases(300, seed=7):
        value, grads = eager(z, t)
        tz = torch.tensor([z], dtype=torch.float64, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(tz, torch.tensor([t]))
        loss.backward()
        scale = max(abs(v) for v in z)  # PyTorch rounds (m + log Σ) − z_t: an ulp of the largest logit
        if math.isinf(loss.item()):
            assert value == loss.item(), (z, t)
        else:
            assert value == pytest.approx(loss.item(), rel=1e-13, abs=4e-16 * scale + 1e-300), (z, t)
        assert grads == pytest.approx(tz.grad[0].tolist(), rel=1e-12, abs=4e-16), (z, t)


def test_soft_targets_and_infinite_logits():
    """Targets that are not one-hot keep the formula log Σ e^(z−m) − Σ y (z − m); an infinite logit
    gives NaN as PyTorch's cross entropy with probability targets does."""
    z, y = [0.3, -1.2, 2.0], [0.25, 0.75, 0.0]
    loss = nn.softmax_log_loss([Value(v) for v in z], y)
    m = max(z)
    expected = math.log(sum(math.exp(v - m) for v in z)) - sum(w * (v - m) for w, v in zip(y, z))
    assert loss.data == pytest.approx(expected, rel=1e-15)
    assert math.isnan(nn.softmax_log_loss([Value(math.inf), Value(0.0)], [1, 0]).data)
    with pytest.raises(ValueError, match="entries in"):
        nn.softmax_log_loss([Value(0.0), Value(1.0)], [Value(2.0), Value(0.0)])  # leaves are checked too


# ---------------------------------------------------------------------------- 9. a step is all or nothing

def interrupt_at(k, call):
    """Run ``call()`` with SIGINT raised at its k-th traced bytecode (in any Python function it
    calls): the signal is delivered as a real Ctrl-C is, by the handler, at the next check.
    Returns True if a KeyboardInterrupt came out, False if the call finished first."""
    count = [0]

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            count[0] += 1
            if count[0] == k:
                sys.settrace(None)
                frame.f_trace = None
                signal.raise_signal(signal.SIGINT)
        return tracer if count[0] < k else None

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.settrace(tracer)
        try:
            call()
        finally:
            sys.settrace(None)
    except KeyboardInterrupt:
        return True
    finally:
        signal.signal(signal.SIGINT, previous)
    return False


def optimizer_state(opt):
    return {name: (list(value) if isinstance(value, list) else value)
            for name, value in vars(opt).items() if name not in ("params", "lr")}


OPTIMIZERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.1),
    "sgd momentum, weight decay": lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd nesterov": lambda ps: nn.SGD(ps, lr=0.1, momentum=0.5, nesterov=True),
    "adam": lambda ps: nn.Adam(ps, lr=0.01, weight_decay=0.1),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_interrupted_optimizer_step_changes_all_or_nothing(name):
    def fresh(steps_before):
        ps = [Value(0.5 * k - 1.0) for k in range(7)]
        opt = OPTIMIZERS[name](ps)
        for s in range(steps_before + 1):  # a state that is not the initial one
            for k, p in enumerate(ps):
                p.grad = math.sin(3 * k + s) + 0.1
            if s < steps_before:
                opt.step()
        return ps, opt

    ps, opt = fresh(2)
    before = ([p.data for p in ps], optimizer_state(opt))
    opt.step()
    after = ([p.data for p in ps], optimizer_state(opt))
    assert before != after
    seen = set()
    for k in range(1, 2000):
        ps, opt = fresh(2)
        interrupted = interrupt_at(k, opt.step)
        now = ([p.data for p in ps], optimizer_state(opt))
        assert now in (before, after), f"interrupt at bytecode {k}: a half-done step"
        seen.add((interrupted, now == after))
        if not interrupted:
            break
    else:
        pytest.fail("the step never finished")
    # interrupts both before the write (nothing) and during it (deferred: the whole step)
    assert (True, False) in seen and (True, True) in seen and (False, True) in seen


def test_load_into_and_set_arrays_are_all_or_nothing(tmp_path):
    path = tmp_path / "net.json"
    nn.save(nn.MLP(2, [3, 2], rng=1), path)
    saved = [p.data for p in nn.load(path).parameters()]
    start = [p.data for p in nn.MLP(2, [3, 2], rng=0).parameters()]
    arrays = nn.MLP(2, [3, 2], rng=2).arrays()
    target = [p.data for p in nn.MLP(2, [3, 2], rng=2).parameters()]
    for action, after in ((lambda net: nn.load_into(net, path), saved), (lambda net: net.set_arrays(arrays), target),
                          (lambda net: net.layers[0].set_arrays(arrays["W[2]"], arrays["b[2]"]),
                           target[:9] + start[9:])):
        for k in range(1, 100_000):
            net = nn.MLP(2, [3, 2], rng=0)
            interrupted = interrupt_at(k, lambda: action(net))
            assert [p.data for p in net.parameters()] in (start, after), k
            if not interrupted:
                break


# ---------------------------------------------------------------------------- 8. save replaces only a regular file

def _special_files(tmp_path):
    """(name, path) of special files made in tmp_path: a FIFO, a symbolic link to it, a Unix socket,
    and, when we may create one (root), a character device node with the null device's numbers."""
    import socket
    out = []
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    out += [("FIFO", fifo)]
    link = tmp_path / "link-to-fifo.json"
    link.symlink_to(fifo)
    out += [("a link to a FIFO", link)]
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    out += [("socket", tmp_path / "sock")]
    if os.geteuid() == 0:
        node = tmp_path / "null-like"
        os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        out += [("character device", node), ("a link to a device", tmp_path / "link-to-device")]
        (tmp_path / "link-to-device").symlink_to(node)
    return out, sock


def _identity(path):
    st = os.stat(path)
    return (st.st_mode, st.st_ino, st.st_rdev, st.st_size)


def test_save_refuses_special_files_and_leaves_them_alone(tmp_path):
    net = nn.MLP(2, [2, 1], rng=0)
    specials, sock = _special_files(tmp_path)
    try:
        for name, path in specials:
            before = _identity(path)
            with pytest.raises(FileExistsError, match="not a regular file") as info:
                nn.save(net, path)
            message = str(info.value)
            assert str(path) in message and len(message) < 600, name
            assert _identity(path) == before, name  # the same file, not replaced, nothing written
            with pytest.raises(ValueError, match="only a regular file is read"):
                nn.load(path)  # and reading one neither hangs (FIFO) nor reads without end
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    finally:
        sock.close()
    nn.save(net, tmp_path / "new.json")  # a new file and a regular file are still fine
    nn.save(net, tmp_path / "new.json")
    assert [p.data for p in nn.load(tmp_path / "new.json").parameters()] == [p.data for p in net.parameters()]


def test_save_refuses_a_target_that_became_a_fifo_while_it_wrote(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    nn.save(nn.MLP(2, [2, 1], rng=0), path)
    real_fsync = os.fsync

    def swap_in_a_fifo(fd):
        real_fsync(fd)
        if path.is_file():
            path.unlink()
            os.mkfifo(path)

    monkeypatch.setattr(os, "fsync", swap_in_a_fifo)
    with pytest.raises(FileExistsError, match="named pipe"):
        nn.save(nn.MLP(2, [2, 1], rng=1), path)
    assert stat.S_ISFIFO(os.stat(path).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # the temporary file is gone


# ---------------------------------------------------------------------------- 10. the whole architecture

def _seq(*middle, act="relu", p=0.5):
    return nn.Sequential(nn.Layer(2, 6, act, rng=1), *middle, nn.Layer(6, 2, "linear", layer=3, rng=2))


def _refused(module, path, *fragments):
    before = [v.data for v in module.parameters()]
    with pytest.raises(ValueError) as info:
        nn.load_into(module, path)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert len(message) < 1000
    assert [v.data for v in module.parameters()] == before
    return message


def test_load_into_a_sequential_checks_every_layer(tmp_path):
    path = tmp_path / "seq.json"
    saved = _seq(nn.Dropout(0.5, layer=3))
    nn.save(saved, path)
    _refused(_seq(), path, "the architectures differ",
             "layers: the file has 3 (Layer, Dropout, Layer), the module has 2 (Layer, Layer)")
    _refused(_seq(nn.Dropout(0.5, layer=3), act="tanh"), path,
             "layers[0].activation: the file has 'relu', the module has 'tanh'")
    _refused(_seq(nn.Dropout(0.25, layer=3)), path, "layers[1].p: the file has 0.5, the module has 0.25")
    _refused(_seq(nn.ReLU(layer=3)), path, "layers[1]: the file has 'Dropout', the module has 'ReLU'")
    same = _seq(nn.Dropout(0.5, layer=3))
    for v in same.parameters():
        v.data = 0.0
    nn.load_into(same, path)
    assert [v.data for v in same.parameters()] == [v.data for v in saved.parameters()]
    built = nn.load(path)
    assert repr(built) == repr(saved) and nn.saving.architecture(built) == nn.saving.architecture(saved)
    assert [v.data for v in built.parameters()] == [v.data for v in saved.parameters()]


def test_convolutional_layers_without_parameters_are_checked_too(tmp_path):
    def cnn(pool=2, kernel=3):
        return nn.Sequential(nn.Conv2d(1, 2, kernel, rng=0), nn.MaxPool2d(pool), nn.ReLU(), nn.Flatten(),
                             nn.Layer(2 * ((6 - kernel + 1) // pool) ** 2, 3, "linear", layer=3, rng=1))
    path = tmp_path / "cnn.json"
    nn.save(cnn(), path)
    _refused(cnn(pool=1, kernel=5), path, "layers[0].kernel_size: the file has 3, the module has 5")
    built = nn.load(path)
    x = np.random.default_rng(0).random((1, 6, 6)).tolist()
    assert [v.data for v in built(x)] == [v.data for v in cnn()(x)]


def test_a_module_of_your_own_records_the_modules_it_holds(tmp_path):
    class Net(nn.Module):
        def __init__(self, act):
            self.encoder = nn.Layer(2, 3, act, rng=0)
            self.heads = [nn.Layer(3, 1, "linear", layer=3, rng=1)]

        def parameters(self):
            return self.encoder.parameters() + self.heads[0].parameters()

    path = tmp_path / "own.json"
    nn.save(Net("tanh"), path)
    _refused(Net("sigmoid"), path, "children.encoder.activation: the file has 'tanh', the module has 'sigmoid'")
    nn.load_into(Net("tanh"), path)


def test_old_files_load_or_are_refused_clearly(tmp_path):
    """Version 1 recorded an MLP, a Layer and a Neuron completely: those still load. It recorded a
    Sequential by its class name only: that cannot be checked, and is refused with the reason."""
    mlp = nn.MLP(2, [3, 1], rng=0)
    doc = {"format": "seebackprop.module", "version": 1,
           "architecture": {"type": "MLP", "nin": 2, "nouts": [3, 1], "activation": "relu",
                            "output_activation": "linear"},
           "parameters": {name: p.data for name, p in mlp.named_parameters()}}
    (tmp_path / "mlp.json").write_text(json.dumps(doc))
    assert [p.data for p in nn.load(tmp_path / "mlp.json").parameters()] == [p.data for p in mlp.parameters()]
    seq = _seq()
    doc = {"format": "seebackprop.module", "version": 1, "architecture": {"type": "Module", "class": "Sequential"},
           "parameters": {p.label: p.data for p in seq.parameters()}}
    (tmp_path / "seq.json").write_text(json.dumps(doc))
    _refused(_seq(), tmp_path / "seq.json", "format version 1", "cannot be checked")


def test_architecture_entries_of_other_types_or_huge_are_refused_briefly(tmp_path):
    path = tmp_path / "net.json"
    nn.save(nn.MLP(2, [3, 1], rng=0), path)
    doc = json.loads(path.read_text())
    doc["architecture"]["nin"] = True  # equal to 1 in Python, not the same JSON
    (tmp_path / "bool.json").write_text(json.dumps(doc))
    _refused(nn.MLP(1, [3, 1], rng=0), tmp_path / "bool.json", "nin: the file has True, the module has 1")
    doc["architecture"]["nin"] = 2
    doc["architecture"]["activation"] = "x" * 10**6
    doc["format"] = "y" * 10**6
    (tmp_path / "huge.json").write_text(json.dumps(doc))
    message = _refused(nn.MLP(2, [3, 1], rng=0), tmp_path / "huge.json", "format tag is 'yyy")
    doc["format"] = "seebackprop.module"
    (tmp_path / "huge.json").write_text(json.dumps(doc))
    message = _refused(nn.MLP(2, [3, 1], rng=0), tmp_path / "huge.json", "activation: the file has 'xxx")
    with pytest.raises(ValueError) as info:
        nn.load(tmp_path / "huge.json")
    assert len(str(info.value)) < 1000 and len(message) < 1000
