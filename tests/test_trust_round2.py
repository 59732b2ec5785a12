"""Trust, second round (issue 15): eager and compiled training refuse the same data, hyper-parameters
that cannot work are refused when the optimizer is made, and messages name the right thing."""

import errno

import numpy as np
import pytest

import nn
from engine import GraphTooLarge, Value, backward_frames
from nn import MLP, SGD, Adam, losses, save, train


def _net(out="sigmoid", nout=1):
    return MLP(2, [3, nout], output_activation=out, rng=0)


X = [[0.1, 0.2], [0.5, -0.3], [0.9, 0.4]]

# (case, loss, targets, output activation, error, message): eager and compiled must both refuse
REFUSED = [
    ("cross entropy, a target above 1", "bce", [0.0, 2.0, 1.0], "sigmoid", ValueError, r"targets must lie in \[0, 1\]"),
    ("cross entropy, a negative target", "bce", [[-0.5], [0.0], [1.0]], "sigmoid", ValueError, r"\[0, 1\]"),
    ("logit cross entropy, a target above 1", "bce_logits", [0.0, 1.5, 1.0], "linear", ValueError, r"\[0, 1\]"),
    ("cross entropy of a linear output", "bce", [0.0, 1.0, 1.0], "linear", ValueError, r"probabilities in \[0, 1\]"),
    ("a custom loss that checks its targets",
     lambda a, y: losses.half_squared_error(a, y) if (y.data if isinstance(y, Value) else y) >= 0
     else (_ for _ in ()).throw(ValueError("my loss takes targets >= 0")), [1.0, -1.0, 0.0], "sigmoid",
     ValueError, r"my loss takes targets >= 0"),
    ("a custom loss that returns a float", lambda a, y: 0.25, [1.0, 0.0, 0.0], "sigmoid", TypeError,
     r"returned float 0.25, not a Value"),
    ("a custom loss that returns .data", lambda a, y: losses.mse(a, y).data, [1.0, 0.0, 0.0], "sigmoid", TypeError,
     r"the loss <lambda> returned float"),
]


@pytest.mark.parametrize("case,loss,Y,out,error,message", REFUSED, ids=[c[0] for c in REFUSED])
@pytest.mark.parametrize("scheme", ["approach2", "full"])
def test_eager_and_compiled_training_refuse_the_same_data(case, loss, Y, out, error, message, scheme):
    for compiled in (False, True):
        net = _net(out)
        before = [p.data for p in net.parameters()]
        with pytest.raises(error, match=message):
            train(net, X, Y, loss=loss, steps=5, scheme=scheme, compiled=compiled, progress=False)
        assert [p.data for p in net.parameters()] == before  # refused before any step


@pytest.mark.parametrize("loss,Y", [("bce", [0.0, 1.0, 0.5]), ("bce_logits", [1.0, 0.0, 0.25]),
                                    ("quadratic", [3.0, -2.0, 0.0]), ("mse", [[1], [2], [3]])])
def test_eager_and_compiled_training_accept_the_same_data_with_the_same_numbers(loss, Y):
    out = "linear" if loss in ("bce_logits", "quadratic", "mse") else "sigmoid"
    runs = []
    for compiled in (False, True):
        net = _net(out)
        h = train(net, X, Y, loss=loss, steps=20, record_every=5, compiled=compiled, progress=False)
        runs.append((h.costs, [p.data for p in net.parameters()]))
    assert runs[0] == runs[1]


def test_int_targets_train_as_their_floats():
    runs = []
    for Y in ([1, 0, 1], [1.0, 0.0, 1.0]):
        for compiled in (False, True):
            net = _net()
            h = train(net, X, Y, loss="bce", steps=10, compiled=compiled, progress=False)
            runs.append(h.costs)
    assert all(r == runs[0] for r in runs)


def test_gradient_step_names_a_loss_that_returns_a_float():
    from nn.train import gradient_step
    net = _net()
    with pytest.raises(TypeError, match="returned float 1.0, not a Value"):
        gradient_step(net, X, [1.0, 0.0, 1.0], [0], lambda a, y: 1.0, SGD(net, 0.1))
    with pytest.raises(TypeError, match="returned NoneType"):
        gradient_step(net, X, [1.0, 0.0, 1.0], [0, 1], lambda a, y: None, SGD(net, 0.1))


# ---------------------------------------------------------------------------- hyper-parameters

BAD_SETTINGS = [
    (Adam, dict(eps=0.0), r"eps must lie in \(0.0, inf\]"),
    (Adam, dict(eps=-1e-8), r"eps"),
    (Adam, dict(betas=(1.0, 0.999)), r"beta1 must lie in \[0.0, 1.0\)"),
    (Adam, dict(betas=(0.9, -0.1)), r"beta2"),
    (Adam, dict(lr=-1e-3), r"lr must lie in \[0.0, inf\]"),
    (Adam, dict(lr=float("inf")), r"lr must be a finite number"),
    (Adam, dict(weight_decay=-1.0), r"weight_decay"),
    (SGD, dict(lr=0.1, momentum=1.0), r"momentum must lie in \[0.0, 1.0\)"),
    (SGD, dict(lr=0.1, momentum=-0.5), r"momentum"),
    (SGD, dict(lr=0.1, dampening=1.5, momentum=0.5), r"dampening"),
    (SGD, dict(lr=float("nan")), r"lr must be a finite number"),
]


@pytest.mark.parametrize("cls,kwargs,message", BAD_SETTINGS, ids=[f"{c.__name__} {k}" for c, k, _ in BAD_SETTINGS])
def test_settings_that_cannot_work_are_refused_when_the_optimizer_is_made(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(_net(), **kwargs)


def test_adam_with_the_smallest_allowed_eps_survives_a_zero_gradient():
    p = Value(1.0)
    opt = Adam([p], eps=1e-300)
    p.grad = 0.0
    opt.step()
    assert p.data == 1.0


def test_a_train_that_uses_a_bad_learning_rate_is_refused_before_any_work():
    with pytest.raises(ValueError, match="lr must lie"):
        train(_net(), X, [0.0, 1.0, 1.0], lr=-0.1, steps=1)


# ---------------------------------------------------------------------------- messages

def test_the_stepper_names_max_frames_and_drawing_names_max_nodes():
    v = Value(0.5)
    for _ in range(30):
        v = v.tanh()
    with pytest.raises(GraphTooLarge, match=r"max_frames=5\b.*Pass max_frames=31") as info:
        backward_frames(v, max_frames=5)
    assert "max_nodes" not in str(info.value)
    with pytest.raises(GraphTooLarge, match=r"max_nodes=10\b"):
        backward_frames(v, max_nodes=10)


@pytest.mark.parametrize("failing", ["fsync", "replace", "open"])
def test_a_failed_save_names_the_target_not_the_temporary_file(tmp_path, monkeypatch, failing):
    target = tmp_path / "net.json"

    def fail(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(args[0]) if args else None)

    monkeypatch.setattr(nn.saving.os, failing, fail)
    with pytest.raises(OSError) as info:
        save(_net(), target)
    text = str(info.value)
    assert str(target) in text and ".tmp" not in text and "No space left" in text
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == []  # the temporary file is gone too


@pytest.mark.parametrize("label", [np.str_("x1"), "x1"])
def test_a_numpy_string_is_a_label(label):
    v = Value(1.0, label=label)
    assert v.label == "x1" and type(v.label) is str


@pytest.mark.parametrize("logits,bad", [([0.0, float("nan")], 1), ([float("nan"), 0.0], 0),
                                        ([1.0, 2.0, float("inf")], 2), ([float("-inf"), 0.0], 0)])
def test_softmax_refuses_a_non_finite_logit_wherever_it_is(logits, bad):
    with pytest.raises(ValueError, match=rf"logit {bad} is"):
        losses.softmax_cross_entropy([Value(z) for z in logits], 1)
    with pytest.raises(ValueError, match=rf"logit {bad} is"):
        losses.softmax_cross_entropy([[Value(z) for z in logits]], [1])


@pytest.mark.parametrize("option", ["max_frames", "max_nodes"])
@pytest.mark.parametrize("bad", ["abc", 0, -1, 2.5, True])
def test_a_bad_drawing_limit_is_named(option, bad):
    v = Value(1.0).tanh()
    with pytest.raises(ValueError, match=rf"{option} must be a positive int, got {bad!r}"):
        backward_frames(v, **{option: bad})
