"""The engine's architecture, computed from its source: which module imports which, and the layers.

``python docs/layers.py OUT.svg`` draws the layers of ``engine/`` (one box per subpackage, its modules
inside, an arrow where one subpackage imports another) with Graphviz; ``tests/test_layers.py`` uses
``import_graph`` to check that no layer imports a layer above it and that there is no cycle.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "engine"
# bottom to top: a module may import from its own layer and the layers before it, never after
LAYERS = ["version", "runtimes", "rules", "core", "compiler", "higher", "display"]
ROLES = {
    "runtimes": "the functions the rules call:\nPython floats, NumPy, numba",
    "rules": "the operation table and the rule compiler:\neach row parsed once, the chain rule once",
    "core": "Value, graph walks, the backward pass,\nengine.define",
    "compiler": "compiled graphs: one plan,\none writer per backend",
    "higher": "gradients as graphs:\nHessians, hvp, vhp",
    "display": "drawings, step tables,\nthe stepper, Jupyter",
}


def modules(root=ROOT):
    """{module name: path} of every module of the engine."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(["engine"] + parts)] = path
    return found


def imports(name, path, known):
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
                found.add(sub if sub in known else target)
    return {m for m in found if m in known and m != name}


def import_graph(root=ROOT):
    """{module: the engine modules it imports}."""
    known = modules(root)
    return {name: imports(name, path, known) for name, path in known.items()}


def layer(name):
    """The index of ``name``'s layer in LAYERS (the package ``engine`` itself is above them all)."""
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 else len(LAYERS)


def drawing(graph=None):
    """The layers as a graphviz.Digraph: a cluster per subpackage, an edge per imported layer."""
    import graphviz
    graph = graph or import_graph()
    g = graphviz.Digraph("layers", graph_attr={"rankdir": "BT", "fontname": "Helvetica", "nodesep": "0.3"},
                         node_attr={"shape": "box", "style": "rounded,filled", "fillcolor": "#f4f6f7",
                                    "fontname": "Helvetica", "fontsize": "10"})
    for pkg in LAYERS[1:]:
        with g.subgraph(name=f"cluster_{pkg}") as c:
            c.attr(label=f"engine.{pkg}: {ROLES[pkg]}", fontsize="11", style="rounded", color="#5d6d7e")
            members = sorted(m.split(".")[2] for m in graph if m.count(".") == 2 and m.split(".")[1] == pkg)
            c.node(f"{pkg}_mods", "\n".join(members) or pkg)
    edges = {(m.split(".")[1], n.split(".")[1]) for m, deps in graph.items() for n in deps
             if m.count(".") >= 1 and n.count(".") >= 1}
    for a, b in sorted(edges):
        if a != b and a in ROLES and b in ROLES:
            g.edge(f"{a}_mods", f"{b}_mods", color="#839192")
    return g


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "layers.svg")
    out.write_bytes(drawing().pipe(format=out.suffix.lstrip(".") or "svg"))
    print(f"wrote {out}")
