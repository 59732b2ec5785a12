"""What Jupyter shows: a Value and an nn module as HTML tables, and the stepper page inline."""

import html
import re
import shutil

import pytest

from engine import Stepper, Value, stepper, write_stepper_html
from nn import MLP


def test_a_value_shows_label_data_grad_and_operation():
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y<1>"            # escaped, not markup
    y.backward()
    page = y._repr_html_()
    assert "<table" in page and "y&lt;1&gt;" in page and "<1>" not in page
    assert ">4.0<" in page and ">1.0<" in page and ">mul<" in page
    assert ">(leaf)<" in x._repr_html_() and ">4.0<" in x._repr_html_()   # x.grad = 2x


def test_a_network_shows_its_summary_table_and_parameters():
    mlp = MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=0)
    page = mlp._repr_html_()
    assert "MLP 2-2-3-2: 23 parameters" in page
    rows = re.findall(r"<tr>(.*?)</tr>", page)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in rows]
    layer_rows = [c for c in cells if len(c) == 6]
    assert [c[0] for c in layer_rows] == ["1", "2", "3", "4", "total"]
    assert [c[2] for c in layer_rows[1:4]] == ["2x2", "3x2", "2x3"] and layer_rows[-1][5] == "23"
    params = [c for c in cells if len(c) == 3]
    assert [c[0] for c in params] == [name for name, _ in mlp.named_parameters()]
    assert params[0][1] == repr(mlp.parameters()[0].data)
    assert "neuron 1 of layer 2" in mlp.layers[0].neurons[0]._repr_html_()
    assert "Layer 3: 2 inputs, 3 neurons" in mlp.layers[1]._repr_html_()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_the_inline_stepper_is_the_stepper_page_in_an_iframe(tmp_path):
    x, w = Value(0.5, label="x"), Value(-1.2, label="w")
    a = (w * x + 0.3).sigmoid()
    one, two = stepper(a, params={w}), stepper(a, params={w}, height=400)
    assert isinstance(one, Stepper) and one.steps == 3 and a.grad == 0.0   # the graph is left alone
    shown = one._repr_html_()
    srcdoc = html.unescape(re.search(r"srcdoc='([^']*)'", shown).group(1))
    assert srcdoc == one.page
    assert srcdoc == write_stepper_html(a, tmp_path / "page.html", params={w}).read_text(encoding="utf-8")
    assert re.search(r'<iframe id="([^"]+)"', shown).group(1) != re.search(r'<iframe id="([^"]+)"', two._repr_html_()).group(1)
    assert "height:400px" in two._repr_html_()
    assert one.save(tmp_path / "saved.html").read_text(encoding="utf-8") == one.page


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_the_inline_stepper_carries_a_static_copy_for_viewers_without_scripts():
    """An untrusted JupyterLab, GitHub and nbviewer remove scripts and iframes: what is left must be
    a picture of the graph (a PNG, from the page's own layout) and the whole backward table."""
    import base64
    x, w = Value(0.5, label="x"), Value(-1.2, label="w")
    a = (w * x + 0.3).sigmoid()
    a.label = "a"
    shown = stepper(a)._repr_html_()
    static = re.sub(r"<script\b.*?</script>|<iframe\b.*?</iframe>", "", shown, flags=re.S)
    assert "<script" not in static and "<iframe" not in static and "srcdoc" not in static
    png = re.search(r'<img src="data:image/png;base64,([^"]+)"', static).group(1)
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert 'style="max-width:100%;height:auto"' in static  # scaled to the output's width
    a.backward()  # the table's numbers are backward()'s
    rows = re.findall(r"<tr>(.*?)</tr>", static.split("seebackprop-steps")[1])
    cells = [re.sub(r"<[^>]+>", "|", r) for r in rows]
    assert len([c for c in cells if "rowspan" in rows[cells.index(c)]]) == 3  # 3 steps
    assert any(f"{w.grad:.4g}" in c and "|w|" in c for c in cells)
    assert any(f"{x.grad:.4g}" in c and "|x|" in c for c in cells)
    # where scripts run, the script hides the copy and shows the stepper's caption
    assert re.search(r'getElementById\("(seebackprop-stepper-\d+)-static"\)\.style\.display = "none"', shown)
    assert re.search(r'<div id="seebackprop-stepper-\d+-caption" hidden', shown)


@pytest.mark.parametrize("options, message", [
    ({"height": -5}, "height must be an int of pixels from 200 to 5000"),
    ({"height": 10**9}, "height must be an int of pixels from 200 to 5000"),
    ({"height": 400.5}, "height must be an int of pixels"),
    ({"height": True}, "height must be an int of pixels"),
    ({"title": 3}, "title must be a string"),
    ({"annotate": "notes"}, "annotate must be a function of a node"),
    ({"op_nodes": "yes"}, "op_nodes must be True or False"),
    ({"legend": 1}, "legend must be True or False"),
    ({"rankdir": "up"}, "rankdir must be one of LR, TB, RL, BT"),
    ({"precision": 0}, "precision must be an int from 1 to 17"),
    ({"max_frames": -1}, "max_frames must be a positive int"),
    ({"max_nodes": "many"}, "max_nodes must be a positive int"),
    ({"params": 3}, "params"),
])
def test_every_stepper_option_is_checked_by_name(options, message):
    x = Value(0.5, label="x")
    with pytest.raises((TypeError, ValueError), match=message) as error:
        stepper(x.tanh(), **options)
    assert len(str(error.value)) < 300


def test_a_refused_option_message_stays_short_whatever_was_passed():
    with pytest.raises(ValueError) as error:
        stepper(Value(1.0).tanh(), rankdir="x" * 100_000)
    assert len(str(error.value)) < 300


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_a_drawing_shows_as_svg_and_png_and_shrinks_to_the_output_width():
    """An untrusted JupyterLab renders no SVG (it showed the text <engine.display.draw.Drawing>): the bundle
    carries a PNG beside the SVG, both of one layout; the SVG never overflows the output area."""
    import base64
    import struct
    import xml.etree.ElementTree as ET
    from engine import draw_graph
    x = Value(0.5, label="x")
    y = x
    for _ in range(12):
        y = y.tanh()   # a drawing about 3,000 points wide
    bundle = draw_graph(y)._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png"}
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    svg = ET.fromstring(bundle["image/svg+xml"].encode())
    # JupyterLab and nbconvert show SVG as an <img>, sized by the SVG alone: a wide one fills the width
    assert svg.get("style") == "max-width:100%;height:auto" and svg.get("width") == "100%"
    assert svg.get("height") is None
    width_pt = float(svg.get("viewBox").split()[2])
    png_width = struct.unpack(">I", png[16:20])[0]   # the IHDR chunk: one layout, one size (96 dpi)
    assert png_width == pytest.approx(width_pt * 96 / 72, abs=2)
    small = ET.fromstring(draw_graph(x.tanh())._repr_mimebundle_()["image/svg+xml"].encode())
    assert small.get("width").endswith("pt") and small.get("height").endswith("pt")  # a small one keeps its size
    assert draw_graph(y)._repr_mimebundle_(include=["image/png"]).keys() == {"image/png"}
    assert draw_graph(y)._repr_mimebundle_(exclude=["image/png"]).keys() == {"image/svg+xml"}


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_a_note_may_be_any_object():
    y = Value(2.0, label="x").tanh()
    shown = stepper(y, annotate=lambda node: 5 if node is y else None)._repr_html_()
    assert "<td rowspan=\"1\">1</td>" in shown and ">5<" in html.unescape(shown)
