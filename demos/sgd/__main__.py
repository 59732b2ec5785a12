"""python -m demos.sgd: full-batch gradient descent, Approaches 1 and 2, momentum and Adam on the Higham network."""

import sys

from .._common import (Stopwatch, check_out_dir, float_in, int_in, make_parser, reporter, require_for, show)
from . import ADAM_LR, BUDGET, LEARNING_RATE, RECORD_EVERY, compare, plot, table


def main(argv=None):
    parser = make_parser("sgd", __doc__.split(": ", 1)[1])
    parser.add_argument("--budget", type=int_in(10, 1_000_000), default=BUDGET,
                        help=f"single-sample gradient evaluations per method (default: {BUDGET})")
    parser.add_argument("--lr", type=float_in(0, 100), default=LEARNING_RATE,
                        help=f"η of the plain-SGD methods (default: {LEARNING_RATE:g}; momentum uses η(1 − β))")
    parser.add_argument("--adam-lr", type=float_in(0, 10), default=ADAM_LR,
                        help=f"learning rate of Adam (default: {ADAM_LR:g})")
    parser.add_argument("--record-every", type=int_in(1, 1_000_000), default=RECORD_EVERY,
                        help=f"evaluations between recorded costs (default: {RECORD_EVERY})")
    args = parser.parse_args(argv)
    check_out_dir(parser, args)
    require_for("sgd", args)
    say = reporter(args.quiet)

    say(f"Higham network 2-2-3-2, seed {args.seed}, {args.budget:,} single-sample gradient "
        f"evaluations per method; Cost = paper's eq. 2.6")
    with Stopwatch() as clock:
        runs = compare(args.seed, args.budget, args.lr, args.adam_lr, args.record_every,
                       on_run=lambda r: say(f"  {r.method.label:<32} Cost {r.costs[0]:.4f} -> "
                                            f"{r.final_cost:.3e} in {r.seconds:.1f} s"))
    show(table(runs))  # the summary: printed even with --quiet
    say(f"initial Cost {runs[0].costs[0]:.6f} (the same start for every method); "
        f"all methods in {clock.seconds:.1f} s")
    if not args.no_plots:
        for path in plot(runs, args.out):
            say(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
