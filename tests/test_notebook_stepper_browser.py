"""The inline stepper in a notebook exported to static HTML, in a real headless browser.

A notebook with two ``engine.display.stepper(...)`` cells runs in a Jupyter kernel (nbclient, ipykernel),
nbconvert exports it to HTML (no kernel, no server from then on), and chromium opens the file: the
arrow keys step the stepper that has the focus and only that one, and the gradient each shows is
``backward()``'s. Skipped, with the reason, without the notebooks extra, chromium, playwright or dot.
"""

import pytest

from chromium import persistent_context, skip_reason

for module in ("nbformat", "nbclient", "ipykernel", "nbconvert"):
    pytest.importorskip(module, reason=f"{module} is not installed (pip install -e \".[notebooks]\")")
if skip_reason():
    pytest.skip(skip_reason(), allow_module_level=True)

import nbformat.v4 as v4  # noqa: E402
from nbconvert import HTMLExporter  # noqa: E402

from demos.notebooks.build import execute  # noqa: E402
from engine import Value, backward_steps  # noqa: E402

GRAPH = """from engine import Value, stepper
x, w = Value(0.5, label="x"), Value(-1.2, label="w")
a = (w * x + 0.3).sigmoid()
a.label = "a"
"""

pytestmark = pytest.mark.slow  # a kernel, an export and a browser: about 10 s


def graph():
    namespace = {}
    exec(GRAPH, {"Value": Value}, namespace)
    return namespace["a"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    directory = tmp_path_factory.mktemp("notebook")
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# Two steppers"), v4.new_code_cell(GRAPH + "stepper(a)"),
                                v4.new_code_cell("b = a * a\nb.label = 'b'\nstepper(b)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute(nb, cwd=directory)
    body, _ = HTMLExporter().from_notebook_node(nb)
    path = directory / "steppers.html"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_arrow_keys_step_the_stepper_in_an_exported_notebook(exported):
    a = graph()
    steps = list(backward_steps(a))
    b = a * a
    last_b = len(list(backward_steps(b)))
    a.backward()
    with persistent_context() as browser:
        page = browser.new_page()
        errors, fetched = [], []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # the stepper pages must fetch nothing (the exporter's own page may ask for MathJax)
        page.on("request", lambda r: fetched.append(r.url) if r.frame.url == "about:srcdoc"
                and not r.url.startswith(("data:", "about:")) else None)
        page.goto(exported.as_uri())
        assert page.locator("iframe.seebackprop-stepper").count() == 2
        ids = page.locator("iframe.seebackprop-stepper").evaluate_all("els => els.map(e => e.id)")
        assert len(set(ids)) == 2
        first, second = (page.frame_locator(f"#{i}") for i in ids)
        step = lambda frame: int(frame.locator("#step-number").get_attribute("data-step"))
        assert step(first) == step(second) == 0
        # scripts run here: the static copies (for viewers without scripts) are hidden, the captions shown
        assert page.locator(".seebackprop-stepper-static").count() == 2
        assert page.locator(".seebackprop-stepper-static:visible").count() == 0
        assert page.locator("[id$='-caption']:visible").count() == 2
        assert first.locator("#slider").get_attribute("max") == str(len(steps))

        first.locator("#picture").click()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert step(first) == 2 and step(second) == 0
        node = steps[1].node
        assert float(first.locator("#current-grad").get_attribute("data-exact")) == node.grad  # backward()'s
        assert first.locator("#frame-2").is_visible() and not first.locator("#frame-1").is_visible()
        page.keyboard.press("ArrowLeft")
        assert step(first) == 1
        assert first.locator("#current-node").inner_text() == "a"

        second.locator("#picture").click()
        page.keyboard.press("End")
        assert step(second) == last_b and step(first) == 1
        assert errors == [] and fetched == []
