"""demos.mysteries: the symmetry group, the Hessian classification, and the five questions end to end
in their --quick form, with the numbers of their answers taken from the computation."""

import argparse
import os
import re

import numpy as np
import pytest

import engine
from demos.mysteries import __main__ as cli
from demos.mysteries import minima, symmetries
from demos.mysteries.problems import HIGHAM, higham_rows, network
from engine import Value

# ---------------------------------------------------------------------------- the symmetry group

def test_the_group_has_384_distinct_elements_that_leave_F_unchanged():
    elements = symmetries.group()
    assert len(elements) == 2 * 2 ** 2 * 6 * 2 ** 3 == 384
    rows, X, Y = higham_rows()
    net = network(HIGHAM, "python")
    G = np.random.default_rng(0).random((200, 2))
    for seed in range(3):
        p = np.random.default_rng(seed).standard_normal(23)
        images = np.array([symmetries.apply(g, p) for g in elements])
        assert len({tuple(q) for q in np.round(images, 10)}) == 384  # distinct transformations
        F = symmetries.forward(p, G)
        for q in images:
            assert np.abs(symmetries.forward(q, G) - F).max() < 1e-14
        # the engine's own compiled graphs agree: the Cost and the classifier are unchanged too
        costs = net.costs(rows, images)
        assert np.abs(costs - costs[0]).max() < 1e-14
        assert all((net.class_a(G, q) == net.class_a(G, p)).mean() > 0.99 for q in images[::17])


def test_every_image_has_the_same_canonical_form():
    elements = symmetries.group()
    for seed in range(3):
        p = np.random.default_rng(10 + seed).standard_normal(23)
        canon = symmetries.canonical(p)
        for g in elements:
            assert np.abs(symmetries.canonical(symmetries.apply(g, p)) - canon).max() < 1e-12
        assert np.abs(symmetries.forward(canon, np.eye(2)) - symmetries.forward(p, np.eye(2))).max() < 1e-14


def test_a_flip_is_sigma_of_minus_z():
    """One flip of neuron 1 of layer 2: its weighted input negated, the next layer's input unchanged."""
    p = np.random.default_rng(3).standard_normal(23)
    element = (((0, 1), (1, 0)), ((0, 1, 2), (0, 0, 0)))
    q = symmetries.apply(element, p)
    (W, b), _, _ = symmetries.unpack(p)
    (Wq, bq), _, _ = symmetries.unpack(q)
    assert np.array_equal(Wq[0], -W[0]) and bq[0] == -b[0]
    assert np.array_equal(Wq[1], W[1]) and bq[1] == b[1]


# ---------------------------------------------------------------------------- Hessian classification

def hessian_at(f, point):
    xs = [Value(float(v)) for v in point]
    H = engine.hessian_of(f(*xs), xs)
    return np.linalg.eigvalsh((H + H.T) / 2), float(np.abs(H - H.T).max())


@pytest.mark.parametrize("f, point, kind", [
    (lambda x, y: x * x + 3.0 * y * y, (0.0, 0.0), "minimum"),
    (lambda x, y: x * x - y * y, (0.0, 0.0), "saddle"),
    (lambda x, y: x * x + y * y * y * y, (0.0, 0.0), "minimum"),            # a flat direction: λ = 0
    (lambda x, y: (x * y - 1.0) * (x * y - 1.0), (1.0, 1.0), "minimum"),     # a valley of minima: λ = 0
    (lambda x, y: (x - y).sigmoid() * (x + y).tanh(), (0.0, 0.0), "saddle"),
])
def test_constructed_minima_and_saddles(f, point, kind):
    eigenvalues, asymmetry = hessian_at(f, point)
    assert minima.classify(eigenvalues, asymmetry, fall=0.0)[0] == kind
    assert minima.classify(eigenvalues, asymmetry, fall=0.5)[0] == "still moving"


def test_the_tolerance_is_rounding_sized():
    eig = np.array([-1e-17, 1.0, 2.0])
    kind, tau = minima.classify(eig, 1e-17, 0.0)
    assert kind == "minimum" and tau < 1e-13
    assert minima.classify(np.array([-1e-8, 1.0, 2.0]), 1e-17, 0.0)[0] == "saddle"


def test_a_plateau_of_the_paper_network_is_a_saddle():
    """From a start that sits on the plateau (Cost near 0.13 after 10⁴ steps), the exact Hessian has a
    negative eigenvalue far beyond rounding."""
    from demos.higham.training import sample_order
    from demos.seeds.study import generator
    rows, X, Y = higham_rows()
    net = network(HIGHAM, "python")
    rng = generator(0, 0)
    p = net.draw(rng)
    order = sample_order(rng, 10_000)
    P = p[None, :].copy()
    net.cost.sgd_run_lanes(rows, order[None, :].astype(np.int64), P, 0.05)
    eig, gnorm, asym = net.curvature(rows, P[0])
    assert 0.05 < net.costs(rows, P)[0] < 0.25
    assert minima.classify(eig, asym, 0.0)[0] == "saddle"


# ---------------------------------------------------------------------------- end to end

def numbers(text):
    return re.findall(r"-?\d[\d,]*\.?\d*(?:e-?\d+)?", text)


def test_quick_end_to_end(tmp_path):
    """All five questions at --quick sizes (in this process); their answers carry the numbers their
    computations return, and each draws its figure."""
    args = argparse.Namespace(seed=0, out=str(tmp_path), no_plots=False, quick=True, seeds=16)
    lines = []
    ctx = cli.Context(args, None, lines.append)
    ctx.sizes.update(steps=60_000, width_starts=2, width_steps=10_000, synthetic_steps=10_000, evaluations=10_000,
                     width_sizes=((2, 2, 3, 2), (2, 3, 4, 2)), grid=21, test_points=2_000, line_points=11, pairs=3)
    results = {name: module.run(ctx) for name, module in cli.MODULES.items()}
    assert set(ctx.answers) == set(cli.MODULES)
    m = results["minima"]
    assert f"Of {m['runs']} runs" in ctx.answers["minima"]
    if m["left"] < m["stuck"]:
        assert f"{m['local minima']} sit at a point" in ctx.answers["minima"]
    else:
        assert f"All {m['stuck']} runs still on a plateau" in ctx.answers["minima"]
    s = results["symmetries"]
    assert s["elements"] == s["distinct"] == 384
    assert f"and {s['clusters']} different classifiers" in ctx.answers["symmetries"] or s["clusters"] < 2
    g = results["generalisation"]
    assert f"agree on {100 * g['agree']:.0f} %" in ctx.answers["generalisation"]
    r = results["regularisation"]
    assert (f"{r['rho']:.2f}" in ctx.answers["regularisation"]) or r["rho"] != r["rho"]
    w = results["width"]
    assert f"{100 * w[(2, 2, 3, 2), 'paper'][0]:.0f} % of 2-2-3-2 runs" in ctx.answers["width"]
    for stem in ("minima", "symmetries", "generalisation", "regularisation", "width"):
        assert os.path.getsize(tmp_path / f"{stem}.png") > 1000
    assert all(numbers(a) for a in ctx.answers.values())


def test_the_command_line(capsys):
    assert cli.main(["--quick", "--no-plots", "--quiet", "--only", "symmetries", "--seeds", "16", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "2. How many different solutions?" in out and "384 distinct elements" in out


def test_options_are_bounded(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--seeds", "3"])
    assert info.value.code == 2
    assert "--seeds" in capsys.readouterr().err


def test_without_numba_the_python_backend_runs_the_same_lanes(monkeypatch, capsys):
    """No numba: every network compiles with the Python backend and lanes run one by one (slower,
    the same numbers), so the demo still runs."""
    import sys

    from demos.mysteries import problems
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.setattr(problems, "_networks", {})
    assert problems.backend() == "python"
    assert cli.main(["--quick", "--no-plots", "--quiet", "--only", "symmetries", "--seeds", "8", "--workers", "1"]) == 0
    assert "384 distinct elements" in capsys.readouterr().out
    assert getattr(problems.network(HIGHAM).cost, "backend", "python") == "python"


def test_with_numba_installed_the_demo_runs_on_the_numba_backend():
    """The demo picks numba whenever the engine's numba backend imports (a silent fall back to the
    Python backend once made --quick's width question twelve times slower)."""
    import importlib.util
    from demos.mysteries import problems
    expected = "numba" if importlib.util.find_spec("numba") is not None else "python"
    assert problems.backend() == expected
