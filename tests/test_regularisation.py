"""The regularisation demo: NumPy views against the engine, the penalised objective, early stopping."""

import numpy as np
import pytest

from demos import regularisation as R
from demos.regularisation.__main__ import main


@pytest.fixture(scope="module")
def data():
    return R.make_data(seed=4, n_train=12)


@pytest.fixture(scope="module")
def small_run():
    return R.run(seed=1, hidden=6, steps=100, n_train=20, patience=30)


def test_numpy_forward_matches_the_engine(data):
    model = R.make_model(seed=2, hidden=5)
    arrays = model.arrays()
    points = np.vstack([data.X[:4], [[3.0, -2.0], [0.0, 0.0]]])
    np.testing.assert_allclose(R.numpy_logits(arrays, points), [model(list(p)).data for p in points],
                               rtol=1e-13, atol=1e-14)
    engine_bce = R.objective(model, data.X.tolist(), data.y.tolist()).data
    assert R.numpy_bce(arrays, data.X, data.y) == pytest.approx(engine_bce, rel=1e-13)


def test_numpy_forward_matches_the_engine_after_training(small_run):
    model = R.make_model(seed=1, hidden=6)
    model.set_arrays(small_run.plain.final)
    X = small_run.data.X_test[:5]
    np.testing.assert_allclose(R.numpy_logits(small_run.plain.final, X), [model(list(p)).data for p in X],
                               rtol=1e-12, atol=1e-13)


def test_penalised_objective_gradient_against_finite_differences(data):
    """d/dθ [BCE + α Σ w²] from the engine against central differences of a NumPy objective."""
    alpha = 0.03
    model = R.make_model(seed=5, hidden=4)
    inputs, targets = data.X.tolist(), data.y.tolist()
    R.objective(model, inputs, targets, alpha).backward()
    arrays = model.arrays()

    def numpy_objective(a):
        return R.numpy_bce(a, data.X, data.y) + alpha * R.weight_norm(a) ** 2

    named = dict(model.named_parameters())
    for key, index in [("W[2]", (0, 1)), ("b[2]", (2,)), ("W[3]", (3, 0)), ("W[4]", (0, 2)), ("b[4]", (0,))]:
        h = 1e-6
        up = {k: v.copy() for k, v in arrays.items()}
        down = {k: v.copy() for k, v in arrays.items()}
        up[key][index] += h
        down[key][index] -= h
        numeric = (numpy_objective(up) - numpy_objective(down)) / (2 * h)
        j, k = (index[0] + 1, index[1] + 1) if len(index) == 2 else (index[0] + 1, None)
        name = f"{key}[{j},{k}]" if k else f"{key}[{j}]"
        assert named[name].grad == pytest.approx(numeric, rel=1e-6, abs=1e-9), name


def test_l2_run_has_smaller_weights_and_same_start(small_run):
    plain, penalised = small_run.plain, small_run.penalised
    for k in plain.snapshots[0]:
        assert np.array_equal(plain.snapshots[0][k], penalised.snapshots[0][k])  # the same initial weights
    none, l2, _ = small_run.outcomes
    assert l2.weight_norm < 0.6 * none.weight_norm
    assert none.train_cost < l2.train_cost           # the penalty trades training fit for small weights
    assert none.train_accuracy >= l2.train_accuracy


def test_early_stopping_keeps_the_best_validation_step(small_run):
    plain = small_run.plain
    early = small_run.outcomes[2]
    i_best = plain.steps.index(small_run.best_step)
    i_stop = plain.steps.index(small_run.stop_step)
    assert plain.valid_costs[i_best] == min(plain.valid_costs[:i_stop + 1])
    assert early.valid_cost == pytest.approx(plain.valid_costs[i_best], rel=1e-12)
    assert early.steps == small_run.stop_step and early.valid_cost <= small_run.outcomes[0].valid_cost


def test_early_stopping_rule():
    fit = R.Fit(0.0, steps=[0, 10, 20, 30, 40, 50, 60], valid_costs=[5, 4, 3, 3.5, 3.6, 3.7, 1.0],
                snapshots=list("abcdefg"))
    assert R.early_stopping(fit, patience=30) == (50, 20, "c")   # stops before seeing the 1.0
    assert R.early_stopping(fit, patience=100) == (60, 60, "g")  # never runs out of patience


def test_accuracy_and_weight_norm():
    arrays = {"W[2]": np.array([[1.0, 0.0]]), "b[2]": np.array([0.0]),
              "W[3]": np.array([[2.0]]), "b[3]": np.array([0.0])}
    X = np.array([[1.0, 5.0], [-1.0, 5.0], [0.5, -3.0]])
    assert R.accuracy(arrays, X, np.array([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)
    assert R.weight_norm(arrays) == pytest.approx(np.sqrt(5.0))
    with pytest.raises(ValueError, match="alpha must be ≥ 0"):
        R.fit(R.make_model(0, 2), R.make_data(0, n_train=4), alpha=-1.0, steps=1)


def test_cli_writes_figures_and_repeats(tmp_path, capsys):
    argv = ["--hidden", "4", "--steps", "20", "--train", "10", "--patience", "5", "--repeats", "2",
            "--out", str(tmp_path)]
    assert main(argv) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"regularisation_{k}.{e}" for k in ("boundaries", "costs") for e in ("png", "svg"))
    out = capsys.readouterr().out
    assert "seed 0:" in out and "seed 1:" in out and "mean over seeds 0..1" in out and "‖W‖" in out


@pytest.mark.parametrize("argv, message", [
    (["--alpha", "0"], "expected a number in (0, 10]"),
    (["--hidden", "0"], "expected an integer from 1 to 256"),
    (["--train", "1"], "expected an integer from 2 to 10,000"),
    (["--noise", "-0.1"], "expected a number in (0, 10]"),
    (["--repeats", "two"], "expected an integer from 1 to 100"),
])
def test_cli_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--no-plots"])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
