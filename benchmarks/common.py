"""Shared pieces of the benchmarks: the Higham problem, its initial weights, timing and tables."""

import os
import platform
import statistics
import time

import numpy as np

# Higham & Higham's ten points (REFERENCE.md §1): class A -> (1, 0), class B -> (0, 1).
X = [(0.1, 0.1), (0.3, 0.4), (0.1, 0.5), (0.6, 0.9), (0.4, 0.2),
     (0.6, 0.3), (0.5, 0.6), (0.9, 0.2), (0.4, 0.4), (0.7, 0.6)]
Y = [(1.0, 0.0)] * 5 + [(0.0, 1.0)] * 5
SIZES = (2, 2, 3, 2)
ETA = 0.05


def initial_arrays(seed=5000):
    """W[l], b[l] for l = 2, 3, 4, every entry 0.5 N(0, 1), drawn layer by layer (W then b)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for l in (2, 3, 4):
        nout, nin = SIZES[l - 1], SIZES[l - 2]
        arrays[f"W[{l}]"] = 0.5 * rng.standard_normal((nout, nin))
        arrays[f"b[{l}]"] = 0.5 * rng.standard_normal(nout)
    return arrays


def flat_parameters(arrays):
    """micrograd's (and nn's) parameter order: layer by layer, neuron by neuron, weights then bias."""
    flat = []
    for l in (2, 3, 4):
        W, b = arrays[f"W[{l}]"], arrays[f"b[{l}]"]
        for j in range(W.shape[0]):
            flat += [float(w) for w in W[j]] + [float(b[j])]
    return flat


def arrays_from_flat(flat):
    arrays, i = {}, 0
    for l in (2, 3, 4):
        nout, nin = SIZES[l - 1], SIZES[l - 2]
        W, b = np.empty((nout, nin)), np.empty(nout)
        for j in range(nout):
            W[j] = flat[i:i + nin]
            b[j] = flat[i + nin]
            i += nin + 1
        arrays[f"W[{l}]"], arrays[f"b[{l}]"] = W, b
    return arrays


def sample_sequence(n, seed=1):
    """The sample indices k of single-sample SGD, uniformly at random from 0..9."""
    return np.random.default_rng(seed).integers(0, 10, n).tolist()


def higham_cost(flat):
    """The paper's Cost (eq. 2.6) in NumPy, to check that every row reached the same point."""
    a = arrays_from_flat(flat)
    total = 0.0
    for x, y in zip(X, Y):
        v = np.array(x)
        for l in (2, 3, 4):
            v = 1.0 / (1.0 + np.exp(-(a[f"W[{l}]"] @ v + a[f"b[{l}]"])))
        total += 0.5 * float(np.sum((np.array(y) - v) ** 2))
    return total / len(X)


def median_time(fn, repeats):
    """Median wall time of ``fn()`` over ``repeats`` runs (each run should take ~0.1 s or more)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def table(headers, rows):
    """A Markdown table (pasteable into the README)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)
