"""The ten labelled points of Higham & Higham §2 (their Figure 1), as the demo uses them.

Class A (circles, target y = (1, 0)) are points 1..5, class B (crosses, y = (0, 1)) points 6..10.
The numbers come from ``nn.data.higham_data()``; this module only adds the views the demo needs.
"""

import numpy as np

from nn.data import higham_data

N_POINTS = 10


def points():
    """(X, Y): X of shape (10, 2) in the unit square, Y of shape (10, 2), the one-hot targets."""
    return higham_data()


def class_a(Y):
    """Boolean mask of the class-A points (target (1, 0)): F(x)₁ ≥ F(x)₂ classifies as A."""
    return np.asarray(Y)[:, 0] > np.asarray(Y)[:, 1]


def rows(X, Y):
    """One tuple (x₁, x₂, y₁, y₂) of Python floats per point: the inputs of the recorded cost graph,
    in the form ``CompiledGraph.sgd_run`` indexes (``rows[k]``)."""
    return [tuple(float(v) for v in (*x, *y)) for x, y in zip(np.asarray(X), np.asarray(Y))]
