"""How long the stepper page takes to build, and how big it is, for two graphs of the issue:

* the Higham network: one sample's cost C = ½‖y − F(x)‖² through the paper's 2-2-3-2 sigmoid network,
  recorded as demos/higham/network.py records it (inputs x₁, x₂, y₁, y₂ as Values), 48 nodes;
* a 4-8-8-3 tanh MLP (tanh output too) and the same cost, 194 nodes;

and, to show the page grows with nodes + frames, tanh chains of n nodes (n + 1 frames).

Each build runs in a fresh process: ``backward_frames`` then ``write_stepper_html`` (seconds of wall
time, the page's MB). ``--before REV`` also builds the same pages with the code (``engine``, ``nn``,
``demos``) of git revision REV of this checkout (for instance the commit before the one-layout page),
side by side in the same run; where that code cannot build them the column says so.

    python -m benchmarks.stepper_page [--before REV] [--repeats 3] [--chains 10 20 40 80]
"""

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from .common import machine, table

CHECKOUT = Path(__file__).resolve().parent.parent

_BUILD = """
import json, os, sys, tempfile, time
import numpy as np
from engine import Value, backward_frames, topological_order, write_stepper_html
from nn import MLP
from nn.losses import half_squared_error
kind, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if kind == "higham":
    from demos.higham.network import make_network
    mlp = make_network(np.random.default_rng(0))
    x1, x2, y1, y2 = (Value(v, label=name) for v, name in ((0.1, "x_1"), (0.1, "x_2"), (1.0, "y_1"), (0.0, "y_2")))
    root = half_squared_error(mlp([x1, x2]), [y1, y2])
elif kind == "mlp":
    mlp = MLP(4, [8, 8, 3], activation="tanh", output_activation="tanh", rng=0)
    xs = [Value(0.1 * (k + 1), label=f"x_{k + 1}") for k in range(4)]
    ys = [Value(float(k == 0), label=f"y_{k + 1}") for k in range(3)]
    root = half_squared_error(mlp(xs), ys)
else:
    root = Value(0.5, label="x")
    for _ in range(n):
        root = root.tanh()
nodes = len(topological_order(root))
path = os.path.join(tempfile.mkdtemp(), "page.html")
best = float("inf")
for _ in range(repeats):
    t = time.perf_counter()
    frames = backward_frames(root, max_frames=10_000)
    write_stepper_html(root, path, frames=frames)
    best = min(best, time.perf_counter() - t)
print(json.dumps({"nodes": nodes, "frames": len(frames), "seconds": best, "mb": os.path.getsize(path) / 1e6}))
"""


def _run(pythonpath, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(pythonpath))
    r = subprocess.run([sys.executable, "-c", _BUILD, *map(str, args)], capture_output=True, text=True, env=env,
                       cwd=pythonpath[0])
    if r.returncode:
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def _code_of(revision, directory):
    """``engine/``, ``nn/`` and ``demos/`` of git ``revision`` of this checkout, extracted into ``directory``."""
    archive = subprocess.run(["git", "-C", str(CHECKOUT), "archive", "--format=tar", revision, "engine", "nn",
                              "demos"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return directory


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stepper_page", description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REV", help="also build each page with the code of git revision REV")
    parser.add_argument("--repeats", type=int, default=3, help="builds per page; the fastest is reported")
    parser.add_argument("--chains", type=int, nargs="*", default=[10, 20, 40, 80])
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        old = [_code_of(args.before, tmp)] if args.before else None
        rows = []
        cases = [("higham", 0), ("mlp", 0)] + [("chain", n) for n in args.chains]
        for kind, n in cases:
            new = _run([str(CHECKOUT)], kind, n, args.repeats)
            if new is None:
                rows.append([kind, "needs Graphviz's dot", "", "", "", "", ""])
                continue
            name = {"higham": "Higham 2-2-3-2, one sample", "mlp": "4-8-8-3 tanh MLP"}.get(kind, f"tanh chain, n = {n}")
            row = [name, new["nodes"], new["frames"], f"{new['seconds']:.2f}", f"{new['mb']:.2f}"]
            if old is not None:
                before = _run(old, kind, n, args.repeats)
                row += ["cannot build" if before is None else f"{before['seconds']:.2f}",
                        "" if before is None else f"{before['mb']:.2f}"]
            rows.append(row)
            print(rows[-1], flush=True)
    headers = ["graph", "nodes", "frames", "seconds", "page (MB)"]
    if args.before:
        headers += [f"seconds at {args.before}", f"page (MB) at {args.before}"]
    print()
    print(table(headers, rows))


if __name__ == "__main__":
    main()
