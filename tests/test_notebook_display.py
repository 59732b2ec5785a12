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
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', shown).group(1))
    assert srcdoc == one.page
    assert srcdoc == write_stepper_html(a, tmp_path / "page.html", params={w}).read_text(encoding="utf-8")
    assert re.search(r'<iframe id="([^"]+)"', shown).group(1) != re.search(r'<iframe id="([^"]+)"', two._repr_html_()).group(1)
    assert "height:400px" in two._repr_html_()
    assert one.save(tmp_path / "saved.html").read_text(encoding="utf-8") == one.page
