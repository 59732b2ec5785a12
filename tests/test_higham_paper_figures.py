"""The rest of Higham & Higham's §2, §3 and §6 figures: the sigmoid (Figure 2.2) against its closed form,
the network diagrams (Figures 2.3 and 3.1) through their DOT source, the eleventh point (Figures 2.5 and
6.3) by least squares and stochastic gradient, and least squares at lsqnonlin's tolerances."""

import re

import numpy as np
import pytest

from demos.higham import HighamNetwork, make_network, nls, training
from demos.higham.__main__ import main
from demos.higham.data import ELEVENTH_POINT, points
from demos.higham.diagrams import FIGURE_31_SIZES, five_layer, four_layer
from demos.higham.figures import sigmoid_curves
from engine.display.draw import HIGHLIGHT_COLOUR


def closed_form_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------- Figure 2.2

def test_sigmoid_figure_curves_are_the_closed_forms():
    xs, plain, shifted = sigmoid_curves()
    assert xs[0] == -10.0 and xs[-1] == 10.0 and len(xs) == 401
    # the engine takes e^x / (1 + e^x) for x < 0 (no overflow): equal to the closed form to a few ulps
    np.testing.assert_allclose(plain, closed_form_sigmoid(xs), rtol=1e-15, atol=0)
    np.testing.assert_allclose(shifted, closed_form_sigmoid(3.0 * (xs - 5.0)), rtol=1e-15, atol=1e-300)
    i = int(np.flatnonzero(xs == 5.0)[0])
    assert shifted[i] == 0.5 and plain[int(np.flatnonzero(xs == 0.0)[0])] == 0.5
    assert shifted[0] == pytest.approx(np.exp(-45.0), rel=1e-14)   # σ(−45) = e^−45 / (1 + e^−45)
    assert np.all(np.diff(plain) > 0) and np.all(np.diff(shifted) >= 0)


# ---------------------------------------------------------------------------- Figures 2.3 and 3.1

def weight_edges(src):
    return re.findall(r"^\s*(L\d+_\d+) -> (L\d+_\d+) \[(?!style=invis)(.*)\]$", src, re.M)


def test_figure_23_is_the_2_2_3_2_network_without_numbers():
    mlp = make_network(0)
    src = four_layer(mlp).source
    neurons = re.findall(r"^\s*(L\d+_\d+) \[", src, re.M)
    assert neurons == ["L1_1", "L1_2", "L2_1", "L2_2", "L3_1", "L3_2", "L3_3", "L4_1", "L4_2"]
    edges = weight_edges(src)
    assert len(edges) == 2 * 2 + 3 * 2 + 2 * 3 and all("headlabel" not in e[2] for e in edges)
    assert "Fig. 2.3" in src


def test_figure_31_highlights_only_w3_43_from_neuron_3_of_layer_2_to_neuron_4_of_layer_3():
    src = five_layer().source
    neurons = re.findall(r"^\s*L(\d+)_\d+ \[", src, re.M)
    assert [neurons.count(str(l)) for l in range(1, 6)] == list(FIGURE_31_SIZES) == [4, 3, 4, 4, 3]
    edges = weight_edges(src)
    assert len(edges) == sum(a * b for a, b in zip(FIGURE_31_SIZES, FIGURE_31_SIZES[1:]))
    highlighted = [(a, b) for a, b, attrs in edges if HIGHLIGHT_COLOUR in attrs]
    assert highlighted == [("L2_3", "L3_4")]
    assert 'id="w[3]_43"' in src and "neuron 3 of layer 2 feeds neuron 4 of layer 3" in src


# ---------------------------------------------------------------------------- Figures 2.5 and 6.3

@pytest.fixture(scope="module")
def eleven():
    X, Y = points(eleventh_point=True)
    return HighamNetwork(make_network(np.random.default_rng(0)), X, Y)


def test_the_eleventh_point_is_one_more_b_point():
    X10, Y10 = points()
    X, Y = points(eleventh_point=True)
    assert X.shape == Y.shape == (11, 2)
    np.testing.assert_array_equal(X[:10], X10)
    np.testing.assert_array_equal(Y[:10], Y10)
    assert tuple(X[10]) == ELEVENTH_POINT == (0.3, 0.7) and tuple(Y[10]) == (0.0, 1.0)


def test_eleven_point_cost_is_the_mean_over_eleven(eleven):
    p = [v.data for v in eleven.mlp.parameters()]
    F = [[o.data for o in eleven.mlp(list(x))] for x in eleven.X.tolist()]
    expected = np.mean([0.5 * np.sum((y - np.array(f)) ** 2) for y, f in zip(eleven.Y, F)])
    assert eleven.cost(p) == pytest.approx(expected, rel=1e-14)
    assert float(np.sum(eleven.residuals(p) ** 2)) == pytest.approx(22 * expected, rel=1e-14)


def test_eleven_point_least_squares_classifies_all_eleven_points(eleven):
    fit = nls.fit(eleven)
    assert eleven.correct(fit.parameters) == 11
    assert fit.cost < 1e-7 and fit.start_cost > 0.2
    assert eleven.class_a(np.array([ELEVENTH_POINT]), fit.parameters).tolist() == [False]  # a B point


def test_least_squares_at_lsqnonlins_tolerances_stops_earlier_with_a_larger_cost():
    X, Y = points()
    net = HighamNetwork(make_network(np.random.default_rng(0)), X, Y)
    scipy_default, matlab = nls.fit(net), nls.fit(net, nls.LSQNONLIN_TOL)
    assert (scipy_default.tol, matlab.tol) == (1e-8, 1e-6)
    assert matlab.evaluations < scipy_default.evaluations
    assert scipy_default.cost < 1e-9 < 1e-8 < matlab.cost < 1e-6   # measured: 6.5e-11 and 6.5e-8 (seed 0)
    assert net.correct(matlab.parameters) == 10


def test_sgd_on_eleven_points_uses_all_eleven(eleven):
    order = training.sample_order(np.random.default_rng(5), 3000, n_points=11)
    assert set(order.tolist()) == set(range(11))
    compiled = training.train(eleven, order, 0.05)
    eager = training.train(eleven, order, 0.05, eager=True)
    assert compiled.parameters == eager.parameters      # bit for bit, the eleventh row included
    assert compiled.costs[0] == pytest.approx(eleven.cost(compiled.start))


@pytest.mark.slow
def test_figure_63_run_a_million_compiled_steps_on_eleven_points_classifies_all_eleven():
    # the demo's --eleventh-point run (seed 0): the same start as the ten-point run, indices in 1..11
    rng = np.random.default_rng(0)
    X, Y = points(eleventh_point=True)
    net = HighamNetwork(make_network(rng), X, Y)
    rng11 = np.random.default_rng(0)
    make_network(rng11)
    order = training.sample_order(rng11, 1_000_000, n_points=11)
    run = training.train(net, order, 0.05)
    assert net.correct(run.parameters) == 11
    assert run.final_cost < 1e-3 < 0.1 < run.costs[0]


# ---------------------------------------------------------------------------- the command line

def test_cli_eleventh_point_draws_figures_25_and_63_and_the_diagrams(tmp_path, capsys):
    # least squares on eleven points is checked above; here the command line, kept short
    assert main(["--eleventh-point", "--method", "sgd", "--iterations", "500", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "6. The eleventh point (§2 Figure 2.5, §6 Figure 6.3)" in text and "(0.3, 0.7)" in text
    summary = text.split("8. Summary")[1]
    assert re.search(r"11 points: stochastic gradient \(compiled\) +\| [0-9.e-]+ +\| \d+/11", summary)
    assert re.search(r"10 points: stochastic gradient \(compiled\) +\| [0-9.e-]+ +\| \d+/10", summary)
    for stem in ("boundary_eleven", "sigmoid", "network", "five_layer"):
        assert (tmp_path / f"{stem}.png").stat().st_size > 1000
        assert (tmp_path / f"{stem}.svg").stat().st_size > 1000
    assert 'id="w[3]_43"' in (tmp_path / "five_layer.gv").read_text()


def test_cli_reports_the_cost_at_lsqnonlins_tolerances(capsys):
    assert main(["--method", "nls", "--no-plots"]) == 0
    text = capsys.readouterr().out
    assert "ftol = xtol = gtol = 1e-08 (SciPy's defaults)" in text
    cost = float(text.split("With lsqnonlin's tolerances (1e-06) the same start stops at Cost ")[1].split()[0])
    assert 1e-8 < cost < 1e-6
    assert "6. The eleventh point" in text and "not run (add --eleventh-point)" in text


def test_cli_tol_option(capsys):
    assert main(["--method", "nls", "--no-plots", "--tol", "1e-6"]) == 0
    text = capsys.readouterr().out
    assert "ftol = xtol = gtol = 1e-06;" in text and "With lsqnonlin's tolerances" not in text
    for bad in ("0", "-1e-6", "abc", "inf"):
        with pytest.raises(SystemExit) as info:
            main(["--tol", bad, "--no-plots"])
        assert info.value.code == 2
        assert "argument --tol" in capsys.readouterr().err
