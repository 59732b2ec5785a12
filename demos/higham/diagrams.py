"""The paper's two network diagrams, drawn by ``engine.draw_network`` in its plain style.

* Figure 2.3: the four-layer network of §2, layers of 2, 2, 3 and 2 neurons (the demo's own network);
* Figure 3.1: a five-layer network, layers of 4, 3, 4, 4 and 3 neurons, with the edge of the weight
  w[3]_43 highlighted: the output of neuron 3 of layer 2 is multiplied by w[3]_43 on its way into
  neuron 4 of layer 3 (§3, the general notation of (3.1)–(3.2)).

Both are written as DOT text (.gv, needs no Graphviz) and, when Graphviz's ``dot`` is installed, as
PNG and SVG.
"""

from nn import MLP

from .._common import save_drawing

FIGURE_31_SIZES = (4, 3, 4, 4, 3)   # neurons of layers 1..5 in Figure 3.1
FIGURE_31_WEIGHT = (3, 4, 3)        # (l, j, k): w[3]_43, neuron 3 of layer 2 → neuron 4 of layer 3


def four_layer(mlp):
    """Figure 2.3: the 2-2-3-2 network ``mlp`` as a diagram (its weights are not shown)."""
    from engine import draw_network
    return draw_network(mlp, plain=True, title="A network with four layers (Higham & Higham, Fig. 2.3)")


def five_layer():
    """Figure 3.1: a 4-3-4-4-3 network (any weights: none is drawn) with w[3]_43 highlighted."""
    from engine import draw_network
    sizes = FIGURE_31_SIZES
    mlp = MLP(sizes[0], list(sizes[1:]), activation="sigmoid", output_activation="sigmoid",
              init="normal", rng=0)
    return draw_network(mlp, plain=True, highlight=FIGURE_31_WEIGHT,
                        title="A network with five layers (Higham & Higham, Fig. 3.1)\nthe edge of the weight "
                              "w[3]_43 highlighted: neuron 3 of layer 2 feeds neuron 4 of layer 3")


def write_diagrams(mlp, out_dir):
    """Write Figures 2.3 (``network``) and 3.1 (``five_layer``) to ``out_dir``; returns (paths, note),
    note saying why PNG and SVG are missing when Graphviz's ``dot`` is not installed."""
    paths, note = [], None
    for stem, drawing in (("network", four_layer(mlp)), ("five_layer", five_layer())):
        written, missing = save_drawing(drawing, out_dir, stem)
        paths += written
        note = note or missing
    return paths, note
