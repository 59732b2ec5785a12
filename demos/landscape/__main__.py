"""python -m demos.landscape: the loss landscapes of logistic regression (the slides' Figure 3.4)."""

import sys

from .._common import (Stopwatch, check_out_dir, float_in, int_in, make_parser, reporter, require_for, show)
from . import GRID_POINTS, GRID_RANGE, LEARNING_RATE, N_SAMPLES, START, STEPS, plot, run, summary


MAX_WORK = 4_000_000


def main(argv=None):
    parser = make_parser("landscape", __doc__.split(": ", 1)[1])
    parser.add_argument("--samples", type=int_in(2, 2_000), default=N_SAMPLES,
                        help=f"number of data points (default: {N_SAMPLES})")
    parser.add_argument("--grid", type=int_in(3, 201), default=GRID_POINTS,
                        help=f"grid points per axis over [-8, 8] (default: {GRID_POINTS})")
    parser.add_argument("--steps", type=int_in(1, 100_000), default=STEPS,
                        help=f"gradient-descent steps (default: {STEPS})")
    parser.add_argument("--lr", type=float_in(0, 100), default=LEARNING_RATE,
                        help=f"gradient-descent learning rate (default: {LEARNING_RATE:g})")
    parser.add_argument("--start", type=float_in(GRID_RANGE[0], GRID_RANGE[1], low_open=False), nargs=2,
                        default=list(START), metavar=("W", "B"),
                        help=f"start of gradient descent, inside the drawn square (default: {START[0]:g} {START[1]:g})")
    args = parser.parse_args(argv)
    # every grid point costs a gradient and a Hessian over all samples: about 1.4 s per 10**5
    # (grid point, sample) pairs, so the default 41 x 41 x 40 takes seconds; cap it near a minute
    if args.grid ** 2 * args.samples > MAX_WORK:
        parser.error(f"--grid {args.grid} with --samples {args.samples} is {args.grid ** 2 * args.samples:,} "
                     f"(grid point, sample) pairs, more than this demo computes in about a minute "
                     f"({MAX_WORK:,}); use a coarser grid or fewer samples")
    check_out_dir(parser, args)
    require_for("landscape", args, "scipy")
    say = reporter(args.quiet)

    with Stopwatch() as clock:
        result = run(args.seed, args.samples, args.grid, args.steps, args.lr, tuple(args.start))
    lines = summary(result)
    for line in lines[:-1]:
        say(line)
    show(lines[-1])  # the conclusion: printed even with --quiet
    say(f"computed in {clock.seconds:.1f} s")
    if not args.no_plots:
        for path in plot(result, args.out):
            say(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
