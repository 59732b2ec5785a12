"""The decision-boundary grid of Higham & Higham's figure: the trained 2-2-3-2 network evaluated at
501 x 501 points of the unit square, as one compiled vectorised call versus a Python loop of eager
forward passes (a Value graph per point), and (with numba installed) the same graph through the numba
backend. All must give the same classification everywhere.

    python -m benchmarks.grid [--n 501] [--repeats 3]
"""

import argparse
import time

import numpy as np

from .common import flat_parameters, initial_arrays, machine, median_time, table


def main(argv=None):
    from engine import Value, compile
    from nn import MLP

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=501)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    model = MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid")
    for p, x in zip(model.parameters(), flat_parameters(initial_arrays())):
        p.data = x
    s = np.linspace(0.0, 1.0, args.n)
    g1, g2 = np.meshgrid(s, s)
    points = np.column_stack([g1.ravel(), g2.ravel()])

    x = [Value(0.0, label="x1"), Value(0.0, label="x2")]
    out = model(x)
    t = time.perf_counter()
    margin = compile(out[0] - out[1], x, model.parameters())  # class A where F1 >= F2
    compile_seconds = time.perf_counter() - t

    result = {}

    def vectorised():
        result["compiled"] = margin.forward_array(points) >= 0.0

    def eager_loop():
        cls = np.empty(len(points), dtype=bool)
        for i, (a, b) in enumerate(points.tolist()):
            f = model([a, b])
            cls[i] = f[0].data >= f[1].data
        result["eager"] = cls

    native = None
    try:
        t = time.perf_counter()
        native = compile(out[0] - out[1], x, model.parameters(), backend="numba")
        native_seconds = time.perf_counter() - t, native.jit("forward_array")
    except ImportError as e:
        print(f"left out: the numba backend ({e})")

    def native_loop():
        result["numba"] = native.forward_array(points) >= 0.0

    t_vec = median_time(vectorised, args.repeats)
    t_native = median_time(native_loop, args.repeats) if native else None
    t_eager = median_time(eager_loop, 1)
    assert np.array_equal(result["compiled"], result["eager"]), "the two classifications differ"
    rows = [["eager: a Value graph per point (Python loop)", f"{t_eager:.3f}", "1"],
            ["compiled, vectorised (one forward_array call)", f"{t_vec:.4f}", f"{t_eager / t_vec:.0f}x faster"]]
    if native:
        assert np.array_equal(result["numba"], result["eager"]), "the numba classification differs"
        rows.append(["compiled, numba backend (one forward_array call)", f"{t_native:.4f}",
                     f"{t_eager / t_native:.0f}x faster"])
    print(f"{args.n} x {args.n} = {len(points):,} grid points, on: {machine()}\n")
    print(table(["method", "seconds", "ratio"], rows))
    print(f"\n(compiling the graph took {compile_seconds * 1e3:.1f} ms; classifications identical at every point)")
    if native:
        cached = ", from numba's cache" if native.jit_from_cache["forward_array"] else ""
        print(f"(numba backend: importing numba and writing the module {native_seconds[0] * 1e3:.0f} ms, "
              f"jit of forward_array {native_seconds[1] * 1e3:.0f} ms{cached}"
              f"; numba / NumPy-vectorised time: {t_native / t_vec:.2f})")


if __name__ == "__main__":
    main()
