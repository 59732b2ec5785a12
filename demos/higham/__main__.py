"""python -m demos.higham: Higham & Higham's network trained by stochastic gradient and by least squares.

The steps of the report follow the paper: the data (§2, Figure 1), the 2-2-3-2 network (§2), single-
sample stochastic gradient as netbp.m (§4, §6), nonlinear least squares as nlsrun.m (§2), the classifier
on a 501 × 501 grid, and Lemma 5.1 (§5) checked against the engine's gradients.
"""

import sys
import time

import numpy as np

from .._common import check_out_dir, float_in, format_table, make_parser, positive_int, reporter
from . import ETA, ITERATIONS, lemma51, nls, training
from .data import points
from .figures import GRID, grid
from .network import HighamNetwork, make_network, parameter_list

METHODS = ("sgd", "nls", "both")


def _parse(argv):
    parser = make_parser("higham", __doc__.split(": ", 1)[1].split("\n")[0])
    parser.add_argument("--iterations", type=positive_int, default=ITERATIONS, metavar="N",
                        help=f"stochastic-gradient steps (default: {ITERATIONS:,}, netbp.m's Niter); the "
                             f"Cost is recorded every 10,000 steps, or every N//100 for shorter runs")
    parser.add_argument("--eta", type=float_in(0, 100), default=ETA,
                        help=f"learning rate η (default: {ETA:g}, as netbp.m)")
    parser.add_argument("--method", choices=METHODS, default="both",
                        help="stochastic gradient, least squares or both (default: both)")
    parser.add_argument("--eager", action="store_true",
                        help="train with the eager engine (a Value graph per step; 10 to 20 times "
                             "slower) instead of the compiled graph; same numbers bit for bit")
    args = parser.parse_args(argv)
    if args.iterations > training.MAX_ITERATIONS:
        parser.error(f"argument --iterations: at most {training.MAX_ITERATIONS:,} steps (the sample indices "
                     f"are drawn up front), got {args.iterations:,}")
    check_out_dir(parser, args)
    return args


def _indent(text, by="   "):
    return by + text.replace("\n", "\n" + by)


def report_data(X, Y, say):
    say("1. The data (§2, Figure 1): ten points in the unit square; class A (circles) has target "
        "y = (1, 0), class B (crosses) y = (0, 1).")
    rows = [(i, f"{x[0]:g}", f"{x[1]:g}", "A" if y[0] > y[1] else "B", f"({y[0]:g}, {y[1]:g})")
            for i, (x, y) in enumerate(zip(X, Y), 1)]
    say(_indent(format_table(["i", "x1", "x2", "class", "y"], rows)))


def report_network(net, seed, say):
    mlp = net.mlp
    say(f"2. The network (§2): F(x) = σ(W[4] σ(W[3] σ(W[2] x + b[2]) + b[3]) + b[4]), "
        f"{mlp.num_parameters()} parameters,")
    say(f"   each drawn as 0.5·N(0, 1) from numpy.random.default_rng({seed}) (W[l] row by row, then b[l], "
        f"layer by layer).")
    say("   MATLAB's rng(5000) stream cannot be reproduced in NumPy: the numbers and figures match the "
        "paper in kind, not digit for digit.")
    say(_indent(mlp.summary()))
    p = parameter_list(mlp)
    say(f"   Cost at the start (eq. 2.4, (1/10) Σ ½‖y − F(x)‖²): {net.cost(p):.6f}.")
    say("   Recorded once through nn.MLP and compiled by engine.compile: the per-sample cost C = ½‖y − F(x)‖² "
        "(inputs x, y), the residual ‖y − F(x)‖₂ and the classifier F(x)₁ − F(x)₂.")


def report_sgd(run, net, say):
    n = run.iterations[-1]
    every = run.iterations[1] - run.iterations[0] if len(run.iterations) > 1 else n
    say(f"3. Stochastic gradient (§6 netbp.m; §4 approach 2, eq. 4.8 with m = 1): {n:,} steps p ← p − η ∇C_x(p), "
        f"η = {run.eta:g}, one point chosen uniformly at random per step, {run.engine} engine.")
    say(f"   The Cost (eq. 2.4) is recorded every {every:,} steps; the figure plots it on a log scale "
        f"(netbp.m plots ‖costvec‖² = 20 × Cost instead).")
    marks = sorted({min(range(len(run.iterations)), key=lambda i: abs(run.iterations[i] - f * n))
                    for f in np.linspace(0, 1, 11)})
    rows = [(f"{run.iterations[i]:,}", f"{run.costs[i]:.6g}", f"{20 * run.costs[i]:.6g}") for i in marks]
    say(_indent(format_table(["iteration", "Cost", "20 × Cost"], rows)))
    say(f"   {run.seconds:.2f} s, {1e6 * run.seconds / n:.2f} µs per step (Cost recording included); "
        f"{net.correct(run.parameters)} of 10 points classified correctly.")


def report_nls(run, net, say):
    say("4. Nonlinear least squares (§2, nlsrun.m): minimise Σ_i ‖y_i − F(x_i)‖₂² with "
        "scipy.optimize.least_squares (trust-region reflective, as lsqnonlin),")
    say("   from the same 0.5·N(0, 1) start; the 10 × 23 Jacobian comes from the engine "
        "(reverse mode on the compiled residual graph), not from finite differences.")
    say(f"   Cost {run.start_cost:.6f} → {run.cost:.6g} in {run.evaluations} residual and {run.jacobians} "
        f"Jacobian evaluations, {run.seconds:.2f} s; {run.message}")
    say(f"   {net.correct(run.parameters)} of 10 points classified correctly.")


def report_classifier(panels, say):
    say(f"5. The classifier (§2, §6): grey where F(x)₁ ≥ F(x)₂ (class A) on the {GRID} × {GRID} grid of the "
        f"unit square:")
    for title, mask in panels:
        say(f"   {title.replace(chr(10), ', ')}: class A on {100 * mask.mean():.1f}% of the grid")


def report_lemma(check, i, where, say):
    say(f"6. Lemma 5.1 (§5) at the {where}, for point {i} (the one with the largest cost there), "
        f"x = ({check.x[0]:g}, {check.x[1]:g}), y = ({check.y[0]:g}, {check.y[1]:g}), C = {check.cost:.6g}:")
    say("   δ[l] from (5.5)–(5.6) in NumPy, and the gradient that backward() left on the engine's node z[l]_j:")
    rows = [(r.name[2], r.name.split("_")[1], r.equation, f"{r.lemma:.15e}", f"{r.engine:.15e}",
             f"{r.difference:.1e}") for r in check.deltas]
    say(_indent(format_table(["l", "j", "eq.", "δ[l]_j (lemma)", "∂C/∂z[l]_j (engine)", "abs. difference"], rows)))
    say("   Parameter gradients, (5.7) ∂C/∂b[l]_j = δ[l]_j and (5.8) ∂C/∂w[l]_jk = δ[l]_j a[l−1]_k:")
    rows = [(r.name, r.equation, f"{r.lemma:.15e}", f"{r.engine:.15e}", f"{r.difference:.1e}")
            for r in check.parameters]
    say(_indent(format_table(["parameter", "eq.", "lemma", "engine (.grad)", "abs. difference"], rows)))
    say(f"   Largest difference: {check.largest_difference:.1e} (relative: {check.largest_relative_difference:.1e}; "
        f"float64 rounding is 1.1e-16 per operation)")


def main(argv=None):
    began = time.perf_counter()
    args = _parse(argv)
    say = reporter(args.quiet)
    say("Higham & Higham, \"Deep Learning: An Introduction for Applied Mathematicians\" (SIAM Review, 2019): "
        "the network of §2 and §6.")

    X, Y = points()
    report_data(X, Y, say)
    rng = np.random.default_rng(args.seed)
    net = HighamNetwork(make_network(rng), X, Y)   # the weights first, then the sample indices
    order = training.sample_order(rng, args.iterations) if args.method != "nls" else None
    report_network(net, args.seed, say)

    results = {}  # method name → (final parameters, Cost, seconds)
    sgd = None
    if args.method in ("sgd", "both"):
        show_bar = not args.quiet and args.iterations >= training.PROGRESS_FROM
        sgd = training.train(net, order, args.eta, eager=args.eager, progress=show_bar)
        report_sgd(sgd, net, say)
        results[f"stochastic gradient ({sgd.engine})"] = (sgd.parameters, sgd.final_cost, sgd.seconds)
    fit = None
    if args.method in ("nls", "both"):
        fit = nls.fit(net)
        results["least squares"] = (fit.parameters, fit.cost, fit.seconds)
        report_nls(fit, net, say)

    _, _, grid_points = grid()
    panels = []
    for name, (p, cost, _) in results.items():
        mask = net.class_a(grid_points, p).reshape(GRID, GRID)
        title = (f"stochastic gradient, {args.iterations:,} steps (§6)" if name.startswith("stochastic")
                 else "nonlinear least squares, as nlsrun.m (§2)")
        panels.append((f"{title}\nCost {cost:.3g}, {net.correct(p)}/10 points correct", mask))
    report_classifier(panels, say)

    final = sgd.parameters if sgd is not None else fit.parameters
    where = "final stochastic-gradient weights" if sgd is not None else "least-squares solution"
    net.cost_graph.write_params(final)   # the recorded Values of net.mlp now hold the final weights
    costs = net.cost_graph.forward_array(np.array(net.rows), final)
    i = int(np.argmax(costs))
    report_lemma(lemma51.check(net.mlp, X[i], Y[i]), i + 1, where, say)

    if not args.no_plots:
        from .figures import plot_boundaries, plot_cost, plot_data
        paths = plot_data(X, Y, args.out)
        if sgd is not None:
            paths += plot_cost(sgd, args.out)
        paths += plot_boundaries(panels, X, Y, args.out)
        for path in paths:
            say(f"wrote {path}")

    total = time.perf_counter() - began
    print("7. Summary")  # printed even with --quiet
    rows = [(name, f"{cost:.6g}", f"{net.correct(p)}/10", f"{seconds:.2f} s")
            for name, (p, cost, seconds) in results.items()]
    print(_indent(format_table(["method", "final Cost (eq. 2.4)", "points correct", "time"], rows)))
    print(f"   {net.mlp.num_parameters()} parameters; whole demo {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
