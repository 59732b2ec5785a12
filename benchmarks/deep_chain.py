"""Deep chains: y = relu(relu(...relu(x))) (relu: the one unary operation micrograd has) with n = 1e4, 1e5, 1e6 nodes.

For each system: time to build the chain, time to differentiate it, and bytes held per node.
Bytes per node: tracemalloc's count of Python allocations for the engine and micrograd; for
PyTorch, whose tensors live in C++ memory that tracemalloc cannot see, the growth of the process's
resident set size (RSS). micrograd's recursive topological sort fails on deep chains; the table
says where.

With numba installed, a second table gives the numba backend's jit time on shorter chains: it grows
faster than the number of nodes, so that backend is for small graphs run many times.

    python -m benchmarks.deep_chain [--sizes 10000 100000 1000000] [--numba-sizes 100 300 1000]
"""

import argparse
import gc
import os
import subprocess
import sys
import time
import tracemalloc

from .common import machine, table


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def chain(value_cls, n, unary="relu"):
    """(leaf, output) of a chain of n ``unary`` nodes built with ``value_cls``."""
    x = value_cls(0.5)
    y = x
    for _ in range(n):
        y = getattr(y, unary)()
    return x, y


def timed_chain(value_cls, n):
    """(seconds to build, seconds to differentiate, or "RecursionError") for a relu chain."""
    t = time.perf_counter()
    x, y = chain(value_cls, n)
    built = time.perf_counter()
    try:
        y.backward()
    except RecursionError:
        return built - t, "RecursionError"
    assert x.grad == 1.0
    return built - t, time.perf_counter() - built


def engine_chain(n):
    from engine import Value
    return timed_chain(Value, n)


def micrograd_chain(n):
    from micrograd.engine import Value
    return timed_chain(Value, n)


def torch_chain(n):
    import torch
    torch.set_num_threads(1)
    t = time.perf_counter()
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = torch.relu(y)
    built = time.perf_counter()
    y.backward()
    return built - t, time.perf_counter() - built


def python_bytes_per_node(n, make):
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    keep = make(n)
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del keep
    return held / n


def engine_nodes(n):
    from engine import Value
    return chain(Value, n)


def micrograd_nodes(n):
    from micrograd.engine import Value
    return chain(Value, n)


def torch_bytes_per_node(n):
    """Measured in a fresh process: freed C++ memory of earlier runs would hide the growth."""
    code = ("import torch, sys\n"
            "from benchmarks.deep_chain import rss_bytes\n"
            "x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)\n"
            "torch.relu(x).backward()\n"  # warm up the autograd engine's own allocations
            "before = rss_bytes()\n"
            "y = x\n"
            f"for _ in range({n}):\n"
            "    y = torch.relu(y)\n"
            "print(rss_bytes() - before)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return int(out.stdout.strip()) / n


def engine_tanh_nodes(n):
    from engine import Value
    return chain(Value, n, "tanh")  # unlike relu(0.5), every node holds a float of its own


def numba_chain(n):
    """(seconds to write the module, seconds to jit gradient, seconds of one gradient call) for a
    relu chain compiled by the numba backend; its gradient must be the eager one, 1.0."""
    from engine import Value, compile
    x, y = chain(Value, n)
    t = time.perf_counter()
    graph = compile(y, [x], [], input_grads=True, backend="numba")
    written = time.perf_counter() - t
    jit = graph.jit("gradient")
    calls = []
    for _ in range(5):  # the first call also pays for numba's dispatch set-up: take the fastest
        t = time.perf_counter()
        value, _, (grad,) = graph.gradient([0.5])
        calls.append(time.perf_counter() - t)
    call = min(calls)
    assert value == 0.5 and grad == 1.0
    return written, jit, call, graph.jit_from_cache["gradient"]


def numba_table(sizes):
    """numba's jit time grows faster than the graph: the backend is for small graphs run many times."""
    rows = []
    for n in sizes:
        written, jit, call, cached = numba_chain(n)
        rows.append([f"{n:,}", f"{written:.2f}", f"{jit:.2f}" + (" (numba's cache)" if cached else ""),
                     f"{call * 1e6:.0f}"])
    print("\nThe numba backend on relu chains (compile(..., backend=\"numba\"), then jit of gradient):\n")
    print(table(["nodes", "plan + module (s)", "jit (s)", "one gradient call (µs)"], rows))


def fmt(x):
    return x if isinstance(x, str) else f"{x:.3f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--numba-sizes", type=int, nargs="*", default=[100, 300, 1000],
                        help="relu chains for the numba backend's jit times (none: leave it out)")
    args = parser.parse_args(argv)
    systems = [("this engine", engine_chain, lambda n: python_bytes_per_node(n, engine_nodes))]
    try:
        import micrograd  # noqa: F401
        systems.append(("micrograd 0.1.0", micrograd_chain,
                        lambda n: python_bytes_per_node(n, micrograd_nodes)))
    except ImportError:
        print("micrograd not installed (pip install micrograd): its rows are left out")
    try:
        import torch  # noqa: F401
        systems.append(("PyTorch eager, 0-d float64", torch_chain, torch_bytes_per_node))
    except ImportError:
        print("PyTorch not installed (pip install torch==2.13.0): its rows are left out")

    print(f"Deep relu chains, measured side by side on: {machine()}")
    print(f"(recursion limit {sys.getrecursionlimit()}; garbage collector on, as users run)\n")
    rows = []
    totals = {}
    for n in args.sizes:
        for name, chain, per_node in systems:
            gc.collect()
            build, backward = chain(n)
            gc.collect()
            bpn = per_node(n)
            total = build + backward if not isinstance(backward, str) else None
            totals[(name, n)] = total
            rows.append([f"{n:,}", name, fmt(build), fmt(backward), f"{bpn:,.0f}"])
            if name == "this engine":
                rows[-1][-1] += f" ({python_bytes_per_node(n, engine_tanh_nodes):,.0f} for tanh)"
    print(table(["nodes", "system", "build (s)", "backward (s)", "bytes/node"], rows))
    print()
    for n in args.sizes:
        ours = totals.get(("this engine", n))
        theirs = totals.get(("PyTorch eager, 0-d float64", n))
        if ours and theirs:
            print(f"{n:,} nodes: build + backward, PyTorch / this engine = {theirs / ours:.1f}x")
    if args.numba_sizes:
        try:
            from engine.compiler.numba import require_numba
            require_numba()
        except ImportError as e:
            print(f"left out: the numba backend ({e})")
        else:
            numba_table(args.numba_sizes)


if __name__ == "__main__":
    main()
