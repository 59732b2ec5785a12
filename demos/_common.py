"""What the command-line demos share: their options, their output and their figures.

Every demo takes ``--seed``, ``--out DIR``, ``--no-plots`` and ``--quiet`` (only the closing summary
is printed: ``say`` for the report, plain ``print`` for the summary); a bad value is an
argparse usage error (exit status 2 and a message naming the option), never a traceback.
Figures are drawn with matplotlib's Agg backend (no display needed) and saved as PNG and SVG, by
default into the checkout's ``demos/figures/<name>/`` when the demos run from a checkout, and into
``./seebackprop-figures/<name>/`` when they run from an installed copy. ``require`` checks, before
any work, that the optional packages a demo needs are installed, and names the extra that has them.
"""

import argparse
import importlib
import math
import os
import sys
import time
from pathlib import Path

from engine.core.files import refuse_unless_regular

# which extra of pyproject.toml provides each optional package the demos import
EXTRA_OF = {"matplotlib": "demos", "scipy": "demos", "tqdm": "demos", "sklearn": "demos",
            "nbformat": "notebooks", "nbclient": "notebooks", "ipykernel": "notebooks",
            "torch": "torch", "numba": "fast", "dask.distributed": "cluster"}
# the name to install where it differs from the name to import
PACKAGE_OF = {"sklearn": "scikit-learn", "dask.distributed": "dask[distributed]"}
# the exit status of every demo started without an optional package it needs (a usage error, a bad
# option value, is argparse's 2; a demo that ran is 0)
MISSING_EXTRA = 1
_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def require(demo, *modules, extra=None):
    """Stop (exit status ``MISSING_EXTRA``, one message, no traceback) unless every module imports;
    the message names the missing ones and the pip command of the extra that installs them."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        extra = extra or EXTRA_OF.get(missing[0], "demos")
        # the packages by name: that works wherever this copy came from (the project is not on an
        # index, so "seebackprop[extra]" would not); in a checkout, the extra itself
        local = f'; in a checkout: pip install -e ".[{extra}]"' if in_checkout() else ""
        names = [PACKAGE_OF.get(name, name) for name in missing]
        stop_missing(demo, f"needs {' and '.join(names)}, which {'is' if len(missing) == 1 else 'are'} "
                           f"not installed: pip install {' '.join(names)} (the \"{extra}\" extra{local})")


def stop_missing(demo, message):
    """Print ``python -m demos.<demo> <message>`` on stderr and exit with ``MISSING_EXTRA``."""
    print(f"python -m demos.{demo} {message}", file=sys.stderr)
    raise SystemExit(MISSING_EXTRA)


def require_for(demo, args, *modules):
    """``require`` the modules a demo always needs, and matplotlib unless ``--no-plots``."""
    require(demo, *modules, *(() if getattr(args, "no_plots", False) else ("matplotlib",)))


def in_checkout():
    """True when these demos are the ``demos/`` of a source checkout (not an installed copy)."""
    return (_CHECKOUT / "pyproject.toml").is_file() and (_PACKAGE / "figures").is_dir()


def default_out(name):
    """Where a demo's figures go by default: the checkout's demos/figures/<name> (shown relative
    to the current directory when it is inside it), else ./seebackprop-figures/<name>."""
    if not in_checkout():
        return os.path.join("seebackprop-figures", name)
    path = _PACKAGE / "figures" / name
    try:
        return os.path.relpath(path) if Path.cwd() in path.parents else str(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def argument_type(convert, accept, expected):
    """An argparse ``type=``: ``convert(text)``, then ``accept(value)``, else a usage error
    saying what was expected and what was given."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value
    parse.__name__ = expected.replace(" ", "_")  # argparse names the type in some messages
    return parse


def whole_number(text):
    """An integer written as ``1000000``, ``1_000_000`` or ``1e6``."""
    try:
        return int(text)
    except ValueError:
        value = float(text)  # a ValueError here is the caller's usage error
        if not value.is_integer():
            raise ValueError(text) from None
        return int(value)


positive_int = argument_type(whole_number, lambda v: v >= 1, "a positive integer")
nonnegative_int = argument_type(whole_number, lambda v: v >= 0, "a non-negative integer")  # seeds
positive_float = argument_type(float, lambda v: v > 0 and math.isfinite(v), "a positive finite number")
finite_float = argument_type(float, math.isfinite, "a finite number")  # coordinates


def int_in(low, high):
    """An integer option bounded to what the demo can do in reasonable time and memory."""
    return argument_type(whole_number, lambda v: low <= v <= high, f"an integer from {low:,} to {high:,}")


def float_in(low, high, low_open=True):
    """A number option in (low, high] (or [low, high]): beyond ``high`` the demo cannot give a
    meaningful result (a step that overflows, a point off every figure)."""
    opening = "(" if low_open else "["
    return argument_type(float, lambda v: math.isfinite(v) and (low < v if low_open else low <= v) and v <= high,
                         f"a number in {opening}{low:g}, {high:g}]")


def make_parser(name, description):
    """An ArgumentParser for ``python -m demos.<name>`` with the options every demo has."""
    parser = argparse.ArgumentParser(prog=f"python -m demos.{name}", description=description)
    parser.add_argument("--seed", type=nonnegative_int, default=0,
                        help="seed of every random draw (default: 0)")
    parser.add_argument("--out", default=default_out(name), metavar="DIR",
                        help=f"directory for the figures (default: {default_out(name)})")
    parser.add_argument("--no-plots", action="store_true", help="compute and print, draw nothing")
    parser.add_argument("--quiet", action="store_true", help="print only the closing summary")
    return parser


def check_out_dir(parser, args):
    """Create ``args.out`` now, so that an unusable directory is a usage error before any work."""
    if getattr(args, "no_plots", False):
        return
    out = os.fspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        parser.error(f"--out {out!r} exists and is not a directory")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as err:
        parser.error(f"--out {out!r}: cannot create the directory ({err.strerror})")


WIDTH = 100  # every line a demo prints fits in this many columns


def fit(text, width=WIDTH):
    """``text`` with every line longer than ``width`` wrapped at spaces; a continuation is indented
    like the text of its line (after a leading ``1. `` or ``- ``). Table rows (``|``) are left as
    they are: each demo keeps its tables narrower than ``width``."""
    import re
    import textwrap
    lines = []
    for line in str(text).split("\n"):
        if len(line) <= width or line.lstrip().startswith("|"):
            lines.append(line)
            continue
        lead = re.match(r"\s*(?:\d+\.\s+|[-*•]\s+|=>\s+)?", line).group(0)
        lines += textwrap.wrap(line, width, subsequent_indent=" " * len(lead), break_long_words=False,
                               break_on_hyphens=False) or [""]
    return "\n".join(lines)


def show(*parts, sep=" ", **kwargs):
    """``print`` with the lines fitted to ``WIDTH`` columns (``fit``)."""
    print(fit(sep.join(map(str, parts))), **kwargs)


def reporter(quiet):
    """``show`` unless ``quiet``."""
    return (lambda *a, **k: None) if quiet else show


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no window), imported only when drawing."""
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "seebackprop"  # stable element ids: reproducible SVGs
    import matplotlib.pyplot as plt
    return plt


def writable(path):
    """``path``, after checking that writing it replaces at most a regular file: a FIFO there would
    make the demo wait for a reader for ever, a device or a socket would be written into. Those
    are refused with FileExistsError, and left as they are (the engine's one check for its writers)."""
    return refuse_unless_regular(path, "write", "a demo writes only regular files (remove it, or choose "
                                                 "another --out)")


def save_figure(fig, out_dir, stem, dpi=120):
    """Write ``fig`` as ``out_dir/stem.png`` and ``.svg``, close it, return the two paths.

    Neither file carries a date or a program version (SVG ``Date``, PNG ``Software``) and SVG ids come
    from a fixed salt, so re-running a demo with the same seed rewrites identical files: in a checkout,
    ``git status`` stays clean. Every demo figure goes through here."""
    plt = pyplot()
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for ext, kwargs in (("png", {"dpi": dpi, "metadata": {"Software": None}}),
                        ("svg", {"metadata": {"Date": None, "Creator": None}})):
        path = writable(os.path.join(out_dir, f"{stem}.{ext}"))
        fig.savefig(path, bbox_inches="tight", **kwargs)
        paths.append(path)
    plt.close(fig)
    return paths


def save_drawing(drawing, out_dir, stem):
    """Write a Graphviz drawing as ``out_dir/stem.gv`` (always) and ``.png`` and ``.svg`` (when the
    ``dot`` program is installed). Returns (paths written, None) or (paths, why PNG and SVG are missing)."""
    from engine.display.draw import GraphvizNotInstalled, render
    os.makedirs(out_dir, exist_ok=True)
    for ext in ("gv", "png", "svg"):
        writable(os.path.join(out_dir, f"{stem}.{ext}"))
    paths = [str(render(drawing, os.path.join(out_dir, f"{stem}.gv")))]
    try:
        for ext in ("png", "svg"):
            paths.append(str(render(drawing, os.path.join(out_dir, f"{stem}.{ext}"))))
    except GraphvizNotInstalled as err:
        return paths, f"only the DOT source was written ({err})"
    return paths, None


def format_table(headers, rows):
    """A plain-text table with aligned columns (also valid Markdown)."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


class Stopwatch:
    """``with Stopwatch() as t: ...`` then ``t.seconds``."""

    def __enter__(self):
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        return False
