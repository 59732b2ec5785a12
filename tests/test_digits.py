"""python -m demos.digits (§7 in miniature) on a tiny fast configuration: its numbers against
independent computations (the eager engine's forward pass, NumPy's log-softmax, a hand count of
the confusion matrix), the learning-rate schedule, the message when scikit-learn is missing, and
its usage errors."""

import builtins

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn (the demos extra) not installed: the digits demo is skipped")

from demos.digits import data, figures, network, training  # noqa: E402
from demos.digits.__main__ import main  # noqa: E402


def test_data_are_the_1797_scaled_digits_split_60_20_20():
    images, labels = data.load_digits()
    assert images.shape == (1797, 8, 8) and images.min() == 0.0 and images.max() == 1.0
    assert len(np.bincount(labels)) == 10 and np.bincount(labels).min() >= 170
    parts = data.split(np.random.default_rng(0))
    assert [len(p) for p in parts] == [1078, 359, 360]
    assert sorted(np.concatenate([p.indices for p in parts]).tolist()) == list(range(1797))
    assert np.array_equal(parts[2].images, images[parts[2].indices])


def test_the_schedule_is_the_papers_scaled_to_the_epochs():
    assert [training.learning_rate(e) for e in range(1, 16)] == [0.05] * 10 + [0.005] * 3 + [0.0005] * 2
    assert [training.learning_rate(e, 45) for e in (1, 30, 31, 40, 41, 45)] == [0.05, 0.05, 0.005, 0.005,
                                                                                0.0005, 0.0005]


def test_compiled_evaluation_equals_the_eager_network():
    rng = np.random.default_rng(1)
    train_set, _, test = data.split(rng, limit=60)
    net = network.DigitsNetwork(network.make_network(rng, filters=2, dropout=0.35))
    p = [v.data for v in net.params]
    cost, top1, top5, predicted, logp = net.evaluate(p, test)
    net.model.eval()  # the eager network: dropout is the identity
    for k in range(3):
        z = np.array([v.data for v in net.model(test.images[k][None].tolist())])
        expected = z - z.max() - np.log(np.sum(np.exp(z - z.max())))
        assert logp[k] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert cost == pytest.approx(-np.mean(logp[np.arange(len(test)), test.labels]))
    assert top1 == np.mean(np.argmax(logp, axis=1) != test.labels) and 0.0 <= top5 <= top1
    counts = figures.confusion(test.labels, predicted)
    assert counts.sum() == len(test) and np.trace(counts) == np.sum(predicted == test.labels)


def test_training_lowers_the_cost_and_dropout_masks_are_drawn_per_batch():
    rng = np.random.default_rng(2)
    train_set, validation, _ = data.split(rng, limit=300)
    net = network.DigitsNetwork(network.make_network(rng, filters=4, dropout=0.35))
    m1, m2 = net.draw_masks(4), net.draw_masks(4)
    assert m1.shape == (4, 36) and not np.array_equal(m1, m2) and set(np.unique(m1)) <= {0.0, 1 / 0.65}
    run = training.train("test", net, train_set, validation, rng, epochs=3, batch=10)
    assert run.epochs == [0, 1, 2, 3] and run.rates == [0.0, 0.05, 0.05, 0.005]
    assert run.curves["training cost"][0] == pytest.approx(np.log(10), abs=0.15)  # ten classes, small start
    for part in ("training", "validation"):  # 54 small steps of a 4-filter network: a clear descent
        assert run.curves[f"{part} cost"][-1] < 0.85 * run.curves[f"{part} cost"][0]
    assert run.parameters == [v.data for v in net.params]


def test_one_sgd_step_is_momentum_sgd_on_the_batch_mean_gradient():
    rng = np.random.default_rng(3)
    train_set, validation, _ = data.split(rng, limit=30)
    net = network.DigitsNetwork(network.make_network(rng, filters=1))
    p0 = np.array([v.data for v in net.params])
    # the same batch order as training.train will draw
    order = np.random.default_rng(9).permutation(len(train_set))[:len(train_set)]
    _, g = net.batch_gradient(list(p0), train_set.pixels[order], train_set.one_hot[order])
    run = training.train("one", net, train_set, validation, np.random.default_rng(9), epochs=1,
                         batch=len(train_set))
    assert np.allclose(run.parameters, p0 - 0.05 * g, rtol=0, atol=1e-15)  # first step: v = g


@pytest.mark.slow
def test_demo_end_to_end_on_a_tiny_configuration(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["--images", "60", "--epochs", "1", "--filters", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "5. Summary" in text and "with dropout p = 0.35" in text
    for stem in ("fig7_2_training", "fig7_3_training_dropout", "fig7_4_confusion", "fig7_5_confusion_dropout",
                 "fig7_6_misclassified", "weight_sharing"):
        assert (out / f"{stem}.png").stat().st_size > 1000 and (out / f"{stem}.svg").exists()
    dot = (out / "weight_sharing.gv").read_text()
    assert dot.count("W[2][1,1,") >= 9 and "m[2]_1(1,1)" in dot


def test_weight_sharing_slice_shares_the_filters_values():
    model = network.make_network(np.random.default_rng(0), filters=2)
    root = figures.weight_sharing_slice(model[0], np.random.default_rng(1).random((8, 8)))
    zs = [v for v in nn_nodes(root) if v.op == "affine"]
    assert len(zs) == 4 and all(list(z.inputs[1::2]) == model[0].filters[0] for z in zs)
    assert sum(1 for z in zs if z.grad != 0.0) <= 1  # max pooling passes the gradient to one z at most


def nn_nodes(root):
    from engine import topological_order
    return topological_order(root)


def test_quiet_no_plots_prints_only_the_summary(tmp_path, capsys):
    assert main(["--images", "40", "--epochs", "1", "--filters", "1", "--no-plots", "--quiet",
                 "--out", str(tmp_path / "none")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "5. Summary" and not (tmp_path / "none").exists()


def test_missing_scikit_learn_names_the_extra(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    # the command line stops before any work (tests/test_first_minutes.py); the library says why too
    with pytest.raises(data.MissingExtra, match=r"pip install scikit-learn \(the \"demos\" extra\)"):
        data.load_digits()


@pytest.mark.parametrize("argv,option", [(["--epochs", "0"], "--epochs"), (["--images", "5"], "--images"),
                                         (["--images", "1798"], "--images"),
                                         (["--batch", "x"], "--batch")])
def test_bad_arguments_are_usage_errors(argv, option, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and option in capsys.readouterr().err
