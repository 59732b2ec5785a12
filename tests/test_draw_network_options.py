"""draw_network's paper style (plain=True) and highlighted weights (highlight=(l, j, k)), as Higham &
Higham's Figures 2.3 and 3.1 draw them: the DOT source checked edge by edge, the errors by message."""

import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from engine import draw_network
from engine.display.draw import HIGHLIGHT_COLOUR
from nn import MLP

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


def five_layer():
    """The shape of the paper's Figure 3.1: layers of 4, 3, 4, 4 and 3 neurons."""
    return MLP(4, [3, 4, 4, 3], activation="sigmoid", output_activation="sigmoid", init="normal", rng=3)


def edges(src):
    """{(from, to): attribute text} for every visible weight edge of a diagram."""
    found = {}
    for line in src.splitlines():
        m = re.match(r"\s*(L\d+_\d+) -> (L\d+_\d+) \[(.*)\]\s*$", line)
        if m and "invis" not in m.group(3):
            found[(m.group(1), m.group(2))] = m.group(3)
    return found


def test_highlight_draws_the_edge_of_w3_43_from_neuron_3_of_layer_2_to_neuron_4_of_layer_3():
    mlp = five_layer()
    src = draw_network(mlp, plain=True, highlight=(3, 4, 3)).source
    es = edges(src)
    assert len(es) == 4 * 3 + 3 * 4 + 4 * 4 + 4 * 3          # one edge per weight
    marked = {pair: attrs for pair, attrs in es.items() if HIGHLIGHT_COLOUR in attrs}
    assert list(marked) == [("L2_3", "L3_4")]                  # exactly one, the caption's reading
    attrs = marked[("L2_3", "L3_4")]
    assert 'id="w[3]_43"' in attrs and "<SUP>[3]</SUP><SUB>43</SUB>" in attrs
    w = mlp.layers[1].neurons[3].w[2]                          # W[3] row 4, column 3 (1-based)
    assert f"W[3][4,3] = {w.data!r}" in attrs
    # the two neurons it joins are outlined, no other
    outlined = re.findall(rf"^\s*(L\d+_\d+) \[[^\]]*color=\"{HIGHLIGHT_COLOUR}\"", src, re.M)
    assert sorted(outlined) == ["L2_3", "L3_4"]


def test_plain_style_draws_no_numbers_and_black_edges():
    mlp = MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=0)
    src = draw_network(mlp, plain=True).source
    es = edges(src)
    assert len(es) == 16
    assert all("color=black" in a and "arrowhead=none" in a and "headlabel" not in a for a in es.values())
    assert "b " not in re.sub(r'tooltip="[^"]*"', "", src)     # no bias printed (only in tooltips)
    neurons = re.findall(r"^\s*L\d+_\d+ \[label=\"\"", src, re.M)
    assert len(neurons) == 2 + 2 + 3 + 2                        # empty circles


def test_highlight_in_the_default_style_keeps_the_weight_value():
    mlp = MLP(2, [2, 3, 2], activation="sigmoid", init="normal", rng=0)
    src = draw_network(mlp, highlight=[(2, 1, 2), (4, 2, 3)]).source
    marked = {pair for pair, attrs in edges(src).items() if HIGHLIGHT_COLOUR in attrs}
    assert marked == {("L1_2", "L2_1"), ("L3_3", "L4_2")}
    w = mlp.layers[2].neurons[1].w[2]
    attrs = edges(src)[("L3_3", "L4_2")]
    assert f"{w.data:.3g}" in attrs and 'id="w[4]_23"' in attrs


@pytest.mark.parametrize("highlight, error, message", [
    ((1, 1, 1), ValueError, r"layer l must be 2\.\.5 \(layer 1 is the input"),
    ((6, 1, 1), ValueError, r"layer l must be 2\.\.5.*got l = 6"),
    ((3, 5, 1), ValueError, r"layer 3 has 4 neurons, so j must be 1\.\.4, got j = 5"),
    ((3, 4, 4), ValueError, r"layer 2 has 3 neurons, so k .* must be 1\.\.3, got k = 4"),
    ((3, 0, 1), ValueError, r"j must be 1\.\.4, got j = 0"),
    ((3, 4), TypeError, r"highlight must be a weight \(l, j, k\)"),
    ("w[3]_43", TypeError, r"highlight must be a weight \(l, j, k\).*str"),
    ((3.0, 4, 3), TypeError, r"highlight must be a weight"),
    ((True, 4, 3), TypeError, r"highlight must be a weight"),
    ([(3, 4, 3), (2, 9, 1)], ValueError, r"highlight \(2, 9, 1\): layer 2 has 3 neurons"),
    (7, TypeError, r"highlight must be a weight.*int 7"),
])
def test_bad_highlights_name_the_problem(highlight, error, message):
    with pytest.raises(error, match=message):
        draw_network(five_layer(), highlight=highlight)


def test_plain_refuses_numbers():
    mlp = five_layer()
    for option in ("show_weights", "show_biases", "show_grads"):
        with pytest.raises(ValueError, match="plain=True draws the network without numbers"):
            draw_network(mlp, plain=True, **{option: True})
    with pytest.raises(TypeError, match="plain must be True or False"):
        draw_network(mlp, plain="yes")
    # explicit False is fine, and the default style is unchanged
    assert "headlabel" not in draw_network(mlp, plain=True, show_weights=False).source
    assert "headlabel" in draw_network(mlp).source


@needs_dot
def test_highlighted_edge_is_in_the_rendered_svg(tmp_path):
    path = draw_network(five_layer(), plain=True, highlight=(3, 4, 3)).write(tmp_path / "fig31.svg")
    root = ET.fromstring(path.read_bytes())
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert "w[3]_43" in ids
