"""The engine's architecture, checked: layers that depend only on the layers below them, no import
cycle anywhere in engine/, the public names of ``engine`` kept, and every function the rules call
defined by every runtime."""

import ast
import importlib.util
import os
from pathlib import Path

import pytest

import engine
from engine.rules.parse import rule
from engine.rules.table import BUILTIN

ROOT = Path(engine.__file__).parent
# bottom to top: a module may import from its own layer and the layers before it, never after
LAYERS = ["version", "runtimes", "rules", "core", "compiler", "higher", "display"]


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(["engine"] + parts), path


def _imports(name, path):
    """The engine modules that ``name`` imports, at the top or inside functions alike."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "engine"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "engine":
                continue
            for a in node.names:  # "from .rules import parse" imports the module engine.rules.parse
                sub = f"{target}.{a.name}"
                found.add(sub if sub in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


MODULES = dict(_modules())
GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(name):
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 else len(LAYERS)  # engine/__init__ is on top


def test_every_module_belongs_to_a_layer():
    assert {name.split(".")[1] for name in MODULES if "." in name} <= set(LAYERS)


def test_no_import_cycle_in_the_engine():
    state = {}

    def visit(m, path):
        state[m] = "open"
        for n in sorted(GRAPH[m]):
            if state.get(n) == "open":
                cycle = path[path.index(n):] + [n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n, path + [n])
        state[m] = "done"

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])


def test_a_layer_imports_only_from_itself_and_the_layers_below():
    wrong = [f"{m} imports {n}" for m, deps in GRAPH.items() for n in deps
             if m != "engine" and n != "engine" and _layer(n) > _layer(m)]
    assert not wrong, wrong
    assert not any("engine" in deps for m, deps in GRAPH.items() if m != "engine")  # nothing imports the top


def test_the_public_names_are_kept():
    before = {"__version__", "Value", "OPS", "Op", "DomainError", "affine", "exp", "log", "tanh", "sigmoid",
              "relu", "softplus", "topological_order", "edges", "leaves", "local_derivatives", "first_nonfinite",
              "NonFiniteError", "numerical_gradient", "gradient_error", "grad", "hessian", "hessian_of", "hvp",
              "compile", "CompiledGraph", "CompileError", "draw_graph", "draw_network", "render", "Drawing",
              "GraphTooLarge", "GraphvizNotInstalled", "backward_steps", "backward_table", "BackwardStep",
              "Contribution", "backward_frames", "write_frames", "write_stepper_html", "stepper", "Stepper"}
    assert before <= set(engine.__all__)
    for name in engine.__all__ + ["max", "abs"]:
        assert getattr(engine, name) is not None, name


# ---------------------------------------------------------------- every runtime, every function

def _used_by_the_table():
    used = set()
    for op in BUILTIN.values():
        used |= rule(op).calls
    return used


def test_every_runtime_defines_every_function_the_table_uses():
    from engine.higher import values
    from engine.runtimes import numpy as arrays, python as scalar
    used = _used_by_the_table()
    assert used, "the table calls functions"
    assert used <= set(scalar.FUNCTIONS), used - set(scalar.FUNCTIONS)
    assert used <= set(arrays.FUNCTIONS), used - set(arrays.FUNCTIONS)
    assert used <= set(values.FUNCTIONS), used - set(values.FUNCTIONS)
    # and every function any rule may call, including math's, exists in each of those runtimes
    assert set(scalar.FUNCTIONS) == set(arrays.FUNCTIONS)
    assert set(scalar.FUNCTIONS) <= set(values.FUNCTIONS)


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
def test_the_numba_runtime_defines_or_generates_every_function():
    from engine.runtimes import numba as native, python as scalar
    generated = set(scalar.INLINE) | set(scalar.MATH)  # written into each module from one text
    assert set(native.FUNCTIONS) | generated == set(scalar.FUNCTIONS)
    for name in scalar.INLINE:
        assert f"def {name}(" in native.inline_source(name)
    for name in scalar.MATH:
        assert f"def {name}(" in native.math_source(name)


def test_each_row_is_parsed_once_and_the_partials_have_two_explicit_kinds():
    for op in BUILTIN.values():
        assert rule(op) is rule(op)
        for text, p in zip(op.partials, rule(op).partials):
            assert p.kind == ("none" if text is None else "term" if isinstance(text, engine.term) else "local")
    assert [p.kind for p in rule(BUILTIN["div"]).partials] == ["term", "term"]
    assert rule(BUILTIN["mul"]).partials[0].kind == "local"


def test_no_module_of_the_engine_is_large_or_reads_rules_with_regular_expressions():
    for name, path in MODULES.items():
        text = path.read_text()
        assert len(text.splitlines()) < 600, name
        if name.startswith(("engine.rules", "engine.core", "engine.higher")):
            assert "import re\n" not in text, name
    assert os.path.basename(str(ROOT)) == "engine"
