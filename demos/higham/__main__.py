"""python -m demos.higham: Higham & Higham's network trained by stochastic gradient and by least squares.

The steps of the report follow the paper: the data (§2, Figure 2.1), the 2-2-3-2 network (§2, Figure
2.3), single-sample stochastic gradient as netbp.m (§4, §6), nonlinear least squares as nlsrun.m (§2), the
classifier on a 501 × 501 grid, Lemma 5.1 (§5) checked against the engine's gradients, and with
--eleventh-point both methods again with one more category-B point (Figures 2.5 and 6.3).
"""

import sys
import time

import numpy as np

from .._common import (check_out_dir, float_in, format_table, make_parser, positive_int, reporter, require_for, show)
from . import ETA, ITERATIONS, lemma51, nls, training
from .data import ELEVENTH_POINT, points
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
    parser.add_argument("--eleventh-point", action="store_true",
                        help=f"also repeat both methods with one more category-B point at {ELEVENTH_POINT} "
                             "(the paper's Figures 2.5 and 6.3), from the same start; the stochastic gradient "
                             "takes as many steps again")
    parser.add_argument("--tol", type=float_in(0, 0.1), default=nls.SCIPY_TOL,
                        help=f"least squares: ftol = xtol = gtol (default: {nls.SCIPY_TOL:g}, SciPy's default; "
                             f"MATLAB's lsqnonlin defaults to {nls.LSQNONLIN_TOL:g}). The report also gives the "
                             f"Cost at {nls.LSQNONLIN_TOL:g}")
    parser.add_argument("--curvature", action="store_true",
                        help="also: the exact 23 × 23 Hessian of the Cost every 2,500 steps along the same "
                             "stochastic-gradient run, its eigenvalues and a noiseless descent from the "
                             "plateau (demos/higham/curvature.py; about a minute more)")
    args = parser.parse_args(argv)
    if args.curvature and args.method == "nls":
        parser.error("argument --curvature: needs the stochastic-gradient run (--method sgd or both)")
    if args.iterations > training.MAX_ITERATIONS:
        parser.error(f"argument --iterations: at most {training.MAX_ITERATIONS:,} steps (the sample indices "
                     f"are drawn up front), got {args.iterations:,}")
    check_out_dir(parser, args)
    require_for("higham", args, "scipy")
    return args


def _indent(text, by="   "):
    return by + text.replace("\n", "\n" + by)


def report_data(X, Y, say):
    say("1. The data (§2, Figure 2.1): ten points in the unit square; class A (circles) has target "
        "y = (1, 0), class B (crosses) y = (0, 1). The network's activation is the sigmoid (2.1), "
        "σ(x) = 1/(1 + e^(−x)) (Figure 2.2).")
    rows = [(i, f"{x[0]:g}", f"{x[1]:g}", "A" if y[0] > y[1] else "B", f"({y[0]:g}, {y[1]:g})")
            for i, (x, y) in enumerate(zip(X, Y), 1)]
    say(_indent(format_table(["i", "x1", "x2", "class", "y"], rows)))


def report_network(net, seed, say):
    mlp = net.mlp
    say(f"2. The network (§2, eq. 2.4, Figure 2.3): F(x) = σ(W[4] σ(W[3] σ(W[2] x + b[2]) + b[3]) + b[4]), "
        f"{mlp.num_parameters()} parameters,")
    say(f"   each drawn as 0.5·N(0, 1) from numpy.random.default_rng({seed}) (W[l] row by row, then b[l], "
        f"layer by layer).")
    say("   MATLAB's rng(5000) stream cannot be reproduced in NumPy: the numbers and figures match the "
        "paper in kind, not digit for digit.")
    say(_indent(mlp.summary()))
    p = parameter_list(mlp)
    say(f"   Cost at the start (eq. 2.6, (1/10) Σ ½‖y − F(x)‖²): {net.cost(p):.6f}.")
    say("   Recorded once through nn.MLP and compiled by engine.compile: the per-sample cost C = ½‖y − F(x)‖² "
        "(inputs x, y), the residual ‖y − F(x)‖₂ and the classifier F(x)₁ − F(x)₂.")


def report_sgd(run, net, say):
    n = run.iterations[-1]
    every = run.iterations[1] - run.iterations[0] if len(run.iterations) > 1 else n
    say(f"3. Stochastic gradient (§6 netbp.m, Figures 6.1 and 6.2; §4 approach 2, eq. 4.8 with m = 1): "
        f"{n:,} steps p ← p − η ∇C_x(p), "
        f"η = {run.eta:g}, one point chosen uniformly at random per step, {run.engine} engine.")
    say(f"   The Cost (eq. 2.6) is recorded every {every:,} steps; the figure plots it on a log scale "
        f"(netbp.m plots ‖costvec‖² = 20 × Cost instead).")
    marks = sorted({min(range(len(run.iterations)), key=lambda i: abs(run.iterations[i] - f * n))
                    for f in np.linspace(0, 1, 11)})
    rows = [(f"{run.iterations[i]:,}", f"{run.costs[i]:.6g}", f"{20 * run.costs[i]:.6g}") for i in marks]
    say(_indent(format_table(["iteration", "Cost", "20 × Cost"], rows)))
    say(f"   {run.seconds:.2f} s, {1e6 * run.seconds / n:.2f} µs per step (Cost recording included); "
        f"{net.correct(run.parameters)} of {net.n_points} points classified correctly.")


def report_nls(run, net, say, matlab=None):
    say("4. Nonlinear least squares (§2, nlsrun.m, Figure 2.4): minimise Σ_i ‖y_i − F(x_i)‖₂² with "
        "scipy.optimize.least_squares (trust-region reflective, as lsqnonlin),")
    say(f"   from the same 0.5·N(0, 1) start; the {net.n_points} × 23 Jacobian comes from the engine "
        "(reverse mode on the compiled residual graph), not from finite differences.")
    say(f"   Tolerances ftol = xtol = gtol = {run.tol:g}"
        + (" (SciPy's defaults)" if run.tol == nls.SCIPY_TOL else "")
        + f"; MATLAB's lsqnonlin stops at {nls.LSQNONLIN_TOL:g} by default (FunctionTolerance, StepTolerance, "
          "OptimalityTolerance; the tests are defined a little differently).")
    say(f"   Cost {run.start_cost:.6f} → {run.cost:.6g} in {run.evaluations} residual and {run.jacobians} "
        f"Jacobian evaluations, {run.seconds:.2f} s; {run.message}")
    if matlab is not None:
        say(f"   With lsqnonlin's tolerances ({matlab.tol:g}) the same start stops at Cost {matlab.cost:.6g} "
            f"after {matlab.evaluations} residual evaluations, {matlab.seconds:.2f} s "
            f"({net.correct(matlab.parameters)} of {net.n_points} correct).")
    say(f"   {net.correct(run.parameters)} of {net.n_points} points classified correctly.")


def report_classifier(panels, say):
    say(f"5. The classifier (§2 Figure 2.4, §6 Figure 6.2): grey where F(x)₁ ≥ F(x)₂ (class A) on the "
        f"{GRID} × {GRID} grid of the unit square:")
    for _, title, mask in panels:
        say(f"   {title.replace(chr(10), ', ')}: class A on {100 * mask.mean():.1f}% of the grid")


def report_eleventh(runs, net11, panels11, panels, say):
    say(f"6. The eleventh point (§2 Figure 2.5, §6 Figure 6.3): one more category-B point at {ELEVENTH_POINT}, "
        f"the ten others unchanged;")
    if not runs:
        say("   not run (add --eleventh-point).")
        return
    say("   the same 23 starting parameters; the stochastic gradient's indices uniform in 1..11, drawn after "
        "the weights from a fresh generator with the same seed.")
    ten = {method: mask for method, _, mask in panels}
    rows = []
    for (method, (p, cost, seconds)), (_, _, mask) in zip(runs.items(), panels11):
        correct = net11.class_a(net11.X, p) == (net11.Y[:, 0] > net11.Y[:, 1])
        changed = f"{100 * np.mean(mask != ten[method]):.1f}%" if method in ten else "—"
        rows.append((method, f"{cost:.6g}", f"{int(correct.sum())}/11", "yes" if correct[-1] else "no",
                     f"{100 * mask.mean():.1f}%", changed, f"{seconds:.2f} s"))
    say(f"   Final Cost (eq. 2.6); points correct; pt 11: is {ELEVENTH_POINT} classified correctly; class A: "
        "its share of the grid; changed: the share of the grid whose class differs from the ten-point run.")
    say(_indent(format_table(["method (11 points)", "final Cost", "correct", "pt 11", "class A", "changed",
                              "time"], rows)))


def report_lemma(check, i, where, say):
    say(f"7. Lemma 5.1 (§5) at the {where}, for point {i} (the one with the largest cost there), "
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


def run_methods(net, order, args, say, report=True):
    """The chosen methods on ``net``'s points: {name: (parameters, Cost, seconds)}, and the two runs."""
    results, sgd, fit, matlab = {}, None, None, None
    if args.method in ("sgd", "both"):
        show_bar = not args.quiet and args.iterations >= training.PROGRESS_FROM
        sgd = training.train(net, order, args.eta, eager=args.eager, progress=show_bar)
        results[f"stochastic gradient ({sgd.engine})"] = (sgd.parameters, sgd.final_cost, sgd.seconds)
        if report:
            report_sgd(sgd, net, say)
    if args.method in ("nls", "both"):
        fit = nls.fit(net, args.tol)
        results["least squares"] = (fit.parameters, fit.cost, fit.seconds)
        if report:
            if args.tol != nls.LSQNONLIN_TOL:   # what nlsrun.m's lsqnonlin would stop at, measured
                matlab = nls.fit(net, nls.LSQNONLIN_TOL)
            report_nls(fit, net, say, matlab)
    return results, sgd, fit


def classifier_panels(net, results, args, eleven=False):
    """(method, title, mask) per method: the class-A region on the 501 × 501 grid."""
    _, _, grid_points = grid()
    panels = []
    for name, (p, cost, _) in results.items():
        mask = net.class_a(grid_points, p).reshape(GRID, GRID)
        if name.startswith("stochastic"):
            title = f"stochastic gradient, {args.iterations:,} steps (§6, Fig. {'6.3' if eleven else '6.2'})"
        else:
            title = f"nonlinear least squares, as nlsrun.m (§2, Fig. {'2.5' if eleven else '2.4'})"
        panels.append((name, f"{title}\nCost {cost:.3g}, {net.correct(p)}/{net.n_points} points correct", mask))
    return panels

CURVATURE_EVERY = 2_500
DESCENT_STEPS = 250_000


def report_curvature(net, order, args, sgd, say):
    from . import curvature
    every = min(CURVATURE_EVERY, max(1, args.iterations // 20))  # short runs: about 20 Hessians
    say(f"Curvature (--curvature): the Cost (2.6) along the run of section 3, its exact 23 × 23 Hessian "
        f"(engine.hessian_of: second derivatives from the operation table) every {every:,} steps.")
    result = curvature.run(net, order, args.eta, every, start=sgd.start)
    same = result.parameters == sgd.parameters
    say(f"   The same run again, in chunks (final parameters {'equal' if same else 'DIFFER from'} section 3's "
        f"bit for bit); "
        f"SGD {result.seconds_sgd:.1f} s, {len(result.steps)} Hessians {result.seconds_hessians:.1f} s.")
    picks = curvature.phases(result)
    descents = []  # the same landscape without sampling noise: from SGD's start and from its plateau
    for name in ("start", "plateau"):
        if name in picks:
            at = result.steps[picks[name]]
            steps = min(DESCENT_STEPS, args.iterations)
            descents.append((at.step, curvature.gradient_descent(net, at.parameters, args.eta, steps,
                                                                 max(1, steps // 50))))
    lines = []
    curvature.report(result, args.eta, descents, lines.append)
    for line in lines:
        say(_indent(line))
    if not args.no_plots:
        for path in curvature.plot(result, args.out, descents):
            say(f"wrote {path}")


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

    results, sgd, fit = run_methods(net, order, args, say)
    panels = classifier_panels(net, results, args)
    report_classifier(panels, say)

    results11, panels11, net11 = {}, [], None
    if args.eleventh_point:
        X11, Y11 = points(eleventh_point=True)
        net11 = net.with_points(X11, Y11)           # the same network, the same start
        rng11 = np.random.default_rng(args.seed)
        make_network(rng11)                         # the same 23 draws, then indices in 1..11
        order11 = training.sample_order(rng11, args.iterations, n_points=11) if args.method != "nls" else None
        results11, _, _ = run_methods(net11, order11, args, say, report=False)
        panels11 = classifier_panels(net11, results11, args, eleven=True)
    report_eleventh(results11, net11, panels11, panels, say)

    final = sgd.parameters if sgd is not None else fit.parameters
    where = "final stochastic-gradient weights" if sgd is not None else "least-squares solution"
    net.cost_graph.write_params(final)   # the recorded Values of net.mlp now hold the final weights
    costs = net.cost_graph.forward_array(np.array(net.rows), final)
    i = int(np.argmax(costs))
    report_lemma(lemma51.check(net.mlp, X[i], Y[i]), i + 1, where, say)

    if not args.no_plots:
        from .diagrams import write_diagrams
        from .figures import plot_boundaries, plot_cost, plot_data, plot_sigmoid
        paths = plot_data(X, Y, args.out) + plot_sigmoid(args.out)
        if sgd is not None:
            paths += plot_cost(sgd, args.out)
        paths += plot_boundaries([(t, m) for _, t, m in panels], X, Y, args.out)
        if panels11:
            paths += plot_boundaries([(t, m) for _, t, m in panels11], net11.X, net11.Y, args.out,
                                     stem="boundary_eleven")
        diagram_paths, note = write_diagrams(net.mlp, args.out)
        for path in paths + diagram_paths:
            say(f"wrote {path}")
        if note:
            say(f"network diagrams: {note}")

    if args.curvature:
        report_curvature(net, order, args, sgd, say)

    total = time.perf_counter() - began
    show("8. Summary")  # printed even with --quiet
    rows = [(name, f"{cost:.6g}", f"{n.correct(p)}/{n.n_points}", f"{seconds:.2f} s")
            for n, res in ((net, results), (net11, results11)) for name, (p, cost, seconds) in res.items()]
    if results11:
        rows = [(("10 points: " if k < len(results) else "11 points: ") + r[0], *r[1:])
                for k, r in enumerate(rows)]
    show(_indent(format_table(["method", "final Cost (eq. 2.6)", "points correct", "time"], rows)))
    show(f"   {net.mlp.num_parameters()} parameters; whole demo {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
