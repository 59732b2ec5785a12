"""demos.higham --curvature: the exact Hessian of the Cost (2.6) along the run, against finite
differences of the compiled gradient, and the run itself against the demo's training."""

import numpy as np
import engine
import pytest

from demos.higham import HighamNetwork, curvature, make_network, parameter_list, training
from demos.higham.__main__ import main
from demos.higham.data import points


@pytest.fixture(scope="module")
def net_and_order():
    X, Y = points()
    rng = np.random.default_rng(0)
    net = HighamNetwork(make_network(rng), X, Y)
    return net, training.sample_order(rng, 600)


def _full_gradient(net, p):
    """∇Cost(p) from the compiled per-sample graph (NumPy columns): an independent path."""
    return net.cost_graph.gradient_array(np.array(net.rows), list(p))[1].mean(axis=0)


def test_hessian_of_the_cost_matches_finite_differences_of_the_compiled_gradient(net_and_order):
    net, _ = net_and_order
    p = parameter_list(net.mlp)
    c = curvature.curvature_at(net, p, 0)
    net.cost_graph.write_params(p)
    H = engine.hessian_of(curvature.full_cost(net), net.mlp.parameters())
    h = 1e-5
    for j in range(len(p)):
        up, down = np.array(p), np.array(p)
        up[j] += h
        down[j] -= h
        column = (_full_gradient(net, up) - _full_gradient(net, down)) / (2 * h)
        np.testing.assert_allclose(H[:, j], column, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(np.linalg.eigvalsh((H + H.T) / 2), c.eigenvalues, rtol=1e-12, atol=1e-15)
    assert c.cost == pytest.approx(net.cost(p), rel=1e-14)
    assert c.gradient_norm == pytest.approx(np.linalg.norm(_full_gradient(net, p)), rel=1e-12)
    assert c.asymmetry < 1e-15 and len(c.eigenvalues) == 23


def test_the_curvature_run_is_the_demos_run_bit_for_bit(net_and_order):
    net, order = net_and_order
    result = curvature.run(net, order, 0.05, every=200)
    sgd = training.train_compiled(net, order, 0.05, record_every=200)
    assert result.parameters == sgd.parameters
    assert [c.step for c in result.steps] == [0, 200, 400, 600]
    assert [c.cost for c in result.steps] == pytest.approx(sgd.costs, rel=1e-14)
    assert parameter_list(net.mlp) == sgd.start  # the network is left as it was


def test_gradient_descent_is_full_batch(net_and_order):
    net, _ = net_and_order
    p = parameter_list(net.mlp)
    history = curvature.gradient_descent(net, p, 0.05, 3, 1)
    q = np.array(p)
    for _ in range(3):
        q -= 0.05 * _full_gradient(net, q)
    X = np.array(net.rows)
    assert history[-1].cost == pytest.approx(float(np.mean(net.cost_graph.forward_array(X, list(q)))), rel=1e-12)
    assert history[-1].gradient_norm == pytest.approx(np.linalg.norm(_full_gradient(net, q)), rel=1e-12)
    assert [c.step for c in history] == [0, 1, 2, 3]
    assert parameter_list(net.mlp) == p


def test_command_line_curvature(tmp_path, capsys):
    assert main(["--method", "sgd", "--iterations", "3000", "--curvature", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Curvature (--curvature)" in out and "equal section 3's bit for bit" in out and "λ_min" in out
    assert sorted(p.name for p in tmp_path.glob("curvature.*")) == ["curvature.png", "curvature.svg"]


def test_curvature_needs_the_sgd_run():
    with pytest.raises(SystemExit) as e:
        main(["--method", "nls", "--curvature", "--no-plots"])
    assert e.value.code == 2
