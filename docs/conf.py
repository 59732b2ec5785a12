"""Sphinx configuration of the seebackprop documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    python -m sphinx -W -b html docs build/docs

and open ``build/docs/index.html``. The site works offline: MathJax is copied from a Python package
(the ``docs`` extra's django-static-mathjax, MathJax 3) into the site's ``_static``, the theme ships
its own assets, and nothing is fetched from a network at build time or when reading. Notebooks are
rendered with the outputs they were committed with (never executed here); every demo page includes
the report that the demo itself wrote (``docs/reports/``, see ``docs/make_reports.py``). The picture
of the engine's layers on the architecture page is drawn by the build itself, from the engine's
source as it is (``docs/layers.py``, with Graphviz's ``dot``), into the site's ``_static/layers.svg``.
"""

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))          # document this checkout's engine and nn, not an installed copy

import engine  # noqa: E402

project = "seebackprop"
author = "the seebackprop authors"
copyright = "the seebackprop authors"
release = version = engine.__version__

extensions = [
    "myst_nb",                   # MyST Markdown pages and .ipynb notebooks
    "sphinx.ext.autodoc",        # the API reference, from the docstrings
    "sphinx.ext.mathjax",
]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "reports/README.md"]
nb_execution_mode = "off"        # render the outputs committed with each notebook
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

autodoc_default_options = {"members": True, "undoc-members": True, "member-order": "bysource"}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# numpy.typing.ArrayLike by its name, not the union of eight protocols it stands for
autodoc_type_aliases = {"ArrayLike": "numpy.typing.ArrayLike"}
autodoc_preserve_defaults = True
add_module_names = False

html_theme = "furo"
html_title = "seebackprop"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_show_sourcelink = False
html_last_updated_fmt = None     # no dates: the same sources build the same pages
html_copy_source = False
# the search's result summaries are fetched from the pages, which a browser refuses for file:// pages:
# without them the search works from the site's files alone, offline
html_show_search_summary = False

# MathJax 3 from the docs extra, served from the site itself (no CDN: the site reads offline)
mathjax_path = "mathjax/tex-chtml.js"
MATHJAX_FILES = ["tex-chtml.js", "output/chtml", "input/tex/extensions", "a11y", "ui", "LICENSE"]


def _copy_mathjax(app, exception):
    """Copy the pieces of MathJax the pages use into the built site's _static/mathjax."""
    if exception is not None or app.builder.format != "html":
        return
    try:
        import mathjax  # django-static-mathjax: MathJax 3's es5 build as package data
    except ImportError as err:
        raise RuntimeError('the docs need MathJax from the docs extra: pip install -e ".[docs]"') from err
    package = Path(mathjax.__file__).resolve().parent / "static" / "mathjax"
    source = package / "es5"
    target = Path(app.outdir) / "_static" / "mathjax"
    for name in MATHJAX_FILES:
        path = package / name if name == "LICENSE" else source / name
        if path.is_dir():
            shutil.copytree(path, target / name, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / name)


LAYERS_PICTURE = "layers.svg"   # in the built site's _static; guide/architecture.md shows it


def _draw_layers(app, exception):
    """Draw the layers of engine/ from its import graph (docs/layers.py) into the site's _static."""
    if exception is not None or app.builder.format != "html":
        return
    import importlib.util

    import graphviz

    spec = importlib.util.spec_from_file_location("layers", HERE / "layers.py")
    layers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layers)  # the walker tests/test_layers.py checks the layers with
    try:
        svg = layers.drawing().pipe(format="svg")
    except graphviz.ExecutableNotFound as err:
        raise RuntimeError("the docs draw the engine's layers with Graphviz's 'dot', which is not installed "
                           "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz)") from err
    target = Path(app.outdir) / "_static" / LAYERS_PICTURE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(svg)


def _plain_docstrings(app, what, name, obj, options, lines):
    """Docstrings here are written as plain text with ``code`` spans, not always as valid
    reStructuredText (an indented continuation, a ``|w|``). A docstring that reStructuredText parses
    without a complaint is rendered as such; any other is shown as written, preformatted, so that
    no docstring is mangled and the build stays free of warnings."""
    import io

    from docutils.core import publish_doctree
    if not lines:
        return
    stream = io.StringIO()
    try:
        publish_doctree("\n".join(lines), settings_overrides={
            "warning_stream": stream, "report_level": 2, "halt_level": 5, "file_insertion_enabled": False})
    except Exception:  # noqa: BLE001 (anything docutils cannot take is shown as written)
        stream.write("error")
    if stream.getvalue():
        lines[:] = ["::", ""] + [f"   {line}" for line in lines] + [""]


def setup(app):
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _draw_layers)
    app.connect("autodoc-process-docstring", _plain_docstrings)
