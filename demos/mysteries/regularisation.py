"""Question 4: how does regularisation happen?

On one synthetic training set (n points, labels with noise, ``problems.synthetic``), the paper's
2-2-3-2 network is trained from the same starts, η = 0.05, with the same number of gradient
evaluations E (one per point per step), by

* single-sample SGD, approach 2 (eq. 4.8 with m = 1): a point uniformly at random each step, E steps;
* single-sample SGD, approach 1 (eq. 4.7): every epoch a fresh permutation of the n points, E steps;
* full gradient descent p ← p − η ∇Cost(p): E / n steps (the same evaluations);
* full gradient descent with E steps (n times the evaluations: as many updates as SGD).

Full gradient descent runs as lanes too: the training Cost over all n points is one graph (the data
are constants of it, the parameters its only arguments), so one step of every start is one lanes step.
At the end: the training Cost, the sharpness λ_max (largest eigenvalue of the exact Hessian of the
training Cost, ``engine.hessian_of``) and the test error on 10,000 fresh points with the true labels.
Early stopping: the Cost on a separate validation set (1,000 points, the same label noise) is
recorded 20 times along each run; the test error at the record with the lowest validation Cost.
"""

import numpy as np

import engine
from nn.losses import half_squared_error

from .._common import format_table, pyplot, save_figure
from ..seeds.study import generator
from .problems import HIGHAM, network, synthetic

NOISE = 0.1
SHORT = {"gradient descent, same evaluations": "GD, same evaluations", "gradient descent, same steps": "GD, same steps"}
FITTED = 0.15  # a training Cost below the plateau where the network calls everything one class (≈ 0.21)
CHECKPOINTS = 20


def full_cost_graph(net, rows):
    """The training Cost (1/n) Σ C_i as one compiled graph of the parameters alone."""
    mlp = net.mlp
    costs = [half_squared_error(mlp([float(a) for a in r[:2]]), [float(b) for b in r[2:]]) for r in rows]
    cost = sum(costs[1:], costs[0]) * (1.0 / len(costs))
    return engine.compile(cost, (), mlp.parameters(), backend=net.backend)


def run(ctx):
    say = ctx.say
    s = ctx.sizes
    n, R, E = s["reg_n"], s["reg_starts"], s["evaluations"]
    net = network(HIGHAM)
    data_rng = np.random.default_rng([ctx.seed, 4])
    train, _, _ = synthetic(n, NOISE, data_rng)
    valid, _, _ = synthetic(1_000, NOISE, data_rng)
    _, Xt, Yt = synthetic(s["test_points"], 0.0, data_rng)
    starts = np.array([net.draw(generator(ctx.seed, 40_000 + r)) for r in range(R)])
    gd = full_cost_graph(net, train)
    order_rng = np.random.default_rng([ctx.seed, 5])
    uniform = order_rng.integers(0, n, size=(R, E))
    epochs = np.array([np.concatenate([order_rng.permutation(n) for _ in range(-(-E // n))])[:E] for _ in range(R)])
    methods = {
        "SGD, approach 2 (uniform)": (net.cost, train, uniform),
        "SGD, approach 1 (epochs)": (net.cost, train, epochs),
        "gradient descent, same evaluations": (gd, np.zeros((1, 0)), np.zeros((R, max(1, E // n)), dtype=np.int64)),
        "gradient descent, same steps": (gd, np.zeros((1, 0)), np.zeros((R, E), dtype=np.int64)),
    }
    results = {}
    for name, (graph, rows, orders) in methods.items():
        P = starts.copy()
        T = orders.shape[1]
        marks = np.unique(np.linspace(0, T, CHECKPOINTS + 1).astype(int))
        val, tests = [], []
        for a, b in zip(marks[:-1], marks[1:]):
            graph.sgd_run_lanes(rows, np.ascontiguousarray(orders[:, a:b]), P, 0.05)
            val.append(net.costs(valid, P))
            tests.append([1.0 - net.correct(Xt, Yt, p) / len(Xt) for p in P])
        val, tests = np.array(val), np.array(tests)
        best = np.argmin(val, axis=0)
        sharp = np.array([net.curvature(train, p)[0][-1] for p in P])
        results[name] = dict(cost=net.costs(train, P), sharp=sharp, test=tests[-1],
                             early=tests[best, np.arange(R)], early_step=marks[1:][best], steps=T, curve=tests)
    table = [[name, f"{r['steps']:,}", f"{np.median(r['cost']):.3g}", f"{np.median(r['sharp']):.3g}",
              f"{100 * np.median(r['test']):.1f} %", f"{100 * np.median(r['early']):.1f} %"]
             for name, r in results.items()]
    say(f"Q4. Regularisation: n = {n} training points ({100 * NOISE:g} % labels flipped), {R} starts, "
        f"E = {E:,} gradient evaluations; medians over the starts:")
    say("    (medians over the runs: the training Cost, the sharpness λ_max (the largest Hessian eigenvalue), "
        "the test error, and the test error of the runs stopped early; GD: gradient descent)")
    say("    " + format_table(["method", "steps", "Cost", "λ_max", "test", "test, early stop"],
                              [[SHORT.get(row[0], row[0])] + row[1:] for row in table]).replace("\n", "\n    "))
    from scipy.stats import spearmanr
    sharp_all = np.concatenate([r["sharp"] for r in results.values()])
    test_all = np.concatenate([r["test"] for r in results.values()])
    cost_all = np.concatenate([r["cost"] for r in results.values()])

    def rank_correlation(mask):
        a, b = sharp_all[mask], test_all[mask]
        return float(spearmanr(a, b).statistic) if len(a) > 2 and np.ptp(a) and np.ptp(b) else float("nan")

    rho = rank_correlation(np.ones(len(sharp_all), dtype=bool))
    fitted = cost_all < FITTED  # runs that left the plateau (near 0.21, everything one class) and fit
    rho_fitted = rank_correlation(fitted)
    sgd, gd_same = results["SGD, approach 2 (uniform)"], results["gradient descent, same steps"]
    gd_evals = results["gradient descent, same evaluations"]
    flatter = np.median(sgd["sharp"]) < np.median(gd_same["sharp"])
    answer = (f"With the same evaluations, gradient descent takes only {gd_evals['steps']:,} steps and stays "
              f"at training Cost {np.median(gd_evals['cost']):.3g} (SGD: {np.median(sgd['cost']):.3g}). Against "
              f"gradient descent with as many steps, SGD's end points are "
              f"{'flatter' if flatter else 'not flatter'} (median λ_max "
              f"{np.median(sgd['sharp']):.3g} against {np.median(gd_same['sharp']):.3g}); test errors "
              f"{100 * np.median(sgd['test']):.1f} % against {100 * np.median(gd_same['test']):.1f} %. Across all "
              f"runs, Spearman's correlation of sharpness and test error is "
              f"{'undefined (one of them constant)' if rho != rho else f'{rho:.2f}'}, among the "
              f"{int(fitted.sum())} that fit (training Cost < {FITTED:g}) "
              f"{'undefined' if rho_fitted != rho_fitted else f'{rho_fitted:.2f}'}; early stopping on a validation "
              f"set changes SGD's median test error from {100 * np.median(sgd['test']):.1f} % to "
              f"{100 * np.median(sgd['early']):.1f} %.")
    ctx.answer("regularisation", answer)
    if not ctx.no_plots:
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for name, r in results.items():
            axes[0].scatter(r["sharp"], 100 * r["test"], s=14, label=name)
            frac = np.linspace(1 / CHECKPOINTS, 1, len(r["curve"]))
            axes[1].plot(frac, 100 * np.median(r["curve"], axis=1), marker=".", label=name)
        axes[0].set_xscale("log")
        axes[0].set_xlabel("sharpness λ_max of the training Cost at the end")
        axes[0].set_ylabel("test error (%)")
        axes[0].legend(fontsize=7)
        axes[1].set_xlabel("fraction of the run")
        axes[1].set_ylabel("median test error (%)")
        axes[1].legend(fontsize=7)
        ctx.wrote(save_figure(fig, ctx.out, "regularisation"))
    return {"rho": rho, "rho_fitted": rho_fitted}
