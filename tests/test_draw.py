"""Graph drawings: DOT content for known graphs, escaping of user labels, rendering to SVG, PNG and
PDF where Graphviz's dot exists, the clear error where it does not, and the node limit."""

import math
import re
import shutil
import stat
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import graphviz
import pytest

from engine import GraphTooLarge, GraphvizNotInstalled, Value, affine, draw_graph, draw_network, render
from engine.display.draw import DEFAULT_MAX_NODES, NODE_STYLES

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed (apt-get install graphviz)")


def small_net():
    """z = b + w·x, out = σ(z) * 2: one of each node kind."""
    w = Value(0.5, label="W[2][1,1]")
    b = Value(-0.25, label="b[2][1]")
    x = Value(2.0, label="x_1")
    w.is_parameter = b.is_parameter = True  # as nn marks its weights and biases
    z = affine([w], [x], b)
    z.label = "z[2]_1"
    a = z.sigmoid()
    a.label = "a[2]_1"
    out = a * 2
    out.label = "C"
    out.backward()
    return out, dict(w=w, b=b, x=x, z=z, a=a)


def node_lines(source):
    """{node id: its DOT statement} for the value nodes n0, n1 ... of a drawing."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^\s*(n\d+) \[.*$", source, re.M)}


def test_dot_source_shows_labels_data_grads_and_one_node_per_value_and_operation():
    out, v = small_net()
    g = draw_graph(out)
    assert isinstance(g, graphviz.Digraph)
    src = g.source
    nodes = node_lines(src)
    assert len(nodes) == 7  # b, W, x, z, a, the constant 2 and C
    texts = " ".join(nodes.values())
    for label in ["W[2][1,1]", "b[2][1]", "x_1", "z[2]_1", "a[2]_1", "C"]:
        assert f"<B>{label}</B>" in texts
    # data and grads with 4 significant digits, checked against closed forms
    z = 0.5 * 2.0 - 0.25
    s = 1 / (1 + math.exp(-z))
    assert f"data {z:.4g}" in texts and f"data {s:.4g}" in texts
    assert f"grad {2 * s * (1 - s) * 2.0:.4g}" in texts      # dC/dW = 2 σ' x
    assert f"grad {2 * s * (1 - s):.4g}" in texts            # dC/db = dC/dz
    # one small node per operation, edges from inputs to the operation and on to the result
    assert len(re.findall(r"^\s*n\d+_op \[", src, re.M)) == 3
    assert 'label="Σ"' in src and 'label="σ"' in src and 'label="*"' in src


def test_nodes_kinds_have_distinct_shapes_and_colours():
    out, v = small_net()
    src = draw_graph(out).source
    by_label = {}
    for line in node_lines(src).values():
        m = re.search(r"<B>([^<]*)</B>", line)
        by_label[m.group(1) if m else "const"] = line
    expected = {"W[2][1,1]": "parameter", "b[2][1]": "parameter", "x_1": "input", "z[2]_1": "intermediate",
                "a[2]_1": "intermediate", "C": "output", "const": "constant"}
    for label, kind in expected.items():
        style = NODE_STYLES[kind]
        assert f"shape={style['shape']}" in by_label[label]
        assert style["fillcolor"] in by_label[label]
    shapes = {(s["shape"], s["style"], s.get("peripheries")) for s in NODE_STYLES.values()}
    colours = {s["fillcolor"] for s in NODE_STYLES.values()}
    assert len(shapes) == len(colours) == 5  # told apart by shape and by colour


def test_explicit_params_override_the_label_rule():
    x, w = Value(1.0, label="x"), Value(2.0, label="w")
    out = x * w
    src = draw_graph(out, params={w}).source
    w_line = [line for line in node_lines(src).values() if "<B>w</B>" in line][0]
    x_line = [line for line in node_lines(src).values() if "<B>x</B>" in line][0]
    assert "box3d" in w_line and "box3d" not in x_line


def test_folded_operations_rankdir_precision_and_legend():
    out, v = small_net()
    g = draw_graph(out, op_nodes=False, rankdir="TB", precision=2, legend=True, show_grad=False)
    src = g.source
    assert "_op [" not in src and "rankdir=TB" in src
    assert "<TD><B>σ</B></TD>" in src and "<TD><B>Σ</B></TD>" in src
    assert "data 0.68" in src  # σ(0.75) = 0.679... with 2 digits
    assert "grad" not in " ".join(node_lines(src).values())
    assert "cluster_legend" in src and all(f"legend_{k}" in src for k in NODE_STYLES)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(out, rankdir="sideways")
    with pytest.raises(ValueError, match="precision"):
        draw_graph(out, precision=0)
    with pytest.raises(TypeError, match="Value"):
        draw_graph(3.0)


AWKWARD = 'he said "hi" <b>not bold</b> {x|y} a\\b & c\nsecond line'


def test_awkward_labels_are_escaped_in_the_dot_source():
    x = Value(1.0, label=AWKWARD)
    out = x * x
    out.label = "</TD></TR></TABLE>>"
    src = draw_graph(out).source
    assert "he said &quot;hi&quot; &lt;b&gt;not bold&lt;/b&gt; {x|y} a\\b &amp; c<BR/>second line" in src
    assert "&lt;/TD&gt;&lt;/TR&gt;&lt;/TABLE&gt;&gt;" in src
    assert "<b>" not in src


@needs_dot
def test_awkward_labels_render_as_typed():
    x = Value(1.0, label=AWKWARD)
    out = x * x
    out.label = "</TD></TR></TABLE>>"
    svg = draw_graph(out).pipe(format="svg", encoding="utf-8")
    root = ET.fromstring(svg)  # valid XML
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert 'he said "hi" <b>not bold</b> {x|y} a\\b & c' in texts
    assert "second line" in texts
    assert "</TD></TR></TABLE>>" in texts


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_renders_to_each_format(tmp_path, suffix, magic):
    out, _ = small_net()
    path = draw_graph(out).write(tmp_path / f"graph{suffix}")
    assert path.read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"graph{suffix}"]  # nothing else left behind


@needs_dot
def test_jupyter_rich_display_is_svg():
    out, _ = small_net()
    bundle = draw_graph(out)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH with no Graphviz programs on it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("dot") is None


def test_without_dot_the_source_is_built_and_rendering_raises_one_clear_error(no_dot, tmp_path):
    out, _ = small_net()
    g = draw_graph(out)
    assert "digraph" in g.source and "z[2]_1" in g.source
    for action in (lambda: g.write(tmp_path / "g.svg"), lambda: g.pipe(format="png"),
                   lambda: g.render(tmp_path / "g"), lambda: g._repr_mimebundle_(),
                   lambda: render(g, tmp_path / "g.pdf")):
        with pytest.raises(GraphvizNotInstalled) as info:
            action()
        message = str(info.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "conda" in message
        assert info.value.__cause__ is None and info.value.__suppress_context__
        assert isinstance(info.value, RuntimeError)
    # the DOT text itself needs no Graphviz
    assert g.write(tmp_path / "g.gv").read_text(encoding="utf-8") == g.source


def test_a_format_is_needed():
    out, _ = small_net()
    with pytest.raises(ValueError, match="suffix"):
        draw_graph(out).write("graph")


def test_node_limit_refuses_big_graphs_with_a_clear_message():
    x = Value(0.1, label="x")
    y = x
    for _ in range(DEFAULT_MAX_NODES // 2):
        y = y + 1.0  # two nodes per step: the sum and the constant
    count = 2 * (DEFAULT_MAX_NODES // 2) + 1
    with pytest.raises(GraphTooLarge) as info:
        draw_graph(y)
    assert f"has {count} Values" in str(info.value) and f"max_nodes={count}" in str(info.value)
    g = draw_graph(y, max_nodes=count)  # raising the limit draws it
    assert len(node_lines(g.source)) == count
    with pytest.raises(GraphTooLarge, match="has 3 Values"):
        draw_graph(x * 2, max_nodes=2)


# --------------------------------------------------------------------------- the network diagram

def fake_mlp(sizes):
    """An object shaped like nn.MLP (layers -> neurons -> w, b) with distinct weights."""
    layers = []
    for l in range(1, len(sizes)):
        neurons = [SimpleNamespace(w=[Value(0.1 * (l + j) - 0.05 * k, label=f"W[{l + 1}][{j},{k}]")
                                      for k in range(1, sizes[l - 1] + 1)],
                                   b=Value(0.01 * j, label=f"b[{l + 1}][{j}]"))
                   for j in range(1, sizes[l] + 1)]
        layers.append(SimpleNamespace(neurons=neurons, activation="sigmoid"))
    return SimpleNamespace(layers=layers)


def weight_edge_lines(src):
    """The visible edges of a network diagram (invisible ones only keep the neurons in order)."""
    return [line for line in src.splitlines() if re.match(r"\s*L\d+_\d+ -> L\d+_\d+ \[", line)
            and "invis" not in line]


def test_network_diagram_has_one_node_per_neuron_and_one_edge_per_weight():
    mlp = fake_mlp([2, 2, 3, 2])
    src = draw_network(mlp).source
    neurons = re.findall(r"^\s*(L\d+_\d+) \[", src, re.M)
    assert neurons == ["L1_1", "L1_2", "L2_1", "L2_2", "L3_1", "L3_2", "L3_3", "L4_1", "L4_2"]
    weight_edges = weight_edge_lines(src)
    assert len(weight_edges) == 2 * 2 + 3 * 2 + 2 * 3
    w = mlp.layers[1].neurons[2].w[1]  # W[3][3,2]: from neuron 2 of layer 2 to neuron 3 of layer 3
    line = [s for s in src.splitlines() if s.strip().startswith("L2_2 -> L3_3 ")][0]
    assert f"{w.data:.3g}" in line and f"W[3][3,2] = {w.data!r}" in line
    assert "layer 1\\n(input)" in src and "layer 4\\n(sigmoid)" in src
    assert "b 0.03" in src  # the bias of neuron 3 (of layer 3)


def test_network_diagram_of_an_nn_mlp():
    nn = pytest.importorskip("nn")
    mlp = nn.MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=1)
    src = draw_network(mlp, show_grads=True).source
    assert len(weight_edge_lines(src)) == 16  # 23 parameters - 7 biases
    for name, p in mlp.named_parameters():
        if name.startswith("W"):
            assert f"{name} = {p.data!r}" in src


def test_network_diagram_limits_and_errors():
    with pytest.raises(GraphTooLarge, match="neurons and weights"):
        draw_network(fake_mlp([3, 4, 2]), max_nodes=10)
    with pytest.raises(TypeError, match="MLP"):
        draw_network(Value(1.0))
    with pytest.raises(ValueError, match="input_names"):
        draw_network(fake_mlp([2, 1]), input_names=["a"])


@needs_dot
def test_network_diagram_renders(tmp_path):
    path = draw_network(fake_mlp([2, 2, 1])).write(tmp_path / "net.svg")
    ET.fromstring(path.read_bytes())


def _mlp():
    from nn import MLP
    return MLP(2, [2, 1], rng=0)


@pytest.mark.parametrize("call, message", [
    (lambda v: draw_graph(v, op_nodes="no"), "op_nodes must be True or False, got str 'no'"),
    (lambda v: draw_graph(v, show_grad=None), "show_grad must be True or False"),
    (lambda v: draw_graph(v, legend=1), "legend must be True or False, got int 1"),
    (lambda v: draw_graph(v, title=["t"]), "title must be a string or None, got list"),
    (lambda v: draw_graph(v, view="frame 3"), "view must be an engine.display.draw.FrameView or None"),
    (lambda v: draw_graph(v, params=v), "params must be the Values to draw as parameters"),
    (lambda v: draw_graph(v, rankdir=["LR"]), "rankdir must be one of LR, TB, RL, BT"),
    (lambda v: draw_network(_mlp(), show_grads="yes"), "show_grads must be True or False"),
    (lambda v: draw_network(_mlp(), show_weights=0), "show_weights must be True or False"),
    (lambda v: draw_network(_mlp(), input_names="ab"), "input_names must be a list of 2 names"),
    (lambda v: draw_network(_mlp(), title=7), "title must be a string or None"),
    (lambda v: render(draw_graph(v), "g.svg", format=3), "format must be a string or None"),
])
def test_every_drawing_option_is_checked_by_name(call, message):
    v = Value(0.5, label="x").tanh()
    with pytest.raises((TypeError, ValueError), match=re.escape(message)):
        call(v)


def test_write_frames_and_the_page_check_their_own_options(tmp_path):
    from engine import backward_frames, write_frames, write_stepper_html
    v = Value(0.5, label="x").tanh()
    frames = backward_frames(v)
    with pytest.raises(TypeError, match="frames must be the list that backward_frames"):
        write_frames("frames", tmp_path)
    with pytest.raises(TypeError, match="prefix must be a string"):
        write_frames(frames, tmp_path, prefix=None)
    with pytest.raises(ValueError, match="frames were made for another graph"):
        write_stepper_html(v.tanh(), tmp_path / "p.html", frames=frames)
    with pytest.raises(TypeError, match="pass either frames or drawing options"):
        write_stepper_html(v, tmp_path / "p.html", frames=frames, rankdir="TB")
    with pytest.raises(TypeError, match="title must be a string"):
        write_stepper_html(v, tmp_path / "p.html", title=None)


def test_the_exponent_of_a_power_is_drawn_in_the_operations_label_as_micrograd_has_it():
    x = Value(3.0, label="x")
    y = x ** 2 + x ** Value(0.5, label="e")  # a number exponent is the operation's; a Value is an input
    src = draw_graph(y).source
    assert 'label="**2"' in src and 'label="**"' in src
    assert "data 2" not in src and "<B>e</B>" in src  # no node for the 2; the Value e is drawn
    assert (x ** 2)._prev == (x,) and len((x ** 2).inputs) == 2
    folded = draw_graph(y, op_nodes=False).source
    assert "<B>**2</B>" in folded


@pytest.mark.parametrize("writer", ["render .gv", "render .svg", "stepper page", "inline stepper save"])
def test_writers_replace_only_a_regular_file(tmp_path, writer):
    import os
    from engine import stepper, write_stepper_html
    out, _ = small_net()
    target = tmp_path / ("fifo.gv" if writer == "render .gv" else "fifo.svg" if writer == "render .svg"
                         else "fifo.html")
    os.mkfifo(target)
    link = tmp_path / ("link" + target.suffix)
    link.symlink_to(target)
    calls = {"render .gv": lambda p: render(draw_graph(out), p),
             "render .svg": lambda p: render(draw_graph(out), p),
             "stepper page": lambda p: write_stepper_html(out, p),
             "inline stepper save": lambda p: stepper(out).save(p)}
    if writer != "render .gv" and not shutil.which("dot"):
        pytest.skip("Graphviz's dot is not installed")
    for path in (target, link):  # a FIFO would block the writer for ever; it is refused, untouched
        with pytest.raises(FileExistsError, match="named pipe"):
            calls[writer](path)
    assert target.exists() and stat.S_ISFIFO(os.stat(target).st_mode)
    fine = tmp_path / ("fine" + target.suffix)
    calls[writer](fine)
    assert fine.stat().st_size > 0
