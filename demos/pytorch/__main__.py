"""python -m demos.pytorch: the same networks trained by nn and by PyTorch, step for step, and timed.

1. The bridge: ``nn.to_torch(mlp)`` and ``nn.from_torch(module)``, a round trip, one forward pass.
2. For each network, the same start, the same samples, four optimizers on both sides (``nn.SGD`` /
   ``nn.Adam`` against ``torch.optim.SGD`` / ``torch.optim.Adam``): how far apart the costs and the
   parameters ever get.
3. Microseconds per step on each side.
"""

import sys
import time

import numpy as np

import nn

from .._common import (check_out_dir, format_table, int_in, make_parser, reporter, require, require_for, show)
from . import problems, timing, training

STEPS = 1000
TIMING_STEPS = 500   # steps per timed run (best of 3)
CHOICES = ("higham", "xor", "both")


def _parse(argv):
    parser = make_parser("pytorch", __doc__.split(": ", 1)[1].split("\n")[0])
    parser.add_argument("--steps", type=int_in(1, 100_000), default=STEPS,
                        help=f"training steps per optimizer and side (default: {STEPS:,})")
    parser.add_argument("--network", choices=CHOICES, default="both",
                        help="Higham & Higham's network, XOR, or both (default: both)")
    parser.add_argument("--no-timing", action="store_true", help="compare only, do not time the two sides")
    args = parser.parse_args(argv)
    require("pytorch", "torch")                  # PyTorch first: without it there is nothing to compare
    require_for("pytorch", args)
    torch = nn.torch_bridge.require_torch("python -m demos.pytorch")
    check_out_dir(parser, args)
    return args, torch


def _indent(text, by="   "):
    return by + text.replace("\n", "\n" + by)


def report_bridge(torch, problem, say):
    mlp = problem.mlp
    model = nn.to_torch(mlp)
    back = nn.from_torch(model)
    same = all(np.array_equal(a, b) for a, b in zip(mlp.arrays().values(), back.arrays().values()))
    ours = np.array([[v.data for v in mlp(list(x))] for x in problem.X])
    with torch.no_grad():
        theirs = model(torch.tensor(problem.X, dtype=torch.float64)).numpy()
    say("1. The bridge: model = nn.to_torch(mlp) is a torch.nn.Sequential in float64 holding our parameters;")
    say("   nn.from_torch(model) reads it back into an nn.MLP. For the Higham network (seed as given):")
    say(_indent(str(model)))
    say(f"   nn.from_torch(nn.to_torch(mlp)) has the same {mlp.num_parameters()} parameters bit for bit: {same}.")
    say(f"   F(x) on the ten points, nn against torch: largest difference {np.max(np.abs(ours - theirs)):.1e} "
        f"({int(np.sum(ours == theirs))} of {ours.size} outputs bit for bit equal).")


def report_agreement(number, problem, agreements, steps, say):
    say(f"{number}. {problem.title}.")
    say(f"   {steps:,} steps from the same start with each optimizer; the cost of a step is {problem.cost_name}.")
    say("   nn (zero_grad, cost, backward, step) beside torch.optim (the same loop on the torch.nn.Sequential);")
    say("   the largest differences over all steps, of the step's cost and of the parameters after it:")
    rows = [(a.label, f"{a.cost_difference:.1e}", f"{a.parameter_difference:.1e}", f"{a.relative_difference:.1e}",
             f"{a.identical_steps:,}", f"{a.ours_total[-1]:.6g}", f"{a.theirs_total[-1]:.6g}") for a in agreements]
    say(f"   (rel. |Δp|: max |Δp| / max(1, |p|); same bits: steps after which every parameter is bit for bit "
        f"equal; final: the {problem.total_name.split(' of ')[0]} at the end, nn and PyTorch)")
    say(_indent(format_table(["optimizer", "max |ΔC|", "max |Δp|", "rel. |Δp|", "same bits", "final, nn",
                              "final, torch"], rows)))


def report_timing(problem, timings, say):
    say(f"   Processor time per step (best of 3 runs of {timings[0].steps:,} steps each side; PyTorch on one thread):")
    rows = []
    for t in timings:
        compiled = "" if t.compiled is None else f"{t.compiled:.1f} µs"
        rows.append((t.label, f"{t.ours:.1f} µs", f"{t.torch:.1f} µs", f"{t.torch / t.ours:.2f}", compiled))
    say(_indent(format_table(["optimizer", "nn (eager Values)", "PyTorch", "PyTorch / nn", "nn compiled (sgd_run)"],
                             rows)))


def main(argv=None):
    began = time.perf_counter()
    args, torch = _parse(argv)
    torch.set_num_threads(1)   # tiny tensors: threads only add overhead, and the machine is shared
    say = reporter(args.quiet)
    say(f"The same network in nn and in PyTorch {torch.__version__}, both ways, with the same numbers.")
    names = problems.NAMES if args.network == "both" else (args.network,)
    report_bridge(torch, problems.make("higham", args.seed, 1), say)
    worst = []
    paths = []
    for number, name in enumerate(names, 2):
        problem = problems.make(name, args.seed, args.steps)
        agreements = training.both(torch, problem, args.steps)
        report_agreement(number, problem, agreements, args.steps, say)
        if not args.no_timing:
            report_timing(problem, timing.time_steps(torch, problem, min(args.steps, TIMING_STEPS)), say)
        if not args.no_plots:
            from .figures import plot_agreement
            paths += plot_agreement(problem, agreements, args.out)
        worst += [(name, a) for a in agreements]
    for path in paths:
        say(f"wrote {path}")
    name, a = max(worst, key=lambda item: item[1].parameter_difference)
    cost = max(worst, key=lambda item: item[1].cost_difference)
    show("Summary")  # printed even with --quiet
    show(f"   largest parameter difference nn − PyTorch over {args.steps:,} steps × {len(worst)} runs: "
         f"{a.parameter_difference:.1e} ({name}, {a.label}, after step {a.worst_step:,})")
    show(f"   largest cost difference {cost[1].cost_difference:.1e} ({cost[0]}, {cost[1].label})")
    show(f"   whole demo {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
