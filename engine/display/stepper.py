"""Frames of back propagation and an offline HTML page that steps through them.

``backward_frames(root)`` describes the graph once before the first step (only the output's
gradient is known) and once after each step of ``engine.display.steps.backward_steps``: the node just
processed is outlined in red, the edges its step used are red and labelled with the local
derivative and the chain-rule product added, the inputs whose gradients changed are outlined in
orange, and every gradient is drawn as it is at that moment: blank while nothing has reached the
node, "g + …" while it is a partial sum that more consumers will add to, plain once it is complete.

``write_stepper_html(root, "backprop.html")`` writes ONE self-contained file (SVG, CSS and
JavaScript inline; no server, no network, nothing fetched) that a double click opens in a browser:
previous/next buttons, a slider, the keyboard (← →, Home, End), a zoom, and the table row of the
current step beside the picture. Graphviz's ``dot`` lays the graph out ONCE per page: every frame
has the same layout (``engine.display.draw.FrameView``), so a frame is the laid-out picture with some
nodes' and edges' colours and numbers changed, and the page stores only those changes.
"""

import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .draw import (CURRENT_COLOUR, DEFAULT_MAX_NODES, UPDATED_COLOUR, FrameView, GraphvizNotInstalled,
                   check_graph_options, check_size, check_text, draw_graph, edge_id, node_tooltip)
from ..core.files import refuse_unless_regular
from ..core.graph import topological_order
from .steps import (as_param_set, backward_steps, display_names, format_number, is_labelled, node_kind, op_text,
                    printable, step_rows)
from ..core.value import Value
from .page import CSS, JS, PAGE

DEFAULT_MAX_FRAMES = 300  # one frame per non-leaf node, plus the start


@dataclass(frozen=True, eq=False)
class _Pass:
    """What every frame of one backward pass shares: the graph, the drawing options, and every
    edge's label of the whole pass (so that all frames have one layout)."""

    root: Value
    options: dict
    edge_labels: dict


@dataclass(frozen=True, eq=False)
class Frame:
    """The graph at one moment of the backward pass."""

    number: int       # 0: before the first step; k: after step k
    step: object      # the BackwardStep just done (None for frame 0)
    grads: dict       # {node: gradient so far}; a node absent has received nothing yet
    partial: frozenset  # nodes whose gradient is a partial sum (more contributions to come)
    _pass: _Pass = field(repr=False)

    @property
    def view(self):
        """This frame as a ``FrameView`` for ``engine.display.draw.draw_graph``."""
        step = self.step
        return FrameView(dict(self.grads), set(self.partial), step.node if step else None,
                         step.contributions if step else (), self._pass.edge_labels)

    @property
    def graph(self):
        """This frame drawn on its own (a ``Drawing``), made when asked for: the page does not need
        it (it lays the graph out once and changes colours and numbers per frame)."""
        return draw_graph(self._pass.root, view=self.view, **self._pass.options)


def backward_frames(root, gradient=1.0, *, params=None, op_nodes=True, rankdir="LR", precision=4,
                    max_nodes=DEFAULT_MAX_NODES, max_frames=DEFAULT_MAX_FRAMES, legend=False, title=None):
    """The frames of ``root.backward(gradient)``: 1 + (number of non-leaf nodes) of them.

    Nothing in the graph is modified (the steps work on their own copy of the gradients). The
    drawing options are those of ``engine.display.draw.draw_graph`` (checked here, before any work);
    ``max_frames`` refuses (``GraphTooLarge``) a pass of more frames than that.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_frames() takes the Value at the root of a graph, got {type(root).__name__}")
    options = dict(params=as_param_set(params), op_nodes=op_nodes, rankdir=rankdir, precision=precision,
                   max_nodes=max_nodes, legend=legend, title=title)
    check_graph_options(op_nodes=op_nodes, rankdir=rankdir, precision=precision, max_nodes=max_nodes,
                        legend=legend, title=title)
    nodes = topological_order(root)
    check_size(len(nodes), max_nodes)
    check_size(1 + sum(1 for v in nodes if not v.is_leaf), max_frames, what="backward pass", unit="frames",
               option="max_frames")
    consumers = Counter(p for v in nodes for p in v.inputs)  # edges still to be used, per node
    steps = list(backward_steps(root, gradient))
    shared = _Pass(root, options, {(step.node, c.position): c for step in steps for c in step.contributions})
    grads = {root: float(gradient)}
    partial = set()
    frames = [Frame(0, None, dict(grads), frozenset(), shared)]
    for step in steps:
        for c in step.contributions:
            grads[c.input] = c.grad_after
            consumers[c.input] -= 1
            if consumers[c.input]:
                partial.add(c.input)
            else:
                partial.discard(c.input)
        frames.append(Frame(step.number, step, dict(grads), frozenset(partial), shared))
    return frames


def write_frames(frames, directory, format="svg", prefix="step"):
    """Render every frame to ``directory/<prefix>_000.<format>`` ... and return the paths (one
    Graphviz run per frame: each file is a drawing of its own)."""
    _check_frames(frames)
    check_text("format", format, optional=False)
    check_text("prefix", prefix, optional=False)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(frames) - 1)))
    return [f.graph.write(directory / f"{prefix}_{f.number:0{width}d}.{format}") for f in frames]


def _check_frames(frames, root=None):
    if (not isinstance(frames, (list, tuple)) or not frames
            or not all(isinstance(f, Frame) and f._pass is frames[0]._pass for f in frames)):
        raise TypeError("frames must be the list that backward_frames() returns, got "
                        f"{type(frames).__name__}")
    if root is not None and frames[0]._pass.root is not root:
        raise ValueError("frames were made for another graph than root: pass the frames of "
                         "backward_frames(root), or leave frames out")


# ------------------------------------------------------------------------ one layout, many frames

def layout(frames, formats=("svg",)):
    """The pass of ``frames`` laid out by ONE run of Graphviz: {format: bytes}, the picture with
    every gradient final and nothing highlighted (every edge label in place, invisible). The page
    derives each frame's picture from its SVG; its PNG is the stepper's static picture."""
    _check_frames(frames)
    shared = frames[0]._pass
    final = frames[-1]
    view = FrameView(dict(final.grads), set(), None, (), shared.edge_labels)
    return draw_graph(shared.root, view=view, **shared.options).pipe_formats(formats)


_PART = re.compile(r"(?=<!-- )")  # before each of Graphviz's comments: "<!-- n3 -->", "<!-- n3&#45;&gt;n4 -->"
# where a part is cut into pieces: before each element, before a shape's fill (its colours) and its
# geometry, and before a text's content (one cut per text, with or without a <tspan> in it)
_PIECE = re.compile(r'(?=<(?:a|text|polygon|polyline|path|ellipse)\b)|(?= (?:fill|d|points|cx)=")'
                    r"|(?=>[^<]*</text>)")
_PART_ID = re.compile(r'<g id="f@_([^"]+)" class="(?:node|edge)"')
_SHAPE = re.compile(r"<(?:polygon|polyline|path|ellipse)\b[^>]*>")
_TEXT = re.compile(r"<text\b([^>]*)>(.*?)</text>", re.S)
_TOOLTIP = re.compile(r'xlink:title="[^"]*"')
_STROKE_WIDTH = re.compile(r' stroke-width="[^"]*"')
_FILL = re.compile(r' fill="[^"]*"')
_RULE = 'fill="black" stroke="black"'  # a rule between a label's cells, drawn in the node's colour


def _outline(part, colour, width, node=True):
    """``part`` (a node, or an edge: ``node=False``) drawn in ``colour`` at pen width ``width``, as
    Graphviz draws ``color=colour penwidth=width``: outlines, arrow heads and a label's rules."""
    def one(m):
        shape = m.group(0)
        if node and _RULE in shape:
            return shape.replace(_RULE, f'fill="{colour}" stroke="{colour}"')
        if not node:  # an arrow head is filled with the edge's colour
            shape = shape.replace('fill="black"', f'fill="{colour}"')
        shape = _STROKE_WIDTH.sub("", shape)
        return shape.replace('stroke="black"', f'stroke="{colour}" stroke-width="{width}"', 1)
    return _SHAPE.sub(one, part)


def _svg_text(text):
    return html.escape(text, quote=False)


def _node_part(part, grad_text, bold, outline, tooltip):
    """A value node's part of the laid-out picture with this frame's grad, outline and tooltip."""
    if outline:
        part = _outline(part, *outline)
    part = _TOOLTIP.sub(lambda m: f'xlink:title="{html.escape(tooltip, quote=True)}"', part, count=1)
    texts = list(_TEXT.finditer(part))
    last = texts[-1]  # the grad cell is the label's last cell (engine.display.draw._value_label)
    attrs = last.group(1).replace(' font-weight="bold"', "")
    number = f'<tspan font-weight="bold">{_svg_text(grad_text)}</tspan>' if bold else _svg_text(grad_text)
    return part[:last.start()] + f"<text{attrs}>grad {number}</text>" + part[last.end():]


def _edge_part(part, shown):
    """An edge's part: red with its label shown (``shown``: the current node's step used it), else
    as laid out with its label invisible."""
    if shown:
        part = _outline(part, CURRENT_COLOUR, "2.5", node=False)
    fill = f' fill="{CURRENT_COLOUR}"' if shown else ' fill="none"'
    return _TEXT.sub(lambda m: f"<text{_FILL.sub('', m.group(1))}{fill}>{m.group(2)}</text>", part)


def _states(frame, order, ids, fmt):
    """{part id: what its picture depends on} at ``frame``: a part is redrawn when this changes."""
    step = frame.step
    current = step.node if step else None
    used = {c.position for c in step.contributions} if step else set()
    updated = {c.input for c in step.contributions} if step else set()
    states = {}
    for v in order:
        i = ids[v]
        grad = frame.grads.get(v)
        text = "" if grad is None else fmt(grad) + (" + …" if v in frame.partial else "")
        outline = ((CURRENT_COLOUR, "3") if v is current else (UPDATED_COLOUR, "2.5") if v in updated else None)
        states[i] = ("node", text, v is current, outline, grad)
        if v.is_leaf:
            continue
        states[i + "_op"] = ("op", v is current)
        states[edge_id(i)] = ("edge", v is current)
        for position in range(len(v.inputs)):
            states[edge_id(i, position)] = ("edge", v is current and position in used)
    return states


def frame_changes(frames, svg=None):
    """The pictures of ``frames``: the SVG of frame 0, cut into parts (at each node and edge, where
    Graphviz writes a comment, and at each element in them), and for each later frame the parts
    that differ from the frame before: ``[[part index, new text], ...]`` (``[part index]``: the
    part as in frame 0). Every part is derived from ONE laid-out picture (``layout``; ``svg``: its
    SVG text if already made), so Graphviz runs once, and the page grows with nodes + frames, not
    nodes × frames. Ids carry the prefix ``f@_``, which the page replaces by ``f<k>_`` for frame k."""
    _check_frames(frames)
    shared = frames[0]._pass
    if svg is None:
        svg = layout(frames)["svg"]
    if isinstance(svg, bytes):
        svg = svg.decode("utf-8")
    svg = _for_page(svg)
    laid_out = _PART.split(svg)
    where = {}
    for index, part in enumerate(laid_out):
        m = _PART_ID.search(part)
        if m:
            where[m.group(1)] = index
    root = shared.root
    order = topological_order(root)
    ids = {v: f"n{i}" for i, v in enumerate(order)}
    names = display_names(root)
    params = shared.options["params"]
    kinds = {v: node_kind(v, root, params) for v in order}
    precision = shared.options["precision"]
    fmt = lambda x: format_number(x, precision)  # noqa: E731

    node_of = {i: v for v, i in ids.items()}

    def redraw(part_id, state):
        part = laid_out[where[part_id]]
        if state[0] == "node":
            _, text, bold, outline, grad = state
            v = node_of[part_id]
            name = None if (v.is_constant and not is_labelled(v)) else names[v]
            return _node_part(part, text, bold, outline, node_tooltip(kinds[v], v, name, grad))
        if state[0] == "op":
            return _outline(part, CURRENT_COLOUR, "2.5") if state[1] else part
        return _edge_part(part, state[1])

    # the parts are cut further into pieces (_PIECE), so that a changed grad stores its number and
    # its tooltip, a changed outline its colours, a shown label its colour: not the node again
    pieces = [_PIECE.split(part) for part in laid_out]
    offset = [0]
    for p in pieces:
        offset.append(offset[-1] + len(p))
    flat = [piece for p in pieces for piece in p]
    base = None
    before, changes = {}, []
    for frame in frames:
        states = _states(frame, order, ids, fmt)
        change = []
        for part_id, state in states.items():
            if before.get(part_id) == state or part_id not in where:
                continue
            index = where[part_id]
            new = _PIECE.split(redraw(part_id, state))
            assert len(new) == len(pieces[index]), "a redrawn part has the elements of the laid-out one"
            for j, piece in enumerate(new, offset[index]):
                if piece != flat[j]:
                    flat[j] = piece
                    # a piece back as frame 0 has it (an edge no longer in use) is stored as its index alone
                    change.append([j] if base is not None and piece == base[j] else [j, piece])
        before = states
        if base is None:
            base = list(flat)
        else:
            changes.append(sorted(change))
    return {"base": base, "changes": changes}


def _for_page(svg):
    """Graphviz's SVG for inline use: XML prolog and doctype dropped, ids prefixed ``f@_``."""
    svg = svg[svg.index("<svg"):]
    return re.sub(r'(\bid="|url\(#|href="#)', r"\g<1>f@_", svg)


def frame_svg(pictures, k):
    """Frame k's SVG rebuilt from ``frame_changes`` (as the page's script does), ids for frame k."""
    parts = list(pictures["base"])
    for change in pictures["changes"][:k]:
        for c in change:
            parts[c[0]] = c[1] if len(c) > 1 else pictures["base"][c[0]]
    return re.sub(r'(id="|url\(#|href="#)f@_', rf"\g<1>f{k}_", "".join(parts))


def _json_for_script(data):
    """JSON that cannot end the <script> element it sits in, whatever the labels contain."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _rows(steps, names, precision, annotate):
    """``step_rows`` with every note as text: ``annotate`` may return any object (a number, say)."""
    rows = step_rows(steps, names, precision, annotate)
    for row in rows:
        row["note"] = str(row["note"])
    return rows


def _check_page_options(title, annotate):
    check_text("title", title, optional=False)
    if annotate is not None and not callable(annotate):
        raise TypeError(f"annotate must be a function of a node (returning its note, or None) or None, "
                        f"got {type(annotate).__name__}")


def stepper_page(root, frames, *, title="Back propagation, one node at a time", precision=None,
                 annotate=None, svg=None):
    """The HTML text of the stepper page for ``frames`` of ``root`` (see ``write_stepper_html``);
    ``svg``: the pass's laid-out picture (``layout(frames)["svg"]``) if already made."""
    _check_frames(frames, root)
    _check_page_options(title, annotate)
    if precision is None:
        precision = frames[0]._pass.options["precision"]
    check_graph_options(precision=precision)
    names = display_names(root)
    ids = {v: f"n{i}" for i, v in enumerate(topological_order(root))}  # as engine.display.draw names them
    steps = [f.step for f in frames[1:]]
    rows = _rows(steps, names, precision, annotate)
    gradient = frames[0].grads[root]
    info = [{
        "step": "0", "node": printable(names[root]), "op": op_text(root),
        "data": format_number(root.data, precision), "grad": format_number(gradient, precision),
        "grad_exact": repr(gradient), "note": "", "inputs": [], "node_id": ids[root],
        "caption": f"Start: the gradient of the output with respect to itself is seeded, "
                   f"d{printable(names[root])}/d{printable(names[root])} = {format_number(gradient, precision)}."
                   + ("" if steps else " The output is a leaf: there is nothing to propagate."),
    }]
    for step, row in zip(steps, rows):
        row = dict(row, grad_exact=repr(step.grad), node_id=ids[step.node])
        row["caption"] = (f"Step {step.number} of {len(steps)}: node {row['node']} ({row['op']}) holds its "
                          f"complete gradient {row['grad']} and passes grad × local derivative to each input.")
        info.append(row)
    divs = "\n".join(f'<div class="frame" id="frame-{i}"{"" if i == 0 else " hidden"}></div>'
                     for i in range(len(frames)))
    table = _full_table(info)
    return PAGE.format(title=html.escape(title), last=len(frames) - 1, frames=divs, table=table,
                        data=_json_for_script(info), pictures=_json_for_script(frame_changes(frames, svg)),
                        css=CSS, js=JS)


def backward_table_html(frames, *, precision=None, annotate=None):
    """The whole pass as a plain HTML table (no script, no ids): what a reader sees of a stepper
    where scripts and iframes are removed (GitHub's and nbviewer's notebook views)."""
    _check_frames(frames)
    shared = frames[0]._pass
    if precision is None:
        precision = shared.options["precision"]
    names = display_names(shared.root)
    rows = _rows([f.step for f in frames[1:]], names, precision, annotate)
    e = html.escape
    out = ['<table class="seebackprop-steps"><thead><tr><th>step</th><th>node</th><th>op</th><th>grad</th>'
           '<th>input</th><th>∂node/∂input</th><th>grad × ∂</th><th>input grad</th></tr></thead><tbody>']
    for r in rows:
        inputs = r["inputs"] or [{"input": "", "local": "", "amount": "", "after": ""}]
        span = f' rowspan="{len(inputs)}"'
        for k, inp in enumerate(inputs):
            head = (f'<td{span}>{e(r["step"])}</td><td{span}>{e(r["node"])}</td><td{span}>{e(r["op"])}</td>'
                    f'<td{span} style="text-align:right">{e(r["grad"])}</td>') if k == 0 else ""
            out.append(f'<tr>{head}<td>{e(inp["input"])}</td><td style="text-align:right">{e(inp["local"])}</td>'
                       f'<td style="text-align:right">{e(inp["amount"])}</td>'
                       f'<td style="text-align:right">{e(inp["after"])}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _full_table(info):
    e = html.escape
    out = ['<table id="steps-table"><thead><tr><th>step</th><th>node</th><th>op</th><th>data</th>'
           '<th>grad</th><th>input</th><th>∂node/∂input</th><th>grad × ∂</th><th>input grad</th>'
           '<th>note</th></tr></thead>']
    for i, r in enumerate(info):
        inputs = r["inputs"] or [{"input": "", "local": "", "amount": "", "after": ""}]
        out.append(f'<tbody id="row-{i}" data-step="{i}">')
        for k, inp in enumerate(inputs):
            head = (f'<td rowspan="{len(inputs)}">{e(r["step"])}</td><td rowspan="{len(inputs)}">{e(r["node"])}</td>'
                    f'<td rowspan="{len(inputs)}">{e(r["op"])}</td>'
                    f'<td rowspan="{len(inputs)}" class="num">{e(r["data"])}</td>'
                    f'<td rowspan="{len(inputs)}" class="num">{e(r["grad"])}</td>') if k == 0 else ""
            note = f'<td rowspan="{len(inputs)}">{e(r["note"])}</td>' if k == 0 else ""
            out.append(f'<tr>{head}<td>{e(inp["input"])}</td><td class="num">{e(inp["local"])}</td>'
                       f'<td class="num">{e(inp["amount"])}</td><td class="num">{e(inp["after"])}</td>{note}</tr>')
        out.append("</tbody>")
    out.append("</table>")
    return "\n".join(out)


def write_stepper_html(root, path, gradient=1.0, *, frames=None, title="Back propagation, one node at a time",
                       annotate=None, **draw_options):
    """Write the self-contained stepper page of ``root.backward(gradient)`` to ``path``.

    ``frames``: frames already made by ``backward_frames`` (otherwise they are made here with
    ``draw_options``: params, op_nodes, rankdir, precision, max_nodes, max_frames, legend).
    ``annotate(node)`` may return a note shown with a node's row. Returns the ``Path``.
    Raises ``GraphvizNotInstalled`` without ``dot``.
    """
    _check_page_options(title, annotate)
    if frames is None:
        frames = backward_frames(root, gradient, **draw_options)
    elif set(draw_options) - {"precision"}:
        raise TypeError(f"pass either frames or drawing options ({', '.join(sorted(draw_options))}), not both: "
                        "the frames were drawn with their own options (precision may still set the table's)")
    page = stepper_page(root, frames, title=title, annotate=annotate, precision=draw_options.get("precision"))
    path = Path(refuse_unless_regular(Path(path), "write the stepper page to"))
    path.write_text(page, encoding="utf-8")
    return path


__all__ = ["Frame", "backward_frames", "write_frames", "layout", "stepper_page", "write_stepper_html",
           "backward_table_html", "GraphvizNotInstalled", "DEFAULT_MAX_FRAMES"]
