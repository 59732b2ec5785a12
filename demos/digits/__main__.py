"""python -m demos.digits: a small convolutional network on 8 × 8 digits, Higham & Higham §7 in miniature.

The report follows §7: the data, the network, two training runs (without and with dropout; Figures
7.2, 7.3), the confusion matrices on the held-out test set (7.4, 7.5), misclassified images (7.6) and
one filter's weight sharing drawn on a slice of the graph.
"""

import sys
import time

import numpy as np

from engine import topological_order

from .._common import (check_out_dir, format_table, int_in, make_parser, positive_int, reporter, require_for, show)
from . import data, training
from .network import DROPOUT, FILTERS, DigitsNetwork, make_network


def _parse(argv):
    parser = make_parser("digits", __doc__.split(": ", 1)[1].split("\n")[0])
    parser.add_argument("--epochs", type=int_in(1, 200), default=training.EPOCHS,
                        help=f"epochs per run (default: {training.EPOCHS}); the η schedule is scaled to them")
    parser.add_argument("--batch", type=int_in(1, 1_797), default=training.BATCH,
                        help=f"minibatch size (default: {training.BATCH})")
    parser.add_argument("--filters", type=int_in(1, 32), default=FILTERS,
                        help=f"convolution filters (default: {FILTERS})")
    parser.add_argument("--images", type=positive_int, default=None, metavar="N",
                        help="use only N of the 1,797 images, split 60/20/20 (for a quick run; at least 10)")
    args = parser.parse_args(argv)
    if args.images is not None and not 10 <= args.images <= data.IMAGES:
        parser.error(f"argument --images: from 10 (three sets) to {data.IMAGES:,} (all of them), got {args.images}")
    check_out_dir(parser, args)
    return args


def _indent(text, by="   "):
    return by + text.replace("\n", "\n" + by)


def report_data(parts, say):
    say("1. The data: scikit-learn's 8 × 8 handwritten digits (1,797 images, pixels 0..16 scaled to [0, 1]), "
        "in place of the paper's CIFAR-10;")
    say("   one seeded permutation splits them 60/20/20, as the paper's training, validation and test sets:")
    rows = [(p.name, len(p), " ".join(str(int(c)) for c in np.bincount(p.labels, minlength=data.CLASSES)))
            for p in parts]
    say(_indent(format_table(["set", "images", "images of class 0 .. 9"], rows)))


def report_network(net, say):
    say(f"2. The network (§7's blocks in miniature), {net.num_parameters} parameters:")
    say(_indent(net.model.summary()))
    say(f"   One sample's loss (7.4) is recorded once as a graph of {len(topological_order(net.loss)):,} Values "
        f"and compiled by engine.compile; a minibatch is one call of its vectorised gradient_array.")


def report_run(run, net, test, say):
    cost, top1, top5, _, _ = net.evaluate(run.parameters, test)
    rates = ", ".join(f"η = {eta:g} for epoch{f's {first}–{last}' if last > first else f' {first}'}"
                      for first, last, eta in _schedule(run))
    say(f"   {run.name}: {len(run.epochs) - 1} epochs, {rates}; {run.seconds:.1f} s")
    rows = [(e, f"{eta:g}" if e else "", *(f"{run.curves[k][i]:.4f}" for k in (
        "training cost", "training top-1", "validation cost", "validation top-1")))
        for i, (e, eta) in enumerate(zip(run.epochs, run.rates))]
    say(_indent(format_table(["epoch", "η", "training cost", "training error", "validation cost",
                              "validation error"], rows), "      "))
    say(f"      test set: cost {cost:.4f}, top-1 error {100 * top1:.2f}%, top-5 error {100 * top5:.2f}%")
    return cost, top1, top5


def _schedule(run):
    spans = []
    for e, eta in zip(run.epochs[1:], run.rates[1:]):
        if spans and spans[-1][2] == eta:
            spans[-1][1] = e
        else:
            spans.append([e, e, eta])
    return spans


def main(argv=None):
    began = time.perf_counter()
    args = _parse(argv)
    require_for("digits", args, "sklearn")
    say = reporter(args.quiet)
    say("Higham & Higham, \"Deep Learning: An Introduction for Applied Mathematicians\" (SIAM Review, 2019): "
        "§7 in miniature, a convolutional network on 8 × 8 digits.")
    rng = np.random.default_rng(args.seed)
    parts = data.split(rng, args.images)
    training_set, validation, test = parts
    report_data(parts, say)

    runs = []
    for name, p in (("without dropout", 0.0), (f"with dropout p = {DROPOUT:g}", DROPOUT)):
        net = DigitsNetwork(make_network(rng, filters=args.filters, dropout=p))
        if not runs:
            report_network(net, say)
            say(f"3. Stochastic gradient with momentum {training.MOMENTUM:g} on minibatches of {args.batch} "
                f"(Figures 7.2, 7.3); errors are top-1, measured without dropout:")
        run = training.train(name, net, training_set, validation, rng, epochs=args.epochs, batch=args.batch)
        runs.append((run, net, report_run(run, net, test, say)))

    say("4. On the test set (Figures 7.4, 7.5):")
    predictions = {}
    for run, net, _ in runs:
        _, _, _, predicted, _ = net.evaluate(run.parameters, test)
        predictions[run.name] = predicted
        wrong = np.flatnonzero(predicted != test.labels)
        pairs = ", ".join(f"{test.labels[k]}→{predicted[k]}" for k in wrong[:12])
        say(f"   {run.name}: {len(test) - len(wrong)}/{len(test)} correct; misclassified (true→predicted): "
            f"{pairs}{' ...' if len(wrong) > 12 else ''}")

    if not args.no_plots:
        from . import figures
        paths = []
        for (run, _net, _), (stem, figure) in zip(runs, (("fig7_2_training", "7.2"),
                                                          ("fig7_3_training_dropout", "7.3"))):
            paths += figures.plot_curves(run, args.out, stem, figure)
        for (run, _net, _), (stem, figure) in zip(runs, (("fig7_4_confusion", "7.4"),
                                                          ("fig7_5_confusion_dropout", "7.5"))):
            counts = figures.confusion(test.labels, predictions[run.name])
            paths += figures.plot_confusion(counts, f"Figure {figure} in miniature: {run.name}", args.out, stem)
        last, last_net, _ = runs[-1]
        paths += figures.plot_misclassified(
            test.images, test.labels, predictions[last.name],
            f"Figure 7.6 in miniature: misclassified test images, {last.name}: predicted (true)", args.out)
        last_net.graph.write_params(last.parameters)  # the recorded Values now hold the trained weights
        drawn, message = figures.draw_weight_sharing(last_net.model[0], test.images[0], args.out)
        paths += drawn
        if message:
            say(message)
        for path in paths:
            say(f"wrote {path}")

    total = time.perf_counter() - began
    show("5. Summary")  # printed even with --quiet
    rows = [(run.name, f"{100 * (1 - top1):.2f}%", f"{100 * top5:.2f}%", f"{cost:.4f}", f"{run.seconds:.1f} s")
            for run, _, (cost, top1, top5) in runs]
    show(_indent(format_table(["run", "test accuracy", "top-5 error", "test cost (7.4)", "training time"], rows)))
    show(f"   {runs[0][1].num_parameters} parameters, {len(training_set)} training images, "
          f"{len(runs[0][0].epochs) - 1} epochs; whole demo {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
