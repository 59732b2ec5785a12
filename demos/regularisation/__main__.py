"""python -m demos.regularisation: an over-sized MLP on 30 two-moons points, with and without an L2
penalty and early stopping."""

import sys

import numpy as np

from .._common import (Stopwatch, check_out_dir, float_in, format_table, int_in, make_parser, reporter,
                       require_for, show)
from . import ALPHA, HIDDEN, LEARNING_RATE, N_TRAIN, NOISE, PATIENCE, STEPS, plot, run, table


def main(argv=None):
    parser = make_parser("regularisation", __doc__.split(": ", 1)[1])
    parser.add_argument("--alpha", type=float_in(0, 10), default=ALPHA,
                        help=f"weight of the L2 penalty α Σ w² (default: {ALPHA:g})")
    parser.add_argument("--hidden", type=int_in(1, 256), default=HIDDEN,
                        help=f"neurons in each of the two hidden layers (default: {HIDDEN})")
    parser.add_argument("--steps", type=int_in(1, 100_000), default=STEPS, help=f"training steps (default: {STEPS})")
    parser.add_argument("--lr", type=float_in(0, 10), default=LEARNING_RATE,
                        help=f"Adam's learning rate (default: {LEARNING_RATE:g})")
    parser.add_argument("--patience", type=int_in(1, 100_000), default=PATIENCE,
                        help=f"early stopping: steps without a better validation cost (default: {PATIENCE})")
    parser.add_argument("--train", type=int_in(2, 10_000), default=N_TRAIN,
                        help=f"number of training points (default: {N_TRAIN})")
    parser.add_argument("--noise", type=float_in(0, 10), default=NOISE,
                        help=f"standard deviation of the two-moons noise (default: {NOISE:g})")
    parser.add_argument("--repeats", type=int_in(1, 100), default=1,
                        help="run seeds SEED, SEED+1, ... this many times and print the mean too "
                             "(figures show the first; default: 1)")
    args = parser.parse_args(argv)
    check_out_dir(parser, args)
    require_for("regularisation", args)
    say = reporter(args.quiet)

    results = []
    for seed in range(args.seed, args.seed + args.repeats):
        with Stopwatch() as clock:
            result = run(seed, args.hidden, args.steps, args.lr, args.alpha, args.patience, args.noise, args.train)
        results.append(result)
        model_size = sum(v.size for v in result.plain.final.values())
        say(f"seed {seed}: {len(result.data.y)} training, {len(result.data.y_valid)} validation, "
            f"{len(result.data.y_test)} test points; MLP 2-{args.hidden}-{args.hidden}-1, "
            f"{model_size} parameters; {args.steps} full-batch Adam steps, lr {args.lr:g} ({clock.seconds:.1f} s)")
        show(table(result))  # the summary: printed even with --quiet
    if args.repeats > 1:
        rows = []
        for k, label in enumerate(o.label for o in results[0].outcomes):
            outs = [r.outcomes[k] for r in results]
            rows.append([label] + [f"{np.mean([getattr(o, f) for o in outs]):.3f}" for f in
                                   ("train_accuracy", "valid_accuracy", "test_accuracy", "weight_norm")])
        say(f"mean over seeds {args.seed}..{args.seed + args.repeats - 1}:")
        show(format_table(["run", "train acc", "validation acc", "test acc", "‖W‖"], rows))
    first = results[0].outcomes
    say(f"L2 penalty: ‖W‖ {first[0].weight_norm:.2f} -> {first[1].weight_norm:.2f}; early stopping kept "
        f"step {results[0].best_step} of {args.steps} (stopped at {results[0].stop_step})")
    if not args.no_plots:
        for path in plot(results[0], args.out):
            say(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
