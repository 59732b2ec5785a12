"""Question 1: are there local minima that are not global?

The shared study (run i = ``demos.seeds``' run i) ends some runs still on a plateau (Cost above
``THRESHOLD``). Those runs are continued, with the indices their generators draw next, to ten times
the steps. At the end point of every run the exact 23 × 23 Hessian of the Cost (2.6)
(``engine.hessian_of``) and ‖∇Cost‖ classify it:

* **still moving**: the Cost fell by more than ``MOVING`` (relative) over the last tenth of the run;
* else a **minimum** when no eigenvalue is below −τ, a **saddle** when one is.

τ is the rounding of H itself: H is computed twice over in effect (∂²/∂p_i∂p_j and ∂²/∂p_j∂p_i
round differently), so E = H − Hᵀ measures its rounding; by Weyl's inequality an eigenvalue moves by
at most ‖E‖₂ ≤ n·max|E_ij|, and τ = ``SAFETY`` · n · max|E_ij|.
"""

import numpy as np

from .._common import format_table, pyplot, save_figure
from . import runs as runs_module
from .problems import ETA, HIGHAM, higham_rows, network

MOVING = 0.01
SAFETY = 10.0


def classify(eigenvalues, asymmetry, fall):
    tau = SAFETY * len(eigenvalues) * max(asymmetry, np.finfo(float).eps * np.abs(eigenvalues).max())
    if fall > MOVING:
        return "still moving", tau
    return ("minimum" if eigenvalues[0] >= -tau else "saddle"), tau


def last_tenth_fall(steps, costs):
    """Relative fall of the Cost over the last tenth of the run (from the records)."""
    k = int(np.searchsorted(steps, 0.9 * steps[-1]))
    return (costs[k] - costs[-1]) / costs[-1]


def run(ctx):
    say = ctx.say
    study = ctx.study()
    rows, X, Y = higham_rows()
    net = network(HIGHAM)
    n, S = len(study.indices), int(study.steps[-1])
    stuck = np.flatnonzero(study.final_costs >= runs_module.THRESHOLD)
    say(f"Q1. Many local minima? The shared study: {n:,} runs of {S:,} steps (run i = demos.seeds' run i); "
        f"{len(stuck)} end with Cost ≥ {runs_module.THRESHOLD:g} (on a plateau).")
    more = 9 * S
    continued = None
    if len(stuck):
        starts = {int(study.indices[k]): study.parameters[k] for k in stuck}
        job_list = runs_module.jobs(HIGHAM, ctx.seed, [int(study.indices[k]) for k in stuck], more,
                                    max(1, more // 90), skip=S)
        continued = runs_module.run(job_list, ctx.executor, starts)
    final = study.parameters.copy()
    fall = np.array([last_tenth_fall(study.steps, c) for c in study.costs])
    total_steps = np.full(n, S)
    if continued is not None:
        final[stuck] = continued.parameters
        fall[stuck] = [last_tenth_fall(continued.steps + S, c) for c in continued.costs]
        total_steps[stuck] = S + more
    left = 0 if continued is None else int(np.sum(continued.final_costs < runs_module.THRESHOLD))
    records = []
    for k in range(n):
        eig, gnorm, asym = net.curvature(rows, final[k])
        kind, tau = classify(eig, asym, fall[k])
        cost = float(net.costs(rows, final[k:k + 1])[0])
        records.append((kind, cost, eig[0], eig[-1], gnorm, tau, net.correct(X, Y, final[k])))
    kinds = np.array([r[0] for r in records])
    cost = np.array([r[1] for r in records])
    lmin = np.array([r[2] for r in records])
    gn = np.array([r[4] for r in records])
    taus = np.array([r[5] for r in records])
    low = cost < runs_module.THRESHOLD
    table = []
    for kind in ("minimum", "saddle", "still moving"):
        for name, mask in (("Cost < 0.01", low), ("Cost ≥ 0.01", ~low)):
            m = (kinds == kind) & mask
            if m.any():
                table.append([kind, name, int(m.sum()), f"{cost[m].min():.3g}–{cost[m].max():.3g}",
                              f"{lmin[m].min():.2e}–{lmin[m].max():.2e}", f"{gn[m].min():.1e}–{gn[m].max():.1e}"])
    say(f"    Continued {len(stuck)} plateau runs by {more:,} more steps (to {S + more:,}): {left} of them get "
        f"below Cost {runs_module.THRESHOLD:g}.")
    say(f"    End points classified (τ from rounding, {taus.min():.1e} to {taus.max():.1e}; 'still moving': Cost "
        f"fell > {100 * MOVING:g} % over the last tenth):")
    say("    " + format_table(["class", "end Cost", "runs", "Cost range", "λ_min range", "‖∇Cost‖ range"], table)
        .replace("\n", "\n    "))
    local = (kinds == "minimum") & ~low
    plateau_saddles = (kinds == "saddle") & ~low
    plateau_moving = (kinds == "still moving") & ~low
    answer = (f"Of {n:,} runs, {int(low.sum())} end below Cost {runs_module.THRESHOLD:g}, and of those "
              f"{int(np.sum((kinds == 'still moving') & low))} are still moving (the Cost keeps falling towards 0 as "
              f"the weights grow: no minimum at a finite point). ")
    if (~low).any():
        answer += (f"Of the {int((~low).sum())} runs still above {runs_module.THRESHOLD:g} after "
                   f"{S + more:,} steps, {int(local.sum())} sit at a point with no negative curvature beyond rounding "
                   f"(a local, not global, minimum as far as the Hessian can tell), {int(plateau_saddles.sum())} at a "
                   f"saddle and {int(plateau_moving.sum())} are still moving, so non-global local minima "
                   + ("do occur here." if local.any() else "were not found."))
        if plateau_saddles.any():
            escape = 1.0 / (ETA * np.abs(lmin[plateau_saddles]))
            answer += (f" But the saddles are nearly flat: λ_min from {lmin[plateau_saddles].min():.1e} to "
                       f"{lmin[plateau_saddles].max():.1e}, so growing away along it by a factor e takes "
                       f"1/(η|λ_min|) = {np.median(escape):.2g} steps (median) — in practice a trap.")
    else:
        answer += (f"All {len(stuck)} runs still on a plateau after {S:,} steps left it within {S + more:,}: "
                   f"no non-global local minimum was found.")
    ctx.answer("minima", answer)
    if not ctx.no_plots:
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        colours = {"minimum": "tab:red", "saddle": "tab:blue", "still moving": "tab:green"}
        for kind, colour in colours.items():
            m = kinds == kind
            axes[0].scatter(cost[m], lmin[m], s=10, color=colour, label=f"{kind} ({int(m.sum())})")
        axes[0].set_xscale("log")
        axes[0].set_yscale("symlog", linthresh=1e-10)
        axes[0].set_xlabel("Cost at the end point")
        axes[0].set_ylabel("smallest Hessian eigenvalue λ_min")
        axes[0].legend(fontsize=8)
        axes[0].set_title("End points of every run, exact Hessian", fontsize=9)
        if continued is not None:
            for c in continued.costs:
                axes[1].semilogy(continued.steps + S, c, lw=0.8)
        axes[1].axhline(runs_module.THRESHOLD, color="black", ls=":", lw=0.8)
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("Cost (eq. 2.6)")
        axes[1].set_title(f"The {len(stuck)} plateau runs continued to {S + more:,} steps", fontsize=9)
        ctx.wrote(save_figure(fig, ctx.out, "minima"))
    return {"runs": n, "stuck": len(stuck), "left": left, "local minima": int(local.sum()),
            "saddles": int(plateau_saddles.sum()), "moving": int(plateau_moving.sum())}
