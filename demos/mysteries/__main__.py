"""python -m demos.mysteries: the slides' "Deep Mysteries of Deep Learning", answered by experiment
on the paper's network.

Five questions, one module each (see ``demos/mysteries/__init__.py``): many local minima? how many
different solutions? does it generalise? how does regularisation happen? why do high dimensions
help? Each prints its table, draws its figure and states its answer, every number in it computed
here. ``--quick`` runs all five on small sizes (under 30 s with numba); the default sizes take a
few minutes each on two cores.
"""

import sys
import time

from .._common import check_out_dir, int_in, make_parser, reporter, require_for, show
from ..seeds import executors
from . import QUESTIONS, generalisation, minima, regularisation, runs, symmetries, width
from .problems import HIGHAM, backend

MODULES = {"minima": minima, "symmetries": symmetries, "generalisation": generalisation,
           "regularisation": regularisation, "width": width}

# the sizes of each question: the default run and --quick
SIZES = {
    False: dict(seeds=1_000, steps=1_000_000, line_points=41, pairs=20, map_grid=51, grid=201, ns=(10, 30, 100, 300),
                widths=((2, 2, 3, 2), (2, 4, 6, 2), (2, 8, 12, 2)), noise=(0.0, 0.1), synthetic_seeds=8,
                synthetic_steps=200_000, test_points=10_000, reg_n=30, reg_starts=32, evaluations=200_000,
                width_sizes=((2, 2, 3, 2), (2, 3, 4, 2), (2, 4, 6, 2), (2, 8, 12, 2), (2, 16, 24, 2)),
                width_starts=200, width_steps=300_000, hessian_runs=3, hessian_max_params=10_000),
    True: dict(seeds=64, steps=200_000, line_points=21, pairs=6, map_grid=31, grid=41, ns=(10, 40),
               widths=((2, 2, 3, 2), (2, 4, 6, 2)), noise=(0.0, 0.1), synthetic_seeds=3,
               synthetic_steps=100_000, test_points=10_000, reg_n=20, reg_starts=6, evaluations=100_000,
               width_sizes=((2, 2, 3, 2), (2, 3, 4, 2), (2, 4, 6, 2), (2, 8, 12, 2), (2, 16, 24, 2)),
               width_starts=4, width_steps=100_000, hessian_runs=1, hessian_max_params=200),
}


def _parse(argv):
    parser = make_parser("mysteries", __doc__.split(": ", 1)[1].split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: all five questions in under 30 s")
    parser.add_argument("--only", choices=list(MODULES), action="append",
                        help="run only this question (may be given more than once)")
    parser.add_argument("--seeds", type=int_in(8, 100_000), metavar="N",
                        help="runs of the shared study (questions 1-3; default 1,000, --quick 64)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int_in(1, 1_024), metavar="N",
                       help=f"local processes for the big runs (default: all {executors.cores()} cores; "
                            f"1: this process)")
    where.add_argument("--dask", metavar="ADDRESS",
                       help="run the big runs (the shared study, question 5) on the Dask cluster at ADDRESS, "
                            "as demos.seeds does; needs the extra 'cluster'")
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = executors.cores()
    check_out_dir(parser, args)
    require_for("mysteries", args, "scipy")
    return parser, args


class Context:
    """What the questions share: options, sizes, the executor, the shared study, the answers."""

    def __init__(self, args, executor, say):
        self.args, self.executor, self.say = args, executor, say
        self.seed, self.out, self.no_plots, self.quick = args.seed, args.out, args.no_plots, args.quick
        self.sizes = dict(SIZES[args.quick])
        if args.seeds:
            self.sizes["seeds"] = args.seeds
        self.answers = {}
        self._study = None

    def study(self):
        """The shared study: ``seeds`` runs of the paper's network, ``steps`` steps each (cached)."""
        if self._study is None:
            s = self.sizes
            self._study = runs.run(runs.jobs(HIGHAM, self.seed, range(s["seeds"]), s["steps"],
                                             max(1, s["steps"] // 100),
                                             snapshots=s["seeds"]), self.executor)
            self.say(f"    (the shared study: {s['seeds']:,} runs × {s['steps']:,} steps in "
                     f"{self._study.seconds:.1f} s)")
        return self._study

    def answer(self, key, text):
        self.answers[key] = text
        self.say(f"    Answer: {text}")

    def wrote(self, paths):
        for path in paths:
            self.say(f"    wrote {path}")


def warm_up():
    """Compile (or load from numba's cache) the lanes of the paper's network and the tape kernel here,
    before the worker processes start: forked workers inherit them instead of each compiling its own."""
    if backend() != "numba":
        return
    import numpy as np

    from engine.compiler import tape

    from .problems import higham_rows, network
    net = network(HIGHAM)
    rows, _, _ = higham_rows()
    net.cost.sgd_run_lanes(rows, np.zeros((1, 1), dtype=np.int64), net.draw(np.random.default_rng(0))[None, :], 0.05)
    tape.kernel()


def main(argv=None):
    parser, args = _parse(argv)
    say = reporter(args.quiet)
    chosen = args.only or list(MODULES)
    say(f"The deep mysteries on Higham & Higham's network ({'quick sizes' if args.quick else 'default sizes'}, "
        f"{backend()} backend, seed {args.seed}).")
    warm_up()
    times = {}
    try:
        context = executors.dask(args.dask) if args.dask else executors.local(args.workers)
        with context as (executor, _):
            ctx = Context(args, executor, say)
            for name in chosen:
                began = time.perf_counter()
                MODULES[name].run(ctx)
                times[name] = time.perf_counter() - began
                say(f"    ({name}: {times[name]:.1f} s)")
    except executors.ExecutorUnavailable as err:
        parser.error(str(err))
    print("Summary")  # printed even with --quiet; each answer a paragraph that fits the terminal
    for name in chosen:
        show(f"{QUESTIONS[name]} ({times[name]:.1f} s)")
        show(f"   {ctx.answers.get(name, '-')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
