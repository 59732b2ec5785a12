"""The notebooks of demos/notebooks/, run top to bottom in a real Jupyter kernel (nbclient, ipykernel).

Each is built from its source with small sizes in its "parameters" cell (a few seconds each), must
run without an error in any cell, and the numbers its "key-numbers" cell shows must equal what the
demos' own functions compute at the same sizes, in this process. The committed notebooks must be
the sources' cells with their outputs and no errors. Skipped, with the reason, without the
"notebooks" extra.
"""

import ast

import numpy as np
import pytest

for module in ("nbformat", "nbclient", "ipykernel"):
    pytest.importorskip(module, reason=f"{module} is not installed (pip install -e \".[notebooks]\")")
pytest.importorskip("matplotlib", reason="matplotlib is not installed (pip install -e \".[demos]\")")
pytest.importorskip("scipy", reason="SciPy is not installed (pip install -e \".[demos]\")")

import nbformat  # noqa: E402

from demos.notebooks import build  # noqa: E402

pytestmark = pytest.mark.slow  # a kernel per notebook: 3 to 10 s each


def run_small(name, tmp_path, **parameters):
    """Build and execute ``name`` with ``parameters``; return its key numbers (a dict)."""
    path, _ = build.build(name, out_dir=tmp_path, parameters=parameters)
    nb = nbformat.read(str(path), as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    return key_numbers(nb)


def key_numbers(nb):
    cell = next(c for c in nb.cells if "key-numbers" in c.metadata.get("tags", []))
    (result,) = [o for o in cell.outputs if o.output_type == "execute_result"]
    return ast.literal_eval(result.data["text/plain"])


def test_chain_rule_notebook_matches_the_neuron_demo_and_calculus(tmp_path):
    from demos.backprop.examples import neuron
    numbers = run_small("chain_rule", tmp_path)
    o = neuron().root
    assert numbers["o"] == o.data == pytest.approx(2 ** -0.5, abs=1e-15)
    s = 1 - o.data ** 2   # d tanh(n)/dn; x1 = 2, x2 = 0, w1 = -3, w2 = 1
    assert numbers["do/dn"] == pytest.approx(s, rel=1e-15) and numbers["do/db"] == numbers["do/dn"]
    assert numbers["do/dw1"] == pytest.approx(2 * s, rel=1e-15)
    assert numbers["do/dx1"] == pytest.approx(-3 * s, rel=1e-15)
    assert numbers["do/dx2"] == pytest.approx(1 * s, rel=1e-15) and numbers["do/dw2"] == 0.0
    assert numbers["largest finite-difference difference"] < 1e-8


def test_higham_notebook_matches_the_demo_at_the_same_seed_and_steps(tmp_path):
    from demos.higham import ETA, training
    from demos.higham.data import points
    from demos.higham.network import HighamNetwork, make_network
    numbers = run_small("higham", tmp_path, ITERATIONS=20_000, SEED=3)
    rng = np.random.default_rng(3)          # as python -m demos.higham --seed 3 --iterations 20000
    net = HighamNetwork(make_network(rng), *points())
    run = training.train(net, training.sample_order(rng, 20_000), ETA)
    assert numbers["parameters"] == 23
    assert numbers["initial Cost"] == run.costs[0]
    assert numbers["final Cost"] == run.final_cost          # compiled code: the same bits
    assert numbers["points correct"] == net.correct(run.parameters)
    assert numbers["Lemma 5.1 largest difference"] < 1e-15


def test_xor_notebook_matches_the_demo(tmp_path):
    from demos.xor import exact, learning
    numbers = run_small("xor", tmp_path, SEEDS=4, STEPS=150, SURFACE_POINTS=31)
    assert numbers["exact J"] == 0.0 and numbers["exact max |gradient|"] == 0.0
    assert numbers["h"] == [[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [2.0, 1.0]]   # Goodfellow et al. §6.1
    assert numbers["f"] == numbers["f by nn"] == list(exact.TARGETS)
    assert numbers["linear MSE"] == pytest.approx(0.25, abs=1e-15)
    runs = learning.train_many(range(4), steps=150)
    assert numbers["outcomes"] == learning.tally(runs)
    assert numbers["distinct patterns"] == len(learning.distinct_solutions(runs))


def test_landscape_notebook_matches_the_demo(tmp_path):
    from demos import landscape
    numbers = run_small("landscape", tmp_path, GRID=5, STEPS=60, SEED=1)
    result = landscape.run(1, grid_points=5, steps=60)
    squared, entropy = result.reports["squared"], result.reports["cross_entropy"]
    assert numbers["squared minimiser"] == squared.theta_star.tolist()
    assert numbers["cross-entropy minimum"] == entropy.cost_star
    assert numbers["squared non-convex share of the grid"] == squared.landscape.non_convex_fraction
    assert numbers["cross-entropy steps to the minimum"] == entropy.steps_to_minimum()
    assert numbers["conclusion"] == landscape.summary(result)[-1]


@pytest.mark.parametrize("name", build.NOTEBOOKS)
def test_committed_notebook_is_its_source_with_outputs(name):
    committed = nbformat.read(str(build.HERE / f"{name}.ipynb"), as_version=4)
    nbformat.validate(committed)
    fresh = build.notebook(name)
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in fresh.cells], \
        f"{name}.ipynb is out of date with sources/{name}.py: run python -m demos.notebooks {name}"
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), f"{name}.ipynb was committed without running it"
    assert sum(bool(c.outputs) for c in code) >= len(code) // 2, f"{name}.ipynb was committed without its outputs"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert key_numbers(committed)   # the summary cell ran


def test_parse_cells_reads_the_percent_format():
    cells = build.parse_cells('# %% [markdown]\n# # Title\n# text\n\n# %% tags=["parameters"]\nN = 3\n'
                              '# %%\nprint(N)\n')
    assert cells == [("markdown", "# Title\ntext", []), ("code", "N = 3", ["parameters"]),
                     ("code", "print(N)", [])]


def test_parameters_replace_the_parameters_cell():
    nb = build.notebook("higham", {"ITERATIONS": 20_000})
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert cell.source.split("\n")[0] == "ITERATIONS = 20000" and cell.source.split("\n")[1].startswith("SEED = 0")
    with pytest.raises(ValueError, match="sets no STEPS"):
        build.notebook("higham", {"STEPS": 3})


def test_an_unknown_notebook_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        build.main(["nonesuch"])
    assert stop.value.code == 2 and "unknown notebook 'nonesuch'" in capsys.readouterr().err
