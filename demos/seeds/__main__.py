"""python -m demos.seeds: Higham & Higham's stochastic-gradient experiment from many independent starts.

Higham & Higham run netbp.m once (10⁶ single-sample steps, η = 0.05, from one 0.5·N(0, 1) draw).
This demo runs it from N starts, on all cores or on a Dask cluster, and reports how typical that one
run is: the final Cost, how many runs classify all ten points, when each run leaves the plateau.
"""

import math
import sys

import numpy as np

from .._common import (Stopwatch, check_out_dir, float_in, format_table, int_in, make_parser, positive_int, reporter,
                       require, require_for, show, stop_missing, writable)
from ..higham import ETA, ITERATIONS, training
from . import analysis, executors, study
from .backend import BACKENDS, BackendUnavailable, resolve

SEEDS = 1_000
TIMING_STEPS = 50_000     # the short run timed before the study
LIMIT_SECONDS = 300       # a longer study needs --yes
CURVES = 40               # cost curves drawn over the median


def _parse(argv):
    parser = make_parser("seeds", __doc__.split(": ", 1)[1].split("\n")[0])
    parser.add_argument("--seeds", type=int_in(1, 10_000_000), default=SEEDS, metavar="N",
                        help=f"number of independent runs (default: {SEEDS:,}); run i starts from "
                             f"SeedSequence(SEED, spawn_key=(i,)), whatever N and whoever runs it")
    parser.add_argument("--iterations", type=positive_int, default=ITERATIONS, metavar="N",
                        help=f"stochastic-gradient steps per run (default: {ITERATIONS:,}, netbp.m's Niter); "
                             f"the Cost is recorded every 10,000 steps, or every N//100 for shorter runs")
    parser.add_argument("--eta", type=float_in(0, 100), default=ETA, help=f"learning rate η (default: {ETA:g})")
    parser.add_argument("--threshold", type=float_in(0, 1), default=analysis.THRESHOLD,
                        help=f"a run has left the plateau at the first recorded Cost below this "
                             f"(default: {analysis.THRESHOLD:g})")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int_in(1, 1_024), metavar="N",
                       help=f"local processes (default: all {executors.cores()} cores; 1: this process)")
    where.add_argument("--dask", metavar="ADDRESS",
                       help="run on the existing Dask cluster whose scheduler is at ADDRESS "
                            "(e.g. tcp://10.0.0.5:8786); needs the extra 'cluster'")
    parser.add_argument("--backend", choices=BACKENDS, default="auto",
                        help="how the compiled SGD step runs: numba when the engine has it (auto, the "
                             "default), or the Python backend")
    parser.add_argument("--curves", type=int_in(1, 1_000), default=CURVES, metavar="K",
                        help=f"cost curves of K runs drawn over the median (default: {CURVES})")
    parser.add_argument("--yes", action="store_true",
                        help=f"run even when the study is estimated to take more than {LIMIT_SECONDS // 60} minutes")
    args = parser.parse_args(argv)
    if args.iterations > training.MAX_ITERATIONS:
        parser.error(f"argument --iterations: at most {training.MAX_ITERATIONS:,} steps, got {args.iterations:,}")
    if args.workers is None:  # not a default of the option: argparse could not tell it from "--workers 2"
        args.workers = executors.cores()
    check_out_dir(parser, args)
    return parser, args


def duration(seconds):
    if seconds < 100:
        return f"{seconds:.0f} s"
    if seconds < 6000:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def estimate(first, seeds, workers):
    """(µs per step, estimated seconds for the study): a short run of the study's own kind, timed
    here after one untimed run (which compiles), scaled to ``seeds`` + 1 runs on ``workers``."""
    steps = min(TIMING_STEPS, first.steps)
    probe = [study.Task(first.root, i, steps, first.eta, min(first.record_every, steps), first.backend)
             for i in range(min(seeds, study.GROUP))]  # a group of lanes, as the study runs them
    study.run_group(probe[:1])
    with Stopwatch() as watch:
        study.run_group(probe)
    per_step = watch.seconds / (steps * len(probe))
    return per_step, math.ceil((seeds + 1) / workers) * per_step * first.steps


def fewer_seeds(per_step, steps, workers):
    """The largest round N whose study fits in LIMIT_SECONDS (at least 1)."""
    n = max(1, int(LIMIT_SECONDS / (per_step * steps)) * workers - 1)
    digits = 10 ** max(0, len(str(n)) - 2)
    return max(1, n // digits * digits)


def _share(values, x):
    """The percentage of ``values`` below x (ties count half)."""
    values = np.asarray(values)
    return 100.0 * (np.sum(values < x) + 0.5 * np.sum(values == x)) / len(values)


def _spearman(a, b):
    from scipy.stats import spearmanr
    return float(spearmanr(a, b).statistic)


def report(result, args, backend, why, where, say):
    tasks, steps, costs = result.tasks, result.steps, result.costs
    n, iterations, every = len(tasks), tasks[0].steps, tasks[0].record_every
    final = result.final_costs
    t = args.threshold
    say(f"1. The study: {n:,} runs of netbp.m's single-sample stochastic gradient, {iterations:,} steps each, "
        f"η = {args.eta:g}, from 0.5·N(0, 1) weights;")
    say(f"   run i draws its weights and then its sample indices from "
        f"numpy.random.SeedSequence({args.seed}, spawn_key=(i,)), i = 0..{n - 1}; the Cost (eq. 2.6) is "
        f"recorded every {every:,} steps.")
    say(f"   Backend: {backend} ({why}); {where}.")
    per_step = result.run_seconds.sum() / (len(result.run_seconds) * iterations)
    say(f"   {result.seconds:.1f} s for the study, {1e6 * per_step:.2f} µs per step in a worker "
        f"(Cost recording included).")

    say(f"2. The final Cost after {iterations:,} steps, over the {n:,} runs:")
    qs = analysis.quantiles(final)
    say("   " + format_table(["quantile"] + [_q(q) for q, _ in qs], [["final Cost"] + [f"{v:.3g}" for _, v in qs]])
        .replace("\n", "\n   "))
    say(f"   geometric mean {math.exp(np.mean(np.log(final))):.3g}; {int(np.sum(final < 1e-3))} of {n} runs "
        f"end below 10⁻³.")

    tally = analysis.counts(result.correct)
    say(f"3. Classification: {tally.get(10, 0)} of {n:,} runs classify all ten points correctly.")
    say("   " + format_table(["points correct", "runs"], [[f"{k}/10", v] for k, v in tally.items()])
        .replace("\n", "\n   "))

    leave = analysis.leave_steps(steps, costs, t)
    left = leave[leave >= 0]
    plateau = analysis.plateau_level(steps, costs, t)
    root10 = 10 ** 0.5
    share = analysis.share_between(costs, t / root10, t * root10)
    moved = analysis.sensitivity(steps, costs, t)
    say(f"4. Leaving the plateau: the first recorded step with Cost < {t:g}.")
    if plateau is not None:
        say(f"   Why {t:g}: on the plateau (after the start, before the fall) the recorded Cost has quartiles "
            f"{plateau[0]:.3g}, {plateau[1]:.3g}, {plateau[2]:.3g}; the runs end near {np.median(final):.2g}.")
    say(f"   The fall between is fast: only {100 * share:.1f} % of all recorded costs lie within a factor √10 "
        f"of {t:g} ({t / root10:.3g} to {t * root10:.3g}),")
    if moved is not None:
        say(f"   and moving the threshold by √10 either way moves a run's step by {moved[0]:,.0f} steps (median), "
            f"{moved[1]:,} at most.")
    if left.size:
        qs = analysis.quantiles(left)
        say("   " + format_table(["quantile"] + [_q(q) for q, _ in qs],
                                 [["leave step"] + [f"{v:,.0f}" for _, v in qs]]).replace("\n", "\n   "))
        say(f"   mean {left.mean():,.0f} steps; {int(np.sum(left <= 200_000))} of {n} runs leave by step 200,000.")
    stuck = leave < 0
    say(f"   {int(np.sum(stuck))} runs never get below {t:g}; {analysis.returned(steps, costs, t)} go back "
        f"above it after getting below.")
    if stuck.any():
        say(f"   Those that never do end at Cost {final[stuck].min():.3g} to {final[stuck].max():.3g}, with "
            f"{', '.join(f'{k}/10' for k in analysis.counts(result.correct[stuck]))} points correct.")
    if left.size > 2:
        say(f"   Runs that leave later end higher: Spearman's rank correlation between the leave step and the "
            f"final Cost is {_spearman(leave[~stuck], final[~stuck]):.2f}.")

    ref = result.reference
    if ref is not None:
        ref_leave = analysis.leave_steps(steps, ref.costs[None, :], t)[0]
        say(f"5. The paper's single run as python -m demos.higham --seed {args.seed} makes it "
            f"(numpy.random.default_rng({args.seed})), among these:")
        if ref_leave >= 0:
            say(f"   it leaves the plateau at step {ref_leave:,} (later than {_share(left, ref_leave):.0f} % of the "
                f"runs that leave)")
        else:
            say(f"   it never gets below {t:g}")
        say(f"   and ends at Cost {ref.costs[-1]:.3g} (higher than {_share(final, ref.costs[-1]):.0f} % of the runs), "
            f"{ref.correct}/10 points correct.")
    return leave


def _q(q):
    return {0.0: "min", 0.5: "median", 1.0: "max"}.get(q, f"{100 * q:g} %")


def plot(result, leave, args, say):
    from .figures import plot_curves, plot_final_costs, plot_leave_steps
    tasks = result.tasks
    n, every = len(tasks), tasks[0].record_every
    label = f"python -m demos.higham --seed {args.seed}"
    ref = result.reference
    ref_leave = None if ref is None else analysis.leave_steps(result.steps, ref.costs[None, :], args.threshold)[0]
    head = f"{n:,} runs of {tasks[0].steps:,} steps, η = {args.eta:g}, {tasks[0].backend} backend"
    paths = plot_leave_steps(leave, every, f"When the Cost first falls below {args.threshold:g}: {head}",
                             args.out, ref_leave, label)
    sample = np.sort(np.random.default_rng(args.seed).choice(n, size=min(args.curves, n), replace=False))
    paths += plot_curves(result.steps, result.costs, sample, args.threshold, f"The Cost of {head}", args.out,
                         None if ref is None else ref.costs, label)
    paths += plot_final_costs(result.final_costs, f"The final Cost: {head}", args.out)
    for path in paths:
        say(f"wrote {path}")


def keep(partial, out):
    """Write the runs of an incomplete study to ``out``/finished_runs.npz; its path, or None."""
    import os
    try:
        os.makedirs(out, exist_ok=True)
        path = writable(os.path.join(out, "finished_runs.npz"))
        np.savez(path, index=np.array([t.index for t in partial.tasks]), steps=partial.steps,
                 costs=partial.costs, correct=partial.correct, parameters=partial.parameters)
    except OSError:  # FileExistsError too: a FIFO or a device where the file would go
        return None
    return path


def main(argv=None):
    parser, args = _parse(argv)
    require_for("seeds", args)
    if args.dask:
        require("seeds", "dask.distributed")
    if args.backend == "numba":
        require("seeds", "numba")
    say = reporter(args.quiet)
    try:
        backend, why = resolve(args.backend)
    except BackendUnavailable as err:  # numba installed but unable to compile here: still a missing extra
        stop_missing("seeds", f"--backend {args.backend}: {err}")
    task_list = study.tasks(args.seed, args.seeds, args.iterations, args.eta, backend)
    try:
        context = executors.dask(args.dask) if args.dask else executors.local(args.workers)
        with context as (executor, workers):
            if args.dask:
                where = f"{workers} Dask worker threads at {args.dask}"
            else:
                where = "this process" if executor is None else f"{workers} local processes"
            per_step, seconds = estimate(task_list[0], args.seeds, workers)
            say(f"Estimated time: about {duration(seconds)} for {args.seeds:,} runs (and the paper's run) of "
                f"{args.iterations:,} steps on {where}, {backend} backend at {1e6 * per_step:.2f} µs per step "
                f"(timed on a run of {min(TIMING_STEPS, args.iterations):,} steps).")
            if seconds > LIMIT_SECONDS and not args.yes:
                n = fewer_seeds(per_step, args.iterations, workers)
                hint = "" if backend == "numba" else f" The numba backend, about 20 times faster, is not used: {why}."
                parser.error(f"{args.seeds:,} runs would take about {duration(seconds)} with the {backend} "
                             f"backend on {where}.{hint} Run them anyway with --yes, or run fewer: --seeds {n} "
                             f"takes about {duration(math.ceil((n + 1) / workers) * per_step * args.iterations)}.")
            result = study.run_study(task_list, executor, progress=not args.quiet,
                                     reference=study.reference_task(task_list[0]), workers=workers)
    except executors.ExecutorUnavailable as err:
        parser.error(str(err))
    except study.StudyIncomplete as stop:
        print(f"seeds: {stop}", file=sys.stderr)
        if stop.finished is not None:
            path = keep(stop.finished, args.out)
            print(f"seeds: the finished runs are in {path}" if path else
                  f"seeds: could not write the finished runs to {args.out}", file=sys.stderr)
        return 1

    leave = report(result, args, backend, why, where, say)
    if not args.no_plots:
        plot(result, leave, args, say)

    left = leave[leave >= 0]
    show("6. Summary")  # printed even with --quiet
    rows = [[f"{len(task_list):,}", backend, where, f"{int(np.sum(result.correct == 10))}/{len(task_list)}",
             f"{np.median(result.final_costs):.3g}", f"{np.median(left):,.0f}" if left.size else "-",
             f"{int(np.sum(leave < 0))}", f"{result.seconds:.1f} s"]]
    show("   " + format_table(["runs", "backend", "run on", "10/10", "median Cost", "median leave", "never",
                                "time"], rows).replace("\n", "\n   "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
