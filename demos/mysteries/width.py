"""Question 5: why do high dimensions seem to help?

The hidden layers are widened — 2-2-3-2 (the paper's), 2-3-4-2, 2-4-6-2, 2-8-12-2, 2-16-24-2 — and each
network is trained from many starts on the same ten points, with the same η and number of steps,
the initial parameters drawn both as the paper's 0.5·N(0, 1) and with each weight divided by √(fan-in)
(a wider layer's pre-activations otherwise spread √width times wider and saturate the sigmoids).
For each: the fraction that classifies all ten points, the fraction still on a plateau at the end
(never below Cost 0.01, ``runs.THRESHOLD``, as demos.seeds), the median step at which a run leaves
it, the median final Cost, and the curvature on the plateau: for the first runs that have one, the
most negative eigenvalue of the exact Hessian at the record in the middle of their plateau.
Run i of every network draws from the same generator (child i of the seed), so the starts differ
only where the networks do. Each network's runs are jobs on the executor (local or Dask).
"""

import numpy as np

from .._common import format_table, pyplot, save_figure
from . import runs as runs_module
from .problems import higham_rows, network

SCALES = ("paper", "fan-in")


def plateau_curvature(net, rows, result, limit):
    """The smallest Hessian eigenvalue at the middle record of the plateau of the snapshot runs."""
    values = []
    for k, i in enumerate(result.indices):
        snaps = result.snapshots.get(int(i))
        if snaps is None or net.n_params > limit:
            continue
        costs = result.costs[k]
        below = np.flatnonzero(costs < runs_module.THRESHOLD)
        end = below[0] if below.size else len(costs)
        if end <= 2:
            continue  # left before a second record: no plateau to look at
        middle = (1 + end) // 2
        values.append(net.curvature(rows, snaps[middle])[0][0])
    return values


def run(ctx):
    say = ctx.say
    s = ctx.sizes
    rows, X, Y = higham_rows()
    steps, N = s["width_steps"], s["width_starts"]
    table, results = [], {}
    for sizes in s["width_sizes"]:
        net = network(sizes)
        for scale in SCALES:
            job_list = runs_module.jobs(sizes, ctx.seed, range(N), steps, max(1, steps // 100), scale,
                                        snapshots=s["hessian_runs"])
            result = runs_module.run(job_list, ctx.executor)
            correct = np.array([net.correct(X, Y, p) == len(X) for p in result.parameters])
            leave = result.leave_steps()
            curv = plateau_curvature(net, rows, result, s["hessian_max_params"])
            results[sizes, scale] = (correct.mean(), np.mean(leave < 0), leave, result.final_costs, curv)
            left = leave[leave >= 0]
            table.append(["-".join(map(str, sizes)), net.n_params, scale, f"{100 * correct.mean():.1f} %",
                          f"{100 * np.mean(leave < 0):.1f} %", f"{np.median(left):,.0f}" if left.size else "-",
                          f"{np.median(result.final_costs):.2g}",
                          f"{min(curv):.2e} ({len(curv)})" if curv else "-", f"{result.seconds:.1f} s"])
    say(f"Q5. Width: {N} starts per network and scale, {steps:,} steps, η = 0.05, the ten points:")
    say("    (init: the initial scale; 10/10: all ten points correct; plateau: still on one at the end; "
        "leave, Cost: the medians of the step a run leaves the plateau at and of the final Cost; λ_min: the most "
        "negative Hessian eigenvalue on the plateau, of that many runs)")
    say("    " + format_table(["network", "params", "init", "10/10", "plateau", "leave", "Cost", "λ_min (runs)",
                              "time"], table).replace("\n", "\n    "))
    first, last = s["width_sizes"][0], s["width_sizes"][-1]
    answer = (f"With the paper's scale, all ten points are classified by {100 * results[first, 'paper'][0]:.0f} % of "
              f"{'-'.join(map(str, first))} runs and {100 * results[last, 'paper'][0]:.0f} % of "
              f"{'-'.join(map(str, last))} runs, with {100 * results[first, 'paper'][1]:.0f} % and "
              f"{100 * results[last, 'paper'][1]:.0f} % still on a plateau after {steps:,} steps; scaled by 1/√fan-in, "
              f"{100 * results[first, 'fan-in'][0]:.0f} % and {100 * results[last, 'fan-in'][0]:.0f} %. ")
    curvs = {k: v[4] for k, v in results.items() if v[4]}
    if curvs:
        answer += ("The plateaus seen are saddles: every plateau Hessian computed has a negative eigenvalue "
                   if all(min(v) < 0 for v in curvs.values()) else
                   "Not every plateau Hessian computed has a negative eigenvalue ")
        answer += f"(most negative {min(min(v) for v in curvs.values()):.2e})."
    ctx.answer("width", answer)
    if not ctx.no_plots:
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        params = [network(sz).n_params for sz in s["width_sizes"]]
        for scale, marker in zip(SCALES, ("o", "s")):
            axes[0].plot(params, [100 * results[sz, scale][0] for sz in s["width_sizes"]], marker=marker,
                         label=f"all ten correct, {scale} scale")
            axes[0].plot(params, [100 * results[sz, scale][1] for sz in s["width_sizes"]], marker=marker, ls="--",
                         label=f"still on a plateau, {scale} scale")
            axes[1].plot(params, [np.median(results[sz, scale][3]) for sz in s["width_sizes"]], marker=marker,
                         label=f"{scale} scale")
        for ax in axes:
            ax.set_xscale("log")
            ax.set_xlabel("parameters (2-2-3-2 … 2-16-24-2)")
            ax.legend(fontsize=7)
        axes[0].set_ylabel("% of runs")
        axes[1].set_yscale("log")
        axes[1].set_ylabel("median final Cost")
        ctx.wrote(save_figure(fig, ctx.out, "width"))
    return {k: v[:2] for k, v in results.items()}
