"""Frames of the backward pass and the self-contained HTML stepper page (without a browser; the
browser drives the page in test_stepper_browser.py)."""

import json
import re
import shutil
import struct
import xml.etree.ElementTree as ET

import pytest

from engine import (GraphTooLarge, Value, affine, backward_frames, topological_order, write_frames,
                    write_stepper_html)
from engine.display.stepper import _for_page, frame_changes, frame_svg, layout, stepper_page

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed (apt-get install graphviz)")


def bits(x):
    return struct.pack("<d", x)


def shared_graph():
    """x feeds three consumers, so its gradient is a partial sum for a while."""
    x = Value(0.5, label="x")
    w = Value(-1.5, label="W[2][1,1]")
    b = Value(0.25, label="b[2][1]")
    z = affine([w], [x], b)
    z.label = "z"
    a = z.tanh()
    a.label = "a"
    out = a * x + x.exp()
    out.label = "out"
    return out, dict(x=x, w=w, b=b, z=z, a=a)


SVG = "{http://www.w3.org/2000/svg}"


def shown_parts(svg):
    """{node or edge id: (its shapes' colours and widths, its visible text, its bold text, its
    tooltips)}: what a reader sees of each part of an SVG picture, wherever the text is placed."""
    out = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("class") not in ("node", "edge"):
            continue
        shapes = sorted((e.tag, e.get("fill"), e.get("stroke"), e.get("stroke-width")) for e in g.iter()
                        if e.tag in (SVG + "polygon", SVG + "path", SVG + "ellipse", SVG + "polyline"))
        texts, bold = [], []
        for t in g.iter(SVG + "text"):
            if t.get("fill") in ("none", "#fffffe", "transparent"):
                continue
            texts.append("".join(t.itertext()))
            bold += ["".join(e.itertext()).strip() for e in (t, *t) if e.get("font-weight") == "bold"]
        tips = [a.get("{http://www.w3.org/1999/xlink}title") for a in g.iter(SVG + "a")]
        out[re.sub(r"^f\d+_", "", g.get("id"))] = (shapes, re.sub(r"\s+", "", "".join(texts)), sorted(bold), tips)
    return out


def grad_cell(source, node_id):
    line = re.search(rf"^\s*{node_id} \[.*$", source, re.M).group(0)
    return re.sub(r"</?B>", "", re.search(r"<TD[^>]*>grad (.*?)</TD>", line).group(1))  # bold: current node


def test_one_frame_before_the_first_step_and_one_after_each_step():
    out, v = shared_graph()
    nodes = topological_order(out)
    frames = backward_frames(out)
    assert len(frames) == 1 + sum(1 for n in nodes if not n.is_leaf)
    assert [f.number for f in frames] == list(range(len(frames)))
    assert frames[0].step is None and frames[0].grads == {out: 1.0}


def test_frames_show_grads_as_they_are_blank_before_any_contribution_and_final_at_the_end():
    out, v = shared_graph()
    for n in topological_order(out):
        n.grad = 42.0  # drawing frames must not depend on or change these
    frames = backward_frames(out)
    ids = {n: f"n{i}" for i, n in enumerate(topological_order(out))}
    # frame 0: only the output's gradient is known; every other grad cell is blank (not 0)
    src0 = frames[0].graph.source
    assert grad_cell(src0, ids[out]) == "1"
    for n in topological_order(out):
        if n is not out:
            assert grad_cell(src0, ids[n]) == ""
    assert all(n.grad == 42.0 for n in topological_order(out))
    # the last frame holds this pass's gradients: backward()'s, bit for bit, for leaves that
    # start the pass from -0.0, the exact identity (a leaf adds the pass to what it held)
    for n in topological_order(out):
        if n.is_leaf:
            n.grad = -0.0
    out.backward()
    last = frames[-1]
    assert not last.partial
    for n in topological_order(out):
        assert bits(last.grads[n]) == bits(n.grad)
        assert grad_cell(last.graph.source, ids[n]) == f"{n.grad:.4g}"


def test_partial_sums_are_marked_until_the_last_contribution():
    out, v = shared_graph()
    x = v["x"]
    frames = backward_frames(out)
    marked = [f.number for f in frames if x in f.partial]
    assert marked, "x has three consumers: its grad is a partial sum for a while"
    first_final = max(marked) + 1
    ids = {n: f"n{i}" for i, n in enumerate(topological_order(out))}
    for f in frames:
        cell = grad_cell(f.graph.source, ids[x])
        if x not in f.grads:
            assert cell == ""
        elif f.number in marked:
            assert cell.endswith(" + …")
        else:
            assert f.number >= first_final and "…" not in cell


def test_current_node_and_used_edges_are_highlighted():
    out, v = shared_graph()
    frames = backward_frames(out)
    ids = {n: f"n{i}" for i, n in enumerate(topological_order(out))}
    for f in frames[1:]:
        src = f.graph.source
        node = f.step.node
        line = re.search(rf"^\s*{ids[node]} \[.*$", src, re.M).group(0)
        assert "#d62728" in line and "penwidth=3" in line
        used = [m for m in re.finditer(r"^\s*(n\d+) -> (n\d+_op) \[(.*)\]$", src, re.M) if "#d62728" in m.group(3)]
        assert len(used) == len(node.inputs)
        assert all(m.group(2) == ids[node] + "_op" for m in used)
        assert sorted(m.group(1) for m in used) == sorted(ids[p] for p in node.inputs)
        for c in f.step.contributions:  # each used edge is labelled with ∂ and the amount added
            assert f"∂ {c.local:.4g}\\n+= {c.amount:.4g}" in src
    # frame 0 highlights nothing
    assert "#d62728" not in frames[0].graph.source


def test_frame_limit():
    x = Value(1.0)
    y = x
    for _ in range(20):
        y = y.tanh()
    with pytest.raises(GraphTooLarge, match="21 frames"):
        backward_frames(y, max_frames=20)
    assert len(backward_frames(y, max_frames=21)) == 21


@needs_dot
def test_frames_are_written_one_file_each(tmp_path):
    out, _ = shared_graph()
    frames = backward_frames(out)
    paths = write_frames(frames, tmp_path / "frames")
    assert [p.name for p in paths] == [f"step_{i:03d}.svg" for i in range(len(frames))]
    for p in paths:
        ET.fromstring(p.read_bytes())


@needs_dot
def test_the_page_is_one_self_contained_file(tmp_path):
    out, v = shared_graph()
    v["x"].label = 'x </script><script>alert("x")</script> & <b>'
    path = write_stepper_html(out, tmp_path / "page.html", title="T <1>")
    page = path.read_text(encoding="utf-8")
    frames = backward_frames(out)
    # every frame inline, as its changes to the frame before; ids made unique per frame (the script
    # rebuilds one frame at a time, as frame_svg does); nothing fetched from anywhere
    assert len(re.findall(r'<div class="frame" id="frame-\d+"', page)) == len(frames)
    pictures = json.loads(re.search(r'<script type="application/json" id="frames-data">(.*?)</script>', page,
                                    re.S).group(1))
    assert pictures == frame_changes(frames)
    for k, _f in enumerate(frames):
        svg = frame_svg(pictures, k)
        assert svg.count("<svg") == 1
        assert f'id="f{k}_n0"' in svg and "f@_" not in svg
    assert "<svg" not in page  # the SVG text is inside the JSON, its "<" escaped
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert not re.search(r'\b(src|href)\s*=\s*"(?!#)', page)
    assert "<link" not in page and "@import" not in page and "url(http" not in page
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page))  # \\: the end of a JSON string
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    # the user's label cannot break out of the JSON or inject markup
    assert page.count("<script") == 3 and "alert(" in page
    assert "<script>alert" not in page and "<b>" not in page
    data = json.loads(re.search(r'<script type="application/json" id="steps-data">(.*?)</script>', page,
                                re.S).group(1))
    assert len(data) == len(frames)
    assert data[0]["grad_exact"] == "1.0" and "T &lt;1&gt;" in page
    out.backward()
    for row, f in zip(data[1:], frames[1:]):
        assert row["node"] == (f.step.node.label or row["node"])
        assert float(row["grad_exact"]) == f.step.node.grad
    # the controls the browser test uses
    for element in ("prev", "next", "first", "last", "slider", "step-number", "current-node", "current-grad",
                    "current-inputs", "steps-table"):
        assert f'id="{element}"' in page


@needs_dot
def test_page_of_a_leaf_root(tmp_path):
    v = Value(3.0, label="lonely")
    frames = backward_frames(v)
    page = stepper_page(v, frames)
    assert frame_changes(frames)["changes"] == [] and "nothing to propagate" in page
    assert frame_svg(frame_changes(frames), 0).count("<svg") == 1


@needs_dot
def test_the_page_grows_linearly_with_the_graph(tmp_path):
    sizes = {}
    for n in (10, 40):
        v = Value(0.5, label="x")
        for _ in range(n):
            v = v.tanh()
        sizes[n] = write_stepper_html(v, tmp_path / f"chain{n}.html").stat().st_size
    # n + 1 frames of n + 1 nodes: whole SVGs per frame would grow 16 times from 10 to 40, changes 4 times
    assert sizes[40] < 5 * sizes[10], sizes


def test_every_frame_has_the_layout_of_the_first():
    out, v = shared_graph()
    frames = backward_frames(out)
    positions = [re.findall(r"^\s*(n\d+(?:_op)?) \[", f.graph.source, re.M) for f in frames]
    assert all(p == positions[0] for p in positions)
    # every edge's label is in every frame (so the layout is the same); only the current node's show
    for f in frames:
        assert f.graph.source.count("xlabel=") == frames[-1].graph.source.count("xlabel=") > 0


@needs_dot
@pytest.mark.parametrize("options", [{}, {"op_nodes": False}, {"legend": True, "rankdir": "TB", "precision": 6},
                                     {"title": "a & <b>"}])
def test_each_frame_of_the_page_shows_what_graphviz_draws_for_that_frame(options):
    """The page lays the graph out once and recolours it per frame: every frame must show what
    Graphviz itself draws for that frame (outlines, colours, widths, visible numbers, bold, tooltips),
    only the text placed by the page rather than by Graphviz."""
    out, v = shared_graph()
    v["x"].label = "x ] & <y>"
    frames = backward_frames(out, **options)
    pictures = frame_changes(frames)
    for k, f in enumerate(frames):
        drawn = _for_page(f.graph.pipe(format="svg", encoding="utf-8")).replace("f@_", f"f{k}_")
        assert shown_parts(frame_svg(pictures, k)) == shown_parts(drawn), f"frame {k}"


@needs_dot
def test_graphviz_lays_the_page_out_once(monkeypatch, tmp_path):
    """One run of Graphviz per page (and per inline stepper, which also takes its PNG from that run)."""
    from engine.display.draw import Drawing
    runs = []
    real_pipe, real_formats = Drawing.pipe, Drawing.pipe_formats
    monkeypatch.setattr(Drawing, "pipe", lambda self, *a, **k: runs.append("pipe") or real_pipe(self, *a, **k))
    monkeypatch.setattr(Drawing, "pipe_formats",
                        lambda self, formats: runs.append(tuple(formats)) or real_formats(self, formats))
    out, _ = shared_graph()
    write_stepper_html(out, tmp_path / "page.html")
    assert runs.count("pipe") == 1
    from engine import stepper
    runs.clear()
    stepper(out)
    assert runs.count("pipe") + sum(1 for r in runs if isinstance(r, tuple) and len(r) > 1) == 1


@needs_dot
def test_the_laid_out_picture_has_the_final_gradients_and_nothing_highlighted():
    out, v = shared_graph()
    frames = backward_frames(out)
    pictures = layout(frames, ("svg", "png"))
    assert pictures["png"].startswith(b"\x89PNG")
    svg = pictures["svg"].decode()
    out.backward()
    for name in ("x", "z", "a"):
        assert f"grad {v[name].grad:.4g}".replace("-", "&#45;") in svg
    assert "#d62728" not in svg and "#ff7f0e" not in svg


LABELS = ["", " ", "\t", "\n", "]", "a]", "]]", "a\n]", "[", "<b>&amp;</b>", '"', "x" * 20_000, "line\n" * 500, "\x00", "é😀",
          "\u200b", "&#45;", "<!--", "]]>"]


@needs_dot
@pytest.mark.parametrize("label", LABELS, ids=[repr(x[:12]) for x in LABELS])
def test_any_label_draws_in_the_graph_the_page_and_the_inline_stepper(label, tmp_path):
    """micrograd's Value labels every node "" by default: Graphviz rejected <B></B> (and a lone "]",
    and an HTML label over 16,384 characters). Every label draws, shortened to a few lines."""
    from engine import draw_graph, stepper
    x = Value(2.0, label=label)
    y = Value(-3.0, label=label)
    z = x * y + x
    z.label = label
    svg = draw_graph(z, title=label or None).pipe(format="svg", encoding="utf-8")
    ET.fromstring(svg.encode())
    assert len(svg) < 20_000
    page = write_stepper_html(z, tmp_path / "page.html").read_text(encoding="utf-8")
    assert "steps-table" in page
    assert stepper(z)._repr_html_()
    if not label.strip():  # no name to show: drawn, and tabulated, as an unlabelled node (v<i>, in grey)
        assert len(re.findall(r'fill="#888888">v\d+</text>', svg)) == 4  # x, y, x * y, z
        assert re.search(r"<td[^>]*>v\d+</td>", page)
