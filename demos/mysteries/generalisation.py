"""Question 3: does it generalise to unseen data?

The ten points have no distribution behind them, so the question is asked two ways.

(a) **Where do the solutions disagree?** Every run of the shared study that classifies all ten points
is a solution; on an n × n grid of the unit square, the fraction of solutions that call each point
class A (F₁ ≥ F₂), and the share of the square on which at least 95 % of them agree.

(b) **A synthetic problem in the paper's spirit**: points uniform in the unit square, class A above
the curve x₂ = ½ + ¼ sin(2π x₁), training labels flipped for a share of the points (label noise).
Networks of several widths are trained by single-sample SGD (η = 0.05, 0.5·N(0, 1) starts) on n
points and tested on 10,000 fresh points with the true labels. All (n, noise, seed) runs of one width
are lanes of one call: their training sets are stacked into one table of rows and each run's sample
indices point into its own block.
"""

import numpy as np

from .._common import format_table, pyplot, save_figure
from ..seeds.study import generator
from .problems import HIGHAM, grid, higham_rows, network, synthetic

AGREE = 0.95


def solution_map(ctx, net, X, Y):
    study = ctx.study()
    solved = [p for p in study.parameters if net.correct(X, Y, p) == len(X)]
    G = grid(ctx.sizes["grid"])
    votes = np.zeros(len(G))
    for p in solved:
        votes += net.class_a(G, p)
    share_a = votes / max(1, len(solved))
    agree = float(np.mean((share_a >= AGREE) | (share_a <= 1 - AGREE)))
    return G, share_a, agree, len(solved)


def train_synthetic(ctx, sizes, settings, steps, root):
    """Test error of each (n, noise, seed) in ``settings`` for the width ``sizes``, one lanes call."""
    net = network(sizes)
    blocks, P, orders, offsets = [], [], [], 0
    for n, noise, seed in settings:
        rng = generator(root, seed)
        rows, _, _ = synthetic(n, noise, rng)
        P.append(net.draw(rng))
        orders.append(rng.integers(0, n, size=steps) + offsets)  # uniform, as sample_order (n may exceed 255)
        blocks.append(rows)
        offsets += n
    table = np.vstack(blocks)
    P = np.array(P)
    net.cost.sgd_run_lanes(table, np.array(orders), P, 0.05)
    _, Xt, Yt = synthetic(ctx.sizes["test_points"], 0.0, np.random.default_rng([root, 99]))
    errors = np.array([1.0 - net.correct(Xt, Yt, p) / len(Xt) for p in P])
    train_errors = [1.0 - net.correct(rows[:, :2], rows[:, 2:], p) / len(rows) for rows, p in zip(blocks, P)]
    return errors, np.array(train_errors)


def run(ctx):
    say = ctx.say
    _, X, Y = higham_rows()
    net = network(HIGHAM)
    _, share_a, agree, n_solved = solution_map(ctx, net, X, Y)
    say(f"Q3. Generalises? (a) {n_solved} solutions of the shared study on a {ctx.sizes['grid']}² grid: they agree "
        f"(≥ {100 * AGREE:g} % the same class) on {100 * agree:.1f} % of the unit square.")
    s = ctx.sizes
    settings = [(n, noise, seed) for n in s["ns"] for noise in s["noise"] for seed in range(s["synthetic_seeds"])]
    results = {}
    for sizes in s["widths"]:
        results[sizes] = train_synthetic(ctx, sizes, settings, s["synthetic_steps"], ctx.seed)
    table = []
    for sizes, (test, train) in results.items():
        for noise in s["noise"]:
            row = ["-".join(map(str, sizes)), f"{100 * noise:g} %"]
            for n in s["ns"]:
                m = np.array([(a == n and b == noise) for a, b, _ in settings])
                row.append(f"{100 * np.median(test[m]):.1f} % ({100 * np.median(train[m]):.0f} %)")
            table.append(row)
    say(f"    (b) synthetic problem, {s['synthetic_steps']:,} SGD steps, median over {s['synthetic_seeds']} "
        f"seeds of the test error on {s['test_points']:,} points (training error in brackets):")
    headers = ["network", "label noise"] + [f"n = {n}" for n in s["ns"]]
    say("    " + format_table(headers, table).replace("\n", "\n    "))
    paper = results[s["widths"][0]][0]
    first = np.array([a == s["ns"][0] and b == 0.0 for a, b, _ in settings])
    last = np.array([a == s["ns"][-1] and b == 0.0 for a, b, _ in settings])
    widest = results[s["widths"][-1]][0]
    answer = (f"On the ten points, the solutions agree on {100 * agree:.0f} % of the square and disagree on the rest, "
              f"away from the data: the data do not determine the classifier there. On the synthetic problem without "
              f"noise, the paper's network's median test error falls from {100 * np.median(paper[first]):.1f} % at "
              f"n = {s['ns'][0]} to {100 * np.median(paper[last]):.1f} % at n = {s['ns'][-1]}; the widest network "
              f"tried ({'-'.join(map(str, s['widths'][-1]))}) has {100 * np.median(widest[last]):.1f} % at "
              f"n = {s['ns'][-1]}.")
    ctx.answer("generalisation", answer)
    if not ctx.no_plots:
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
        k = s["grid"]
        im = axes[0].imshow(share_a.reshape(k, k), origin="lower", extent=(0, 1, 0, 1), cmap="RdBu_r", vmin=0, vmax=1)
        a = Y[:, 0] > Y[:, 1]
        axes[0].scatter(X[a, 0], X[a, 1], marker="o", facecolors="none", edgecolors="black")
        axes[0].scatter(X[~a, 0], X[~a, 1], marker="x", color="black")
        fig.colorbar(im, ax=axes[0], label="fraction of solutions calling it class A")
        axes[0].set_title(f"{n_solved} solutions agree (≥ 95 %) on {100 * agree:.1f} % of the square", fontsize=9)
        for sizes, (test, _) in results.items():
            for noise, ls in zip(s["noise"], ("-", "--")):
                med = [np.median(test[np.array([(a == n and b == noise) for a, b, _ in settings])]) for n in s["ns"]]
                axes[1].plot(s["ns"], 100 * np.array(med), ls=ls, marker="o",
                             label=f"{'-'.join(map(str, sizes))}, noise {100 * noise:g} %")
        axes[1].set_xscale("log")
        axes[1].set_xlabel("training points n")
        axes[1].set_ylabel("median test error (%)")
        axes[1].legend(fontsize=7)
        ctx.wrote(save_figure(fig, ctx.out, "generalisation"))
    return {"agree": agree, "solutions": n_solved}
