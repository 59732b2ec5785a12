"""python -m demos.landscape: the loss landscapes of logistic regression (the slides' Figure 3.4)."""

import sys

from .._common import (Stopwatch, check_out_dir, finite_float, make_parser, positive_float, positive_int,
                      reporter, require_for)
from . import GRID_POINTS, LEARNING_RATE, N_SAMPLES, START, STEPS, plot, run, summary


def main(argv=None):
    parser = make_parser("landscape", __doc__.split(": ", 1)[1])
    parser.add_argument("--samples", type=positive_int, default=N_SAMPLES,
                        help=f"number of data points (default: {N_SAMPLES})")
    parser.add_argument("--grid", type=positive_int, default=GRID_POINTS,
                        help=f"grid points per axis over [-8, 8] (default: {GRID_POINTS})")
    parser.add_argument("--steps", type=positive_int, default=STEPS,
                        help=f"gradient-descent steps (default: {STEPS})")
    parser.add_argument("--lr", type=positive_float, default=LEARNING_RATE,
                        help=f"gradient-descent learning rate (default: {LEARNING_RATE:g})")
    parser.add_argument("--start", type=finite_float, nargs=2, default=list(START), metavar=("W", "B"),
                        help=f"start of gradient descent (default: {START[0]:g} {START[1]:g})")
    args = parser.parse_args(argv)
    if args.samples < 2:
        parser.error("--samples must be at least 2")
    if args.grid < 3:
        parser.error("--grid must be at least 3")
    check_out_dir(parser, args)
    require_for("landscape", args, "scipy")
    say = reporter(args.quiet)

    with Stopwatch() as clock:
        result = run(args.seed, args.samples, args.grid, args.steps, args.lr, tuple(args.start))
    lines = summary(result)
    for line in lines[:-1]:
        say(line)
    print(lines[-1])  # the conclusion: printed even with --quiet
    say(f"computed in {clock.seconds:.1f} s")
    if not args.no_plots:
        for path in plot(result, args.out):
            say(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
