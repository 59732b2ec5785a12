"""The loss-landscape demo: engine costs, gradients and Hessians against closed forms; convexity."""

import numpy as np
import pytest

from demos import landscape as L
from demos.landscape.__main__ import main


def closed_form(loss, theta, x, y):
    """Cost, gradient and Hessian of the mean loss, derived by hand in NumPy (independent of the engine).

    With s = σ(z), z = w x + b: for (y − s)², dC/dz = −2 (y − s) s(1−s) and
    d²C/dz² = 2 [s(1−s)]² − 2 (y − s) s(1−s)(1 − 2s); for cross entropy dC/dz = s − y, d²C/dz² = s(1−s).
    Then ∇ = mean(dC/dz · (x, 1)) and H = mean(d²C/dz² · (x, 1)(x, 1)ᵀ)."""
    w, b = theta
    z = w * x + b
    s = 1 / (1 + np.exp(-z))
    if loss == "squared":
        c = (y - s) ** 2
        d1 = -2 * (y - s) * s * (1 - s)
        d2 = 2 * (s * (1 - s)) ** 2 - 2 * (y - s) * s * (1 - s) * (1 - 2 * s)
    else:
        c = np.logaddexp(0, z) - y * z
        d1, d2 = s - y, s * (1 - s)
    feats = np.stack([x, np.ones_like(x)])
    return c.mean(), (feats * d1).mean(axis=1), (feats[:, None, :] * feats[None, :, :] * d2).mean(axis=2)


@pytest.fixture(scope="module")
def data():
    return L.logistic_1d(12, seed=3)


@pytest.mark.parametrize("loss", list(L.LOSSES))
@pytest.mark.parametrize("theta", [(0.0, 0.0), (2.0, -1.0), (-6.0, 6.0), (7.5, 3.0), (-0.3, -7.9)])
def test_engine_cost_gradient_hessian_match_closed_form(loss, theta, data):
    x, y = data
    c_ref, g_ref, h_ref = closed_form(loss, theta, x, y)
    c, g = L.value_and_gradient(loss, theta, x, y)
    assert c == pytest.approx(c_ref, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(L.hessian(loss, theta, x, y), h_ref, rtol=1e-11, atol=1e-15)  # exact
    np.testing.assert_allclose(L.hessian_fd(loss, theta, x, y), h_ref, rtol=1e-6, atol=1e-8)


def test_finite_difference_error_is_measured_against_the_exact_hessian(data):
    x, y = data
    ws = bs = np.array([-6.0, 0.5, 7.0])
    worst_abs, worst_rel = L.finite_difference_error("squared", x, y, ws, bs)
    diffs = [np.abs(L.hessian_fd("squared", (w, b), x, y) - closed_form("squared", (w, b), x, y)[2]).max()
             for w in ws for b in bs]
    assert worst_abs == pytest.approx(max(diffs), rel=1e-3) and 0 < worst_abs < 1e-6 and worst_rel < 1e-4


def test_cross_entropy_matches_the_log_form(data):
    """softplus(z) − y z is −[y log σ(z) + (1 − y) log(1 − σ(z))] where the logs are finite."""
    x, y = data
    s = 1 / (1 + np.exp(-(1.3 * x - 0.4)))
    direct = -(y * np.log(s) + (1 - y) * np.log(1 - s)).mean()
    assert L.value_and_gradient("cross_entropy", (1.3, -0.4), x, y)[0] == pytest.approx(direct, rel=1e-12)


@pytest.fixture(scope="module")
def small_landscapes(data):
    x, y = data
    ws, bs = L.grid_axes(7)
    return {loss: L.compute_landscape(loss, x, y, ws, bs) for loss in L.LOSSES}


def test_cross_entropy_hessian_is_psd_on_the_whole_grid(small_landscapes):
    ce = small_landscapes["cross_entropy"]
    assert ce.lambda_min.min() >= -1e-8          # PSD up to finite-difference error
    assert ce.non_convex_fraction == 0.0


def test_squared_loss_has_negative_curvature(small_landscapes):
    sq = small_landscapes["squared"]
    assert sq.lambda_min.min() < -1e-2           # clearly negative, far beyond differencing error
    assert 0.0 < sq.non_convex_fraction < 1.0    # non-convex somewhere, convex somewhere
    lam, w, b = sq.most_negative()
    assert lam == sq.lambda_min.min() and w in sq.ws and b in sq.bs


def test_grid_eigenvalues_match_closed_form(small_landscapes, data):
    x, y = data
    for loss, land in small_landscapes.items():
        for i in (0, 3, 6):
            for j in (1, 4):
                ref = np.linalg.eigvalsh(closed_form(loss, (land.ws[j], land.bs[i]), x, y)[2])
                np.testing.assert_allclose([land.lambda_min[i, j], land.lambda_max[i, j]], ref, atol=1e-8)
                assert land.cost[i, j] == pytest.approx(closed_form(loss, (land.ws[j], land.bs[i]), x, y)[0])


def test_gradient_descent_on_cross_entropy_reaches_the_minimiser(data):
    x, y = data
    star, c_star = L.minimiser("cross_entropy", x, y, (0.0, 0.0))
    assert np.linalg.norm(closed_form("cross_entropy", star, x, y)[1]) < 1e-8
    path, costs = L.gradient_descent("cross_entropy", x, y, start=(-6.0, 6.0), lr=1.0, steps=400)
    assert path.shape == (401, 2) and costs.shape == (401,)
    assert np.all(np.diff(costs) <= 1e-15)       # η = 1 < 2/λ_max: monotone descent on a convex cost
    assert np.linalg.norm(path[-1] - star) < 1e-3
    assert costs[-1] == pytest.approx(c_star, abs=1e-9)


def test_default_story_squared_loss_stalls_on_a_plateau():
    """With the demo's data and start, squared-loss GD stalls far from its minimiser; cross entropy does not."""
    result = L.run(seed=0, grid_points=5, steps=300)
    sq, ce = result.reports["squared"], result.reports["cross_entropy"]
    assert sq.start_grad_norm < ce.start_grad_norm / 10          # the plateau: a tiny gradient
    assert sq.distance_to_minimiser > 5 and sq.path_costs[-1] > 3 * sq.cost_star
    assert sq.end_lambda_min < -1e-6 and sq.end_grad_norm < 1e-2  # flat and curving down: no minimum
    assert ce.distance_to_minimiser < 1e-2
    assert sq.steps_to_minimum() is None and 0 < ce.steps_to_minimum() < 300
    text = "\n".join(L.summary(result))
    assert "convex (Hessian PSD at every grid point)" in text and "stalls on a plateau" in text


def test_bad_arguments():
    x, y = L.logistic_1d(5, seed=0)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        L.value_and_gradient("hinge", (0, 0), x, y)
    with pytest.raises(ValueError, match="at least 3"):
        L.grid_axes(2)


def test_cli_writes_all_figures(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["--grid", "5", "--samples", "10", "--steps", "20", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"landscape_{k}.{e}" for k in ("surfaces", "contours", "curvature")
                           for e in ("png", "svg"))
    assert all((out / n).stat().st_size > 1000 for n in names)
    text = capsys.readouterr().out
    assert "smallest Hessian eigenvalue" in text and "binary cross entropy" in text


def test_cli_no_plots_and_quiet(tmp_path, capsys):
    out = tmp_path / "none"
    assert main(["--grid", "3", "--samples", "4", "--steps", "2", "--no-plots", "--quiet", "--out", str(out)]) == 0
    assert not out.exists()
    text = capsys.readouterr().out
    assert "squared" in text.lower() and "wrote" not in text and "computed in" not in text


@pytest.mark.parametrize("argv, message", [
    (["--grid", "2"], "--grid: expected an integer from 3 to 201, got 2"),
    (["--grid", "100000"], "expected an integer from 3 to 201"),
    (["--grid", "201", "--samples", "2000"], "more than this demo computes in about a minute"),
    (["--samples", "100000000"], "expected an integer from 2 to 2,000"),
    (["--grid", "zero"], "expected an integer from 3 to 201"),
    (["--lr", "-1"], "expected a number in (0, 100], got -1"),
    (["--lr", "nan"], "expected a number in (0, 100]"),
    (["--samples", "1"], "expected an integer from 2 to 2,000, got 1"),
    (["--seed", "-3"], "non-negative"),
    (["--start", "1"], "expected 2 arguments"),
    (["--start", "1", "inf"], "expected a number in [-8, 8]"),
    (["--start", "1e308", "1e308"], "expected a number in [-8, 8], got 1e308"),
])
def test_cli_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--no-plots"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_out_must_be_a_directory(tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(SystemExit) as exit_info:
        main(["--grid", "3", "--out", str(a_file)])
    assert exit_info.value.code == 2 and "not a directory" in capsys.readouterr().err
