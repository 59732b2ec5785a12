"""demos.xor: the exact solution of Goodfellow et al. §6.1 and the learning experiment.

References are independent of the demo's code: the book's table, closed forms, a NumPy
back-propagation written out here, finite differences, and recounts of the per-run results."""

import dataclasses

import numpy as np
import pytest

import nn
from demos import xor
from demos.xor import exact, learning

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])


def numpy_gradient(theta, relu_derivative_at_zero=0.0):
    """∇J by hand-written back propagation, with a chosen value of relu'(0)."""
    W, c, w, b = exact.unpack(theta)
    z = X @ W + c
    h = np.maximum(0.0, z)
    r = h @ w + b - Y
    dJ_df = 2.0 * r / len(Y)
    dJ_dz = np.outer(dJ_df, w) * np.where(z > 0, 1.0, np.where(z == 0, relu_derivative_at_zero, 0.0))
    return np.concatenate([(X.T @ dJ_dz).ravel(), dJ_dz.sum(axis=0), h.T @ dJ_df, [dJ_df.sum()]])


# ------------------------------------------------------------------------- the exact solution

def test_data_and_book_parameters_match_nn():
    nn_X, nn_y = nn.xor_data()
    assert np.array_equal(np.asarray(exact.X), nn_X) and np.array_equal(np.asarray(exact.TARGETS), nn_y)
    book = learning.arrays_from_theta(exact.BOOK_THETA)
    for key, value in nn.xor_solution().items():
        assert np.array_equal(book[key], value), key


def test_exact_solution_hidden_representation_and_outputs():
    s = exact.solve_exactly()
    # The slides' exercise "transform X by hand": h = max{0, Wᵀx + c} with W = 1, c = (0, −1).
    assert s["z"].tolist() == [[0, -1], [1, 0], [1, 0], [2, 1]]
    assert s["h"].tolist() == [[0, 0], [1, 0], [1, 0], [2, 1]]
    assert s["f"].tolist() == [0, 1, 1, 0]
    W, c, w, b = exact.unpack(exact.BOOK_THETA)
    assert np.array_equal(s["h"], np.maximum(0.0, X @ W + c))


def test_cost_is_exactly_zero_and_gradient_exactly_zero():
    s = exact.solve_exactly()
    assert s["cost"] == 0.0
    assert np.all(s["gradient"] == 0.0)          # the engine's convention relu'(0) = 0


@pytest.mark.parametrize("relu_derivative_at_zero", [0.0, 0.5, 1.0])
def test_gradient_is_zero_whatever_relu_derivative_at_zero(relu_derivative_at_zero):
    # z = 0 occurs three times at θ*, but every residual is 0, so the choice cannot matter.
    assert np.all(numpy_gradient(exact.BOOK_THETA, relu_derivative_at_zero) == 0.0)


def test_numpy_gradient_reference_agrees_with_engine_at_generic_points():
    rng = np.random.default_rng(1)
    for _ in range(20):
        theta = rng.normal(size=9)
        assert np.all(np.abs(learning.pre_activations(theta)) > 1e-9)   # away from the kinks
        _, engine_grad = learning.cost_and_gradient(theta)
        np.testing.assert_allclose(engine_grad, numpy_gradient(theta), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("h", [1e-3, 1e-5])
def test_finite_differences_vanish_like_h(h):
    # J is piecewise quadratic along each axis with J(θ*) = 0, so central differences are O(h).
    fd = xor.finite_difference_gradient(h=h)
    assert np.max(np.abs(fd)) <= 10 * h


def test_exact_solution_is_stationary_along_random_directions():
    # No first-order term: J(θ* + tδ) / t² settles to a constant as t → 0 (J = O(t²)).
    rng = np.random.default_rng(2)
    for _ in range(10):
        d = rng.normal(size=9)
        ratios = [exact.cost_numpy(exact.BOOK_THETA + t * d) / t ** 2 for t in (1e-3, 1e-4)]
        assert ratios[0] > 0
        assert ratios[1] == pytest.approx(ratios[0], rel=0.05)


def test_best_linear_model_predicts_one_half_everywhere():
    w, b, predictions, mse = exact.best_linear_model()
    A = np.hstack([X, np.ones((4, 1))])
    closed_form = np.linalg.solve(A.T @ A, A.T @ Y)        # the normal equations
    np.testing.assert_allclose(closed_form, [0.0, 0.0, 0.5], atol=1e-15)
    np.testing.assert_allclose(np.append(w, b), closed_form, atol=1e-12)
    np.testing.assert_allclose(predictions, 0.5, atol=1e-12)
    assert mse == pytest.approx(0.25, abs=1e-12)


def test_mlp_holds_w_transposed_and_computes_the_same_function():
    rng = np.random.default_rng(3)
    theta = rng.normal(size=9)                              # non-symmetric W: catches a missing transpose
    mlp = learning.network(theta)
    W, c, w, b = exact.unpack(theta)
    assert np.array_equal(mlp.layer(2).W_array(), W.T)
    assert np.array_equal(learning.theta_from_arrays(mlp.arrays()), theta)
    params = exact.parameters(theta)
    for x in exact.X:
        assert mlp(list(x)).data == pytest.approx(exact.forward(params, x)[2].data, abs=1e-14)
    book = learning.network()
    assert [book(list(x)).data for x in exact.X] == [0.0, 1.0, 1.0, 0.0]


def test_cost_slice_matches_engine_cost():
    d1, d2 = exact.random_directions(4)
    assert np.dot(d1, d2) == pytest.approx(0.0, abs=1e-12) and np.linalg.norm(d1) == pytest.approx(1.0)
    alphas, betas = np.array([-0.7, 0.0, 0.3]), np.array([-0.2, 0.0, 1.1])
    grid = exact.cost_slice(exact.BOOK_THETA, d1, d2, alphas, betas)
    assert grid[1, 1] == 0.0
    for i, beta in enumerate(betas):
        for j, alpha in enumerate(alphas):
            theta = exact.BOOK_THETA + alpha * d1 + beta * d2
            assert grid[i, j] == pytest.approx(exact.cost(exact.parameters(theta)).data, rel=1e-12, abs=1e-15)


# -------------------------------------------------------------------------- outcome classification

def test_classify_constructed_networks():
    assert learning.classify(exact.BOOK_THETA, 0.0) == "success"
    dead = exact.BOOK_THETA.copy()
    dead[5] = -5.0                                          # c2: unit 2 off on all four inputs
    assert learning.classify(dead, exact.cost_numpy(dead)) == "dead unit"
    _, grad = learning.cost_and_gradient(dead)
    names = exact.PARAMETER_NAMES
    assert all(grad[names.index(n)] == 0.0 for n in ("W12", "W22", "c2"))   # it can never come back
    linear = exact.pack([[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0], [0.3, -0.2], 0.1)
    assert learning.classify(linear, exact.cost_numpy(linear)) == "linear"
    # Unit 1 on {11} only, unit 2 on {10} only: two points fitted, 00 and 01 share b = 1/2.
    eighth = exact.pack([[1.0, 1.0], [1.0, -1.0]], [-1.0, 0.0], [-0.5, 0.5], 0.5)
    assert exact.cost_numpy(eighth) == 0.125
    assert learning.classify(eighth, exact.cost_numpy(eighth)) == "other"
    assert learning.cost_level(exact.cost_numpy(eighth)) == "1/8"


def test_all_active_networks_cannot_beat_the_linear_model():
    rng = np.random.default_rng(5)
    for _ in range(200):
        theta = exact.pack(rng.uniform(0, 2, (2, 2)), rng.uniform(0.01, 1, 2), rng.normal(size=2), rng.normal())
        assert learning.classify(theta, exact.cost_numpy(theta)) == "linear"
        assert exact.cost_numpy(theta) >= 0.25 - 1e-12


def test_tally_counts_the_runs_it_is_given():
    template = learning.train_run(0, steps=5)
    outcomes = ["success", "other", "dead unit", "success", "dead unit", "dead unit"]
    runs = [dataclasses.replace(template, outcome=o) for o in outcomes]
    assert learning.tally(runs) == {"success": 2, "dead unit": 3, "linear": 0, "other": 1}
    assert learning.tally([]) == {o: 0 for o in learning.OUTCOMES}


# ------------------------------------------------------------------------------------ training

def test_seeded_training_run_is_repeatable():
    a = learning.train_run(7, steps=200, record_every=20)
    b = learning.train_run(7, steps=200, record_every=20)
    assert a.costs == b.costs                               # bit for bit
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.theta0, b.theta0)
    assert a.steps == list(range(0, 201, 20))
    c = learning.train_run(8, steps=200, record_every=20)
    assert not np.array_equal(a.theta0, c.theta0)


@pytest.fixture(scope="module")
def few_runs():
    return learning.train_many(range(3))


def test_success_count_is_recounted_from_the_runs(few_runs):
    recount = {o: 0 for o in learning.OUTCOMES}
    for run in few_runs:
        J = exact.cost_numpy(run.theta)                     # independent of the engine's cost
        assert run.cost == pytest.approx(J, abs=1e-15)
        assert run.costs[-1] == pytest.approx(J, abs=1e-12)  # nn.train's last record, same θ
        recount[learning.classify(run.theta, J)] += 1
        assert (run.outcome == "success") == (J < learning.SUCCESS_COST)
    assert learning.tally(few_runs) == recount
    assert sum(recount.values()) == len(few_runs)
    assert recount["success"] >= 1, "seeds 0..2 should include a success, or this test proves little"


def test_learned_solutions_have_achievable_patterns(few_runs):
    patterns = learning.exact_patterns()
    for run in few_runs:
        if run.outcome == "success":
            assert run.pattern in patterns
            assert np.max(np.abs(run.gradient)) < 1e-3


def test_every_exact_pattern_has_a_verified_witness():
    patterns = learning.exact_patterns()
    off, diagonals = (0, 0, 0, 0), {(1, 0, 0, 1), (0, 1, 1, 0)}
    assert learning.activation_pattern(exact.BOOK_THETA, threshold=0.0) in patterns
    for pattern, theta in patterns.items():
        assert exact.cost_numpy(theta) < 1e-14
        assert learning.activation_pattern(theta, threshold=1e-6) == pattern
        # One unit cannot fit XOR: v·relu(a·x + c) + b is monotone along every line, yet XOR is 0, 0
        # at the ends of one diagonal and 1, 1 at the ends of the other, which cross at the centre.
        assert off not in pattern
        # A half-plane cannot hold the ends of one diagonal without one end of the other.
        assert not diagonals & set(pattern)
