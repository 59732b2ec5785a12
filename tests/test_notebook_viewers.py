"""The committed notebooks as viewers that remove scripts and iframes show them (GitHub's and
nbviewer's renderers; an untrusted JupyterLab also drops SVG).

Each committed notebook (demos/notebooks/*.ipynb) is exported to HTML by nbconvert, its scripts and
iframes are removed, and every output that is a drawing or a stepper must still show an image: a
drawing's bundle carries a PNG beside its SVG, a stepper carries a PNG of its graph and the backward
table. In headless chromium the images must be drawn, and fit the output area. Skipped, with the
reason, without nbconvert (the browser part without chromium and playwright).
"""

import base64
import re

import pytest

for module in ("nbformat", "nbconvert"):
    pytest.importorskip(module, reason=f"{module} is not installed (pip install -e \".[notebooks]\")")

import nbformat  # noqa: E402
import nbformat.v4 as v4  # noqa: E402
from nbconvert import HTMLExporter  # noqa: E402

from demos.notebooks import build  # noqa: E402

_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.S | re.I)
_IFRAME = re.compile(r"<iframe\b.*?</iframe\s*>", re.S | re.I)


def without_scripts_and_iframes(page):
    """The HTML as GitHub and nbviewer leave it: no <script>, no <iframe>."""
    page = _IFRAME.sub("", _SCRIPT.sub("", page))
    assert "<script" not in page.lower() and "<iframe" not in page.lower()
    return page


def committed(name):
    return nbformat.read(str(build.HERE / f"{name}.ipynb"), as_version=4)


def pictures(nb):
    """[(kind, output)] of the notebook's drawings and steppers, in order."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "seebackprop-stepper" in data.get("text/html", ""):
                found.append(("stepper", output))
            elif "image/svg+xml" in data or "image/png" in data:
                found.append(("drawing", output))
    return found


def export(nb):
    body, _ = HTMLExporter().from_notebook_node(nb)
    return body


def is_png(text):
    return base64.b64decode(text).startswith(b"\x89PNG")


@pytest.mark.parametrize("name", build.NOTEBOOKS)
def test_every_drawing_and_stepper_still_shows_an_image_without_scripts_and_iframes(name):
    found = pictures(committed(name))
    if name in ("chain_rule", "higham"):
        assert found, f"{name}.ipynb draws graphs: its outputs are missing"
    for kind, output in found:
        data = output["data"]
        if kind == "drawing" and "image/svg+xml" in data:
            # the PNG is what an untrusted JupyterLab (which renders no SVG) shows
            assert "image/png" in data and is_png(data["image/png"]), \
                f"{name}.ipynb: a drawing without its PNG: rebuild with python -m demos.notebooks {name}"
        # this output alone, exported as a reader without Jupyter gets it, then stripped
        cell = v4.new_code_cell("")
        cell.outputs = [output]
        page = without_scripts_and_iframes(export(v4.new_notebook(cells=[cell])))
        images = re.findall(r'<img\b[^>]*src="data:image/(png|svg\+xml);base64,([^"]+)"', page)
        assert images or "<svg" in page, f"{name}.ipynb: a {kind} shows no image once scripts and iframes are removed"
        for kind_of_image, encoded in images:
            picture = base64.b64decode(encoded)
            assert picture.startswith(b"\x89PNG") if kind_of_image == "png" else b"<svg" in picture
        if kind == "stepper":
            (png,) = re.findall(r'<img\b[^>]*src="data:image/png;base64,([^"]+)"', page)
            assert is_png(png)
            assert '<table class="seebackprop-steps">' in page  # and the numbers, not a caption


@pytest.mark.slow
@pytest.mark.parametrize("name", ["chain_rule", "higham"])
def test_the_stripped_notebooks_draw_their_images_inside_the_output_area(name, tmp_path):
    """In a real browser: every drawing and every stepper's static picture is drawn (non-zero size,
    decoded) and no wider than the output area; a stepper's static copy is visible."""
    from chromium import persistent_context, skip_reason
    if skip_reason():
        pytest.skip(skip_reason())
    nb = committed(name)
    found = pictures(nb)
    path = tmp_path / f"{name}.html"
    path.write_text(without_scripts_and_iframes(export(nb)), encoding="utf-8")
    with persistent_context(viewport=(1000, 800)) as browser:
        page = browser.new_page()
        page.goto(path.as_uri())
        shown = page.evaluate("""() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
          .map(area => Array.from(area.querySelectorAll('img, svg'))
            .filter(e => !e.closest('svg') || e.tagName.toLowerCase() === 'svg' && !e.parentElement.closest('svg'))
            .map(e => { const r = e.getBoundingClientRect();
                        return {w: r.width, h: r.height, area: area.getBoundingClientRect().width,
                                decoded: e.tagName.toLowerCase() !== 'img' || e.naturalWidth > 0}; }))
          .filter(list => list.length > 0)""")
        assert len(shown) == len(found)
        for images in shown:
            for image in images:
                assert image["w"] > 50 and image["h"] > 20 and image["decoded"]
                assert image["w"] <= image["area"] + 1, "a picture wider than the output area"
        steppers = sum(1 for kind, _ in found if kind == "stepper")
        assert page.locator(".seebackprop-stepper-static:visible").count() == steppers
