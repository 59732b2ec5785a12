"""Run the benchmarks and keep what each printed: benchmarks/results/<name>.txt.

    python -m benchmarks.record                    # every benchmark below (several minutes)
    python -m benchmarks.record higham_step grid   # some

Each file starts with the command that produced it; the rest is the benchmark's own output,
unedited (its first line names the machine). The documentation's benchmarks page includes these
files, so every number on it is one a benchmark printed. Timings depend on the machine and on what
else it runs: compare rows of one file (they are measured side by side), not files of two machines.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
# each benchmark and the options it is recorded with (its defaults, unless said otherwise)
BENCHMARKS = {
    "higham_step": [],
    "deep_chain": [],
    "grid": [],
    "micrograd_demo": [],
    # the million-node sizes take minutes and gigabytes: recorded up to 10^5
    "compile_scaling": ["--chain", "10000", "100000", "--affine", "10000", "100000",
                        "--straight-line-up-to", "10000"],
}


def save_output(command, path, header):
    """Run ``command`` (``["python", "-m", module, options...]``) from the checkout as a reader runs
    it, with this interpreter, and write ``header`` and what it printed to ``path``; a run that fails
    writes nothing and stops here. Also docs/make_reports.py's way of writing a demo's report."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    began = time.perf_counter()
    run = subprocess.run([sys.executable, *command[1:]], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited with status {run.returncode}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + run.stdout, encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT).as_posix()} ({time.perf_counter() - began:.0f} s)")


def record(name):
    command = ["python", "-m", f"benchmarks.{name}", *BENCHMARKS[name]]
    save_output(command, RESULTS / f"{name}.txt", f"$ {' '.join(command)}\n")


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark {unknown[0]!r}: choose from {', '.join(BENCHMARKS)}")
    for name in names:
        record(name)


if __name__ == "__main__":
    main()
