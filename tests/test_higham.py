"""The Higham & Higham demo: data, network, Lemma 5.1, SGD against an independent NumPy netbp, least
squares with the engine's Jacobian, the classifier, and the command line."""

import os
import subprocess
import sys

import numpy as np
import pytest

from demos.higham import ETA, HighamNetwork, lemma51, make_network, nls, parameter_list, training
from demos.higham.__main__ import main
from demos.higham.data import points
from demos.higham.figures import GRID, grid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The table of Higham & Higham §2 (REFERENCE.md §1), typed in independently of nn.data.
PAPER_X1 = [0.1, 0.3, 0.1, 0.6, 0.4, 0.6, 0.5, 0.9, 0.4, 0.7]
PAPER_X2 = [0.1, 0.4, 0.5, 0.9, 0.2, 0.3, 0.6, 0.2, 0.4, 0.6]
PAPER_CLASS = "AAAAABBBBB"


# ---------------------------------------------------------------------------- an independent NumPy netbp

def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def numpy_forward(W, b, x):
    """a[2], a[3], a[4] of the network for one column x (netbp.m's activate, three times)."""
    a2 = sigma(W[2] @ x + b[2])
    a3 = sigma(W[3] @ a2 + b[3])
    return a2, a3, sigma(W[4] @ a3 + b[4])


def netbp_step(W, b, x, y, eta):
    """One step of netbp.m, in place: forward, δ by Lemma 5.1, gradient step (column vectors)."""
    a2, a3, a4 = numpy_forward(W, b, x)
    d4 = a4 * (1 - a4) * (a4 - y)
    d3 = a3 * (1 - a3) * (W[4].T @ d4)
    d2 = a2 * (1 - a2) * (W[3].T @ d3)
    W[2] -= eta * d2 @ x.T
    W[3] -= eta * d3 @ a2.T
    W[4] -= eta * d4 @ a3.T
    b[2] -= eta * d2
    b[3] -= eta * d3
    b[4] -= eta * d4


def numpy_cost(W, b, X, Y):
    """The paper's Cost (eq. 2.6): (1/10) Σ ½‖y − F(x)‖²."""
    return np.mean([0.5 * np.sum((y[:, None] - numpy_forward(W, b, x[:, None])[2]) ** 2) for x, y in zip(X, Y)])


def arrays_of(mlp):
    a = mlp.arrays()
    return ({l: a[f"W[{l}]"].copy() for l in (2, 3, 4)}, {l: a[f"b[{l}]"].reshape(-1, 1).copy() for l in (2, 3, 4)})


def flat(W, b):
    """nn's parameter order: layer by layer, neuron j by neuron j, its weights then its bias."""
    return [v for l in (2, 3, 4) for j in range(W[l].shape[0]) for v in (*W[l][j], b[l][j, 0])]


def unflat(p, W_like, b_like):
    p = list(p)
    W, b = {}, {}
    for l in (2, 3, 4):
        rows, cols = W_like[l].shape
        W[l], b[l] = np.empty((rows, cols)), np.empty((rows, 1))
        for j in range(rows):
            W[l][j], b[l][j, 0] = p[:cols], p[cols]
            p = p[cols + 1:]
    return W, b


@pytest.fixture(scope="module")
def data():
    return points()


def network(seed, data):
    X, Y = data
    return HighamNetwork(make_network(seed), X, Y)


# ---------------------------------------------------------------------------- data and network

def test_data_is_the_papers_table(data):
    X, Y = data
    np.testing.assert_array_equal(X, np.column_stack([PAPER_X1, PAPER_X2]))
    expected_Y = [(1.0, 0.0) if c == "A" else (0.0, 1.0) for c in PAPER_CLASS]
    np.testing.assert_array_equal(Y, expected_Y)
    assert X.shape == (10, 2) and np.all((X > 0) & (X < 1))


def test_network_has_23_parameters_drawn_as_half_standard_normal(data):
    net = network(7, data)
    assert net.mlp.num_parameters() == 23
    assert [layer.W_array().shape for layer in net.mlp.layers] == [(2, 2), (3, 2), (2, 3)]
    rng = np.random.default_rng(7)    # layer by layer: W[l] row by row, then b[l]
    expected = {}
    for l, (rows, cols) in zip((2, 3, 4), ((2, 2), (3, 2), (2, 3))):
        expected[l] = (0.5 * rng.standard_normal((rows, cols)), 0.5 * rng.standard_normal((rows, 1)))
    W, b = arrays_of(net.mlp)
    for l in (2, 3, 4):
        np.testing.assert_array_equal(W[l], expected[l][0])
        np.testing.assert_array_equal(b[l], expected[l][1])


def test_compiled_cost_graph_matches_numpy_for_every_sample(data):
    """C = ½‖y − F(x)‖² and ∇C from the compiled graph (targets are inputs), against NumPy netbp."""
    X, Y = data
    net = network(12, data)
    W, b = arrays_of(net.mlp)
    p = parameter_list(net.mlp)
    for row, x, y in zip(net.rows, X, Y):
        value, grads = net.cost_graph.gradient(row, p)
        assert value == pytest.approx(0.5 * np.sum((y[:, None] - numpy_forward(W, b, x[:, None])[2]) ** 2),
                                      rel=1e-13)
        W1, b1 = {l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()}
        netbp_step(W1, b1, x[:, None], y[:, None], 1.0)      # a step of size 1 moves by −∇C
        np.testing.assert_allclose(grads, np.array(p) - flat(W1, b1), rtol=1e-9, atol=1e-15)


def test_cost_and_residuals_match_numpy(data):
    X, Y = data
    net = network(11, data)
    W, b = arrays_of(net.mlp)
    p = parameter_list(net.mlp)
    assert net.cost(p) == pytest.approx(numpy_cost(W, b, X, Y), rel=1e-13)
    norms = [np.linalg.norm(y[:, None] - numpy_forward(W, b, x[:, None])[2]) for x, y in zip(X, Y)]
    np.testing.assert_allclose(net.residuals(p), norms, rtol=1e-13)
    assert np.sum(net.residuals(p) ** 2) == pytest.approx(20 * net.cost(p), rel=1e-13)


def test_classifier_is_f1_at_least_f2_on_the_grid(data):
    net = network(5, data)
    W, b = arrays_of(net.mlp)
    xs, ys, pts = grid(41)
    assert pts.shape == (41 * 41, 2) and pts[1].tolist() == [xs[1], 0.0]   # x varies fastest
    F = numpy_forward(W, b, pts.T)[2]
    expected = F[0] >= F[1]
    np.testing.assert_array_equal(net.class_a(pts, parameter_list(net.mlp)), expected)
    assert grid()[2].shape == (GRID * GRID, 2) and GRID == 501


# ---------------------------------------------------------------------------- Lemma 5.1

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lemma51_equals_the_engine_for_every_sample(seed, data):
    X, Y = data
    mlp = make_network(seed)
    rng = np.random.default_rng(100 + seed)   # weights well away from the initial draw too
    for layer in mlp.layers:
        layer.set_arrays(2.0 * rng.standard_normal(layer.W_array().shape), rng.standard_normal(layer.nout))
    for x, y in zip(X, Y):
        check = lemma51.check(mlp, x, y)
        assert len(check.deltas) == 7 and len(check.parameters) == 23
        assert check.largest_difference <= 1e-12
        assert all(r.difference <= 1e-10 * abs(r.lemma) for r in check.deltas + check.parameters
                   if abs(r.lemma) > 1e-8)
        assert max(abs(r.lemma) for r in check.deltas) > 1e-6   # not a vacuous comparison of zeros


def test_lemma51_formulas_match_finite_differences(data):
    """The NumPy formulas (5.5)–(5.8) themselves, against central differences of the NumPy cost."""
    X, Y = data
    arrays = make_network(3).arrays()
    x, y = X[6], Y[6]

    def C(arrs):
        return 0.5 * np.sum((y - lemma51.forward(arrs, x)[1][4]) ** 2)

    grads = lemma51.parameter_gradients(arrays, x, y)
    h = 1e-6
    for key, value in arrays.items():
        for index in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in arrays.items()}
            minus = {k: v.copy() for k, v in arrays.items()}
            plus[key][index] += h
            minus[key][index] -= h
            assert grads[key][index] == pytest.approx((C(plus) - C(minus)) / (2 * h), abs=1e-9)


# ---------------------------------------------------------------------------- stochastic gradient

def test_sgd_follows_an_independent_numpy_netbp_step_for_step(data):
    X, Y = data
    rng = np.random.default_rng(2024)
    net = HighamNetwork(make_network(rng), X, Y)
    order = training.sample_order(rng, 3000)
    W, b = arrays_of(net.mlp)
    p = parameter_list(net.mlp)
    np.testing.assert_array_equal(flat(W, b), p)
    graph = net.cost_graph
    worst = 0.0
    for k in order.tolist():
        graph.sgd_run(net.rows, [k], p, ETA)
        netbp_step(W, b, X[k][:, None], Y[k][:, None], ETA)
        worst = max(worst, np.max(np.abs(np.array(p) - flat(W, b))))
    assert worst <= 1e-12
    assert np.max(np.abs(np.array(p) - parameter_list(net.mlp))) > 1e-3   # the run went somewhere
    # the demo's chunked run of the same indices ends at exactly the same parameters
    run = training.train(net, order, ETA, record_every=250)
    assert run.parameters == p
    assert run.iterations == list(range(0, 3001, 250))
    assert run.costs[-1] == pytest.approx(numpy_cost(*unflat(p, W, b), X, Y), rel=1e-12)
    assert parameter_list(net.mlp) == run.start   # the network itself is untouched


def test_eager_and_compiled_runs_are_bit_identical(data):
    X, Y = data
    rng = np.random.default_rng(9)
    net = HighamNetwork(make_network(rng), X, Y)
    order = training.sample_order(rng, 400)
    compiled = training.train(net, order, ETA)
    eager = training.train(net, order, ETA, eager=True)
    assert (compiled.engine, eager.engine) == ("compiled", "eager")
    assert eager.parameters == compiled.parameters
    assert eager.costs == compiled.costs and eager.iterations == compiled.iterations
    assert parameter_list(net.mlp) == compiled.start


@pytest.mark.parametrize("iterations, every", [(1_000_000, 10_000), (2_000_000, 10_000), (500_000, 5000),
                                               (2000, 20), (150, 1), (1, 1)])
def test_record_interval(iterations, every):
    assert training.record_interval(iterations) == every


def test_short_run_records_the_last_step_when_it_is_not_a_multiple(data):
    X, Y = data
    net = network(4, data)
    run = training.train(net, np.arange(1234) % 10, ETA)
    assert run.iterations[:3] == [0, 12, 24] and run.iterations[-1] == 1234
    assert len(run.costs) == len(run.iterations)


# ---------------------------------------------------------------------------- least squares

def test_residual_jacobian_matches_finite_differences(data):
    net = network(8, data)
    p = np.array(parameter_list(net.mlp)) + 0.3 * np.random.default_rng(1).standard_normal(23)
    J = net.jacobian(p.tolist())
    assert J.shape == (10, 23)
    h = 1e-6
    fd = np.empty((10, 23))
    for j in range(23):
        e = np.zeros(23)
        e[j] = h
        fd[:, j] = (net.residuals((p + e).tolist()) - net.residuals((p - e).tolist())) / (2 * h)
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-9)


def test_least_squares_fits_all_ten_points(data):
    net = network(0, data)
    fit = nls.fit(net)
    assert fit.start == parameter_list(net.mlp)          # the same 0.5·N(0, 1) start as SGD
    assert fit.cost < 1e-3 * fit.start_cost
    assert fit.cost == pytest.approx(np.sum(net.residuals(fit.parameters) ** 2) / 20, rel=1e-12)
    assert net.correct(fit.parameters) == 10
    assert fit.jacobians > 0


# ---------------------------------------------------------------------------- command line

def test_cli_end_to_end_writes_the_figures(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["--iterations", "2000", "--out", str(out), "--seed", "1"]) == 0
    text = capsys.readouterr().out
    for stem in ("data", "cost", "boundary"):
        for ext in ("png", "svg"):
            assert (out / f"{stem}.{ext}").stat().st_size > 1000
    assert "23 parameters" in text and "MATLAB's rng(5000)" in text and "not digit for digit" in text
    assert "recorded every 20 steps" in text and "Lemma 5.1" in text and "Largest difference" in text
    assert "least squares" in text and "stochastic gradient (compiled)" in text
    largest = float(text.split("Largest difference: ")[1].split()[0])
    assert largest <= 1e-12


def test_cli_quiet_eager_sgd_only_without_plots(tmp_path, capsys):
    out = tmp_path / "none"
    assert main(["--method", "sgd", "--eager", "--iterations", "300", "--no-plots", "--quiet",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("8. Summary") and "/10" in text and not out.exists()


def test_cli_least_squares_only(tmp_path, capsys):
    assert main(["--method", "nls", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "10 of 10 points" in text and "Stochastic gradient" not in text
    assert sorted(os.listdir(tmp_path)) == ["boundary.png", "boundary.svg", "data.png", "data.svg",
                                            "five_layer.gv", "five_layer.png", "five_layer.svg",
                                            "network.gv", "network.png", "network.svg", "sigmoid.png", "sigmoid.svg"]


@pytest.mark.parametrize("argv", [["--iterations", "-5"], ["--iterations", "0"], ["--iterations", "2.5"],
                                  ["--eta", "abc"], ["--eta", "-0.1"], ["--eta", "nan"], ["--method", "foo"],
                                  ["--seed", "x"], ["--bogus"], ["--iterations", "100000001"]])
def test_cli_bad_options_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--no-plots"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: python -m demos.higham" in err and "Traceback" not in err


def test_module_entry_point_reports_bad_options_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "demos.higham", "--method", "foo"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "invalid choice: 'foo'" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
