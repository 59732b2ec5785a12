"""Write each notebook from its cell source and run it top to bottom in a real Jupyter kernel.

``python -m demos.notebooks`` rebuilds all of them, ``python -m demos.notebooks higham`` one (in a
source checkout only); ``python -m demos.notebooks --copy DIR`` copies the shipped notebooks into the
folder DIR, which is how an installed copy hands them out;
``--no-execute`` writes them without outputs, ``--screenshot`` also photographs the inline stepper in
headless chromium for the README. The kernel is ipykernel's, started by nbclient in
this directory with the checkout first on ``PYTHONPATH`` (so the notebooks import this copy of
``engine``, ``nn`` and ``demos`` even where another is installed). Each run's time is printed.

A source is plain text in the percent format: ``# %%`` starts a code cell, ``# %% [markdown]`` a
text cell (its lines start with ``# ``, removed here), and ``# %% tags=["parameters"]`` a code cell
of sizes (steps, seeds) that ``build(..., parameters={...})`` may override, as papermill does: the
tests run the notebooks small and compare their numbers with the demos' at the same sizes.
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
CHECKOUT = HERE.parent.parent
NOTEBOOKS = ("chain_rule", "higham", "xor", "landscape")
SCREENSHOT = CHECKOUT / "demos" / "figures" / "notebooks" / "inline_stepper.png"
TIMEOUT = 600  # seconds per cell: generous for a loaded machine; each notebook takes well under a minute
_CELL = re.compile(r"^# %%(?P<rest>.*)$")


def parse_cells(text):
    """[(kind, source, tags)] of a percent-format source: kind is "code" or "markdown"."""
    cells = []
    kind, tags, lines = None, [], []

    def close():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.split("\n"))
        cells.append((kind, body, tags))

    for line in text.splitlines():
        m = _CELL.match(line)
        if m:
            close()
            rest = m.group("rest").strip()
            kind = "markdown" if rest.startswith("[markdown]") else "code"
            tags = json.loads(rest.split("=", 1)[1]) if rest.startswith("tags=") else []
            lines = []
        elif kind is not None:
            lines.append(line)
    close()
    return cells


def _override(body, parameters):
    """The parameters cell with ``NAME = value`` lines replaced for the names in ``parameters``."""
    left = dict(parameters)
    lines = []
    for line in body.split("\n"):
        name = line.split("=", 1)[0].strip()
        if "=" in line and name in left:
            line = f"{name} = {left.pop(name)!r}"
        lines.append(line)
    if left:
        raise ValueError(f"the parameters cell sets no {', '.join(left)}")
    return "\n".join(lines)


def notebook(name, parameters=None):
    """The nbformat notebook of ``sources/<name>.py``; ``parameters`` replace the assignments of
    the cell tagged "parameters" (``{"ITERATIONS": 20_000}`` → ``ITERATIONS = 20000``)."""
    import nbformat.v4 as v4

    cells = []
    for kind, body, tags in parse_cells((SOURCES / f"{name}.py").read_text(encoding="utf-8")):
        if "parameters" in tags and parameters:
            body = _override(body, parameters)
        make = v4.new_markdown_cell if kind == "markdown" else v4.new_code_cell
        cell = make(body)
        cell["id"] = f"{name}-{len(cells)}"  # stable ids: a rebuild changes only what changed
        if tags:
            cell.metadata["tags"] = list(tags)
        cells.append(cell)
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def _without_addresses(nb):
    """Drop memory addresses from plain-text reprs (``<engine.display.draw.Drawing at 0x7f...>``): they differ
    at every run and mean nothing to a reader."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/plain" in data:
                data["text/plain"] = _ADDRESS.sub(">", data["text/plain"])


def execute(nb, cwd=HERE, timeout=TIMEOUT):
    """Run every cell of ``nb`` in a fresh ipykernel (outputs stored in ``nb``); returns the seconds.
    An error in any cell raises ``nbclient.exceptions.CellExecutionError`` naming it."""
    from nbclient import NotebookClient

    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(CHECKOUT), previous) if p)
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        began = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(cwd)}}).execute()
        return time.perf_counter() - began
    finally:
        if previous is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = previous


def build(name, *, run=True, out_dir=HERE, parameters=None):
    """Write ``out_dir/<name>.ipynb`` (executed unless ``run=False``); returns (path, seconds)."""
    import nbformat

    nb = notebook(name, parameters)
    seconds = execute(nb, cwd=out_dir) if run else 0.0
    _without_addresses(nb)
    path = Path(out_dir) / f"{name}.ipynb"
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return path, seconds


def export_html(name, out_dir=HERE):
    """``<name>.ipynb`` exported to static HTML by nbconvert (what a reader without Jupyter opens)."""
    import nbformat
    from nbconvert import HTMLExporter
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(HERE / f"{name}.ipynb"), as_version=4))
    from .._common import writable
    path = writable(Path(out_dir) / f"{name}.html")
    path.write_text(body, encoding="utf-8")
    return path


def screenshot(path=SCREENSHOT, name="chain_rule", steps=3):
    """A picture of the first inline stepper of ``name``'s notebook as a real browser draws it: the
    notebook exported to HTML, opened in headless chromium (playwright), clicked and stepped
    ``steps`` times with →. Needs Debian's chromium (``CHROMIUM`` may name another binary)."""
    import shutil
    import tempfile
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("--screenshot needs chromium (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_path = export_html(name, tmp)
        browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, device_scale_factor=1.5)
            page.goto(page_path.as_uri())
            frame_element = page.locator("iframe.seebackprop-stepper").first
            frame_element.scroll_into_view_if_needed()
            page.frame_locator("iframe.seebackprop-stepper").first.locator("#picture").click()
            for _ in range(steps):
                page.keyboard.press("ArrowRight")
            path.parent.mkdir(parents=True, exist_ok=True)
            frame_element.screenshot(path=str(path))
        finally:
            browser.close()
    return path


def copy_notebooks(names, dest):
    """Copy the shipped ``<name>.ipynb`` (package data, with their outputs) into the folder ``dest``,
    created if need be; an existing file is never overwritten. Returns the paths written."""
    import shutil
    dest = Path(dest)
    targets = [(HERE / f"{name}.ipynb", dest / f"{name}.ipynb") for name in names]
    taken = [str(target) for _, target in targets if target.exists()]
    if taken:
        raise FileExistsError(f"{', '.join(taken)} already exist{'s' if len(taken) == 1 else ''}: "
                              "move them away or choose another folder")
    dest.mkdir(parents=True, exist_ok=True)
    for source, target in targets:
        shutil.copyfile(source, target)
    return [target for _, target in targets]


def main(argv=None):
    from .._common import in_checkout, require
    parser = argparse.ArgumentParser(
        prog="python -m demos.notebooks", description=__doc__.split("\n")[0],
        epilog="To read and run them: python -m demos.notebooks --copy DIR, then jupyter lab DIR.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"which notebooks (default: all of {', '.join(NOTEBOOKS)})")
    parser.add_argument("--copy", metavar="DIR",
                        help="copy the notebooks (with their outputs) into the folder DIR and stop; "
                             "nothing is rebuilt or run")
    parser.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    parser.add_argument("--screenshot", action="store_true",
                        help=f"then photograph the inline stepper of chain_rule.ipynb in headless chromium "
                             f"(demos/figures/notebooks/{SCREENSHOT.name})")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in NOTEBOOKS]
    if unknown:
        parser.error(f"unknown notebook {unknown[0]!r}: choose from {', '.join(NOTEBOOKS)}")
    if args.copy is not None:
        if args.no_execute or args.screenshot:
            parser.error("--copy only copies: it takes no --no-execute or --screenshot")
        try:
            paths = copy_notebooks(args.names or NOTEBOOKS, args.copy)
        except (FileExistsError, OSError) as err:
            parser.error(f"--copy {args.copy}: {err}")
        for path in paths:
            print(f"wrote {path}")
        print(f"open them with: jupyter lab {args.copy}")
        return 0
    if not SOURCES.is_dir() or not in_checkout():
        # an installed copy: rebuilding would write into the installation (site-packages)
        print("python -m demos.notebooks rebuilds the notebooks of a source checkout only; to get the "
              "notebooks of this installation: python -m demos.notebooks --copy DIR", file=sys.stderr)
        return 1
    require("notebooks", "nbformat", "nbclient", "ipykernel", "matplotlib", "scipy", extra="notebooks")
    for name in args.names or NOTEBOOKS:
        path, seconds = build(name, run=not args.no_execute)
        print(f"wrote {path.relative_to(CHECKOUT) if path.is_relative_to(CHECKOUT) else path}"
              + (f": executed in {seconds:.1f} s" if not args.no_execute else " (not executed)"))
    if args.screenshot:
        print(f"wrote {screenshot().relative_to(CHECKOUT)}")
    return 0
