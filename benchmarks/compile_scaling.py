"""How engine.compile and the stepper page grow with the graph.

* compile: a tanh chain of n nodes and one affine node of n terms (z = b + Σ w_k x_k, its weights the
  parameters, its inputs the inputs), compiled with the chunked layout of engine/compiler/python.py and, side by
  side in the same run, with everything forced into straight-line functions (the layout every graph
  had before); CPU seconds of ``engine.compile`` and the peak resident memory of a fresh process;
* the stepper page: bytes of ``write_stepper_html`` for tanh chains of n nodes (n + 1 frames), beside
  the bytes of the same frames as whole SVGs, as the page stored them before (one per frame).

Each measurement runs in its own process, so that one size's memory cannot hide in another's.

    python -m benchmarks.compile_scaling [--chain 10000 100000 1000000] [--affine ...] [--frames 10 20 40 80]
"""

import argparse
import json
import subprocess
import sys

from .common import machine, table

_COMPILE = """
import json, resource, sys, time
import engine, engine.compiler.python
from engine import Value, affine
kind, n, layout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if layout == "straight-line":
    engine.compiler.python.CHUNK = float("inf")
if kind == "chain":
    x = Value(0.5); v = x
    for _ in range(n):
        v = v.tanh()
    inputs, params = [x], []
else:
    params = [Value(1e-3 * (k % 7)) for k in range(n)]
    inputs = [Value(0.5) for _ in range(n)]
    v = affine(params, inputs, Value(0.0))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.process_time()
cg = engine.compile(v, inputs, params)
seconds = time.process_time() - t
value, grads = cg.gradient([0.5] * len(inputs))
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "graph_mb": before / 1024, "source_mb": len(cg.source) / 1e6}))
"""

_PAGE = """
import json, os, sys, tempfile, time
from engine import Value, backward_frames, write_stepper_html
n = int(sys.argv[1])
v = Value(0.5, label="x")
for _ in range(n):
    v = v.tanh()
path = os.path.join(tempfile.mkdtemp(), "page.html")
t = time.perf_counter()
frames = backward_frames(v, max_frames=n + 1)
write_stepper_html(v, path, frames=frames)
seconds = time.perf_counter() - t
whole = sum(len(f.graph.pipe(format="svg")) for f in frames)  # one whole SVG per frame, each laid out
print(json.dumps({"seconds": seconds, "mb": os.path.getsize(path) / 1e6, "whole_mb": whole / 1e6}))
"""


_NUMBA = """
import json, sys, time
import numpy as np
import engine
from engine import Value
from nn import MLP
from nn.losses import half_squared_error
sizes = [int(s) for s in sys.argv[1].split("-")]
if sys.argv[2] == "straight-line":  # the layout every numba graph had before the tape: one function per graph
    import engine.compiler.tape
    engine.compiler.tape.TAPE_FROM = float("inf")
mlp = MLP(sizes[0], sizes[1:], activation="sigmoid", output_activation="sigmoid", init="normal", rng=0)
inputs = [Value(0.0) for _ in range(sizes[0] + sizes[-1])]
cost = half_squared_error(mlp(inputs[:sizes[0]]), inputs[sizes[0]:])
t = time.perf_counter()
cg = engine.compile(cost, inputs, mlp.parameters(), backend="numba")
p = np.array([v.data for v in mlp.parameters()])
cg.sgd_run(np.zeros((1, len(inputs))), np.zeros(10, dtype=np.int64), p, 0.05)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "nodes": len(cg.plan.order), "tape": bool(getattr(cg, "tape_only", False))}))
"""


def _run(script, *args, env=None):
    r = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, env=env)
    if r.returncode:
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compile_scaling", description=__doc__.split("\n")[0])
    parser.add_argument("--chain", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--affine", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--straight-line-up-to", type=int, default=100_000,
                        help="largest graph also compiled the old way (it takes minutes and gigabytes beyond)")
    parser.add_argument("--frames", type=int, nargs="*", default=[10, 20, 40, 80])
    parser.add_argument("--numba", nargs="*", default=["2-2-3-2", "2-3-4-2", "2-4-6-2", "2-8-12-2", "2-16-24-2",
                                                        "2-24-36-2"],
                        help="MLP sizes compiled by engine.compile(..., backend='numba') plus the first sgd_run")
    parser.add_argument("--numba-straight-line", nargs="*", default=["2-2-3-2", "2-8-12-2", "2-16-24-2"],
                        help="sizes also compiled as one straight-line function, with an empty cache (before the tape)")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    if args.numba:
        numba_rows(args.numba, args.numba_straight_line)
    rows = []
    for kind, sizes in (("chain", args.chain), ("affine", args.affine)):
        previous = None
        for n in sizes:
            new = _run(_COMPILE, kind, n, "chunked")
            old = _run(_COMPILE, kind, n, "straight-line") if n <= args.straight_line_up_to else None
            per = new["seconds"] / n * 1e6
            growth = "" if previous is None else f"{new['seconds'] / previous[1] / (n / previous[0]):.2f}"
            rows.append([f"{kind}, n = {n:,}", f"{new['seconds']:.2f}", f"{per:.1f}", growth,
                         f"{new['peak_mb'] - new['graph_mb']:.0f}",
                         "-" if old is None else f"{old['seconds']:.2f}",
                         "-" if old is None else f"{old['peak_mb'] - old['graph_mb']:.0f}"])
            previous = (n, new["seconds"])
            print(rows[-1], flush=True)
    if rows:
        print()
        print(table(["graph", "compile (CPU s)", "µs per node", "growth vs linear", "compile memory (MB)",
                     "straight-line: compile (s)", "straight-line: memory (MB)"], rows))
    if not args.frames:
        return
    page_rows = []
    previous = None
    for n in args.frames:
        r = _run(_PAGE, n)
        if r is None:
            page_rows.append([n + 1, "needs Graphviz's dot", "", "", ""])
            continue
        per = r["mb"] * 1e3 / (n + 1)
        page_rows.append([n + 1, f"{r['mb']:.2f}", f"{per:.1f}", f"{r['whole_mb']:.2f}", f"{r['seconds']:.2f}"])
        print(page_rows[-1], flush=True)
    print()
    print(table(["frames (tanh chain of n nodes, n + 1 frames)", "page (MB)", "kB per frame",
                 "the frames as whole SVGs (MB)", "seconds (Graphviz: one layout per page)"], page_rows))


def numba_rows(sizes, straight=()):
    """engine.compile(..., backend="numba") and the first sgd_run of sigmoid MLPs, each in a fresh
    process: graphs of engine/compiler/tape.py's TAPE_FROM nodes or more run through the one kernel, which a
    first process compiles (the cold row, with an empty cache) and every later one loads."""
    import os
    import tempfile
    rows = []
    with tempfile.TemporaryDirectory() as empty:
        cold = _run(_NUMBA, sizes[-1], "tape", env=dict(os.environ, SEEBACKPROP_CACHE_DIR=empty))
        if cold is None:
            print("numba rows left out: the numba backend does not run here")
            return
        rows.append([f"{sizes[-1]}, empty cache (the kernel compiled once)", cold["nodes"],
                     "tape" if cold["tape"] else "straight line", f"{cold['seconds']:.2f}", ""])
        print(rows[-1], flush=True)
        for size in straight:
            r = _run(_NUMBA, size, "straight-line", env=dict(os.environ, SEEBACKPROP_CACHE_DIR=empty))
            rows.append([f"{size}, empty cache", r["nodes"], "straight line (forced)", f"{r['seconds']:.2f}",
                         f"{1e3 * r['seconds'] / r['nodes']:.2f}"])
            print(rows[-1], flush=True)
    for size in sizes:
        r = _run(_NUMBA, size, "default")
        rows.append([size, r["nodes"], "tape" if r["tape"] else "straight line", f"{r['seconds']:.2f}",
                     f"{1e3 * r['seconds'] / r['nodes']:.2f}"])
        print(rows[-1], flush=True)
    print()
    print(table(["sigmoid MLP", "nodes", "numba code", "compile + first sgd_run (s)", "ms per node"], rows))
    print()


if __name__ == "__main__":
    main()
