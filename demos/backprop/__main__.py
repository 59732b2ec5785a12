"""python -m demos.backprop [--example neuron|neuron-gradient|higham|xor|all] [--out DIR]

For each example writes into DIR (default: demos/figures/backprop in a checkout, else
./seebackprop-figures/backprop):
  <name>_graph.svg, <name>_graph.png   the whole graph after backward(), with a key of node kinds
  <name>_table.txt                     the backward pass, one step per node (also printed)
  <name>_frames/step_000.svg ...       the graph at each step of the backward pass
  <name>_stepper.html                  one offline page stepping through the frames: open it with a
                                       double click (no server, no network)
  <name>_network.svg                   the network diagram (higham and xor)
"""

import argparse
import re
import sys
import time
from pathlib import Path

from engine import (backward_frames, backward_table, draw_graph, draw_network, topological_order, write_frames,
                    write_stepper_html)
from engine.display.draw import Drawing, GraphvizNotInstalled

from demos._common import argument_type, check_out_dir, default_out, show, writable
from .examples import EXAMPLES, build

DEFAULT_OUT = Path(default_out("backprop"))  # the checkout's demos/figures/backprop, or ./seebackprop-figures/backprop


def _backward(root):
    """root.backward() from zero grads (backward() accumulates into leaves, as in PyTorch)."""
    for v in topological_order(root):
        v.grad = 0.0
    root.backward()


def side_by_side(left, right):
    """One drawing of two: ``left`` (drawn above) and ``right`` as clusters of one Graphviz graph, node ids
    prefixed so that they stay apart (a node of both graphs is drawn in each)."""
    combined = Drawing(name="graphs", graph_attr=dict(right.graph_attr), node_attr=dict(right.node_attr),
                       edge_attr=dict(right.edge_attr))
    for prefix, part in (("r_", right), ("l_", left)):  # dot stacks the later cluster on top
        body = [re.sub(r"\b(n\d+(?:_op)?|legend_\w+)\b", prefix + r"\1", line) for line in part.body]
        body = [line.replace("subgraph cluster_legend", f"subgraph cluster_{prefix}legend") for line in body]
        combined.body += [f"subgraph cluster_{prefix}part {{", "\tcolor=white", *body, "}"]
    return combined


def run(name, out, precision=4, quiet=False):
    ex = build(name)
    say = (lambda *a: None) if quiet else show
    out.mkdir(parents=True, exist_ok=True)
    for suffix in ("_table.txt", "_graph.svg", "_graph.png", "_network.svg", "_stepper.html", "_frames"):
        if suffix != "_frames":
            writable(out / f"{name}{suffix}")  # before any work: a FIFO would block, a device be written
    table = backward_table(ex.root, precision=precision, annotate=ex.annotate, params=ex.params)
    text = f"{ex.title}\n\n{table}\n" + "".join(f"\n{line}" for line in ex.summary) + "\n"
    (out / f"{name}_table.txt").write_text(text, encoding="utf-8")
    say(text)

    left = None
    if ex.beside is not None:  # drawn first: the two graphs share nodes, whose grads differ
        _backward(ex.beside.root)
        left = draw_graph(ex.beside.root, params=ex.beside.params, rankdir=ex.rankdir, precision=precision,
                          title=ex.beside.title)
    _backward(ex.root)  # the full drawing shows backward()'s grads
    graph = draw_graph(ex.root, params=ex.params, rankdir=ex.rankdir, precision=precision, legend=True,
                       title=ex.title)
    if left is not None:
        graph = side_by_side(left, graph)
    written = [graph.write(out / f"{name}_graph.svg"), graph.write(out / f"{name}_graph.png")]
    if ex.mlp is not None:
        net = draw_network(ex.mlp, show_grads=True, title=f"{ex.title}: the network, W[l][j,k] (∂C/∂W)")
        written.append(net.write(out / f"{name}_network.svg"))
    frames = backward_frames(ex.root, params=ex.params, rankdir=ex.rankdir, precision=precision,
                             title=ex.title)
    write_frames(frames, out / f"{name}_frames")
    page = write_stepper_html(ex.root, out / f"{name}_stepper.html", frames=frames, precision=precision,
                              title=f"Back propagation step by step: {ex.title}", annotate=ex.annotate)
    written.append(page)
    say(f"wrote {', '.join(str(p) for p in written)} and {len(frames)} frames in {out / (name + '_frames')}")
    say(f"open {page} in a browser (double click): ← → step through the backward pass\n")
    return written


_digits = argument_type(int, lambda v: 1 <= v <= 17, "a whole number of digits from 1 to 17")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m demos.backprop", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--example", choices=EXAMPLES + ("all",), default="all",
                        help=f"which graph (default: all {len(EXAMPLES)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument("--precision", type=_digits, default=4, help="significant digits shown, 1 to 17 (default 4)")
    parser.add_argument("--quiet", action="store_true", help="print only the closing summary")
    args = parser.parse_args(argv)
    check_out_dir(parser, args)
    names = EXAMPLES if args.example == "all" else (args.example,)
    start = time.perf_counter()
    try:
        for name in names:
            run(name, args.out, args.precision, args.quiet)
    except GraphvizNotInstalled as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    show(f"{', '.join(names)}: graphs, tables, frames and stepper pages written to {args.out} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
