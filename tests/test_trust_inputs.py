"""Bad input, everywhere a user can pass something, as one table: each case must raise the stated
error with a message that names the problem. Plus the anomaly mode on a training run that blows up.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import nn
from engine import DomainError, GraphTooLarge, NonFiniteError, Value, affine, compile, draw_graph
from nn import MLP, SGD, Adam, load, load_into, save, train
from nn import losses

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _chain(n):
    v = Value(0.5)
    for _ in range(n):
        v = v.tanh()
    return v


# (case, callable, exception, regex the message must match)
CASES = [
    # Values
    ("Value of a string", lambda: Value("abc"), TypeError, r"takes a real number .*got str 'abc'"),
    ("Value of None", lambda: Value(None), TypeError, r"got NoneType None"),
    ("Value of a list", lambda: Value([1.0]), TypeError, r"got list \[1.0\]"),
    ("micrograd's form with a child that is not a Value", lambda: Value(2.0, (1.0,), "+"), TypeError,
     r"children\[0\] must be a Value, got float 1.0"),
    ("micrograd's form with an op that is not text", lambda: Value(2.0, (Value(1.0),), 5), TypeError,
     r"op must be a string"),
    ("a label that is not a string", lambda: Value(2.0, 5), TypeError, r"label must be a string, got int 5"),
    ("Value plus a string", lambda: Value(1.0) + "x", TypeError, r"unsupported operand for \+: Value and str"),
    ("Value times a list", lambda: Value(1.0) * [1], TypeError, r"Value and list \[1\]"),
    ("log of a negative number", lambda: Value(-1.0).log(), DomainError, r"log: .* > 0, got -1.0"),
    ("log of zero", lambda: Value(0.0).log(), DomainError, r"log: .* got 0.0"),
    ("zero to a negative power", lambda: Value(0.0) ** -1, ZeroDivisionError, r"0.0 \*\* -1.0"),
    ("negative base, fractional exponent", lambda: Value(-8.0) ** 0.5, DomainError, r"-8.0 \*\* 0.5"),
    ("division by zero", lambda: Value(1.0) / 0, ZeroDivisionError, r"1.0 / 0.0"),
    ("affine lengths differ", lambda: affine([Value(1.0)], [1.0, 2.0]), ValueError, r"1 weights for 2 inputs"),
    ("affine of a number", lambda: affine(3, [1.0]), TypeError, r"weights must be a list .* got int 3"),
    # modules
    ("MLP input of the wrong size", lambda: MLP(2, [3, 1], rng=0)([1.0, 2.0, 3.0]), ValueError,
     r"expects 2 inputs, got 3"),
    ("MLP input holding a string", lambda: MLP(2, [3, 1], rng=0)([1.0, "a"]), TypeError, r"str 'a'"),
    ("MLP with no inputs", lambda: MLP(0, [1]), ValueError, r"nin must be at least 1, got 0"),
    ("a layer of no neurons", lambda: MLP(2, [0]), ValueError, r"at least 1, got 0"),
    ("unknown activation", lambda: MLP(2, [2], activation="foo"), ValueError, r"unknown activation 'foo'"),
    ("unknown initialisation", lambda: MLP(2, [2], init="bogus"), ValueError, r"unknown init 'bogus'"),
    ("seed of the wrong type", lambda: MLP(2, [2], rng="seed"), TypeError, r"rng must be .*got str"),
    ("W[l] of the wrong shape", lambda: MLP(2, [2]).set_arrays({"W[2]": [[1, 2, 3]]}), ValueError,
     r"W\[2\] must have shape \(2, 2\), got shape \(1, 3\)"),
    ("a layer the network lacks", lambda: MLP(2, [2]).set_arrays({"W[5]": [[1, 2]]}), ValueError,
     r"unknown keys \['W\[5\]'\]"),
    # losses
    ("paper's cost, lengths differ", lambda: losses.half_squared_error([Value(1.0), Value(2.0)], [1.0]),
     ValueError, r"2 outputs but 1 targets"),
    ("MSE, lengths differ", lambda: losses.mse([Value(1.0)], [1.0, 2.0]), ValueError,
     r"1 predictions but 2 targets"),
    ("cross entropy, target outside [0, 1]", lambda: losses.binary_cross_entropy([Value(0.5)], [2.0]),
     ValueError, r"targets must lie in \[0, 1\]"),
    ("softmax, class index out of range", lambda: losses.softmax_cross_entropy([Value(1.0), Value(2.0)], 5),
     ValueError, r"target_index is 5 but there are 2 classes"),
    ("hinge, label not ±1", lambda: losses.hinge_loss([Value(1.0)], [0.5]), ValueError, r"-1 or \+1"),
    ("negative L2 weight", lambda: losses.l2_penalty(MLP(2, [2]), -1.0), ValueError, r"alpha must be >= 0"),
    # optimizers
    ("negative learning rate", lambda: SGD(MLP(2, [2]), lr=-1), ValueError, r"lr must lie in \[0.0, inf\], got -1.0"),
    ("learning rate not a number", lambda: SGD(MLP(2, [2]), lr="fast"), TypeError, r"lr must be a real number"),
    ("empty parameter list", lambda: SGD([], lr=0.1), ValueError, r"no parameters"),
    ("Adam beta out of range", lambda: Adam(MLP(2, [2]), betas=(1.5, 0.9)), ValueError, r"beta1 must lie in"),
    ("Nesterov without momentum", lambda: SGD(MLP(2, [2]), lr=0.1, nesterov=True), ValueError, r"Nesterov"),
    ("Nesterov given as a string", lambda: SGD(MLP(2, [2]), lr=0.1, momentum=0.9, nesterov="no"), TypeError,
     r"nesterov must be True or False"),
    ("save to a directory", lambda: save(MLP(2, [2]), "."), IsADirectoryError, r"give a file name"),
    # training
    ("data of the wrong width", lambda: train(MLP(2, [2]), [[1, 2, 3]], [[1, 0]]), ValueError,
     r"takes 2 inputs but X has shape \(1, 3\)"),
    ("inputs and targets of different lengths", lambda: train(MLP(2, [2]), [[1, 2], [3, 4]], [[1, 0]]),
     ValueError, r"X has 2 samples and Y has 1"),
    ("unknown sampling scheme", lambda: train(MLP(2, [2]), [[1, 2]], [[1, 0]], scheme="bogus"), ValueError,
     r"unknown sampling scheme 'bogus'"),
    ("unknown loss", lambda: train(MLP(2, [2]), [[1, 2]], [[1, 0]], loss="bogus"), ValueError, r"unknown loss 'bogus'"),
    ("negative step count", lambda: train(MLP(2, [2]), [[1, 2]], [[1, 0]], steps=-1), ValueError,
     r"steps must be at least 0"),
    ("NaN in the data", lambda: train(MLP(2, [2]), [[1, float("nan")]], [[1, 0]]), ValueError, r"non-finite"),
    ("Adam with eps = 0", lambda: Adam(MLP(2, [2]), eps=0), ValueError, r"eps must lie in \(0.0, inf\].*divides"),
    ("Adam with beta2 = 1", lambda: Adam(MLP(2, [2]), betas=(0.9, 1.0)), ValueError, r"beta2 must lie in \[0.0, 1.0\)"),
    ("Adam with a NaN learning rate", lambda: Adam(MLP(2, [2]), lr=float("nan")), ValueError, r"lr must be a finite number"),
    ("momentum of 1 or more", lambda: SGD(MLP(2, [2]), lr=0.1, momentum=1.0), ValueError, r"momentum must lie in \[0.0, 1.0\)"),
    ("infinite L2 weight", lambda: losses.l2_penalty(MLP(2, [2]), float("inf")), ValueError, r"alpha must be >= 0 and finite"),
    ("NaN cross-entropy squeeze", lambda: losses.binary_cross_entropy([Value(0.5)], [1.0], eps=float("nan")),
     ValueError, r"eps must lie in \[0, 0.5\)"),
    ("a NaN logit after the first", lambda: losses.softmax_cross_entropy([Value(0.0), Value(float("nan"))], 1),
     ValueError, r"logit 1 is nan"),
    ("a loss that returns a float", lambda: train(MLP(2, [1]), [[1, 2]], [1.0], loss=lambda a, y: 0.5, steps=1),
     TypeError, r"returned float 0.5, not a Value"),
    ("compiled training, cross-entropy target 2", lambda: train(MLP(2, [1], output_activation="sigmoid"), [[1, 2]], [2.0],
                                                               loss="bce", steps=1, compiled=True),
     ValueError, r"targets must lie in \[0, 1\]"),
    ("an int beyond float range", lambda: Value(10 ** 400), OverflowError, r"too large for a float"),
    # compiling and drawing
    ("compile a number", lambda: compile(3.0, [], []), TypeError, r"output must be a Value, got float"),
    ("compiled parameters that are not wanted", lambda: compile(Value(1.0) * 2, [], []).forward([], ["1"]), ValueError,
     r"expected 0 parameters"),
    ("compiled input that is a string", lambda: (lambda x: compile(x * 2, [x], []).forward(["1.5"]))(Value(1.0)),
     TypeError, r"inputs\[0\] must be a real number .* got str '1.5'"),
    ("compile with a Value listed twice", lambda: (lambda x: compile(x * x, [x], [x]))(Value(1.0)), ValueError,
     r"listed twice"),
    ("draw a huge graph", lambda: draw_graph(_chain(5000)), GraphTooLarge, r"5,?001 nodes|max_nodes"),
    ("a stepper of too many frames", lambda: __import__("engine").backward_frames(_chain(40), max_frames=10),
     GraphTooLarge, r"41 frames, more than the limit max_frames=10.*Pass max_frames=41"),
]


@pytest.mark.parametrize("case,fn,error,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_a_clear_error(case, fn, error, message):
    with pytest.raises(error, match=message):
        fn()


# ---------------------------------------------------------------------------- data files

def _saved(tmp_path):
    net = MLP(2, [2, 1], rng=0)
    path = tmp_path / "net.json"
    save(net, path)
    return path, json.loads(path.read_text())


def _write(tmp_path, name, content):
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    return p


FILE_CASES = [
    ("missing file", lambda tmp, text, doc: tmp / "nope.json", FileNotFoundError, r"nope.json"),
    ("truncated file", lambda tmp, text, doc: _write(tmp, "t.json", text[: len(text) // 2]), ValueError,
     r"t.json.*truncated"),
    ("not JSON", lambda tmp, text, doc: _write(tmp, "n.json", "hello"), ValueError, r"n.json.*not valid JSON"),
    ("deeply nested JSON", lambda tmp, text, doc: _write(tmp, "d.json", "[" * 100_000 + "]" * 100_000), ValueError,
     r"d.json.*nested too deeply"),
    ("a number of 5,000 digits", lambda tmp, text, doc: _write(tmp, "g.json", text.replace('"version": 1', '"version": 1' + "0" * 5000)),
     ValueError, r"g.json.*a number of 5001 digits"),
    ("a parameter of 5,000 digits", lambda tmp, text, doc: _write(
        tmp, "h.json", text.replace(repr(doc["parameters"]["W[2][1,1]"]), "9" * 5000, 1)), ValueError, r"h.json.*5000 digits"),
    ("trailing garbage", lambda tmp, text, doc: _write(tmp, "e.json", text + "garbage"), ValueError,
     r"e.json.*more text follows the end"),
    ("a second document", lambda tmp, text, doc: _write(tmp, "f.json", text + text), ValueError, r"f.json.*more text follows"),
    ("cut in the middle of a number", lambda tmp, text, doc: _write(tmp, "c.json", text[:text.index(": -") + 3]),
     ValueError, r"c.json.*truncated"),
    ("another architecture", lambda tmp, text, doc: _write(
        tmp, "a.json", {**doc, "architecture": {**doc["architecture"], "nouts": [3, 1]}}), ValueError, r"a.json"),
    ("a parameter that is not a number", lambda tmp, text, doc: _write(
        tmp, "s.json", {**doc, "parameters": {**doc["parameters"], "W[2][1,1]": "abc"}}), ValueError, r"s.json"),
    ("a missing parameter", lambda tmp, text, doc: _write(
        tmp, "m.json", {**doc, "parameters": {k: v for k, v in list(doc["parameters"].items())[1:]}}),
     ValueError, r"m.json"),
]


@pytest.mark.parametrize("case,make,error,message", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_file_gives_a_clear_error_and_changes_nothing(tmp_path, case, make, error, message):
    path, doc = _saved(tmp_path)
    bad = make(tmp_path, path.read_text(), doc)
    net = MLP(2, [2, 1], rng=1)
    before = [p.data for p in net.parameters()]
    with pytest.raises(error, match=message):
        load_into(net, bad)
    assert [p.data for p in net.parameters()] == before
    with pytest.raises(error):
        load(bad)


# ---------------------------------------------------------------------------- command lines

CLI_CASES = [
    ("demos.higham", ["--iterations", "-5"]),
    ("demos.higham", ["--eta", "abc"]),
    ("demos.higham", ["--method", "foo"]),
    ("demos.xor", ["--seeds", "0"]),
    ("demos.xor", ["--seeds", "abc"]),
    ("demos.backprop", ["--example", "foo"]),
    ("demos.backprop", ["--precision", "0"]),
    ("demos.backprop", ["--precision", "-3"]),
    ("demos.landscape", ["--seed", "x"]),
    ("demos.sgd", ["--bogus"]),
    ("demos.regularisation", ["--seed", "1.5"]),
]
CLI_CASES += [("demos.landscape", ["--start", "1e308", "1e308"]), ("demos.landscape", ["--grid", "100000"]),
              ("demos.landscape", ["--grid", "1"])]


@pytest.mark.parametrize("module,args", CLI_CASES, ids=[f"{m} {' '.join(a)}" for m, a in CLI_CASES])
def test_bad_command_line_options_give_a_usage_error(module, args, tmp_path):
    if not os.path.isdir(os.path.join(ROOT, *module.split("."))):
        pytest.skip(f"{module} is not part of this checkout")
    r = subprocess.run([sys.executable, "-m", module, *args, "--out", str(tmp_path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "usage:" in r.stderr and "Traceback" not in r.stderr


def test_bad_input_count():
    # the closing note quotes these numbers
    assert len(CASES) + len(FILE_CASES) + len(CLI_CASES) >= 84


# ---------------------------------------------------------------------------- anomaly mode

def test_anomaly_mode_names_the_first_non_finite_node_when_training_blows_up():
    X, Y = nn.higham_data()
    net = MLP(2, [8, 8, 2], activation="relu", init="normal", rng=0)
    with pytest.raises(NonFiniteError) as info:
        train(net, X, Y, lr=50.0, steps=500, scheme="full", check_finite=True, progress=False)
    report = info.value.report
    assert not np.isfinite(getattr(report.node, report.field))
    # it is the first: every node computed before it is finite
    from engine import topological_order
    order = topological_order(report.node)
    assert all(np.isfinite(v.data) for v in order[:-1])
    assert "op=" in str(info.value) and "inputs=" in str(info.value)
    # without the mode the run stops too (at the cost, issue 25), naming the step, not the node;
    # only on_nonfinite="ignore" goes on with NaNs
    net2 = MLP(2, [8, 8, 2], activation="relu", init="normal", rng=0)
    with pytest.raises(nn.TrainingDiverged, match="training stopped at step"):
        train(net2, X, Y, lr=50.0, steps=500, scheme="full", progress=False)
    net3 = MLP(2, [8, 8, 2], activation="relu", init="normal", rng=0)
    h = train(net3, X, Y, lr=50.0, steps=500, scheme="full", progress=False, on_nonfinite="ignore")
    assert not np.isfinite(h.costs[-1])


def test_whole_numbers_may_be_written_in_scientific_notation():
    from demos._common import positive_int
    assert positive_int("1e6") == 1_000_000 and positive_int("1_000") == 1000
    with pytest.raises(Exception, match="expected a positive integer"):
        positive_int("2.5")
