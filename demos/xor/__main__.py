"""python -m demos.xor: XOR solved exactly and learned (Goodfellow et al. §6.1, Figures 6.1–6.3)."""

import sys

import numpy as np

from .._common import (Stopwatch, check_out_dir, float_in, format_table, int_in, make_parser, reporter,
                       require_for, show)
from . import exact, learning, run_experiment

DEFAULT_SEEDS = 100


def _vector(v):
    return "[" + ", ".join(f"{x:g}" for x in v) + "]"


def _parse(argv):
    parser = make_parser("xor", __doc__.split(": ", 1)[1])
    for action in parser._actions:
        if action.dest == "seed":
            action.help = "first training seed: the runs use seeds SEED, SEED+1, ... (default: 0)"
    parser.add_argument("--seeds", type=int_in(1, 1000), default=DEFAULT_SEEDS, metavar="N",
                        help=f"number of seeded training runs (default: {DEFAULT_SEEDS})")
    parser.add_argument("--steps", type=int_in(1, 100_000), default=learning.STEPS,
                        help=f"gradient-descent steps per run (default: {learning.STEPS})")
    parser.add_argument("--lr", type=float_in(0, 100), default=learning.LEARNING_RATE,
                        help=f"learning rate (default: {learning.LEARNING_RATE:g})")
    args = parser.parse_args(argv)
    check_out_dir(parser, args)
    require_for("xor", args, "scipy")
    return args


def report_exact(result, say):
    w, b, predictions, mse = result.linear
    w = np.round(w, 12) + 0.0  # lstsq leaves ~1e-16 where the normal equations give exactly 0
    say("1. XOR is not linearly separable (Figure 6.1, left).")
    say(f"   Best linear model f(x) = wᵀx + b by least squares: w = ({w[0]:g}, {w[1]:g}), b = {b:.6g};")
    say(f"   it predicts {_vector(np.round(predictions, 12))} (0.5 everywhere), MSE = {mse:.6g}.")
    s = result.solution
    say("2. The exact solution, eqs. 6.3–6.6: W = [[1, 1], [1, 1]], c = [0, -1], w = [1, -2], b = 0.")
    rows = [(_vector(x), _vector(z), _vector(h), f"{f:g}", f"{y:g}")
            for x, z, h, f, y in zip(exact.X, s["z"], s["h"], s["f"], exact.TARGETS)]
    table = format_table(["x", "z = Wᵀx + c", "h = max{0, z}", "f(x)", "target"], rows)
    say("   " + table.replace("\n", "\n   "))
    say(f"   J = (1/4) Σ (f*(x) − f(x))² = {s['cost']!r}: a global minimum, since J ≥ 0 everywhere.")
    say(f"   ∇J from one backward() = {_vector(np.abs(s['gradient']))} (relu'(0) taken as 0; z = 0 occurs "
        f"{int(np.sum(s['z'] == 0))} times, but every residual is 0, so any value of relu'(0) gives ∇J = 0).")
    say(f"   Central differences: max |ΔJ/Δθ| = {np.max(np.abs(result.fd_gradient)):.1e}, O(h) as it must be: "
        "J(θ* + δ) ≤ K‖δ‖², a stationary point.")


def report_learning(result, args, say):
    runs, counts = result.runs, result.counts
    n = len(runs)
    say(f"4. Learning: {n} runs (seeds {args.seed}..{args.seed + n - 1}), nn.MLP(2, [2, 1], relu, linear), "
        f"init U(−1, 1), {args.steps} full-batch gradient-descent steps, lr {args.lr:g}, MSE.")
    say(f"   {counts['success']} of {n} reach J < {learning.SUCCESS_COST:g}.")
    levels = learning.failure_levels(runs)
    rows = []
    for outcome in learning.OUTCOMES[1:]:
        for (o, level), k in sorted(levels.items(), key=lambda kv: kv[0][1]):
            if o == outcome:
                group = [r for r in runs if r.outcome == o and learning.cost_level(r.cost) == level]
                rows.append((outcome, f"J = {level}", k, sum(r.stationary for r in group),
                             sum(any(r.dead_at_start) for r in group)))
    if rows:
        say("   Failures (stationary: max |∂J/∂θ| < 1e-6 at the end, a plateau; dead at start: a unit "
            "already off on all inputs at initialisation):")
        table = format_table(["outcome", "final cost", "runs", "stationary", "dead at start"], rows)
        say("   " + table.replace("\n", "\n   "))
    say(f"   Distinct solutions: the successes show {len(result.groups)} activation patterns, of the "
        f"{len(result.patterns)} that exact solutions can have (linear programming, units unordered):")
    for pattern, group in result.groups:
        say(f"     {learning.describe_pattern(pattern):28s} {len(group):3d} run(s)")


def report_surface(slices, say):
    say("5. The cost surface: J(θ* + α d1 + β d2) on 2-D slices through the exact solution θ*, α, β ∈ [−1.5, 1.5]:")
    for title, _, _, alphas, betas, J in slices:
        zeros = np.argwhere(J < 1e-12)
        where = ", ".join(f"({alphas[j]:.3g}, {betas[i]:.3g})" for i, j in zeros[:4])
        say(f"   {title}: J from {J.min():.3g} to {J.max():.3g}; J < 1e-12 at {len(zeros)} grid point(s): {where}")


def _matrix(rows):
    return "[" + ", ".join(_vector(r) for r in rows) + "]"


def summary_lines(result):
    s, counts, n = result.solution, result.counts, len(result.runs)
    failures = ", ".join(f"{counts[o]} {o}" for o in learning.OUTCOMES[1:])
    return [
        f"XOR exact solution: h = {_matrix(s['h'])}, "
        f"f = {_vector(s['f'])}, J = {s['cost']!r}, max |∇J| = {np.max(np.abs(s['gradient'])):g}",
        f"XOR learned: {counts['success']}/{n} runs reach J < {learning.SUCCESS_COST:g}; failures: {failures}; "
        f"{len(result.groups)} of {len(result.patterns)} exact activation patterns found; "
        f"training {result.seconds:.1f} s ({result.cpu_seconds:.1f} s CPU)",
    ]


def draw(result, slices, args, say):
    from . import figures
    paths = figures.plot_not_separable(result.linear, args.out)
    paths += figures.plot_feature_space(result.solution, args.out)
    network_paths, message = figures.draw_network_diagram(args.out)
    paths += network_paths
    if message:
        print(message, file=sys.stderr)
    paths += figures.plot_relu(args.out)
    paths += figures.plot_learned_solutions(result.groups, args.out)
    paths += figures.plot_training(result.runs, args.out)
    paths += figures.plot_cost_surface(slices, args.out)
    for path in paths:
        say(f"wrote {path}")


def main(argv=None):
    args = _parse(argv)
    say = reporter(args.quiet)
    with Stopwatch() as clock:
        result = run_experiment(range(args.seed, args.seed + args.seeds), steps=args.steps, lr=args.lr)
    report_exact(result, say)
    say("3. The network diagram (Figure 6.2)" + (" is skipped (--no-plots)." if args.no_plots else
                                                 f": {args.out}/xor_network.svg"))
    report_learning(result, args, say)
    slices = exact.surface_slices(seed=args.seed)
    report_surface(slices, say)
    if not args.no_plots:
        say(f"6. The rectified linear unit g(z) = max{{0, z}} (Figure 6.3): {args.out}/xor_relu.svg")
        draw(result, slices, args, say)
    for line in summary_lines(result):
        show(line)
    say(f"total {clock.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
