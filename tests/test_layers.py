"""The engine's architecture, checked: layers that depend only on the layers below them, no import
cycle anywhere in engine/, the public names of ``engine`` kept, and every function the rules call
defined by every runtime."""

import importlib.util
import os
from pathlib import Path

import pytest

import engine
from engine.rules.parse import rule
from engine.rules.table import BUILTIN

ROOT = Path(engine.__file__).parent
_spec = importlib.util.spec_from_file_location("layers", ROOT.parent / "docs" / "layers.py")
layers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layers)  # the walker that also draws the docs' picture of the layers
LAYERS = layers.LAYERS
MODULES = layers.modules(ROOT)
GRAPH = layers.import_graph(ROOT)
_layer = layers.layer


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
