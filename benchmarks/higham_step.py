"""One single-sample SGD step of the Higham 2-2-3-2 sigmoid network, measured side by side.

Every row starts from the same 23 weights (0.5 N(0,1), seeded), follows the same sequence of sample
indices, and must reach the same parameters (checked: the largest difference from the hand-written
row is printed). The rows are timed in turn, round robin, and each time is the median over the
repetitions; each row's ratio is against micrograd and against the hand-written straight line.

With numba installed (pip install "seebackprop[fast]") two rows run the engine's numba backend
beside a hand-written numba loop of the same network (the native reference); their jit time is
reported apart, and both also run the paper's 10^6 steps.

    python -m benchmarks.higham_step [--steps 20000] [--repeats 5] [--million 1000000]
"""

import argparse
import statistics
import time

import numpy as np

from . import reference_steps as ref
from .common import ETA, X, Y, flat_parameters, higham_cost, initial_arrays, machine
from .common import sample_sequence, table


class EngineEager:
    name = "this engine, eager (nn.MLP, nn.SGD)"

    def __init__(self, flat):
        from nn import MLP, SGD
        from nn.losses import half_squared_error
        self.model = MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid")
        for p, x in zip(self.model.parameters(), flat):
            p.data = x
        self.opt = SGD(self.model.parameters(), lr=ETA)
        self.loss = half_squared_error

    def steps(self, ks):
        model, opt, loss = self.model, self.opt, self.loss
        xs, ys = [list(x) for x in X], [list(y) for y in Y]  # lists, as nn.train prepares them
        for k in ks:
            cost = loss(model(xs[k]), ys[k])
            opt.zero_grad()  # backward() adds into the parameters' grads
            cost.backward()
            opt.step()

    def parameters(self):
        return [p.data for p in self.model.parameters()]


class EngineEagerUserStyle(EngineEager):
    name = "this engine, eager as users write it (loss with ** 2, zero_grad, backward, update)"

    def steps(self, ks):
        model = self.model
        params = model.parameters()
        for k in ks:
            out = model(X[k])  # plain numbers in, as a micrograd user passes them
            y0, y1 = Y[k]
            loss = 0.5 * ((y0 - out[0]) ** 2 + (y1 - out[1]) ** 2)
            model.zero_grad()
            loss.backward()
            for p in params:
                p.data -= ETA * p.grad


class EngineCompiled:
    name = "this engine, compiled fused step (sgd_step)"
    backend = "python"

    def __init__(self, flat):
        from engine import Value, compile
        from nn import MLP
        from nn.losses import half_squared_error
        model = MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid")
        x = [Value(0.0, label="x1"), Value(0.0, label="x2")]
        y = [Value(0.0, label="y1"), Value(0.0, label="y2")]
        cost = half_squared_error(model(x), y)
        self.graph = compile(cost, x + y, model.parameters(), backend=self.backend)
        self.p = list(flat)
        self.rows = [tuple(a) + tuple(b) for a, b in zip(X, Y)]

    def steps(self, ks):
        step, rows, p = self.graph.sgd_step, self.rows, self.p
        for k in ks:
            step(rows[k], p, ETA)

    def parameters(self):
        return list(self.p)


class EngineCompiledLoop(EngineCompiled):
    name = "this engine, compiled loop (sgd_run)"

    def steps(self, ks):
        self.graph.sgd_run(self.rows, ks, self.p, ETA)


class EngineNumbaStep(EngineCompiled):
    name = "this engine, numba backend, fused step (sgd_step, one call per step)"
    backend = "numba"
    jit_report = []  # (seconds, from numba's cache) of the first construction

    def __init__(self, flat):
        from engine.compiler.numba import require_numba
        try:
            require_numba()
        except ImportError as e:
            raise ImportError(str(e), name="numba") from None
        super().__init__(flat)
        seconds = self.graph.jit()
        if not self.jit_report:
            self.jit_report.append((seconds, all(self.graph.jit_from_cache.values())))
        self.p = np.array(flat)  # a float64 array: updated in place, no copying per call

    def parameters(self):
        return self.p.tolist()


class EngineNumbaLoop(EngineNumbaStep):
    name = "this engine, numba backend, loop (sgd_run)"
    wants_arrays = True  # the sample indices as an int64 array, as the hand-written numba loop

    def steps(self, ks):
        self.graph.sgd_run(self.rows, ks, self.p, ETA)


class EngineNumbaLanes(EngineNumbaStep):
    """LANES runs of the same steps at once (sgd_run_lanes): the time per step is per run, the total
    over LANES; every lane starts from the same weights and follows the same indices as the other
    rows, so each ends at their parameters (the first lane's are compared)."""
    LANES = 64
    name = f"this engine, numba backend, {LANES} lanes (sgd_run_lanes), per run"
    wants_arrays = True

    def __init__(self, flat):
        super().__init__(flat)
        self.P = np.tile(np.array(flat), (self.LANES, 1))
        self._orders = None

    def steps(self, ks):
        if self._orders is None or self._orders.shape[1] != len(ks):
            self._orders = np.tile(np.asarray(ks, dtype=np.int64), (self.LANES, 1))
        self.graph.sgd_run_lanes(np.array(self.rows), self._orders, self.P, ETA)

    def per_run(self, seconds):
        return seconds / self.LANES

    def parameters(self):
        assert all(np.array_equal(self.P[0], q) for q in self.P)
        return self.P[0].tolist()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--million", type=int, default=1_000_000,
                        help="steps of the numba rows' long run (the paper's 10^6)")
    args = parser.parse_args(argv)

    flat = flat_parameters(initial_arrays())
    ks = sample_sequence(args.steps)
    ks_array = np.array(ks, dtype=np.int64)
    rows = [EngineEager, EngineEagerUserStyle, EngineCompiled, EngineCompiledLoop, EngineNumbaStep, EngineNumbaLoop,
            EngineNumbaLanes,
            ref.Micrograd, ref.Torch, ref.NumpyNetbp, ref.StraightLine, ref.NumbaStraightLine]
    available = []
    for cls in rows:
        try:
            cls(flat)
            available.append(cls)
        except ImportError as e:
            print(f"left out: {cls.name} ({e.name} not installed)")
    # Round robin: every repetition times every row once, so a slow spell of the (shared) machine
    # falls on all rows alike; each row's time is the median over the repetitions.
    times = {cls: [] for cls in available}
    final = {}
    for _ in range(args.repeats):
        for cls in available:
            model = cls(flat)
            if hasattr(model, "per_run"):
                model.steps(ks_array[:10])  # the lanes' module compiled (or loaded), not timed
                model = cls(flat)
            start = time.perf_counter()
            model.steps(ks_array if getattr(cls, "wants_arrays", False) else ks)
            seconds = time.perf_counter() - start
            times[cls].append(model.per_run(seconds) if hasattr(model, "per_run") else seconds)
            final[cls] = model.parameters()
    results = {cls: (statistics.median(times[cls]) / args.steps * 1e6, final[cls]) for cls in available}

    reference = np.array(results[ref.StraightLine][1])
    micro = results.get(ref.Micrograd, (None,))[0]
    straight = results[ref.StraightLine][0]
    lines = []
    for cls, (us, p) in results.items():
        lines.append([cls.name, f"{us:.3f}" if us < 1 else f"{us:.2f}", f"{micro / us:.1f}x" if micro else "-",
                      f"{us / straight:.2f}", f"{higham_cost(p):.6f}",
                      f"{np.max(np.abs(np.array(p) - reference)):.1e}"])
    print(f"Higham 2-2-3-2 network, one SGD step (eta = {ETA}), {args.steps:,} steps, "
          f"median of {args.repeats} runs, on: {machine()}\n")
    print(table(["system", "µs per step", "speed-up vs micrograd", "time / straight-line",
                 "Cost after", "max |Δp| vs straight-line"], lines))
    if EngineNumbaLoop in results and ref.NumbaStraightLine in results:
        native_rows(args, flat, results)


def native_rows(args, flat, results):
    """The numba rows against the hand-written numba loop, and the paper's 10^6 steps."""
    seconds, cached = EngineNumbaStep.jit_report[0]
    print(f"\nnumba backend: jit {seconds:.2f} s ({'loaded from numba' + chr(39) + 's cache' if cached else 'compiled'}"
          f", not in the times above)")
    ratio = results[EngineNumbaLoop][0] / results[ref.NumbaStraightLine][0]
    print(f"numba backend sgd_run / hand-written numba loop: {ratio:.2f} "
          f"({results[EngineNumbaLoop][0] * 1e3:.0f} ns against "
          f"{results[ref.NumbaStraightLine][0] * 1e3:.0f} ns per step)")
    if EngineNumbaLanes in results:
        print(f"numba backend, {EngineNumbaLanes.LANES} lanes against one run at a time (sgd_run): "
              f"{results[EngineNumbaLoop][0] / results[EngineNumbaLanes][0]:.2f}x the throughput per run-step "
              f"({results[EngineNumbaLanes][0] * 1e3:.0f} ns against {results[EngineNumbaLoop][0] * 1e3:.0f} ns)")
    million = np.array(sample_sequence(args.million), dtype=np.int64)
    times = {EngineNumbaLoop: [], ref.NumbaStraightLine: []}
    for _ in range(args.repeats):
        for cls in times:
            model = cls(flat)
            start = time.perf_counter()
            model.steps(million)
            times[cls].append(time.perf_counter() - start)
    for cls, t in times.items():
        print(f"{args.million:,} steps (the paper's run), {cls.name}: {statistics.median(t):.3f} s "
              f"(median of {args.repeats})")
    print(f"ratio at {args.million:,} steps: "
          f"{statistics.median(times[EngineNumbaLoop]) / statistics.median(times[ref.NumbaStraightLine]):.2f}")


if __name__ == "__main__":
    main()
