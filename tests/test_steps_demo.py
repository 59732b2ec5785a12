"""The back-propagation demo: its three graphs check out against independent computations, and
``python -m demos.backprop`` writes every promised file."""

import math
import re
import shutil

import numpy as np
import pytest

from engine import topological_order
from engine.display.steps import final_grads

examples = pytest.importorskip("demos.backprop.examples")


def test_neuron_example_matches_micrograd_and_closed_forms():
    ex = examples.neuron()
    o = ex.root
    assert o.data == pytest.approx(1 / math.sqrt(2), abs=1e-6)
    grads = {v.label: g for v, g in final_grads(o).items()}
    t = 1 - o.data ** 2
    assert grads["w1"] == pytest.approx(2.0 * t) and grads["x1"] == pytest.approx(-3.0 * t)
    assert grads["w2"] == pytest.approx(0.0) and grads["b"] == pytest.approx(t)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_higham_deltas_of_lemma_5_1_by_finite_differences():
    """The NumPy δ of (5.5)–(5.6) is dC/dz: checked by perturbing z[l] in a NumPy forward pass."""
    pytest.importorskip("nn")
    rng = np.random.default_rng(0)
    arrays = {"W[2]": rng.normal(size=(2, 2)), "b[2]": rng.normal(size=2), "W[3]": rng.normal(size=(3, 2)),
              "b[3]": rng.normal(size=3), "W[4]": rng.normal(size=(2, 3)), "b[4]": rng.normal(size=2)}
    x, y = np.array([0.3, 0.7]), np.array([1.0, 0.0])
    delta = examples.lemma_5_1_deltas(arrays, x, y)

    def cost_with_shift(l0, j0, h):
        a = x
        for l in range(2, 5):
            z = arrays[f"W[{l}]"] @ a + arrays[f"b[{l}]"]
            if l == l0:
                z = z.copy()
                z[j0] += h
            a = sigmoid(z)
        return 0.5 * np.sum((y - a) ** 2)

    for l in range(2, 5):
        for j in range(len(delta[l])):
            h = 1e-6
            fd = (cost_with_shift(l, j, h) - cost_with_shift(l, j, -h)) / (2 * h)
            assert delta[l][j] == pytest.approx(fd, rel=1e-6, abs=1e-10)


def test_higham_example_grads_at_z_equal_lemma_5_1():
    pytest.importorskip("nn")
    ex = examples.higham()
    ex.root.backward()
    deltas = examples.lemma_5_1_deltas(ex.mlp.arrays(), [0.1, 0.1], [1.0, 0.0])
    zs = {v.label: v for v in topological_order(ex.root) if v.op == "affine"}
    assert len(zs) == 7
    for l, d in deltas.items():
        for j, dj in enumerate(d, 1):
            assert zs[f"z[{l}]_{j}"].grad == pytest.approx(dj, rel=1e-12, abs=1e-15)
            note = ex.annotate(zs[f"z[{l}]_{j}"])
            assert note.startswith(f"δ[{l}]_{j} = ") and note.endswith("= grad ✓")
    assert len(ex.mlp.parameters()) == 23


def test_xor_example_is_a_global_minimum_with_zero_gradients():
    pytest.importorskip("nn")
    ex = examples.xor()
    assert ex.root.data == 0.0
    grads = final_grads(ex.root)
    for p in ex.mlp.parameters():
        assert grads[p] == 0.0


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_demo_writes_graph_table_frames_and_page(tmp_path, capsys):
    from demos.backprop.__main__ import main

    assert main(["--example", "neuron", "--out", str(tmp_path), "--quiet"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["neuron_frames", "neuron_graph.png", "neuron_graph.svg", "neuron_stepper.html",
                     "neuron_table.txt"]
    assert len(list((tmp_path / "neuron_frames").iterdir())) == 1 + 5  # start + five operations
    table = (tmp_path / "neuron_table.txt").read_text(encoding="utf-8")
    assert "do/dn = 1 − o² = 0.5" in table and "tanh" in table
    text = capsys.readouterr().out  # --quiet: the one summary line, not the table
    assert text.startswith("neuron: graphs, tables, frames and stepper pages written to") and "do/dn" not in text


def test_neuron_gradient_example_is_a_graph_of_the_gradient(tmp_path):
    ex = examples.neuron_gradient()
    o = ex.beside.root
    leaves = {v.label: v for v in topological_order(o) if v.is_leaf}
    x1 = leaves["x1"].data
    assert ex.root.data == pytest.approx(x1 * (1 - o.data ** 2), rel=1e-15)  # ∂o/∂w1 = x1 (1 − o²)
    assert o in topological_order(ex.root)  # the gradient graph reuses the neuron's own nodes
    steps_grads = final_grads(ex.root)
    # its backward pass gives second derivatives: ∂²o/∂w1² = −2 x1² o (1 − o²), ∂²o/∂w1∂x1 = (1 − o²) − 2 x1 w1 o (1 − o²)
    w1 = leaves["w1"].data
    assert steps_grads[leaves["w1"]] == pytest.approx(-2 * x1 ** 2 * o.data * (1 - o.data ** 2), rel=1e-12)
    assert steps_grads[leaves["x1"]] == pytest.approx((1 - o.data ** 2) * (1 - 2 * x1 * w1 * o.data), rel=1e-12)
    from demos.backprop.__main__ import main
    assert main(["--example", "neuron-gradient", "--out", str(tmp_path), "--quiet"]) == 0
    svg = (tmp_path / "neuron-gradient_graph.svg").read_text(encoding="utf-8")
    assert "micrograd&#39;s neuron" in svg or "micrograd's neuron" in svg
    assert "∂o/∂w1" in svg and "1 − o²" in svg


def _numbers(text):
    return [float(x.replace("−", "-")) for x in re.findall(r"[−-]?\d+(?:\.\d+)?(?:e[−-]?\d+)?", text)]


def test_every_number_the_backprop_demo_prints_as_agreeing_is_compared():
    """The summaries say that numbers agree only when they were compared and do: ∂o/∂w1 by the
    gradient graph, by backward() (after it ran) and in closed form; Lemma 5.1's δ beside each z;
    XOR's outputs and targets."""
    import re as _re
    ex = examples.neuron_gradient()
    line = ex.summary[0]
    graph, by_backward, closed = (float(_re.search(rf"{key} (\S+?),? ", line + " ").group(1))
                                  for key in ("graph", r"backward\(\)", r"x1 \(1 − o²\) ="))
    o = ex.beside.root
    x1 = next(v for v in topological_order(o) if v.label == "x1").data
    assert graph == by_backward == pytest.approx(x1 * (1 - o.data ** 2), rel=1e-12) == closed != 0
    assert line.endswith("(the three agree)")
    # nothing of that pass is left in the nodes the demo draws next
    assert all(v.grad == 0.0 for v in topological_order(o))

    ex = examples.higham()
    notes = [ex.annotate(v) for v in topological_order(ex.root)]
    deltas = [n for n in notes if n and n.startswith("δ[")]
    assert len(deltas) == 2 + 3 + 2 and all(n.endswith("= grad ✓") for n in deltas)
    worst = float(ex.summary[0].rsplit(": ", 1)[1])
    assert worst <= 1e-15

    ex = examples.xor()
    fx, targets = (_numbers(part) for part in ex.summary[0].split(":")[0].split(" = ")[1:3])
    assert fx == targets == [0.0, 1.0, 1.0, 0.0] and ex.root.data == 0.0
