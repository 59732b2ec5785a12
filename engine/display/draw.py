"""Drawing graphs of Values with Graphviz: the scalar graph (``draw_graph``) and a network diagram
(``draw_network``).

``draw_graph(root)`` returns a ``Drawing`` (a ``graphviz.Digraph``): one node per Value showing its name,
``data`` and ``grad``, and, in micrograd's style, one small node per operation (``op_nodes=False``
folds the operation's symbol into the value node instead). It shows inline in Jupyter, and
``drawing.write("graph.svg")`` (or ``.png``, ``.pdf``) renders it with Graphviz's ``dot`` program.
Without ``dot`` the DOT text is still built (``drawing.source``); rendering then raises
``GraphvizNotInstalled``, which says how to install Graphviz.

Node kinds (see ``engine.display.steps.node_kind``) are told apart by shape *and* colour, so a grey-scale
print still shows them (``legend=True`` draws this key beside the graph):

=============  ===========================  =============
kind           shape                        fill
=============  ===========================  =============
output         box with a double border     red
parameter      3-D box                      yellow
input          box                          blue
constant       dashed box                   light grey
intermediate   rounded box                  white
operation      ellipse (op_nodes=True)      grey
=============  ===========================  =============

User labels are escaped before they reach the DOT text (HTML-like labels built from
``html.escape``; newlines become line breaks), so any label draws as typed, cut to three lines of
60 characters (the whole label is in the tooltip); an empty or blank label ("" is micrograd's
default) draws as no label. In Jupyter a drawing shows as SVG with a PNG beside it (for viewers
that show no SVG), and a wide one shrinks to the output's width.
"""

import base64
import contextlib
import math
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import graphviz

from ..core.files import refuse_unless_regular
from ..core.graph import topological_order
from .labels import (LABEL_CHARS, TITLE_CHARS, TOOLTIP_CHARS, bounded_repr, check_flag, check_text, label_html,
                     shorten)
from .steps import NODE_KINDS, as_param_set, display_names, format_number, is_labelled, node_kind
from ..core.value import Value

DEFAULT_MAX_NODES = 2000  # Values; a bigger graph is unreadable and slow for dot to lay out

NODE_STYLES = {
    "output": {"shape": "box", "style": "filled,bold", "peripheries": "2", "fillcolor": "#f4a6a6"},
    "parameter": {"shape": "box3d", "style": "filled", "fillcolor": "#ffe08a"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#a9cce3"},
    "constant": {"shape": "box", "style": "filled,dashed", "fillcolor": "#eeeeee", "fontcolor": "#444444"},
    "intermediate": {"shape": "box", "style": "filled,rounded", "fillcolor": "#ffffff"},
}
OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#dddddd", "fontsize": "11",
            "width": "0.3", "height": "0.3", "margin": "0.03"}
CURRENT_COLOUR = "#d62728"   # the node being processed and the edges its step uses
UPDATED_COLOUR = "#ff7f0e"   # the inputs whose gradients the step changed
HIGHLIGHT_COLOUR = "#ff7f0e"  # a weight singled out in a network diagram (draw_network(highlight=...))
RANKDIRS = ("LR", "TB", "RL", "BT")

INSTALL_HINT = ("install Graphviz, which provides the 'dot' program: "
                "Debian/Ubuntu: sudo apt-get install graphviz; Fedora: sudo dnf install graphviz; "
                "macOS: brew install graphviz; conda: conda install -c conda-forge graphviz; "
                "Windows: winget install graphviz (then open a new terminal so that 'dot' is on PATH)")


class GraphvizNotInstalled(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's ``dot`` program, which is not on PATH (a RuntimeError)."""

    def __init__(self, message):
        RuntimeError.__init__(self, message)


class GraphTooLarge(ValueError):
    """The graph has more nodes than the drawing's limit (raise ``max_nodes`` to draw it)."""


@contextlib.contextmanager
def _explain_missing_dot():
    try:
        yield
    except GraphvizNotInstalled:
        raise
    except graphviz.ExecutableNotFound:
        raise GraphvizNotInstalled(
            "cannot render the drawing: Graphviz's 'dot' program was not found on PATH. The DOT "
            "text was built (drawing.source, or drawing.save('graph.gv')); to render it, "
            + INSTALL_HINT) from None


WIDE = 600  # points (800 pixels): a drawing wider than this is scaled to the width it is shown in


def fit_width(svg):
    """Graphviz's SVG text made to fit the width it is shown in. Inline (classic Notebook), a style
    shrinks it; JupyterLab and nbconvert show SVG as an <img>, which only the SVG's own size sets: a
    drawing wider than ``WIDE`` gets width 100% (its height from the viewBox), so it fills the output
    area instead of overflowing it; a smaller one keeps its size, as text stays the size it was drawn."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    head = svg[start:end]
    width = re.search(r'\swidth="([0-9.]+)pt"', head)
    if width and float(width.group(1)) > WIDE:
        head = re.sub(r'\sheight="[^"]*"', "", head.replace(width.group(0), ' width="100%"', 1), count=1)
    head = head.replace("<svg", '<svg style="max-width:100%;height:auto"', 1)
    return svg[:start] + head + svg[end:]


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering explains a missing ``dot`` (``GraphvizNotInstalled``),
    and which Jupyter shows as SVG *and* PNG: viewers that do not show SVG (an untrusted JupyterLab
    shows it as the text ``<engine.display.draw.Drawing>``) show the PNG."""

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        pictures = self.pipe_formats(["svg", "png"])  # one layout for both; no dot: GraphvizNotInstalled
        bundle = {"image/svg+xml": fit_width(pictures["svg"].decode("utf-8")),
                  "image/png": base64.b64encode(pictures["png"]).decode("ascii")}
        if include is not None:
            bundle = {k: v for k, v in bundle.items() if k in set(include)}
        return {k: v for k, v in bundle.items() if k not in set(exclude or ())}

    def pipe(self, *args, **kwargs):
        with _explain_missing_dot():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        with _explain_missing_dot():
            return super().render(*args, **kwargs)

    def write(self, path, format=None):
        """Render to exactly ``path`` (format from its suffix: .svg, .png, .pdf ...); see ``render``."""
        return render(self, path, format)

    def pipe_formats(self, formats):
        """{format: bytes}: this drawing in each of ``formats`` ("svg", "png" ...) from ONE run of
        Graphviz, so one layout serves them all (a stepper's page and its picture agree)."""
        formats = list(formats)
        if len(formats) == 1:
            return {formats[0]: self.pipe(format=formats[0])}
        with tempfile.TemporaryDirectory(prefix="seebackprop-") as tmp:
            source = Path(tmp) / "graph.gv"
            source.write_text(self.source, encoding="utf-8")
            command = [self.engine, *(f"-T{f}" for f in formats), "-O", source.name]
            with _explain_missing_dot():
                try:
                    run = subprocess.run(command, capture_output=True, cwd=tmp)
                except FileNotFoundError:
                    raise graphviz.ExecutableNotFound(command) from None
            if run.returncode:
                raise graphviz.CalledProcessError(run.returncode, command, stderr=run.stderr)
            return {f: (Path(tmp) / f"{source.name}.{f}").read_bytes() for f in formats}


def render(graph, path, format=None):
    """Render ``graph`` to the file ``path`` and return it as a ``Path``.

    The format is ``format`` or the suffix of ``path`` (svg, png, pdf, or any format of ``dot -T``);
    ``.gv``/``.dot`` write the DOT text itself, which needs no Graphviz. No other file is left
    behind. Raises ``GraphvizNotInstalled`` when ``dot`` is missing.
    """
    check_text("format", format)
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if not fmt:
        raise ValueError(f"cannot tell the format of {str(path)!r}: give it a suffix such as .svg, .png "
                         "or .pdf, or pass format=")
    refuse_unless_regular(path, "draw into")  # a FIFO would block, a device be written into
    if fmt in ("gv", "dot"):
        path.write_text(graph.source, encoding="utf-8")
        return path
    with _explain_missing_dot():
        data = graph.pipe(format=fmt)
    refuse_unless_regular(path, "draw into")  # again: it may have appeared while dot ran
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------- the scalar graph

@dataclass
class FrameView:
    """The state of a backward pass part-way through, for drawing one frame (``engine.display.stepper``).

    ``grads``: the gradients as they are at this step (a node absent has received nothing yet and is
    drawn with a blank grad); ``partial``: nodes whose gradient is still a partial sum (more
    contributions to come, drawn "g + …"); ``current``: the node just processed; ``contributions``:
    its step's ``Contribution``s, whose edges are highlighted and labelled.
    """

    grads: dict
    partial: set = field(default_factory=set)
    current: Value | None = None
    contributions: tuple = ()
    # {(node, input position): Contribution} of the whole pass: every frame writes every edge's
    # label (shown only on the current node's edges) and gives each grad a cell of one width, so
    # that all frames have one layout and the stepper page can store a frame as its changes
    edge_labels: dict | None = None


def _check_options(rankdir, precision, max_nodes, title=None):
    if not isinstance(rankdir, str) or rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)} (LR: left to right, TB: top to "
                         f"bottom), got {bounded_repr(rankdir)}")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise ValueError(f"precision must be an int from 1 to 17 (significant digits), got {bounded_repr(precision)}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {bounded_repr(max_nodes)}")
    check_text("title", title)


def check_graph_options(*, op_nodes=True, rankdir="LR", precision=4, show_grad=True, max_nodes=DEFAULT_MAX_NODES,
                        legend=False, title=None):
    """Refuse a drawing option of ``draw_graph`` (and so of the stepper) that it cannot take, with a
    message naming the option and what it accepts."""
    _check_options(rankdir, precision, max_nodes, title)
    for name, flag in (("op_nodes", op_nodes), ("show_grad", show_grad), ("legend", legend)):
        check_flag(name, flag)


def check_size(count, limit, what="graph", unit="Values", option="max_nodes"):
    """Refuse a drawing of more than ``limit`` things; ``option`` is the argument that sets it."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"{option} must be a positive int, got {bounded_repr(limit)}")
    if count > limit:
        raise GraphTooLarge(
            f"the {what} has {count} {unit}, more than the limit {option}={limit}: drawing it would "
            f"be slow and unreadable. Pass {option}={count} (or more) to draw it anyway, or draw a "
            f"smaller graph (one sample, one neuron).")


def _value_label(name, unnamed, symbol, data, grad_text, bold_grad=False, grad_width=None):
    cells = []
    if symbol:
        cells.append(f"<TD><B>{label_html(symbol)}</B></TD>")  # a user's operation may have any symbol
    if name is not None:  # None: a constant, whose name is its value
        shown = label_html(name)
        cells.append(f'<TD><FONT COLOR="#888888">{shown}</FONT></TD>' if unnamed else f"<TD><B>{shown}</B></TD>")
    cells.append(f"<TD>data {data}</TD>")
    if grad_text is not None:
        grad = f"<B>{grad_text}</B>" if bold_grad and grad_text else grad_text
        # a cell of one width, its text at its left edge: every frame of a pass has one layout, and
        # the stepper page can write any frame's number at the place the laid-out picture has it
        size = "" if grad_width is None else f' ALIGN="LEFT" FIXEDSIZE="TRUE" WIDTH="{grad_width}" HEIGHT="20"'
        cells.append(f"<TD{size}>grad {grad}</TD>")
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3"><TR>'
            + "<VR/>".join(cells) + "</TR></TABLE>>")


def node_tooltip(kind, node, name, grad=None):
    """The tooltip of a value node: its kind, exact data and grad (``grad`` None: none shown), and
    its whole label where the drawing had to shorten it. Bounded, whatever the label's length."""
    text = f"{kind}: data={node.data!r}" + ("" if grad is None else f", grad={grad!r}")
    if name is not None and shorten(name) != str(name):
        label = str(name)
        label = label if len(label) <= TOOLTIP_CHARS else label[:TOOLTIP_CHARS - 1] + "…"
        text = f"{label}\n{text}"
    return text


def edge_id(node_id, position=None):
    """The SVG id of an edge into ``node_id``: its input ``position``'s, or (None) the edge from its
    operation node. Fixed ids let the stepper page find an edge in the one laid-out picture."""
    return f"{node_id}_out" if position is None else f"{node_id}_in{position}"


def draw_graph(root, *, params=None, op_nodes=True, rankdir="LR", precision=4, show_grad=True,
         max_nodes=DEFAULT_MAX_NODES, legend=False, title=None, view=None):
    """The graph under ``root`` as a ``Drawing`` (a ``graphviz.Digraph``).

    params:     the Values to draw as parameters (a set, any iterable or a Module); by default the
                leaves marked ``is_parameter`` (nn's weights and biases) are parameters.
    op_nodes:   True: each operation is its own small node (micrograd's style); False: its symbol is
                folded into the value node it produces.
    rankdir:    "LR" (left to right) or "TB" (top to bottom); also "RL", "BT".
    precision:  significant digits of the numbers shown (exact values are in the SVG tooltips).
    show_grad:  draw each node's ``.grad``.
    max_nodes:  refuse (``GraphTooLarge``) a graph of more Values than this.
    legend:     add a key of the node kinds.
    title:      a caption above the graph (a string).
    view:       a ``FrameView`` of a backward pass part-way through (used by ``engine.display.stepper``).

    Labels are drawn on at most three lines of 60 characters (the whole label is in the tooltip);
    an empty or blank label draws as an unlabelled node does (``v<i>``).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph() takes the Value at the root of a graph, got {type(root).__name__}")
    check_graph_options(op_nodes=op_nodes, rankdir=rankdir, precision=precision, show_grad=show_grad,
                        max_nodes=max_nodes, legend=legend, title=title)
    if view is not None and not isinstance(view, FrameView):
        raise TypeError(f"view must be an engine.display.draw.FrameView or None, got {type(view).__name__}")
    order = topological_order(root)
    check_size(len(order), max_nodes)
    params = as_param_set(params)
    names = display_names(root)
    ids = {v: f"n{i}" for i, v in enumerate(order)}
    fmt = lambda x: format_number(x, precision)  # noqa: E731

    g = Drawing(name="graph", graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25",
                                          "ranksep": "0.35"},
                node_attr={"fontname": "Helvetica", "fontsize": "12"},
                edge_attr={"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.7"})
    if title:
        g.attr(label=_plain_html(title, TITLE_CHARS), labelloc="t", fontsize="14")

    current = view.current if view else None
    fixed = view.edge_labels if view else None  # one layout for every frame (see FrameView)
    used = {}  # input position -> Contribution, for the current node's edges
    updated = set()
    if view:
        for c in view.contributions:
            used[c.position] = c
            updated.add(c.input)

    # the n of x ** n is a constant of the operation, drawn in its label (**2), as micrograd's _op
    # and _prev have it, not as a node of its own
    powers = {v for v in order if v._a is not None and len(v._prev) < len(v.inputs)}
    exponents = {u for v in powers for u in v.inputs if u not in v._prev}
    for v in order:
        if v in exponents:
            continue
        kind = node_kind(v, root, params)
        if not show_grad:
            grad_text = None
        elif view is None:
            grad_text = fmt(v.grad)
        elif v not in view.grads:
            grad_text = ""  # not reached yet: blank, not 0
        else:
            grad_text = fmt(view.grads[v]) + (" + …" if v in view.partial else "")
        symbol = None if (op_nodes or v.is_leaf) else (v._op if v in powers else v._operation.symbol)
        unnamed = not is_labelled(v) and not v.is_constant
        name = None if (v.is_constant and not is_labelled(v)) else names[v]
        label = _value_label(name, unnamed, symbol, fmt(v.data), grad_text, bold_grad=v is current,
                             grad_width=None if fixed is None else grad_cell_width(precision))
        attrs = dict(NODE_STYLES[kind])
        if v is current:
            attrs.update(color=CURRENT_COLOUR, penwidth="3")
        elif v in updated:
            attrs.update(color=UPDATED_COLOUR, penwidth="2.5")
        grad_exact = view.grads.get(v) if view else v.grad
        tooltip = node_tooltip(kind, v, name, grad_exact if show_grad else None)
        g.node(ids[v], label=label, tooltip=tooltip, id=ids[v], **attrs)

        if v.is_leaf:
            continue
        target = ids[v]
        if op_nodes:
            target = ids[v] + "_op"
            op_attrs = dict(OP_STYLE)
            edge_attrs = {}
            if v is current:
                op_attrs.update(color=CURRENT_COLOUR, penwidth="2.5")
                edge_attrs = {"color": CURRENT_COLOUR, "penwidth": "2.5"}
            g.node(target, label=label_html(v._op) if v in powers else v._operation.symbol,
                   tooltip=v._operation.name, id=target, **op_attrs)
            g.edge(target, ids[v], id=edge_id(ids[v]), **edge_attrs)
        for position, p in enumerate(v.inputs):
            if p in exponents and v in powers:
                continue
            attrs = {}
            c = fixed.get((v, position)) if fixed is not None else None
            if c is not None:  # every frame has the label; only the current node's are visible
                attrs = {"xlabel": _edge_text(c, fmt), "fontcolor": HIDDEN_TEXT}
            if v is current and position in used:
                attrs = {"color": CURRENT_COLOUR, "penwidth": "2.5", "fontcolor": CURRENT_COLOUR,
                         ("label" if fixed is None else "xlabel"): _edge_text(used[position], fmt)}
            g.edge(ids[p], target, id=edge_id(ids[v], position), **attrs)

    if legend:
        _add_legend(g, op_nodes)
    return g


def grad_cell_width(precision):
    """Points for "grad -1.234e-300 + …" at ``precision`` digits: the grad cell of a stepper frame."""
    return 7 * (precision + 16)


# The labels of the edges not in use: "transparent" is invisible in a PNG; in SVG Graphviz writes it
# as #fffffe (it has no alpha for text), which the stepper page replaces by no fill at all
HIDDEN_TEXT = "transparent"


def _edge_text(c, fmt):
    return "∂ none" if c.local is None else f"∂ {fmt(c.local)}\\n+= {fmt(c.amount)}"


def _plain_html(text, chars=LABEL_CHARS):
    return f"<{label_html(text, chars)}>"


def _add_legend(g, op_nodes):
    # a chain of invisible edges lays the key out along the graph's direction: a row above a
    # left-to-right graph, a column beside a top-to-bottom one
    with g.subgraph(name="cluster_legend") as c:
        c.attr(label="node kinds", style="dashed", color="#999999", fontsize="10")
        keys = [f"legend_{k}" for k in NODE_KINDS]
        small = {"fontsize": "10", "height": "0.3", "margin": "0.08,0.03"}
        for kind, key in zip(NODE_KINDS, keys):
            c.node(key, label=kind, **{**NODE_STYLES[kind], **small})
        if op_nodes:
            keys.append("legend_op")
            c.node("legend_op", label="operation", **{**OP_STYLE, "fontsize": "10"})
        for a, b in zip(keys, keys[1:]):
            c.edge(a, b, style="invis", minlen="1")


# ----------------------------------------------------------------------------- the network diagram

def _activation_name(layer):
    for obj in (layer, *getattr(layer, "neurons", ())[:1]):
        act = getattr(obj, "activation", None)
        if act is None:
            continue
        if isinstance(act, str):
            return act
        return getattr(act, "__name__", type(act).__name__)
    return None


_HEADER = {"shape": "plaintext", "style": "", "fixedsize": "false", "fontsize": "12"}


def _keep_order(cluster, names):
    """The layer's title, then neuron 1, 2 ...: invisible edges within a rank fix their order."""
    for a, b in zip(names, names[1:]):
        cluster.edge(a, b, style="invis")


def _subscript(j, k):
    return f"{j}{k}" if j < 10 and k < 10 else f"{j},{k}"  # w[3]_43, but w[2]_12,3


def _check_highlight(highlight, sizes):
    """``highlight`` as a set of (l, j, k), each checked against the layer sizes (sizes[0]: inputs)."""
    if highlight is None:
        return set()
    expected = ("highlight must be a weight (l, j, k), meaning w[l]_jk from neuron k of layer l−1 to "
                "neuron j of layer l, or a list of them, such as (3, 4, 3)")
    is_int = lambda x: isinstance(x, int) and not isinstance(x, bool)  # noqa: E731
    if isinstance(highlight, (tuple, list)) and highlight and all(is_int(x) for x in highlight):
        highlight = [highlight]
    if isinstance(highlight, (str, bytes)) or not hasattr(highlight, "__iter__"):
        raise TypeError(f"{expected}; got {type(highlight).__name__} {highlight!r}")
    chosen = set()
    layers = len(sizes)
    for item in highlight:
        if not (isinstance(item, (tuple, list)) and len(item) == 3 and all(is_int(x) for x in item)):
            raise TypeError(f"{expected}; got {item!r}")
        l, j, k = item
        if not 2 <= l <= layers:
            raise ValueError(f"highlight {tuple(item)}: the layer l must be 2..{layers} (layer 1 is the input "
                             f"and has no weights into it), got l = {l}")
        if not 1 <= j <= sizes[l - 1]:
            raise ValueError(f"highlight {tuple(item)}: layer {l} has {sizes[l - 1]} neurons, so j must be "
                             f"1..{sizes[l - 1]}, got j = {j}")
        if not 1 <= k <= sizes[l - 2]:
            raise ValueError(f"highlight {tuple(item)}: layer {l - 1} has {sizes[l - 2]} neurons, so k (the "
                             f"neuron of layer {l - 1} that feeds it) must be 1..{sizes[l - 2]}, got k = {k}")
        chosen.add((l, j, k))
    return chosen


def _weight_symbol(l, j, k):
    """w[l]_jk as an HTML-like label: the layer as a superscript, the indices as a subscript."""
    return f"<<I>w</I><SUP>[{l}]</SUP><SUB>{_subscript(j, k)}</SUB>>"


def draw_network(mlp, *, rankdir="LR", precision=3, show_weights=None, show_biases=None,
                 show_grads=False, input_names=None, plain=False, highlight=None,
                 max_nodes=DEFAULT_MAX_NODES, title=None):
    """A network diagram of ``mlp`` (Goodfellow et al.'s Figure 6.2 style): one circle per neuron,
    layers side by side numbered as in Higham & Higham (layer 1 = the inputs), one edge per weight
    W[l][j,k] from neuron k of layer l−1 to neuron j of layer l, labelled with its value (and
    ``show_grads``: its gradient), blue for positive and red for negative, thicker for larger |w|.

    plain:      Higham & Higham's style (their Figures 2.3 and 3.1): empty circles and thin black
                edges, no numbers (``show_weights``, ``show_biases`` and ``show_grads`` cannot be
                asked for then).
    highlight:  a weight (l, j, k), or a list of them: the edge of w[l]_jk, from neuron k of layer
                l−1 to neuron j of layer l, drawn thick and orange and labelled w[l]_jk (SVG id
                ``w[l]_jk``). Indices out of range are a ValueError naming the layer's size.

    ``mlp`` is an ``nn.MLP`` or anything shaped like one: ``.layers``, each with ``.neurons``, each
    with ``.w`` (a list of Values) and ``.b`` (a Value). The limit ``max_nodes`` counts neurons and
    weights.
    """
    _check_options(rankdir, precision, max_nodes, title)
    check_flag("plain", plain)
    check_flag("show_grads", show_grads)
    for name, flag in (("show_weights", show_weights), ("show_biases", show_biases)):
        if flag is not None:  # None: as plain says
            check_flag(name, flag)
    if plain and (show_weights or show_biases or show_grads):
        raise ValueError("plain=True draws the network without numbers: do not also pass show_weights, "
                         "show_biases or show_grads")
    show_weights = not plain if show_weights is None else show_weights
    show_biases = not plain if show_biases is None else show_biases
    try:
        layers = [list(layer.neurons) for layer in mlp.layers]
        nin = len(layers[0][0].w)
    except (AttributeError, IndexError, TypeError):
        raise TypeError("draw_network() takes an nn.MLP (or an object with .layers, each with .neurons, "
                        f"each with .w and .b), got {type(mlp).__name__}") from None
    highlight = _check_highlight(highlight, [nin] + [len(n) for n in layers])
    count = nin + sum(len(n) * (1 + len(n[0].w)) for n in layers)
    check_size(count, max_nodes, what="network", unit="neurons and weights")
    if input_names is None:
        input_names = [f"x_{k}" for k in range(1, nin + 1)]
    if isinstance(input_names, (str, bytes)) or not hasattr(input_names, "__len__"):
        raise TypeError(f"input_names must be a list of {nin} names (one per input), got "
                        f"{type(input_names).__name__} {bounded_repr(input_names)}")
    if len(input_names) != nin:
        raise ValueError(f"input_names has {len(input_names)} names for {nin} inputs")
    fmt = lambda x: format_number(x, precision)  # noqa: E731
    biggest = max((abs(w.data) for n in layers for neuron in n for w in neuron.w
                   if math.isfinite(w.data)), default=1.0) or 1.0

    g = Drawing(name="network", graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                                            "ranksep": "1.1" if plain else "1.6",
                                            "nodesep": "0.3" if plain else "0.35", "splines": "line"},
                node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "circle", "style": "filled",
                           "fixedsize": "true", "width": "0.5" if plain else "0.95"},
                edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.6"})
    ends = {(l - 1, k) for l, _, k in highlight} | {(l, j) for l, j, _ in highlight}
    def neuron_style(l, j, kind):
        """Plain: an empty white circle; otherwise the kind's fill. Ends of a highlighted edge: outlined."""
        attrs = {"fillcolor": "white" if plain else NODE_STYLES[kind]["fillcolor"]}
        if plain:
            attrs["label"] = ""
        if (l, j) in ends:
            attrs.update(color=HIGHLIGHT_COLOUR, penwidth="3")
        return attrs
    if title:
        g.attr(label=_plain_html(title, TITLE_CHARS), labelloc="t", fontsize="14")

    with g.subgraph(name="layer_1") as c:
        c.attr(rank="same")
        c.node("L1", label="layer 1\\n(input)", **_HEADER)
        for k, name in enumerate(input_names, 1):
            c.node(f"L1_{k}", **{"label": _plain_html(name), **neuron_style(1, k, "input")})
        _keep_order(c, ["L1"] + [f"L1_{k}" for k in range(1, nin + 1)])
    last = len(layers) + 1
    for l, neurons in enumerate(layers, 2):
        act = _activation_name(mlp.layers[l - 2])
        with g.subgraph(name=f"layer_{l}") as c:
            c.attr(rank="same")
            c.node(f"L{l}", label=f"layer {l}" + (f"\\n({act})" if act else ""), **_HEADER)
            for j, neuron in enumerate(neurons, 1):
                text = label_html(f"z[{l}]_{j}" if act == "linear" else f"a[{l}]_{j}")
                if show_biases:
                    text += f'<BR/><FONT POINT-SIZE="9">b {fmt(neuron.b.data)}</FONT>'
                style = neuron_style(l, j, "output" if l == last else "intermediate")
                c.node(f"L{l}_{j}", **{"label": f"<{text}>", **style},
                       tooltip=f"neuron {j} of layer {l}, b[{l}][{j}] = {neuron.b.data!r}")
            _keep_order(c, [f"L{l}"] + [f"L{l}_{j}" for j in range(1, len(neurons) + 1)])
        for j, neuron in enumerate(neurons, 1):
            for k, w in enumerate(neuron.w, 1):
                attrs = {"color": "#1f77b4" if w.data >= 0 else "#d62728",
                         "penwidth": f"{0.6 + 2.4 * min(abs(w.data) / biggest, 1.0):.2f}",
                         "tooltip": f"W[{l}][{j},{k}] = {w.data!r}"}
                if plain:
                    attrs.update(color="black", penwidth="0.8", arrowhead="none")
                if (l, j, k) in highlight:
                    # the paper's Figure 3.1: one weight singled out, named w[l]_jk on its edge
                    attrs.update(color=HIGHLIGHT_COLOUR, penwidth="4", label=_weight_symbol(l, j, k),
                                 fontcolor=HIGHLIGHT_COLOUR, fontsize="14", id=f"w[{l}]_{_subscript(j, k)}",
                                 tooltip=f"w[{l}]_{_subscript(j, k)}: neuron {k} of layer {l - 1} feeds "
                                         f"neuron {j} of layer {l}; " + attrs["tooltip"])
                if show_weights:
                    text = fmt(w.data) + (f" (∂ {fmt(w.grad)})" if show_grads else "")
                    # near the head, where the edges into a neuron fan out, rather than mid-way where they cross
                    # (a white box so the number stays readable on its edge)
                    attrs.update(headlabel=f'<<TABLE BORDER="0" CELLPADDING="1" BGCOLOR="white"><TR><TD>'
                                           f'{label_html(text)}</TD></TR></TABLE>>',
                                 labeldistance="2.6", labelangle="0", fontcolor=attrs["color"])
                g.edge(f"L{l - 1}_{k}", f"L{l}_{j}", **attrs)
    return g
