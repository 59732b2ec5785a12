"""What Jupyter shows: the stepper page inline, and Values and tables as HTML.

``stepper(root)`` returns a ``Stepper``; as the last expression of a cell Jupyter displays it as the
very page ``write_stepper_html`` writes (buttons, slider, ← → keys, zoom, the table), inside an
``<iframe srcdoc=...>``. The page is self-contained (pictures, styles and script inline), so the
output needs no server and no kernel-side widget: it steps in JupyterLab, Notebook, VS Code, and in
a notebook exported to static HTML by nbconvert. The iframe is its own document, so the page's
element ids cannot collide with another stepper's or the notebook's; the iframe gets a unique id.

Beside the iframe the output carries a static copy for the viewers that remove scripts and iframes
(an untrusted JupyterLab, GitHub, nbviewer): a PNG of the graph with its final gradients (from the
same Graphviz run as the page's picture) and the backward table as plain HTML. A one-line script
hides that copy where scripts run, so a reader sees the stepper or the copy, not both.
"""

import base64
import html
import itertools

from .stepper import _check_page_options, backward_frames, backward_table_html, layout, stepper_page

_instances = itertools.count(1)
DEFAULT_HEIGHT = 640  # pixels: the page lays itself out in the frame's height (100vh)
HEIGHTS = (200, 5000)  # pixels: below, the controls leave no room for the picture


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def html_table(headers, rows, *, caption=None):
    """An HTML table (escaped cells); cells that read as numbers are right-aligned, in monospace."""
    e = html.escape
    out = ['<table class="seebackprop">']
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold">{e(caption)}</caption>')
    out.append("<thead><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in headers) + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for c in row:
            style = ' style="text-align:right;font-family:monospace"' if _is_number(str(c)) else ""
            cells.append(f"<td{style}>{e(str(c))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def value_html(v):
    """A Value as a one-row table: label, data, grad, operation and number of inputs."""
    op = v.op or "(leaf)"
    return html_table(["label", "data", "grad", "op", "inputs"],
                      [[v.label if v.label is not None else "", repr(v.data), repr(v.grad), op, len(v.inputs)]],
                      caption="Value")


class Stepper:
    """The stepper page of ``root.backward(gradient)``, shown inline by Jupyter.

    ``.page`` is the HTML text (the file ``write_stepper_html`` writes), ``.frames`` the frames,
    ``.png`` the picture of the graph with its final gradients (the static copy's),
    ``.save(path)`` writes the page to a file, ``.height`` the frame's height in pixels.
    """

    def __init__(self, root, gradient=1.0, *, title="Back propagation, one node at a time", annotate=None,
                 height=DEFAULT_HEIGHT, **draw_options):
        low, high = HEIGHTS
        if isinstance(height, bool) or not isinstance(height, int) or not low <= height <= high:
            raise ValueError(f"height must be an int of pixels from {low} to {high} (the frame the stepper is "
                             f"shown in), got {type(height).__name__} {height!r:.60}")
        _check_page_options(title, annotate)
        self.root = root
        self.frames = backward_frames(root, gradient, **draw_options)
        pictures = layout(self.frames, ("svg", "png"))  # one Graphviz run: the page's picture and the PNG
        self.png = pictures["png"]
        self.page = stepper_page(root, self.frames, title=title, annotate=annotate, svg=pictures["svg"])
        self.table = backward_table_html(self.frames, annotate=annotate)
        self.height = height
        self.id = f"seebackprop-stepper-{next(_instances)}"

    @property
    def steps(self):
        """The number of backward steps (frames after the start)."""
        return len(self.frames) - 1

    def save(self, path):
        """Write the page to ``path`` (what ``write_stepper_html`` writes); returns the ``Path``."""
        from pathlib import Path

        from ..core.files import refuse_unless_regular
        path = Path(refuse_unless_regular(Path(path), "write the stepper page to"))
        path.write_text(self.page, encoding="utf-8")
        return path

    def static_html(self):
        """The static copy: the PNG (scaled to the output's width) and the backward table, no script."""
        png = base64.b64encode(self.png).decode("ascii")
        return (f'<div class="seebackprop-stepper-static" id="{self.id}-static">'
                f'<div style="font-size:12px;color:#555">Back propagation in {self.steps} steps: the graph with '
                f'its final gradients, and each step below (run the notebook to step through them).</div>'
                f'<img src="data:image/png;base64,{png}" alt="the graph with its final gradients" '
                f'style="max-width:100%;height:auto">'
                f'<div style="max-height:420px;overflow:auto;font-size:12px">{self.table}</div></div>')

    def _repr_html_(self):
        # srcdoc holds the whole page; the iframe keeps it a separate document. In single quotes, only
        # & and ' need escaping (and <, so that no tool that cuts HTML by pattern finds a tag in it):
        # the page's many double quotes (SVG and JSON, whose < are \u003c) stay one character each
        srcdoc = self.page.replace("&", "&amp;").replace("'", "&#39;").replace("<", "&lt;")
        # The iframe's caption starts hidden and the static copy shown: where scripts run, the script
        # swaps them; where they are removed (with the iframe), the copy stays
        return (f'<iframe id="{self.id}" class="seebackprop-stepper" title="back-propagation stepper" '
                f"srcdoc='{srcdoc}' "
                f'style="width:100%;height:{self.height}px;border:1px solid #ccc"></iframe>'
                f'<div id="{self.id}-caption" hidden style="font-size:12px;color:#555">Back propagation in '
                f'{self.steps} steps: click the picture, then ← → (or the buttons, the slider, Home, End).</div>'
                + self.static_html()
                + f'<script>(function () {{ var d = document;'
                  f' d.getElementById("{self.id}-static").style.display = "none";'
                  f' d.getElementById("{self.id}-caption").hidden = false; }})();</script>')

    def __repr__(self):
        return f"<Stepper: {self.steps} backward steps of {self.root!r}>"


def stepper(root, gradient=1.0, **options):
    """``Stepper(root, gradient, **options)``: in a notebook, the last line of a cell shows it.

    Options: ``title``, ``annotate`` (node → note for its row), ``height`` (pixels, 200 to 5000) and the
    drawing options of ``draw_graph`` (params, op_nodes, rankdir, precision, max_nodes, max_frames, legend).
    Nothing in the graph changes (``.grad`` stays as it was). Needs Graphviz's ``dot``."""
    return Stepper(root, gradient, **options)


__all__ = ["Stepper", "stepper", "html_table", "value_html"]
