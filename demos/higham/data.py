"""The ten labelled points of Higham & Higham §2 (their Figure 2.1), as the demo uses them, and the
eleventh point of their Figures 2.5 and 6.3.

Class A (circles, target y = (1, 0)) are points 1..5, class B (crosses, y = (0, 1)) points 6..10.
The numbers come from ``nn.data.higham_data()``; this module only adds the views the demo needs.
"""

import numpy as np

from nn.data import HIGHAM_TARGETS, higham_data

N_POINTS = 10
ELEVENTH_POINT = (0.3, 0.7)   # one more category-B point (Figures 2.5 and 6.3), the rest unchanged
ELEVENTH_CLASS = "B"


def points(eleventh_point=False):
    """(X, Y): X of shape (10, 2) in the unit square, Y of shape (10, 2), the one-hot targets;
    with ``eleventh_point`` the B point (0.3, 0.7) is appended as point 11."""
    X, Y = higham_data()
    if eleventh_point:
        X = np.vstack([X, ELEVENTH_POINT])
        Y = np.vstack([Y, HIGHAM_TARGETS[ELEVENTH_CLASS]])
    return X, Y


def class_a(Y):
    """Boolean mask of the class-A points (target (1, 0)): F(x)₁ ≥ F(x)₂ classifies as A."""
    return np.asarray(Y)[:, 0] > np.asarray(Y)[:, 1]


def rows(X, Y):
    """One tuple (x₁, x₂, y₁, y₂) of Python floats per point: the inputs of the recorded cost graph,
    in the form ``CompiledGraph.sgd_run`` indexes (``rows[k]``)."""
    return [tuple(float(v) for v in (*x, *y)) for x, y in zip(np.asarray(X), np.asarray(Y))]
