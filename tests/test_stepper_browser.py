"""The stepper page in a real headless browser: Debian's chromium driven by playwright.

It opens the file as a user would (file://, no server), steps forward and back with the buttons,
the keyboard and the slider, and checks the step shown, the visible frame and the gradient shown
against ``backward()``. Skipped, with the reason, where chromium, playwright or dot is missing
(.ci/setup installs all three).
"""

import pytest

from chromium import persistent_context, skip_reason
from engine import Value, affine, backward_steps, topological_order, write_stepper_html

if skip_reason():
    pytest.skip(skip_reason(), allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with persistent_context() as context:
        yield context


@pytest.fixture(scope="module")
def page_and_graph(browser, tmp_path_factory):
    w = Value(-1.5, label="W[2][1,1]")
    x = Value(0.5, label="x")
    z = affine([w], [x], Value(0.25, label="b[2][1]"))
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    out = a * x + x.exp()
    out.label = "out"
    path = write_stepper_html(out, tmp_path_factory.mktemp("page") / "stepper.html")
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "about:")) else errors.append(r.url))
    page.goto(path.as_uri())
    yield page, out, errors
    page.close()


def shown(page):
    step = int(page.get_attribute("#step-number", "data-step"))
    visible = [i for i in range(int(page.get_attribute("#slider", "max")) + 1)
               if page.is_visible(f"#frame-{i}")]
    return step, visible


def test_steps_forward_and_back_showing_the_step_and_its_gradient(page_and_graph):
    page, out, errors = page_and_graph
    steps = list(backward_steps(out))
    out.backward()  # the page's numbers must be backward()'s
    last = len(steps)
    assert page.get_attribute("#slider", "max") == str(last)

    assert shown(page) == (0, [0])
    assert page.inner_text("#current-grad") == "1"

    page.click("#next")
    assert shown(page) == (1, [1])
    assert page.inner_text("#step-number") == f"Step 1 of {last}"
    assert page.inner_text("#current-node") == "out"
    assert float(page.get_attribute("#current-grad", "data-exact")) == out.grad == 1.0

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert shown(page)[0] == 3
    page.keyboard.press("ArrowLeft")
    assert shown(page) == (2, [2])
    node = steps[1].node
    assert page.inner_text("#current-node") == (node.label or page.inner_text("#current-node"))
    assert float(page.get_attribute("#current-grad", "data-exact")) == node.grad
    # the inputs' rows: one per input, with the local derivative and the amount added
    rows = page.locator("#current-inputs tr")
    assert rows.count() == len(node.inputs)
    c = steps[1].contributions[0]
    cells = rows.nth(0).locator("td").all_inner_texts()
    assert float(cells[1]) == pytest.approx(c.local, rel=1e-3) and float(cells[2]) == pytest.approx(c.amount, rel=1e-3)
    # the table row of the current step is highlighted
    assert "current" in page.get_attribute("#row-2", "class")

    page.keyboard.press("End")
    assert shown(page) == (last, [last])
    z = next(v for v in topological_order(out) if v.label == "z")
    step_of_z = next(s.number for s in steps if s.node is z)
    page.evaluate("(k) => { const s = document.getElementById('slider'); s.value = String(k);"
                  " s.dispatchEvent(new Event('input')); }", step_of_z)
    assert shown(page) == (step_of_z, [step_of_z])
    assert page.inner_text("#current-node") == "z"
    assert float(page.get_attribute("#current-grad", "data-exact")) == z.grad  # dout/dz, exactly
    # the visible picture outlines z, the node being processed, in red
    svg_z = page.locator(f"#frame-{step_of_z} svg #f{step_of_z}_n{topological_order(out).index(z)} path, "
                         f"#frame-{step_of_z} svg #f{step_of_z}_n{topological_order(out).index(z)} polygon")
    assert any(s == "#d62728" for s in svg_z.evaluate_all("els => els.map(e => e.getAttribute('stroke'))"))

    page.click("#first")
    assert shown(page) == (0, [0])
    assert page.is_disabled("#prev") and not page.is_disabled("#next")
    assert errors == []


def test_the_picture_fits_the_width_with_legible_text_and_zooms(browser, tmp_path):
    """A graph wider than the page: "fit" shrinks it to the picture's width but no further than
    keeps Graphviz's text legible (it then scrolls, without scrolling the page around it); − and +
    zoom by steps; fit comes back. A small graph is never enlarged."""
    x = Value(0.5, label="x")
    y = x
    for _ in range(30):
        y = y.tanh()   # about 7,000 pixels wide at full size
    wide = write_stepper_html(y, tmp_path / "wide.html")
    small = write_stepper_html(Value(2.0, label="s").tanh(), tmp_path / "small.html")
    page = browser.new_page()
    page.set_viewport_size({"width": 900, "height": 600})
    page.goto(wide.as_uri())
    scale = lambda: float(page.get_attribute("#zoom-level", "data-scale"))  # noqa: E731
    font = lambda: page.evaluate("""() => {  // the drawn height, in pixels, of a node's 12-point text
        const svg = document.querySelector('.frame:not([hidden]) svg');
        return 16 * svg.getBoundingClientRect().width / svg.width.baseVal.value; }""")
    assert scale() == pytest.approx(0.6) and font() >= 9.5
    assert "(fit)" in page.inner_text("#zoom-level")
    picture = page.evaluate("() => { const p = document.getElementById('picture'); return [p.scrollWidth, p.clientWidth]; }")
    assert picture[0] > picture[1]   # it scrolls instead of shrinking into illegibility
    page.keyboard.press("End")
    assert page.evaluate("() => [window.scrollX, window.scrollY]") == [0, 0]
    node = page.evaluate("""() => { const k = document.getElementById('step-number').getAttribute('data-step');
        const r = document.getElementById('f' + k + '_n0').getBoundingClientRect();
        const b = document.getElementById('picture').getBoundingClientRect();
        return r.left >= b.left - 1 && r.right <= b.right + 1; }""")
    assert node, "the picture scrolls to the node being processed"
    page.click("#zoom-in")
    assert scale() == pytest.approx(0.75) and "(fit)" not in page.inner_text("#zoom-level")
    page.click("#zoom-out")
    page.click("#zoom-out")
    assert scale() == pytest.approx(0.48)
    page.click("#zoom-fit")
    assert scale() == pytest.approx(0.6)
    page.goto(small.as_uri())
    assert scale() == 1.0   # a small picture keeps its size
    page.close()
