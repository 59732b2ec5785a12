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
from ..core.graph import topological_order
from .steps import (as_param_set, backward_steps, display_names, format_number, is_labelled, node_kind, op_text,
                    printable, step_rows)
from ..core.value import Value

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
    return _PAGE.format(title=html.escape(title), last=len(frames) - 1, frames=divs, table=table,
                        data=_json_for_script(info), pictures=_json_for_script(frame_changes(frames, svg)),
                        css=_CSS, js=_JS)


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
                    f'<td rowspan="{len(inputs)}">{e(r["op"])}</td><td rowspan="{len(inputs)}" class="num">{e(r["data"])}</td>'
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
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path


__all__ = ["Frame", "backward_frames", "write_frames", "layout", "stepper_page", "write_stepper_html",
           "backward_table_html", "GraphvizNotInstalled", "DEFAULT_MAX_FRAMES"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { padding: 8px 14px; background: #f4f4f4; border-bottom: 1px solid #ddd; }
h1 { font-size: 18px; margin: 0 0 6px 0; }
#controls { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#controls button { font-size: 15px; padding: 3px 10px; }
#slider { flex: 1 1 300px; }
#step-number { font-weight: bold; min-width: 8em; }
main { display: flex; gap: 12px; padding: 10px 14px; height: calc(100vh - 110px); box-sizing: border-box; }
#picture { flex: 1 1 auto; min-width: 0; overflow: auto; border: 1px solid #ddd; }
#picture svg { display: block; }
#zoom { display: inline-flex; gap: 4px; align-items: center; }
#zoom button { font-size: 13px; padding: 2px 8px; }
#zoom-level { min-width: 6.5em; font-size: 13px; color: #444; }
#side { flex: 0 0 460px; min-width: 0; display: flex; flex-direction: column; min-height: 0; }
/* a narrow page (a notebook's output area): the picture takes the whole width, the step below it */
@media (max-width: 1100px) {
  main { flex-direction: column; height: auto; }
  #picture { flex: none; height: 58vh; }
  #side { flex: none; }
  #table-wrap { max-height: 40vh; }
}
#table-wrap { flex: 1 1 auto; overflow: auto; min-height: 0; }
#current { flex: 0 0 auto; border: 2px solid #d62728; border-radius: 6px; padding: 6px 10px; margin-bottom: 10px; font-size: 14px; }
#current dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 6px 0; }
#current dt { color: #666; } #current dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border: 1px solid #ddd; padding: 2px 6px; vertical-align: top; }
td.num { text-align: right; font-family: ui-monospace, Menlo, Consolas, monospace; }
#steps-table tbody { cursor: pointer; }
#steps-table tbody.current { background: #ffe9e9; outline: 2px solid #d62728; }
.key { font-size: 12px; color: #555; margin-top: 10px; }
"""

_JS = """
(function () {
  "use strict";
  var info = JSON.parse(document.getElementById("steps-data").textContent);
  // the pictures: frame 0's SVG in parts, then each frame's changed parts (engine/display/stepper.py)
  var pictures = JSON.parse(document.getElementById("frames-data").textContent);
  var parts = pictures.base.slice(), at = 0;
  function partsOf(k) {
    if (k < at) { parts = pictures.base.slice(); at = 0; }
    for (; at < k; at++) {
      pictures.changes[at].forEach(function (change) {
        parts[change[0]] = change.length > 1 ? change[1] : pictures.base[change[0]];
      });
    }
    return parts;
  }
  function draw(k) {  // only the frame on show is in the document
    document.getElementById("frame-" + k).innerHTML =
      partsOf(k).join("").replace(/(id="|url\\(#|href="#)f@_/g, "$1f" + k + "_");
  }
  draw(0);
  var last = info.length - 1;
  var current = 0;
  var slider = document.getElementById("slider");
  var picture = document.getElementById("picture");
  // Zoom: "fit" scales the picture down to the width of its box, but never below LEGIBLE (Graphviz's
  // 12-point text stays about 10 pixels high; a wider picture scrolls, following the current node)
  // and never above full size; − and + change the scale by steps from there.
  var LEGIBLE = 0.6, STEP = 1.25, SMALLEST = 0.25, LARGEST = 4;
  var zoom = null;  // null: fit the width
  function shownSvg() { return document.querySelector("#frame-" + current + " svg"); }
  function fitScale(svg) {
    return Math.max(LEGIBLE, Math.min(1, (picture.clientWidth - 2) / svg.width.baseVal.value));
  }
  function applyZoom() {
    var svg = shownSvg();
    if (!svg) { return; }
    var scale = zoom === null ? fitScale(svg) : zoom;
    svg.style.width = (svg.width.baseVal.value * scale) + "px";
    svg.style.height = (svg.height.baseVal.value * scale) + "px";
    var level = document.getElementById("zoom-level");
    level.textContent = Math.round(scale * 100) + "%" + (zoom === null ? " (fit)" : "");
    level.setAttribute("data-scale", String(scale));
  }
  function zoomBy(factor) {
    var svg = shownSvg();
    var scale = zoom === null ? (svg ? fitScale(svg) : 1) : zoom;
    zoom = Math.max(SMALLEST, Math.min(LARGEST, scale * factor));
    applyZoom();
    scrollToNode();
  }
  function keepInView(box, element, centre) {  // scrolls box only: never the notebook around the frame
    var b = box.getBoundingClientRect();
    var r = element.getBoundingClientRect ? element.getBoundingClientRect() : element;
    if (centre ? (r.left < b.left || r.right > b.right) : false) {
      box.scrollLeft += (r.left + r.right) / 2 - (b.left + b.right) / 2;
    }
    if (r.top < b.top || r.bottom > b.bottom) {
      box.scrollTop += centre ? (r.top + r.bottom) / 2 - (b.top + b.bottom) / 2
                              : (r.top < b.top ? r.top - b.top : r.bottom - b.bottom);
    }
  }
  function text(id, value) { document.getElementById(id).textContent = value; }
  function show(k) {
    k = Math.max(0, Math.min(last, k));
    document.getElementById("frame-" + current).hidden = true;
    if (k !== current) {
      document.getElementById("frame-" + current).innerHTML = "";
      draw(k);
    }
    document.getElementById("row-" + current).classList.remove("current");
    current = k;
    document.getElementById("frame-" + k).hidden = false;
    var row = document.getElementById("row-" + k);
    row.classList.add("current");
    keepInView(document.getElementById("table-wrap"), row, false);
    applyZoom();
    var r = info[k];
    slider.value = String(k);
    var label = document.getElementById("step-number");
    label.textContent = k === 0 ? "Start (step 0 of " + last + ")" : "Step " + k + " of " + last;
    label.setAttribute("data-step", String(k));
    text("caption", r.caption);
    text("current-node", r.node);
    text("current-op", r.op);
    text("current-data", r.data);
    text("current-grad", r.grad);
    document.getElementById("current-grad").setAttribute("data-exact", r.grad_exact);
    text("current-note", r.note);
    var body = document.getElementById("current-inputs");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    r.inputs.forEach(function (inp) {
      var tr = document.createElement("tr");
      [inp.input, inp.local, inp.amount, inp.before, inp.after].forEach(function (value, i) {
        var td = document.createElement("td");
        td.textContent = value;
        if (i > 0) { td.className = "num"; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    document.getElementById("prev").disabled = k === 0;
    document.getElementById("first").disabled = k === 0;
    document.getElementById("next").disabled = k === last;
    document.getElementById("last").disabled = k === last;
    try {  // the address remembers the step; inside a notebook's iframe (about:srcdoc) it cannot
      if (location.protocol !== "about:" && history.replaceState) { history.replaceState(null, "", "#step-" + k); }
    } catch (err) { /* a page without an address of its own: nothing to remember */ }
    scrollToNode();
  }
  function scrollToNode() {  // keep the step in sight when the picture scrolls: the node, its
    // operation and the edges from its inputs (or the node alone, if they do not fit together)
    var prefix = "f" + current + "_" + info[current].node_id;
    var node = document.getElementById(prefix);
    if (!node) { return; }
    var parts = [node, document.getElementById(prefix + "_op")].concat(
      Array.prototype.slice.call(document.querySelectorAll('[id^="' + prefix + '_in"]')));
    var box = picture.getBoundingClientRect(), all = null;
    parts.forEach(function (p) {
      if (!p) { return; }
      var r = p.getBoundingClientRect();
      all = all ? {left: Math.min(all.left, r.left), right: Math.max(all.right, r.right),
                   top: Math.min(all.top, r.top), bottom: Math.max(all.bottom, r.bottom)} : r;
    });
    var fits = all.right - all.left <= box.width && all.bottom - all.top <= box.height;
    keepInView(picture, fits ? all : node, true);
  }
  document.getElementById("prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { show(current + 1); });
  document.getElementById("first").addEventListener("click", function () { show(0); });
  document.getElementById("last").addEventListener("click", function () { show(last); });
  document.getElementById("zoom-in").addEventListener("click", function () { zoomBy(STEP); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomBy(1 / STEP); });
  document.getElementById("zoom-fit").addEventListener("click", function () {
    zoom = null;
    applyZoom();
    scrollToNode();
  });
  window.addEventListener("resize", function () { if (zoom === null) { applyZoom(); } });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (e) {
    // the slider moves itself with the arrows (its input event follows)
    if (e.target.tagName === "INPUT" || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "ArrowRight" || e.key === "ArrowDown") { show(current + 1); }
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") { show(current - 1); }
    else if (e.key === "Home") { show(0); }
    else if (e.key === "End") { show(last); }
    else if (e.key === "+" || e.key === "=") { zoomBy(STEP); }
    else if (e.key === "-") { zoomBy(1 / STEP); }
    else if (e.key === "0") { document.getElementById("zoom-fit").click(); }
    else { return; }
    e.preventDefault();
  });
  Array.prototype.forEach.call(document.querySelectorAll("#steps-table tbody"), function (tb) {
    tb.addEventListener("click", function () { show(parseInt(tb.getAttribute("data-step"), 10)); });
  });
  var m = /^#step-(\\d+)$/.exec(location.hash);
  show(m ? parseInt(m[1], 10) : 0);
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header>
<h1 id="title">{title}</h1>
<div id="controls">
<button id="first" title="first frame (Home)">« first</button>
<button id="prev" title="previous step (←)">◀ previous</button>
<button id="next" title="next step (→)">next ▶</button>
<button id="last" title="last step (End)">last »</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="step">
<span id="step-number" data-step="0">Start</span>
<span id="zoom"><button id="zoom-out" title="smaller (−)">−</button><button id="zoom-in" title="larger (+)">+</button><button id="zoom-fit" title="fit the width, text kept legible (0)">fit</button><span id="zoom-level" data-scale="1"></span></span>
</div>
</header>
<main>
<div id="picture">
{frames}
</div>
<div id="side">
<div id="current">
<div id="caption"></div>
<dl>
<dt>node</dt><dd id="current-node"></dd>
<dt>op</dt><dd id="current-op"></dd>
<dt>data</dt><dd id="current-data"></dd>
<dt>grad</dt><dd id="current-grad" data-exact=""></dd>
<dt>note</dt><dd id="current-note"></dd>
</dl>
<table><thead><tr><th>input</th><th>∂node/∂input</th><th>grad × ∂ (added)</th><th>input grad before</th>
<th>after</th></tr></thead><tbody id="current-inputs"></tbody></table>
</div>
<div id="table-wrap">
{table}
</div>
<p class="key">Red: the node being processed and the edges its step uses (labelled with the local derivative
∂ and the amount added). Orange: the inputs whose gradients just changed. A blank grad has not been
reached yet; "g + …" is a partial sum that more paths will add to. Keys: ← → (or the slider), Home, End;
zoom: − + 0.</p>
</div>
</main>
<script type="application/json" id="steps-data">{data}</script>
<script type="application/json" id="frames-data">{pictures}</script>
<script>{js}</script>
</body>
</html>
"""
