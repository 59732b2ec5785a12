"""Learning XOR: the network of equation 6.3 trained from random starts, and what becomes of them.

The architecture is ``nn.MLP(2, [2, 1], activation="relu", output_activation="linear")``: layer 2
is the hidden layer h = max{0, W[2] x + b[2]}, layer 3 the linear output. In the book's names
W[2] = Wᵀ (a row per hidden unit), b[2] = c, W[3] = wᵀ, b[3] = b. Each run starts from
``init="uniform"`` (every parameter from U(−1, 1), seeded) and takes full-batch gradient-descent
steps on the mean squared error J(θ) of the four points.

Every run is then classified by measurement, in this order:

* ``success``  J < 1e-6;
* ``dead unit`` a hidden unit whose pre-activation z_j is ≤ 0 on all four inputs: its output is 0
  everywhere and, with relu'(0) = 0, the gradient of its weights and bias is exactly 0, so gradient
  descent can never revive it, and one unit cannot fit XOR (best costs 1/6 and 1/4);
* ``linear``   both units active (z_j > 0) on all four inputs: on the data the network is an affine
  function of x, so J can go no lower than the best linear model's 1/4 (the first part of §6.1);
* ``other``    anything else, e.g. a local minimum at J = 1/8 (two points fitted, two not).

A solution's *activation pattern* says on which of the four inputs each hidden unit is active
(h_j > ``ACTIVE_H``), with the two units unordered: the discrete shape of its transformation to
h-space. ``exact_patterns`` lists, by linear programming, every pattern any exact solution can have.
"""

import functools
import itertools
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import exact

STEPS = 1000
LEARNING_RATE = 0.1
INIT = "uniform"
RECORD_EVERY = 25
SUCCESS_COST = 1e-6
# A learned pre-activation meant to be 0 (a point on a unit's kink) converges to 0 only as fast as
# J does: about 1e-5 when J ≈ 1e-8. Treat h_j(x) ≤ 1e-2 as "off"; active values are O(1).
ACTIVE_H = 1e-2
STATIONARY_GRADIENT = 1e-6   # max |∂J/∂θ| below this: the run has stopped moving (a plateau)
OUTCOMES = ("success", "dead unit", "linear", "other")
POINT_NAMES = ("00", "01", "10", "11")


# ------------------------------------------------------------------------ nn ↔ the book's names

def arrays_from_theta(theta):
    """The book's (W, c, w, b) as the arrays of ``nn.MLP(2, [2, 1]).set_arrays``: W[2] = Wᵀ."""
    W, c, w, b = exact.unpack(theta)
    return {"W[2]": W.T.copy(), "b[2]": c.copy(), "W[3]": w.reshape(1, 2), "b[3]": np.array([b])}


def theta_from_arrays(arrays):
    """θ in the book's order from ``mlp.arrays()`` of a 2-2-1 network."""
    try:
        W2, b2, W3, b3 = (np.asarray(arrays[k], dtype=float) for k in ("W[2]", "b[2]", "W[3]", "b[3]"))
    except KeyError as missing:
        raise ValueError(f"expected the arrays of a 2-2-1 MLP (W[2], b[2], W[3], b[3]); {missing} is missing") from None
    if W2.shape != (2, 2) or b2.shape != (2,) or W3.shape != (1, 2) or b3.shape != (1,):
        raise ValueError("expected a 2-2-1 MLP: W[2] 2×2, b[2] 2, W[3] 1×2, b[3] 1; got "
                         f"{W2.shape}, {b2.shape}, {W3.shape}, {b3.shape}")
    return exact.pack(W2.T, b2, W3[0], b3[0])


def network(theta=exact.BOOK_THETA):
    """An ``nn.MLP(2, [2, 1])`` (ReLU hidden layer, linear output) holding θ (default: the book's)."""
    import nn
    mlp = nn.MLP(2, [2, 1], activation="relu", output_activation="linear", init="zeros")
    mlp.set_arrays(arrays_from_theta(theta))
    return mlp


# ------------------------------------------------------------------------------- one training run

@dataclass
class Run:
    seed: int
    steps: list            # steps at which the cost was recorded
    costs: list            # J over the four points at those steps
    theta0: np.ndarray     # initial parameters (book order)
    theta: np.ndarray      # final parameters
    cost: float            # final J, recomputed from θ with engine Values
    gradient: np.ndarray   # final ∇J (engine, relu'(0) = 0)
    z: np.ndarray          # final pre-activations, 4 inputs × 2 units
    outcome: str = ""
    pattern: tuple = ()
    dead_at_start: tuple = field(default=())   # per unit: z_j ≤ 0 on all inputs already at the start

    @property
    def h(self):
        return np.maximum(0.0, self.z)

    @property
    def stationary(self):
        return float(np.max(np.abs(self.gradient))) < STATIONARY_GRADIENT


def pre_activations(theta):
    """z = Wᵀx + c for the four inputs (4 × 2), with NumPy."""
    W, c, _, _ = exact.unpack(theta)
    return np.asarray(exact.X) @ W + c


def cost_and_gradient(theta):
    """J(θ) and ∇J(θ) from one engine graph and one ``backward()``."""
    params = exact.parameters(theta)
    J = exact.cost(params)
    J.backward()
    return J.data, np.array([p.grad for p in params])


def classify(theta, cost):
    """The outcome of a run ending at θ with cost J (see the module docstring)."""
    if cost < SUCCESS_COST:
        return "success"
    z = pre_activations(theta)
    if np.any(np.all(z <= 0.0, axis=0)):
        return "dead unit"
    if np.all(z > 0.0):
        return "linear"
    return "other"


def activation_pattern(theta, threshold=ACTIVE_H):
    """((on/off of unit A on 00, 01, 10, 11), (… unit B)), the two units in sorted order."""
    h = np.maximum(0.0, pre_activations(theta))
    return tuple(sorted(tuple(int(v > threshold) for v in h[:, j]) for j in range(2)))


def describe_pattern(pattern):
    """E.g. "{01,10,11} + {11}": the inputs on which each hidden unit is active."""
    sets = ["{" + ",".join(n for n, on in zip(POINT_NAMES, unit) if on) + "}" for unit in pattern]
    return " + ".join(sorted(sets, key=lambda s: (-len(s), s)))


def describe_units(theta, threshold=ACTIVE_H):
    """E.g. "h1 on {11}, h2 on {00,01,10,11}": the pattern with the units in their own order."""
    h = np.maximum(0.0, pre_activations(theta))
    return ", ".join(f"h{j + 1} on {{" + ",".join(n for n, v in zip(POINT_NAMES, h[:, j]) if v > threshold) + "}"
                     for j in range(2))


def train_run(seed, steps=STEPS, lr=LEARNING_RATE, init=INIT, record_every=RECORD_EVERY):
    """Train the 2-2-1 ReLU network from the seeded start ``seed`` with full-batch gradient descent
    on the MSE; the same seed gives a bit-identical run."""
    import nn
    mlp = nn.MLP(2, [2, 1], activation="relu", output_activation="linear", init=init, rng=seed)
    theta0 = theta_from_arrays(mlp.arrays())
    history = nn.train(mlp, np.asarray(exact.X), np.asarray(exact.TARGETS), loss="mse", lr=lr,
                       scheme="full", steps=steps, seed=seed, record_every=record_every)
    theta = theta_from_arrays(mlp.arrays())
    J, gradient = cost_and_gradient(theta)
    z0 = pre_activations(theta0)
    return Run(seed=seed, steps=list(history.steps), costs=list(history.costs), theta0=theta0, theta=theta,
               cost=J, gradient=gradient, z=pre_activations(theta), outcome=classify(theta, J),
               pattern=activation_pattern(theta), dead_at_start=tuple(bool(v) for v in np.all(z0 <= 0.0, axis=0)))


def train_many(seeds, progress=None, **options):
    """``train_run`` for every seed; ``progress(i, run)`` is called after each run if given."""
    runs = []
    for i, seed in enumerate(seeds):
        runs.append(train_run(seed, **options))
        if progress is not None:
            progress(i, runs[-1])
    return runs


# ---------------------------------------------------------------------------------- the tallies

def tally(runs):
    """{outcome: number of runs}, every outcome present (0 when none), counted from the runs."""
    counts = Counter(run.outcome for run in runs)
    return {name: counts.get(name, 0) for name in OUTCOMES}


NAMED_LEVELS = ((0.25, "1/4"), (1 / 6, "1/6"), (0.125, "1/8"))


def cost_level(cost, tol=1e-4):
    """The final cost as a named level ("1/4", "1/6", "1/8") when it sits on one, else "%.3g"."""
    for value, name in NAMED_LEVELS:
        if abs(cost - value) < tol:
            return name
    return f"{cost:.3g}"


def failure_levels(runs):
    """{(outcome, cost level): count} over the failed runs."""
    return Counter((run.outcome, cost_level(run.cost)) for run in runs if run.outcome != "success")


def distinct_solutions(runs):
    """[(pattern, [successful runs with it])], the most frequent pattern first."""
    groups = {}
    for run in runs:
        if run.outcome == "success":
            groups.setdefault(run.pattern, []).append(run)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


# ------------------------------------------------------------- every possible exact solution shape

def _half_plane_subsets():
    """The subsets S of the four inputs that one ReLU unit can switch on alone (z > 0 exactly on S,
    z ≤ 0 elsewhere): all 16 but the two diagonals {00, 11} and {01, 10}, i.e. XOR itself."""
    from scipy.optimize import linprog
    A = np.hstack([np.asarray(exact.X), np.ones((4, 1))])
    subsets = []
    for on in itertools.product((0, 1), repeat=4):
        rows = [(-A[i], -1.0) if on[i] else (A[i], 0.0) for i in range(4)]  # z ≥ 1 on S (scale-free)
        result = linprog(np.zeros(3), A_ub=[r for r, _ in rows], b_ub=[b for _, b in rows],
                         bounds=[(None, None)] * 3)
        if result.status == 0:
            subsets.append(on)
    return subsets


def _witness(pattern, signs):
    """A θ solving XOR exactly with ``pattern`` and output-weight signs ``signs``, or None.

    With u_j = w_j (W[:, j], c_j) the outputs are linear in (u_1, u_2, b), and "unit j is on exactly
    on S_j" is linear in u_j once the sign of w_j is fixed: one linear program, maximising the margin
    t of the active inputs (t > 0 means the pattern is exactly achievable)."""
    from scipy.optimize import linprog
    A = np.hstack([np.asarray(exact.X), np.ones((4, 1))])
    A_eq = np.zeros((4, 8))                    # variables: u_1 (3), u_2 (3), b, t
    for i in range(4):
        for j in range(2):
            A_eq[i, 3 * j:3 * j + 3] = A[i] * pattern[j][i]
        A_eq[i, 6] = 1.0
    A_ub = []
    for j, (on, s) in enumerate(zip(pattern, signs)):
        for i in range(4):
            row = np.zeros(8)
            if on[i]:
                row[3 * j:3 * j + 3], row[7] = -s * A[i], 1.0     # s u_j·(x, 1) ≥ t
            else:
                row[3 * j:3 * j + 3] = s * A[i]                   # s u_j·(x, 1) ≤ 0
            A_ub.append(row)
    objective = np.zeros(8)
    objective[7] = -1.0
    result = linprog(objective, A_ub=A_ub, b_ub=np.zeros(8), A_eq=A_eq, b_eq=np.asarray(exact.TARGETS),
                     bounds=[(None, None)] * 7 + [(None, 1.0)])
    if result.status != 0 or -result.fun < 1e-7:
        return None
    u1, u2, b = result.x[0:3], result.x[3:6], result.x[6]
    W = np.column_stack([signs[0] * u1[:2], signs[1] * u2[:2]])   # w_j = s_j, (W[:, j], c_j) = s_j u_j
    c = np.array([signs[0] * u1[2], signs[1] * u2[2]])
    return exact.pack(W, c, np.array(signs, dtype=float), b)


def exact_patterns():
    """{pattern: θ} for every activation pattern (units unordered) that an exact solution of XOR
    can have, each with one witness θ whose cost is 0 (up to rounding) and whose pattern it is.
    (Computed once, by about 200 small linear programs; each call returns a fresh dict.)"""
    return {pattern: theta.copy() for pattern, theta in _exact_patterns().items()}


@functools.lru_cache(maxsize=1)
def _exact_patterns():
    subsets = _half_plane_subsets()
    found = {}
    for pair in itertools.combinations_with_replacement(subsets, 2):
        for signs in itertools.product((1, -1), repeat=2):
            theta = _witness(pair, signs)
            if theta is not None:
                found[tuple(sorted(pair))] = theta
                break
    return found
