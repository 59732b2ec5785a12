"""The data sets: the Higham table and XOR exactly, and the seeded generators."""

import numpy as np
import pytest

from nn import higham_classes, higham_data, logistic_1d, two_moons, xor_data


def test_higham_ten_points_and_targets():
    X, Y = higham_data()
    np.testing.assert_array_equal(X[:, 0], [0.1, 0.3, 0.1, 0.6, 0.4, 0.6, 0.5, 0.9, 0.4, 0.7])
    np.testing.assert_array_equal(X[:, 1], [0.1, 0.4, 0.5, 0.9, 0.2, 0.3, 0.6, 0.2, 0.4, 0.6])
    np.testing.assert_array_equal(Y, [[1, 0]] * 5 + [[0, 1]] * 5)
    assert X.dtype == Y.dtype == np.float64
    assert list(higham_classes()) == list("AAAAABBBBB")
    X[0, 0] = 99.0                      # a fresh copy each call
    assert higham_data()[0][0, 0] == 0.1


def test_xor():
    X, y = xor_data()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]))


def test_two_moons_is_seeded_and_shaped():
    X, y = two_moons(101, 0.1, 3)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert set(np.unique(y)) == {0.0, 1.0} and np.sum(y == 0) == 51
    X2, y2 = two_moons(101, 0.1, 3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(two_moons(101, 0.1, 4)[0], X)
    # without noise the points lie exactly on the two half circles
    X, y = two_moons(40, 0.0, 0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, rtol=1e-14)
    assert np.all(upper[:, 1] >= 0) and np.all(lower[:, 1] <= 0.5)
    with pytest.raises(ValueError, match="noise"):
        two_moons(10, -0.1, 0)


def test_logistic_1d_is_seeded_and_follows_its_model():
    x, y = logistic_1d(20000, 5, weight=2.0, bias=-0.5)
    assert x.shape == y.shape == (20000,) and set(np.unique(y)) == {0.0, 1.0}
    np.testing.assert_array_equal(logistic_1d(20000, 5)[1], y)
    # the fraction of ones in a slice of x matches sigma(2 x - 0.5) there
    for lo, hi in ((-1.0, -0.5), (0.0, 0.5), (1.0, 1.5)):
        inside = (x >= lo) & (x < hi)
        p = 1 / (1 + np.exp(-(2.0 * x[inside] - 0.5)))
        assert abs(y[inside].mean() - p.mean()) < 5 * np.sqrt(0.25 / inside.sum())
