"""Write docs/reports/<demo>.txt: what each demo prints in its default run, for the demo pages.

    python docs/make_reports.py            # every demo (several minutes; seeds and digits are the long ones)
    python docs/make_reports.py higham sgd # some (names: the keys of DEMOS)

Each demo runs as a reader would run it (``python -m demos.<name>``, its default options, figures
into the checkout's ``demos/figures/<name>/``), so the figures and the report on a demo page come
from one run. The report's first lines say the command and carry a fingerprint of the demo's
own source files; ``tests/test_docs_reports.py`` fails when a demo's code has changed since its
report was written (run this script for that demo again). Nothing here is edited by hand.
"""

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "docs" / "reports"
# each report: the demo that prints it and its options (the defaults, unless said otherwise)
DEMOS = {
    "higham": ("higham", []),
    "higham-more": ("higham", ["--eleventh-point", "--curvature"]),
    "seeds": ("seeds", []),
    "xor": ("xor", []),
    "landscape": ("landscape", []),
    "sgd": ("sgd", []),
    "regularisation": ("regularisation", []),
    "digits": ("digits", []),
    "pytorch": ("pytorch", []),
    "backprop": ("backprop", []),
    # its default sizes take tens of minutes on a loaded two-core machine: the site shows --quick, beside
    # the figures of a default run committed with the demo (a quick run would overwrite them)
    "mysteries": ("mysteries", ["--no-plots"]),  # the default sizes; the figures are the committed ones
}


def fingerprint(report):
    """sha256 of the demo's own sources (demos/<demo>/*.py and demos/_common.py), 16 hex digits."""
    digest = hashlib.sha256()
    demo = DEMOS[report][0]
    for path in sorted((ROOT / "demos" / demo).rglob("*.py")) + [ROOT / "demos" / "_common.py"]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def command(report):
    demo, options = DEMOS[report]
    return ["python", "-m", f"demos.{demo}", *options]


def header(report):
    return f"$ {' '.join(command(report))}\n# sources {fingerprint(report)} (docs/make_reports.py; do not edit)\n"


def write(name):
    from benchmarks.record import save_output  # the checkout's one way to run a command and keep its output
    save_output(command(name), REPORTS / f"{name}.txt", header(name))


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or list(DEMOS)
    unknown = [n for n in names if n not in DEMOS]
    if unknown:
        raise SystemExit(f"unknown report {unknown[0]!r}: choose from {', '.join(DEMOS)}")
    if str(ROOT) not in sys.path:  # run as a script (python docs/make_reports.py): benchmarks/ importable
        sys.path.insert(0, str(ROOT))
    for name in names:
        write(name)


if __name__ == "__main__":
    main()
