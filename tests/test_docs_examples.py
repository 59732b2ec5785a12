"""The Python examples of the documentation's pages and of the README run as written: each page's ```python blocks in
order, in one namespace (a later block may use what an earlier one defined), in a scratch folder.
Blocks that need an optional package are skipped with the reason where it is missing; the page on
extending the engine runs once ``engine.define`` exists (issue 22)."""

import importlib.util
import io
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "```python" in p.read_text("utf-8"))
PAGES.append("../README.md")
NEEDS = {"import torch": "torch", 'backend="numba"': "numba"}


@pytest.fixture
def value_class_restored():
    """An example may add a method to Value micrograd's way (``Value.sin = sin``): the class is put
    back as it was after the page, so that no other test meets it."""
    from engine import Value
    saved = dict(vars(Value))
    yield
    for name in set(vars(Value)) - set(saved):
        delattr(Value, name)
    for name, value in saved.items():
        if vars(Value).get(name) is not value:
            setattr(Value, name, value)


@pytest.mark.parametrize("page", PAGES)
def test_the_examples_of_a_page_run(page, tmp_path, monkeypatch, value_class_restored):
    import engine
    if page == "guide/extending.md" and not hasattr(engine, "define"):
        pytest.skip("engine.define (issue 22, item 4) is not in this engine yet")
    blocks = re.findall(r"^ *```python\n(.*?)^ *```", (DOCS / page).read_text("utf-8"), re.S | re.M)
    assert blocks
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for number, block in enumerate(blocks, 1):
        lines = block.splitlines()
        indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        source = "\n".join(line[indent:] for line in lines)
        for marker, module in NEEDS.items():
            if marker in source and importlib.util.find_spec(module) is None:
                pytest.skip(f"example {number} needs {module}, which is not installed")
        if "draw_graph" in source or "write_stepper_html" in source or "stepper(" in source:
            import shutil
            if shutil.which("dot") is None:
                pytest.skip("Graphviz's dot is not installed")
        with redirect_stdout(io.StringIO()):
            exec(compile(source, f"docs/{page}, example {number}", "exec"), namespace)

