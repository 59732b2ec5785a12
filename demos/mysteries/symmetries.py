"""Question 2: how many different solutions?

F is unchanged by permuting the neurons of a hidden layer and by flipping a hidden neuron: since
σ(−z) = 1 − σ(z), negating its incoming weights and bias and, in the next layer, negating its
column of W and adding the old column to the biases gives the same next-layer input. With 2 and 3
hidden neurons that is a group of 2!·2²·3!·2³ = 384 elements (``group``); the output layer has none.

**Canonical form.** Layer by layer from the input: flip each hidden neuron so that its weighted input
at the centre of the square, z(½, ½), is ≥ 0, then sort the layer's neurons by it. z(½, ½) of a
neuron does not depend on the other layers' symmetries (a flip below changes its weights but not
its input there), so every element's image of p has the same canonical form, up to the rounding
of the bias updates.

**Distinct solutions.** Two distances, each clustered by single linkage: between canonical forms, the
relative distance ‖p − q‖ / max(‖p‖, ‖q‖); between functions, the share of an m × m grid of the unit
square that the two classify differently (blind to the symmetries and to the growth of the weights
along which the runs keep moving). The threshold is how far one solution still moves by itself: the
distance between a run's point at 90 % of its steps and at the end, the median over the runs (at
least one grid point for the classifiers). Two solutions closer than a typical run still moves are
taken for one solution that has not finished moving. The table shows the number of clusters at every threshold.

**Barriers.** For pairs of solutions from different clusters: the Cost along (1 − t)p + tq, and
along the line to the element of the group that brings q closest to p. The barrier is the largest
Cost on the line minus the larger Cost of the two ends.
"""

import itertools

import numpy as np

from .._common import format_table, pyplot, save_figure
from .problems import HIGHAM, higham_rows, network
from .problems import grid as grid_points

CENTRE = np.array([0.5, 0.5])


def unpack(p, sizes=HIGHAM):
    """[(W, b)] per layer from nn.MLP's order (neuron by neuron: its weights, then its bias)."""
    layers, i = [], 0
    for nin, nout in zip(sizes[:-1], sizes[1:]):
        block = np.asarray(p[i:i + nout * (nin + 1)], dtype=float).reshape(nout, nin + 1)
        layers.append((block[:, :nin].copy(), block[:, nin].copy()))
        i += nout * (nin + 1)
    return layers


def pack(layers):
    return np.concatenate([np.column_stack([W, b]).ravel() for W, b in layers])


def forward(p, X, sizes=HIGHAM):
    """F(x) at the rows of X, in NumPy (for checking the group; training uses the engine)."""
    a = np.asarray(X, dtype=float).T
    for W, b in unpack(p, sizes):
        a = 1.0 / (1.0 + np.exp(-(W @ a + b[:, None])))
    return a.T


def flip(layers, l, j):
    """Flip neuron j of hidden layer l (0-based index into ``layers``), in place."""
    W, b = layers[l]
    W[j] *= -1.0
    b[j] *= -1.0
    Wn, bn = layers[l + 1]
    bn += Wn[:, j]
    Wn[:, j] *= -1.0


def permute(layers, l, perm):
    W, b = layers[l]
    layers[l] = (W[list(perm)], b[list(perm)])
    Wn, bn = layers[l + 1]
    layers[l + 1] = (Wn[:, list(perm)], bn)


def group(sizes=HIGHAM):
    """Every element as (per hidden layer: (permutation, flips)): flips first, then the permutation."""
    hidden = sizes[1:-1]
    per_layer = [list(itertools.product(itertools.permutations(range(n)), itertools.product((0, 1), repeat=n)))
                 for n in hidden]
    return list(itertools.product(*per_layer))


def apply(element, p, sizes=HIGHAM):
    layers = unpack(p, sizes)
    for l, (perm, flips) in enumerate(element):
        for j, f in enumerate(flips):
            if f:
                flip(layers, l, j)
        permute(layers, l, perm)
    return pack(layers)


def canonical(p, sizes=HIGHAM):
    layers = unpack(p, sizes)
    a = CENTRE
    for l in range(len(sizes) - 2):
        W, b = layers[l]
        z = W @ a + b
        for j in np.flatnonzero(z < 0):
            flip(layers, l, j)
        W, b = layers[l]
        z = W @ a + b
        permute(layers, l, np.argsort(z, kind="stable"))
        W, b = layers[l]
        a = 1.0 / (1.0 + np.exp(-(W @ a + b)))
    return pack(layers)


def relative_distances(C):
    norms = np.linalg.norm(C, axis=1)
    D = np.linalg.norm(C[:, None, :] - C[None, :, :], axis=2)
    return D / np.maximum(norms[:, None], norms[None, :])


def disagreement(maps):
    """Share of grid points classified differently, for every pair of boolean class maps (rows)."""
    M = maps.astype(float)
    return (M @ (1 - M).T + (1 - M) @ M.T) / M.shape[1]


def clusters(D, t):
    """(labels, curve): single-linkage clusters at the threshold ``t`` and the count at thresholds
    10⁻⁴..1, [(threshold, count)]."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    Z = linkage(squareform(D, checks=False), method="single")
    grid = np.logspace(-4, 0, 81)
    curve = [(float(g), len(np.unique(fcluster(Z, g, criterion="distance")))) for g in grid]
    return fcluster(Z, t, criterion="distance"), curve


def line_costs(net, rows, p, q, points):
    ts = np.linspace(0.0, 1.0, points)
    P = np.array([(1 - t) * p + t * q for t in ts])
    return ts, net.costs(rows, P)


def run(ctx):
    say = ctx.say
    rows, X, Y = higham_rows()
    net = network(HIGHAM)
    elements = group()
    rng = np.random.default_rng(ctx.seed)
    p = 0.5 * rng.standard_normal(net.n_params)
    images = np.array([apply(g, p) for g in elements])
    distinct = len({tuple(np.round(q, 12)) for q in images})
    F = forward(p, rows[:, :2])
    change = max(np.abs(forward(q, rows[:, :2]) - F).max() for q in images)
    canon = np.array([canonical(q) for q in images])
    spread = np.abs(canon - canon[0]).max()
    say(f"Q2. How many different solutions? The group: {len(elements)} elements, {distinct} distinct images "
        f"of a random p; F changes by at most {change:.1e} over them; their canonical forms differ by at most "
        f"{spread:.1e}.")

    study = ctx.study()
    solved = np.array([net.correct(X, Y, q) == len(X) for q in study.parameters])
    S = study.parameters[solved]
    if len(S) < 2:
        ctx.answer("symmetries", f"The group has {distinct} distinct elements, each leaving F unchanged to "
                                 f"{change:.0e}; only {len(S)} run(s) of the study classify all ten points, "
                                 f"too few to compare.")
        return {"elements": len(elements), "distinct": distinct, "clusters": len(S)}
    C = np.array([canonical(q) for q in S])
    D = relative_distances(C)
    G = grid_points(ctx.sizes["map_grid"])
    maps = np.array([net.class_a(G, q) for q in S])
    # how far a solution still moves by itself: its point at 90 % of the steps against its end point
    k = int(np.searchsorted(study.steps, 0.9 * study.steps[-1]))
    then = np.array([study.snapshots[int(i)][k] for i in study.indices[solved]])
    C_then = np.array([canonical(q) for q in then])
    drift_p = np.linalg.norm(C - C_then, axis=1) / np.maximum(np.linalg.norm(C, axis=1), np.linalg.norm(C_then, axis=1))
    maps_then = np.array([net.class_a(G, q) for q in then])
    drift_f = np.mean(maps != maps_then, axis=1)
    t_p = float(np.median(drift_p))
    t = max(float(np.median(drift_f)), 1.0 / len(G))
    labels_p, curve_p = clusters(D, t_p)
    labels, curve = clusters(disagreement(maps), t)
    sizes = np.bincount(labels)[1:]
    big = np.argsort(-sizes)
    say(f"    {len(S)} of {len(study.parameters)} runs classify all ten points. Over the last tenth of its steps a "
        f"solution still moves by a relative distance {t_p:.2g} (median; 95 %: {np.quantile(drift_p, 0.95):.2g}) "
        f"and its classifier changes on {100 * np.median(drift_f):.2g} % of the square (95 %: "
        f"{100 * np.quantile(drift_f, 0.95):.2g} %).")
    say(f"    Single-linkage clusters at those thresholds: {len(np.unique(labels_p))} of canonical forms; "
        f"{len(sizes)} of classifiers (share of a {ctx.sizes['map_grid']}² grid classified differently), the largest "
        f"of sizes {', '.join(str(int(s)) for s in sizes[big[:8]])}.")
    shown = list(zip(curve_p[::10], curve[::10]))
    say("    (the number of clusters of the canonical parameters and of the classifiers, at each distance "
        "threshold)")
    say("    " + format_table(["clusters at"] + [f"{a:.0e}" for (a, _), _ in shown],
                              [["parameters"] + [str(c) for (_, c), _ in shown],
                               ["classifiers"] + [str(c) for _, (_, c) in shown]]).replace("\n", "\n    "))
    raw_distance = relative_distances(S)
    say(f"    Median relative distance between solutions: {np.median(raw_distance[np.triu_indices(len(S), 1)]):.3f} "
        f"as trained, {np.median(D[np.triu_indices(len(S), 1)]):.3f} after reducing to canonical forms.")

    pair_rows, curves = [], []
    # one solution of each of the largest clusters (of classifiers); with one cluster, the first solutions
    reps = ([int(np.flatnonzero(labels == big[k] + 1)[0]) for k in range(min(len(big), 8))] if len(big) > 1
            else list(range(min(len(S), 8))))
    pairs = [(a, b) for i, a in enumerate(reps) for b in reps[i + 1:]][:ctx.sizes["pairs"]]
    barriers = []
    for a, b in pairs:
        p, q = S[a], S[b]
        ends = max(net.costs(rows, np.array([p, q])))
        ts, raw = line_costs(net, rows, p, q, ctx.sizes["line_points"])
        aligned_q = min((apply(g, q) for g in elements), key=lambda r: np.linalg.norm(r - p))
        _, aligned = line_costs(net, rows, p, aligned_q, ctx.sizes["line_points"])
        barriers.append((raw.max() - ends, aligned.max() - ends))
        pair_rows.append([f"{a}–{b}", f"{ends:.2e}", f"{raw.max() - ends:.3g}", f"{aligned.max() - ends:.3g}"])
        curves.append((ts, raw, aligned))
    if pair_rows:
        say("    Cost along straight lines between solutions of different clusters (barrier = max on the "
            "line − larger end):")
        say("    " + format_table(["pair", "Cost at ends", "barrier as trained", "barrier after aligning"], pair_rows)
            .replace("\n", "\n    "))
    barriers = np.array(barriers) if barriers else np.zeros((0, 2))
    answer = (f"The group has {distinct} distinct elements, each leaving F unchanged to {change:.0e}. Reduced to "
              f"canonical forms and clustered at the distance a solution still moves by itself, the {len(S)} solutions "
              f"are {len(np.unique(labels_p))} different points in parameter space and {len(sizes)} different "
              f"classifiers (the largest cluster {int(sizes[big[0]])} solutions). ")
    if len(barriers):
        answer += (f"Between solutions the straight line has a median barrier of "
                   f"{np.median(barriers[:, 0]):.3g} as trained and {np.median(barriers[:, 1]):.3g} after "
                   f"aligning by the group "
                   f"({int(np.sum(barriers[:, 1] > 1e-3))} of {len(barriers)} pairs still above 10⁻³).")
    ctx.answer("symmetries", answer)
    if not ctx.no_plots:
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        axes[0].loglog([a for a, _ in curve_p], [c for _, c in curve_p], color="black",
                       label="canonical parameters (relative distance)")
        axes[0].loglog([a for a, _ in curve], [c for _, c in curve], color="tab:green",
                       label="classifiers (share of the square that differs)")
        axes[0].axvline(t_p, color="black", ls="--", label=f"threshold {t_p:.2g} (drift of a run)")
        axes[0].axvline(t, color="tab:green", ls="--", label=f"threshold {t:.2g} (drift of a run)")
        axes[0].set_xlabel("threshold (single linkage)")
        axes[0].set_ylabel("clusters of the solutions")
        axes[0].legend(fontsize=8)
        for ts, raw, aligned in curves:
            axes[1].semilogy(ts, raw, color="tab:blue", lw=0.8)
            axes[1].semilogy(ts, aligned, color="tab:orange", lw=0.8)
        axes[1].plot([], [], color="tab:blue", label="as trained")
        axes[1].plot([], [], color="tab:orange", label="aligned by the group")
        axes[1].set_xlabel("t on (1 − t) p + t q")
        axes[1].set_ylabel("Cost (eq. 2.6)")
        axes[1].legend(fontsize=8)
        ctx.wrote(save_figure(fig, ctx.out, "symmetries"))
    return {"elements": len(elements), "distinct": distinct, "clusters": len(sizes)}
